"""Draw a computational graph with Graphviz: value nodes, gate nodes, and the gradients on the edges.

The drawing follows the lecture's pictures: every value is a box, every
operation a small circle with its gate symbol (+, ×, max, σ, ...), and an
edge from an input to a gate carries, once backward has run, the gradient
that flowed back along it. ``draw(y, step=k)`` shows the backward pass frozen
at its k-th step and writes "downstream = local × upstream" on the edges.

This module only renders: which part of the graph is drawn comes from
:mod:`.layout` (long chains folded, big graphs summarised), the gradients
from :mod:`backpropnb.trace` (replayed without side effects), the text from
:mod:`.text` and the fitting to a notebook column from :mod:`.svg`. It returns
a :class:`graphviz.Digraph`, never displays anything and never changes a tensor.
"""

from __future__ import annotations

import math
import re

from ..engine import Tensor
from ..i18n import text
from ..ops import REGISTRY
from ..trace import Replay, flowed, replay
from . import _dot
from .layout import MAX_NODES, drawn_parents, folded_constant, layout_of, walk
from .svg import INSTALL_HINT, MIN_SCALE, GraphDrawing, LayoutTimeout, scale_to_fit, svg_size, to_html
from .text import MAX_NAME, coloured, escape, format_array, format_count, format_number, html_label

__all__ = [
    "INSTALL_HINT",
    "GraphDrawing",
    "draw",
    "drawn_parents",
    "format_array",
    "format_number",
    "gate_symbol",
    "to_html",
    "value_label",
    "walk",
]

SHOW_CHOICES = ("value", "grad")
RANKDIRS = ("auto", "LR", "RL", "TB", "BT")


COLOURS = {
    "value": {"color": "black", "fillcolor": "white", "fontcolor": "black"},
    "constant": {"color": "#9e9e9e", "fillcolor": "#f5f5f5", "fontcolor": "#757575", "style": "rounded,filled,dashed"},
    "gate": {"color": "#4a6fa5", "fillcolor": "#e3ecf7", "fontcolor": "black"},
    "done": {"color": "#2b8a3e", "fillcolor": "#d3f9d8", "fontcolor": "black"},
    "current": {"color": "#e8590c", "fillcolor": "#ffd8a8", "fontcolor": "black", "penwidth": "3"},
    "todo": {"color": "#adb5bd", "fillcolor": "#f1f3f5", "fontcolor": "#868e96"},
    "note": {"color": "#9e9e9e", "fillcolor": "#fafafa", "fontcolor": "#616161"},
}
GRAD_COLOUR = "#c92a2a"  # gradients in red, as in the lecture's pictures


# ======================================================================
# Labels
# ======================================================================


EDGE_PAD = 2  # points of room around an edge label's text: off its own line and its neighbours
EDGE_BOX = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{EDGE_PAD}">'
SPACE = "&#160;"  # a space each side: more room from the lines beside a label, none added above or below
# dot puts a label beside its edge: its box's left side on the edge (top to bottom) or its bottom side (left
# to right); a box made larger (see one_geometry) keeps its text on that side, by its edge
NEAR_EDGE = {"TB": 'ALIGN="LEFT"', "BT": 'ALIGN="LEFT"', "LR": 'VALIGN="BOTTOM"', "RL": 'VALIGN="BOTTOM"'}


def edge_label(text):
    """An edge's label from escaped text: red, in a borderless box with room all round.

    The room keeps the text (a leading minus sign too) off the edge it labels
    and off the edges beside it; no leader line is needed, so none crosses a
    highlighted edge.

    >>> edge_label("-4")
    '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>&#160;<FONT COLOR="#c92a2a">-4</FONT>&#160;</TD></TR></TABLE>>'
    """
    return f"<{EDGE_BOX}<TR><TD>{SPACE}{coloured(text, GRAD_COLOUR)}{SPACE}</TD></TR></TABLE>>"


