"""Checkers for the classroom exercises in ``notebooks/exercises/``.

Each ``check_...`` function calls the student's code on fixed and seeded random
inputs, compares with the engine and with finite differences, prints one line
(a specific hint, "not implemented yet", or a success line) and returns
True/False; ``quiet=True`` prints nothing. The shared machinery is in
:mod:`backpropnb.exercises._check`; one module per notebook holds its checkers.

>>> from backpropnb.exercises import check_mul_backward
>>> check_mul_backward(lambda x, y, upstream: (y * upstream, x * upstream))
✓ mul_backward: all checks passed.
True
"""

from . import gates, hvp, implicit, jacobians, modular

# One module per exercise notebook; every public check_* name is re-exported here.
__all__ = []
for _module in (gates, modular, jacobians, implicit, hvp):
    for _attr in _module.__all__:
        globals()[_attr] = getattr(_module, _attr)
        __all__.append(_attr)
del _module, _attr
