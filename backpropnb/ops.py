"""Every primitive operation: its forward and its vector-Jacobian rule, side by side.

Each op is registered with :func:`primitive`: a forward on numpy arrays and one
rule per input. A rule receives the upstream gradient ``g`` (a Tensor), the
op's output ``out`` and its inputs (Tensors), and returns the downstream
gradient for that input: ``downstream = upstream x local``, written as a
vector-Jacobian product so that no Jacobian is ever built.

The rules use only the engine's own operations. That is what lets a backward
pass be recorded (``create_graph=True``) and differentiated again, which gives
Hessian-vector products and gradient penalties for every op with no extra code.

A rule may return a gradient in the broadcast shape; the engine sums it back
to the input's shape (:func:`sum_to`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine import Tensor, as_array, constant_like, make_node


@dataclass(frozen=True)
class Primitive:
    """An operation: its name, its forward on arrays and one VJP rule per input."""

    name: str
    forward: Callable
    rules: tuple

    def __call__(self, *inputs, **params):
        arrays = [x.data for x in inputs]
        try:
            data = self.forward(*arrays, **params)
        except (ValueError, IndexError, TypeError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{self.name}: {error} (input shapes {shapes})") from None
        rules = self.rules

        def rule(upstream, out, index):
            return rules[index](upstream, out, *inputs, **params)

        return make_node(self.name, data, inputs, rule, params)


REGISTRY: dict[str, Primitive] = {}


def primitive(name, forward, *rules):
    """Register an op under ``name`` and return it, callable on Tensors."""
    REGISTRY[name] = Primitive(name, forward, rules)
    return REGISTRY[name]


# --- helpers ----------------------------------------------------------


def lift(*values):
    """Make Tensors of all arguments; numbers take the dtype of the first Tensor."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    if like is None:
        like = Tensor(as_array(values[0]), requires_grad=False)
    return tuple(constant_like(v, like) for v in values)


def check_broadcast(name, a, b):
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{name}: cannot broadcast shapes {a.shape} and {b.shape}; compared from the "
            f"right, each pair of axes must be equal or 1. Reshape one operand so they line up."
        ) from None


def _mask(condition, like):
    """A boolean array as a constant of ``like``'s dtype (a local gradient of 0s and 1s)."""
    return Tensor(condition.astype(like.dtype), requires_grad=False)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return tuple(sorted(a % ndim if ndim else a for a in axes))


def _kept_shape(shape, axis):
    """The shape a reduction over ``axis`` has with keepdims=True."""
    axes = _axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ======================================================================
# Broadcasting and its adjoint
# ======================================================================


def _sum_to_forward(x, shape):
    if np.broadcast_shapes(shape, x.shape) != x.shape:
        raise ValueError(f"cannot sum shape {x.shape} down to {shape}")
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


sum_to = primitive(
    "sum_to",
    _sum_to_forward,
    lambda g, out, x, shape: broadcast_to(g, shape=x.shape),
)

broadcast_to = primitive(
    "broadcast_to",
    lambda x, shape: np.broadcast_to(x, shape),
    lambda g, out, x, shape: sum_to(g, shape=x.shape),
)


# ======================================================================
# Arithmetic: add distributes, mul swaps, the copy gate adds (in the engine)
# ======================================================================

_add = primitive(
    "add",
    np.add,
    lambda g, out, a, b: g,
    lambda g, out, a, b: g,
)
_sub = primitive(
    "sub",
    np.subtract,
    lambda g, out, a, b: g,
    lambda g, out, a, b: -g,
)
_mul = primitive(
    "mul",
    np.multiply,
    lambda g, out, a, b: g * b,
    lambda g, out, a, b: g * a,
)
_div = primitive(
    "div",
    np.divide,
    lambda g, out, a, b: g / b,
    lambda g, out, a, b: -(g * out) / b,  # d(a/b)/db = -a/b**2 = -out/b
)
neg = primitive(
    "neg",
    np.negative,
    lambda g, out, a: -g,
)


def _pow_rule(g, out, a, exponent):
    if exponent == 0:
        return g * 0
    return g * (exponent * a ** (exponent - 1))


_pow = primitive(
    "pow",
    lambda a, exponent: np.power(a, a.dtype.type(exponent)),
    _pow_rule,
)


def _binary(name, op):
    def apply(a, b):
        a, b = lift(a, b)
        check_broadcast(name, a, b)
        return op(a, b)

    return apply


add = _binary("add", _add)
subtract = _binary("sub", _sub)
multiply = _binary("mul", _mul)
divide = _binary("div", _div)


