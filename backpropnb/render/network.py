"""The network playground's pictures: the decision boundary, the network with its neurons' maps, the curves.

Each drawing is an SVG string made from plain numbers (the maths lives in
``backpropnb.playground``), small enough to redraw many times a second: heat
maps are tiny PNGs inside the SVG, stretched smoothly by the browser. The
colours are TensorFlow Playground's: blue for positive values and label 1,
orange for negative values and label 0. ``playground_figure`` draws the same
state with matplotlib, for a PNG snapshot.

>>> svg = boundary_svg((-6, 6, -6, 6), np.full((4, 4), 0.5), np.zeros((1, 2)), np.array([1]), np.zeros((0, 2)), np.array([]))
>>> svg.startswith("<svg") and svg.count("<circle") == 1
True
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np

from ..formatting import format_number
from ..i18n import text

BLUE = np.array([8, 119, 189], dtype=float)  # positive, label 1
ORANGE = np.array([245, 147, 34], dtype=float)  # negative, label 0
MIDDLE = np.array([232, 234, 235], dtype=float)
BLUE_HEX, ORANGE_HEX = "#0877bd", "#f59322"
FONT = "font-family:sans-serif; font-size:11px"


def colours(values):
    """RGB bytes for values in [-1, 1]: orange at -1, light grey at 0, blue at +1 (clipped outside).

    >>> colours(np.array([-1.0, 0.0, 1.0])).tolist()
    [[245, 147, 34], [232, 234, 235], [8, 119, 189]]
    """
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=float)), -1.0, 1.0)[..., None]
    rgb = np.where(v >= 0, MIDDLE + v * (BLUE - MIDDLE), MIDDLE + (-v) * (ORANGE - MIDDLE))
    return np.rint(rgb).astype(np.uint8)


def heatmap_png(values):
    """A 2-D array of values in [-1, 1] as PNG bytes, one pixel per value (see ``colours``).

    >>> heatmap_png(np.zeros((3, 3)))[:4]
    b'\\x89PNG'
    """
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(colours(values), "RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _image(values, x, y, width, height, extra=""):
    data = base64.b64encode(heatmap_png(values)).decode("ascii")
    return (
        f"<image x='{x:.1f}' y='{y:.1f}' width='{width:.1f}' height='{height:.1f}' preserveAspectRatio='none' "
        f"href='data:image/png;base64,{data}'{extra}/>"
    )


def boundary_svg(extent, probability, train_points, train_labels, test_points, test_labels, *, size=300):
    """The decision boundary: the probability of label 1 over the plane as colour, the points on it.

    ``probability`` is a grid (row 0 at the top) over ``extent`` = (x1 low,
    high, x2 low, high); training points have a white rim, test points a black one.

    >>> svg = boundary_svg((-1, 1, -1, 1), np.eye(2), np.zeros((0, 2)), [], np.ones((1, 2)), [0])
    >>> "stroke='#000'" in svg
    True
    """
    x_low, x_high, y_low, y_high = extent
    pad_left, pad_bottom, pad_top, pad_right = 30, 20, 6, 6
    width, height = size + pad_left + pad_right, size + pad_top + pad_bottom
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' style='{FONT}'>",
        _image(2.0 * np.asarray(probability) - 1.0, pad_left, pad_top, size, size),
    ]

    def to_pixels(points):
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        px = pad_left + (points[:, 0] - x_low) / (x_high - x_low) * size
        py = pad_top + (y_high - points[:, 1]) / (y_high - y_low) * size
        return px, py

    for points, labels, rim in ((train_points, train_labels, "#fff"), (test_points, test_labels, "#000")):
        px, py = to_pixels(points)
        for x, y, label in zip(px, py, np.asarray(labels).ravel()):
            fill = BLUE_HEX if label == 1 else ORANGE_HEX
            parts.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.2' fill='{fill}' stroke='{rim}' stroke-width='1'/>")
    for k in range(5):
        fraction = k / 4
        xv, yv = x_low + fraction * (x_high - x_low), y_high - fraction * (y_high - y_low)
        parts.append(
            f"<text x='{pad_left + fraction * size:.1f}' y='{height - 5}' text-anchor='middle'>{format_number(xv, 2)}</text>"
        )
        parts.append(
            f"<text x='{pad_left - 4}' y='{pad_top + fraction * size + 4:.1f}' text-anchor='end'>{format_number(yv, 2)}</text>"
        )
    parts.append(f"<rect x='{pad_left}' y='{pad_top}' width='{size}' height='{size}' fill='none' stroke='#888'/>")
    parts.append("</svg>")
    return "".join(parts)


def neuron_scale(maps, kind):
    """Values of one neuron's map brought into [-1, 1] for colour: by its activation's range or its largest size.

    ``kind`` is ``"sigmoid"`` or ``"probability"`` (values in [0, 1], so 2v - 1), anything else divides by
    the largest |value|.

    >>> neuron_scale(np.array([0.0, 0.5, 1.0]), "sigmoid").tolist(), neuron_scale(np.array([-2.0, 1.0]), "tanh").tolist()
    ([-1.0, 0.0, 1.0], [-1.0, 0.5])
    """
    maps = np.asarray(maps, dtype=float)
    if kind in ("sigmoid", "probability"):
        return 2.0 * maps - 1.0
    largest = float(np.max(np.abs(maps))) if maps.size else 0.0
    return maps / largest if largest > 0 else maps


def network_svg(names, maps, edge_values, *, activation="tanh", mode="forward", selected=None, width=560, cell=34):
    """The network: one column of neurons per layer, each showing its value over the input plane, joined by its weights.

    ``names[k]`` are the neurons of layer k (the features first, ``out`` last),
    ``maps[k]`` their grids of values (``width_k × r × r``), ``edge_values[k]``
    the ``width_k × width_{k+1}`` numbers drawn on the weights: the weights
    themselves (mode ``"forward"``) or their gradients (``"backward"``). An
    edge's colour is its sign (blue +, orange -), its thickness its size
    against the largest in the picture. ``selected`` = (layer, i, j) rings one weight.

    >>> svg = network_svg([["x1"], ["out"]], [np.zeros((1, 2, 2)), np.zeros((1, 2, 2))], [np.array([[0.5]])])
    >>> svg.count("<image"), svg.count("<path")
    (2, 1)
    """
    layers = len(names)
    column = (width - 70) / max(layers - 1, 1)
    tallest = max(len(layer) for layer in names)
    row = cell + 14
    height = 26 + tallest * row + 16
    positions = []
    for k, layer in enumerate(names):
        x = 50 + k * column - cell / 2
        top = 26 + (tallest - len(layer)) * row / 2
        positions.append([(x, top + n * row) for n in range(len(layer))])
    largest = max((float(np.max(np.abs(v))) for v in edge_values if np.size(v)), default=0.0)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' style='{FONT}'>"
    ]
    edges = []
    for k, values in enumerate(edge_values):
        values = np.asarray(values, dtype=float)
        for i, (x0, y0) in enumerate(positions[k]):
            for j, (x1, y1) in enumerate(positions[k + 1]):
                value = float(values[i, j])
                share = abs(value) / largest if largest > 0 else 0.0
                stroke = BLUE_HEX if value > 0 else ORANGE_HEX if value < 0 else "#bbb"
                start_x, start_y, end_x, end_y = x0 + cell, y0 + cell / 2, x1, y1 + cell / 2
                middle = (start_x + end_x) / 2
                path = f"M{start_x:.1f},{start_y:.1f} C{middle:.1f},{start_y:.1f} {middle:.1f},{end_y:.1f} {end_x:.1f},{end_y:.1f}"
                tip = html.escape(f"W{k}[{i}, {j}] {names[k][i]} → {names[k + 1][j]}: {format_number(value)}")
                is_selected = selected is not None and tuple(selected) == (k, i, j)
                if is_selected:
                    edges.append(f"<path d='{path}' fill='none' stroke='#222' stroke-width='{2 + 6 * share + 3:.2f}'/>")
                edges.append(
                    f"<path d='{path}' fill='none' stroke='{stroke}' stroke-width='{0.5 + 6 * share:.2f}' "
                    f"stroke-opacity='{0.35 + 0.65 * share:.2f}'><title>{tip}</title></path>"
                )
    parts += edges
    last = layers - 1
    for k, layer in enumerate(names):
        kind = "features" if k == 0 else "probability" if k == last else activation
        for n, name in enumerate(layer):
            x, y = positions[k][n]
            parts.append(_image(neuron_scale(maps[k][n], kind), x, y, cell, cell))
            parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{cell}' height='{cell}' fill='none' stroke='#555'/>")
            label_x, anchor = (x - 4, "end") if k == 0 else (x + cell / 2, "middle")
            label_y = y + cell / 2 + 4 if k == 0 else y + cell + 11
            parts.append(f"<text x='{label_x:.1f}' y='{label_y:.1f}' text-anchor='{anchor}'>{html.escape(name)}</text>")
    for k in range(layers):
        title = (
            text("playground.inputs")
            if k == 0
            else text("playground.output")
            if k == last
            else text("playground.layer", k=k)
        )
        parts.append(
            f"<text x='{50 + k * column:.1f}' y='14' text-anchor='middle' font-weight='bold'>{html.escape(title)}</text>"
        )
    key = text("playground.edges_forward") if mode == "forward" else text("playground.edges_backward")
    parts.append(
        f"<text x='4' y='{height - 3}' fill='#444'>{html.escape(key)} · {text('playground.largest')} {format_number(largest)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def curves_svg(history, norm_history, *, width=300, height=150):
    """Two small charts: train and test loss per step, and each layer's weight-gradient norm (log scale).

    >>> svg = curves_svg([{"step": 0, "train_loss": 0.7, "test_loss": 0.8}, {"step": 1, "train_loss": 0.6, "test_loss": 0.7}], [[0.1, 0.01]])
    >>> svg.count("<polyline")
    4
    """
    steps = np.array([h["step"] for h in history], dtype=float)
    train = np.array([h["train_loss"] for h in history], dtype=float)
    test = np.array([h["test_loss"] for h in history], dtype=float)
    panel = height - 34
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{2 * height}' viewBox='0 0 {width} {2 * height}' style='{FONT}'>"
    ]
    left, right = 38, width - 6

    def polyline(xs, ys, low, high, top, colour, dash=""):
        span_x = max(xs.max() - xs.min(), 1.0) if xs.size else 1.0
        px = left + (xs - (xs.min() if xs.size else 0)) / span_x * (right - left)
        py = top + panel - (ys - low) / (high - low if high > low else 1.0) * panel
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py) if np.isfinite(y))
        return f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='1.6'{dash}/>"

    top = 16
    finite = np.concatenate([train[np.isfinite(train)], test[np.isfinite(test)]])
    high = float(finite.max()) if finite.size else 1.0
    parts.append(f"<text x='{left}' y='11' font-weight='bold'>{html.escape(text('playground.loss_title'))}</text>")
    parts.append(
        f"<text x='{right}' y='11' text-anchor='end'><tspan fill='#333'>{html.escape(text('playground.train'))} "
        f"{format_number(train[-1], 3)}</tspan>  <tspan fill='#999'>{html.escape(text('playground.test'))} {format_number(test[-1], 3)}</tspan></text>"
    )
    parts.append(polyline(steps, train, 0.0, high, top, "#333"))
    parts.append(polyline(steps, test, 0.0, high, top, "#999", " stroke-dasharray='4 2'"))
    parts.append(f"<text x='{left - 4}' y='{top + 8}' text-anchor='end'>{format_number(high, 2)}</text>")
    parts.append(f"<text x='{left - 4}' y='{top + panel}' text-anchor='end'>0</text>")
    parts.append(
        f"<text x='{right}' y='{top + panel + 12}' text-anchor='end'>{text('playground.step')} {int(steps[-1])}</text>"
    )
    top = height + 16
    parts.append(
        f"<text x='{left}' y='{height + 11}' font-weight='bold'>{html.escape(text('playground.norms_title'))}</text>"
    )
    norms = np.asarray(norm_history, dtype=float)
    if norms.size:
        logs = np.log10(np.maximum(norms, 1e-12))
        low, high = float(np.floor(logs.min())), float(np.ceil(logs.max()))
        high = high if high > low else low + 1
        xs = steps[1 : 1 + len(norms)]
        palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
        for k in range(norms.shape[1]):
            parts.append(polyline(xs, logs[:, k], low, high, top, palette[k % len(palette)]))
            parts.append(
                f"<text x='{right - 2 - 34 * (norms.shape[1] - 1 - k)}' y='{top + panel + 12}' text-anchor='end' "
                f"fill='{palette[k % len(palette)]}'>W{k}</text>"
            )
        parts.append(f"<text x='{left - 4}' y='{top + 8}' text-anchor='end'>1e{int(high)}</text>")
        parts.append(f"<text x='{left - 4}' y='{top + panel}' text-anchor='end'>1e{int(low)}</text>")
    else:
        parts.append(
            f"<text x='{left}' y='{top + panel / 2}' fill='#888'>{html.escape(text('playground.no_step'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def playground_figure(
    extent, names, maps, edge_values, history, norm_history, points, *, activation="tanh", mode="forward"
):
    """The playground's state as one matplotlib figure: boundary, network, loss and gradient norms.

    ``points`` is ``(train_points, train_labels, test_points, test_labels)``; the
    other arguments are those of ``boundary_svg``, ``network_svg`` and ``curves_svg``.

    >>> f = playground_figure((-1, 1, -1, 1), [["x1"], ["out"]], [np.zeros((1, 2, 2)), np.full((1, 2, 2), 0.5)],
    ...     [np.array([[1.0]])], [{"step": 0, "train_loss": 0.7, "test_loss": 0.7}], [], (np.zeros((1, 2)), [1], np.zeros((0, 2)), []))
    >>> len(f.axes)
    4
    """
    from matplotlib.colors import LinearSegmentedColormap

    from .figures import new_figure

    cmap = LinearSegmentedColormap.from_list("playground", [ORANGE / 255, MIDDLE / 255, BLUE / 255])
    figure = new_figure((10.6, 4.2), layout="constrained")  # 954 px at 90 dpi: fits a ~970 px notebook column
    grid = figure.add_gridspec(2, 3, width_ratios=[1.6, 1.1, 1.0])
    net = figure.add_subplot(grid[:, 0])
    boundary = figure.add_subplot(grid[:, 1])
    loss_axes, norm_axes = figure.add_subplot(grid[0, 2]), figure.add_subplot(grid[1, 2])
    # the network
    layers = len(names)
    tallest = max(len(layer) for layer in names)
    largest = max((float(np.max(np.abs(v))) for v in edge_values if np.size(v)), default=0.0)
    centre = [[(k, -(n + (tallest - len(layer)) / 2)) for n in range(len(layer))] for k, layer in enumerate(names)]
    for k, values in enumerate(edge_values):
        for i, (x0, y0) in enumerate(centre[k]):
            for j, (x1, y1) in enumerate(centre[k + 1]):
                value = float(values[i, j])
                share = abs(value) / largest if largest > 0 else 0.0
                colour = BLUE_HEX if value > 0 else ORANGE_HEX if value < 0 else "#bbbbbb"
                net.plot(
                    [x0 + 0.18, x1 - 0.18],
                    [y0, y1],
                    color=colour,
                    linewidth=0.4 + 4 * share,
                    alpha=0.35 + 0.65 * share,
                    zorder=1,
                )
    last = layers - 1
    for k, layer in enumerate(names):
        kind = "features" if k == 0 else "probability" if k == last else activation
        for n, name in enumerate(layer):
            x, y = centre[k][n]
            net.imshow(
                neuron_scale(maps[k][n], kind),
                cmap=cmap,
                vmin=-1,
                vmax=1,
                extent=(x - 0.2, x + 0.2, y - 0.2, y + 0.2),
                zorder=2,
            )
            net.text(x, y - 0.25, name, ha="center", va="top", fontsize=8)
    net.set_xlim(-0.5, layers - 0.5)
    net.set_ylim(-tallest + 0.35, 0.65)
    net.set_aspect("equal")
    net.axis("off")
    key = text("playground.edges_forward") if mode == "forward" else text("playground.edges_backward")
    net.set_title(key, fontsize=9)
    # the boundary
    boundary.imshow(2 * np.asarray(maps[-1][0]) - 1, cmap=cmap, vmin=-1, vmax=1, extent=extent, aspect="auto")
    train_points, train_labels, test_points, test_labels = points
    for xy, labels, rim in ((train_points, train_labels, "white"), (test_points, test_labels, "black")):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        colour = [BLUE_HEX if label == 1 else ORANGE_HEX for label in np.asarray(labels).ravel()]
        boundary.scatter(xy[:, 0], xy[:, 1], c=colour, edgecolors=rim, linewidths=0.8, s=18)
    boundary.set_xlim(extent[0], extent[1])
    boundary.set_ylim(extent[2], extent[3])
    boundary.set_title(text("playground.boundary_title"), fontsize=9)
    # the curves
    steps = [h["step"] for h in history]
    loss_axes.plot(steps, [h["train_loss"] for h in history], color="#333", label=text("playground.train"))
    loss_axes.plot(
        steps, [h["test_loss"] for h in history], color="#999", linestyle="--", label=text("playground.test")
    )
    loss_axes.set_title(text("playground.loss_title"), fontsize=9)
    loss_axes.legend(fontsize=7)
    norms = np.asarray(norm_history, dtype=float)
    if norms.size:
        for k in range(norms.shape[1]):
            norm_axes.semilogy(steps[1 : 1 + len(norms)], np.maximum(norms[:, k], 1e-12), label=f"W{k}")
        norm_axes.legend(fontsize=7, ncol=min(norms.shape[1], 4))
    norm_axes.set_title(text("playground.norms_title"), fontsize=9)
    norm_axes.set_xlabel(text("playground.step"), fontsize=8)
    return figure
