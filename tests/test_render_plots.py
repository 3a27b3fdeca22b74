"""The matplotlib figures: each returns a Figure whose recorded data holds the reference numbers."""

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pytest
from matplotlib.figure import Figure

import backpropnb as bp
from backpropnb.lecture import rosenbrock
from backpropnb.render.plots import (
    evaluate_grid,
    format_bytes,
    jacobian_matrix,
    jacobian_memory,
    plot_contour_hvp,
    plot_jacobian,
    plot_jacobian_memory,
    plot_training_curve,
    sparsity,
)

# ---------------------------------------------------------------- memory arithmetic (the lecture's 4096 × 100 layer)


def test_jacobian_memory_reference_numbers_exactly():
    float32 = jacobian_memory(4096, batch=100, itemsize=4)
    float64 = jacobian_memory(4096, batch=100, itemsize=8)
    assert float32["entries"] == float64["entries"] == 409_600 * 409_600 == 167_772_160_000
    assert float32["explicit_bytes"] == 671_088_640_000
    assert float64["explicit_bytes"] == 1_342_177_280_000
    assert float32["implicit_bytes"] == 2 * 409_600 * 4
    assert float64["implicit_bytes"] == 2 * 409_600 * 8
    assert format_bytes(float32["explicit_bytes"]) == "671 GB"
    assert format_bytes(float64["explicit_bytes"]) == "1.34 TB"
    assert f"{float32['entries']:.3g}" == "1.68e+11"


def test_format_bytes_units():
    assert [format_bytes(b) for b in (0, 999, 1000, 3_276_800, 10**18)] == [
        "0 B",
        "999 B",
        "1 kB",
        "3.28 MB",
        "1e+03 PB",
    ]


def test_plot_jacobian_memory_records_the_curves_and_marks_4096():
    figure = plot_jacobian_memory(widths=(16, 256), batch=100, dtype_bytes=(4, 8))
    data = figure.backpropnb_data
    assert isinstance(figure, Figure)
    assert data["widths"] == [16, 256, 4096]  # the marked width is always on the curve
    assert data["explicit_bytes"][4] == [(100 * w) ** 2 * 4 for w in (16, 256, 4096)]
    assert data["implicit_bytes"][8] == [2 * 100 * w * 8 for w in (16, 256, 4096)]
    assert data["reference"][4]["explicit_bytes"] == 671_088_640_000
    assert data["reference"][8]["explicit_bytes"] == 1_342_177_280_000
    axes = figure.axes[0]
    assert axes.get_yscale() == "log" and axes.get_xscale() == "log"
    annotation = " ".join(text.get_text() for text in axes.texts)
    assert "409,600 × 409,600" in annotation and "671 GB float32" in annotation and "1.34 TB float64" in annotation


# ---------------------------------------------------------------- Jacobian heat map


def test_plot_jacobian_of_relu_records_diag_1_1_0_1_and_its_zeros():
    J = bp.jacobian(lambda x: x.relu())(np.array([1.0, 3.0, -2.0, 4.0]))
    figure = plot_jacobian(J)
    data = figure.backpropnb_data
    np.testing.assert_array_equal(data["matrix"], np.diag([1.0, 1.0, 0.0, 1.0]))
    assert data["zeros"] == 13 and data["sparsity"] == 13 / 16
    image = figure.axes[0].images[0]
    assert image.get_clim() == (-1.0, 1.0)  # diverging colours centred at 0
    assert image.get_cmap().name == "jacobian"  # RdBu_r without its white middle: zero is grey
    assert "13 of 16 entries are zero (81.25%, grey)" in figure.axes[0].get_title()


def test_plot_jacobian_colour_scale_is_symmetric_and_title_used():
    figure = plot_jacobian(np.array([[0.5, -2.0], [0.0, 1.0]]), title="my J")
    assert figure.axes[0].images[0].get_clim() == (-2.0, 2.0)
    assert figure.axes[0].get_title().startswith("my J")
    assert plot_jacobian(np.zeros((2, 2))).backpropnb_data["limit"] == 1.0  # all zero still plots


def test_jacobian_matrix_reshapes_to_y_size_by_x_size():
    J = bp.jacobian(lambda x: x * 2.0)(np.ones((2, 3)))
    assert J.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(plot_jacobian(J).backpropnb_data["matrix"], 2 * np.eye(6))
    assert jacobian_matrix(np.zeros((5, 2, 3)), x_ndim=2).shape == (5, 6)
    assert jacobian_matrix(np.arange(3.0)).shape == (1, 3)
    with pytest.raises(ValueError, match=r"\(5, 2, 3\).*x_ndim"):
        jacobian_matrix(np.zeros((5, 2, 3)))
    assert sparsity(np.diag([1.0, 1.0, 0.0, 1.0])) == 13 / 16


# ---------------------------------------------------------------- contour plot with gradient, v and H v


