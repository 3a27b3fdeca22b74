"""Draw a computational graph with Graphviz: value nodes, gate nodes, and the gradients on the edges.

The drawing follows the lecture's pictures: every value is a box, every
operation a small circle with its gate symbol (+, ×, max, σ, ...), and an
edge from an input to a gate carries, once backward has run, the gradient
that flowed back along it. ``draw(y, step=k)`` freezes the backward pass at
its k-th step and writes "downstream = local × upstream" on the edges.

The module reads the graph and returns a :class:`graphviz.Digraph`; it never
displays anything and never changes a tensor (``.grad`` stays as it was).
Three parts, kept apart: the walk (which nodes and edges), the gradients
(what flowed, computed without side effects), and the look (labels, colours).
"""

from __future__ import annotations

import html
from collections import deque
from dataclasses import dataclass

import graphviz
import numpy as np

from ..engine import Tensor
from ..formatting import format_array, format_number
from ..ops import REGISTRY
from ..trace import backward_steps
from . import _dot

SHOW_CHOICES = ("value", "grad")
RANKDIRS = ("LR", "RL", "TB", "BT")
MAX_NODES = 200  # beyond this many values a drawing is unreadable and dot gets slow
MAX_NAME = 60  # characters of a name shown; the rest is cut with "…"

INSTALL_HINT = (
    "Graphviz's dot program was not found, so the graph is shown as DOT source. "
    "To see the picture, install Graphviz: apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install graphviz "
    "(on Linux x86-64, macOS arm64 and Windows x86-64, pip install graphviz-pure is enough)."
)

# ======================================================================
# The walk: which values and gates are drawn
# ======================================================================


@dataclass
class Walk:
    """The drawn part of a graph: values numbered in breadth-first order from the output."""

    nodes: list  # the Tensors drawn; node i is drawn as "v{i}", its gate as "o{i}"
    number: dict  # id(tensor) -> its number
    hidden: int  # how many further values were left out (beyond max_nodes)


def walk(y, max_nodes=MAX_NODES):
    """Number the values that lead to ``y``, output first; iterative, so deep graphs are fine.

    >>> from backpropnb import tensor
    >>> x = tensor(1.0, name="x"); w = walk(x * 2 + x)
    >>> [n.name or n.op for n in w.nodes], w.hidden
    (['add', 'mul', 'x'], 0)
    """
    nodes, number, hidden = [y], {id(y): 0}, set()
    queue = deque([y])
    while queue:
        node = queue.popleft()
        for parent in drawn_parents(node):
            key = id(parent)
            if key in number or key in hidden:
                continue
            if len(nodes) < max_nodes:
                number[key] = len(nodes)
                nodes.append(parent)
            else:
                hidden.add(key)  # still walked, so the note can say how many were left out
            queue.append(parent)
    return Walk(nodes, number, len(hidden))


# ======================================================================
# The gradients: what flowed along each edge, without touching .grad
# ======================================================================


def _seed_of(y):
    """The seed that reproduces the gradients already stored: y's own .grad."""
    return None if y.grad is None else np.array(getattr(y.grad, "data", y.grad))


def _edge_gradients(y):
    """{id(node): downstream tuple} for the backward pass that filled the stored .grad, or {}."""
    if y.grad is None or not y.requires_grad:
        return {}
    try:
        return {id(s.node): s.downstream for s in backward_steps(y, _seed_of(y), with_local=False)}
    except Exception:  # a drawing never fails because a rule does; it just shows no edge gradients
        return {}


@dataclass
class Frozen:
    """The backward pass stopped at step k: each value's status and the gradient it holds so far."""

    steps: list
    k: int
    status: dict  # id(tensor) -> "done" | "current" | "todo"
    grads: dict  # id(tensor) -> gradient received up to and including step k
    position: dict  # id(node) -> the index of its step
    partial: set  # ids of values that have received only part of their gradient so far


