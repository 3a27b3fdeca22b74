"""JacobianExplorer: explicit Jacobians with reference values, memory arithmetic, every control driven headless."""

import numpy as np
import pytest

from backpropnb import lecture
from backpropnb.widgets.jacobian import (
    OPS,
    TIMINGS_HEADER,
    JacobianExplorer,
    fixed_input,
    fixed_weights,
    format_seconds,
    jacobian_report,
    report_lines,
)

X = lecture.RELU_X  # diag(1, 1, 0, 1)


def test_relu_jacobian_is_diag_1_1_0_1():
    report = jacobian_report("relu", X, timings=False)
    np.testing.assert_array_equal(report["jacobian"], np.diag([1.0, 1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(report["output"], [1.0, 3.0, 0.0, 4.0])
    assert report["zeros"] == 13 and report["sparsity"] == 13 / 16
    assert report["explicit_bytes"] == 16 * 8 and report["vjp_bytes"] == 2 * 4 * 8


def test_sigmoid_softmax_and_matmul_jacobians():
    s = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(jacobian_report("sigmoid", X, timings=False)["jacobian"], np.diag(s * (1 - s)))
    p = np.exp(X) / np.exp(X).sum()
    softmax = jacobian_report("softmax", X, timings=False)
    np.testing.assert_allclose(softmax["jacobian"], np.diag(p) - np.outer(p, p), atol=1e-15)
    np.testing.assert_allclose(softmax["jacobian"].sum(axis=0), 0.0, atol=1e-15)  # outputs always sum to 1
    matmul = jacobian_report("matmul W", X, timings=False)
    np.testing.assert_allclose(matmul["jacobian"], fixed_weights(4), rtol=1e-14)
    assert matmul["zeros"] == 0


def test_unknown_op_and_bad_input_are_explained():
    with pytest.raises(ValueError, match="unknown op 'tanh'"):
        jacobian_report("tanh", X)
    with pytest.raises(ValueError, match=r"1-D.*\(2, 2\)"):
        jacobian_report("relu", np.ones((2, 2)))


def test_report_lines_hold_the_4096_by_100_memory_arithmetic():
    lines = report_lines(jacobian_report("relu", X, timings=False))
    assert lines[2] == "Jacobian J = dy/dx: 4 × 4, 13 of 16 entries are zero (81.25%)"
    assert lines[3] == "off the diagonal: 0 of 12 entries are nonzero: each output depends on its own input only"
    assert lines[4] == "memory at n = 4 (float64): explicit J 128 B (16 numbers), one VJP 64 B (two vectors of 4)"
    assert "J is 409,600 × 409,600 = 167,772,160,000 entries (computed, never allocated)" in lines[5]
    assert lines[6] == "  explicit J: 671 GB in float32, 1.34 TB in float64"
    assert lines[7] == "  one VJP (two vectors of 409,600): 3.28 MB in float32, 6.55 MB in float64"


def test_timings_are_reported_separately():
    report = jacobian_report("sigmoid", fixed_input(5))
    assert report["explicit_seconds"] > 0 and report["vjp_seconds"] > 0
    assert report["reference_explicit_seconds"] == pytest.approx(409_600 * report["reference_vjp_seconds"])
    assert format_seconds(0.00042) == "420 µs" and format_seconds(1.5) == "1.5 s"


def test_explorer_snapshot_holds_the_heat_map_numbers_and_keeps_times_apart():
    explorer = JacobianExplorer(op="relu", n=4)
    assert explorer.last_error is None and set(explorer.controls) == {"op", "n"}
    x = fixed_input(4)
    text = explorer.snapshot(timings=False)
    assert TIMINGS_HEADER not in text
    rows = text.split("heat map (rows of J):\n")[1].splitlines()[:4]
    expected = np.diag((x > 0).astype(float))
    assert [[float(v) for v in row.split()] for row in rows] == expected.tolist()
    assert "  explicit J: 671 GB in float32, 1.34 TB in float64" in text
    full = explorer.snapshot()
    assert full.startswith(text) and full[len(text) :].lstrip("\n").startswith(TIMINGS_HEADER)
    assert JacobianExplorer(op="relu", n=4).snapshot(timings=False) == text  # deterministic without the times
    assert bytes(explorer.heat_map.value).startswith(b"\x89PNG")


def test_every_op_and_the_extremes_of_n():
    explorer = JacobianExplorer()
    slider = explorer.controls["n"]
    for op in OPS:
        explorer.controls["op"].value = op
        for n in (slider.min, slider.max):
            slider.value = n
            assert explorer.last_error is None, (op, n, explorer.last_error)
            first = explorer.snapshot(timings=False).splitlines()[0]
            assert first.startswith(f"op: {op}, width n = {n};")
    explorer.controls["op"].value = "relu"
    assert f"{slider.max} × {slider.max}" in explorer.snapshot(timings=False)


def test_callback_errors_go_to_the_error_area(monkeypatch):
    import backpropnb.widgets.jacobian as module

    explorer = JacobianExplorer(n=3)
    monkeypatch.setattr(module, "jacobian_report", lambda *a, **k: 1 / 0)
    explorer.controls["n"].value = 5
    assert isinstance(explorer.last_error, ZeroDivisionError)
    assert "ZeroDivisionError" in explorer.error_area.value


def test_softmax_at_64_is_dense_in_the_text_and_in_the_colours():
    import matplotlib.colors

    from backpropnb.render.plots import _ZERO_COLOUR, plot_jacobian

    explorer = JacobianExplorer(op="softmax", n=64)
    text = explorer.snapshot(timings=False)
    assert "4096 × 4096" not in text and "0 of 4096 entries are zero (0.00%)" in text
    assert (
        "off the diagonal: 4032 of 4032 entries are nonzero" in text and "every output depends on every input" in text
    )
    J = jacobian_report("softmax", fixed_input(64), timings=False)["jacobian"]
    image = plot_jacobian(J).axes[0].images[0]
    colours = image.to_rgba(image.get_array())[..., :3]
    off = ~np.eye(64, dtype=bool)
    grey = np.array(matplotlib.colors.to_rgb(_ZERO_COLOUR))
    # Every off-diagonal entry is small (|J_ij| < 0.1 × the diagonal) yet visibly coloured:
    # far from the grey of a zero and from white.
    assert np.abs(J[off]).max() < 0.1 * np.abs(np.diag(J)).max()
    assert np.linalg.norm(colours[off] - grey, axis=-1).min() > 0.15
    assert np.linalg.norm(colours[off] - 1.0, axis=-1).min() > 0.15
    relu = plot_jacobian(np.diag([1.0, 0.0, 2.0])).axes[0].images[0]
    relu_colours = relu.to_rgba(relu.get_array())[..., :3]
    np.testing.assert_allclose(relu_colours[~np.eye(3, dtype=bool)], np.tile(grey, (6, 1)), atol=1e-6)


def test_title_and_text_give_the_same_share_of_zeros():
    from backpropnb.render.plots import plot_jacobian

    J = jacobian_report("relu", fixed_input(8), timings=False)["jacobian"]
    title = plot_jacobian(J).axes[0].get_title()
    assert "58 of 64 entries are zero (90.62%" in title
    assert "58 of 64 entries are zero (90.62%)" in JacobianExplorer(n=8).snapshot(timings=False)


@pytest.mark.parametrize("op", OPS)
def test_numbers_in_the_cells_fit_their_cells_and_never_overlap(op):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backpropnb.render.plots import FONT_SIZE, plot_jacobian

    annotated = 0
    for n in range(2, 11):
        figure = plot_jacobian(jacobian_report(op, fixed_input(n), timings=False)["jacobian"])
        axes = figure.axes[0]
        if not figure.backpropnb_data["numbers_in_cells"]:
            assert len(axes.texts) == 0
            continue
        annotated += 1
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        cell = axes.transData.transform([[0, 0], [1, 1]])
        width, height = abs(cell[1] - cell[0])
        for text in axes.texts:
            assert text.get_fontsize() >= FONT_SIZE
            box = text.get_window_extent(renderer)
            assert box.width < 0.95 * width and box.height < 0.95 * height, (op, n, text.get_text())
    if op == "relu":
        assert annotated == 9  # "0" and "1" fit at every n up to 10


def test_explorer_shows_one_picture_at_its_own_size_and_caches_each_setting():
    from backpropnb.render.plots import png_size

    explorer = JacobianExplorer(n=8)
    images = [w for w in explorer.children[1].children if type(w).__name__ == "Image"]
    assert images == [explorer.heat_map]  # the memory plot is notebook 04's next cell, not shown twice
    png = explorer.heat_map.value
    assert explorer.heat_map.layout.width == f"{png_size(png)[0]}px"
    times = explorer.snapshot().split(TIMINGS_HEADER)[1]
    explorer.controls["n"].value = 9
    explorer.controls["op"].value = "softmax"
    explorer.controls["op"].value = "relu"
    explorer.controls["n"].value = 8
    assert bytes(explorer.heat_map.value) == bytes(png) and len(explorer._shown) == 3  # drawn once for (relu, 8)
    assert explorer.snapshot().split(TIMINGS_HEADER)[1] == times  # measured once for (relu, 8)
