"""Which part of a graph is drawn: every value of a small graph, a summary of a big one.

A graph of any size is drawn with at most a few dozen value nodes, so that
Graphviz lays it out in a blink and the picture stays readable:

1. in a graph of more than ``max_nodes`` values, a long chain (each gate fed
   by the previous one, plus inputs used by that gate only) keeps its two
   ends and folds its middle into one node that says
   how many gates it holds and which pattern repeats ("99 × [×, +, tanh]");
2. what is still beyond the budget, counted from the output breadth-first, is
   left out and counted in a note.

The layout is computed once per graph (:func:`layout_of` keeps it while the
graph lives); labels, colours and gradients are added at drawing time.
Iterative walks only, so a chain of a million operations is fine.
"""

from __future__ import annotations

import gc
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field

MAX_NODES = 60  # values drawn at most: beyond this a drawing is unreadable and dot slows down
KEEP = 2  # gates kept at each end of a folded chain
MIN_FOLD = 3  # a chain is folded only when at least this many gates disappear into the fold

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
    if first.requires_grad == second.requires_grad:
        return None  # two variables (the common case) or two constants: nothing to fold
    if second.requires_grad:  # c op x: a constant first input
        return 0 if node.op != "sub" and first.data.ndim == 0 else None  # c − x stays a plain subtraction
    return 1 if second.data.ndim == 0 else None


def drawn_parents(node):
    """The inputs drawn as their own value nodes: all but a constant folded into the gate."""
    folded = folded_constant(node)
    return node.parents if folded is None else (node.parents[1 - folded],)  # only a 2-input gate folds


@dataclass
class Fold:
    """The middle of a long chain, drawn as one node ``f{index}``."""

    index: int
    gates: list = field(repr=False)  # the folded gates, output side first
    leaves: int  # inputs folded with them (each used by its gate only)
    input: object  # the value that feeds the fold (drawn)
    period: int  # how many gates one repeat of the pattern holds

    @property
    def pattern(self):
        """What repeats, by op name: "98 × [mul, add, tanh]"."""
        return self.describe(lambda gate: gate.op)

    def describe(self, symbol, plain=lambda gate: gate.op):
        """What repeats, each gate written as ``symbol(gate)`` (``plain(gate)`` if their constants vary)."""
        known = self.__dict__.setdefault("_descriptions", {})
        if symbol not in known:
            known[symbol] = _pattern(self.gates, self.period, symbol, plain)
        return known[symbol]

    @property
    def name(self):
        return f"f{self.index}"


@dataclass
class Layout:
    """The drawn part of a graph: values numbered breadth-first from the output, folds, and what is left out."""

    nodes: list  # the Tensors drawn; node i is drawn as "v{i}", its gate as "o{i}"
    number: dict  # id(tensor) -> its number
    folds: list = field(default_factory=list)
    fold_input: dict = field(default_factory=dict)  # id(gate drawn) -> the Fold that replaces its chain input
    fold_of: dict = field(default_factory=dict)  # id(folded gate or leaf) -> its Fold
    hidden: int = 0  # values left out (beyond the budget)
    hidden_ops: Counter = field(default_factory=Counter)
    total: int = 0  # values in the whole graph
    chained: set = field(default_factory=set, repr=False)  # ids of the links of every chain seen

    def source_of(self, node, parent):
        """The drawn node an edge from ``parent`` into ``node``'s gate starts at."""
        if id(parent) in self.number:
            return f"v{self.number[id(parent)]}"
        fold = self.fold_input.get(id(node))
        return fold.name if fold is not None else "more"

    def where(self, node):
        """The name of the drawn node that shows ``node``: its value box, its fold, or the note."""
        if id(node) in self.number:
            return f"v{self.number[id(node)]}"
        fold = self.fold_of.get(id(node))
        return fold.name if fold is not None else "more"

    @property
    def folded(self):
        return sum(len(fold.gates) + fold.leaves for fold in self.folds)


