"""Text in drawings: numbers with 4 significant digits, array summaries, and labels made safe for Graphviz."""

from __future__ import annotations

import html

import numpy as np

MAX_NAME = 60  # characters of a name shown; the rest is cut with "…"


def format_number(x):
    """A number with 4 significant digits, the way every drawing shows numbers (-0 shows as 0).

    >>> format_number(-12.0), format_number(0.19661193), format_number(-0.0), format_number(1234567)
    ('-12', '0.1966', '0', '1.235e+06')
    """
    value = float(np.asarray(getattr(x, "data", x)).reshape(()))
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


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


def format_count(n):
    """A count with thousands separators, as the notes on folded graphs show it.

    >>> format_count(100000)
    '100,000'
    """
    return f"{n:,}"


def escape(text, limit=None):
    """Text made safe for a Graphviz HTML-like label: markup and DOT syntax become plain characters.

    Newlines become line breaks; control characters are shown as ``\\xNN``.

    >>> escape('a"<b>&\\\\c')
    'a&quot;&lt;b&gt;&amp;&#92;c'
    """
    text = str(text).encode("utf-8", "replace").decode("utf-8")  # lone surrogates would break dot
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"  # a name is a label, not a document
    lines = [html.escape(_visible(line), quote=True).replace("\\", "&#92;") for line in text.splitlines() or [""]]
    return "<BR/>".join(lines)


def _visible(line):
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in line.replace("\t", " "))


def html_label(*lines):
    """An HTML-like label from already escaped lines (None lines are skipped).

    >>> html_label("a", None, "b")
    '<a<BR/>b>'
    """
    return "<" + "<BR/>".join(line for line in lines if line is not None) + ">"


def coloured(text, colour):
    """Already escaped text in a colour.

    >>> coloured("grad 1", "#c92a2a")
    '<FONT COLOR="#c92a2a">grad 1</FONT>'
    """
    return f'<FONT COLOR="{colour}">{text}</FONT>'
