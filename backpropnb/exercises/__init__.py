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

import importlib

# One module per exercise notebook; every public check_* name is re-exported here.
_MODULES = ("gates", "modular", "jacobians", "implicit", "hvp")

__all__ = []
for _name in _MODULES:
    try:
        _module = importlib.import_module(f".{_name}", __name__)
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{_name}":
            raise
        continue  # a notebook's checkers not written yet
    for _attr in getattr(_module, "__all__", ()):
        globals()[_attr] = getattr(_module, _attr)
        __all__.append(_attr)
del _name, _module