def gate_symbol(node):
    """The symbol drawn in a gate node: "+", "×", "σ", "x^2", "1/x", a custom gate's class name, ...

    >>> from backpropnb import tensor
    >>> x = tensor(2.0)
    >>> gate_symbol(x * 3), gate_symbol(x + 1), gate_symbol(x ** 2), gate_symbol(1 / x), gate_symbol(x.sigmoid())
    ('×3', '+1', 'x^2', '1/x', 'σ')
    """
    op = node.op
    if op == "pow":
        return f"x^{format_number(node.params.get('exponent', float('nan')))}"
    folded = folded_constant(node)
    if folded is not None:
        c = format_number(node.parents[folded].data)
        if op == "div":
            return f"{c}/x" if folded == 0 else f"÷{c}"
        return {"add": f"+{c}", "mul": f"×{c}", "sub": f"−{c}"}[op]
    return REGISTRY[op].symbol if op in REGISTRY else op  # a custom gate shows its class name


def stacked(array):
    """:func:`format_array` with a summary's min and max on a line of their own, to keep boxes narrow.

    >>> import numpy as np
    >>> stacked(np.arange(6.0)).splitlines(), stacked(np.array([1.0, 2.0]))
    (['mean 2.5', 'min 0, max 5'], '[1, 2]')
    """
    return format_array(array).replace(", min ", "\nmin ", 1)


def _plain_symbol(node):
    """A gate's symbol without the constant folded into it: "×" for both ×1.001 and ×0.999."""
    return REGISTRY[node.op].symbol if node.op in REGISTRY else node.op


def value_label(node, show, grad, grad_word=None):
    """The label of a value node: its name, then (as ``show`` asks) value and gradient.

    >>> from backpropnb import tensor
    >>> value_label(tensor(2.0, name="w"), ("value", "grad"), -1.5)
    '<<B>w</B><BR/>value 2<BR/><FONT COLOR="#c92a2a">grad -1.5</FONT>>'
    """
    name = None if node.name is None else f"<B>{escape(node.name, MAX_NAME)}</B>"
    grad_word = text("render.grad") if grad_word is None else grad_word
    shape = None if node.ndim == 0 else escape(text("render.shape", shape=node.shape))
    value = escape(text("render.value", value=stacked(node.data))) if "value" in show else None
    if grad is None or "grad" not in show or not node.requires_grad:
        gradient = None
    else:
        gradient = coloured(escape(f"{grad_word} {stacked(grad)}"), GRAD_COLOUR)
    lines = [line for line in (name, shape, value, gradient) if line is not None]
    if lines or not node.requires_grad:
        return html_label(*lines) if lines else html_label(text("render.const"))
    return ""  # an empty plain label: Graphviz before 2.44 (Colab has 2.42) rejects an empty HTML label <>


def fold_label(fold, status, moment):
    """The label of a folded chain: how many gates, which pattern, and where the pass is inside it."""
    lines = [
        escape(text("render.folded", count=format_count(len(fold.gates)))),
        escape(fold.describe(gate_symbol, _plain_symbol)),
    ]
    if fold.leaves:
        lines.append(escape(text("render.folded_inputs", count=format_count(fold.leaves))))
    if status == "current" and moment.current.node in fold.gates:
        t = next(k for k, gate in enumerate(fold.gates) if gate is moment.current.node) + 1  # by identity
        now = text("render.folded_now", t=format_count(t), count=format_count(len(fold.gates)))
        lines.append(coloured(escape(now), GRAD_COLOUR))
    return html_label(*lines)


def note_label(layout, max_nodes):
    """The note on the values left out: how many, and of which operations."""
    ops = ", ".join(f"{op} {format_count(n)}" for op, n in layout.hidden_ops.most_common(4))
    return html_label(
        escape(text("render.not_drawn", count=format_count(layout.hidden), max_nodes=max_nodes)),
        escape(ops) if ops else None,
    )


# ======================================================================
# draw
# ======================================================================


