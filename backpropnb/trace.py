"""The backward pass as plain data: one step per node, with its three gradients.

Two ways to get the steps of a graph's backward pass, which differ in what
they do to the graph, not in the steps (both make each one with
:func:`record_step`, from the same chain-rule step of the engine):

- :func:`trace_backward` *runs* the backward pass (it is ``y.backward()``,
  which writes ``.grad`` and refuses a second pass through the same graph,
  with each step recorded as it goes) and returns its steps;
- :func:`replay` writes nothing: it replays the pass step by step, as far as
  asked, and can show it frozen at any step (``replay(y).at(k)``). Drawings and
  explorers use it, so showing a graph never changes a gradient.
  :func:`backward_steps` is short for ``replay(y, grad).steps``.

Renderers and widgets draw these steps; nothing here knows how.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Tensor, backward_pass, chain_rule_step, no_grad, seed_for, topological_order


@dataclass(frozen=True)
class BackwardStep:
    """One chain-rule step: ``downstream[i] = local[i] x upstream`` for each parent.

    ``downstream`` and ``local`` are aligned with ``node.parents``; a constant
    parent receives no gradient (None). ``local`` is filled for 0-d nodes only.
    """

    node: Tensor
    upstream: np.ndarray
    downstream: tuple
    local: tuple | None

    def __repr__(self):
        name = self.node.name or self.node.op
        return f"BackwardStep({name}: upstream={self.upstream}, local={self.local}, downstream={self.downstream})"


def local_gradients(node):
    """Each parent's local partial derivative of a 0-d node: its rule run with an upstream of 1."""
    one = Tensor(np.ones((), dtype=node.dtype), requires_grad=False)
    with no_grad():
        return tuple(np.array(node.primitive.vjp(one, node, i).data) for i in range(len(node.parents)))


def record_step(node, upstream, downstream):
    """The :class:`BackwardStep` of one chain-rule step, in plain arrays: the one place a step is made.

    ``upstream`` and ``downstream`` are the engine's Tensors (a constant
    parent's downstream is None), as :func:`backpropnb.engine.backprop` hands
    them to its ``on_step``.

    >>> from backpropnb import tensor
    >>> x = tensor(3.0); y = x * 2.0
    >>> record_step(y, tensor(1.0), (tensor(2.0), None))
    BackwardStep(mul: upstream=1.0, local=(array(2.), array(3.)), downstream=(array(2.), None))
    """
    local = local_gradients(node) if node.ndim == 0 else None
    sent = tuple(None if d is None else np.array(d.data) for d in downstream)
    return BackwardStep(node, np.array(upstream.data), sent, local)


def trace_backward(y, grad=None, *, retain_graph=None):
    """Run ``y.backward(grad)`` and return its steps, in the order processed.

    Like ``backward`` it adds into every ``.grad`` and uses the graph up: a
    second pass through the same graph raises a ValueError unless the first
    said ``retain_graph=True``. To look at the steps of a graph without
    changing anything (before or after its backward), use :func:`replay` or
    :func:`backward_steps`.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0), tensor(5.0), tensor(-4.0)
    >>> steps = trace_backward((x + y) * z)
    >>> [(s.node.op, float(s.upstream)) for s in steps]
    [('mul', 1.0), ('add', -4.0)]
    """
    steps = []
    backward_pass(y, grad, retain_graph=retain_graph, on_step=lambda *args: steps.append(record_step(*args)))
    return steps


def backward_steps(y, grad=None):
    """The steps of ``y``'s backward pass, like :func:`trace_backward`, but without writing any ``.grad``.

    Short for ``replay(y, grad).steps``; safe on a graph whose backward already ran.

    >>> from backpropnb import tensor
    >>> x = tensor(3.0); y = x * x; y.backward()
    >>> [float(d) for d in backward_steps(y)[0].downstream], float(x.grad)
    ([3.0, 3.0], 6.0)
    """
    return replay(y, grad, caller="backward_steps").steps


# ======================================================================
# replay: the backward pass step by step, without side effects
# ======================================================================


