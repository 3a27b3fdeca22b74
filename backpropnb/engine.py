"""The graph engine: the Tensor node, grad mode, the backward pass and forward mode's tangents.

A Tensor is one node of a computational graph. It holds a numpy array (a
0-d array for a scalar), remembers the operation that made it and that
operation's inputs, and after ``backward`` holds the gradient of the output
with respect to itself.

This module knows nothing of drawing or widgets, nor of any particular
operation: an op (see :mod:`backpropnb.ops`) gives each node it makes its
name (``node.op``, a string such as ``"mul"``) and its ``primitive``: the
object whose ``vjp(upstream, node, index)`` returns the gradient for
``node.parents[index]``, already in that input's shape, and whose
``vjp_arrays(upstream, node)`` runs the same rules on plain numpy arrays (the
first-order pass ``backward()`` uses: no Tensor per gradient, nothing
recorded). Inside :func:`forward_trace` (``jvp``, ``hvp``) each new node also
gets a tangent from its primitive's ``jvp(tangents, node, parents, params)``.
The operators (``+``, ``*``, ``@`` …) are attached to Tensor by
:mod:`backpropnb.ops`.
"""

from __future__ import annotations

import contextlib
import gc
import numbers

import numpy as np

_grad_enabled = True
_plain_arrays = False  # True while a first-order backward runs the rules on plain numpy arrays
_jvp_trace = None  # the innermost active ForwardTrace (jvp, hvp): while set, every op's output gets a tangent


