"""Make the student notebooks from the solution notebooks: the solutions are the only source.

Usage (from the repository root; ``make exercises`` runs it)::

    .venv/bin/python notebooks/make_exercises.py          # notebooks/solutions/*.ipynb -> notebooks/exercises/
    .venv/bin/python notebooks/make_exercises.py --check  # exit 1 if a committed student notebook is stale

Each ``notebooks/solutions/NN_topic.ipynb`` becomes ``notebooks/exercises/NN_topic.ipynb`` the way
``nbgrader generate_assignment`` makes a student version, so the notebook a self-learner opens and
the one nbgrader releases to a class have the same cells and the same sources:

- in a cell marked as an nbgrader solution (``metadata.nbgrader.solution``), every region between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes nbgrader's stub ``# YOUR CODE HERE`` /
  ``raise NotImplementedError()`` (``YOUR ANSWER HERE`` in a markdown cell), indented like the
  ``BEGIN`` line; a solution cell without a region is replaced whole;
- in an autograder test cell (``metadata.nbgrader.grade``), regions between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed;
- code cells lose their outputs and execution counts, and the notebook its saved widget state;
- every other cell (instructions, the set-up cell, an install cell without nbgrader metadata, ...)
  is copied unchanged.

A solution or hidden-test region outside a cell marked for it, a nested ``BEGIN`` or a missing
``END`` is an error, as it is for nbgrader.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOLUTIONS = HERE / "solutions"
EXERCISES = HERE / "exercises"

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's ClearSolutions.code_stub for python
TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's ClearSolutions.text_stub
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_TESTS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class SourceError(ValueError):
    """A solution notebook that nbgrader would also refuse (the message names the notebook and cell)."""


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def replace_regions(source, delimiters, stub_lines, where):
    """Replace each ``delimiters`` region of ``source`` by ``stub_lines`` (indented like its BEGIN line).

    Returns ``(new_source, found)``. ``stub_lines=[]`` removes the region.

    >>> replace_regions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION", SOLUTION,
    ...                 ["raise NotImplementedError()"], "f")
    ('def f():\\n    raise NotImplementedError()', True)
    """
    begin, end = delimiters
    lines, inside, found = [], False, False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise SourceError(f"{where}: a nested '{begin}'; close the first region with '{end}'")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            lines.extend(indent + stub for stub in stub_lines)
        elif end in line:
            if not inside:
                raise SourceError(f"{where}: '{end}' without a '{begin}' before it")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise SourceError(f"{where}: '{begin}' has no '{end}'")
    return "\n".join(lines), found


def student_cell(cell, where):
    """The student version of one solution-notebook cell (a new cell; ``cell`` is not changed)."""
    cell = copy.deepcopy(cell)
    meta = _nbgrader(cell)
    stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
    source, had_solution = replace_regions(cell.source, SOLUTION, stub.split("\n"), where)
    if had_solution and not meta.get("solution"):
        raise SourceError(f"{where}: a solution region in a cell that is not marked as an nbgrader solution cell")
    if meta.get("solution") and not had_solution:
        source = stub
    source, had_hidden = replace_regions(source, HIDDEN_TESTS, [], where)
    if had_hidden and not meta.get("grade"):
        raise SourceError(f"{where}: hidden tests in a cell that is not an nbgrader autograder test cell")
    cell.source = source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    return cell


def student_notebook(solution, name="notebook"):
    """The student version of a solution notebook (a NotebookNode; ``solution`` is not changed)."""
    student = copy.deepcopy(solution)
    student.cells = [
        student_cell(cell, f"{name}, cell {index} ({_nbgrader(cell).get('grade_id', 'no grade_id')})")
        for index, cell in enumerate(solution.cells)
    ]
    student.metadata.pop("widgets", None)
    student.metadata.pop("celltoolbar", None)
    return student


def student_text(solution_path):
    """The exact file content of the student notebook made from ``solution_path``."""
    solution = nbformat.read(solution_path, as_version=4)
    text = nbformat.writes(student_notebook(solution, Path(solution_path).name))
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write saves it


def pairs():
    """``(solution, student)`` paths of every exercise, in name order."""
    english = [(path, EXERCISES / path.name) for path in sorted(SOLUTIONS.glob("[0-9]*.ipynb"))]
    # the Korean edition the same way: notebooks/ko/solutions/ -> notebooks/ko/exercises/
    korean = [
        (path, HERE / "ko" / "exercises" / path.name)
        for path in sorted((HERE / "ko" / "solutions").glob("[0-9]*.ipynb"))
    ]
    return english + korean


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale student notebooks; exit 1 if any")
    options = parser.parse_args(arguments)
    stale = []
    for solution, student in pairs():
        text = student_text(solution)
        if student.exists() and student.read_text(encoding="utf-8") == text:
            continue
        stale.append(student)
        if not options.check:
            student.write_text(text, encoding="utf-8")
            print(f"{student.relative_to(HERE.parent)}: made from {solution.relative_to(HERE.parent)}")
    if options.check and stale:
        names = ", ".join(str(path.relative_to(HERE.parent)) for path in stale)
        print(f"stale student notebooks: {names}; run `make exercises`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