def outputs_of(y):
    """The outputs of a drawing as a tuple: ``(y,)`` for one Tensor, the Tensors themselves for a tuple or list.

    >>> from backpropnb import tensor
    >>> x = tensor(1.0); len(outputs_of(x)), len(outputs_of((x * 2, x * 3))), len(outputs_of([x, x]))
    (1, 2, 1)
    """
    roots = tuple(y) if isinstance(y, (tuple, list)) else (y,)
    return tuple({id(root): root for root in roots}.values())  # an output given twice is drawn once


def walk(y, max_nodes=MAX_NODES, graph=None):
    """Number the values that lead to ``y``, output first, folding long chains; see :class:`Layout`.

    ``y`` is one Tensor or a tuple of them (a graph with several outputs,
    such as a value that fans out into two branches); ``graph`` is the graph
    already walked (see :func:`layout_of`), if any.

    >>> from backpropnb import tensor
    >>> x = tensor(1.0, name="x"); w = walk(x * 2 + x)
    >>> [n.name or n.op for n in w.nodes], w.hidden
    (['add', 'mul', 'x'], 0)
    >>> [n.name or n.op for n in walk((x * 2, x * 3)).nodes]
    ['mul', 'mul', 'x']
    """
    roots = outputs_of(y)
    graph = graph or _Graph(roots)
    layout = Layout(list(roots), {id(root): i for i, root in enumerate(roots)}, total=len(graph.values))
    fold = layout.total > max_nodes  # a graph that can be drawn whole is drawn whole
    seen, queue = {id(root) for root in roots}, deque(roots)
    while queue:
        item = queue.popleft()
        for parent in _inputs(item, layout, graph) if fold else graph.inputs[id(item)]:
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            if isinstance(parent, Fold):
                queue.append(parent)
                continue
            if len(layout.nodes) < max_nodes:
                layout.number[id(parent)] = len(layout.nodes)
                layout.nodes.append(parent)
                queue.append(parent)
    layout.hidden = layout.total - len(layout.nodes) - layout.folded
    if layout.hidden:
        layout.hidden_ops = Counter(
            n.op or "input" for n in graph.values if id(n) not in layout.number and id(n) not in layout.fold_of
        )
    return layout


class _Graph:
    """Every value that leads to the outputs, with its drawn inputs and how many gates use it (walked once)."""

    def __init__(self, roots):
        self.inputs = {id(root): drawn_parents(root) for root in roots}
        self.users = {id(root): 0 for root in roots}
        self.values, stack = list(roots), list(roots)
        while stack:
            for parent in self.inputs[id(stack.pop())]:
                key = id(parent)
                if key not in self.users:
                    self.users[key] = 0
                    self.inputs[key] = drawn_parents(parent)
                    self.values.append(parent)
                    stack.append(parent)
                self.users[key] += 1


def _inputs(item, layout, graph):
    """The inputs of a drawn value's gate (or a fold), with a long chain below it replaced by its fold."""
    if isinstance(item, Fold):
        return [item.input]
    fold = layout.fold_input.get(id(item))
    inputs = []
    for parent in graph.inputs[id(item)]:
        if fold is not None and parent is fold.gates[0]:
            inputs.append(fold)
            continue
        if id(parent) not in layout.chained and graph.users[id(parent)] == 1 and _spine(parent, graph) is not None:
            _fold_chain(parent, layout, graph)  # a chain starts here: fold its middle, if long enough
        inputs.append(parent)
    return inputs


def _spine(node, graph):
    """The one gate-made input of a link of a chain, or None if ``node`` is no link.

    A link is a gate whose inputs are one value made by a gate (the spine)
    and any leaves that only this gate uses; it is itself used once.
    """
    if node.op is None:
        return None
    users, made = graph.users, None
    for parent in graph.inputs[id(node)]:
        if parent.op is None:
            if users[id(parent)] != 1:
                return None  # a leaf shared with other gates
        elif made is None:
            made = parent
        else:
            return None  # two gate-made inputs: a join, not a chain
    return made if made is not None and users[id(made)] == 1 else None


