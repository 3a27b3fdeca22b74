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

import io

import numpy as np
from matplotlib.colors import BoundaryNorm, SymLogNorm
from matplotlib.ticker import MaxNLocator

from backpropnb.formatting import format_number as _sig
from backpropnb.lecture import LAYER_BATCH as REFERENCE_BATCH  # the lecture's layer: 4096 wide, a batch of 100
from backpropnb.lecture import LAYER_WIDTH as REFERENCE_WIDTH

from .. import engine, functional

_DTYPE_NAMES = {2: "float16", 4: "float32", 8: "float64"}
_ARROW_COLOURS = {"gradient": "#d62728", "v": "white", "hvp": "#ff8c00"}
_ARROW_WIDTHS = {"gradient": 0.010, "v": 0.010, "hvp": 0.014}
_ZERO_COLOUR = "#b3b3b3"  # exact zeros of a Jacobian: grey, apart from every nonzero colour
FONT_SIZE = 9  # points; the smallest text in any figure (legends, annotations, cell numbers included)
PNG_DPI = 90  # the explorers' PNGs are shown at their own size, one image pixel per screen pixel


# ----------------------------------------------------------------------
# Pure helpers (numbers only, no drawing)
# ----------------------------------------------------------------------


def jacobian_matrix(J, x_ndim=None):
    """The Jacobian as a 2-D matrix of shape (y.size, x.size).

    ``functional.jacobian`` returns shape ``y.shape + x.shape``; ``x_ndim`` says how
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

    from .fonts import use_language_font

    use_language_font()  # Korean words need a font with Hangul (text reads rcParams when it is made)
    figure = plt.figure(figsize=figsize, layout=layout)
    plt.close(figure)  # shown only when returned, never again by pyplot
    return figure


def format_share(share):
    """A share as the percentage every plot title and explorer line shows (two decimals).

    >>> format_share(58 / 64), format_share(0.0)
    ('90.62%', '0.00%')
    """
    return f"{float(share):.2%}"


def png_bytes(figure, dpi=PNG_DPI):
    """PNG bytes of a figure drawn once with the Agg renderer (no second pass to crop it).

    The figures of this module set their own margins, so the picture needs no
    ``bbox_inches="tight"``, which would draw the figure twice.

    >>> png_bytes(plot_jacobian([[1.0]]))[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba()))