@contextlib.contextmanager
def grad_mode(enabled):
    """Record operations (``True``) or not (``False``) inside the block.

    :func:`no_grad` is ``grad_mode(False)``; a backward pass runs its rules in
    ``grad_mode(create_graph)``.

    >>> with grad_mode(False):
    ...     is_grad_enabled()
    False
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(enabled)
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad():
    """Record nothing inside the block: every result is a constant.

    >>> with no_grad():
    ...     y = tensor(2.0) * 3
    >>> y.requires_grad, y.op
    (False, None)
    """
    return grad_mode(False)


def is_grad_enabled():
    """True unless inside :func:`no_grad` (or a first-order backward pass).

    >>> is_grad_enabled()
    True
    """
    return _grad_enabled


def as_array(data, dtype=None, *, keep_integers=False):
    """Turn numbers and array-likes into a numpy array: floats keep their dtype, integers become float64.

    With ``keep_integers`` integer and boolean data keep their dtype (constants
    used as indices and labels); ``dtype`` casts to that dtype.

    >>> as_array(3).dtype, as_array(np.ones(2, np.float32)).dtype, as_array([0, 2], keep_integers=True).dtype
    (dtype('float64'), dtype('float32'), dtype('int64'))
    """
    if isinstance(data, Tensor):
        return data.data
    try:
        array = np.asarray(data)
    except Exception as error:  # ragged lists and other oddities
        raise TypeError(f"tensor: cannot make an array of {data!r}: {error}") from None
    kind = array.dtype.kind
    if kind == "f" or (keep_integers and kind in "biu"):
        return array if dtype is None else array.astype(dtype, copy=False)
    if kind in "biu":
        return array.astype(dtype or np.float64)
    if kind == "O" and any(isinstance(v, Tensor) for v in array.flat):
        raise TypeError(
            "tensor: got a numpy array holding Tensors: a numpy method on an array with a Tensor argument "
            "(x.dot(w), where x is an array) works element by element and keeps no graph. Put the Tensor "
            "first (w.T.dot(x.T).T), or write bp.dot(x, w) or x @ w, which run the engine's op"
        )
    raise TypeError(
        f"tensor: data must be numeric, got {type(data).__name__} with dtype "
        f"{array.dtype}; pass numbers or a numeric numpy array"
    )


class Tensor:
    """One node of the graph: a numpy array plus how it was made.

    A float64 scalar is kept as a Python float inside (numpy's 0-d arithmetic
    costs more than the rest of a scalar op), but ``.data`` and ``.grad``
    always read as numpy arrays.

    >>> x = tensor(3.0, name="x"); y = x * x; y.backward()
    >>> float(y.data), float(x.grad)
    (9.0, 6.0)
    >>> type(y.data), y.data.dtype
    (<class 'numpy.ndarray'>, dtype('float64'))
    """

    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray + Tensor works
    __slots__ = (
        "_data",
        "_grad",
        "name",
        "op",
        "parents",
        "params",
        "requires_grad",
        "primitive",
        "_used",
        "_made_at",
        "_changed_at",
        "__weakref__",
    )

    def __init__(self, data, *, name=None, requires_grad=True, op=None, parents=(), primitive=None, params=None):
        # integer and boolean tensors exist only as constants (indices, labels): no gradient flows to them
        if type(data) is not np.ndarray or data.dtype.kind != "f":
            data = as_array(data, keep_integers=not requires_grad)
        self._data = stored(data)
        self._grad = None
        self.name = name
        self.op = op  # the op's name ("mul"), None for a leaf
        self.parents = tuple(parents)
        self.params = params or {}  # the op's constant settings (exponent, axis, index...), for drawings
        self.requires_grad = bool(requires_grad)
        self.primitive = primitive  # the op's rules: .vjp(upstream, node, index) -> gradient for parents[index]
        self._used = False  # True once a backward pass went through this node without retain_graph
        self._made_at = _clock  # assignments to .data are counted: one after this means the node is stale
        self._changed_at = 0

    @property
    def data(self):
        """The numpy array this node holds (a 0-d array for a scalar)."""
        data = self._data
        if type(data) is float:
            data = self._data = np.array(data)  # kept, so that t.data is t.data and writes into it stay
        return data

    @data.setter
    def data(self, value):
        # counted, so that a backward pass through a graph built on the old numbers is refused
        global _clock
        self._data = stored(as_array(value, keep_integers=not self.requires_grad))
        _clock += 1
        self._changed_at = _clock

    @property
    def grad(self):
        """The gradient after ``backward()``: an array of this tensor's shape and dtype, or None.

        After ``backward(create_graph=True)`` it is a Tensor (differentiable).
        """
        grad = self._grad
        kind = type(grad)
        if kind is float:
            grad = self._grad = np.array(grad)
        elif kind is _Shared:  # an array other nodes hold too (or a view): this node's own copy, made now
            grad = self._grad = np.array(grad.array)
        return grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    # --- plain facts -------------------------------------------------
    shape = property(lambda self: () if type(self._data) is float else self._data.shape, doc="The shape of ``data``.")
    ndim = property(lambda self: 0 if type(self._data) is float else self._data.ndim, doc="The number of axes.")
    size = property(lambda self: 1 if type(self._data) is float else self._data.size, doc="The number of elements.")
    dtype = property(lambda self: _FLOAT64 if type(self._data) is float else self._data.dtype, doc="The dtype.")

    def _value(self):
        """The value of a one-element tensor as a Python number (``item()``, without its warning)."""
        if type(self._data) is float:
            return self._data
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
            raise TypeError("len() of a 0-d tensor: it has no axis to count; use .shape or .item()")
        return len(self.data)

    def __bool__(self):
        if self.size != 1:
            raise ValueError(
                f"bool(): the truth value of a tensor of shape {self.shape} is ambiguous; "
                f"compare its elements, e.g. bool((t.data > 0).all())"
            )
        return bool(self.data)

    def __float__(self):
        return float(self._value())  # ops.py adds a warning when the tensor needs a gradient

    def __int__(self):
        return int(self._value())

    def __format__(self, spec):
        if spec and self.size == 1:
            return format(self._value(), spec)  # f"{loss:.4f}" on a scalar tensor
        return format(str(self), spec)

    def __repr__(self):
        label = f", name={self.name!r}" if self.name is not None else ""
        made = f", op={self.op!r}" if self.op is not None else ""
        grad = "" if self.grad is None else f", grad={_short(self.grad)}"
        return f"Tensor({_short(self.data)}{label}{made}{grad})"

    def backward(self, grad=None, *, create_graph=False, retain_graph=None):
        """Backpropagate from this tensor and add the gradients into every ``.grad``.

        A graph is backpropagated once: a second pass through it raises a
        ValueError (its gradients are already in ``.grad``), unless the first
        pass was asked to keep it with ``retain_graph=True`` (the default when
        ``create_graph=True``), as in PyTorch.

        >>> x = tensor(2.0); y = x ** 3; y.backward(); float(x.grad)
        12.0
        """
        backward_pass(self, grad, create_graph=create_graph, retain_graph=retain_graph)

    # The operators and methods are attached by backpropnb.ops.


_FLOAT64 = np.dtype(np.float64)
_clock = 0  # counts assignments to any Tensor's .data (see Tensor._made_at)

# The seam's one attribute: a Tensor's numbers as the engine keeps them (see stored()), a Python
# float for a float64 scalar, else the array. The ops read them here, as fast as the engine reads
# its own slot (this is that slot, under a public name) and without making an array of a scalar.
# Only read it: assigning .data is what counts a change (see Tensor._made_at).
Tensor.stored_data = Tensor.__dict__["_data"]


def stored(array):
    """How a Tensor keeps its numbers: a float64 scalar as a Python float, anything else as the array.

    ``t.stored_data`` reads them back as kept.

    >>> stored(np.array(2.0)), stored(np.float64(2.0)), stored(np.array(2.0, np.float32))
    (2.0, 2.0, array(2., dtype=float32))
    >>> tensor(2.0).stored_data, tensor([1.0, 2.0]).stored_data
    (2.0, array([1., 2.]))
    """
    if type(array) is float:
        return array
    if array.ndim == 0 and array.dtype == _FLOAT64:
        return float(array)
    return array if type(array) is np.ndarray else np.asarray(array)


def _short(value):
    data = value.data if isinstance(value, Tensor) else value
    text = np.array2string(np.asarray(data), precision=4, threshold=6, edgeitems=2)
    return text if not isinstance(value, Tensor) else f"Tensor({text})"


def tensor(data, *, name=None, requires_grad=True, dtype=None):
    """Make a leaf of the graph: a variable (default) or a constant.

    Float arrays keep their dtype; a Python number gives a 0-d tensor. A
    variable is always floating point (integers and bools become float64);
    a constant (``requires_grad=False``) keeps integer and boolean data as
    they are, for indices and labels. ``dtype`` casts the data.

    >>> x = tensor(-2.0, name="x"); x.shape, x.dtype
    ((), dtype('float64'))
    >>> tensor([0, 2], requires_grad=False).dtype
    dtype('int64')
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None and requires_grad and np.dtype(dtype).kind != "f":
        raise TypeError(
            f"tensor: a {np.dtype(dtype)} tensor cannot require a gradient (only floating-point values can "
            f"be differentiated); pass requires_grad=False for an index or label tensor, or a float dtype"
        )
    array = np.array(as_array(data, dtype, keep_integers=not requires_grad or dtype is not None))
    return Tensor(array, name=name, requires_grad=requires_grad)


