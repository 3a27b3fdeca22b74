"""HVPExplorer: reference curvature numbers, H·v three ways, and every control driven headless."""

import numpy as np
import pytest

import backpropnb as bp
from backpropnb.formatting import format_number
from backpropnb.render.plots import plot_contour_hvp
from backpropnb.widgets.hvp import (
    FUNCTIONS,
    HVPExplorer,
    curvature_verdict,
    finite_difference_hvp,
    hvp_report,
    neuron_loss,
)


def test_bowl_at_1_1_gradient_2_2_hessian_2I_minimum():
    report = hvp_report("bowl", (1.0, 1.0), (1.0, 0.0))
    np.testing.assert_allclose(report["gradient"], [2.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(report["hessian"], 2 * np.eye(2), atol=1e-12)
    np.testing.assert_allclose(report["eigenvalues"], [2.0, 2.0], atol=1e-12)
    assert report["value"] == 2.0
    assert report["verdict"] == "minimum-like (bowl)"


def test_saddle_eigenvalues_2_and_minus_2():
    report = hvp_report("saddle", (1.0, 1.0), (0.0, 1.0))
    np.testing.assert_allclose(report["eigenvalues"], [-2.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(report["gradient"], [2.0, -2.0], atol=1e-12)
    np.testing.assert_allclose(report["hvp_double_backprop"], [0.0, -2.0], atol=1e-12)
    assert report["verdict"] == "saddle"


def test_rosenbrock_hessian_at_its_minimum():
    report = hvp_report("rosenbrock", (1.0, 1.0), (1.0, 1.0))
    np.testing.assert_allclose(report["hessian"], [[802.0, -400.0], [-400.0, 200.0]], rtol=1e-12)
    np.testing.assert_allclose(report["gradient"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(report["hvp_double_backprop"], [402.0, -200.0], rtol=1e-12)
    assert report["value"] == 0.0
    assert report["verdict"] == "minimum-like (bowl)"  # both eigenvalues positive (one is small)
    assert report["eigenvalues"].min() == pytest.approx(0.39936, rel=1e-4)


def test_curvature_verdicts():
    assert curvature_verdict([1.0, 3.0]) == "minimum-like (bowl)"
    assert curvature_verdict([-1.0, -3.0]).startswith("maximum")
    assert curvature_verdict([-1.0, 3.0]) == "saddle"
    assert curvature_verdict([0.0, 3.0]).startswith("flat")


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_hvp_three_ways_agree(name):
    rng = np.random.default_rng(7)
    for point, v in zip(rng.uniform(-2, 2, size=(4, 2)), rng.uniform(-2, 2, size=(4, 2))):
        report = hvp_report(name, point, v)
        scale = max(1.0, float(np.abs(report["hvp_hessian"]).max()))
        assert report["max_difference"] <= 1e-6 * scale
        np.testing.assert_allclose(report["hvp_double_backprop"], report["hvp_hessian"], atol=1e-10 * scale)
        np.testing.assert_allclose(report["hvp_finite_difference"], report["hvp_hessian"], atol=1e-6 * scale)


def test_neuron_loss_matches_its_definition_on_a_point_and_on_a_grid():
    from backpropnb.widgets.hvp import NEURON_INPUTS, NEURON_TARGETS

    def by_hand(w, b):
        return np.mean((1 / (1 + np.exp(-(w * NEURON_INPUTS + b))) - NEURON_TARGETS) ** 2)

    with bp.no_grad():
        assert float(neuron_loss(bp.tensor([0.5, -1.0])).data) == pytest.approx(by_hand(0.5, -1.0), rel=1e-12)
        grid = neuron_loss(bp.tensor(np.array([[[0.5, 1.0]], [[-1.0, 2.0]]]))).data
    np.testing.assert_allclose(grid, [[by_hand(0.5, -1.0), by_hand(1.0, 2.0)]], rtol=1e-12)
    assert bp.gradcheck(neuron_loss, np.array([0.3, -0.7])) < 1e-6


def test_finite_difference_of_gradients():
    result = finite_difference_hvp(lambda p: p[0] ** 3 * p[1], np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(result, [12.0, 3.0], rtol=1e-6)  # H = [[6xy, 3x²], [3x², 0]]


def test_explorer_default_snapshot_holds_the_reference_numbers():
    explorer = HVPExplorer()
    assert explorer.last_error is None
    assert set(explorer.controls) == {"function", "x", "y", "vx", "vy"}
    lines = explorer.snapshot().splitlines()
    assert "f = 2 at (x, y) = (1, 1), direction v = (1, 0)" in lines
    assert "gradient ∇f = (2, 2)" in lines
    assert "Hessian H = [[2, 0], [0, 2]]" in lines
    assert "eigenvalues of H: 2, 2 -> minimum-like (bowl)" in lines
    assert sum(line.startswith("H·v") and line.endswith("(2, 0)") for line in lines) == 3
    plot = [line for line in lines if line.startswith("plot arrows")]
    assert plot == [
        "plot arrows at (1, 1): gradient (2, 2), v (1, 0), H·v (2, 0); drawn ×0.5303; bottom to top: gradient, hvp, v"
    ]
    assert bytes(explorer.plot.value).startswith(b"\x89PNG")


def test_explorer_saddle_and_rosenbrock_through_the_controls():
    explorer = HVPExplorer()
    explorer.controls["function"].value = "saddle"
    assert "eigenvalues of H: -2, 2 -> saddle" in explorer.snapshot()
    explorer.controls["function"].value = "rosenbrock"
    snapshot = explorer.snapshot()
    assert "Hessian H = [[802, -400], [-400, 200]]" in snapshot
    assert "H·v by double backprop, grad(grad f · v):  (802, -400)" in snapshot
    assert "gradient ∇f = (0, 0)" in snapshot
    explorer.controls["x"].value = 0.0
    explorer.controls["y"].value = 0.0
    assert "gradient ∇f = (-2, 0)" in explorer.snapshot()


def test_every_control_at_its_extremes_and_every_function():
    explorer = HVPExplorer(function="rosenbrock")  # the steepest function, at the sliders' edges
    for bound in ("min", "max"):  # each slider moves alone, so the point reaches two opposite corners
        for control in ("x", "y", "vx", "vy"):
            slider = explorer.controls[control]
            slider.value = getattr(slider, bound)
            assert explorer.last_error is None, (control, bound, explorer.last_error)
            point = (explorer.controls["x"].value, explorer.controls["y"].value)
            gradient = hvp_report("rosenbrock", point, (0, 0))["gradient"]
            assert f"gradient ∇f = ({format_number(gradient[0])}, {format_number(gradient[1])})" in explorer.snapshot()
    assert "at (x, y) = (2.5, 2.5), direction v = (2, 2)" in explorer.snapshot()  # the sliders span the plot
    seen = set()
    for name in FUNCTIONS:
        explorer.controls["function"].value = name
        assert explorer.last_error is None, explorer.last_error
        seen.add(explorer.snapshot().splitlines()[0])
    assert len(seen) == len(FUNCTIONS)  # each function names itself
    explorer.controls["vx"].value = 0.0
    explorer.controls["vy"].value = 0.0
    assert explorer.last_error is None and "v (0, 0), H·v (0, 0)" in explorer.snapshot()


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_plots_at_every_corner_of_the_sliders(name):
    _, f, bounds, labels = FUNCTIONS[name]
    for x, y, vx, vy in [(-2, -2, -2, -2), (-2, 2, 2, -2), (2, -2, -2, 2), (2, 2, 2, 2)]:
        report = hvp_report(name, (x, y), (vx, vy))
        data = plot_contour_hvp(f, (x, y), (vx, vy), bounds=bounds, labels=labels).backpropnb_data
        np.testing.assert_allclose(data["gradient"], report["gradient"], rtol=1e-12)
        np.testing.assert_allclose(data["hvp"], report["hvp_hessian"], rtol=1e-9, atol=1e-12)
        assert data["z_range"][0] <= data["value"] <= data["z_range"][1]


def test_callback_errors_go_to_the_error_area(monkeypatch):
    import backpropnb.widgets.hvp as module

    explorer = HVPExplorer()

    def broken(*args, **kwargs):
        raise RuntimeError("boom <b>")

    monkeypatch.setattr(module, "hvp_report", broken)
    explorer.controls["x"].value = 0.5
    assert isinstance(explorer.last_error, RuntimeError)
    assert "boom &lt;b&gt;" in explorer.error_area.value
    monkeypatch.undo()
    explorer.controls["x"].value = 1.0
    assert explorer.last_error is None and explorer.error_area.value == ""


def _slider_state(explorer, key):
    control = explorer.controls[key]
    return control.description, control.min, control.max


def test_point_sliders_are_named_and_ranged_for_the_function_shown():
    explorer = HVPExplorer()
    assert _slider_state(explorer, "x") == ("x", -2.5, 2.5) and _slider_state(explorer, "y") == ("y", -2.5, 2.5)
    explorer.controls["function"].value = "neuron"  # the neuron's loss is a function of (w, b) over ±4
    assert _slider_state(explorer, "x") == ("w", -4.0, 4.0) and _slider_state(explorer, "y") == ("b", -4.0, 4.0)
    explorer.controls["x"].value = -4.0
    explorer.controls["y"].value = 3.5
    assert explorer.last_error is None
    assert "at (w, b) = (-4, 3.5)" in explorer.snapshot()
    explorer.controls["function"].value = "bowl"  # back to ±2.5: the point is clamped into the plot
    assert _slider_state(explorer, "x") == ("x", -2.5, 2.5)
    assert (explorer.controls["x"].value, explorer.controls["y"].value) == (-2.5, 2.5)
    assert "f = 12.5 at (x, y) = (-2.5, 2.5), direction v = (1, 0)" in explorer.snapshot()
    with pytest.raises(ValueError, match="x=3.0 is outside the range of its slider; pick a number from -2.5 to 2.5"):
        HVPExplorer(function="bowl", point=(3.0, 0.0))
    assert HVPExplorer(function="neuron", point=(3.0, -4.0)).last_error is None


def test_text_shows_sentences_and_snapshot_keeps_the_plot_numbers():
    explorer = HVPExplorer()
    shown = explorer.lines
    assert not any(line.startswith("plot") for line in shown)
    assert shown[-1] == "arrows: red ∇f, white v, orange H·v, all drawn at 0.5303 × their length so that they fit"
    assert (
        "plot: contours over (x0, x1, y0, y1) = (-2.5, 2.5, -2.5, 2.5), values 0.003591 to 12.5" in explorer.snapshot()
    )


def _pixel(rgba, axes, xy):
    x, y = axes.transData.transform(xy)
    return rgba[int(round(rgba.shape[0] - y)), int(round(x)), :3] / 255


def test_v_stays_visible_on_top_of_a_parallel_h_v():
    from backpropnb.render.plots import ContourHVP

    # Bowl at (1, 1) with v = (1, 0): H·v = 2v points the same way and is twice as long.
    plot = ContourHVP(bowl_function(), (-2.5, 2.5, -2.5, 2.5))
    figure = plot.draw((1.0, 1.0), (1.0, 0.0))
    scale = figure.backpropnb_data["arrow_scale"]
    rgba = _decode(plot.png())
    # Along v's shaft (a quarter of its drawn length): white, not the orange of H·v underneath.
    assert _pixel(rgba, plot.axes, (1.0 + 0.25 * scale, 1.0)).min() > 0.9
    # Beyond v's head, H·v goes on in orange.
    red, green, blue = _pixel(rgba, plot.axes, (1.0 + 1.6 * scale, 1.0))
    assert red > 0.9 and 0.4 < green < 0.7 and blue < 0.2
    assert figure.backpropnb_data["arrow_order"] == ["gradient", "hvp", "v"]


def bowl_function():
    return FUNCTIONS["bowl"][1]


def _decode(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_repainting_the_arrows_gives_the_same_picture_as_drawing_it_all():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backpropnb.render.plots import ContourHVP

    plot = ContourHVP(FUNCTIONS["rosenbrock"][1], (-2.5, 2.5, -2.5, 2.5))
    for point, v in [((1.0, 1.0), (1.0, 0.0)), ((-1.5, 2.0), (0.5, -1.0)), ((0.3, -0.2), (0.0, 2.0))]:
        figure = plot.draw(point, v)
        repainted = _decode(plot.png())
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba())
    assert repainted.shape == full.shape
    assert np.abs(repainted[..., :3].astype(int) - full[..., :3].astype(int)).max() <= 2  # no stale arrow left


def _significant_digits(value):
    text = f"{abs(value):.10g}".replace(".", "").lstrip("0").rstrip("0")
    return len(text)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_colour_bar_ticks_are_round_numbers(name):
    explorer = HVPExplorer(function=name)
    plot = explorer._contour(name)
    colourbar = plot.figure.axes[1]
    ticks = [tick for tick in colourbar.get_yticks() if colourbar.get_ylim()[0] <= tick <= colourbar.get_ylim()[1]]
    assert len(ticks) >= 4
    assert all(_significant_digits(tick) <= 2 for tick in ticks), ticks
    levels = plot.levels
    assert levels[0] <= plot.z_range[0] and levels[-1] >= plot.z_range[1]  # every value has a colour


def test_contours_are_drawn_once_per_function():
    explorer = HVPExplorer()
    first = explorer._contour("bowl")
    for x in (0.5, -0.5, 1.5):
        explorer.controls["x"].value = x
    explorer.controls["function"].value = "saddle"
    explorer.controls["function"].value = "bowl"
    assert explorer._contour("bowl") is first and len(explorer._plots) == 2
