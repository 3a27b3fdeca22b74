"""What a tutorial's text claims, checked against what its stored outputs show (nbval keeps those fresh)."""

import re
from pathlib import Path

import nbformat
import numpy as np

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def cell_after(path, marker):
    """The first code cell after the markdown cell that contains ``marker``, and that markdown."""
    cells = nbformat.read(path, as_version=4).cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and marker in cell.source:
            code = next(c for c in cells[i + 1 :] if c.cell_type == "code")
            return cell.source, code
    raise AssertionError(f"{path.name}: no markdown cell contains {marker!r}")


def stream_text(cell):
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_notebook_05_two_spots_of_different_sizes_give_blobs_of_different_sizes():
    text, code = cell_after(NOTEBOOKS / "05_hessian_vector_products.ipynb", "Two spots of different sizes")
    widths = [float(w) for w in re.findall(r"width \$([\d.]+)\$", text)]
    assert widths == [1.0, 0.5], text
    radii = re.search(r"radii \[([\d.]+) ([\d.]+)\]", stream_text(code))
    assert radii, stream_text(code)
    measured = np.array([float(r) for r in radii.groups()])
    # The text says: a radius close to sqrt(2)·width around each centre; so the blobs differ in size.
    np.testing.assert_allclose(measured, np.sqrt(2) * np.array(widths), rtol=0.06)
    assert measured[0] > 1.8 * measured[1]


def test_notebook_05_two_spots_map_is_fine_enough_and_its_colour_scale_clips_neither_blob(monkeypatch):
    """The map shows what the text says: both blobs, each with its edge, on a grid fine enough for the small one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = NOTEBOOKS / "05_hessian_vector_products.ipynb"
    namespace = {}
    for marker in ("Gaussian spot of width", "The map below evaluates the Laplacian", "Two spots of different sizes"):
        _, code = cell_after(path, marker)
        source = code.source.replace('laplacian_map(spot, "Laplacian of a Gaussian spot")', "")
        if marker.startswith("Two spots"):
            source = source.split("line = ")[0]  # the definition of two_spots; the map is drawn below
        exec("import numpy as np\nimport backpropnb as bp\n" + source, namespace)
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    namespace["laplacian_map"](namespace["two_spots"], "two spots")
    (figure,) = shown
    axes = figure.axes[0]
    (image,) = axes.images
    values = image.get_array()
    step = 6.0 / (values.shape[0] - 1)
    assert step <= 0.1, "the width-0.5 spot's blob (radius 0.71) needs 14 or more samples across"
    # the deepest centre is -2/0.5² = -8, the shallow one -2: the scale must reach both, clipping neither
    assert values.min() < -7.5 and image.norm.vmin <= values.min() and image.norm.vmax >= values.max()
    assert image.norm(-2.0) < 0.25, "the shallow blob's centre must be clearly coloured, not washed out"
    assert axes.collections, "each blob's edge (Laplacian = 0) is drawn as a line"
    plt.close(figure)


def test_notebook_06_prints_the_training_time_instead_of_promising_one():
    notebook = nbformat.read(NOTEBOOKS / "06_train_a_network.ipynb", as_version=4)
    intro = next(c.source for c in notebook.cells if c.cell_type == "markdown")  # after the install cell
    assert "the training cell prints how" in intro and "a few seconds" in intro
    printed = [stream_text(c) for c in notebook.cells if c.cell_type == "code" and "steps took" in stream_text(c)]
    seconds = [float(s) for text in printed for s in re.findall(r"steps took ([\d.]+) s\)", text)]
    assert len(seconds) == 2, printed  # the reader sees what it costs on their machine (never asserted here)