def constant_like(value, like):
    """Lift a number or array into a constant leaf that works with ``like`` (the promotion rule).

    A Python number takes ``like``'s dtype when ``like`` is floating point; an
    integer or boolean array beside a floating-point tensor takes that
    tensor's dtype (float32 stays float32, as in PyTorch); float arrays keep
    their own dtype (numpy then promotes float32 with float64 to float64).

    >>> constant_like(2, tensor(np.ones(2, np.float32))).dtype
    dtype('float32')
    >>> constant_like(np.arange(2), tensor(np.ones(2, np.float32))).dtype
    dtype('float32')
    """
    if isinstance(value, Tensor):
        return value
    if type(like._data) is float and (type(value) is float or type(value) is int):
        return _node(float(value), None, (), None, {}, False)  # a number beside a float64 scalar: the fast path
    floating = like.dtype.kind == "f"
    number = isinstance(value, numbers.Number) and not isinstance(value, bool)
    if number and (floating or isinstance(value, numbers.Integral)):
        dtype = like.dtype if floating else np.result_type(like.dtype, np.asarray(value).dtype)
        return Tensor(np.asarray(value, dtype=dtype), requires_grad=False)
    array = as_array(value, keep_integers=True)
    if floating and array.dtype.kind in "biu":
        array = array.astype(like.dtype)
    return Tensor(array, requires_grad=False)


def make_node(op, data, parents, primitive, params=None):
    """Wrap an operation's output: a graph node if any input needs a gradient, else a constant.

    ``op`` is the op's name; ``primitive.vjp(upstream, node, index)`` must
    return the gradient for ``parents[index]`` in that parent's shape. Inside
    a forward-mode trace (:func:`forward_trace`) the output also gets its
    tangent from ``primitive.jvp(tangents, node, parents, params)``.
    """
    data = stored(data) if type(data) is not float else data
    if _jvp_trace is not None:  # forward mode (jvp, hvp): the output's tangent rides along with its value
        return _node_with_tangent(op, data, parents, primitive, params)
    if _grad_enabled:
        for p in parents:
            if p.requires_grad:
                return _node(data, op, tuple(parents), primitive, params or {}, True)
    return _node(data, None, (), None, {}, False)


