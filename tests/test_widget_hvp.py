"""HVPExplorer: reference curvature numbers, H·v three ways, and every control driven headless."""

import numpy as np
import pytest

import backpropnb as bp
from backpropnb.render.plots import plot_contour_hvp
from backpropnb.widgets.base import fmt
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
    assert plot == ["plot arrows at (1, 1): gradient (2, 2), v (1, 0), H·v (2, 0); drawn ×0.5303"]
    assert bytes(explorer.plot.value).startswith(b"\x89PNG")


def test_explorer_saddle_and_rosenbrock_through_the_controls():
    explorer = HVPExplorer()
    explorer.controls["function"].value = "saddle"
    assert "eigenvalues of H: -2, 2 -> saddle" in explorer.snapshot()
    explorer.controls["function"].value = "rosenbrock"
    snapshot = explorer.snapshot()
    assert "Hessian H = [[802, -400], [-400, 200]]" in snapshot
    assert "H·v by double backprop, hvp(f)(x, v):  (802, -400)" in snapshot
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
            assert f"gradient ∇f = ({fmt(gradient[0])}, {fmt(gradient[1])})" in explorer.snapshot()
    assert "at (x, y) = (2, 2), direction v = (2, 2)" in explorer.snapshot()
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