def freeze(y, k):
    """Replay y's backward pass up to step ``k`` (0-based) without side effects.

    >>> from backpropnb import tensor
    >>> x = tensor(2.0, name="x"); frozen = freeze(x * x + x, 0)
    >>> len(frozen.steps), frozen.status[id(x)], format_array(frozen.grads[id(x)])
    (2, 'todo', '1')
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"draw: step must be an integer index into the backward steps, got {k!r}")
    seed = None if y.ndim == 0 else _seed_of(y)
    if y.ndim != 0 and seed is None:
        raise ValueError(
            f"draw: step needs the seed of the backward pass, and y has shape {y.shape}, not a scalar; "
            f"call y.backward(grad) first (draw then replays it from y.grad) or draw a scalar such as y.sum()"
        )
    steps = backward_steps(y, seed, with_local=True) if y.requires_grad else []
    _check_step(k, len(steps))
    status, grads, last = {}, {id(y): seed if seed is not None else np.ones_like(y.data)}, {}
    for i, step in enumerate(steps):
        status[id(step.node)] = "done" if i < k else "current" if i == k else "todo"
        for parent, gradient in zip(step.node.parents, step.downstream):
            if gradient is not None:
                last[id(parent)] = i
                if i <= k:
                    grads[id(parent)] = gradient + grads.get(id(parent), 0)
    for key, i in last.items():
        status.setdefault(key, "done" if i <= k else "todo")  # leaves: done once all gradient arrived
    partial = {key for key, i in last.items() if i > k and key in grads}  # a copy gate still adding up
    return Frozen(steps, k, status, grads, {id(s.node): i for i, s in enumerate(steps)}, partial)


def _check_step(k, count):
    if 0 <= k < count:
        return
    if count == 0:
        raise ValueError(f"draw: step={k} is out of range; this graph's backward pass has 0 steps (y is a leaf)")
    raise ValueError(
        f"draw: step={k} is out of range; this graph's backward pass has {count} steps, "
        f"so pass step=0 to step={count - 1}"
    )


# ======================================================================
# The look: labels and colours
# ======================================================================


COLOURS = {
    "value": {"color": "black", "fillcolor": "white", "fontcolor": "black"},
    "constant": {"color": "#9e9e9e", "fillcolor": "#f5f5f5", "fontcolor": "#757575", "style": "rounded,filled,dashed"},
    "gate": {"color": "#4a6fa5", "fillcolor": "#e3ecf7", "fontcolor": "black"},
    "done": {"color": "#2b8a3e", "fillcolor": "#d3f9d8", "fontcolor": "black"},
    "current": {"color": "#e8590c", "fillcolor": "#ffd8a8", "fontcolor": "black", "penwidth": "3"},
    "todo": {"color": "#adb5bd", "fillcolor": "#f1f3f5", "fontcolor": "#868e96"},
}
GRAD_COLOUR = "#c92a2a"  # gradients in red, as in the lecture's pictures


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


FOLDABLE = ("add", "mul", "sub", "div")


def folded_constant(node):
    """The index of a scalar constant input drawn inside the gate ("+1", "×−1", "1/x"), or None.

    The lecture draws ``x + 1`` as one "+1" gate rather than a "+" gate with a
    constant input; the same holds for ×c, −c, ÷c and c/x.

    >>> from backpropnb import tensor
    >>> x = tensor(2.0)
    >>> folded_constant(x + 1), folded_constant(1 / x), folded_constant(x * x), folded_constant(1 - x)
    (1, 0, None, None)
    """
    if node.op not in FOLDABLE or len(node.parents) != 2:
        return None
    first, second = node.parents
    for index, (constant, other) in enumerate(((first, second), (second, first))):
        if index == 0 and node.op == "sub":
            continue  # c − x is not "−c": leave it drawn as a plain subtraction
        if not constant.requires_grad and constant.ndim == 0 and other.requires_grad:
            return index
    return None


def drawn_parents(node):
    """The inputs drawn as their own value nodes: all but a constant folded into the gate."""
    folded = folded_constant(node)
    return [p for j, p in enumerate(node.parents) if j != folded]


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


def _html(*lines):
    """An HTML-like label from already escaped lines (None lines are skipped)."""
    return "<" + "<BR/>".join(line for line in lines if line is not None) + ">"


def _grad_line(text):
    return f'<FONT COLOR="{GRAD_COLOUR}">{text}</FONT>'


def value_label(node, show, grad, grad_word="grad"):
    """The label of a value node: its name, then (as ``show`` asks) value and gradient.

    >>> from backpropnb import tensor
    >>> value_label(tensor(2.0, name="w"), ("value", "grad"), np.array(-1.5))
    '<<B>w</B><BR/>value 2<BR/><FONT COLOR="#c92a2a">grad -1.5</FONT>>'
    """
    name = None if node.name is None else f"<B>{escape(node.name, MAX_NAME)}</B>"
    shape = None if node.ndim == 0 else escape(f"shape {node.shape}")
    value = escape(f"value {format_array(node.data)}") if "value" in show else None
    if grad is None or "grad" not in show or not node.requires_grad:
        gradient = None
    else:
        gradient = _grad_line(escape(f"{grad_word} {format_array(grad)}"))
    lines = [line for line in (name, shape, value, gradient) if line is not None]
    if lines or not node.requires_grad:
        return _html(*lines) if lines else _html("const")
    return ""  # an empty plain label: Graphviz before 2.44 rejects an empty HTML label <>


# ======================================================================
# The Digraph, with a fallback when dot is missing
# ======================================================================


class GraphDrawing(graphviz.Digraph):
    """A :class:`graphviz.Digraph` drawn by the system's ``dot`` or the pip wheel's (see ``render/_dot.py``).

    It still shows something useful when there is no ``dot`` at all.
    """

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            if (include is None or "image/svg+xml" in include) and "image/svg+xml" not in (exclude or ()):
                return {"image/svg+xml": _dot.pipe_svg(self)}
            return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as error:
            return {"text/html": fallback_html(self, error), "text/plain": self.source}

    def pipe(self, *args, **kwargs):
        with _dot.graphviz_uses_found_dot() as wheel:
            return super().pipe(*args, **({"quiet": True} if wheel else {}) | kwargs)

    def render(self, *args, **kwargs):
        with _dot.graphviz_uses_found_dot() as wheel:
            return super().render(*args, **({"quiet": True} if wheel else {}) | kwargs)


def fallback_html(digraph, error=None):
    """The DOT source in a <pre>, under one line saying how to get the picture.

    >>> page = fallback_html(graphviz.Digraph(body=["a -> b"]))
    >>> "apt-get install graphviz" in page and "a -&gt; b" in page
    True
    """
    hint = INSTALL_HINT
    if error is not None and not isinstance(error, graphviz.ExecutableNotFound):
        hint = f"Graphviz could not draw this graph ({type(error).__name__}); here is its DOT source."
    return f"<div class='backpropnb-graph'><p>{html.escape(hint)}</p><pre>{html.escape(digraph.source)}</pre></div>"


def to_html(digraph):
    """Inline SVG markup of a drawing (no XML prolog), or the DOT source with install advice if dot is missing.

    >>> from backpropnb import tensor
    >>> to_html(draw(tensor(1.0, name="x"))).startswith(("<svg", "<div"))
    True
    """
    try:
        svg = _dot.pipe_svg(digraph)
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as error:
        return fallback_html(digraph, error)
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# ======================================================================
# draw
# ======================================================================


def draw(y, *, show=("value", "grad"), rankdir="LR", step=None, max_nodes=MAX_NODES):
    """Draw the graph that computed ``y``: values, gates, and (after backward) the gradients.

    ``show`` picks the numbers ("value", "grad"; ``()`` for the bare structure).
    ``step=k`` shows the backward pass at its k-th step (the order of
    :func:`~backpropnb.trace_backward`): the node being processed in orange,
    done nodes green, the rest grey, and "local × up = down" on its edges.
    Nothing in the graph is changed.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
    >>> f = (x + y) * z; f.backward()
    >>> source = draw(f).source
    >>> "value -12" in source and "grad 3" in source
    True
    >>> "local 1 × up -4 = -4" in draw(f, step=1).source
    True
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"draw: expected a backpropnb Tensor (the output of a graph), got {type(y).__name__}")
    show = _checked_show(show)
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    frozen = None if step is None else freeze(y, step)
    graph = walk(y, max_nodes)
    digraph = GraphDrawing(graph_attr={"rankdir": rankdir, "nodesep": "0.3", "ranksep": "0.4"})
    digraph.attr("node", fontname="Helvetica", fontsize="11")
    digraph.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    flows = {} if frozen is not None or "grad" not in show else _edge_gradients(y)
    for i, node in enumerate(graph.nodes):
        _add_value(digraph, i, node, show, frozen)
        if node.op is not None:
            _add_gate(digraph, i, node, graph, show, frozen, flows)
    if graph.hidden:
        label = _html(escape(f"… {graph.hidden} more values not drawn (max_nodes={max_nodes})"))
        digraph.node("more", label, shape="note", color="#9e9e9e", fontcolor="#757575")
    return digraph