def _node(data, op, parents, primitive, params, requires_grad):
    """A Tensor of numbers already stored (see :func:`stored`), made without :meth:`Tensor.__init__`'s checks."""
    node = _new_tensor(Tensor)
    node._data = data
    node._grad = None
    node.name = None
    node.op = op
    node.parents = parents
    node.params = params
    node.requires_grad = requires_grad
    node.primitive = primitive
    node._used = False
    node._made_at = _clock
    node._changed_at = 0
    return node


_new_tensor = object.__new__


# --- the seam the ops module builds on: all an op asks of the engine ----------


def on_plain_arrays():
    """True while a first-order backward runs the ops' rules on plain numbers: an op then only computes.

    >>> on_plain_arrays()
    False
    """
    return _plain_arrays


def in_forward_mode():
    """True inside :func:`forward_trace` (``jvp``, ``hvp``), where every new node gets a tangent.

    >>> in_forward_mode()
    False
    """
    return _jvp_trace is not None


def scalar_node(op, data, inputs, primitive):
    """The output of ``op`` on float64 scalars: :func:`make_node` for a Python float, without its checks.

    The scalar fast path: ``inputs`` are Tensors holding Python floats and no
    forward-mode trace is running.

    >>> x = tensor(2.0); y = scalar_node("mul", 6.0, (x, scalar_constant(3.0)), None)
    >>> y.op, y.requires_grad, scalar_node("mul", 6.0, (scalar_constant(2.0),), None).op
    ('mul', True, None)
    """
    if _grad_enabled:
        for a in inputs:
            if a.requires_grad:
                return _node(data, op, inputs, primitive, {}, True)
    return _node(data, None, (), None, {}, False)


def scalar_constant(value):
    """A float64 scalar constant holding the Python float ``value``, made as cheaply as a node can be.

    >>> c = scalar_constant(3.0); c.requires_grad, c.shape
    (False, ())
    """
    return _node(value, None, (), None, {}, False)


def attach_methods(methods):
    """Give Tensor its operators and methods ({name: function}), which the ops module defines.

    The engine knows no op: this is the one door through which ``+``, ``.exp()``
    and the rest reach the Tensor class.

    >>> attach_methods({"lecture_demo": lambda self: 42}); tensor(1.0).lecture_demo()
    42
    >>> del Tensor.lecture_demo
    """
    for name, function in methods.items():
        setattr(Tensor, name, function)


# --- forward mode: tangents pushed along as the ops run -------------------


class ForwardTrace:
    """The tangents of the values computed while this trace is active (see :func:`forward_trace`).

    ``record`` runs the tangent rules in grad mode, so that the tangents are
    themselves differentiable (a jvp of Tensors); ``outer`` is the trace that
    was active when this one started (forward over forward).
    """

    __slots__ = ("tangents", "record", "outer")

    def __init__(self, record=False, outer=None):
        self.tangents = {}  # id(tensor) -> (tensor, tangent); holding the tensor keeps its id unique
        self.record, self.outer = record, outer

    def tangent(self, value):
        """The tangent of ``value`` (a Tensor), or None where it is 0 (a constant)."""
        entry = self.tangents.get(id(value))
        return None if entry is None else entry[1]

    def attach(self, value, tangent):
        """Give ``value`` a tangent: the direction in which it moves."""
        self.tangents[id(value)] = (value, tangent)


@contextlib.contextmanager
def forward_trace(record=False):
    """Push tangents along with every op run inside the block; yields the :class:`ForwardTrace`.

    Attach tangents to the inputs first; each op's output then gets the tangent
    its JVP rule computes from its inputs' tangents (J times the tangents).

    >>> x = tensor(3.0, requires_grad=False)
    >>> with forward_trace() as trace:
    ...     trace.attach(x, tensor(1.0, requires_grad=False))
    ...     y = x * x
    >>> float(trace.tangent(y).data)
    6.0
    """
    global _jvp_trace
    trace = ForwardTrace(record, _jvp_trace)
    _jvp_trace = trace
    try:
        yield trace
    finally:
        _jvp_trace = trace.outer


