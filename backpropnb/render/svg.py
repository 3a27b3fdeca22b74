"""From a Digraph to a picture that fits a notebook column, with a time limit and a fallback without dot.

``dot`` runs in a subprocess with a timeout (the graphviz package's ``pipe``
has none), so a layout can never hang a notebook. The SVG is sized for a
notebook column: shrunk to :data:`COLUMN_PX` wide when needed, but never so
much that 11 pt text becomes smaller than 11 px on screen.
"""

from __future__ import annotations

import html
import re

import graphviz

from . import _dot
from ._dot import DOT_TIMEOUT, LayoutTimeout

COLUMN_PX = 840  # a notebook output column: 848 px in JupyterLab at a 1280 px wide window, sidebar open
PX_PER_PT = 4 / 3  # SVG from dot is measured in points; a CSS pixel is 3/4 pt
MIN_SCALE = 0.75  # the smallest shrink that keeps 11 pt text at 11 px or more

INSTALL_HINT = (
    "Graphviz's dot program was not found, so the graph is shown as DOT source. "
    "To see the picture, install Graphviz: apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install graphviz "
    "(on Linux x86-64, macOS arm64 and Windows x86-64, pip install graphviz-pure is enough)."
)


def dot_svg(source, timeout=DOT_TIMEOUT):
    """Lay out DOT ``source`` with ``dot -Tsvg`` and return the SVG text, in at most ``timeout`` seconds.

    The ``dot`` is the system's, else the pip wheel's (see ``render/_dot.py``).
    Raises ``graphviz.ExecutableNotFound`` without dot, ``LayoutTimeout`` when
    the time is up (dot is killed) and ``graphviz.CalledProcessError`` when dot fails.

    >>> dot_svg("digraph { a -> b }").lstrip().startswith("<?xml")
    True
    """
    return _dot.pipe_svg(source, timeout=timeout)


def svg_size(svg):
    """The (width, height) of dot's SVG in points.

    >>> svg_size('<svg width="120pt" height="44pt" viewBox="0 0 120 44">')
    (120.0, 44.0)
    """
    match = re.search(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', svg)
    return (float(match.group(1)), float(match.group(2))) if match else (0.0, 0.0)


def scale_to_fit(width_pt, column_px=COLUMN_PX):
    """The shrink factor that fits a drawing ``width_pt`` wide into ``column_px`` (1 if it fits as it is).

    Below :data:`MIN_SCALE` the text would be too small to read; the caller
    then lays the graph out differently.

    >>> scale_to_fit(300), scale_to_fit(840)
    (1.0, 0.75)
    """
    width_px = width_pt * PX_PER_PT
    return 1.0 if width_px <= column_px else column_px / width_px


def sized(svg, scale):
    """The SVG with its width and height in pixels, ``scale`` times its natural size (the viewBox stays)."""
    width, height = svg_size(svg)
    if not width:
        return svg
    width_px, height_px = width * PX_PER_PT * scale, height * PX_PER_PT * scale
    return re.sub(
        r'(<svg[^>]*?\s)width="[\d.]+pt"([^>]*?\s)height="[\d.]+pt"',
        lambda m: f'{m.group(1)}width="{width_px:.0f}px"{m.group(2)}height="{height_px:.0f}px"',
        svg,
        count=1,
    )


def inline(svg):
    """SVG markup without the XML prolog and DOCTYPE, to put inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


class GraphDrawing(graphviz.Digraph):
    """A :class:`graphviz.Digraph` that shows itself fitted to a notebook column, or its source when dot is missing.

    ``draw`` lays the graph out once and keeps the picture; it is laid out
    again only if the source changes.
    """

    _laid_out = None  # (source, dot's SVG at its natural size)

    def natural_svg(self):
        """dot's SVG at its natural size, in points (raises when dot is missing, fails or times out)."""
        if self._laid_out is None or self._laid_out[0] != self.source:
            self._laid_out = (self.source, dot_svg(self.source))
        return self._laid_out[1]

    max_height_px = None  # set it to shrink a tall picture too (never below MIN_SCALE)

    fixed_scale = None  # set it to show a series of pictures (the stepper's) at one scale

    def scale(self):
        """How much the picture is shrunk to fit the column (and max_height_px): 1 if it fits, never below MIN_SCALE."""
        if self.fixed_scale is not None:
            return self.fixed_scale
        width, height = svg_size(self.natural_svg())
        scale = scale_to_fit(width)
        if self.max_height_px is not None:
            scale = min(scale, scale_to_fit(height, self.max_height_px))
        return max(MIN_SCALE, scale)

    def svg(self):
        """The SVG document sized to fit a notebook column (see :func:`scale_to_fit`)."""
        return sized(self.natural_svg(), self.scale())

    def pipe(self, *args, **kwargs):
        with _dot.graphviz_uses_found_dot() as wheel:  # pip install alone: the wheel's dot draws
            return super().pipe(*args, **({"quiet": True} if wheel else {}) | kwargs)

    def render(self, *args, **kwargs):
        with _dot.graphviz_uses_found_dot() as wheel:
            return super().render(*args, **({"quiet": True} if wheel else {}) | kwargs)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return {"image/svg+xml": self.svg()}
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, LayoutTimeout, OSError) as error:
            return {"text/html": fallback_html(self, error), "text/plain": self.source}


def fallback_html(digraph, error=None):
    """The DOT source in a <pre>, under one line saying how to get the picture.

    >>> page = fallback_html(graphviz.Digraph(body=["a -> b"]))
    >>> "apt-get install graphviz" in page and "a -&gt; b" in page
    True
    """
    hint = INSTALL_HINT
    if error is not None and not isinstance(error, graphviz.ExecutableNotFound):
        hint = f"Graphviz could not draw this graph ({type(error).__name__}); here is its DOT source."
    return f"<div class='backpropnb-graph'><p>{html.escape(hint)}</p><pre>{html.escape(digraph.source)}</pre></div>"


def to_html(digraph):
    """Inline SVG markup of a drawing (no XML prolog), or the DOT source with install advice if dot is missing.

    >>> to_html(graphviz.Digraph(body=["a -> b"])).startswith(("<svg", "<div"))
    True
    """
    try:
        svg = digraph.svg() if isinstance(digraph, GraphDrawing) else dot_svg(digraph.source)
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, LayoutTimeout, OSError) as error:
        return fallback_html(digraph, error)
    return inline(svg)