def png_size(png):
    """(width, height) in pixels of PNG bytes, read from the header.

    >>> png_size(encode_png(np.zeros((3, 5, 4), dtype=np.uint8)))
    (5, 3)
    """
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def encode_png(rgba):
    """PNG bytes of an RGBA pixel array (fast zlib level: the picture is sent to the browser at once)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


# ----------------------------------------------------------------------
# The explicit Jacobian as a heat map
# ----------------------------------------------------------------------


def plot_jacobian(J, *, title=None, x_ndim=None):
    """Heat map of an explicit Jacobian: exact zeros grey, every other entry coloured by sign and size.

    The colours run on a symmetric log scale centred at 0, so an entry a hundred
    times smaller than the largest one still shows its colour: softmax's small
    off-diagonal entries are visible, and only true zeros are grey. When the cells
    are large enough for their numbers, each cell shows its value.

    ``figure.backpropnb_data`` holds ``matrix`` (the 2-D array drawn), ``shape``,
    ``zeros`` (how many entries are 0), ``sparsity`` (their share), ``limit``
    (the colour scale runs from -limit to +limit), ``linear_below`` (the
    scale is linear for |J_ij| below it, logarithmic above), ``smallest_nonzero``
    (the smallest nonzero |J_ij|, or None) and ``numbers_in_cells`` (whether
    every cell shows its value).

    >>> J = functional.jacobian(lambda x: x.relu())(np.array([1.0, 3.0, -2.0, 4.0]))
    >>> plot_jacobian(J).backpropnb_data["zeros"]
    13
    """
    matrix = jacobian_matrix(J, x_ndim)
    share = sparsity(matrix)
    zeros = int(np.count_nonzero(matrix == 0))
    nonzero = np.abs(matrix[matrix != 0])
    limit = float(nonzero.max()) if nonzero.size else 1.0  # an all-zero Jacobian still needs a colour scale
    smallest = float(nonzero.min()) if nonzero.size else None
    # Logarithmic from just below the smallest nonzero entry (at most four decades), linear below that:
    # every nonzero entry is told apart by its size, and the smallest still gets a clear colour.
    linear_below = max(limit * 1e-4, 0.5 * smallest) if smallest else limit * 1e-4
    figure = _new_figure((4.8, 4.0))
    figure.subplots_adjust(left=0.14, right=0.97, bottom=0.13, top=0.86)
    axes = figure.subplots()
    cmap = _jacobian_colours()
    norm = SymLogNorm(linthresh=linear_below, linscale=0.3, vmin=-limit, vmax=limit, base=10)
    image = axes.imshow(np.ma.masked_equal(matrix, 0.0), cmap=cmap, norm=norm, interpolation="nearest")
    colourbar = figure.colorbar(image, ax=axes, shrink=0.85, pad=0.03)
    top = 10.0 ** np.floor(np.log10(limit))  # two decades apart, so the labels never crowd
    inner = [top / 100] if top / 100 >= 2 * linear_below else []
    ticks = [-top] + [-t for t in inner] + [0.0] + inner + [top]
    colourbar.set_ticks(ticks, labels=[_sig(tick, 2) for tick in ticks])  # plain text: no mathtext to typeset
    colourbar.minorticks_off()  # a log axis would draw dozens of minor ticks: slow and busy
    colourbar.ax.tick_params(labelsize=FONT_SIZE)
    numbers = _annotate_cells(axes, figure, matrix, norm)
    rows, cols = matrix.shape
    heading = title or f"Jacobian ({rows} × {cols})"
    axes.set_title(f"{heading}\n{zeros} of {matrix.size} entries are zero ({format_share(share)}, grey)", fontsize=10)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_xlabel("input index j  (x_j)", fontsize=FONT_SIZE)
    axes.set_ylabel("output index i  (y_i)", fontsize=FONT_SIZE)
    figure.backpropnb_data = {
        "matrix": matrix,
        "shape": matrix.shape,
        "zeros": zeros,
        "sparsity": share,
        "limit": limit,
        "linear_below": linear_below,
        "smallest_nonzero": smallest,
        "numbers_in_cells": numbers,
    }
    return figure


def _jacobian_colours():
    """Blues for negative entries, reds for positive ones, without the white middle of RdBu_r.

    Zero is drawn grey (the masked entries), so no nonzero entry, however small,
    gets a colour that could be mistaken for "nothing here".
    """
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    diverging = colormaps["RdBu_r"]
    colours = np.vstack([diverging(np.linspace(0.0, 0.36, 128)), diverging(np.linspace(0.64, 1.0, 128))])
    return ListedColormap(colours, name="jacobian").with_extremes(bad=_ZERO_COLOUR)


def _annotate_cells(axes, figure, matrix, norm):
    """Write each value in its cell if every label fits its cell at a readable size; True if written."""
    labels = np.vectorize(lambda value: _sig(value, 3))(matrix) if matrix.size else np.array([])
    if matrix.size == 0 or matrix.size > 100:
        return False
    # The axes box as drawn (square cells: imshow keeps the aspect), in points.
    box = axes.get_position()
    width_pt = box.width * figure.get_figwidth() * 72
    height_pt = box.height * figure.get_figheight() * 72
    rows, cols = matrix.shape
    cell = min(width_pt / cols, height_pt / rows)
    widest = max(len(label) for label in labels.ravel())
    # DejaVu Sans digits are 0.64 em wide; keep a fifth of the cell free between neighbours.
    size = min(FONT_SIZE + 1, 0.8 * cell / (0.64 * widest), 0.6 * cell)
    if size < FONT_SIZE:  # too small to read: the numbers are in the explorer's snapshot instead
        return False
    for (i, j), value in np.ndenumerate(matrix):
        strong = value != 0 and abs(norm(value) - 0.5) > 0.3  # a dark cell gets white text
        axes.text(j, i, labels[i, j], ha="center", va="center", fontsize=size, color="white" if strong else "black")
    return True


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
    axes.set_xlabel("layer width n", fontsize=FONT_SIZE + 1)
    axes.set_ylabel("bytes", fontsize=FONT_SIZE + 1)
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_title(f"Elementwise layer, batch {batch}: J has (batch·n)² entries", fontsize=11)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=FONT_SIZE, loc="upper left")
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
    # Lower right, between the steep explicit curves and the flat dashed VJP lines, clear of both.
    axes.annotate(
        text,
        xy=(REFERENCE_WIDTH, first["explicit_bytes"]),
        xytext=(0.88, 0.49),
        textcoords="axes fraction",
        ha="right",
        va="center",
        fontsize=FONT_SIZE,
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
    with engine.no_grad():
        try:
            Z = np.asarray(f(engine.tensor(np.stack([X, Y]))).data, dtype=float)
        except (ValueError, TypeError, IndexError):
            Z = None
        if Z is None or Z.shape != X.shape:  # f only understands one point: slower, same picture
            Z = np.array([float(f(engine.tensor(p)).data) for p in np.stack([X.ravel(), Y.ravel()], axis=1)])
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
    H·v come from ``functional.grad`` and ``functional.hvp``. ``bounds`` is
    (x0, x1, y0, y1), by default a square of half-width 2 around the point;
    ``labels`` names the two coordinates on the axes.
    The arrows share one scale (given in the legend when it is not 1); when their
    lengths are too different for that, they show directions only.
    ``figure.backpropnb_data`` holds ``point``, ``v``, ``value`` (f at the point),
    ``gradient``, ``hvp``, ``bounds``, ``z_range`` (lowest and highest value on
    the grid), ``levels``, ``arrow_scale`` (None for directions only) and
    ``arrow_order`` (the arrows from bottom to top).

    >>> data = plot_contour_hvp(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 1.0], [1.0, 0.0]).backpropnb_data
    >>> data["gradient"].tolist(), data["hvp"].tolist()
    ([2.0, 2.0], [2.0, 0.0])
    """
    point = _pair(point, v)[0]
    if bounds is None:
        bounds = (point[0] - 2, point[0] + 2, point[1] - 2, point[1] + 2)
    return ContourHVP(f, bounds, resolution=resolution, labels=labels).draw(point, v)