def draw(y, *, show=("value", "grad"), rankdir="auto", step=None, max_nodes=MAX_NODES, replay=None, columns=1):
    """Draw the graph that computed ``y``: values, gates, and (after backward) the gradients.

    ``show`` picks the numbers ("value", "grad"; ``()`` for the bare structure).
    ``step=k`` shows the backward pass at its k-th step (the order of
    :func:`~backpropnb.trace_backward`): the node being processed in orange,
    done nodes green, the rest grey, and "local × up = down" on its edges;
    pass ``replay=backpropnb.replay(y)`` to reuse one replay for many steps.
    A big graph is summarised: long chains are folded into one node with a
    count, and beyond ``max_nodes`` values a note counts what is left out.
    ``rankdir="auto"`` lays the graph out left to right if that fits a
    notebook column, else top to bottom. Nothing in the graph is changed.

    ``y`` may also be a tuple of Tensors, a graph with several outputs (each
    with the gradient its own backward left in ``.grad``): the lecture's copy
    gate, one value fanning out into two branches. A gate whose Function says
    ``drawn_as_edge = True`` (a branch that passes its input on unchanged) is
    drawn as a plain edge from its input to its output, labelled with the
    gradient coming back along it. ``step`` needs one output.

    ``columns=2`` (or more) folds a tall top-to-bottom drawing into that many
    side-by-side columns, joined by the edges that cross from one to the
    next, so that it is about half as tall (the stepper uses it to keep the
    current node on screen); it applies with ``rankdir="TB"`` or ``"BT"``.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
    >>> f = (x + y) * z; f.backward()
    >>> source = draw(f).source
    >>> "value -12" in source and "grad 3" in source
    True
    >>> "local 1 × up -4<BR/>= -4" in draw(f, step=1).source
    True
    >>> v = tensor(1.0, name="v"); a, b = v * 2, v * 3; a.backward(); b.backward()
    >>> "grad 5" in draw((a, b)).source  # v feeds both outputs: its gradients add
    True
    """
    _checked_outputs(y)
    show = _checked_show(show)
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"draw: columns must be a whole number 1 or more (1: no folding), got {columns!r}")
    moment = None
    if step is not None:
        if not isinstance(y, Tensor):
            raise ValueError(
                f"draw: step= shows the backward pass of one output, got {len(y)} outputs; "
                f"draw one of them with step=, or drop step to see the gradients of all"
            )
        if replay is None:
            replay = _replay(y)
        elif not isinstance(replay, Replay) or replay.output is not y:
            raise ValueError("draw: replay must be backpropnb.replay(y) of this same y")
        moment = replay.at(step)
    layout = layout_of(y, max_nodes)
    if rankdir != "auto":
        digraph = _digraph(layout, show, moment, rankdir, max_nodes)
        return in_columns(digraph, columns) if rankdir in ("TB", "BT") else digraph
    return _fitted(y, layout, show, moment, max_nodes)


EDGE_LINE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$")