def carry_tangents(source, target):
    """Give ``target`` (a copy of ``source``, e.g. a new leaf to differentiate) the tangents ``source`` has.

    >>> x, leaf = tensor(2.0, requires_grad=False), tensor(2.0)
    >>> with forward_trace() as trace:
    ...     trace.attach(x, tensor(1.0, requires_grad=False)); carry_tangents(x, leaf)
    ...     float(trace.tangent(leaf).data)
    1.0
    """
    trace = _jvp_trace
    while trace is not None:
        tangent = trace.tangent(source)
        if tangent is not None:
            trace.attach(target, tangent)
        trace = trace.outer


def _node_with_tangent(op, data, parents, primitive, params):
    """:func:`make_node` inside a forward-mode trace: the node, and its tangent in every active trace."""
    if _grad_enabled and any(p.requires_grad for p in parents):
        node = _node(data, op, tuple(parents), primitive, params or {}, True)
    else:
        node = _node(data, None, (), None, {}, False)
    _push_tangent(_jvp_trace, node, parents, primitive, params)
    return node


def _push_tangent(trace, node, parents, primitive, params):
    """Give ``node`` its tangent in ``trace`` (and in every outer trace, first)."""
    global _jvp_trace
    if trace.outer is not None:  # the outer trace must know node's tangent before an inner rule uses node
        _push_tangent(trace.outer, node, parents, primitive, params)
    tangents = [trace.tangent(p) for p in parents]
    if all(t is None for t in tangents):
        return  # every input is a constant here: so is the output
    # the rule's own ops are this trace's arithmetic, not part of the function: only outer traces see them
    active, _jvp_trace = _jvp_trace, trace.outer
    try:
        with grad_mode(trace.record and _grad_enabled):
            tangent = primitive.jvp(tangents, node, parents, params or {})
    finally:
        _jvp_trace = active
    trace.attach(node, tangent)


# --- the backward pass ----------------------------------------------


def topological_order(root):
    """The nodes that lead to ``root`` and need gradients, inputs before outputs.

    Iterative depth-first search, so a chain of 100,000 operations needs no
    recursion.

    >>> x = tensor(1.0, name="x"); y = (x + 1) * x
    >>> [n.name or n.op for n in topological_order(y)]
    ['x', 'add', 'mul']
    """
    order, visited = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:  # the next parent not seen yet: go down to it first
            if parent.requires_grad and parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:  # every parent is in order: the node follows them
            stack.pop()
            order.append(node)
    return order


def seed_for(output, grad):
    """The gradient that starts a backward pass, checked against the output's shape (a private copy).

    >>> seed_for(tensor(2.0) * 1, None).data
    array(1.)
    """
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
    if isinstance(grad, Tensor):
        # a recorded seed (create_graph) stays itself; a constant's array is copied, so that
        # output.grad never shares memory with the caller's seed
        seed = grad if grad.requires_grad else Tensor(np.array(grad.data), requires_grad=False)
    else:
        seed = Tensor(np.array(as_array(grad, output.dtype)), requires_grad=False)
    if seed.shape != output.shape:
        raise ValueError(
            f"backward: the seed gradient has shape {seed.shape} but the output has "
            f"shape {output.shape}; pass a gradient of shape {output.shape}"
        )
    return seed


def backprop(output, grad=None, *, create_graph=False, on_step=None, order=None):
    """Run the chain rule from ``output`` back to the leaves; return {id(node): (node, gradient)}.

    Side-effect free: nothing is written into ``.grad`` (see
    :func:`backward_pass`), so a pass that fails part-way leaves every tensor as
    it was, and a graph can be replayed as often as needed (drawings do).
    ``on_step(node, upstream, downstream)`` is called once per non-leaf node,
    in the order processed. With ``create_graph`` the rules are recorded, so
    the gradients are themselves differentiable. ``order`` may pass
    :func:`topological_order` of ``output`` when the caller has it already.

    >>> x = tensor(3.0); grads = backprop(x * x)
    >>> float(grads[id(x)][1].data)
    6.0
    """
    seed = seed_for(output, grad)
    grads = {id(output): (output, seed)}
    with _collector_paused(), grad_mode(create_graph):
        for node in reversed(order if order is not None else topological_order(output)):
            if not node.parents:
                continue
            upstream = grads[id(node)][1]
            downstream = chain_rule_step(node, upstream)
            for parent, gradient in zip(node.parents, downstream):
                if gradient is not None:
                    _accumulate(grads, parent, gradient)
            if on_step is not None:
                on_step(node, upstream, downstream)
    return grads


