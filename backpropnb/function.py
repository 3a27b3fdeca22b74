"""Custom gates, the "modular API": a gate is a class with forward and backward.

This is how the lecture's modular picture looks in code (and how PyTorch's
``torch.autograd.Function`` works): forward computes the output from numpy
arrays and saves what backward needs; backward turns the upstream gradient
into one downstream gradient per input.
"""

from __future__ import annotations

import numpy as np

from .engine import Tensor, as_array, is_grad_enabled, make_node
from .ops import _sum_to_forward, lift


class Context:
    """The notebook a gate keeps between its forward and its backward."""

    def __init__(self):
        self.saved = ()

    def save_for_backward(self, *arrays):
        """Keep arrays for backward; read them back as ``ctx.saved`` (a tuple)."""
        self.saved = arrays


class Function:
    """Subclass with static ``forward(ctx, *inputs)`` and ``backward(ctx, grad_output)``.

    forward receives and returns numpy arrays; backward receives the upstream
    gradient (a numpy array) and returns one gradient per input: a tuple, or a
    bare array when there is one input. Gradients of a custom gate are
    first-order only: backward works on arrays, so it is not recorded, and a
    pass with ``create_graph=True`` (hessian, grad of grad) through it raises a
    ValueError instead of silently treating its gradient as a constant. A gate
    has no forward-mode rule either: jvp and hvp through it raise a ValueError.

    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved
    ...         return 2 * x * grad_output
    >>> x = Tensor(3.0); y = Square.apply(x); y.backward(); float(x.grad), y.op
    (6.0, 'Square')

    A one-input gate that passes its input on unchanged (a branch of the
    copy gate) may set the class attribute ``drawn_as_edge = True``: drawings
    then show it as a plain edge from its input to its output, not as a gate.
    """

    drawn_as_edge = False

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError("write forward(ctx, *inputs) returning a numpy array")

    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("write backward(ctx, grad_output) returning one gradient per input")

    @classmethod
    def apply(cls, *inputs):
        """Run the gate on Tensors (numbers and arrays become constants); returns a Tensor."""
        tensors = lift(*inputs)
        ctx = Context()
        output = as_array(cls.forward(ctx, *(t.data for t in tensors)))
        return make_node(cls.__name__, output, tensors, _GatePrimitive(cls, ctx))

    @classmethod
    def _checked_backward(cls, ctx, upstream, tensors):
        grads = cls.backward(ctx, upstream)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(tensors):
            raise ValueError(
                f"{cls.__name__}.backward returned {len(grads)} gradients for {len(tensors)} inputs; return one per input"
            )
        # copies: a gate may hand back an array it also keeps (a saved input, say)
        return tuple(
            np.zeros_like(t.data) if g is None else _unbroadcast(cls.__name__, np.array(as_array(g, t.dtype)), t.shape)
            for g, t in zip(grads, tensors)
        )


class _GatePrimitive:
    """The primitive of one call of a custom gate (its node's ``primitive``): runs ``backward`` once per upstream."""

    __slots__ = ("gate", "ctx", "upstream", "grads")

    def __init__(self, gate, ctx):
        self.gate, self.ctx, self.upstream, self.grads = gate, ctx, None, None

    def vjp(self, upstream, out, index):
        if is_grad_enabled():
            raise ValueError(
                f"{self.gate.__name__}: a custom Function's backward works on numpy arrays, so its gradient "
                f"cannot be differentiated again (create_graph=True, hvp, hessian, grad of grad); write the "
                f"gate with backpropnb's operations instead, and every rule is differentiable"
            )
        if self.upstream is not upstream:
            self.upstream, self.grads = upstream, self.gate._checked_backward(self.ctx, upstream.data, out.parents)
        return Tensor(np.array(self.grads[index]), requires_grad=False)  # a copy: .grad is never the gate's array

    def vjp_arrays(self, upstream, out):
        """All the gate's input gradients as arrays (the first-order backward's step); None for a constant."""
        grads = self.gate._checked_backward(self.ctx, np.asarray(upstream), out.parents)
        return [g if p.requires_grad else None for g, p in zip(grads, out.parents)]

    def jvp(self, tangents, out, inputs, params):
        raise ValueError(
            f"{self.gate.__name__}: a custom Function has a backward (reverse mode) but no forward-mode rule, so "
            f"jvp and hvp cannot push a tangent through it; write the gate with backpropnb's operations instead "
            f"(every op has a JVP rule), or use reverse mode only (grad, vjp, jacobian)"
        )


def _unbroadcast(name, gradient, shape):
    """A gradient returned in a broadcast shape, summed back to its input's shape."""
    if gradient.shape == shape:
        return gradient
    try:
        return _sum_to_forward(gradient, shape)
    except ValueError:
        raise ValueError(
            f"{name}: its backward returned a gradient of shape {gradient.shape} for an "
            f"input of shape {shape}; a gradient must have its input's shape"
        ) from None
