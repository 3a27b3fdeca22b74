"""backpropnb: touch the chain rule.

A small reverse-mode autograd engine on numpy, made for teaching
backpropagation in Jupyter, with graph drawings and explorer widgets.

>>> from backpropnb import tensor
>>> x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
>>> f = (x + y) * z; f.backward()
>>> float(f.data), float(x.grad), float(y.grad), float(z.grad)
(-12.0, -4.0, -4.0, 3.0)
"""

from . import _memory
from . import ops as _ops
from .engine import Tensor, grad_mode, is_grad_enabled, no_grad, tensor
from .function import Context, Function
from .functional import grad, gradcheck, hessian, hvp, jacobian, jvp, vjp
from .i18n import get_language, set_language
from .ops import *  # noqa: F403 - every op registered in ops.py (its __all__ comes from the registry)
from .ops import sum as sum  # noqa: A004 - backpropnb.sum mirrors numpy.sum
from .trace import BackwardStep, Replay, backward_steps, replay, trace_backward

abs, max, min = _ops.ALIASES["abs"], _ops.ALIASES["max"], _ops.ALIASES["min"]  # noqa: A001 - numpy's names

__version__ = "0.1.0"

_memory.keep_freed_memory()  # a training step reuses its arrays' memory instead of faulting it in again


def __getattr__(name):
    # The drawing lives in backpropnb.render (which imports graphviz); it is loaded
    # on first use so that the engine never depends on display code.
    if name == "draw":
        from .render import draw

        return draw
    if name == "widgets":  # bp.widgets.NetworkPlayground and the other explorers, loaded on first use
        import importlib

        return importlib.import_module(".widgets", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BackwardStep",
    "Context",
    "Function",
    "Replay",
    "Tensor",
    "backward_steps",
    "draw",  # noqa: F405 - loaded on first use by __getattr__
    "grad",
    "get_language",
    "grad_mode",
    "gradcheck",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "no_grad",
    "replay",
    "set_language",
    "tensor",
    "trace_backward",
    "vjp",
    "abs",
    "max",
    "min",
    *_ops.__all__,
]
