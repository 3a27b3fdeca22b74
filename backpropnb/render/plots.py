"""The contour plot of a 2-D function with its gradient, a direction v and H·v; and every plot by its old address.

Each plot family has its module: the Jacobian heat map and memory plot in
:mod:`.jacobians`, the training curve in :mod:`.training`, PNG bytes in
:mod:`.png`, what every figure shares in :mod:`.figures`. Their names are
re-exported here, so ``from backpropnb.render.plots import plot_jacobian``
keeps working. The numbers a plot draws come from the layers below: the grid
of values and the arrows from :mod:`backpropnb.functional`, the memory from
:mod:`backpropnb.lecture`, the texts from :mod:`backpropnb.formatting`.

>>> data = plot_contour_hvp(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 1.0], [1.0, 0.0]).backpropnb_data
>>> data["value"], data["levels"][0]
(2.0, np.float64(0.0))
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import MaxNLocator

from ..formatting import dtype_name, format_bytes, format_number, format_share
from ..functional import evaluate_grid, jacobian_matrix, sparsity, value_grad_hvp
from ..i18n import text as _text
from ..lecture import LAYER_BATCH as REFERENCE_BATCH
from ..lecture import LAYER_WIDTH as REFERENCE_WIDTH
from ..lecture import jacobian_memory
from .figures import FONT_SIZE, new_figure
from .jacobians import _ZERO_COLOUR, plot_jacobian, plot_jacobian_memory
from .png import PNG_DPI, encode_png, png_bytes, png_size
from .training import plot_training_curve

__all__ = [  # the old addresses of the other families' names, kept for callers
    "FONT_SIZE",
    "PNG_DPI",
    "REFERENCE_BATCH",
    "REFERENCE_WIDTH",
    "_ZERO_COLOUR",
    "ContourHVP",
    "dtype_name",
    "encode_png",
    "evaluate_grid",
    "format_bytes",
    "format_share",
    "jacobian_matrix",
    "jacobian_memory",
    "plot_contour_hvp",
    "plot_jacobian",
    "plot_jacobian_memory",
    "plot_training_curve",
    "png_bytes",
    "png_size",
    "sparsity",
]

_ARROW_COLOURS = {"gradient": "#d62728", "v": "white", "hvp": "#ff8c00"}
_ARROW_WIDTHS = {"gradient": 0.010, "v": 0.010, "hvp": 0.014}


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
    H·v come from :func:`backpropnb.functional.value_grad_hvp`. ``bounds`` is
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
        self.figure = figure = new_figure((5.2, 4.6))
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
        if gradient is None or hvp is None or value is None:  # the numbers come from functional: this only draws
            computed = value_grad_hvp(self.f, point, v)
            value, gradient, hvp = (c if given is None else given for c, given in zip(computed, (value, gradient, hvp)))
        gradient, product = np.asarray(gradient, dtype=float), np.asarray(hvp, dtype=float)
        for artist in self._moving:
            artist.remove()
        arrows = {"gradient": gradient, "v": v, "hvp": product}
        half_width = min(self.bounds[1] - self.bounds[0], self.bounds[3] - self.bounds[2]) / 2
        scale = _arrow_scale(arrows.values(), half_width)
        self._moving, order = _draw_arrows(self.axes, point, arrows, scale, half_width)
        x, y = format_number(point[0]), format_number(point[1])
        self.title.set_text(_text("render.value_at", value=format_number(value), x=x, y=y))
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
        return np.unique([float(format_number(level, 2)) for level in ladder])
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
        text = f"{names[key]} = ({format_number(vector[0])}, {format_number(vector[1])})"
        if drawn[key] is None:  # a zero vector still gets its legend entry
            made += axes.plot([], [], color=_ARROW_COLOURS[key], label=text + _text("render.zero_arrow"))
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
        heading = _text("render.arrows_directions")
    else:
        heading = None if scale == 1 else _text("render.arrows_scaled", scale=format_number(scale, 2))
    handles = sorted(made[:-1], key=lambda artist: list(arrows).index(_key_of(artist.get_label())))
    legend = axes.legend(
        handles=handles, fontsize=FONT_SIZE, loc="upper left", framealpha=0.9, title=heading, title_fontsize=FONT_SIZE
    )
    legend.set_zorder(8)
    made.append(legend)
    return made, order


def _key_of(label):
    return "gradient" if label.startswith("∇") else "hvp" if label.startswith("H") else "v"