def power(a, exponent):
    """``a ** exponent`` for a constant exponent.

    >>> float(power(Tensor(3.0), 2).data)
    9.0
    """
    if isinstance(exponent, Tensor) or not isinstance(exponent, numbers.Real):
        raise ValueError(
            f"pow: the exponent must be a constant number, got {type(exponent).__name__}; "
            f"for a variable exponent write exp(b * log(a))"
        )
    (a,) = lift(a)
    return _pow(a, exponent=exponent)


# ======================================================================
# Elementwise functions
# ======================================================================

_exp = primitive(
    "exp",
    np.exp,
    lambda g, out, a: g * out,
)
_log = primitive(
    "log",
    np.log,
    lambda g, out, a: g / a,
)
_tanh = primitive(
    "tanh",
    np.tanh,
    lambda g, out, a: g * (1 - out * out),
)
_sigmoid = primitive(
    "sigmoid",
    lambda a: 0.5 * (1 + np.tanh(0.5 * a)),  # 1/(1+e^-a), without overflow for large |a|
    lambda g, out, a: g * ((1 - out) * out),  # the fused node's local gradient uses its output
)
_relu = primitive(
    "relu",
    lambda a: np.maximum(a, 0),
    lambda g, out, a: g * _mask(a.data > 0, a),  # convention: the gradient at 0 is 0
)
_maximum = primitive(
    "max",
    np.maximum,
    lambda g, out, a, b: g * _mask(a.data >= b.data, g),  # a tie goes to the first input
    lambda g, out, a, b: g * _mask(a.data < b.data, g),
)


def _unary(op):
    def apply(a):
        (a,) = lift(a)
        return op(a)

    apply.__name__ = op.name
    return apply


exp = _unary(_exp)
log = _unary(_log)
tanh = _unary(_tanh)
sigmoid = _unary(_sigmoid)
relu = _unary(_relu)


def maximum(a, b):
    """The max gate: elementwise larger of ``a`` and ``b``; it routes the gradient.

    The larger input takes the whole upstream gradient and the other gets 0; at a
    tie the first input ``a`` takes it.

    >>> a, b = Tensor(2.0), Tensor(5.0); m = maximum(a, b); m.backward()
    >>> float(a.grad), float(b.grad)
    (0.0, 1.0)
    """
    a, b = lift(a, b)
    check_broadcast("max", a, b)
    return _maximum(a, b)


exp.__doc__ = "Elementwise e**x; its local gradient is its own output.\n\n>>> float(exp(Tensor(0.0)).data)\n1.0"
log.__doc__ = "Elementwise natural log; local gradient 1/x.\n\n>>> float(log(Tensor(1.0)).data)\n0.0"
tanh.__doc__ = "Elementwise tanh; local gradient 1 - tanh**2.\n\n>>> float(tanh(Tensor(0.0)).data)\n0.0"
sigmoid.__doc__ = (
    "The sigmoid 1/(1+e^-x) as one fused node with local gradient (1 - s) * s.\n\n"
    ">>> round(float(sigmoid(Tensor(1.0)).data), 4)\n0.7311"
)
relu.__doc__ = (
    "max(x, 0) elementwise; the gradient passes where x > 0 and is 0 elsewhere (0 at x = 0).\n\n"
    ">>> relu(Tensor([-1.0, 2.0])).data\narray([0., 2.])"
)


# ======================================================================
# Reductions and shape changes
# ======================================================================


def _sum_rule(g, out, a, axis, keepdims):
    return broadcast_to(reshape(g, _kept_shape(a.shape, axis)), shape=a.shape)


def _mean_rule(g, out, a, axis, keepdims):
    count = a.size // max(out.size, 1) if a.size else 1
    return _sum_rule(g, out, a, axis, keepdims) / count


_sum = primitive(
    "sum",
    lambda a, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims),
    _sum_rule,
)
_mean = primitive(
    "mean",
    lambda a, axis, keepdims: np.mean(a, axis=axis, keepdims=keepdims),
    _mean_rule,
)
_reshape = primitive(
    "reshape",
    lambda a, shape: np.reshape(a, shape),
    lambda g, out, a, shape: reshape(g, a.shape),
)
_transpose = primitive(
    "transpose",
    lambda a, axes: np.transpose(a, axes),
    lambda g, out, a, axes: transpose(g, None if axes is None else tuple(np.argsort(axes))),
)