def backprop_arrays(output, grad, *, order=None):
    """First-order :func:`backprop` on plain arrays: return {node: gradient}.

    Each op's own rules run on the numbers themselves (see ``vjp_arrays`` of
    the node's primitive): numpy arrays, or Python floats for float64 scalars. No
    Tensor is made per gradient and nothing is recorded; this is what
    ``backward()`` runs. It gives the numbers :func:`backprop` gives, warnings
    included: a step whose arithmetic divides by zero, over- or underflows
    into inf or nan is redone on Tensors, where each op names itself.
    ``grad`` is the gradient the pass starts from, as in :func:`backprop`, but
    already checked and as plain numbers: ``seed_for(output, grad).stored_data``.

    >>> x = tensor(3.0); grads = backprop_arrays(x * x, 1.0)
    >>> float(grads[x])
    6.0
    """
    global _plain_arrays
    grads = {output: grad}
    previous, errors = _plain_arrays, np.geterr()
    try:
        with (
            _collector_paused(),
            np.errstate(all="raise", under="ignore"),
        ):  # a floating-point problem is redone below, and named
            _plain_arrays = True
            for node in reversed(order if order is not None else topological_order(output)):
                parents = node.parents
                if not parents:
                    continue
                if node._made_at != _clock:
                    _check_unchanged(node)
                upstream = grads[node]
                try:
                    downstream = node.primitive.vjp_arrays(upstream, node)
                except ArithmeticError:  # ZeroDivisionError and OverflowError from floats, FloatingPointError
                    downstream = _step_on_tensors(node, upstream, errors)
                for parent, gradient in zip(parents, downstream):
                    if gradient is not None:
                        if parent in grads:
                            grads[parent] = grads[parent] + gradient
                        else:
                            grads[parent] = gradient
    finally:
        _plain_arrays = previous
    return grads


def _step_on_tensors(node, upstream, errors):
    """One step redone on Tensors under the caller's numpy error handling, so that a warning names its op."""
    global _plain_arrays
    _plain_arrays = False
    try:
        with np.errstate(**errors), grad_mode(False):
            steps = chain_rule_step(node, Tensor(upstream, requires_grad=False), check=False)
    finally:
        _plain_arrays = True
    return tuple(None if g is None else g._data for g in steps)


def chain_rule_step(node, upstream, *, check=True):
    """One step of the backward pass: the gradient ``node`` sends to each parent (None for a constant).

    downstream = local x upstream, by the op's vector-Jacobian rule. With
    ``check`` it is refused if an input's ``.data`` was assigned after the
    forward pass (a drawing of an old graph passes ``check=False``).

    >>> x = tensor(3.0); y = x * 2  # the constant 2 gets no gradient
    >>> [None if g is None else float(g.data) for g in chain_rule_step(y, tensor(1.0))]
    [2.0, None]
    """
    if check:
        _check_unchanged(node)
    return tuple(
        node.primitive.vjp(upstream, node, i) if parent.requires_grad else None for i, parent in enumerate(node.parents)
    )


def _check_unchanged(node):
    """Refuse a step whose inputs' ``.data`` was assigned after the forward pass (PyTorch's version counter)."""
    made = node._made_at
    if made == _clock:  # no .data was assigned anywhere since this node was made
        return
    changed = [p for p in node.parents if p._changed_at > made] or ([node] if node._changed_at > made else [])
    if not changed:
        return
    names = ", ".join(p.name or p.op or "a constant" for p in changed)
    raise ValueError(
        f"backward: {names} got new .data after {node.op} used it in the forward pass, so the "
        f"gradient would mix old and new numbers; rebuild the graph (run the forward again) after "
        f"changing .data"
    )


def _accumulate(grads, node, gradient):
    """The copy gate adds: a node that feeds several others sums their gradients."""
    entry = grads.get(id(node))
    if entry is None:
        grads[id(node)] = (node, gradient)
    elif _grad_enabled or _jvp_trace is not None:  # recorded (create_graph), or forward mode (carries a tangent)
        grads[id(node)] = (node, entry[1] + gradient)
    else:  # first order: plain numbers, no graph to record
        grads[id(node)] = (node, Tensor(entry[1]._data + gradient._data, requires_grad=False))