def test_contour_bowl_at_1_1_records_gradient_2_2_and_hvp():
    figure = plot_contour_hvp(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 1.0], [1.0, 0.0])
    data = figure.backpropnb_data
    assert isinstance(figure, Figure)
    assert data["value"] == 2.0
    np.testing.assert_allclose(data["gradient"], [2.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(data["hvp"], [2.0, 0.0], atol=1e-12)
    assert data["bounds"] == (-1.0, 3.0, -1.0, 3.0)  # default: half-width 2 around the point
    low, high = data["z_range"]
    assert 0 <= low < 0.01 and high == 18.0  # the grid reaches (3, 3)
    assert len(figure.axes[0].get_legend().get_texts()) == 3


def test_contour_rosenbrock_hvp_matches_hessian_802_400():
    data = plot_contour_hvp(rosenbrock, [1.0, 1.0], [1.0, 0.0], bounds=(-2, 2, -1, 3)).backpropnb_data
    np.testing.assert_allclose(data["gradient"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(data["hvp"], [802.0, -400.0], rtol=1e-12)
    assert data["bounds"] == (-2.0, 2.0, -1.0, 3.0)
    assert data["arrow_scale"] is not None or np.hypot(*data["v"]) > 0


def test_contour_arrows_directions_only_when_lengths_differ_a_lot():
    data = plot_contour_hvp(rosenbrock, [0.5, 1.0], [1.0, 0.5], bounds=(-2.5, 2.5, -2.5, 2.5)).backpropnb_data
    assert data["arrow_scale"] is None
    data = plot_contour_hvp(lambda p: p[0] ** 2 - p[1] ** 2, [1.0, 1.0], [1.0, 0.0]).backpropnb_data
    assert data["arrow_scale"] == pytest.approx(0.6 * 2 / np.hypot(2, 2))


def test_evaluate_grid_falls_back_to_points_for_non_broadcasting_functions():
    def one_point_only(p):
        if p.shape != (2,):
            raise ValueError("one point at a time")
        return p.dot(p)

    X, Y, Z = evaluate_grid(one_point_only, (-1, 1, -2, 2), resolution=7)
    _, _, Z_vector = evaluate_grid(lambda p: p[0] ** 2 + p[1] ** 2, (-1, 1, -2, 2), resolution=7)
    np.testing.assert_allclose(Z, X**2 + Y**2, atol=1e-12)
    np.testing.assert_allclose(Z_vector, Z, atol=1e-12)


def test_contour_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3,\)"):
        plot_contour_hvp(lambda p: p.sum(), [1.0, 2.0, 3.0], [1.0, 0.0])


# ---------------------------------------------------------------- training curve


def test_training_curve_records_losses_and_accuracies():
    losses = [2.0, 1.0, 0.5, 0.25]
    figure = plot_training_curve(losses, accuracies=[0.5, 0.75, 1.0], log=True, title="training")
    data = figure.backpropnb_data
    np.testing.assert_array_equal(data["losses"], losses)
    np.testing.assert_array_equal(data["steps"], [1, 2, 3, 4])
    np.testing.assert_array_equal(data["accuracies"], [0.5, 0.75, 1.0])
    assert data["final_loss"] == 0.25 and data["best_loss"] == 0.25
    assert len(figure.axes) == 2 and figure.axes[0].get_yscale() == "log"
    np.testing.assert_array_equal(figure.axes[0].lines[0].get_ydata(), losses)
    assert figure.axes[0].get_title() == "training"


def test_training_curve_without_accuracies_and_bad_input():
    figure = plot_training_curve(np.array([3.0, 1.0]))
    assert len(figure.axes) == 1 and figure.backpropnb_data["accuracies"] is None
    assert figure.axes[0].get_yscale() == "linear"
    assert "1 after 2 steps" in figure.axes[0].get_title()
    with pytest.raises(ValueError, match="empty"):
        plot_training_curve([])


def test_plots_do_not_register_pyplot_figures():
    before = plt.get_fignums()
    plot_jacobian(np.eye(2))
    plot_training_curve([1.0])
    assert plt.get_fignums() == before  # nothing for pyplot to show twice in a notebook


def _drawn(figure):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def test_memory_plot_text_is_readable_and_its_note_covers_no_line():
    from backpropnb.render.plots import FONT_SIZE

    figure = plot_jacobian_memory()
    renderer = _drawn(figure)
    axes = figure.axes[0]
    texts = [t for t in figure.findobj(matplotlib.text.Text) if t.get_text().strip() and t.get_visible()]
    assert min(t.get_fontsize() for t in texts) >= FONT_SIZE  # was 7 pt: about 7 px high on the page
    (note,) = [t for t in axes.texts if "409,600" in t.get_text()]
    boxes = {"note": note.get_bbox_patch().get_window_extent(renderer), "legend": axes.get_legend().get_window_extent()}
    for line in axes.get_lines():
        path = line.get_transform().transform_path(line.get_path())
        for name, box in boxes.items():
            assert not path.intersects_bbox(box, filled=False), (name, line.get_label())


def test_every_plot_is_drawn_with_readable_text():
    from backpropnb.render.plots import FONT_SIZE, ContourHVP

    contour = ContourHVP(lambda p: p[0] ** 2 + p[1] ** 2, (-2, 2, -2, 2)).draw([1.0, 1.0], [1.0, 0.0])
    for figure in (plot_jacobian(np.diag([1.0, 0.0, 2.0])), plot_jacobian_memory(), contour):
        _drawn(figure)
        sizes = [t.get_fontsize() for t in figure.findobj(matplotlib.text.Text) if t.get_text().strip()]
        assert min(sizes) >= FONT_SIZE, figure
