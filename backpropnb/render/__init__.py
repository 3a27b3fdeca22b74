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

# each plot by the module of its family
_PLOTS = {
    "plot_jacobian": "jacobians",
    "plot_jacobian_memory": "jacobians",
    "plot_contour_hvp": "plots",
    "plot_training_curve": "training",
}


def __getattr__(name):
    # matplotlib is slow to import; load the plots only when one is used.
    if name in _PLOTS:
        import importlib

        return getattr(importlib.import_module(f".{_PLOTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["GraphDrawing", "draw", "format_number", "to_html", *_PLOTS]
