"""The stored outputs of notebook 07 (the playground) say what is true, in both editions; notebook 06's live
curve is saved with a picture of its last state.

nbval proves that a re-run repeats the stored outputs; these tests check the stored numbers themselves.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EDITIONS = [
    p
    for p in (NOTEBOOKS / "07_training_from_the_inside.ipynb", NOTEBOOKS / "ko" / "07_training_from_the_inside.ipynb")
    if p.exists()
]


def printed(path, marker):
    """The printed text of the one code cell whose source contains ``marker``."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells contain {marker!r}"
    return "".join(o.get("text", "") for o in cells[0].outputs if o.output_type == "stream")


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", text)]


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_training_from_code_lowers_the_loss(path):
    rows = printed(path, "view.step(300)").splitlines()
    assert [row.split(":")[0] for row in rows] == ["step   0", "step 100", "step 200", "step 300"]
    train = [numbers(row)[0] for row in rows]
    assert train[0] == pytest.approx(0.7084, abs=1e-4) and train == sorted(train, reverse=True) and train[-1] < 0.1


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_the_large_learning_rate_bounces(path):
    good, large = printed(path, "for rate in (0.3, 10.0):").splitlines()
    assert numbers(good)[-1] < 0.1 and numbers(large)[-1] > 5 * numbers(good)[-1] and numbers(large)[-2] > 3.0


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_features_beat_depth(path):
    lines = printed(path, "def test_loss(steps=300, **settings):").splitlines()
    plain, squares, deep, sines = (numbers(line)[-1] for line in lines)
    assert squares < 0.1 < plain and sines < 0.3 < deep < 0.75


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_sigmoid_gradients_vanish_and_relu_ones_do_not(path):
    text = printed(path, 'for activation in ("sigmoid", "relu"):')
    rows = [numbers(line) for line in text.splitlines() if line.startswith("W")]
    sigmoid, relu = [r[0] for r in rows], [r[1] for r in rows]
    assert len(rows) == 7 and sigmoid == sorted(sigmoid)  # every layer nearer the inputs gets less
    assert sigmoid[0] / sigmoid[-1] < 1e-3 and relu[0] / relu[-1] > 0.5
    ratio = re.search(r"sigmoid ([\d.e+-]+), relu ([\d.]+)", text)
    assert float(ratio.group(1)) == pytest.approx(sigmoid[0] / sigmoid[-1], rel=0.05)


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_one_weights_gradient_four_ways(path):
    derivation = printed(path, "explained = small.explain_weight(0, 1, 2)")
    products = [numbers(line) for line in derivation.splitlines() if re.match(r"^ +(example|예제) +\d+:", line)]
    assert len(products) == 10 and all(p == pytest.approx(u * a, rel=2e-3, abs=1e-9) for u, a, p in products)
    total = numbers(derivation.splitlines()[-1])
    assert sum(p for _, _, p in products) == pytest.approx(total[0], rel=1e-3) and total[0] == total[1]
    ways = [numbers(line)[-1] for line in printed(path, "by_hand = sum(").splitlines()]
    assert len(ways) == 4 and ways[0] == ways[1] == ways[2] and ways[3] == pytest.approx(ways[0], rel=1e-6)
    assert ways[0] == pytest.approx(total[0], rel=1e-3)


@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_l2_adds_rate_times_weight(path):
    lines = printed(path, "with_l2 = regular.explain_weight(0, 1, 2)").splitlines()
    data, reg, total = (numbers(line)[0] for line in lines[:3])
    assert total == pytest.approx(data + reg, abs=2e-5)
    rate, weight, product = numbers(lines[3])
    assert (
        rate == 0.03 and product == pytest.approx(rate * weight, abs=1e-6) and reg == pytest.approx(product, rel=1e-3)
    )


@pytest.mark.parametrize("name", ["06_train_a_network.ipynb", "ko/06_train_a_network.ipynb"])
def test_notebook_06_saves_a_picture_of_its_last_training_curve(name):
    from PIL import Image

    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    (cell,) = [c for c in cells if c.cell_type == "code" and c.source.startswith("def accuracy(")]
    (shown,) = [o for o in cell.outputs if o.output_type == "display_data"]
    page = shown.data["text/html"]
    assert "training: 300" in page  # the progress bar at its end, not at 0
    (png,) = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    width, height = Image.open(io.BytesIO(base64.b64decode(png))).size
    assert width > 300 and height > 200  # the curve itself, not the empty image of the first frame
