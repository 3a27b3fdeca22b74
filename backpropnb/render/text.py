"""Text in drawings: counts, and labels made safe for Graphviz (numbers come from :mod:`backpropnb.formatting`)."""

from __future__ import annotations

import html

from ..formatting import format_array, format_number

__all__ = ["coloured", "escape", "format_array", "format_count", "format_number", "html_label"]

MAX_NAME = 60  # characters of a name shown; the rest is cut with "…"


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
