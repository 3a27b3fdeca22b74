"""The explorers: ipywidgets that pair the engine with the renderers.

Each explorer is a widget itself (display it, or leave it last in a cell), keeps
its controls in ``.controls`` and describes everything it shows in
``.snapshot()``.

>>> from backpropnb.widgets import GateExplorer
>>> explorer = GateExplorer()
>>> explorer.controls["gate"].value = "mul"
"""

import importlib

_HOMES = {
    "GateExplorer": "gate",
    "BackwardStepper": "stepper",
    "JacobianExplorer": "jacobian",
    "HVPExplorer": "hvp",
    "NetworkPlayground": "playground",
    "show": "_static",
}

__all__ = list(_HOMES)


def __getattr__(name):
    # Imported on first use, so `import backpropnb.widgets` stays light.
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
