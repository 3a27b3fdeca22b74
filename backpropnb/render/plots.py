"""matplotlib figures for the lessons on Jacobians, Hessian-vector products and training.

Every ``plot_*`` function returns a ``matplotlib.figure.Figure`` and never shows
it: Jupyter displays a Figure left last in a cell, exactly once. (pyplot makes
each figure, so that Jupyter's inline backend is loaded and knows how to show
it, and it is closed at once, so pyplot does not show it a second time at the
end of the cell and no global figure list grows.)

Every figure also carries the numbers it draws in ``figure.backpropnb_data``, a
plain dict documented on each function, so that tests and the explorers'
``snapshot()`` can read what the picture shows without looking at pixels.

>>> figure = plot_jacobian([[1.0, 0.0], [0.0, 1.0]])
>>> figure.backpropnb_data["sparsity"]
0.5
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import MaxNLocator

import backpropnb
from backpropnb.formatting import format_number as _sig
from backpropnb.lecture import LAYER_BATCH as REFERENCE_BATCH  # the lecture's layer: 4096 wide, a batch of 100
from backpropnb.lecture import LAYER_WIDTH as REFERENCE_WIDTH

_DTYPE_NAMES = {2: "float16", 4: "float32", 8: "float64"}
_ARROW_COLOURS = {"gradient": "#d62728", "v": "white", "hvp": "#ff8c00"}
# Thinner arrows sit on top, so v stays visible when H·v points the same way.
_ARROW_STYLE = {"gradient": (0.010, 4), "v": (0.007, 5), "hvp": (0.014, 3)}


# ----------------------------------------------------------------------
# Pure helpers (numbers only, no drawing)
# ----------------------------------------------------------------------


def jacobian_matrix(J, x_ndim=None):
    """The Jacobian as a 2-D matrix of shape (y.size, x.size).

    ``backpropnb.jacobian`` returns shape ``y.shape + x.shape``; ``x_ndim`` says how
    many trailing axes belong to x (default: half of them, or a 1-D J is one row).

    >>> jacobian_matrix(np.zeros((2, 3, 2, 3))).shape
    (6, 6)
    """
    J = np.asarray(getattr(J, "data", J), dtype=float)
    if J.ndim == 2 and x_ndim is None:
        return J
    if J.ndim <= 1:
        return J.reshape(1, -1)
    if x_ndim is None:
        if J.ndim % 2:
            raise ValueError(
                f"plot_jacobian: a Jacobian of shape {J.shape} has an odd number of axes, so it is unclear which "
                f"belong to x; pass x_ndim (the number of axes of x)"
            )
        x_ndim = J.ndim // 2
    if not 0 <= x_ndim <= J.ndim:
        raise ValueError(f"plot_jacobian: x_ndim={x_ndim} does not fit a Jacobian of shape {J.shape}")
    rows = int(np.prod(J.shape[: J.ndim - x_ndim]))
    return J.reshape(rows, -1)


def sparsity(J):
    """The share of entries of ``J`` that are exactly zero (0 for an empty array).

    >>> sparsity(np.diag([1.0, 1.0, 0.0, 1.0]))
    0.8125
    """
    J = np.asarray(getattr(J, "data", J))
    return float(np.count_nonzero(J == 0) / J.size) if J.size else 0.0


def jacobian_memory(width, batch=REFERENCE_BATCH, itemsize=4):
    """Entries and bytes of the explicit Jacobian of an elementwise layer versus its implicit VJP.

    The layer maps ``batch * width`` numbers to as many, so its Jacobian has
    ``(batch * width) ** 2`` entries; the vector-Jacobian product only needs two
    vectors of ``batch * width`` numbers (the upstream gradient in, the downstream out).

    >>> jacobian_memory(4096, batch=100, itemsize=4)
    {'entries': 167772160000, 'explicit_bytes': 671088640000, 'implicit_bytes': 3276800}
    """
    size = int(batch) * int(width)
    entries = size * size
    return {"entries": entries, "explicit_bytes": entries * int(itemsize), "implicit_bytes": 2 * size * int(itemsize)}


def format_bytes(count):
    """A byte count in decimal units with 3 significant digits (1 GB = 10**9 bytes).

    >>> format_bytes(671_088_640_000), format_bytes(1_342_177_280_000), format_bytes(512)
    ('671 GB', '1.34 TB', '512 B')
    """
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(value) < 999.5 or unit == "PB":
            return f"{value:.3g} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def dtype_name(itemsize):
    """The float type with that many bytes per number.

    >>> dtype_name(4)
    'float32'
    """
    return _DTYPE_NAMES.get(int(itemsize), f"{itemsize}-byte")


def _new_figure(figsize, layout=None):
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=figsize, layout=layout)
    plt.close(figure)  # shown only when returned, never again by pyplot
    return figure


# ----------------------------------------------------------------------
# The explicit Jacobian as a heat map
# ----------------------------------------------------------------------


def plot_jacobian(J, *, title=None, x_ndim=None):
    """Heat map of an explicit Jacobian, with its share of zeros; the colours are centred at 0.

    ``figure.backpropnb_data`` holds ``matrix`` (the 2-D array drawn), ``shape``,
    ``zeros`` (how many entries are 0), ``sparsity`` (their share) and ``limit``
    (the colour scale runs from -limit to +limit).

    >>> J = backpropnb.jacobian(lambda x: x.relu())(np.array([1.0, 3.0, -2.0, 4.0]))
    >>> plot_jacobian(J).backpropnb_data["zeros"]
    13
    """
    matrix = jacobian_matrix(J, x_ndim)
    share = sparsity(matrix)
    zeros = int(np.count_nonzero(matrix == 0))
    limit = float(np.abs(matrix).max()) if matrix.size else 0.0
    limit = limit or 1.0  # an all-zero Jacobian still needs a colour scale
    figure = _new_figure((4.8, 4.0))  # no layout engine: the PNG is cropped with bbox_inches="tight"
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    figure.colorbar(image, ax=axes, shrink=0.85)
    if matrix.size <= 64:  # small enough to print every entry in its cell
        _annotate_cells(axes, matrix, limit)
    rows, cols = matrix.shape
    heading = title or f"Jacobian ({rows} × {cols})"
    axes.set_title(f"{heading}\n{zeros} of {matrix.size} entries are zero ({share:.1%})", fontsize=10)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("input index j  (x_j)")
    axes.set_ylabel("output index i  (y_i)")
    figure.backpropnb_data = {
        "matrix": matrix,
        "shape": matrix.shape,
        "zeros": zeros,
        "sparsity": share,
        "limit": limit,
    }
    return figure


def _annotate_cells(axes, matrix, limit):
    for (i, j), value in np.ndenumerate(matrix):
        colour = "white" if abs(value) > 0.6 * limit else "black"
        axes.text(j, i, _sig(value, 3), ha="center", va="center", fontsize=7, color=colour)


# ----------------------------------------------------------------------
# Memory: explicit Jacobian versus implicit VJP
# ----------------------------------------------------------------------


def plot_jacobian_memory(widths=(16, 64, 256, 1024, 4096, 16384), batch=REFERENCE_BATCH, dtype_bytes=(4, 8)):
    """Memory of the explicit Jacobian versus the implicit VJP of an elementwise layer as it widens (log scale).

    The 4096-wide layer with a batch of 100 is marked.
    ``figure.backpropnb_data`` holds ``widths``, ``batch``, ``explicit_bytes`` and
    ``implicit_bytes`` (each a dict from bytes per number to a list aligned with
    ``widths``) and ``reference`` (``jacobian_memory`` of the marked layer per itemsize).

    >>> data = plot_jacobian_memory().backpropnb_data
    >>> data["reference"][4]["explicit_bytes"], format_bytes(data["reference"][8]["explicit_bytes"])
    (671088640000, '1.34 TB')
    """
    widths = sorted({int(w) for w in widths} | {REFERENCE_WIDTH})
    explicit = {b: [jacobian_memory(w, batch, b)["explicit_bytes"] for w in widths] for b in dtype_bytes}
    implicit = {b: [jacobian_memory(w, batch, b)["implicit_bytes"] for w in widths] for b in dtype_bytes}
    reference = {b: jacobian_memory(REFERENCE_WIDTH, REFERENCE_BATCH, b) for b in dtype_bytes}
    figure = _new_figure((6.4, 4.2), layout="constrained")
    axes = figure.subplots()
    for b in dtype_bytes:
        axes.loglog(widths, explicit[b], "o-", label=f"explicit Jacobian, {dtype_name(b)}")
        axes.loglog(widths, implicit[b], "s--", label=f"implicit VJP (2 vectors), {dtype_name(b)}")
    if batch == REFERENCE_BATCH:
        _mark_reference(axes, reference)
    axes.set_xlabel("layer width n")
    axes.set_ylabel("bytes")
    axes.set_title(f"Elementwise layer, batch {batch}: J has (batch·n)² entries", fontsize=10)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=7, loc="upper left")
    figure.backpropnb_data = {
        "widths": widths,
        "batch": int(batch),
        "explicit_bytes": explicit,
        "implicit_bytes": implicit,
        "reference": reference,
    }
    return figure


def _mark_reference(axes, reference):
    sizes = sorted(reference)
    first = reference[sizes[0]]
    side = REFERENCE_WIDTH * REFERENCE_BATCH
    for b in sizes:
        axes.plot([REFERENCE_WIDTH], [reference[b]["explicit_bytes"]], "*", color="black", markersize=13, zorder=5)
    memory = ", ".join(f"{format_bytes(reference[b]['explicit_bytes'])} {dtype_name(b)}" for b in sizes)
    text = f"n = {REFERENCE_WIDTH}, batch {REFERENCE_BATCH}:\n{side:,} × {side:,} = {first['entries']:.3g} entries\n{memory}"
    axes.annotate(
        text,
        xy=(REFERENCE_WIDTH, first["explicit_bytes"]),
        xytext=(0.40, 0.30),
        textcoords="axes fraction",
        fontsize=7,
        arrowprops={"arrowstyle": "->", "color": "black"},
        bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9},
    )


# ----------------------------------------------------------------------
# Contour plot with the gradient, a direction v and H v
# ----------------------------------------------------------------------


def evaluate_grid(f, bounds, resolution=60):
    """Values of a 2-D function on a ``resolution`` × ``resolution`` grid over ``bounds`` = (x0, x1, y0, y1).

    ``f`` is first called once on a Tensor of shape (2, H, W) (so ``p[0]``, ``p[1]`` are
    whole grids); if it does not broadcast that way it is called point by point.

    >>> X, Y, Z = evaluate_grid(lambda p: p[0] ** 2 + p[1] ** 2, (-1, 1, -1, 1), resolution=3)
    >>> Z.tolist()
    [[2.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 2.0]]
    """
    x0, x1, y0, y1 = (float(b) for b in bounds)
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    with backpropnb.no_grad():
        try:
            Z = np.asarray(f(backpropnb.tensor(np.stack([X, Y]))).data, dtype=float)
        except (ValueError, TypeError, IndexError):
            Z = None
        if Z is None or Z.shape != X.shape:  # f only understands one point: slower, same picture
            Z = np.array([float(f(backpropnb.tensor(p)).data) for p in np.stack([X.ravel(), Y.ravel()], axis=1)])
            Z = Z.reshape(X.shape)
    return X, Y, Z


def _arrow_scale(vectors, half_width):
    """One scale for all arrows, or None when their lengths differ too much to share one.

    True lengths are kept when they fit; otherwise all arrows shrink together. If
    the shortest nonzero arrow would then be too small to see, None asks for
    directions only (every arrow drawn the same length).
    """
    norms = [float(np.hypot(*v)) for v in vectors]
    nonzero = [n for n in norms if n > 0]
    if not nonzero:
        return 1.0
    scale = min(1.0, 0.6 * half_width / max(nonzero))
    return scale if scale * min(nonzero) >= 0.1 * half_width else None


def plot_contour_hvp(f, point, v, *, bounds=None, resolution=60, labels=("x", "y")):
    """Contour plot of a 2-D function with its gradient, a direction v and the product H·v drawn at ``point``.

    ``f`` takes a Tensor of shape (2,) and returns a 0-d Tensor; the gradient and
    H·v come from ``backpropnb.grad`` and ``backpropnb.hvp``. ``bounds`` is
    (x0, x1, y0, y1), by default a square of half-width 2 around the point;
    ``labels`` names the two coordinates on the axes.
    The arrows share one scale (given in the legend when it is not 1); when their
    lengths are too different for that, they show directions only.
    ``figure.backpropnb_data`` holds ``point``, ``v``, ``value`` (f at the point),
    ``gradient``, ``hvp``, ``bounds``, ``z_range`` (lowest and highest value on
    the grid), ``levels`` and ``arrow_scale`` (None for directions only).

    >>> data = plot_contour_hvp(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 1.0], [1.0, 0.0]).backpropnb_data
    >>> data["gradient"].tolist(), data["hvp"].tolist()
    ([2.0, 2.0], [2.0, 0.0])
    """
    point, v = np.asarray(point, dtype=float), np.asarray(v, dtype=float)
    if point.shape != (2,) or v.shape != (2,):
        raise ValueError(
            f"plot_contour_hvp: point and v must both have shape (2,), got {point.shape} and {v.shape}; "
            f"pass two numbers for each"
        )
    gradient = np.asarray(backpropnb.grad(f)(point), dtype=float)
    product = np.asarray(backpropnb.hvp(f)(point, v), dtype=float)
    with backpropnb.no_grad():
        value = float(f(backpropnb.tensor(point)).data)
    if bounds is None:
        bounds = (point[0] - 2, point[0] + 2, point[1] - 2, point[1] + 2)
    X, Y, Z = evaluate_grid(f, bounds, resolution)
    figure = _new_figure((5.2, 4.6))  # no layout engine: the PNG is cropped with bbox_inches="tight"
    axes = figure.subplots()
    levels = _contour_levels(Z)
    # Colours spread evenly over the levels, not over the values, so a steep valley still shows.
    norm = BoundaryNorm(levels, ncolors=256)
    filled = axes.contourf(X, Y, Z, levels=levels, cmap="viridis", norm=norm, alpha=0.85)
    axes.contour(X, Y, Z, levels=levels, colors="white", linewidths=0.5, alpha=0.6)
    figure.colorbar(filled, ax=axes, shrink=0.85, format="%.3g")
    arrows = {"gradient": gradient, "v": v, "hvp": product}
    half_width = min(bounds[1] - bounds[0], bounds[3] - bounds[2]) / 2
    scale = _arrow_scale(arrows.values(), half_width)
    _draw_arrows(axes, point, arrows, scale, half_width)
    axes.set_xlim(bounds[0], bounds[1])
    axes.set_ylim(bounds[2], bounds[3])
    axes.set_aspect("equal", adjustable="box")
    axes.set_xlabel(labels[0])
    axes.set_ylabel(labels[1])
    axes.set_title(f"f = {_sig(value)} at ({_sig(point[0])}, {_sig(point[1])})", fontsize=10)
    figure.backpropnb_data = {
        "point": point,
        "v": v,
        "value": value,
        "gradient": gradient,
        "hvp": product,
        "bounds": tuple(float(b) for b in bounds),
        "z_range": (float(Z.min()), float(Z.max())),
        "levels": levels,
        "arrow_scale": scale,
    }
    return figure


def _contour_levels(Z, count=16):
    # Quantile levels follow the data, so steep functions (Rosenbrock) still show their valley.
    levels = np.unique(np.quantile(Z, np.linspace(0, 1, count)))
    return levels if levels.size > 1 else np.array([levels[0] - 1, levels[0] + 1])


def _draw_arrows(axes, point, arrows, scale, half_width):
    labels = {"gradient": "∇f", "v": "v", "hvp": "H·v"}
    for key, vector in arrows.items():
        text = f"{labels[key]} = ({_sig(vector[0])}, {_sig(vector[1])})"
        length = float(np.hypot(*vector))
        if length == 0:  # a zero vector still gets its legend entry
            axes.plot([], [], color=_ARROW_COLOURS[key], label=text + ", zero")
            continue
        dx, dy = vector * (scale if scale is not None else 0.5 * half_width / length)
        width, zorder = _ARROW_STYLE[key]
        axes.quiver(
            *point,
            dx,
            dy,
            angles="xy",
            scale_units="xy",
            scale=1,
            color=_ARROW_COLOURS[key],
            edgecolor="black",
            linewidth=0.6,
            label=text,
            width=width,
            zorder=zorder,
        )
    axes.plot(*point, "o", color="white", markeredgecolor="black", zorder=5)
    if scale is None:
        heading = "arrows show directions only"
    else:
        heading = None if scale == 1 else f"arrows drawn ×{_sig(scale, 2)}"
    axes.legend(fontsize=7, loc="upper left", framealpha=0.9, title=heading, title_fontsize=7)


# ----------------------------------------------------------------------
# Training curve
# ----------------------------------------------------------------------


def plot_training_curve(losses, *, accuracies=None, title=None, log=False, xlabel="step"):
    """The loss per step (or epoch), and the accuracy in a second panel when given.

    ``log=True`` puts the loss on a log scale. ``figure.backpropnb_data`` holds
    ``steps``, ``losses``, ``accuracies`` (or None), ``final_loss`` and ``best_loss``.

    >>> plot_training_curve([1.0, 0.5, 0.25]).backpropnb_data["best_loss"]
    0.25
    """
    losses = np.asarray(losses, dtype=float).ravel()
    if losses.size == 0:
        raise ValueError("plot_training_curve: losses is empty; pass at least one loss value")
    steps = np.arange(1, losses.size + 1)
    panels = 1 if accuracies is None else 2
    figure = _new_figure((4.6 * panels, 3.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, panels))
    axes[0].plot(steps, losses, color="#1f77b4", marker="o" if losses.size <= 30 else None, markersize=3)
    axes[0].set_xlabel(xlabel)
    axes[0].set_ylabel("loss")
    if log and np.all(losses > 0):
        axes[0].set_yscale("log")
    axes[0].set_title(title or f"loss: {_sig(losses[-1])} after {losses.size} {xlabel}s", fontsize=10)
    axes[0].grid(True, alpha=0.3)
    data = {"steps": steps, "losses": losses, "accuracies": None, "final_loss": float(losses[-1])}
    data["best_loss"] = float(losses.min())
    if accuracies is not None:
        accuracies = np.asarray(accuracies, dtype=float).ravel()
        axes[1].plot(np.arange(1, accuracies.size + 1), accuracies, color="#2ca02c")
        axes[1].set_xlabel(xlabel)
        axes[1].set_ylabel("accuracy")
        axes[1].set_title(f"accuracy: {_sig(accuracies[-1])}" if accuracies.size else "accuracy", fontsize=10)
        axes[1].grid(True, alpha=0.3)
        data["accuracies"] = accuracies
    figure.backpropnb_data = data
    return figure
