"""One source for each exercise: notebooks/solutions/ is the source, notebooks/exercises/ is made from it.

``make exercises`` (notebooks/make_exercises.py) writes the student notebooks; these tests fail when a
committed student notebook differs from what that command makes, and pin down what it does to each
kind of cell. The real nbgrader makes the same sources in tests/test_nbgrader_roundtrip.py.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks/solutions").glob("[0-9]*.ipynb"))


def load_make_exercises():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "notebooks/make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = load_make_exercises()


def nbgrader(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    meta["task"] = False
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def test_every_exercise_has_a_solution_and_a_student_notebook_of_the_same_name():
    students = sorted(p.name for p in (ROOT / "notebooks/exercises").glob("*.ipynb"))
    assert len(SOLUTIONS) == 6
    assert students == [p.name for p in SOLUTIONS]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_the_committed_student_notebook_is_exactly_what_make_exercises_makes(solution):
    student = ROOT / "notebooks/exercises" / solution.name
    assert student.read_text(encoding="utf-8") == make.student_text(solution), (
        f"notebooks/exercises/{solution.name} differs from what `make exercises` makes from "
        f"notebooks/solutions/{solution.name}: edit the solution, then run `make exercises`"
    )


def test_check_mode_reports_a_stale_student_notebook(tmp_path, monkeypatch, capsys):
    solutions, exercises = tmp_path / "notebooks/solutions", tmp_path / "notebooks/exercises"
    solutions.mkdir(parents=True)
    exercises.mkdir()
    nbformat.write(nbformat.read(SOLUTIONS[0], as_version=4), solutions / SOLUTIONS[0].name)
    monkeypatch.setattr(make, "SOLUTIONS", solutions)
    monkeypatch.setattr(make, "EXERCISES", exercises)
    monkeypatch.setattr(make, "HERE", tmp_path / "notebooks")
    assert make.main(["--check"]) == 1
    assert f"stale student notebooks: notebooks/exercises/{SOLUTIONS[0].name}" in capsys.readouterr().err
    assert make.main([]) == 0
    assert make.main(["--check"]) == 0
    assert (exercises / SOLUTIONS[0].name).read_text(encoding="utf-8") == make.student_text(SOLUTIONS[0])


def test_solution_regions_become_nbgraders_stub_indented_like_the_begin_line():
    source = (
        "class Sigmoid(bp.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, t):\n"
        "        ### BEGIN SOLUTION\n"
        "        s = 1 / (1 + np.exp(-t))\n"
        "        return s\n"
        "        ### END SOLUTION\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_output):\n"
        "        ### BEGIN SOLUTION\n"
        "        return grad_output\n"
        "        ### END SOLUTION"
    )
    cell = make.student_cell(new_code_cell(source, metadata=nbgrader("sigmoid", solution=True)), "here")
    assert cell.source == (
        "class Sigmoid(bp.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, t):\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()\n"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_output):\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()"
    )


def test_a_solution_cell_without_a_region_is_replaced_whole():
    code = make.student_cell(new_code_cell("x = 1", metadata=nbgrader("a", solution=True)), "here")
    text = make.student_cell(new_markdown_cell("Because.", metadata=nbgrader("b", solution=True)), "here")
    assert code.source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert text.source == "YOUR ANSWER HERE"


def test_hidden_tests_are_removed_from_test_cells_and_outputs_cleared():
    cell = new_code_cell(
        "check(f);\n### BEGIN HIDDEN TESTS\nassert check(f, quiet=True)\n### END HIDDEN TESTS",
        metadata=nbgrader("test_f", grade=True, locked=True, points=1),
        execution_count=7,
        outputs=[new_output("stream", name="stdout", text="✓ f: all checks passed.\n")],
    )
    student = make.student_cell(cell, "here")
    assert student.source == "check(f);"
    assert student.outputs == [] and student.execution_count is None
    assert cell.execution_count == 7, "the solution cell itself is left alone"


def test_cells_without_answers_pass_through_unchanged_outputs_aside():
    install = new_code_cell(
        "try:\n    import backpropnb\nexcept ImportError:\n    %pip install backpropnb",
        metadata={"tags": ["install"]},
        outputs=[new_output("stream", name="stdout", text="ok\n")],
        execution_count=1,
    )
    setup = new_code_cell("import numpy as np", metadata=nbgrader("setup", locked=True))
    prose = new_markdown_cell("# Exercise\n\nFill in ### the cells.", metadata=nbgrader("intro", locked=True))
    solution = new_notebook(cells=[install, setup, prose], metadata={"language_info": {"name": "python"}})
    solution.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    student = make.student_notebook(solution)
    assert [c.source for c in student.cells] == [c.source for c in solution.cells]
    assert [c.metadata for c in student.cells] == [c.metadata for c in solution.cells]
    assert student.cells[0].outputs == [] and student.cells[0].execution_count is None
    assert student.metadata == {"language_info": {"name": "python"}}


@pytest.mark.parametrize(
    ("source", "meta", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", nbgrader("setup"), "not marked as an nbgrader solution"),
        ("### BEGIN SOLUTION\nx = 1", nbgrader("a", solution=True), "'BEGIN SOLUTION' has no 'END SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", nbgrader("a", solution=True), "a nested 'BEGIN SOLUTION'"),
        ("x = 1\n### END SOLUTION", nbgrader("a", solution=True), "'END SOLUTION' without a 'BEGIN SOLUTION'"),
        ("### BEGIN HIDDEN TESTS\nassert f()\n### END HIDDEN TESTS", nbgrader("s"), "not an nbgrader autograder"),
    ],
)
def test_regions_nbgrader_would_refuse_are_errors_that_name_the_cell(source, meta, message):
    notebook = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell(source, metadata=meta)])
    with pytest.raises(make.SourceError, match=message) as error:
        make.student_notebook(notebook, "07_new.ipynb")
    assert str(error.value).startswith("07_new.ipynb, cell 1 (")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_the_points_a_heading_announces_are_the_points_nbgrader_gives(solution):
    """Points are set in the test cell's metadata (``nbgrader.points``); the exercise's heading says them."""
    heading, seen = None, []
    for cell in nbformat.read(solution, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            heading = cell.source.split("\n")[0]
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            announced = re.search(r"\((\d+) points?\)$", heading or "")
            assert announced, f"{solution.name}: the heading before {meta['grade_id']} says no points: {heading!r}"
            assert int(announced.group(1)) == meta["points"], f"{solution.name}: {heading!r} vs {meta}"
            seen.append(meta["grade_id"])
    assert seen, f"{solution.name} has no test cell"


def test_make_exercises_check_passes_on_the_committed_notebooks():
    """What `make exercises` runs, as a command: nothing to make on a clean checkout."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "notebooks/make_exercises.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_teaching_guide_lists_each_exercise_with_its_points():
    guide = (ROOT / "docs/teaching.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(\d\d_\w+)` \|.*\| (\d+) \|$", guide, flags=re.M))
    actual = {}
    for solution in SOLUTIONS:
        cells = nbformat.read(solution, as_version=4).cells
        actual[solution.stem] = str(
            sum(c.metadata["nbgrader"]["points"] for c in cells if c.metadata.get("nbgrader", {}).get("grade"))
        )
    assert listed == actual


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_no_widget_is_an_answer_or_a_test(solution):
    """An explorer in an exercise is for playing: nbgrader must never grade it or wait on it."""
    for cell in nbformat.read(solution, as_version=4).cells:
        shows_widget = any(
            "application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in cell.get("outputs", [])
        )
        meta = cell.metadata.get("nbgrader", {})
        assert not (shows_widget and (meta.get("grade") or meta.get("solution"))), meta.get("grade_id")
