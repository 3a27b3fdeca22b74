"""How numbers are written everywhere in the package: drawings, explorers and checker hints.

One rule: 4 significant digits, and ``-0`` written as ``0``. Keeping it in one
place means a number printed by an explorer, drawn on a graph edge and quoted in
a checker's hint reads the same.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dtype_name",
    "format_array",
    "format_bytes",
    "format_number",
    "format_product",
    "format_share",
    "format_values",
]

MAX_DIGITS = 17  # enough for any float64


def format_number(x, digits=4):
    """A number with ``digits`` significant digits (-0 shows as 0); Tensors and 0-d arrays too.

    >>> format_number(-12.0), format_number(0.19661193), format_number(-0.0), format_number(1234567)
    ('-12', '0.1966', '0', '1.235e+06')
    >>> format_number(0.19661193, digits=6)
    '0.196612'
    """
    value = float(np.asarray(getattr(x, "data", x)).reshape(()))
    return f"{value + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0.0


def format_array(a):
    """A short text for an array: the number itself, up to 4 entries, or mean/min/max.

    >>> format_array(np.array(3.0)), format_array(np.array([1.0, -0.5]))
    ('3', '[1, -0.5]')
    >>> format_array(np.arange(4.0).reshape(2, 2)), format_array(np.arange(6.0).reshape(2, 3))
    ('[[0, 1], [2, 3]]', 'mean 2.5, min 0, max 5')
    """
    a = np.asarray(getattr(a, "data", a))
    if a.ndim == 0:
        return format_number(a)
    if a.size == 0:
        return "empty"
    if a.size <= 4:
        return " ".join(np.array2string(a, separator=", ", formatter={"all": format_number}).split())
    return f"mean {format_number(a.mean())}, min {format_number(a.min())}, max {format_number(a.max())}"


def format_values(value):
    """Every entry of an array in numpy's layout with 4 significant digits (a number as ``format_number``).

    For messages that must show the whole answer on one line, such as the checkers' hints.

    >>> format_values(0.19661193), format_values(np.array([0.088, 0.17600001])), format_values([-0.0, 1.0])
    ('0.1966', '[0.088 0.176]', '[0. 1.]')
    >>> format_values([[0.088, 0.176], [0.104, 0.208]])
    '[[0.088 0.176] [0.104 0.208]]'
    """
    array = np.asarray(getattr(value, "data", value), dtype=np.float64)
    if array.ndim == 0:
        return format_number(array)
    text = np.array2string(array + 0.0, precision=4, suppress_small=True, threshold=12, edgeitems=3)
    return text.replace("\n", "")


def format_product(factors, result, digits=4):
    """Texts for ``factors`` and their product ``result`` that a learner can multiply out by hand.

    The result has ``digits`` significant digits; the factors get as many more as
    it takes for the product of the *printed* factors to round to the printed
    result (rounding both to 4 digits can otherwise disagree in the last one).

    >>> format_product([0.19661193, 2.3], 0.19661193 * 2.3)
    (['0.1966', '2.3'], '0.4522')
    >>> format_product([0.9644288107273639, 0.03557118927263617], 0.034306)  # 0.9644 × 0.03557 = 0.03430
    (['0.96443', '0.035571'], '0.03431')
    """
    shown = format_number(result, digits)
    for more in range(digits, MAX_DIGITS + 1):
        texts = [format_number(f, more) for f in factors]
        product = float(np.prod([float(t) for t in texts]))
        if format_number(product, digits) == shown:
            return texts, shown
    return texts, shown


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


_DTYPE_NAMES = {2: "float16", 4: "float32", 8: "float64"}


def format_share(share):
    """A share as the percentage every plot title and explorer line shows (two decimals).

    >>> format_share(58 / 64), format_share(0.0)
    ('90.62%', '0.00%')
    """
    return f"{float(share):.2%}"