def _pair(point, v):
    point, v = np.asarray(point, dtype=float), np.asarray(v, dtype=float)
    if point.shape != (2,) or v.shape != (2,):
        raise ValueError(
            f"plot_contour_hvp: point and v must both have shape (2,), got {point.shape} and {v.shape}; "
            f"pass two numbers for each"
        )
    return point, v


class ContourHVP:
    """The contour plot of one 2-D function over fixed bounds, on which the arrows are redrawn again and again.

    The contours, the colour bar and the axes depend only on (f, bounds): they are
    drawn once. ``draw(point, v)`` replaces the arrows, the point and the title
    and returns the figure (with ``backpropnb_data`` as in ``plot_contour_hvp``);
    ``png()`` paints only those over the stored background, so an explorer that
    moves the point pays for the arrows, not for the contours.

    >>> plot = ContourHVP(lambda p: p[0] ** 2 + p[1] ** 2, (-2, 2, -2, 2))
    >>> plot.draw([1.0, 1.0], [1.0, 0.0]).backpropnb_data["hvp"].tolist()
    [2.0, 0.0]
    >>> plot.png()[:4]
    b'\x89PNG'
    """

    def __init__(self, f, bounds, *, resolution=60, labels=("x", "y")):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.f, self.bounds, self.labels = f, tuple(float(b) for b in bounds), tuple(labels)
        X, Y, Z = evaluate_grid(f, self.bounds, resolution)
        self.levels = _contour_levels(Z)
        self.z_range = (float(Z.min()), float(Z.max()))
        self.figure = figure = _new_figure((5.2, 4.6))
        self.canvas = FigureCanvasAgg(figure)
        figure.subplots_adjust(left=0.12, right=0.98, bottom=0.1, top=0.93)
        self.axes = axes = figure.subplots()
        # Colours spread evenly over the levels, not over the values, so a steep valley still shows.
        norm = BoundaryNorm(self.levels, ncolors=256)
        filled = axes.contourf(X, Y, Z, levels=self.levels, cmap="viridis", norm=norm, alpha=0.85)
        axes.contour(X, Y, Z, levels=self.levels, colors="white", linewidths=0.5, alpha=0.6)
        colourbar = figure.colorbar(filled, ax=axes, shrink=0.85, pad=0.03)
        colourbar.set_ticks(_colourbar_ticks(self.levels))
        colourbar.ax.tick_params(labelsize=FONT_SIZE)
        axes.set_xlim(self.bounds[0], self.bounds[1])
        axes.set_ylim(self.bounds[2], self.bounds[3])
        axes.set_aspect("equal", adjustable="box")
        axes.set_xlabel(self.labels[0], fontsize=FONT_SIZE + 1)
        axes.set_ylabel(self.labels[1], fontsize=FONT_SIZE + 1)
        axes.tick_params(labelsize=FONT_SIZE)
        # A plain text above the axes, not the axes title: matplotlib moves a title on a full draw only.
        self.title = axes.text(0.5, 1.015, "", transform=axes.transAxes, ha="center", va="bottom", fontsize=10)
        self._background, self._dpi, self._moving = None, None, []

    def draw(self, point, v, *, gradient=None, hvp=None, value=None):
        """Put the arrows for ``point`` and ``v`` on the plot (computed unless given); the figure."""
        point, v = _pair(point, v)
        f = self.f
        gradient = np.asarray(functional.grad(f)(point) if gradient is None else gradient, dtype=float)
        product = np.asarray(functional.hvp(f)(point, v) if hvp is None else hvp, dtype=float)
        if value is None:
            with engine.no_grad():
                value = float(f(engine.tensor(point)).data)
        for artist in self._moving:
            artist.remove()
        arrows = {"gradient": gradient, "v": v, "hvp": product}
        half_width = min(self.bounds[1] - self.bounds[0], self.bounds[3] - self.bounds[2]) / 2
        scale = _arrow_scale(arrows.values(), half_width)
        self._moving, order = _draw_arrows(self.axes, point, arrows, scale, half_width)
        self.title.set_text(f"f = {_sig(value)} at ({_sig(point[0])}, {_sig(point[1])})")
        self.figure.backpropnb_data = {
            "point": point,
            "v": v,
            "value": float(value),
            "gradient": gradient,
            "hvp": product,
            "bounds": self.bounds,
            "z_range": self.z_range,
            "levels": self.levels,
            "arrow_scale": scale,
            "arrow_order": order,
        }
        return self.figure

    def png(self, dpi=PNG_DPI):
        """PNG bytes of the plot as drawn last: the stored background with the arrows painted over it."""
        moving = self._moving + [self.title]
        if self._background is None or self._dpi != dpi:
            self.figure.set_dpi(dpi)
            for artist in moving:
                artist.set_visible(False)
            self.canvas.draw()
            self._background, self._dpi = self.canvas.copy_from_bbox(self.figure.bbox), dpi
            for artist in moving:
                artist.set_visible(True)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in sorted(moving, key=lambda artist: artist.get_zorder()):
            artist.draw(renderer)
        return encode_png(np.asarray(self.canvas.buffer_rgba()))