def replay(y, grad=None, *, caller="replay"):
    """The backward pass of ``y`` replayed without writing any ``.grad``; see :class:`Replay`.

    The pass starts from ``grad`` if given, else from ``y.grad`` (the seed of
    the backward pass already run), else from 1 for a scalar ``y``. ``caller``
    names the function in error messages.

    >>> from backpropnb import tensor
    >>> x = tensor(3.0, name="x"); r = replay(x * x + x)
    >>> len(r), [s.node.op for s in r.steps], x.grad is None
    (2, ['add', 'mul'], True)
    >>> float(r.at(1).grad(x)), float(r.at(0).grad(x))
    (7.0, 1.0)
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"{caller}: expected a backpropnb Tensor (the output of a graph), got {type(y).__name__}")
    return Replay(y, grad, caller)


class Replay:
    """The backward pass of one graph, run lazily step by step and kept: build it once, look at any step.

    ``len(r)`` is the number of steps, ``r.step(k)`` the k-th
    :class:`BackwardStep` (0-based, in the order ``backward`` processes the
    nodes), ``r.steps`` all of them and ``r.at(k)`` the pass frozen right after
    step k. Only the steps asked for are computed, once: looking at step 5 of
    a 100,000-step pass runs 6 steps.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
    >>> r = replay((x + y) * z)
    >>> moment = r.at(0)
    >>> moment.status(x), float(moment.grad(z)), moment.grad(x) is None
    ('todo', 3.0, True)
    """

    def __init__(self, y, grad=None, caller="replay"):
        self.output, self.caller = y, caller
        self.nodes = [n for n in reversed(topological_order(y)) if n.parents] if y.requires_grad else []
        self.position = {id(node): i for i, node in enumerate(self.nodes)}
        self.last = {}  # id(value) -> the last step that sends it gradient
        for i, node in enumerate(self.nodes):
            for parent in node.parents:
                if parent.requires_grad:
                    self.last[id(parent)] = i
        self.seed = _seed(y, grad, caller) if y.requires_grad else None
        self._steps = []
        # id(value) -> [(step index, gradient received up to that step)]; the seed arrives "before step 0"
        self._received = {} if self.seed is None else {id(y): [(-1, self.seed)]}

    def __len__(self):
        return len(self.nodes)

    def __repr__(self):
        return f"Replay({len(self)} steps of {self.output.name or self.output.op or 'a leaf'}, {len(self._steps)} run)"

    @property
    def steps(self):
        """Every step of the pass (runs the ones not run yet)."""
        if self.nodes:
            self.step(len(self.nodes) - 1)
        return list(self._steps)

    def step(self, k):
        """The k-th step (0-based): the node processed, its upstream, local and downstream gradients."""
        self.check(k)
        while len(self._steps) <= k:
            self._run_next()
        return self._steps[k]

    def check(self, k):
        """Refuse a step index that is not an integer in range, saying which ones there are."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"{self.caller}: step must be an integer index into the backward steps, got {k!r}")
        count = len(self.nodes)
        if 0 <= k < count:
            return
        if count == 0:
            raise ValueError(f"{self.caller}: step={k} is out of range; this graph's backward pass has 0 steps")
        raise ValueError(
            f"{self.caller}: step={k} is out of range; this graph's backward pass has {count} steps, "
            f"so pass step=0 to step={count - 1}"
        )

    def at(self, k):
        """The pass frozen right after step ``k``: what is done, what is current, the gradients so far."""
        return Moment(self, k, self.step(k))

    def received(self, node, k):
        """The gradient ``node`` has received once step ``k`` is done (None if none yet); -1 is "before step 0"."""
        if k >= 0:
            self.step(k)
        entries = self._received.get(id(node), ())
        total = None
        for index, gradient in entries:  # few entries per value: one per gate that uses it
            if index > k:
                break
            total = gradient
        return None if total is None else np.array(total.data)

    def _run_next(self):
        i = len(self._steps)
        node = self.nodes[i]
        upstream = self._received[id(node)][-1][1]
        with no_grad():
            downstream = chain_rule_step(node, upstream, check=False)  # a display of the graph as built
            for parent, gradient in zip(node.parents, downstream):
                if gradient is not None:
                    entries = self._received.setdefault(id(parent), [])
                    entries.append((i, gradient if not entries else entries[-1][1] + gradient))
        self._steps.append(record_step(node, upstream, downstream))


@dataclass(frozen=True)
class Moment:
    """A replayed backward pass frozen right after step ``k``; ``current`` is that step."""

    replay: Replay
    k: int
    current: BackwardStep

    def status(self, node):
        """ "done", "current" or "todo": a gate by its own step, a leaf by the last gradient it receives."""
        index = self.replay.position.get(id(node))
        if index is not None:
            return "done" if index < self.k else "current" if index == self.k else "todo"
        last = self.replay.last.get(id(node))
        return "done" if last is not None and last <= self.k else "todo"

    def grad(self, node):
        """The gradient ``node`` has received so far (None if nothing yet)."""
        return self.replay.received(node, self.k)

    def partial(self, node):
        """True while a value has received part of its gradient but more is still to come (a copy gate)."""
        last = self.replay.last.get(id(node))
        return last is not None and last > self.k and self.grad(node) is not None

    def sent(self, node):
        """The downstream gradients ``node``'s step sent to its parents, if that step is done or current."""
        index = self.replay.position.get(id(node))
        return None if index is None or index > self.k else self.replay.step(index).downstream


def _seed(y, grad, caller):
    """The upstream gradient the pass starts from, as a constant Tensor of y's shape."""
    if grad is None and y.grad is not None:
        grad = np.array(getattr(y.grad, "data", y.grad))
    if grad is None and y.ndim != 0:
        raise ValueError(
            f"{caller}: y has shape {y.shape}, not a scalar, so its backward pass needs a starting gradient; "
            f"call y.backward(grad) first (the replay starts from y.grad), pass grad=..., or use a scalar "
            f"such as y.sum()"
        )
    return seed_for(y, grad)


def flowed(node):
    """The gradients ``node`` sent to its parents in the backward passes that filled its ``.grad``.

    Each gate's rule is linear in its upstream gradient, so the gradient that
    flowed along an edge is the rule applied to the node's stored ``.grad``;
    nothing is replayed. None before backward (or for a leaf); a constant
    parent's entry is None.

    >>> from backpropnb import tensor
    >>> x, y = tensor(2.0), tensor(3.0); f = x * y; f.backward()
    >>> [float(g) for g in flowed(f)]
    [3.0, 2.0]
    """
    if node.grad is None or not node.parents:
        return None
    upstream = Tensor(np.array(getattr(node.grad, "data", node.grad)), requires_grad=False)
    with no_grad():
        return tuple(None if g is None else np.array(g.data) for g in chain_rule_step(node, upstream, check=False))