def in_columns(digraph, columns):
    """Fold a top-to-bottom drawing into ``columns`` side-by-side columns; the same drawing for ``columns=1``.

    Each node gets its depth, the longest path from it down to an output
    (value boxes and gate circles each count as one rank). The ranks are cut
    into ``columns`` bands of about equal height (a value stays with the gate
    that made it, an input with the gate it feeds), and the edges that cross a
    cut stop constraining the layout (Graphviz's ``constraint=false``): each
    band is laid out from the same first rank, beside the others, and the
    crossing edges join the end of one column to the start of the next. The
    columns read left to right in the order of the backward pass: the output's
    column first, the inputs' last.

    >>> from backpropnb import tensor
    >>> x = tensor(1.0, name="x"); y = (((x * 2).exp() + 1).log() * 3).tanh()
    >>> folded = in_columns(draw(y, rankdir="TB"), 2).source
    >>> folded.count("constraint=false"), folded.count("style=invis")
    (1, 1)
    """
    if columns == 1:
        return digraph
    lines = [EDGE_LINE.match(line.rstrip("\n")) for line in digraph.body]
    edges = [(m.group(1), m.group(2)) for m in lines if m]
    depth = _depths(edges)
    if not depth:
        return digraph
    band = (max(depth.values()) + 1 + columns - 1) // columns  # ranks per column
    if band < 2:
        return digraph
    column = {node: d // band for node, d in depth.items()}
    made = {head for _, head in edges}
    for tail, head in edges:  # a value stays with the gate that made it: columns join at a value -> gate edge
        if tail.startswith("o") and head == f"v{tail[1:]}":
            column[head] = column[tail]
    for tail in {tail for tail, _ in edges} - made:  # an input stays in the column of the gates it feeds
        column[tail] = min(column[head] for t, head in edges if t == tail)
    for i, match in enumerate(lines):
        if match is None:
            continue
        tail, head, attrs = match.groups()
        if column[tail] != column[head]:  # the edge crosses from one column into the next
            inside = "constraint=false" + ("" if attrs is None else " " + attrs)
            digraph.body[i] = f"\t{tail} -> {head} [{inside}]\n"
    # The columns in the order of the backward pass, the output's first, each hanging from the top: the
    # first node of each column (the one nearest the output) joined left to right by invisible edges on one
    # rank. A short column then ends high on the page, and the steps it holds stay near the controls.
    firsts = [min((n for n in depth if column[n] == c), key=depth.get) for c in sorted(set(column.values()))]
    if len(firsts) > 1:
        digraph.body.append(f"\t{{rank=same; {' -> '.join(firsts)} [style=invis]}}\n")
    return digraph


NODE_STATEMENT = re.compile(r"^\t(\w+) \[(.*)\]$")
DEFAULTS = re.compile(r"^\t(node|edge) \[(.*)\]$")
# a line of text, in font sizes: both dots (the system's 2.43 and later, the wheel) give a box's line the font
# size, and a table cell's line (an edge label) at most 1.2 times it; a little more, never less
LINE_HEIGHT = {"box": 1.01, "label": 1.2}
MEASURED = ("box", "note")  # the shapes whose labels change from step to step; gate circles keep theirs


def _label_of(attrs):
    """The HTML-like label in a DOT attribute list (without its outer <>), or None."""
    start = attrs.find("label=<")
    if start < 0:
        return None
    depth, i = 0, start + len("label=")
    for j in range(i, len(attrs)):
        depth += {"<": 1, ">": -1}.get(attrs[j], 0)
        if depth == 0:
            return attrs[i + 1 : j]
    return None


def _attr(attrs, name, default):
    found = re.search(rf'(?:^| ){name}="?([^" ]+)"?', attrs)
    return found.group(1) if found else default


def _text_size(label, fontsize, line_height):
    """(width, height) in points of an HTML-like label's text, as wide as or wider than either dot draws it."""
    inner = label
    for tag in ("TABLE", "TR", "TD"):
        inner = re.sub(rf"</?{tag}\b[^>]*>", "", inner)
    lines = inner.count("<BR/>") + 1
    inner = inner.replace(SPACE, "0")  # the wheel gives a no-break space a digit's width
    return _dot.label_width(inner, fontsize) * _dot.SLACK, lines * fontsize * line_height


def one_geometry(digraphs):
    """Give drawings of one graph at different moments (a backward pass, step by step) one geometry.

    Graphviz places every node from the sizes of the boxes and of the edge
    labels; between two steps of a backward pass only their text changes, and
    with it their sizes, so the layout shifts a little. Here each box is given
    (as its minimum size) the size of its largest version over all the
    drawings, and each edge label the size of its largest version (an empty
    label of that size where a drawing has none): dot then lays every drawing
    out the same, node for node. Changes the drawings in place and returns
    them; :func:`geometry_of` and :func:`with_geometry` are the two halves, for
    drawings made one at a time.

    >>> from backpropnb import tensor, replay
    >>> x = tensor(2.0, name="x"); y = (x * 3).exp(); r = replay(y)
    >>> first, last = one_geometry([draw(y, step=k, replay=r, rankdir="LR") for k in (0, 1)])
    >>> sized = [[line.split(" [")[0] for line in d.body if "HEIGHT=" in line or "height=" in line] for d in (first, last)]
    >>> sized[0] == sized[1] and len(sized[0]) == 7  # three boxes and four edges, labelled in one step or both
    True
    """
    geometry = geometry_of(digraphs)
    return [with_geometry(digraph, geometry) for digraph in digraphs]


def _statements(digraph):
    """(line number, "node" or "edge", name or (tail, head), attributes, size in points or None) of a drawing."""
    sizes = {"node": _dot.DEFAULT_FONTSIZE, "edge": _dot.DEFAULT_FONTSIZE}
    found = []
    for i, line in enumerate(digraph.body):
        line = line.rstrip("\n")
        if default := DEFAULTS.match(line):
            sizes[default.group(1)] = float(_attr(default.group(2), "fontsize", sizes[default.group(1)]))
        elif edge := EDGE_LINE.match(line):
            tail, head, attrs = edge.groups()
            label = _label_of(attrs or "")
            size = None
            if label is not None:
                width, height = _text_size(label, float(_attr(attrs, "fontsize", sizes["edge"])), LINE_HEIGHT["label"])
                size = (width + 2 * EDGE_PAD, height + 2 * EDGE_PAD)
            found.append((i, "edge", (tail, head), attrs or "", size))
        elif node := NODE_STATEMENT.match(line):
            name, attrs = node.groups()
            label = _label_of(attrs)
            if label is None or _attr(attrs, "shape", "ellipse") not in MEASURED or _attr(attrs, "width", None):
                continue
            margin = [float(m) * 72 for m in _attr(attrs, "margin", "0.11,0.055").split(",")] * 2
            width, height = _text_size(label, float(_attr(attrs, "fontsize", sizes["node"])), LINE_HEIGHT["box"])
            found.append((i, "node", name, attrs, (width + 2 * margin[0], height + 2 * margin[1])))
    return found


def geometry_of(digraphs):
    """The largest size of each box and of each edge label over drawings of one graph (see :func:`one_geometry`).

    >>> from backpropnb import tensor
    >>> x = tensor(2.0, name="x"); geometry = geometry_of([draw(x * 3, rankdir="LR")])
    >>> sorted(geometry["node"]), sorted(geometry["edge"])
    (['v0', 'v1'], [])
    """
    geometry = {"node": {}, "edge": {}}
    for digraph in digraphs:
        for _, kind, key, _, size in _statements(digraph):
            if size is not None:
                old = geometry[kind].get(key, (0.0, 0.0))
                geometry[kind][key] = (max(old[0], size[0]), max(old[1], size[1]))
    return geometry


def with_geometry(digraph, geometry):
    """The drawing with its boxes and edge labels given the sizes of ``geometry`` (from :func:`geometry_of`), in place.

    >>> from backpropnb import tensor
    >>> x = tensor(2.0, name="x"); d = draw(x * 3, rankdir="LR")
    >>> "width=" in with_geometry(d, geometry_of([d])).source
    True
    """
    rankdir = digraph.graph_attr.get("rankdir", "TB")
    for i, kind, key, attrs, _ in _statements(digraph):
        if kind == "node" and key in geometry["node"]:
            width, height = geometry["node"][key]
            digraph.body[i] = f"\t{key} [width={width / 72:.3f} height={height / 72:.3f} {attrs}]\n"
        elif kind == "edge" and key in geometry["edge"]:
            width, height = (math.ceil(v) for v in geometry["edge"][key])
            cell = f'<TD WIDTH="{width}" HEIGHT="{height}" {NEAR_EDGE.get(rankdir, "")}>'
            if _label_of(attrs) is None:
                attrs = f"label=<{EDGE_BOX}<TR>{cell}</TD></TR></TABLE>> {attrs}".strip()
            elif EDGE_BOX + "<TR><TD>" in attrs:
                attrs = attrs.replace(EDGE_BOX + "<TR><TD>", EDGE_BOX + "<TR>" + cell, 1)
            digraph.body[i] = f"\t{key[0]} -> {key[1]} [{attrs}]\n"
    return digraph


def _depths(edges):
    """Each node's longest distance (in edges) to a node with no outgoing edge: its rank counted from the output."""
    heads, depth = {}, {}
    for tail, head in edges:
        heads.setdefault(tail, []).append(head)
        heads.setdefault(head, [])
    for start in heads:  # iterative depth-first search, children before parents
        stack = [(start, False)]
        while stack:
            node, ready = stack.pop()
            if node in depth:
                continue
            if ready:
                depth[node] = max((depth[h] + 1 for h in heads[node]), default=0)
                continue
            stack.append((node, True))
            stack.extend((h, False) for h in heads[node] if h not in depth)
    return depth


def _checked_outputs(y):
    """One Tensor, or a non-empty tuple/list of Tensors; else the package's TypeError."""
    if isinstance(y, Tensor):
        return
    if isinstance(y, (tuple, list)) and y and all(isinstance(t, Tensor) for t in y):
        return
    if isinstance(y, (tuple, list)):
        kinds = sorted({type(t).__name__ for t in y if not isinstance(t, Tensor)}) or ["nothing"]
        raise TypeError(
            f"draw: a tuple or list of outputs must hold backpropnb Tensors only, got {', '.join(kinds)}; "
            f"pass e.g. draw((branch1, branch2))"
        )
    raise TypeError(f"draw: expected a backpropnb Tensor (the output of a graph), got {type(y).__name__}")


def drawn_as_edge(node):
    """True for a gate drawn as a plain edge: a one-input custom gate whose class says ``drawn_as_edge = True``.

    >>> from backpropnb import Function, tensor
    >>> class Branch(Function):
    ...     drawn_as_edge = True
    ...     forward = staticmethod(lambda ctx, x: x.copy())
    ...     backward = staticmethod(lambda ctx, g: g)
    >>> x = tensor(1.0); drawn_as_edge(Branch.apply(x)), drawn_as_edge(x * 2)
    (True, False)
    """
    gate = getattr(node.primitive, "gate", None)
    return len(node.parents) == 1 and bool(getattr(gate, "drawn_as_edge", False))


def _replay(y):
    return replay(y, caller="draw")


def _fitted(y, layout, show, moment, max_nodes):
    """Left to right if that fits the column, else top to bottom, else fewer values; never a hang."""
    best = None
    for budget in (max_nodes, max_nodes // 3, max_nodes // 9):
        if budget != max_nodes:
            if budget < 8 or layout.hidden + layout.folded == 0 and budget >= len(layout.nodes):
                break
            layout = layout_of(y, budget)
        for rankdir in ("LR", "TB"):
            digraph = _digraph(layout, show, moment, rankdir, budget)
            try:
                scale = scale_to_fit(svg_size(digraph.natural_svg())[0])
            except LayoutTimeout:
                return _smaller(y, show, moment, max_nodes)
            except Exception:  # no dot, or dot failed: the drawing shows its source and says why
                return digraph
            if scale >= MIN_SCALE:
                return digraph
            if best is None or scale > best[0]:
                best = (scale, digraph)
    return best[1]


def _smaller(y, show, moment, max_nodes):
    """A summary with few values, for a graph that dot could not lay out in time."""
    fewer = max(8, max_nodes // 6)
    digraph = _digraph(layout_of(y, fewer), show, moment, "TB", fewer)
    digraph.node(
        "timeout",
        html_label(escape(text("render.timeout", max_nodes=max_nodes, fewer=fewer))),
        shape="note",
        style="filled",
        **COLOURS["note"],
    )
    return digraph


def _checked_show(show):
    show = (show,) if isinstance(show, str) else tuple(show)
    unknown = [s for s in show if s not in SHOW_CHOICES]
    if unknown:
        raise ValueError(f"draw: show may hold {SHOW_CHOICES}, got {unknown}; pass e.g. show=('value',) or ()")
    return show


def _digraph(layout, show, moment, rankdir, max_nodes):
    """The Digraph of a layout, at a moment of the backward pass (or after it, when ``moment`` is None)."""
    digraph = GraphDrawing(graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.22"})
    digraph.attr("node", fontname="Helvetica", fontsize="11")
    digraph.attr("edge", fontname="Helvetica", fontsize="11", arrowsize="0.7")
    current = None if moment is None else layout.where(moment.current.node)
    for i, node in enumerate(layout.nodes):
        _add_value(digraph, i, node, show, moment)
        if node.op is not None and drawn_as_edge(node):
            _add_branch(digraph, i, node, layout, show, moment)
        elif node.op is not None:
            _add_gate(digraph, i, node, layout, show, moment)
    for fold in layout.folds:
        status = None if moment is None else _fold_status(fold, moment, current)
        look = dict(COLOURS[status or "note"])
        digraph.node(fold.name, fold_label(fold, status, moment), shape="box", style="rounded,filled,dashed", **look)
        digraph.edge(f"v{layout.number[id(fold.input)]}", fold.name, **_edge_look(None, status))
    if layout.hidden:
        look = dict(COLOURS["current" if current == "more" else "note"])
        digraph.node("more", note_label(layout, max_nodes), shape="note", style="filled", **look)
    return digraph


def _fold_status(fold, moment, current):
    if moment.status(fold.gates[-1]) == "done":  # the output side is processed first
        return "done"
    return "todo" if moment.status(fold.gates[0]) == "todo" and current != fold.name else "current"


def _status(node, moment, plain):
    if not node.requires_grad:
        return "constant"
    return plain if moment is None else moment.status(node)


def _add_value(digraph, i, node, show, moment):
    grad, word = node.grad, text("render.grad")
    if moment is not None:
        grad = moment.grad(node)
        word = text("render.grad_so_far") if moment.partial(node) else text("render.grad")
    look = dict(COLOURS[_status(node, moment, "value")])
    look.setdefault("style", "rounded,filled")
    digraph.node(f"v{i}", value_label(node, show, grad, word), shape="box", margin="0.08,0.03", **look)


def _add_gate(digraph, i, node, layout, show, moment):
    look = dict(COLOURS[_status(node, moment, "gate")])
    symbol = html_label(escape(gate_symbol(node), MAX_NAME))
    digraph.node(f"o{i}", symbol, shape="circle", style="filled", margin="0.01", **look)
    status = None if moment is None else moment.status(node)
    step = moment.current if status == "current" else None
    out_label = None
    if step is not None and "grad" in show:
        out_label = edge_label(escape(f"up {stacked(step.upstream)}"))
    digraph.edge(f"o{i}", f"v{i}", **_edge_look(out_label, status))
    downstream = _downstream_of(node, moment, show)
    folded = folded_constant(node)
    for j, parent in enumerate(node.parents):
        if j == folded:
            continue  # drawn inside the gate's symbol
        label = None
        if downstream is not None and downstream[j] is not None:
            label = edge_label(escape(_edge_text(step, j, downstream[j], digraph.graph_attr["rankdir"])))
        digraph.edge(layout.source_of(node, parent), f"o{i}", **_edge_look(label, status))


def _add_branch(digraph, i, node, layout, show, moment):
    """A pass-through gate as one edge from its input's box to its output's box, with the gradient coming back."""
    status = None if moment is None else moment.status(node)
    step = moment.current if status == "current" else None
    downstream = _downstream_of(node, moment, show)
    label = None
    if downstream is not None and downstream[0] is not None:
        label = edge_label(escape(_edge_text(step, 0, downstream[0], digraph.graph_attr["rankdir"])))
    digraph.edge(layout.source_of(node, node.parents[0]), f"v{i}", **_edge_look(label, status))


def _downstream_of(node, moment, show):
    if "grad" not in show:
        return None
    if moment is None:
        return _flowed(node)
    return moment.sent(node)


def _flowed(node):
    try:
        return flowed(node)
    except Exception:  # a drawing never fails because a rule does; it just shows no edge gradients
        return None


def _edge_text(step, j, downstream, rankdir="LR"):
    if step is None:
        return stacked(downstream)
    if step.local is None:
        return f"down {stacked(downstream)}"
    local, up = format_array(step.local[j]), format_array(step.upstream)
    if rankdir in ("TB", "BT"):
        # A tall drawing (the stepper folds it into columns and keeps every node in place, so each edge keeps
        # room for its largest label at every step): one short line. The out-edge says "up", the input's box
        # the product; the text beside the drawing spells out local × up = down.
        return f"local {local}"
    # above a horizontal edge: two lines, so that two labelled edges into one gate stay narrow enough
    return f"local {local} × up {up}\n= {format_array(downstream)}"


def _edge_look(label, status):
    look = {} if label is None else {"label": label}
    if status == "current":
        look.update(color=COLOURS["current"]["color"], penwidth="2")
    elif status == "todo":
        look.update(color=COLOURS["todo"]["color"])
    return look
