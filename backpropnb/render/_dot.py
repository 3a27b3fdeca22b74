"""Which Graphviz ``dot`` draws the pictures, and running it.

Three cases, tried in this order:

1. **the system's** ``dot`` (``apt-get install graphviz``, ``brew install graphviz``,
   ``conda install graphviz``, Colab's Graphviz), found on ``PATH``;
2. **the pip wheel's**: ``graphviz-pure``, a self-contained port of Graphviz
   (a dependency of backpropnb on Linux x86-64, macOS arm64 and Windows x86-64),
   found on ``PATH`` or next to the running Python (a kernel's ``PATH`` often
   lacks the virtual environment's ``bin``);
3. **none**: the drawing is shown as DOT source under a one-line hint
   (:func:`backpropnb.render.graph.fallback_html`).

``BACKPROPNB_DOT=system`` / ``wheel`` / ``none`` forces one case (for tests and
comparisons); any other value is taken as the path of a ``dot`` program.

The wheel's ``dot`` has no font files to measure text with: it guesses widths
from a table that knows ASCII only (and hardly bold), prints a warning for each
other character and draws labels such as a bold ``σ∑→`` name wider than their
box. So when it draws, each node is given a minimum width measured here with
matplotlib's DejaVu Sans (as wide as or wider than the fonts a browser picks
for "Helvetica,sans-Serif"), and its warnings are dropped: the learner sees
neither a warning nor an overflowing label.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import graphviz

WHEEL_COMMAND = "graphviz-pure"  # the wheel installs this name, never "dot", so it never shadows a system Graphviz
CHOICES = ("system", "wheel", "none")
DOT_TIMEOUT = 3.0  # seconds dot may take; what draw hands it is small (a layout takes tens of milliseconds)


@dataclass(frozen=True)
class Dot:
    """The program that draws: ``kind`` is "system", "wheel" or "none"; ``path`` its file (None for none)."""

    kind: str
    path: str | None

    @property
    def measures_text(self):
        """False for the wheel, whose text widths are estimates (see the module docstring)."""
        return self.kind != "wheel"


def _wheel_path(path=None):
    found = shutil.which(WHEEL_COMMAND, path=path)
    if found:
        return found
    # Next to the running interpreter: pip puts the wheel's program in the environment's scripts directory.
    for folder in dict.fromkeys((sysconfig.get_path("scripts"), str(Path(sys.executable).parent))):
        found = shutil.which(WHEEL_COMMAND, path=folder)
        if found:
            return found
    return None


def find_dot(path=None):
    """The ``dot`` that draws: the system's, else the pip wheel's, else none (see the module docstring).

    ``path`` is a search path like ``PATH`` (default: ``PATH``).

    >>> find_dot().kind in CHOICES
    True
    >>> find_dot(path="").kind in ("wheel", "none")  # nothing on an empty PATH but the wheel next to Python
    True
    """
    forced = os.environ.get("BACKPROPNB_DOT", "").strip()
    if forced == "none":
        return Dot("none", None)
    if forced and forced not in CHOICES:
        return Dot("system", forced)  # an explicit program
    system = None if forced == "wheel" else shutil.which("dot", path=path)
    if system:
        return Dot("system", system)
    wheel = None if forced == "system" else _wheel_path(path)
    return Dot("wheel", wheel) if wheel else Dot("none", None)


class LayoutTimeout(RuntimeError):
    """Graphviz's dot took longer than its time limit."""


def pipe_svg(digraph, dot=None, timeout=DOT_TIMEOUT):
    """SVG text of a drawing (a Digraph or DOT source), drawn by :func:`find_dot`'s program (or ``dot``).

    The wheel's warnings are dropped. Raises ``graphviz.ExecutableNotFound``
    when there is no ``dot``, :class:`LayoutTimeout` after ``timeout`` seconds
    (dot is killed) and ``graphviz.CalledProcessError`` (with dot's message)
    when dot fails, as :meth:`graphviz.Digraph.pipe` does.

    >>> svg = pipe_svg(graphviz.Digraph(body=["a -> b"])) if find_dot().kind != "none" else "<svg"
    >>> "<svg" in svg
    True
    """
    return _pipe(digraph, "svg", dot, timeout)


def _pipe(digraph, fmt, dot, timeout):
    dot = dot or find_dot()
    if dot.kind == "none":
        raise graphviz.ExecutableNotFound(["dot"])
    source = digraph if isinstance(digraph, str) else digraph.source
    source = source if dot.measures_text else widened_source(source)
    command = [dot.path, f"-T{fmt}"]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except FileNotFoundError as error:
        raise graphviz.ExecutableNotFound(command) from error
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(f"dot took more than {timeout:g} s to lay out this graph") from None
    if done.returncode != 0:
        raise graphviz.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done.stdout.decode("utf-8")


