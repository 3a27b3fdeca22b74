"""The Korean edition keeps the contract: same code as English (language cell aside), Korean prose."""

import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import korean  # noqa: E402

KOREAN = korean.korean_notebooks()


def test_there_is_a_korean_twin_of_every_english_tutorial():
    english = sorted(p.name for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
    assert [p.name for p in KOREAN if p.parent.name == "ko"] == english


@pytest.mark.parametrize("path", KOREAN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_code_cells_are_the_english_ones(path):
    assert korean.check(path) == []


def hangul_share(markdown):
    """Share of Hangul among the letters of ``markdown`` outside `code`, $math$ and link targets.

    >>> round(hangul_share("역전파 backprop `x.grad` $dx$ [링크](https://example.com)"), 2)
    0.38
    """
    prose = re.sub(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]+>", " ", markdown, flags=re.S)
    hangul = len(re.findall("[\uac00-\ud7a3]", prose))
    latin = len(re.findall("[A-Za-z]", prose))
    return hangul / max(hangul + latin, 1)


@pytest.mark.parametrize("path", KOREAN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_markdown_is_mostly_hangul(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert hangul_share(markdown) >= 0.6, f"{path}: {hangul_share(markdown):.0%} Hangul by letters"


@pytest.mark.parametrize("path", KOREAN, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_korean_headings(path):
    nb = nbformat.read(path, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    title = "연습 " if path.parent.name == "solutions" else ""
    assert re.match(rf"# {title}\d\d · \S", markdown[0]), markdown[0].splitlines()[0]
    if path.parent.name == "ko":
        assert any(m.lstrip().startswith("## 생각해 볼 질문") for m in markdown), path