def _normal_axis(name, t, axis):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    for a in axes:
        if not -max(t.ndim, 1) <= a < max(t.ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a tensor of shape {t.shape}")
    return axis if isinstance(axis, numbers.Integral) else tuple(axes)


def sum(a, axis=None, keepdims=False):  # noqa: A001 - the lecture's name
    """Sum over ``axis`` (all axes by default); the gradient is copied back to every element.

    >>> float(sum(Tensor([1.0, 2.0, 3.0])).data)
    6.0
    """
    (a,) = lift(a)
    return _sum(a, axis=_normal_axis("sum", a, axis), keepdims=keepdims)


def mean(a, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes by default); each element gets upstream / count.

    >>> float(mean(Tensor([1.0, 2.0, 3.0])).data)
    2.0
    """
    (a,) = lift(a)
    return _mean(a, axis=_normal_axis("mean", a, axis), keepdims=keepdims)


def reshape(a, *shape):
    """The same numbers in a new shape; the gradient is reshaped back.

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), 2, 2).shape
    (2, 2)
    """
    (a,) = lift(a)
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = tuple(shape[0])
    if a.shape == tuple(shape):
        return a
    return _reshape(a, shape=tuple(int(n) for n in shape))


def transpose(a, axes=None):
    """Permute the axes (reverse them by default); the gradient is permuted back.

    >>> transpose(Tensor(np.zeros((2, 3)))).shape
    (3, 2)
    """
    (a,) = lift(a)
    if axes is not None:
        axes = tuple(int(i) % max(a.ndim, 1) for i in axes)
        if sorted(axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    return _transpose(a, axes=axes)


def _swap_last(t):
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(t, axes)


def _expand(t, axis):
    """Insert an axis of length 1 (a reshape, so it stays differentiable)."""
    shape = list(t.shape)
    shape.insert(axis % (t.ndim + 1), 1)
    return reshape(t, tuple(shape))


# --- indexing: the gradient is scattered back, adding at repeated indices ---


def _index_add_forward(g, index, shape):
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):  # slices and integers reach each element at most once
        out[index] = g  # so plain assignment is exact, and far faster than np.add.at
    else:
        np.add.at(out, index, g)  # integer arrays may repeat an index: every copy adds
    return out


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None
        or i is Ellipsis
        or isinstance(i, slice)
        or (isinstance(i, numbers.Integral) and not isinstance(i, bool))
        for i in items
    )


index_add = primitive(
    "index_add",
    _index_add_forward,
    lambda g, out, a, index, shape: getitem(g, index),
)
_getitem = primitive(
    "getitem",
    lambda a, index: a[index],
    lambda g, out, a, index: index_add(g, index=index, shape=a.shape),
)


def _plain_index(index):
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, (list, np.ndarray)):
        array = np.asarray(index)
        if array.dtype.kind == "f":
            raise ValueError(f"getitem: index arrays must hold integers or booleans, got dtype {array.dtype}")
        return array
    return index


def getitem(a, index):
    """``a[index]`` for slices, integers and integer arrays.

    >>> getitem(Tensor([1.0, 2.0, 3.0]), slice(1, None)).data
    array([2., 3.])
    """
    (a,) = lift(a)
    return _getitem(a, index=_plain_index(index))


def _stack_rule(i):
    def rule(g, out, *inputs, axis):
        return getitem(g, (slice(None),) * axis + (i,))

    return rule


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis.

    >>> stack([Tensor(1.0), Tensor(2.0)]).data
    array([1., 2.])
    """
    tensors = lift(*tensors)
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    axis = int(axis) % (tensors[0].ndim + 1)
    name = f"stack{len(tensors)}"
    op = REGISTRY.get(name) or primitive(
        name, lambda *arrays, axis: np.stack(arrays, axis=axis), *(_stack_rule(i) for i in range(len(tensors)))
    )
    return op(*tensors, axis=axis)


# ======================================================================
# Products
# ======================================================================


def _matmul_rule_a(g, out, a, b):
    if b.ndim == 1:  # out = a @ b dropped b's only axis
        return _expand(g, -1) * b
    if a.ndim == 1:  # a acted as a row vector
        return sum(b * _expand(g, -2), axis=-1)
    return g @ _swap_last(b)


def _matmul_rule_b(g, out, a, b):
    if a.ndim == 1:
        return g * a if b.ndim == 1 else _expand(a, -1) * _expand(g, -2)
    if b.ndim == 1:
        return sum(a * _expand(g, -1), axis=-2)
    return _swap_last(a) @ g


_matmul = primitive("matmul", np.matmul, _matmul_rule_a, _matmul_rule_b)


def matmul(a, b):
    """Matrix product with numpy's rules (vectors, matrices, batches).

    For Y = X W the rules are dL/dX = dL/dY W^T and dL/dW = X^T dL/dY.

    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]])).data
    array([[11.]])
    """
    a, b = lift(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one axis, got shapes {a.shape} and {b.shape}; use * for scalars"
        )
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not line up: the last axis of the left "
            f"({a.shape[-1]}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} axis of the right ({inner_b})"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: the batch axes of {a.shape} and {b.shape} do not broadcast") from None
    return _matmul(a, b)