def _contour_levels(Z, count=14):
    """Round contour levels: evenly spaced, or 1-2-5 steps above the minimum when most of the plane is low.

    Quantile levels would follow the data but give odd colour-bar ticks (0.00359, 1.1,
    2.21 …); a 1-2-5 ladder still shows a steep function's valley (Rosenbrock).
    """
    low, high = float(Z.min()), float(Z.max())
    if not high > low:
        return np.array([low - 1, low + 1])
    if np.median(Z) - low < 0.1 * (high - low):  # steep: most values sit near the minimum
        spread = float(np.quantile(Z, 0.02)) - low
        unit = 10.0 ** np.floor(np.log10(max(spread, (high - low) * 1e-5)))
        base = np.floor(low / unit) * unit
        ladder = [base]
        k = 0
        while ladder[-1] < high:
            ladder.append(base + unit * (1, 2, 5)[k % 3] * 10 ** (k // 3))
            k += 1
        return np.unique([float(_sig(level, 2)) for level in ladder])
    levels = MaxNLocator(nbins=count, steps=[1, 2, 5, 10]).tick_values(low, high)
    return levels[(levels >= levels[levels <= low].max()) & (levels <= levels[levels >= high].min())]


def _colourbar_ticks(levels, most=8):
    """At most ``most`` of the levels: round ones (0 among them) when the levels are evenly spaced."""
    if len(levels) <= most:
        return levels
    if np.allclose(np.diff(levels), levels[1] - levels[0]):
        ticks = MaxNLocator(nbins=most - 1, steps=[1, 2, 5, 10]).tick_values(levels[0], levels[-1])
        return ticks[(ticks >= levels[0]) & (ticks <= levels[-1])]
    return levels[:: int(np.ceil(len(levels) / most))]


def _draw_arrows(axes, point, arrows, scale, half_width):
    """Draw the arrows, the point and the legend; return the artists made and the arrows from bottom to top.

    Longer arrows go underneath and shorter ones on top, so that when two point the
    same way (v and H·v on a bowl) the shorter one stays visible on the longer one.
    """
    names = {"gradient": "∇f", "v": "v", "hvp": "H·v"}
    drawn = {}
    for key, vector in arrows.items():
        length = float(np.hypot(*vector))
        drawn[key] = None if length == 0 else vector * (scale if scale is not None else 0.5 * half_width / length)
    order = sorted(arrows, key=lambda key: 0.0 if drawn[key] is None else -float(np.hypot(*drawn[key])))
    made = []
    for rank, key in enumerate(order):
        vector = arrows[key]
        text = f"{names[key]} = ({_sig(vector[0])}, {_sig(vector[1])})"
        if drawn[key] is None:  # a zero vector still gets its legend entry
            made += axes.plot([], [], color=_ARROW_COLOURS[key], label=text + ", zero")
            continue
        arrow = axes.quiver(
            *point,
            *drawn[key],
            angles="xy",
            scale_units="xy",
            scale=1,
            color=_ARROW_COLOURS[key],
            edgecolor="black",
            linewidth=0.7,
            label=text,
            width=_ARROW_WIDTHS[key],
            zorder=3 + rank,
        )
        made.append(arrow)
    made += axes.plot(*point, "o", color="white", markeredgecolor="black", zorder=7)
    if scale is None:
        heading = "arrows show directions only"
    else:
        heading = None if scale == 1 else f"arrows drawn ×{_sig(scale, 2)}"
    handles = sorted(made[:-1], key=lambda artist: list(arrows).index(_key_of(artist.get_label())))
    legend = axes.legend(
        handles=handles, fontsize=FONT_SIZE, loc="upper left", framealpha=0.9, title=heading, title_fontsize=FONT_SIZE
    )
    legend.set_zorder(8)
    made.append(legend)
    return made, order


def _key_of(label):
    return "gradient" if label.startswith("∇") else "hvp" if label.startswith("H") else "v"


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