@contextlib.contextmanager
def graphviz_uses_found_dot():
    """Within the block, the ``graphviz`` package runs the wheel's program when there is no system ``dot``.

    So ``bp.draw(f).pipe()`` and ``.render()`` work after ``pip install`` alone.
    A ``DOT_BINARY`` that someone set on purpose is left alone. Yields True when
    the wheel is used (then pass ``quiet=True``: its width warnings are noise).
    """
    from graphviz.backend import dot_command

    dot = find_dot()
    if dot.kind != "wheel" or Path("dot") != dot_command.DOT_BINARY:
        yield False
        return
    dot_command.DOT_BINARY = Path(dot.path)
    try:
        yield True
    finally:
        dot_command.DOT_BINARY = Path("dot")


# ======================================================================
# Minimum node widths for a dot that cannot measure text
# ======================================================================

NODE_LINE = re.compile(r"^(\t(?!edge |node |graph )[^\s\[]+ \[)label=<(.*)> (.*)$")
FONTSIZE = re.compile(r"\bfontsize=\"?([0-9.]+)")
WIDTH = re.compile(r"(?:^| )width=")  # not penwidth=
DEFAULT_FONTSIZE = 14.0
BOX_MARGIN = 16.0  # points: dot's default node margin, 0.11 inch on each side
DEFAULT_WIDTH = 0.75  # inches: dot's minimum node width, kept for labels narrower than that
SLACK = 1.04  # a little room for the browser's font being wider than the one measured


def widened_source(source):
    """The DOT source with each HTML-labelled node wider than dot's default given a ``width`` that fits its text.

    >>> line = '\\tv0 [label=<<B>σ∑→ name</B>> shape=box]'
    >>> widened_source(line).startswith('\\tv0 [width=1.')
    True
    """
    default = DEFAULT_FONTSIZE
    lines = []
    for line in source.splitlines(keepends=True):
        if line.startswith("\tnode ["):
            size = FONTSIZE.search(line)
            default = float(size.group(1)) if size else default
        match = NODE_LINE.match(line.rstrip("\n"))
        if match and " -> " not in match.group(1) and not WIDTH.search(match.group(3)):
            size = FONTSIZE.search(match.group(3))
            points = label_width(match.group(2), float(size.group(1)) if size else default)
            inches = (points * SLACK + BOX_MARGIN) / 72
            if inches <= DEFAULT_WIDTH:
                lines.append(line)  # dot's default minimum already holds it
                continue
            line = f"{match.group(1)}width={inches:.3f} label=<{match.group(2)}> {match.group(3)}\n"
        lines.append(line)
    return "".join(lines)


TAG = re.compile(r"<(/?)([A-Za-z]+)[^>]*>")


def label_width(label, fontsize):
    """The width in points of the widest line of an HTML-like label's text (bold where ``<B>`` says).

    >>> label_width("<B>x</B><BR/>value 2", 11) > label_width("x", 11) > 0
    True
    """
    widest, line, bold = 0.0, 0.0, 0
    position = 0
    for tag in [*TAG.finditer(label), None]:
        end = tag.start() if tag else len(label)
        line += sum(char_width(c, bool(bold)) for c in html.unescape(label[position:end])) * fontsize
        if tag is None:
            break
        position = tag.end()
        name = tag.group(2).upper()
        if name == "BR":
            widest, line = max(widest, line), 0.0
        elif name == "B":
            bold += -1 if tag.group(1) else 1
    return max(widest, line)


@lru_cache(maxsize=4096)
def char_width(char, bold=False):
    """A character's advance width in ems, in DejaVu Sans (wide characters a full em when the font lacks them).

    >>> round(char_width("a"), 2), char_width("가") >= 1.0
    (0.61, True)
    """
    if unicodedata.east_asian_width(char) in "WF":
        return 1.0
    if unicodedata.combining(char):
        return 0.0
    font, no_hinting = _font(bold)
    index = font.get_char_index(ord(char))
    if index == 0:  # not in the font: be generous
        return 1.0
    glyph = font.load_glyph(index, flags=no_hinting)
    return glyph.linearHoriAdvance / 65536 / _EM


_EM = 72.0  # the font is set to 72 px per em, so an advance in pixels / 72 is in ems


@lru_cache(maxsize=2)
def _font(bold):
    from matplotlib import font_manager, ft2font

    # matplotlib >= 3.10 has LoadFlags; older ones a module constant
    no_hinting = ft2font.LoadFlags.NO_HINTING if hasattr(ft2font, "LoadFlags") else ft2font.LOAD_NO_HINTING

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        properties = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
        font = ft2font.FT2Font(font_manager.findfont(properties))
    font.set_size(_EM, 72)
    return font, no_hinting
