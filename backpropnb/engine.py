"""The graph engine: the Tensor node, grad mode and the backward pass.

A Tensor is one node of a computational graph. It holds a numpy array (a
0-d array for a scalar), remembers the operation that made it and that
operation's inputs, and after ``backward`` holds the gradient of the output
with respect to itself.

This module knows nothing of drawing or widgets; the operations themselves
(forward and vector-Jacobian rule side by side) live in :mod:`backpropnb.ops`.
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Record nothing inside the block: every result is a constant.

    >>> with no_grad():
    ...     y = tensor(2.0) * 3
    >>> y.requires_grad, y.op
    (False, None)
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled():
    """True unless inside :func:`no_grad` (or a first-order backward pass)."""
    return _grad_enabled


def as_array(data, dtype=None):
    """Turn numbers and array-likes into a float numpy array (floats keep their dtype).

    >>> as_array(3).dtype, as_array(np.ones(2, np.float32)).dtype
    (dtype('float64'), dtype('float32'))
    """
    if isinstance(data, Tensor):
        return data.data
    try:
        array = np.asarray(data)
    except Exception as error:  # ragged lists and other oddities
        raise TypeError(f"tensor: cannot make an array of {data!r}: {error}") from None
    if array.dtype.kind == "f":
        return array if dtype is None else array.astype(dtype, copy=False)
    if array.dtype.kind in "biu":
        return array.astype(dtype or np.float64)
    raise TypeError(
        f"tensor: data must be numeric, got {type(data).__name__} with dtype "
        f"{array.dtype}; pass numbers or a numeric numpy array"
    )


class Tensor:
    """One node of the graph: a numpy array plus how it was made.

    >>> x = tensor(3.0, name="x"); y = x * x; y.backward()
    >>> float(y.data), float(x.grad)
    (9.0, 6.0)
    """

    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray + Tensor works
    __slots__ = ("data", "grad", "name", "op", "parents", "params", "requires_grad", "_rule", "__weakref__")

    def __init__(self, data, *, name=None, requires_grad=True, op=None, parents=(), rule=None, params=None):
        self.data = as_array(data)
        self.grad = None
        self.name = name
        self.op = op
        self.parents = tuple(parents)
        self.params = params or {}  # the op's constant settings (exponent, axis, index...), for drawings
        self.requires_grad = bool(requires_grad)
        # rule(upstream, out, index) -> gradient for parents[index], as a Tensor
        self._rule = rule

    # --- plain facts -------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="The shape of ``data``.")
    ndim = property(lambda self: self.data.ndim, doc="The number of axes of ``data``.")
    size = property(lambda self: self.data.size, doc="The number of elements of ``data``.")
    dtype = property(lambda self: self.data.dtype, doc="The dtype of ``data``.")

    def item(self):
        """The value of a one-element tensor as a Python float.

        >>> tensor(2.5).item()
        2.5
        """
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item; this one has shape {self.shape}")
        return self.data.item()

    def zero_grad(self):
        """Forget the accumulated gradient (``.grad`` becomes None).

        >>> x = tensor(1.0); (x * 2).backward(); x.zero_grad(); print(x.grad)
        None
        """
        self.grad = None

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self):
        label = f", name={self.name!r}" if self.name is not None else ""
        made = f", op={self.op!r}" if self.op is not None else ""
        grad = "" if self.grad is None else f", grad={_short(self.grad)}"
        return f"Tensor({_short(self.data)}{label}{made}{grad})"

    def backward(self, grad=None, *, create_graph=False):
        """Backpropagate from this tensor and add the gradients into every ``.grad``.

        >>> x = tensor(2.0); y = x ** 3; y.backward(); float(x.grad)
        12.0
        """
        store_grads(backprop(self, grad, create_graph=create_graph), create_graph)

    # The operators and methods are defined in ops.py and attached below.


def _short(value):
    data = value.data if isinstance(value, Tensor) else value
    text = np.array2string(np.asarray(data), precision=4, threshold=6, edgeitems=2)
    return text if not isinstance(value, Tensor) else f"Tensor({text})"


def tensor(data, *, name=None, requires_grad=True):
    """Make a leaf of the graph: a variable (default) or a constant.

    Float arrays keep their dtype; ints, bools and Python numbers become
    float64; a Python number gives a 0-d tensor.

    >>> x = tensor(-2.0, name="x"); x.shape, x.dtype
    ((), dtype('float64'))
    """
    if isinstance(data, Tensor):
        data = data.data
    return Tensor(np.array(as_array(data)), name=name, requires_grad=requires_grad)


def constant_like(value, like):
    """Lift a number or array into a constant leaf; Python numbers take ``like``'s dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return Tensor(np.asarray(value, dtype=like.dtype), requires_grad=False)
    return Tensor(value, requires_grad=False)


