"""Every notebook file that a notebook or a README names exists, and the notebooks' markdown names them as links.

A learner who reads "the classroom exercise exercises/04_….ipynb" clicks it; a name that was renamed
away leaves them at a dead end, which nbval cannot see (markdown is not executed).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
READMES = [ROOT / "README.md", *sorted((ROOT / "notebooks").rglob("README*.md"))]
NAME = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*\d\d_[A-Za-z0-9_]+\.ipynb)")
LINK = re.compile(r"\]\(([^)\s]+\.ipynb)\)")


def _texts(path):
    """(kind, text) of each part of a file that names paths: every cell of a notebook, a README whole."""
    if path.suffix == ".md":
        return [("markdown", path.read_text(encoding="utf-8"))]
    notebook = nbformat.read(path, as_version=4)
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def _exists(name, where):
    """True if ``name`` is a file relative to the naming file's folder, the repository or notebooks/."""
    name = name.split("/blob/main/")[-1]
    return any((base / name).is_file() for base in (where.parent, ROOT, ROOT / "notebooks"))


@pytest.mark.parametrize("path", NOTEBOOKS + READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_notebook_exists(path):
    missing = [name for _, text in _texts(path) for name in NAME.findall(text) if not _exists(name, path)]
    assert not missing, f"{path.relative_to(ROOT)} names notebooks that do not exist: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_name_other_notebooks_as_links(path):
    for kind, text in _texts(path):
        if kind != "markdown":
            continue
        linked = set(LINK.findall(text))
        bare = [name for name in NAME.findall(text) if not any(link.endswith(name) for link in linked)]
        assert not bare, f"{path.relative_to(ROOT)}: make these clickable links: {bare}"


def test_the_check_sees_a_dead_name(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("see exercises/04_implicit_jacobians_student.ipynb", encoding="utf-8")
    (name,) = NAME.findall(page.read_text(encoding="utf-8"))
    assert name == "exercises/04_implicit_jacobians_student.ipynb" and not _exists(name, page)
    assert _exists("exercises/04_implicit_jacobians.ipynb", ROOT / "notebooks" / "04_implicit_jacobians.ipynb")