def _checked_show(show):
    show = (show,) if isinstance(show, str) else tuple(show)
    unknown = [s for s in show if s not in SHOW_CHOICES]
    if unknown:
        raise ValueError(f"draw: show may hold {SHOW_CHOICES}, got {unknown}; pass e.g. show=('value',) or ()")
    return show


def _status(node, frozen, plain):
    if not node.requires_grad:
        return "constant"
    return plain if frozen is None else frozen.status.get(id(node), "todo")


def _add_value(digraph, i, node, show, frozen):
    grad, word = node.grad, "grad"
    if frozen is not None:
        grad = frozen.grads.get(id(node))
        word = "grad so far" if id(node) in frozen.partial else "grad"
    look = dict(COLOURS[_status(node, frozen, "value")])
    look.setdefault("style", "rounded,filled")
    digraph.node(f"v{i}", value_label(node, show, grad, word), shape="box", **look)


def _add_gate(digraph, i, node, graph, show, frozen, flows):
    look = dict(COLOURS[_status(node, frozen, "gate")])
    digraph.node(
        f"o{i}", _html(escape(gate_symbol(node), MAX_NAME)), shape="circle", style="filled", margin="0.02", **look
    )
    status = None if frozen is None else frozen.status.get(id(node), "todo")
    current = status == "current"
    step = frozen.steps[frozen.k] if current else None
    out_label = _html(_grad_line(escape(f"up {format_array(step.upstream)}"))) if current and "grad" in show else None
    digraph.edge(f"o{i}", f"v{i}", **_edge_look(out_label, status))
    downstream = _downstream_of(node, frozen, flows)
    folded = folded_constant(node)
    for j, parent in enumerate(node.parents):
        if j == folded:
            continue  # drawn inside the gate's symbol
        source = f"v{graph.number[id(parent)]}" if id(parent) in graph.number else "more"
        label = None
        if "grad" in show and downstream is not None and downstream[j] is not None:
            label = _html(_grad_line(escape(_edge_text(step, j, downstream[j]))))
        digraph.edge(source, f"o{i}", **_edge_look(label, status))


def _downstream_of(node, frozen, flows):
    if frozen is None:
        return flows.get(id(node))
    index = frozen.position.get(id(node))
    return frozen.steps[index].downstream if index is not None and index <= frozen.k else None


def _edge_text(step, j, downstream):
    if step is None:
        return format_array(downstream)
    if step.local is None:
        return f"down {format_array(downstream)}"
    return f"local {format_array(step.local[j])} × up {format_array(step.upstream)} = {format_array(downstream)}"


def _edge_look(label, status):
    look = {} if label is None else {"label": label}
    if status == "current":
        look.update(color=COLOURS["current"]["color"], penwidth="2")
    elif status == "todo":
        look.update(color=COLOURS["todo"]["color"])
    return look