def _fold_chain(start, layout, graph):
    """Fold the chain that starts at ``start`` if it is long enough: keep KEEP gates at each end."""
    chain = [start]
    while (below := _spine(chain[-1], graph)) is not None:
        chain.append(below)  # every link but the last feeds on the next one
    layout.chained.update(id(link) for link in chain)
    end = len(chain) - KEEP
    period = _period([link.op for link in chain[KEEP:end]])
    end -= (end - KEEP) % period  # whole repeats only; the rest stays drawn
    middle = chain[KEEP:end]
    if len(middle) < MIN_FOLD:
        return None
    fold = Fold(len(layout.folds), middle, 0, chain[end], period)
    for gate in middle:
        layout.fold_of[id(gate)] = fold
        for leaf in graph.inputs[id(gate)]:
            if leaf.op is None:
                layout.fold_of[id(leaf)] = fold
                fold.leaves += 1
    layout.folds.append(fold)
    layout.fold_input[id(chain[KEEP - 1])] = fold
    return fold


def _period(ops, longest=6):
    """The shortest run of ops that repeats along a chain (a remainder may follow), 1 if none does.

    >>> _period(["tanh", "add", "mul"] * 4 + ["tanh"]), _period(["mul"] * 5), _period(["a", "b", "c"])
    (3, 1, 1)
    """
    for period in range(1, min(longest, len(ops) // 2) + 1):
        if all(ops[i] == ops[i - period] for i in range(period, len(ops))):
            return period
    return 1


def _pattern(gates, period, symbol, plain=lambda gate: gate.op):
    """What a folded run of gates holds, input side first: "4 × [mul, add, tanh]", "5 × [mul]" or "7 gates".

    Gates are written with ``symbol``; when sampled repeats differ in their
    constants (×1.001 here, ×0.999 there), with ``plain`` instead. Only a few
    repeats are written out, so a fold of a million gates is described at once.

    >>> class G:
    ...     def __init__(self, op): self.op = op
    >>> name = lambda gate: gate.op
    >>> _pattern([G(op) for op in ["tanh", "add", "mul"] * 4], 3, name), _pattern([G("mul")] * 5, 1, name)
    ('4 × [mul, add, tanh]', '5 × [mul]')
    >>> _pattern([G("mul"), G("exp"), G("mul")], 1, name)
    '[mul, exp, mul]'
    """
    forward = gates[::-1]  # in the order the forward pass applied them
    ops = [gate.op for gate in forward]
    repeats = len(ops) // period
    if not (ops == ops[:period] * repeats and (period > 1 or len(set(ops)) == 1)):
        return "[" + ", ".join(symbol(g) for g in forward) + "]" if len(ops) <= 6 else f"{len(ops):,} gates"
    samples = sorted({0, repeats // 3, repeats // 2, 2 * repeats // 3, repeats - 1})
    written = [[symbol(g) for g in forward[r * period : (r + 1) * period]] for r in samples]
    unit = written[0] if all(w == written[0] for w in written) else [plain(g) for g in forward[:period]]
    return f"{repeats:,} × [{', '.join(unit)}]"


# id(y) -> (a weak reference to y, its layouts). Keyed by identity: a Tensor's == compares its numbers, as
# numpy's does, so it cannot key a WeakKeyDictionary. The entry goes when y does.
_CACHE = {}


def _kept(y):
    key = id(y)
    entry = _CACHE.get(key)
    if entry is None or entry[0]() is not y:
        entry = _CACHE[key] = (weakref.ref(y, lambda _, key=key, cache=_CACHE: cache.pop(key, None)), {})
    return entry[1]


def layout_of(y, max_nodes=MAX_NODES):
    """:func:`walk` of ``y``, computed once while ``y`` lives (the graph below a tensor never changes).

    >>> from backpropnb import tensor
    >>> x = tensor(1.0); y = x * 2
    >>> layout_of(y) is layout_of(y)
    True
    """
    if isinstance(y, (tuple, list)):
        return walk(y, max_nodes)  # several outputs: nothing to key a cache on (a drawing of a few values)
    kept = _kept(y)
    if max_nodes not in kept:
        collecting = gc.isenabled()
        gc.disable()  # the walk makes millions of small containers and no garbage: skip the collector's passes
        try:
            if "graph" not in kept:
                kept["graph"] = _Graph((y,))  # walked once, whatever the budgets asked for
            kept[max_nodes] = walk(y, max_nodes, kept["graph"])
        finally:
            if collecting:
                gc.enable()
    return kept[max_nodes]
