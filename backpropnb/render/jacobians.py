"""The Jacobian plots: an explicit Jacobian as a heat map, and its memory against the VJP's as a layer widens.

>>> figure = plot_jacobian([[1.0, 0.0], [0.0, 1.0]])
>>> figure.backpropnb_data["sparsity"]
0.5
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import SymLogNorm
from matplotlib.ticker import MaxNLocator

from ..formatting import dtype_name, format_bytes, format_number, format_share
from ..functional import jacobian_matrix, sparsity
from ..i18n import text as _text
from ..lecture import LAYER_BATCH as REFERENCE_BATCH  # the lecture's layer: 4096 wide, a batch of 100
from ..lecture import LAYER_WIDTH as REFERENCE_WIDTH
from ..lecture import jacobian_memory
from .figures import FONT_SIZE, new_figure

_ZERO_COLOUR = "#b3b3b3"  # exact zeros of a Jacobian: grey, apart from every nonzero colour


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

    >>> from backpropnb.functional import jacobian
    >>> J = jacobian(lambda x: x.relu())(np.array([1.0, 3.0, -2.0, 4.0]))
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
    figure = new_figure((4.8, 4.0))
    figure.subplots_adjust(left=0.14, right=0.97, bottom=0.13, top=0.86)
    axes = figure.subplots()
    cmap = _jacobian_colours()
    norm = SymLogNorm(linthresh=linear_below, linscale=0.3, vmin=-limit, vmax=limit, base=10)
    image = axes.imshow(np.ma.masked_equal(matrix, 0.0), cmap=cmap, norm=norm, interpolation="nearest")
    colourbar = figure.colorbar(image, ax=axes, shrink=0.85, pad=0.03)
    top = 10.0 ** np.floor(np.log10(limit))  # two decades apart, so the labels never crowd
    inner = [top / 100] if top / 100 >= 2 * linear_below else []
    ticks = [-top] + [-t for t in inner] + [0.0] + inner + [top]
    colourbar.set_ticks(ticks, labels=[format_number(tick, 2) for tick in ticks])  # plain text: no mathtext to typeset
    colourbar.minorticks_off()  # a log axis would draw dozens of minor ticks: slow and busy
    colourbar.ax.tick_params(labelsize=FONT_SIZE)
    numbers = _annotate_cells(axes, figure, matrix, norm)
    rows, cols = matrix.shape
    heading = title or _text("render.jacobian_title", rows=rows, cols=cols)
    zero_line = _text("render.jacobian_zeros", zeros=zeros, size=matrix.size, share=format_share(share))
    axes.set_title(f"{heading}\n{zero_line}", fontsize=10)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_xlabel(_text("render.input_index"), fontsize=FONT_SIZE)
    axes.set_ylabel(_text("render.output_index"), fontsize=FONT_SIZE)
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
    labels = np.vectorize(lambda value: format_number(value, 3))(matrix) if matrix.size else np.array([])
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
    figure = new_figure((6.4, 4.2), layout="constrained")
    axes = figure.subplots()
    for b in dtype_bytes:
        axes.loglog(widths, explicit[b], "o-", label=_text("render.memory_explicit", dtype=dtype_name(b)))
        axes.loglog(widths, implicit[b], "s--", label=_text("render.memory_implicit", dtype=dtype_name(b)))
    if batch == REFERENCE_BATCH:
        _mark_reference(axes, reference)
    axes.set_xlabel(_text("render.layer_width"), fontsize=FONT_SIZE + 1)
    axes.set_ylabel(_text("render.bytes"), fontsize=FONT_SIZE + 1)
    axes.tick_params(labelsize=FONT_SIZE)
    axes.set_title(_text("render.memory_title", batch=batch), fontsize=11)
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
    entries = f"{first['entries']:.3g}"
    text = _text(
        "render.memory_reference", width=REFERENCE_WIDTH, batch=REFERENCE_BATCH, side=f"{side:,}", entries=entries
    )
    text += f"\n{memory}"
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
