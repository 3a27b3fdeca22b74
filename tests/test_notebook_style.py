"""Every notebook is written in the house style of notebooks/README.md: title, numbered sections, prompts, closing."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TUTORIALS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
PROMPTS = re.compile(r"^\*\*(Your turn|Poke at it|Try it|Try this|Exercise)[.:!]\*\*", re.M)


def markdown_lines(path):
    notebook = nbformat.read(path, as_version=4)
    return [line for cell in notebook.cells if cell.cell_type == "markdown" for line in cell.source.splitlines()]


def sections(lines):
    return [line for line in lines if line.startswith("## ")]


@pytest.mark.parametrize("path", TUTORIALS + SOLUTIONS, ids=lambda p: p.name)
def test_title_is_the_two_digit_number_and_a_title(path):
    number = path.name[:2]
    prefix = "Exercise " if path in SOLUTIONS else ""
    title = markdown_lines(path)[0]
    assert re.fullmatch(rf"# {prefix}{number} · \S.*", title), f"{path.name}: title {title!r}"


@pytest.mark.parametrize("path", TUTORIALS + SOLUTIONS, ids=lambda p: p.name)
def test_sections_are_numbered_in_order_and_end_with_questions(path):
    headings = sections(markdown_lines(path))
    assert headings[-1] == "## Questions", f"{path.name}: closes with {headings[-1]!r}"
    numbered = headings[:-1]
    assert numbered, path.name
    for i, heading in enumerate(numbered, start=1):
        assert re.fullmatch(rf"## {i}\. [A-Z0-9$`‖].*", heading), f"{path.name}: section {i} is {heading!r}"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_the_learners_turn_has_one_name(path):
    text = "\n".join(markdown_lines(path))
    names = set(PROMPTS.findall(text))
    assert names == {"Your turn"}, f"{path.name}: prompts {names}"


@pytest.mark.parametrize("path", TUTORIALS + SOLUTIONS, ids=lambda p: p.name)
def test_the_lecture_numbers_come_from_the_lecture_module(path):
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    typed_again = [
        "[[0.1, 0.5], [-0.3, 0.8]]",  # W of ||Wx||²: lecture.NORM_W
        "2.0, -1.0, -3.0, -2.0, -3.0",  # the sigmoid neuron: lecture.neuron_values()
        "[1.0, 3.0, -2.0, 4.0]",  # the ReLU input: lecture.RELU_X
    ]
    for literal in typed_again:
        lines = [line for line in code.splitlines() if literal in line and not line.lstrip().startswith("#")]
        assert not any(literal in line.split("#")[0] for line in lines), f"{path.name} types {literal} again"


@pytest.mark.parametrize("path", TUTORIALS + SOLUTIONS, ids=lambda p: p.name)
def test_every_docstring_opens_with_words(path):
    # Issue 9: exercise 05 had a docstring starting '""""minimum"', one quote too many.
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
                docstring = ast.get_docstring(node)
                assert not docstring.startswith(('"', "'")), f"{path.name}: {node.name} docstring {docstring[:30]!r}"


def test_every_exercise_stub_is_the_same():
    # Issue 9: exercises 01-03 labelled their NotImplementedError, 04-05 raised it bare; now one stub for all.
    stubs = set()
    for path in sorted((NOTEBOOKS / "exercises").glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines = cell.source.splitlines() if cell.cell_type == "code" else []
            stubs |= {line.strip() for line in lines if "raise NotImplementedError" in line}
    assert stubs == {"raise NotImplementedError()"}
