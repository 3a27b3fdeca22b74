"""The backward pass as plain data: one step per node, with its three gradients.

Renderers and widgets draw these steps; nothing here knows how.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Tensor, backprop, no_grad, store_grads, vjp_step


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
        return tuple(np.array(vjp_step(node, one, i).data) for i in range(len(node.parents)))


def backward_steps(y, grad=None, *, with_local=True):
    """The steps of ``y``'s backward pass, like :func:`trace_backward`, but without writing any ``.grad``.

    >>> from backpropnb import tensor
    >>> x = tensor(3.0); steps = backward_steps(x * x)
    >>> [float(d) for d in steps[0].downstream], x.grad is None
    ([3.0, 3.0], True)
    """
    return _run(y, grad, with_local)[0]


def trace_backward(y, grad=None):
    """Run ``y.backward(grad)`` and return its steps, in the order processed.

    >>> from backpropnb import tensor
    >>> x, y, z = tensor(-2.0), tensor(5.0), tensor(-4.0)
    >>> steps = trace_backward((x + y) * z)
    >>> [(s.node.op, float(s.upstream)) for s in steps]
    [('mul', 1.0), ('add', -4.0)]
    """
    steps, grads = _run(y, grad, with_local=True)
    store_grads(grads)
    return steps


def _run(y, grad, with_local):
    steps = []

    def record(node, upstream, downstream):
        local = local_gradients(node) if with_local and node.ndim == 0 else None
        sent = tuple(None if d is None else np.array(d.data) for d in downstream)
        steps.append(BackwardStep(node, np.array(upstream.data), sent, local))

    return steps, backprop(y, grad, on_step=record)
