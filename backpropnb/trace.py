"""The backward pass as plain data: one step per node, with its three gradients.

Renderers and widgets draw these steps; nothing here knows how.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Tensor, backprop, backward_pass, no_grad


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
        return tuple(np.array(node._backward.vjp(one, node, i).data) for i in range(len(node.parents)))


def backward_steps(y, grad=None, *, with_local=True):
    """The steps of ``y``'s backward pass, like :func:`trace_backward`, but without writing any ``.grad``.

    >>> from backpropnb import tensor
    >>> x = tensor(3.0); steps = backward_steps(x * x)
    >>> [float(d) for d in steps[0].downstream], x.grad is None
    ([3.0, 3.0], True)
    """
    return _run(y, grad, with_local)[0]


def trace_backward(y, grad=None, *, retain_graph=None):
    """Run ``y.backward(grad)`` and return its steps, in the order processed.

    Like ``backward``, it uses the graph up: a second pass raises a ValueError
    unless ``retain_graph=True``. :func:`backward_steps` gives the same steps
    with no side effect.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0), tensor(5.0), tensor(-4.0)
    >>> steps = trace_backward((x + y) * z)
    >>> [(s.node.op, float(s.upstream)) for s in steps]
    [('mul', 1.0), ('add', -4.0)]
    """
    steps, record = _recorder(with_local=True)
    backward_pass(y, grad, retain_graph=retain_graph, on_step=record)
    return steps


def _run(y, grad, with_local):
    steps, record = _recorder(with_local)
    return steps, backprop(y, grad, on_step=record)


def _recorder(with_local):
    steps = []

    def record(node, upstream, downstream):
        local = local_gradients(node) if with_local and node.ndim == 0 else None
        sent = tuple(None if d is None else np.array(d.data) for d in downstream)
        steps.append(BackwardStep(node, np.array(upstream.data), sent, local))

    return steps, record