def backward_pass(output, grad=None, *, create_graph=False, retain_graph=None, on_step=None):
    """``output.backward(...)``: check the graph is unused, backpropagate, store every ``.grad``.

    Gradients add into ``.grad`` (a leaf used by several graphs collects all
    their gradients), but one graph is backpropagated once unless
    ``retain_graph`` (default: ``create_graph``) keeps it usable. ``on_step``
    is passed on to :func:`backprop`.

    >>> x = tensor(3.0); y = x * x; backward_pass(y); float(x.grad)
    6.0
    >>> backward_pass(y)
    Traceback (most recent call last):
    ...
    ValueError: backward: this graph was already backpropagated ...
    """
    with _collector_paused():
        _backward_pass(output, grad, create_graph, retain_graph, on_step)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector for a backward pass, then restore it as it was.

    A pass makes no reference cycles, only short-lived tuples, iterators and
    numbers (freed at once by reference counting); but the collector, counting
    them, would start full collections that walk the whole graph again and
    again: more than half of a long chain's backward time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _backward_pass(output, grad, create_graph, retain_graph, on_step):
    order = topological_order(output) if output.requires_grad else []
    if any(node._used for node in order):
        raise ValueError(
            "backward: this graph was already backpropagated and its gradients are already in .grad; "
            "a second pass would add them again. Re-run the cells that build the graph (or call "
            "zero_grad() on the leaves and rebuild it); to backpropagate one graph twice on purpose, "
            "pass retain_graph=True to the first backward()"
        )
    if create_graph or on_step is not None:
        grads = backprop(output, grad, create_graph=create_graph, on_step=on_step, order=order).values()
    else:  # the same rules on plain arrays: no Tensor per gradient
        grads = backprop_arrays(output, seed_for(output, grad)._data, order=order).items()
    store_grads(grads, create_graph)
    if not (create_graph if retain_graph is None else retain_graph):
        for node in order:
            if node.parents:
                node._used = True


def store_grads(grads, create_graph=False):
    """Add each gradient into its node's ``.grad``: all of them, or none if one ``.grad`` does not fit.

    ``grads`` holds (node, gradient) pairs: ``backprop(...).values()`` or
    ``backprop_arrays(...).items()``. First-order gradients are stored as
    private arrays of the node's dtype (a float64 scalar's as a float, read
    back as an array); after ``create_graph`` they are Tensors (differentiable).
    """
    grads = list(grads)
    for node, _ in grads:  # check every .grad first: then the commit below cannot fail half-way
        current = node._grad
        if type(current) is _Shared:
            current = current.array
        if current is not None and np.shape(current) != node.shape:
            label = node.name or node.op or "a leaf"
            raise ValueError(
                f"backward: {label}.grad has shape {np.shape(current)} but {label} has shape "
                f"{node.shape}, so the new gradient cannot be added to it; no .grad was changed. "
                f"Call zero_grad() on it (or set .grad = None) and run backward again"
            )
    shared = None
    for node, gradient in grads:
        if create_graph:
            pass
        elif type(gradient) is float and type(node._data) is float:
            pass  # a float64 scalar's gradient: kept as the float, read as an array
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient._data
            gradient = np.asarray(gradient).astype(node.dtype, copy=False)
            if shared is None:
                shared = _shared_arrays(grads)
            if gradient.base is not None or not gradient.flags.writeable or id(gradient) in shared:
                gradient = _Shared(gradient)  # copied when .grad is read: each .grad is private and writable
        current = node._grad
        if current is not None:
            if type(current) is _Shared:
                current = current.array
            gradient = current + (gradient.array if type(gradient) is _Shared else gradient)
            if not create_graph and type(node._data) is float:
                gradient = float(gradient)
        node._grad = gradient


class _Shared:
    """A gradient array that another node (or a node's data) also holds, or a view: copied when first read.

    The add gate hands one array to both inputs and the sum's gradient is a
    broadcast view; copying them all at every backward pass costs time and
    memory, and most intermediate ``.grad`` are never read.
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def _shared_arrays(grads):
    """The ids of arrays that are a node's data, the gradient of more than one node, or the base of a view.

    A gradient that another gradient is a view of (a transpose, a reshape) must be copied too: a write
    into one node's ``.grad`` must never reach another's.
    """
    seen, shared = set(), {id(node._data) for node, _ in grads}
    for _, gradient in grads:
        array = gradient._data if isinstance(gradient, Tensor) else gradient
        key = id(array)
        if key in seen:
            shared.add(key)
        seen.add(key)
        base = getattr(array, "base", None)
        while base is not None:
            shared.add(id(base))
            base = base.base
    return shared
