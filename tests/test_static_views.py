"""Where widgets cannot run, a saved notebook shows a picture of each explorer, not a repr line.

Every tutorial is stored executed (nbval checks its outputs). Exporting it with
``jupyter nbconvert --to html``, as nbviewer and a course website do, must give
each explorer cell an image: the graph as inline SVG or the plots as PNG, with
the explorer's text, and no ``VBox(...)``-style repr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")) + sorted((ROOT / "notebooks/ko").glob("[0-9]*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EXPLORERS = ("GateExplorer", "BackwardStepper", "JacobianExplorer", "HVPExplorer")


def is_explorer(output):
    data = output.get("data", {})
    return WIDGET_VIEW in data and str(data.get("text/plain", "")).startswith(EXPLORERS)


def explorer_cells(notebook):
    """Indexes of the code cells whose stored output is an explorer's widget view.

    (Notebook 06 also shows a plain ipywidgets progress bar while it trains; that is the notebook's
    own VBox, not an explorer, and has no static picture.)
    """
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and any(is_explorer(output) for output in cell.outputs)
    ]


def test_the_tutorials_have_explorers_to_check():
    assert len(WITH_EXPLORERS) >= 3
    names = " ".join(
        nbformat.read(p, as_version=4).cells[i].source
        for p in TUTORIALS
        for i in explorer_cells(nbformat.read(p, as_version=4))
    )
    for explorer in EXPLORERS:
        assert explorer in names


WITH_EXPLORERS = [p for p in TUTORIALS if explorer_cells(nbformat.read(p, as_version=4))]


@pytest.mark.parametrize("path", WITH_EXPLORERS, ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_html_export_shows_a_picture_of_every_explorer(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata  # no saved widget state: see notebooks/run_all.py
    wanted = explorer_cells(notebook)
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(tmp_path), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page = BeautifulSoup((tmp_path / f"{path.stem}.html").read_text(encoding="utf-8"), "html.parser")
    cells = page.select("div.jp-Cell")
    assert len(cells) == len(notebook.cells)
    for index in wanted:
        cell = cells[index]
        static = cell.select_one(".backpropnb-static")
        assert static is not None, f"cell {index} of {path.name} has no static picture:\n{cell.get_text()[:300]}"
        images = static.find_all("svg") + static.find_all("img")
        assert images, f"cell {index} of {path.name}: the static picture holds no image"
        output_text = " ".join(o.get_text() for o in cell.select(".jp-OutputArea-output"))
        assert "children=(" not in output_text and "VBox(" not in output_text
        assert static.find("pre") is not None and static.find("pre").get_text().strip()  # the explorer's text