def make_node(op, data, parents, rule, params=None):
    """Wrap an operation's output: a graph node if any input needs a gradient, else a constant."""
    if _grad_enabled and any(p.requires_grad for p in parents):
        return Tensor(data, op=op, parents=parents, rule=rule, params=params)
    return Tensor(data, requires_grad=False)


# --- the backward pass ----------------------------------------------


def topological_order(root):
    """The nodes that lead to ``root`` and need gradients, inputs before outputs.

    Iterative depth-first search, so a chain of 100,000 operations needs no
    recursion.

    >>> x = tensor(1.0, name="x"); y = (x + 1) * x
    >>> [n.name or n.op for n in topological_order(y)]
    ['x', 'add', 'mul']
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


def seed_for(output, grad):
    """The gradient that starts a backward pass, checked against the output's shape."""
    if not output.requires_grad:
        raise ValueError(
            "backward: this tensor is a constant (made under no_grad, or only from "
            "constants), so there is nothing to differentiate; build it from tensors "
            "with requires_grad=True outside no_grad"
        )
    if grad is None:
        if output.ndim != 0:
            raise ValueError(
                f"backward: the output has shape {output.shape}, not a scalar; pass the "
                f"upstream gradient as grad=<array of shape {output.shape}> (or reduce "
                f"the output with .sum() first)"
            )
        return Tensor(np.ones((), dtype=output.dtype), requires_grad=False)
    # a seed array is copied: output.grad must not be the caller's array
    seed = grad if isinstance(grad, Tensor) else Tensor(np.array(as_array(grad, output.dtype)), requires_grad=False)
    if seed.shape != output.shape:
        raise ValueError(
            f"backward: the seed gradient has shape {seed.shape} but the output has "
            f"shape {output.shape}; pass a gradient of shape {output.shape}"
        )
    return seed


def backprop(output, grad=None, *, create_graph=False, on_step=None):
    """Run the chain rule from ``output`` back to the leaves; return {id(node): (node, gradient)}.

    Nothing is written into ``.grad`` here (see :func:`store_grads`), so a pass
    that fails part-way leaves every tensor as it was. ``on_step(node,
    upstream, downstream)`` is called once per non-leaf node, in the order
    processed. With ``create_graph`` the rules are recorded, so the gradients
    are themselves differentiable.

    >>> x = tensor(3.0); grads = backprop(x * x)
    >>> float(grads[id(x)][1].data)
    6.0
    """
    seed = seed_for(output, grad)
    grads = {id(output): (output, seed)}
    with _recording(create_graph):
        for node in reversed(topological_order(output)):
            if not node.parents:
                continue
            upstream = grads[id(node)][1]
            downstream = tuple(
                vjp_step(node, upstream, i) if parent.requires_grad else None for i, parent in enumerate(node.parents)
            )
            for parent, gradient in zip(node.parents, downstream):
                if gradient is not None:
                    _accumulate(grads, parent, gradient)
            if on_step is not None:
                on_step(node, upstream, downstream)
    return grads


@contextlib.contextmanager
def _recording(enabled):
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(enabled)
    try:
        yield
    finally:
        _grad_enabled = previous


def _accumulate(grads, node, gradient):
    entry = grads.get(id(node))
    grads[id(node)] = (node, gradient if entry is None else entry[1] + gradient)


def vjp_step(node, upstream, index):
    """One chain-rule step: the gradient ``node`` sends to ``node.parents[index]``.

    The op's rule gives downstream = upstream x local; a gradient that came out
    broadcast is summed back to the input's shape (broadcasting copies a value,
    and the copy gate adds).
    """
    gradient = node._rule(upstream, node, index)
    shape = node.parents[index].shape
    if gradient.shape == shape:
        return gradient
    try:
        return _ops.sum_to(gradient, shape=shape)
    except ValueError:
        raise ValueError(
            f"{node.op}: its rule returned a gradient of shape {gradient.shape} for an "
            f"input of shape {shape}; a gradient must have its input's shape"
        ) from None


def store_grads(grads, create_graph=False):
    """Add each gradient into its node's ``.grad``: arrays, or Tensors after create_graph."""
    taken = {id(node.data) for node, _ in grads.values()}
    for node, gradient in grads.values():
        if not create_graph:
            gradient = _own_array(gradient.data, taken)
        if node.grad is not None:
            gradient = node.grad + gradient
        node.grad = gradient


def _own_array(array, taken):
    """``array`` if no one else holds it, else a copy: each ``.grad`` is private and writable.

    A rule's fresh result is used as it is (copying every gradient costs ~10% of
    a backward pass); a view (a broadcast is even read-only), an array passed on
    unchanged to several nodes (the add gate) or a node's own data is copied.
    """
    if array.base is not None or not array.flags.writeable or id(array) in taken:
        array = np.array(array)
    taken.add(id(array))
    return array


from . import ops as _ops  # noqa: E402  (the operators need Tensor defined first)

_ops.attach_methods(Tensor)