_dot = primitive(
    "dot",
    np.dot,
    lambda g, out, a, b: g * b,
    lambda g, out, a, b: g * a,
)


def dot(a, b):
    """Dot product of two 1-D vectors of one length.

    >>> float(dot(Tensor([1.0, 2.0]), Tensor([3.0, 4.0])).data)
    11.0
    """
    a, b = lift(a, b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"dot: needs two 1-D vectors of one length, got shapes {a.shape} and {b.shape}; use @ for matrices"
        )
    return _dot(a, b)


# ======================================================================
# Softmax and the cross-entropy loss
# ======================================================================


def _softmax_forward(a, axis):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_forward(a, axis):
    shifted = a - np.max(a, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


_softmax = primitive(
    "softmax",
    _softmax_forward,
    lambda g, out, a, axis: out * (g - sum(g * out, axis=axis, keepdims=True)),
)
_log_softmax = primitive(
    "log_softmax",
    _log_softmax_forward,
    lambda g, out, a, axis: g - exp(out) * sum(g, axis=axis, keepdims=True),
)


def softmax(a, axis=-1):
    """exp(a) / sum(exp(a)) along ``axis``, computed without overflow.

    >>> softmax(Tensor([0.0, 0.0])).data
    array([0.5, 0.5])
    """
    (a,) = lift(a)
    return _softmax(a, axis=_normal_axis("softmax", a, axis))


def log_softmax(a, axis=-1):
    """log(softmax(a)) along ``axis``, computed stably.

    >>> log_softmax(Tensor([0.0, 0.0])).data.round(4)
    array([-0.6931, -0.6931])
    """
    (a,) = lift(a)
    return _log_softmax(a, axis=_normal_axis("log_softmax", a, axis))


def _cross_entropy_forward(logits, labels):
    rows = np.arange(len(labels))
    return -np.mean(_log_softmax_forward(logits, axis=-1)[rows, labels])


def _cross_entropy_rule(g, out, logits, labels):
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return g * (softmax(logits) - Tensor(one_hot, requires_grad=False)) / len(labels)


_cross_entropy = primitive("cross_entropy", _cross_entropy_forward, _cross_entropy_rule)


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy of ``logits`` (N, C) against integer ``labels`` (N,).

    Its gradient with respect to the logits is (softmax - one_hot) / N.

    >>> round(float(cross_entropy(Tensor([[0.0, 0.0]]), [1]).data), 4)
    0.6931
    """
    (logits,) = lift(logits)
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim == 1:
        logits, labels = reshape(logits, 1, -1), labels.reshape(-1)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy: labels must be integer class indices, got dtype {labels.dtype}")
    n, classes = logits.shape
    if labels.shape != (n,):
        raise ValueError(
            f"cross_entropy: labels must have shape ({n},) to match logits {logits.shape}, got {labels.shape}"
        )
    bad = labels[(labels < 0) | (labels >= classes)]
    if bad.size:
        raise ValueError(
            f"cross_entropy: label {int(bad[0])} is out of range for {classes} classes; labels must be in 0..{classes - 1}"
        )
    return _cross_entropy(logits, labels=labels)


# ======================================================================
# Tensor's operators and methods
# ======================================================================


def attach_methods(cls):
    """Give Tensor its operators; everything routes to the functions above."""
    cls.__add__ = lambda self, other: add(self, other)
    cls.__radd__ = lambda self, other: add(other, self)
    cls.__sub__ = lambda self, other: subtract(self, other)
    cls.__rsub__ = lambda self, other: subtract(other, self)
    cls.__mul__ = lambda self, other: multiply(self, other)
    cls.__rmul__ = lambda self, other: multiply(other, self)
    cls.__truediv__ = lambda self, other: divide(self, other)
    cls.__rtruediv__ = lambda self, other: divide(other, self)
    cls.__neg__ = lambda self: neg(self)
    cls.__pow__ = lambda self, exponent: power(self, exponent)
    cls.__matmul__ = lambda self, other: matmul(self, other)
    cls.__rmatmul__ = lambda self, other: matmul(other, self)
    cls.__getitem__ = lambda self, index: getitem(self, index)
    cls.__iter__ = lambda self: (getitem(self, i) for i in range(len(self)))
    cls.T = property(lambda self: transpose(self), doc="The transpose (axes reversed).")
    for name in ("sum", "mean", "reshape", "exp", "log", "tanh", "sigmoid", "relu", "dot", "softmax", "log_softmax"):
        setattr(cls, name, globals()[name])
    cls.transpose = lambda self, *axes: transpose(
        self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], numbers.Integral) else axes) or None
    )
    cls.maximum = maximum
