"""Pictures of the engine: Graphviz drawings of graphs and matplotlib plots.

Renderers read and return (a ``graphviz.Digraph`` or a matplotlib Figure);
they never display and know nothing of widgets. The plots load matplotlib
only when first asked for.

>>> from backpropnb import tensor
>>> from backpropnb.render import draw, format_number
>>> x = tensor(-2.0, name="x"); f = x * x; f.backward()
>>> "grad -4" in draw(f).source, format_number(1 / 3)
(True, '0.3333')
"""

from ..formatting import format_number
from .graph import GraphDrawing, draw, to_html

_PLOTS = ("plot_jacobian", "plot_jacobian_memory", "plot_contour_hvp", "plot_training_curve")


def __getattr__(name):
    # matplotlib is slow to import; load the plots only when one is used.
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GraphDrawing", "draw", "format_number", "to_html", *_PLOTS]
