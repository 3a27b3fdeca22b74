"""Every primitive operation: its forward, its vector-Jacobian and its Jacobian-vector rules, side by side.

Each op is one call to :func:`primitive`: a forward on numpy arrays, one rule
per input, and what the op needs to be shown and exported (the symbol drawn in
its gate, its doc, the Tensor methods and operators it provides). The module's
public functions, the Tensor methods, ``__all__``, the drawings' gate symbols
and the stepper's formulas all come from this one registry.

A rule receives the upstream gradient ``g`` (a Tensor), the op's output
``out`` and its inputs (Tensors), and returns the downstream gradient for that
input: ``downstream = upstream x local``, written as a vector-Jacobian product
so that no Jacobian is ever built.

The rules use only the engine's own operations. That is what lets a backward
pass be recorded (``create_graph=True``) and differentiated again, which gives
Hessian-vector products and gradient penalties for every op with no extra code.

A rule may return its gradient in the broadcast shape; :meth:`Primitive.vjp`
sums it back to the input's shape (broadcasting copies a value, and the copy
gate adds), so the engine always receives gradients in their input's shape.

Beside each VJP rule sits a JVP rule, for forward mode (:func:`backpropnb.jvp`):
it receives that input's tangent ``t`` (the direction in which the input
moves, in the input's shape) and returns its share ``J t`` of the output's
tangent; the shares of all inputs are added (an input that is a constant
has no tangent and adds nothing). Reverse mode multiplies the Jacobian from
the left (``gᵀ J``), forward mode from the right (``J t``). For an
elementwise op J is diagonal, so both rules are the same formula. JVP rules
run on Tensors only (inside :func:`backpropnb.engine.forward_trace`).

An elementwise op is declared by its forward and its derivative, once, with
:func:`elementwise`: its VJP rule (``g * f'(a)``), its JVP rule
(``t * f'(a)``) and its rule on plain numbers all come from that one formula.

To add an op: an elementwise one is one ``elementwise(name, forward,
derivative=..., domain=...)`` call; any other is one ``primitive(...)`` call
with its forward, its VJP and JVP rules and an ``examples=`` call or two. The
registry-wide tests (derivatives against finite differences to second order,
both backward paths, random graphs, accuracy) read every op from the registry,
so a new op is tested with no test edit.
"""

from __future__ import annotations

import linecache
import numbers
import operator
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import engine
from .engine import (
    Tensor,
    as_array,
    constant_like,
    in_forward_mode,
    make_node,
    on_plain_arrays,
    scalar_constant,
    scalar_node,
    stored,
)


@dataclass(frozen=True)
class Domain:
    """Where an elementwise op is defined and smooth: the tests draw its inputs from here.

    ``low`` and ``high`` bound the inputs (open: log has low=0), ``kinks`` are
    the points where the derivative jumps (relu and abs at 0), which a finite
    difference must not straddle. ``accurate`` maps a dtype's name to the range
    over which the op promises a few ulps (tests/test_engine_accuracy.py checks
    it against ``reference`` at 60 digits).

    >>> Domain(low=0.0).contains(2.0), Domain(kinks=(0.0,)).kinks
    (True, (0.0,))
    """

    low: float = -np.inf
    high: float = np.inf
    kinks: tuple = ()
    accurate: dict | None = None

    def contains(self, value):
        """True if ``value`` lies strictly inside the bounds."""
        return bool(self.low < value < self.high)


@dataclass(frozen=True)
class Example:
    """One call of an op for the registry-wide tests: its input arrays and its params (as the rules see them).

    >>> Example(([1.0, 2.0],), {"axis": 0}).params
    {'axis': 0}
    """

    inputs: tuple
    params: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Primitive:
    """An operation: its forward on arrays, one VJP rule per input, and how it is shown.

    ``formula`` is how the op is written in a step of the backward pass, with
    ``{0}``, ``{1}`` … for its inputs' names and ``{name}`` for a parameter
    (default: ``symbol(inputs)``). A ``variadic`` op (stack) has one rule that
    also receives the input's ``index``.
    """

    name: str
    forward: Callable
    rules: tuple
    symbol: str
    doc: str
    formula: str | None = None
    variadic: bool = False
    float_warnings: bool = False  # may overflow or divide by zero: numpy's warning is re-issued under the op's name
    scalar: Callable | None = None  # the same forward on Python floats (float64 scalars), number for number
    jvps: tuple = ()  # one JVP (forward-mode) rule per input: the input's tangent t -> its share J t of the output's
    examples: tuple = ()  # Example calls (inputs and params) that the registry-wide tests differentiate
    derivative: Callable | None = None  # an elementwise op's local gradient f'(a), from which its rules come
    domain: Domain | None = None  # an elementwise op's inputs: where it is defined and smooth
    reference: Callable | None = None  # an elementwise op written for a math module (math, mpmath), for accuracy tests
    internal: bool = False  # the engine's own bookkeeping (broadcasting, indexing's adjoint): no public name

    def __call__(self, *inputs, **params):
        """Run the forward on Tensors and make the output node (on plain arrays inside a rule, just the forward)."""
        if on_plain_arrays():  # a rule running in a first-order backward: arrays in, array out
            return self.forward(*inputs, **params)
        arrays = [x.stored_data for x in inputs]
        if float in map(type, arrays):
            if self.scalar is not None and _all_floats(arrays):
                try:
                    data = self.scalar(*arrays, **params)
                except ArithmeticError:  # 1.0 / 0.0: numpy's answer (inf) and its warning, below
                    data = None
                if data is not None and data - data == 0.0:  # finite: else numpy's answer and warnings, below
                    return make_node(self.name, data, inputs, self, params)
            arrays = [np.array(a) if type(a) is float else a for a in arrays]
        try:
            if self.float_warnings:
                data = self._forward_naming_warnings(arrays, params)
            else:
                data = self.forward(*arrays, **params)
        except (ValueError, IndexError, TypeError) as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{self.name}: {error} (input shapes {shapes})") from None
        return make_node(self.name, data, inputs, self, params)

    def _forward_naming_warnings(self, arrays, params):
        seen = []
        with np.errstate(
            divide="call", over="call", invalid="call", under="ignore", call=lambda kind, flag: seen.append(kind)
        ):
            data = self.forward(*arrays, **params)
        if seen:
            shapes = ", ".join(str(a.shape) for a in arrays)
            warnings.warn(
                f"{self.name}: {' and '.join(dict.fromkeys(seen))} in its forward (input shapes {shapes}); "
                f"the result holds inf or nan",
                RuntimeWarning,
                stacklevel=_caller_level(),
            )
        return data

    def vjp(self, g, out, index):
        """The gradient ``out`` sends to its input ``index``, summed back to that input's shape."""
        inputs = out.parents
        if self.variadic:
            gradient = self.rules[0](g, out, *inputs, index=index, **out.params)
        else:
            gradient = self.rules[index](g, out, *inputs, **out.params)
        return unbroadcast(self.name, gradient, inputs[index].shape)

    def on_floats(self, args):
        """The output node of the op on float64 scalars (Tensors holding floats, or Python numbers), or None.

        The fast path for a graph of scalars: the ``scalar`` forward gives
        numpy's number, with no array made. None (so the caller takes the
        general path) if an argument is anything else, or if the result is not
        finite: numpy's answer and warning then come from the general path.
        """
        values, numbers = [], False
        for a in args:
            kind = type(a)
            if kind is Tensor:
                value = a.stored_data
                if type(value) is not float:
                    return None
            elif kind is float or kind is int:
                if kind is int and not -(2**53) <= a <= 2**53:
                    return None  # a big integer: the general path rounds it as numpy does
                value, numbers = float(a), True
            else:
                return None
            values.append(value)
        try:
            data = self.scalar(*values)
        except ArithmeticError:
            return None
        if data - data != 0.0:
            return None
        if numbers:  # a number beside float64 scalars is a float64 constant (the promotion rule)
            args = tuple(a if type(a) is Tensor else scalar_constant(v) for a, v in zip(args, values))
            if not any(type(a) is Tensor for a in args):
                return None
        return scalar_node(self.name, data, args, self)

    def vjp_arrays(self, g, out):
        """The gradients ``out`` sends to all its inputs (None for a constant), by the same rules on plain numbers.

        The first-order backward's step: ``g`` and the numbers the rules see
        are numpy arrays (or Python floats, for an op with a ``scalar``
        forward whose inputs are float64 scalars), so each ``g * b`` is a
        plain product and nothing is recorded.
        """
        inputs = out.parents
        if self.scalar is not None and type(g) is float:  # float64 scalars all through: rules on Python floats
            arrays = [x.stored_data for x in inputs]
            if _all_floats(arrays):
                value = out.stored_data
                return [
                    _finite_float(self.name, rule(g, value, *arrays)) if x.requires_grad else None
                    for rule, x in zip(self.rules, inputs)
                ]
        arrays = [x.stored_data for x in inputs]
        value = out.stored_data
        if self.scalar is None or not _all_floats(arrays):  # the rules may ask for .shape or .ndim: give them arrays
            arrays = [np.array(a) if type(a) is float else a for a in arrays]
            if type(value) is float:
                value = np.array(value)
        if type(g) is float:
            g = np.array(g)
        grads = []
        for index, x in enumerate(inputs):
            if not x.requires_grad:
                grads.append(None)
                continue
            if self.variadic:
                gradient = self.rules[0](g, value, *arrays, index=index, **out.params)
            else:
                gradient = self.rules[index](g, value, *arrays, **out.params)
            if np.shape(gradient) != np.shape(arrays[index]):
                gradient = _unbroadcast_array(self.name, gradient, np.shape(arrays[index]))
            if type(gradient) is not np.ndarray or gradient.ndim == 0:
                gradient = stored(gradient)  # a float64 scalar's gradient as a float
            grads.append(gradient)
        return grads

    def jvp(self, tangents, out, inputs, params):
        """The tangent of ``out``: the sum of each input's share J_i t_i (an input without a tangent adds nothing)."""
        if not self.jvps:
            raise ValueError(
                f"{self.name}: this op has no JVP rule, so forward mode (jvp, hvp) cannot run through it; "
                f"register one with primitive(..., jvp=...) beside its VJP rules"
            )
        total = None
        for index, t in enumerate(tangents):
            if t is None:
                continue
            if self.variadic:
                term = self.jvps[0](t, out, *inputs, index=index, **params)
            else:
                term = self.jvps[index](t, out, *inputs, **params)
            if term.shape != out.shape:  # a broadcast input moves every copy of itself
                term = broadcast_to(term, shape=out.shape)
            total = term if total is None else total + term
        return total

    def write(self, names, params=None):
        """The op as a formula of its inputs' names, as the stepper prints it.

        >>> REGISTRY["mul"].write(["a", "b"]), REGISTRY["sigmoid"].write(["d"])
        ('a × b', 'σ(d)')
        """
        if self.formula is None:
            return f"{self.symbol}({', '.join(names)})"
        shown = {k: f"{v:g}" if isinstance(v, numbers.Real) else v for k, v in (params or {}).items()}
        return self.formula.format(*names, **shown)


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _caller_level():
    """The stack level of the first frame outside the package: a warning points at the learner's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _finite_float(name, gradient):
    """A scalar rule's result as a finite float; inf or nan is redone on Tensors (where numpy warns, named)."""
    if type(gradient) is not float:
        gradient = stored(gradient)  # a 0-d array from a rule's own op: back to a float
    if gradient - gradient != 0.0:
        raise FloatingPointError(f"{name}: inf or nan")
    return gradient


def _all_floats(values):
    """True if every value is a Python float (a loop: all() over a generator costs more for two values)."""
    for v in values:  # noqa: SIM110
        if type(v) is not float:
            return False
    return True


REGISTRY: dict[str, Primitive] = {}
_EXPORTS: list[str] = []  # public functions, in order of registration
_METHODS: dict[str, Callable] = {}  # Tensor attribute name -> function(self, *args)
PUBLIC: dict[str, Callable] = {}  # op name -> the function that lifts and checks its arguments, then runs it


def primitive(
    name, forward, *rules, jvp=None, symbol, doc, prepare=None, export=None, method=None, operators=(), **shown
):
    """Register an op and return its public function (which lifts and checks its arguments).

    ``rules`` are its VJP rules, one per input; ``jvp`` its JVP rules, one per
    input in the same order (a single function for a one-input or variadic op).

    ``prepare(*args, **kwargs)`` turns the public function's arguments into
    ``(input Tensors, params)`` (default: every argument lifted to a Tensor),
    or returns a Tensor to short-circuit (a reshape to the same shape).
    ``export`` names the function in ``backpropnb`` (None: internal),
    ``method`` the Tensor method, ``operators`` the Tensor operators (a name
    starting with ``__r`` gets its arguments swapped). ``shown`` holds
    :class:`Primitive`'s other fields (``formula``, ``variadic``, ``scalar``
    …); ``examples``, one :class:`Example` call or more, is what every
    registry-wide test differentiates (an elementwise op draws its inputs from
    its ``domain`` instead), so a new op is tested with no test edit.
    """
    if name in REGISTRY:
        raise ValueError(f"primitive: an op named {name!r} is already registered")
    jvps = () if jvp is None else tuple(jvp) if isinstance(jvp, (tuple, list)) else (jvp,)
    if jvps and len(jvps) != len(rules):
        raise ValueError(f"primitive: {name} has {len(rules)} VJP rules but {len(jvps)} JVP rules; give one per input")
    shown["examples"] = tuple(shown.get("examples", ()))
    if not shown["examples"] and shown.get("domain") is None:
        raise ValueError(
            f"primitive: {name} has no examples; give examples=[Example(inputs, params)] (what the tests "
            f"differentiate), or register an elementwise op with elementwise(..., domain=...)"
        )
    internal = not (export or method or operators)
    entry = REGISTRY[name] = Primitive(name, forward, rules, symbol, doc, jvps=jvps, internal=internal, **shown)
    prepare = prepare or _lift_all

    def function(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        if type(prepared) is not tuple:  # the answer already (a reshape to the same shape)
            return prepared
        inputs, params = prepared
        return entry(*inputs, **params)

    if entry.scalar is not None:  # a float64 scalar op: tried on Python floats first
        general = function

        def function(*args, **kwargs):
            # not inside a rule on plain arrays, nor in forward mode (the general path pushes the tangent)
            if not kwargs and not on_plain_arrays() and not in_forward_mode():
                node = entry.on_floats(args)
                if node is not None:
                    return node
            return general(*args, **kwargs)

    function.__name__ = function.__qualname__ = export or name
    function.__doc__ = doc
    function.primitive = entry  # the Primitive, as every node it makes holds it (node.primitive)
    PUBLIC[name] = function
    if export:
        _EXPORTS.append(export)
    if method:
        _METHODS[method] = function
    for dunder in operators:
        _METHODS[dunder] = _swapped(function) if dunder.startswith("__r") else function
    return function


def _swapped(function):
    return lambda self, other: function(other, self)


def elementwise(name, forward, derivative=None, *, denominator=None, domain=None, symbol=None, **options):
    """Register an elementwise op by its forward and its derivative, once; every rule comes from that formula.

    ``derivative(out, a, **params)`` is the local gradient f'(a) (``out`` is
    f(a), often the cheapest way to write it), in the engine's own ops so that
    it is differentiated again for second order. From it:

    * the VJP rule ``g * derivative`` (downstream = upstream x local),
    * the JVP rule ``t * derivative`` (an elementwise Jacobian is diagonal, so
      reverse and forward mode multiply by the same number),
    * the first-order backward's rule on plain arrays and Python floats: the
      same formula, run on numbers (see :meth:`Primitive.vjp_arrays`).

    A derivative 1/d (log: 1/x) is given as ``denominator=d`` and applied as
    ``g / d``, which rounds once where ``g * (1/d)`` would round twice.
    ``domain`` (a :class:`Domain`, default the whole line) is where the tests
    draw inputs; the other ``options`` are :func:`primitive`'s. ``symbol``
    defaults to the name.

    >>> s = sigmoid(Tensor(0.0)); float(REGISTRY["sigmoid"].derivative(s, Tensor(0.0)).data)  # (1 - s)·s
    0.25
    """
    if (derivative is None) == (denominator is None):
        raise ValueError(f"elementwise: {name} needs one of derivative= (f'(a)) or denominator= (f'(a) = 1/d)")
    if denominator is None:

        def rule(g, out, a, **params):
            return g * derivative(out, a, **params)

    else:

        def rule(g, out, a, **params):
            return g / denominator(out, a, **params)

    rule.__qualname__ = rule.__name__ = f"{name}_rule"
    local = derivative or (lambda out, a, **params: 1 / denominator(out, a, **params))
    return primitive(
        name,
        forward,
        rule,
        jvp=rule,  # t * f'(a): the same product as g * f'(a), with the tangent in the upstream's place
        symbol=symbol or name,
        derivative=local,
        domain=domain or Domain(),
        **options,
    )


# --- helpers: lifting and checking arguments -----------------------------


def lift(*values):
    """Make Tensors of all arguments; numbers take the dtype of the first float Tensor.

    >>> [t.dtype for t in lift(Tensor(np.ones(2, np.float32)), 2.0)]
    [dtype('float32'), dtype('float32')]
    """
    for v in values:  # the common case, kept fast: float Tensors need nothing
        if type(v) is not Tensor or (type(v.stored_data) is not float and v.stored_data.dtype.kind != "f"):
            break
    else:
        return values
    if on_plain_arrays():
        return values  # a rule in a first-order backward: its arrays stay arrays
    tensors = [v for v in values if isinstance(v, Tensor)]
    like = next((t for t in tensors if t.dtype.kind == "f"), tensors[0] if tensors else None)
    if like is None:
        like = Tensor(as_array(values[0], keep_integers=True), requires_grad=False)
    lifted = tuple(constant_like(v, like) for v in values)
    if like.dtype.kind == "f" and any(t.dtype.kind != "f" for t in lifted):
        # an integer or boolean constant beside a float tensor takes its dtype (promotion, see constant_like)
        lifted = tuple(
            t if t.dtype.kind == "f" else Tensor(t.data.astype(like.dtype), requires_grad=False) for t in lifted
        )
    return lifted


def _lift_all(*args):
    return lift(*args), {}


def _broadcastable(name):
    def prepare(a, b):
        a, b = lift(a, b)
        a_shape, b_shape = a.shape, b.shape
        if a_shape == b_shape:
            return (a, b), {}
        for m, n in zip(reversed(a_shape), reversed(b_shape)):  # numpy's rule, without np.broadcast_shapes' cost
            if m != n and m != 1 and n != 1:
                raise ValueError(
                    f"{name}: cannot broadcast shapes {a_shape} and {b_shape}; compared from the "
                    f"right, each pair of axes must be equal or 1. Reshape one operand so they line up."
                )
        return (a, b), {}

    return prepare


def axes_of(name, axis, ndim, shape=None):
    """``axis`` (None, an int or a tuple of ints) as a sorted tuple of axes in 0..ndim-1, checked as numpy does.

    >>> axes_of("sum", -1, 3), axes_of("sum", None, 2)
    ((2,), (0, 1))
    >>> axes_of("sum", 2, 2, shape=(2, 3))
    Traceback (most recent call last):
    ...
    ValueError: sum: axis 2 is out of range for a tensor of shape (2, 3); use an axis in -2..1
    """
    where = f"a tensor of shape {shape}" if shape is not None else f"a tensor with {ndim} axes"
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"{name}: an axis must be an integer, got {a!r} for {where}")
        if not -ndim <= a < ndim:
            allowed = f"use an axis in {-ndim}..{ndim - 1}" if ndim else "a 0-d tensor has no axis; use axis=None"
            raise ValueError(f"{name}: axis {a} is out of range for {where}; {allowed}")
        axes.append(int(a) % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axis {axis!r} names one axis twice, for {where}")
    return tuple(sorted(axes))


def _checked_axis(name, a, axis):
    """``axis`` as the caller gave it (an int or a tuple), after checking it against ``a``."""
    axes_of(name, axis, a.ndim, a.shape)
    return tuple(int(i) for i in axis) if isinstance(axis, (tuple, list)) else axis


def _kept_shape(shape, axis):
    """The shape a reduction over ``axis`` has with keepdims=True."""
    axes = axes_of("sum", axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _mask(condition):
    """A comparison's booleans as a local gradient of 0s and 1s: ``g * _mask(...)`` keeps ``g``'s dtype.

    Booleans multiply as 0 and 1 (numpy casts them inside the product, and a
    Tensor lifts them to its own dtype), so no float mask is made.
    """
    return condition


def _array(x):
    """The numbers of ``x``: a Tensor's array, or ``x`` itself (a rule may run on Tensors or on arrays)."""
    return x.stored_data if isinstance(x, Tensor) else x


def _unbroadcast_array(name, gradient, shape):
    """:func:`unbroadcast` on a plain array."""
    try:
        return _sum_to_forward(np.asarray(gradient), shape)
    except ValueError:
        raise ValueError(
            f"{name}: its rule returned a gradient of shape {np.shape(gradient)} for an "
            f"input of shape {shape}; a gradient must have its input's shape"
        ) from None


def unbroadcast(name, gradient, shape):
    """``gradient`` summed back to ``shape`` (the adjoint of broadcasting); shape mismatches are the rule's fault."""
    if gradient.shape == shape:
        return gradient
    try:
        return sum_to(gradient, shape=shape)
    except ValueError:
        raise ValueError(
            f"{name}: its rule returned a gradient of shape {gradient.shape} for an "
            f"input of shape {shape}; a gradient must have its input's shape"
        ) from None


# ======================================================================
# Broadcasting and its adjoint (used by the engine's own bookkeeping)
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
    jvp=lambda t, out, x, shape: sum_to(t, shape=shape),
    symbol="sum_to",
    doc="Sum a broadcast array back down to ``shape`` (the adjoint of broadcasting).\n\n"
    ">>> sum_to(Tensor(np.ones((2, 3))), shape=(3,)).data\narray([2., 2., 2.])",
    prepare=lambda x, shape: (lift(x), {"shape": tuple(shape)}),
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"shape": (1, 3)})],
)
broadcast_to = primitive(
    "broadcast_to",
    lambda x, shape: np.broadcast_to(x, shape),
    lambda g, out, x, shape: sum_to(g, shape=x.shape),
    jvp=lambda t, out, x, shape: broadcast_to(t, shape=shape),
    symbol="broadcast",
    doc="Copy ``x`` out to ``shape`` by numpy's broadcasting rules; the gradient is summed back.\n\n"
    ">>> broadcast_to(Tensor(1.0), shape=(2,)).data\narray([1., 1.])",
    prepare=lambda x, shape: (lift(x), {"shape": tuple(shape)}),
    examples=[Example(([1.0, -2.0, 3.0],), {"shape": (2, 3)})],
)


# ======================================================================
# Arithmetic: add distributes, mul swaps, the copy gate adds (in the engine)
# ======================================================================

add = primitive(
    "add",
    np.add,
    lambda g, out, a, b: g,
    lambda g, out, a, b: g,
    jvp=(lambda t, out, a, b: t, lambda t, out, a, b: t),
    symbol="+",
    formula="{0} + {1}",
    doc="The add gate ``a + b``: it distributes, each input gets the upstream gradient.\n\n"
    ">>> float(add(Tensor(1.0), 2.0).data)\n3.0",
    prepare=_broadcastable("add"),
    export="add",
    operators=("__add__", "__radd__"),
    scalar=operator.add,
    examples=[Example(([[0.5, -1.0, 2.0]], [[1.5], [-0.7]]))],
)
subtract = primitive(
    "sub",
    np.subtract,
    lambda g, out, a, b: g,
    lambda g, out, a, b: -g,
    jvp=(lambda t, out, a, b: t, lambda t, out, a, b: -t),
    symbol="−",
    formula="{0} − {1}",
    doc="``a - b``: the first input gets the upstream gradient, the second its negative.\n\n"
    ">>> float(subtract(Tensor(1.0), 2.0).data)\n-1.0",
    prepare=_broadcastable("sub"),
    export="subtract",
    operators=("__sub__", "__rsub__"),
    scalar=operator.sub,
    examples=[Example(([[0.5, -1.0, 2.0]], [[1.5], [-0.7]]))],
)
multiply = primitive(
    "mul",
    np.multiply,
    lambda g, out, a, b: g * b,
    lambda g, out, a, b: g * a,
    jvp=(lambda t, out, a, b: t * b, lambda t, out, a, b: t * a),
    symbol="×",
    formula="{0} × {1}",
    doc="The mul gate ``a * b``: it swaps, each input gets the upstream times the other input.\n\n"
    ">>> float(multiply(Tensor(2.0), 3.0).data)\n6.0",
    prepare=_broadcastable("mul"),
    export="multiply",
    operators=("__mul__", "__rmul__"),
    scalar=operator.mul,
    examples=[Example(([[0.5, -1.0, 2.0]], [[1.5], [-0.7]]))],
)
divide = primitive(
    "div",
    np.divide,
    lambda g, out, a, b: g / b,
    lambda g, out, a, b: -(g * out) / b,  # d(a/b)/db = -a/b**2 = -out/b
    jvp=(lambda t, out, a, b: t / b, lambda t, out, a, b: -(t * out) / b),
    symbol="÷",
    formula="{0} / {1}",
    doc="``a / b``: local gradients 1/b and -a/b².\n\n>>> float(divide(Tensor(1.0), 4.0).data)\n0.25",
    prepare=_broadcastable("div"),
    export="divide",
    operators=("__truediv__", "__rtruediv__"),
    float_warnings=True,
    scalar=operator.truediv,
    examples=[Example(([[0.5, -1.0, 2.0]], [[1.5], [-0.7]]))],
)
negative = elementwise(
    "neg",
    np.negative,
    lambda out, a: -1,
    symbol="×−1",
    formula="−{0}",
    doc="``-a``: the gradient changes sign.\n\n>>> float(negative(Tensor(2.0)).data)\n-2.0",
    export="negative",
    operators=("__neg__",),
    scalar=operator.neg,
)


def _pow_derivative(out, a, exponent):
    if exponent == 0:
        return 0
    return exponent * power(a, exponent - 1)


def _pow_prepare(a, exponent):
    if isinstance(exponent, (Tensor, bool)) or not isinstance(exponent, numbers.Real):
        raise ValueError(
            f"pow: the exponent must be a constant number, got {type(exponent).__name__}; "
            f"for a variable exponent write exp(b * log(a))"
        )
    return lift(a), {"exponent": exponent}


power = elementwise(
    "pow",
    lambda a, exponent: np.power(a, np.result_type(a).type(exponent)),
    _pow_derivative,  # n·a^(n-1)
    symbol="x^n",
    formula="{0}^{exponent}",
    doc="``a ** exponent`` for a constant exponent; local gradient n·a^(n-1).\n\n"
    ">>> float(power(Tensor(3.0), 2).data)\n9.0",
    prepare=_pow_prepare,
    export="power",
    operators=("__pow__",),
    float_warnings=True,
    examples=[
        Example(([0.7, -1.3, 2.0],), {"exponent": 3}),
        Example(([0.7, 1.3, 2.0],), {"exponent": 0.5}),
        Example(([0.7, -1.3],), {"exponent": -2}),
        Example(([0.7, -1.3],), {"exponent": 0}),
    ],
)


# ======================================================================
# Elementwise functions: each is its forward and its derivative f'(a), once
# (see elementwise: the VJP g·f'(a), the JVP t·f'(a) and the rule on floats come from it)
# ======================================================================

exp = elementwise(
    "exp",
    np.exp,
    lambda out, a: out,  # its own output
    doc="Elementwise e**x; its local gradient is its own output.\n\n>>> float(exp(Tensor(0.0)).data)\n1.0",
    export="exp",
    method="exp",
    float_warnings=True,
    domain=Domain(accurate={"float64": (-745.0, 709.0), "float32": (-103.0, 88.0)}),
    reference=lambda m, x: m.exp(x),
)
log = elementwise(
    "log",
    np.log,
    denominator=lambda out, a: a,  # 1/x
    doc="Elementwise natural log; local gradient 1/x.\n\n>>> float(log(Tensor(1.0)).data)\n0.0",
    export="log",
    method="log",
    float_warnings=True,
    domain=Domain(low=0.0, accurate={"float64": (1e-300, 1e300), "float32": (1e-30, 1e30)}),
    reference=lambda m, x: m.log(x),
)
expm1 = elementwise(
    "expm1",
    np.expm1,
    lambda out, a: exp(a),  # d(e^x - 1)/dx = e^x (out + 1 would lose digits where out ≈ -1)
    doc="Elementwise e**x - 1, exact for small x where exp(x) - 1 would cancel; local gradient e**x.\n\n"
    ">>> float(expm1(Tensor(1e-20)).data)\n1e-20",
    export="expm1",
    method="expm1",
    float_warnings=True,
    domain=Domain(accurate={"float64": (-745.0, 709.0), "float32": (-103.0, 88.0)}),
    reference=lambda m, x: m.expm1(x),
)
log1p = elementwise(
    "log1p",
    np.log1p,
    denominator=lambda out, a: 1 + a,  # 1/(1 + x)
    doc="Elementwise log(1 + x), exact for small x where log(1 + x) would round; local gradient 1/(1 + x).\n\n"
    ">>> float(log1p(Tensor(1e-20)).data)\n1e-20",
    export="log1p",
    method="log1p",
    float_warnings=True,
    domain=Domain(low=-1.0, accurate={"float64": (-0.999, 1e300), "float32": (-0.99, 1e30)}),
    reference=lambda m, x: m.log1p(x),
)


def _tanh_derivative(out, a):
    # 1 - tanh² written as 4σ(2x)σ(-2x): the same number, but it keeps its digits where tanh ≈ ±1;
    # x is held within ±400 first (where σ(-800) is 0 already), so that 2x cannot overflow near ±1e308
    twice = 2 * clip(a, -400.0, 400.0)
    return 4 * sigmoid(twice) * sigmoid(-twice)


tanh = elementwise(
    "tanh",
    np.tanh,
    _tanh_derivative,
    doc="Elementwise tanh; local gradient 1 - tanh**2.\n\n>>> float(tanh(Tensor(0.0)).data)\n0.0",
    export="tanh",
    method="tanh",
    scalar=lambda a: float(np.tanh(a)),
    domain=Domain(accurate={"float64": (-370.0, 370.0), "float32": (-50.0, 50.0)}),
    reference=lambda m, x: m.tanh(x),
)


def _sigmoid_forward(a):
    e = np.exp(-np.abs(a))  # at most 1: no overflow, and no cancellation in either tail
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = elementwise(
    "sigmoid",
    _sigmoid_forward,
    # the fused node's local gradient (1 - s)·s, with 1 - s = σ(-x) so that it keeps its digits where s ≈ 1
    lambda out, a: out * sigmoid(-a),
    symbol="σ",
    doc="The sigmoid 1/(1+e^-x) as one fused node with local gradient (1 - s) * s.\n\n"
    ">>> round(float(sigmoid(Tensor(1.0)).data), 4)\n0.7311",
    export="sigmoid",
    method="sigmoid",
    scalar=lambda a: float(_sigmoid_forward(a)),
    domain=Domain(accurate={"float64": (-745.0, 745.0), "float32": (-103.0, 103.0)}),
    reference=lambda m, x: 1 / (1 + m.exp(-x)),
)
relu = elementwise(
    "relu",
    lambda a: np.maximum(a, 0),
    lambda out, a: _mask(_array(a) > 0),  # convention: the gradient at 0 is 0
    symbol="ReLU",
    doc="max(x, 0) elementwise; the gradient passes where x > 0 and is 0 elsewhere (0 at x = 0).\n\n"
    ">>> relu(Tensor([-1.0, 2.0])).data\narray([0., 2.])",
    export="relu",
    method="relu",
    scalar=lambda a: a if a > 0 or a != a else 0.0,  # as np.maximum(a, 0): nan passes, -0.0 gives 0.0
    domain=Domain(kinks=(0.0,)),
)
maximum = primitive(
    "max",
    np.maximum,
    lambda g, out, a, b: g * _mask(_array(a) >= _array(b)),  # a tie goes to the first input
    lambda g, out, a, b: g * _mask(_array(a) < _array(b)),
    jvp=(lambda t, out, a, b: t * _mask(_array(a) >= _array(b)), lambda t, out, a, b: t * _mask(_array(a) < _array(b))),
    symbol="max",
    doc="""The max gate: elementwise larger of ``a`` and ``b``; it routes the gradient.

    The larger input takes the whole upstream gradient and the other gets 0; at a
    tie the first input ``a`` takes it.

    >>> a, b = Tensor(2.0), Tensor(5.0); m = maximum(a, b); m.backward()
    >>> float(a.grad), float(b.grad)
    (0.0, 1.0)
    """,
    prepare=_broadcastable("max"),
    export="maximum",
    method="maximum",
    scalar=lambda a, b: a if a > b or a != a else b,  # as np.maximum: b at a tie (signed zeros), nan passes
    examples=[Example(([1.5, -1.2, 0.3], [[0.4, 0.6, -0.5], [2.0, -2.0, 1.0]]))],  # no tie
)


sin = elementwise(
    "sin",
    np.sin,
    lambda out, a: cos(a),
    doc="Elementwise sine (radians); local gradient cos x.\n\n>>> float(sin(Tensor(0.0)).data)\n0.0",
    export="sin",
    method="sin",
    scalar=lambda a: float(np.sin(a)),
)
cos = elementwise(
    "cos",
    np.cos,
    lambda out, a: -sin(a),
    doc="Elementwise cosine (radians); local gradient -sin x.\n\n>>> float(cos(Tensor(0.0)).data)\n1.0",
    export="cos",
    method="cos",
    scalar=lambda a: float(np.cos(a)),
)
sqrt = elementwise(
    "sqrt",
    np.sqrt,
    denominator=lambda out, a: 2 * sqrt(a),  # 1/(2√x), written with the op itself so that it differentiates again
    symbol="√",
    doc="Elementwise square root; local gradient 1/(2√x) (infinite at 0).\n\n>>> float(sqrt(Tensor(9.0)).data)\n3.0",
    export="sqrt",
    method="sqrt",
    float_warnings=True,
    domain=Domain(low=0.0),
)


def _sign(a):
    """-1, 0 or 1 where ``a`` is negative, zero or positive: a constant (the sign has no gradient)."""
    return np.sign(_array(a))


absolute = elementwise(
    "abs",
    np.abs,
    lambda out, a: _sign(a),  # convention (numpy's sign, torch's): the gradient at 0 is 0
    symbol="|x|",
    formula="|{0}|",
    doc="Elementwise absolute value; local gradient sign(x), 0 at x = 0.\n\n"
    ">>> abs(Tensor([-2.0, 3.0])).data\narray([2., 3.])",
    export="absolute",
    method="abs",
    operators=("__abs__",),
    scalar=abs,
    domain=Domain(kinks=(0.0,)),
)


def _clip_prepare(a, a_min=None, a_max=None, *, min=None, max=None):  # noqa: A002 - torch's clamp(min=, max=)
    (a,) = lift(a)
    low = a_min if min is None else min
    high = a_max if max is None else max
    for bound in (low, high):
        if bound is not None and (isinstance(bound, (Tensor, bool)) or not isinstance(bound, numbers.Real)):
            raise TypeError(f"clip: the bounds must be constant numbers or None, got {type(bound).__name__}")
    if low is None and high is None:
        raise ValueError("clip: give a lower bound, an upper bound or both (clip(x, -1, 1), clip(x, min=0))")
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: the lower bound {low} is above the upper bound {high}")
    return (a,), {"low": low, "high": high}


def _inside(a, low, high):
    """True where ``a`` lies within the bounds (bounds included): there the gradient passes, as in torch."""
    a = _array(a)
    inside = np.ones(np.shape(a), dtype=bool)
    if low is not None:
        inside &= a >= low
    if high is not None:
        inside &= a <= high
    return inside


clip = elementwise(
    "clip",
    lambda a, low, high: np.clip(a, low, high),
    lambda out, a, low, high: _mask(_inside(a, low, high)),
    doc="Elementwise ``a`` held within [low, high] (numpy's clip, torch's clamp); the gradient passes where "
    "the value is within the bounds and is 0 where a bound holds it.\n\n"
    ">>> clip(Tensor([-2.0, 0.5, 3.0]), -1, 1).data\narray([-1. ,  0.5,  1. ])",
    prepare=_clip_prepare,
    export="clip",
    method="clip",
    examples=[
        Example(([-1.5, 0.2, 1.6, 0.7],), {"low": -1.0, "high": 1.0}),  # 0.3 from a bound at least
        Example(([-1.5, 0.2, 1.6],), {"low": None, "high": 1.0}),
        Example(([-1.5, 0.2, 1.6],), {"low": -1.0, "high": None}),
    ],
)
clamp = clip  # torch's name


# ======================================================================
# Reductions and shape changes
# ======================================================================


def _sum_rule(g, out, a, axis, keepdims):
    return broadcast_to(reshape(g, _kept_shape(a.shape, axis)), shape=a.shape)


def _mean_rule(g, out, a, axis, keepdims):
    count = a.size // max(out.size, 1) if a.size else 1
    return _sum_rule(g, out, a, axis, keepdims) / count


def _reduction(name):
    def prepare(a, axis=None, keepdims=False, dtype=None, out=None):
        # dtype and out are what numpy.sum(t) / numpy.mean(t) pass on to the method
        if out is not None:
            raise TypeError(f"{name}: out= is not supported (a tensor is never written in place); use the result")
        (a,) = lift(a)
        if dtype is not None and np.dtype(dtype) != a.dtype:
            raise TypeError(
                f"{name}: dtype={np.dtype(dtype)} is not supported; the result has the input's dtype {a.dtype}"
            )
        return (a,), {"axis": _checked_axis(name, a, axis), "keepdims": bool(keepdims)}

    return prepare


sum = primitive(  # noqa: A001 - the lecture's name, as numpy.sum
    "sum",
    lambda a, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims),
    _sum_rule,
    jvp=lambda t, out, a, axis, keepdims: sum(t, axis=axis, keepdims=keepdims),  # a linear op: J t is the op on t
    symbol="Σ",
    doc="Sum over ``axis`` (all axes by default); the gradient is copied back to every element.\n\n"
    ">>> float(sum(Tensor([1.0, 2.0, 3.0])).data)\n6.0",
    prepare=_reduction("sum"),
    export="sum",
    method="sum",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 1, "keepdims": False})],
)
mean = primitive(
    "mean",
    lambda a, axis, keepdims: np.mean(a, axis=axis, keepdims=keepdims),
    _mean_rule,
    jvp=lambda t, out, a, axis, keepdims: mean(t, axis=axis, keepdims=keepdims),
    symbol="mean",
    doc="Mean over ``axis`` (all axes by default); each element gets upstream / count.\n\n"
    ">>> float(mean(Tensor([1.0, 2.0, 3.0])).data)\n2.0",
    prepare=_reduction("mean"),
    export="mean",
    method="mean",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": None, "keepdims": True})],
)


def _first_extreme(a, axis, largest):
    """A 0/1 mask with one 1 in each reduced slice: the first place of the slice's max (or min).

    The router rule of the max gate, for a reduction: the whole gradient goes to one winner, the first
    of equal ones.
    """
    a = np.asarray(_array(a))
    axes = axes_of("max", axis, a.ndim)
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, kept + list(axes)).reshape([a.shape[i] for i in kept] + [-1])
    winner = np.argmax(moved, axis=-1) if largest else np.argmin(moved, axis=-1)
    mask = np.zeros(moved.shape, dtype=bool)
    np.put_along_axis(mask, winner[..., None], True, axis=-1)
    mask = mask.reshape([a.shape[i] for i in kept] + [a.shape[i] for i in axes])
    return np.transpose(mask, np.argsort(kept + list(axes)))


def _extreme(name, largest):
    def rule(g, out, a, axis, keepdims):
        return _sum_rule(g, out, a, axis, keepdims) * _mask(_first_extreme(a, axis, largest))

    def tangent(t, out, a, axis, keepdims):
        return sum(t * _mask(_first_extreme(a, axis, largest)), axis=axis, keepdims=keepdims)

    def prepare(a, axis=None, keepdims=False, out=None):
        (a,) = lift(a)
        if a.size == 0:
            raise ValueError(f"{name}: a tensor of shape {a.shape} has no elements to take the {name} of")
        return _reduction(name)(a, axis=axis, keepdims=keepdims, out=out)

    return rule, tangent, prepare


_max_rule, _max_tangent, _max_prepare = _extreme("max", largest=True)
_min_rule, _min_tangent, _min_prepare = _extreme("min", largest=False)
amax = primitive(
    "amax",
    lambda a, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims),
    _max_rule,
    jvp=_max_tangent,
    symbol="max",
    formula="max({0})",
    doc="""The largest element over ``axis`` (all axes by default), as numpy.max; it routes the gradient.

    Like the max gate, the winner takes the whole upstream gradient and the others get 0; among equal
    winners the first (in reading order) takes it.

    >>> x = Tensor([1.0, 3.0, 3.0]); m = amax(x); m.backward()
    >>> float(m.data), x.grad
    (3.0, array([0., 1., 0.]))
    """,
    prepare=_max_prepare,
    export="amax",
    method="max",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 1, "keepdims": False})],
)
amin = primitive(
    "amin",
    lambda a, axis, keepdims: np.min(a, axis=axis, keepdims=keepdims),
    _min_rule,
    jvp=_min_tangent,
    symbol="min",
    formula="min({0})",
    doc="The smallest element over ``axis`` (all axes by default), as numpy.min; the first of equal "
    "smallest elements takes the whole gradient.\n\n>>> float(amin(Tensor([2.0, -1.0, 5.0])).data)\n-1.0",
    prepare=_min_prepare,
    export="amin",
    method="min",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 0, "keepdims": True})],
)


def _count(a, axis):
    """How many elements each result of a reduction over ``axis`` summarises."""
    return int(np.prod([a.shape[i] for i in axes_of("var", axis, a.ndim)], dtype=np.int64))


def _spread_prepare(name):
    def prepare(a, axis=None, ddof=0, keepdims=False, dtype=None, out=None):
        if isinstance(ddof, bool) or not isinstance(ddof, numbers.Integral) or ddof < 0:
            raise TypeError(f"{name}: ddof must be a whole number 0 or more (1 for the sample {name}), got {ddof!r}")
        (a,), params = _reduction(name)(a, axis=axis, keepdims=keepdims, dtype=dtype, out=out)
        if _count(a, axis) - ddof <= 0:
            raise ValueError(
                f"{name}: ddof={ddof} leaves no degrees of freedom for {_count(a, axis)} values per result "
                f"(input shape {a.shape}); use a smaller ddof"
            )
        return (a,), {**params, "ddof": int(ddof)}

    return prepare


def _centred(a, axis):
    return a - mean(a, axis=axis, keepdims=True)


def _spread(g_or_t, out, a, axis, keepdims):
    """``g`` (or ``out``) given back the reduced axes, so that it lines up with ``a``."""
    return reshape(g_or_t, _kept_shape(a.shape, axis))


var = primitive(
    "var",
    lambda a, axis, keepdims, ddof: np.var(a, axis=axis, keepdims=keepdims, ddof=ddof),
    # d var / d a_i = 2 (a_i - mean) / (N - ddof); the mean's own dependence on a_i sums to zero
    lambda g, out, a, axis, keepdims, ddof: (
        _spread(g, out, a, axis, keepdims) * (_centred(a, axis) * (2 / (_count(a, axis) - ddof)))
    ),
    jvp=lambda t, out, a, axis, keepdims, ddof: (
        sum(t * _centred(a, axis), axis=axis, keepdims=keepdims) * (2 / (_count(a, axis) - ddof))
    ),
    symbol="var",
    formula="var({0})",
    doc="Variance over ``axis`` with numpy's ``ddof`` (0: divide by N; 1: by N - 1, the sample variance); "
    "local gradient 2(x - mean)/(N - ddof).\n\n>>> float(var(Tensor([1.0, 2.0, 3.0, 4.0])).data)\n1.25",
    prepare=_spread_prepare("var"),
    export="var",
    method="var",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 1, "keepdims": False, "ddof": 1})],
)
std = primitive(
    "std",
    lambda a, axis, keepdims, ddof: np.std(a, axis=axis, keepdims=keepdims, ddof=ddof),
    lambda g, out, a, axis, keepdims, ddof: (
        _spread(g, out, a, axis, keepdims)
        * _centred(a, axis)
        / (_spread(out, out, a, axis, keepdims) * (_count(a, axis) - ddof))
    ),
    jvp=lambda t, out, a, axis, keepdims, ddof: (
        sum(t * _centred(a, axis), axis=axis, keepdims=keepdims) / (out * (_count(a, axis) - ddof))
    ),
    symbol="std",
    formula="std({0})",
    doc="Standard deviation, the square root of :func:`var` (same ``axis``, ``ddof``); local gradient "
    "(x - mean)/((N - ddof) std).\n\n>>> float(std(Tensor([1.0, 3.0])).data)\n1.0",
    prepare=_spread_prepare("std"),
    export="std",
    method="std",
    float_warnings=True,
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": None, "keepdims": False, "ddof": 0})],
)


def _norm_prepare(a, ord=None, axis=None, keepdims=False):  # noqa: A002 - numpy.linalg.norm's argument
    if ord not in (None, 2, "fro"):
        raise ValueError(
            f"norm: only the Euclidean (2-) norm is built in (ord=None, 2 or 'fro'), got ord={ord!r}; "
            f"write others from ops, e.g. abs(x).sum() for the 1-norm, abs(x).max() for the max-norm"
        )
    (a,) = lift(a)
    if ord == 2 and (axis is None and a.ndim == 2 or isinstance(axis, (tuple, list)) and len(axis) == 2):
        raise ValueError("norm: ord=2 of a matrix is its largest singular value, not built in; ord='fro' or None")
    return (a,), {"axis": _checked_axis("norm", a, axis), "keepdims": bool(keepdims)}


norm = primitive(
    "norm",
    lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims)),
    lambda g, out, a, axis, keepdims: _spread(g, out, a, axis, keepdims) * a / _spread(out, out, a, axis, keepdims),
    jvp=lambda t, out, a, axis, keepdims: sum(t * a, axis=axis, keepdims=keepdims) / out,
    symbol="‖x‖",
    formula="‖{0}‖",
    doc="The Euclidean length √(Σ x²) over ``axis`` (all axes by default: a matrix's Frobenius norm), as "
    "numpy.linalg.norm; local gradient x/‖x‖ (undefined at 0).\n\n"
    ">>> float(norm(Tensor([3.0, 4.0])).data)\n5.0",
    prepare=_norm_prepare,
    export="norm",
    method="norm",
    float_warnings=True,
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": -1, "keepdims": False})],
)


def detach(x):
    """The same numbers as a constant: a Tensor that needs no gradient and is cut from ``x``'s graph.

    Use it to read a value for printing or logging, or to stop the gradient on purpose.

    >>> x = Tensor(2.0); y = (x * 3).detach(); y.requires_grad, float(y.data)
    (False, 6.0)
    """
    (x,) = lift(x)
    return Tensor(x.data, requires_grad=False, name=x.name)


def _reshape_prepare(a, *shape):
    (a,) = lift(a)
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"reshape: sizes must be integers, got {n!r} in {shape}")
    shape = tuple(int(n) for n in shape)
    if a.shape == shape:
        return a
    return (a,), {"shape": shape}


reshape = primitive(
    "reshape",
    lambda a, shape: np.reshape(a, shape),
    lambda g, out, a, shape: reshape(g, a.shape),
    jvp=lambda t, out, a, shape: reshape(t, shape),
    symbol="reshape",
    doc="The same numbers in a new shape; the gradient is reshaped back.\n\n"
    ">>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), 2, 2).shape\n(2, 2)",
    prepare=_reshape_prepare,
    export="reshape",
    method="reshape",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"shape": (3, 2)})],
)


def _transpose_prepare(a, axes=None):
    (a,) = lift(a)
    if axes is not None:
        axes = tuple(axes)
        if len(axes) != a.ndim:
            raise ValueError(f"transpose: axes {axes} must name each of the {a.ndim} axes of shape {a.shape} once")
        axes_of("transpose", axes, a.ndim, a.shape)  # checks range and repeats
        axes = tuple(int(i) % a.ndim for i in axes)
    return (a,), {"axes": axes}


transpose = primitive(
    "transpose",
    lambda a, axes: np.transpose(a, axes),
    lambda g, out, a, axes: transpose(g, None if axes is None else tuple(np.argsort(axes))),
    jvp=lambda t, out, a, axes: transpose(t, axes),
    symbol="ᵀ",
    doc="Permute the axes (reverse them by default); the gradient is permuted back.\n\n"
    ">>> transpose(Tensor(np.zeros((2, 3)))).shape\n(3, 2)",
    prepare=_transpose_prepare,
    export="transpose",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axes": None})],
)


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


def _plain_index(index):
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, (list, np.ndarray)):
        array = np.asarray(index)
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.intp)  # [] selects nothing, as in numpy
        if array.dtype.kind == "f":
            raise ValueError(f"getitem: index arrays must hold integers or booleans, got dtype {array.dtype}")
        return array
    return index


index_add = primitive(
    "index_add",
    _index_add_forward,
    lambda g, out, a, index, shape: getitem(g, index),
    jvp=lambda t, out, a, index, shape: index_add(t, index=index, shape=shape),
    symbol="index_add",
    doc="A zero array of ``shape`` with ``g`` added at ``index`` (the adjoint of indexing).\n\n"
    ">>> index_add(Tensor([5.0]), index=[1], shape=(3,)).data\narray([0., 5., 0.])",
    prepare=lambda g, index, shape: (lift(g), {"index": _plain_index(index), "shape": tuple(shape)}),
    examples=[Example(([5.0, -1.0, 2.0],), {"index": np.array([1, 1, 0]), "shape": (3,)})],
)
getitem = primitive(
    "getitem",
    lambda a, index: a[index],
    lambda g, out, a, index: index_add(g, index=index, shape=a.shape),
    jvp=lambda t, out, a, index: getitem(t, index),
    symbol="[ ]",
    doc="``a[index]`` for slices, integers and integer arrays; the gradient is scattered back.\n\n"
    ">>> getitem(Tensor([1.0, 2.0, 3.0]), slice(1, None)).data\narray([2., 3.])",
    prepare=lambda a, index: (lift(a), {"index": _plain_index(index)}),
    operators=("__getitem__",),
    examples=[Example(([1.0, -2.0, 3.0],), {"index": np.array([2, 0, 2])})],
)


def _stack_prepare(tensors, axis=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor, got an empty list")
    tensors = lift(*tensors)
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    ndim = tensors[0].ndim + 1
    (axis,) = axes_of("stack", axis, ndim, f"{tensors[0].shape} stacked into {ndim} axes")
    return tensors, {"axis": axis}


stack = primitive(
    "stack",
    lambda *arrays, axis: np.stack(arrays, axis=axis),
    lambda g, out, *inputs, index, axis: getitem(g, (slice(None),) * axis + (index,)),
    jvp=lambda t, out, *inputs, index, axis: index_add(t, index=(slice(None),) * axis + (index,), shape=out.shape),
    symbol="stack",
    variadic=True,
    doc="Join same-shaped tensors along a new axis; each input gets its slice of the gradient.\n\n"
    ">>> stack([Tensor(1.0), Tensor(2.0)]).data\narray([1., 2.])",
    prepare=_stack_prepare,
    export="stack",
    examples=[Example(([1.0, -2.0], [0.5, 3.0]), {"axis": 0})],
)


# ======================================================================
# Products
# ======================================================================


def _matmul_rule_a(g, out, a, b):
    if b.ndim == 1:  # out = a @ b dropped b's only axis: the gradient is the outer product g bᵀ
        return _expand(g, -1) * b
    if a.ndim == 1:  # a acted as a row vector: b g, as matrix-vector products (no b-sized temporary)
        return _drop(b @ _expand(g, -1), -1)
    return g @ _swap_last(b)


def _matmul_rule_b(g, out, a, b):
    if a.ndim == 1:
        return g * a if b.ndim == 1 else _expand(a, -1) * _expand(g, -2)  # a gᵀ, an outer product
    if b.ndim == 1:  # gᵀ a, as vector-matrix products
        return _drop(_expand(g, -2) @ a, -2)
    return _swap_last(a) @ g


def _drop(t, axis):
    """Remove an axis of length 1 (a reshape, so it stays differentiable)."""
    shape = list(t.shape)
    del shape[axis]
    return reshape(t, tuple(shape))


def _matmul_prepare(a, b):
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
    return (a, b), {}


def _matmul_forward(a, b):
    # a broadcast array (a stride of 0, e.g. the gradient of a sum) sends numpy's matmul down a slow
    # non-BLAS loop, 20x slower than copying it first
    a, b = (np.ascontiguousarray(x) if 0 in x.strides and x.size > 1 else x for x in (a, b))
    return np.matmul(a, b)


matmul = primitive(
    "matmul",
    _matmul_forward,
    _matmul_rule_a,
    _matmul_rule_b,
    jvp=(lambda t, out, a, b: t @ b, lambda t, out, a, b: a @ t),  # the product rule, one term per input
    symbol="@",
    formula="{0} @ {1}",
    doc="""Matrix product with numpy's rules (vectors, matrices, batches).

    For Y = X W the rules are dL/dX = dL/dY W^T and dL/dW = X^T dL/dY.

    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]])).data
    array([[11.]])
    """,
    prepare=_matmul_prepare,
    export="matmul",
    operators=("__matmul__", "__rmatmul__"),
    examples=[Example(([[1.0, -2.0], [0.5, 0.25]], [[0.3], [-0.7]]))],
)


def _dot_prepare(a, b):
    """numpy's dot: vectors give their inner product, matrices (and a matrix with a vector) their product."""
    a, b = lift(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b  # numpy: a scalar multiplies
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape}: numpy's dot of arrays with more than 2 axes is not the "
            f"batched product; use matmul (a @ b) to multiply stacks of matrices"
        )
    if a.shape[-1] != b.shape[0]:
        raise ValueError(
            f"dot: shapes {a.shape} and {b.shape} do not line up: the last axis of the first ({a.shape[-1]}) "
            f"must equal the first axis of the second ({b.shape[0]})"
        )
    if a.ndim == 2 or b.ndim == 2:
        return matmul(a, b)  # for 1-D and 2-D, numpy's dot is the matrix product
    return (a, b), {}


dot = primitive(
    "dot",
    np.dot,
    lambda g, out, a, b: g * b,
    lambda g, out, a, b: g * a,
    jvp=(lambda t, out, a, b: dot(t, b), lambda t, out, a, b: dot(a, t)),
    symbol="·",
    doc="numpy's dot: the inner product of two vectors (this node), the matrix product when either is a "
    "matrix (CS231n's ``x.dot(w)``), a product when either is a scalar.\n\n"
    ">>> float(dot(Tensor([1.0, 2.0]), Tensor([3.0, 4.0])).data)\n11.0\n"
    ">>> Tensor(np.ones((2, 3))).dot(Tensor(np.ones((3, 4)))).shape\n(2, 4)",
    prepare=_dot_prepare,
    export="dot",
    method="dot",
    examples=[Example(([1.0, -2.0, 0.5], [0.3, -0.7, 2.0]))],
)


# ======================================================================
# Softmax and the cross-entropy loss
# ======================================================================


def _shifted(a, axis):
    """a - max(a) along ``axis``, and the rounding error of that subtraction (Knuth's two-sum, exact).

    exp(a - max) magnifies the subtraction's rounding by |a - max|; adding the
    error back keeps softmax within a few ulps even 700 units below the top.
    """
    top = np.max(a, axis=axis, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = a - top  # -1e308 - 1e308 is -inf: the right limit (its probability is 0), no warning
        back = shifted - a
        error = (a - (shifted - back)) + (-top - back)
    # where a term is infinite (a -inf mask, an overflowed shift) the subtraction has no rounding to add back
    return shifted, np.where(np.isfinite(error), error, 0.0).astype(shifted.dtype, copy=False)


def _softmax_forward(a, axis):
    if a.shape[axis] == 0:
        return a.copy()  # nothing to normalise: an empty result, as numpy and PyTorch give
    shifted, error = _shifted(a, axis)
    e = np.exp(shifted)
    e += e * error  # exp(s + δ) ≈ exp(s)(1 + δ)
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_sum_shifted(shifted, error, axis):
    """log Σ exp(a - max) along ``axis`` (kept), from :func:`_shifted`'s two parts.

    Each term equal to the max is exactly 1: those are counted apart and the rest
    added with log1p, which keeps the small terms' digits. A row whose max is
    +inf or nan (or that is all -inf) has nan shifts, so its sum is nan.
    """
    tops = shifted == 0  # a - max rounds to 0 only where a is the max
    others = np.exp(shifted)
    others = np.where(tops, 0, others + others * error)
    ties = np.sum(tops, axis=axis, keepdims=True).astype(shifted.dtype) - 1  # exact: a small integer
    return np.log1p(ties + np.sum(others, axis=axis, keepdims=True))


def _log_softmax_forward(a, axis):
    if a.shape[axis] == 0:
        return a.copy()
    shifted, error = _shifted(a, axis)
    # a row holding +inf or nan is nan throughout, as in PyTorch (inf - inf has no limit to take)
    return (shifted - _log_sum_shifted(shifted, error, axis)) + error


def _logsumexp_forward(a, axis, keepdims):
    axes = axes_of("logsumexp", axis, a.ndim)
    if any(a.shape[i] == 0 for i in axes):  # an empty sum is 0, its log -inf (PyTorch's answer)
        return np.full(_kept_shape(a.shape, axis) if keepdims else np.sum(a, axis=axis).shape, -np.inf, a.dtype)
    shifted, error = _shifted(a, axes)
    top = np.max(a, axis=axes, keepdims=True)
    # max + log Σ exp(a - max); where the max is ±inf that is the answer itself (all -inf: log 0 = -inf)
    result = np.where(np.isinf(top), top, top + _log_sum_shifted(shifted, error, axes))
    return result if keepdims else np.squeeze(result, axis=axes)


def _one_minus_softmax(a, axis):
    """1 - softmax(a), as -expm1(log_softmax(a)): it keeps its digits where a probability is near 1."""
    return -expm1(log_softmax(a, axis=axis))


def _along_axis(name):
    def prepare(a, axis=-1):
        (a,) = lift(a)
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{name}: axis must be one integer, got {axis!r}")
        return (a,), {"axis": _checked_axis(name, a, axis)}

    return prepare


def _softmax_rule(g, out, a, axis):
    # out·(g - Σ g·out), with g - Σ g·out regrouped as g(1 - out) - (Σ g·out - g·out) so that nothing cancels
    return out * (g * _one_minus_softmax(a, axis) - (sum(g * out, axis=axis, keepdims=True) - g * out))


softmax = primitive(
    "softmax",
    _softmax_forward,
    _softmax_rule,
    jvp=_softmax_rule,  # softmax's Jacobian diag(s) - s sᵀ is symmetric: J t = Jᵀ t
    symbol="softmax",
    doc="exp(a) / sum(exp(a)) along ``axis``, computed without overflow.\n\n"
    "A -inf entry (a mask) gets probability 0 and no gradient; a slice that is all -inf or holds +inf "
    "is nan, as in PyTorch.\n\n"
    ">>> softmax(Tensor([0.0, 0.0])).data\narray([0.5, 0.5])\n"
    ">>> softmax(Tensor([-np.inf, 0.0])).data\narray([0., 1.])",
    prepare=_along_axis("softmax"),
    export="softmax",
    method="softmax",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": -1})],
)
log_softmax = primitive(
    "log_softmax",
    _log_softmax_forward,
    # g - softmax·Σg, regrouped as g(1 - softmax) - softmax·(Σg - g), with 1 - softmax = -expm1(out)
    lambda g, out, a, axis: g * -expm1(out) - softmax(a, axis=axis) * (sum(g, axis=axis, keepdims=True) - g),
    jvp=lambda t, out, a, axis: t - sum(exp(out) * t, axis=axis, keepdims=True),  # t - Σ softmax·t
    symbol="log_softmax",
    doc="log(softmax(a)) along ``axis``, computed stably: a - logsumexp(a), with the largest term kept apart.\n\n"
    "A -inf entry (a mask) gives -inf, an overflowing shift too; a slice that is all -inf or holds +inf is nan, "
    "as in PyTorch.\n\n"
    ">>> log_softmax(Tensor([0.0, 0.0])).data.round(4)\narray([-0.6931, -0.6931])\n"
    ">>> log_softmax(Tensor([1e308, -1e308])).data\narray([  0., -inf])",
    prepare=_along_axis("log_softmax"),
    export="log_softmax",
    method="log_softmax",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 0})],
)


def _softmax_over(a, axis):
    """softmax(a) over ``axis`` (None, an int or a tuple): the reduced axes moved last and flattened into one."""
    axes = axes_of("logsumexp", axis, a.ndim)
    if len(axes) == 1:
        return softmax(a, axis=axes[0])
    kept = [i for i in range(a.ndim) if i not in axes]
    order = kept + list(axes)
    moved = a if order == list(range(a.ndim)) else transpose(a, order)
    flat = softmax(reshape(moved, [a.shape[i] for i in kept] + [-1]), axis=-1)
    back = reshape(flat, moved.shape)
    return back if moved is a else transpose(back, tuple(int(i) for i in np.argsort(order)))


def _logsumexp_rule(g, out, a, axis, keepdims):
    # d log Σ exp(a) / da = exp(a) / Σ exp(a): the upstream copied back, times softmax
    return _sum_rule(g, out, a, axis, keepdims) * _softmax_over(a, axis)


logsumexp = primitive(
    "logsumexp",
    _logsumexp_forward,
    _logsumexp_rule,
    jvp=lambda t, out, a, axis, keepdims: sum(_softmax_over(a, axis) * t, axis=axis, keepdims=keepdims),
    symbol="logsumexp",
    doc="""log(sum(exp(a))) over ``axis`` (all axes by default), computed without overflow; its gradient is softmax(a).

    The max is taken out first (max + log Σ exp(a - max)), so large entries do
    not overflow and a -inf entry (a mask) adds nothing and gets no gradient.
    As in PyTorch, an all -inf slice gives -inf and one holding +inf gives inf;
    the gradient of either slice is nan (its softmax: inf - inf has no limit),
    where PyTorch's exp(a - out) leaves 0 beside a +inf.

    >>> round(float(logsumexp(Tensor([1000.0, 1000.0])).data), 4)
    1000.6931
    >>> logsumexp(Tensor([[0.0, -np.inf], [-np.inf, -np.inf]]), axis=1).data
    array([  0., -inf])
    """,
    prepare=_reduction("logsumexp"),
    export="logsumexp",
    method="logsumexp",
    examples=[
        Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": 1, "keepdims": False}),
        Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"axis": None, "keepdims": True}),
        Example(([[[1.0, -2.0], [3.0, 0.5]], [[0.25, -1.0], [0.7, 1.3]]],), {"axis": (0, 2), "keepdims": False}),
    ],
)


def _cross_entropy_forward(logits, labels):
    rows = np.arange(len(labels))
    return -np.mean(_log_softmax_forward(logits, axis=-1)[rows, labels])


def _cross_entropy_rule(g, out, logits, labels):
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    # (softmax - one_hot) / N; at the label softmax - 1 = expm1(log_softmax), which keeps its digits there
    log_p = log_softmax(logits)
    return g * (expm1(log_p) * one_hot + softmax(logits) * (1 - one_hot)) / len(labels)


def _cross_entropy_prepare(logits, labels):
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
    return (logits,), {"labels": labels}


cross_entropy = primitive(
    "cross_entropy",
    _cross_entropy_forward,
    _cross_entropy_rule,
    # a scalar output: J t is the gradient (softmax - one_hot) / N dotted with t
    jvp=lambda t, out, logits, labels: sum(t * _cross_entropy_rule(1.0, out, logits, labels)),
    symbol="CE",
    doc="""Mean softmax cross-entropy of ``logits`` (N, C) against integer ``labels`` (N,).

    Its gradient with respect to the logits is (softmax - one_hot) / N.

    >>> round(float(cross_entropy(Tensor([[0.0, 0.0]]), [1]).data), 4)
    0.6931
    """,
    prepare=_cross_entropy_prepare,
    export="cross_entropy",
    examples=[Example(([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]],), {"labels": np.array([2, 0])})],
)


# ======================================================================
# Tensor's operators and methods, all from the registry
# ======================================================================

# ======================================================================
# Comparisons, numpy's protocols and plain numbers: the habits learners bring
# ======================================================================


def _plain(x):
    """The numbers of a Tensor (anything else as it is), for what carries no gradient."""
    return x.data if isinstance(x, Tensor) else x


def _comparison(compare):
    def method(self, other):
        if not isinstance(other, (Tensor, np.ndarray, numbers.Number, list, tuple)):
            return NotImplemented
        return compare(_plain(self), _plain(other))

    method.__doc__ = f"Elementwise {compare.__name__}, as numpy: booleans, which carry no gradient."
    return method


COMPARISONS = {
    "__eq__": np.equal,
    "__ne__": np.not_equal,
    "__lt__": np.less,
    "__le__": np.less_equal,
    "__gt__": np.greater,
    "__ge__": np.greater_equal,
}


def _negated_maximum(a, b):
    return negative(maximum(negative(a), negative(b)))


# numpy ufunc -> the engine op that computes it, differentiably
UFUNCS = {
    np.add: add,
    np.subtract: subtract,
    np.multiply: multiply,
    np.true_divide: divide,
    np.negative: negative,
    np.power: power,
    np.matmul: matmul,
    np.exp: exp,
    np.log: log,
    np.expm1: expm1,
    np.log1p: log1p,
    np.tanh: tanh,
    np.sin: sin,
    np.cos: cos,
    np.sqrt: sqrt,
    np.absolute: absolute,
    np.maximum: maximum,
    np.minimum: _negated_maximum,
}
# comparisons: booleans, no gradient
BOOLEAN_UFUNCS = {
    np.equal,
    np.not_equal,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.signbit,
    np.sign,
    np.floor,
    np.ceil,
    np.rint,
    np.trunc,
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs.get("out") and ufunc in UFUNCS:
        extra = {k: v for k, v in kwargs.items() if k != "out"}
        if not extra:
            if ufunc is np.power:
                base, exponent = inputs
                if isinstance(exponent, Tensor):
                    raise TypeError(
                        "numpy.power with a Tensor exponent: write bp.exp(b * bp.log(a)) for a variable exponent"
                    )
                return power(base, exponent)
            return UFUNCS[ufunc](*inputs)
    if method == "__call__" and ufunc in BOOLEAN_UFUNCS and not kwargs.get("out"):
        return ufunc(*(_plain(x) for x in inputs), **kwargs)  # no gradient flows through these
    ours = _BP_NAMES.get(ufunc.__name__)
    hint = f"use bp.{ours}" if ours else "the engine has no op for it: write it from bp ops, or use t.data"
    raise TypeError(
        f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} on a Tensor: {hint}"
        + (" (out= is not supported: a tensor is never written in place)" if kwargs.get("out") else "")
    )


def _numpy_max(a, axis=None, out=None, keepdims=False, **rest):
    return _only_defaults("max", rest) or amax(a, axis=axis, keepdims=keepdims, out=out)


def _numpy_min(a, axis=None, out=None, keepdims=False, **rest):
    return _only_defaults("min", rest) or amin(a, axis=axis, keepdims=keepdims, out=out)


def _only_defaults(name, rest):
    """None if numpy passed only its defaults (initial, where...), else the error for a setting we lack."""
    given = {k: v for k, v in rest.items() if v is not np._NoValue and v is not None}
    if given:
        raise TypeError(f"numpy.{name} on a Tensor: {', '.join(given)}= is not supported; use bp.{name}(t, axis=...)")
    return None


def _numpy_clip(a, a_min=None, a_max=None, out=None, **rest):
    if out is not None:
        raise TypeError("numpy.clip on a Tensor: out= is not supported; use the result")
    return clip(a, a_min, a_max, min=rest.get("min"), max=rest.get("max"))


def _numpy_norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    return norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _numpy_spread(spread):  # var or std
    def function(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **rest):
        _only_defaults(spread.__name__, rest)
        return spread(a, axis=axis, ddof=ddof, keepdims=keepdims, dtype=dtype, out=out)

    return function


# numpy function -> the engine op (same arguments); see _array_function
FUNCTIONS = {
    np.sum: sum,
    np.mean: mean,
    np.max: _numpy_max,
    np.amax: _numpy_max,
    np.min: _numpy_min,
    np.amin: _numpy_min,
    np.var: _numpy_spread(var),
    np.std: _numpy_spread(std),
    np.dot: dot,
    np.clip: _numpy_clip,
    np.reshape: reshape,
    np.transpose: lambda a, axes=None: transpose(a, axes),
    np.stack: lambda arrays, axis=0, out=None: stack(list(arrays), axis=axis),
    np.linalg.norm: _numpy_norm,
}
# numpy functions that only read numbers (no gradient to lose): run on the arrays
READERS = {
    np.allclose,
    np.isclose,
    np.array_equal,
    np.array_equiv,
    np.shape,
    np.ndim,
    np.size,
    np.argmax,
    np.argmin,
    np.all,
    np.any,
    np.count_nonzero,
    np.nonzero,
    np.argsort,
    np.isfinite,
    np.isnan,
    np.testing.assert_allclose,
    np.round,
    np.around,
    np.sort,
    np.unique,
    np.where,
    np.copy,
    np.asarray,
    np.array2string,
    np.array_repr,
}
# bp ops under their numpy names, for the hints
_BP_NAMES = {"absolute": "abs", "amax": "max", "amin": "min", "true_divide": "divide"}


def _array_function(self, func, types, args, kwargs):
    if func in FUNCTIONS:
        return FUNCTIONS[func](*args, **kwargs)
    if func in READERS:
        return func(*_plain_all(args), **{k: _plain_all(v) for k, v in kwargs.items()})
    name = func.__name__
    ours = name if name in __all__ else _BP_NAMES.get(name)
    hint = f"use bp.{ours}(...)" if ours else "the engine has no op for it: write it from bp ops, or apply it to t.data"
    raise TypeError(f"numpy.{name} on a Tensor would drop its gradient: {hint}")


def _plain_all(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_plain_all(v) for v in x)
    return x


class LostGradientWarning(UserWarning):
    """A Tensor that needs a gradient became a plain number: what is computed from it is a constant."""


_MATH_CALL = re.compile(r"\bmath\.(\w+)\(")


def _lost_gradient(self, what):
    """Warn (once per line of the learner's code) that ``what`` of a Tensor needing a gradient loses it."""
    if not self.requires_grad or not engine.is_grad_enabled() or on_plain_arrays():
        return
    if sys._getframe(2).f_code.co_filename.startswith(_PACKAGE):
        return  # the package reading a number on purpose (a checker, a drawing), not the learner's maths
    level = _caller_level()
    frame = sys._getframe(level - 1)
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    called = _MATH_CALL.search(line or "")
    if called and called.group(1) in {*__all__, *ALIASES}:
        fix = f"use bp.{called.group(1)}(t) instead of math.{called.group(1)}(t) to keep it"
    else:
        fix = "use bp ops (bp.sin, bp.exp, …) on the Tensor to keep it"
    warnings.warn(
        f"{what} of a Tensor that needs a gradient is a plain number: the gradient does not flow back through "
        f"anything computed from it; {fix}. To read the value only (printing, logging), use t.detach().item() "
        f"or format it: f'{{t:.4f}}'",
        LostGradientWarning,
        stacklevel=level,
    )


def _float(self):
    _lost_gradient(self, "float()")
    return float(self._value())


def _item(self):
    """The value of a one-element tensor as a Python float (warns if the tensor needs a gradient).

    >>> Tensor(2.5, requires_grad=False).item()
    2.5
    """
    _lost_gradient(self, ".item()")
    return self._value()


# numpy's and torch's other names for the same ops (``abs``, ``max`` and ``min`` would shadow Python's own
# functions inside this module, so they are given to backpropnb only)
ALIASES = {"abs": absolute, "max": amax, "min": amin, "clamp": clip, "detach": detach}
__all__ = [*_EXPORTS, "clamp", "detach"]


def _transpose_method(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
        axes = tuple(axes[0])
    return transpose(self, axes or None)


def _tensor_methods():
    """Every operator and method Tensor gets from this module: the registry's, then numpy's protocols."""
    methods = dict(_METHODS)
    methods.update(
        transpose=_transpose_method,
        detach=detach,
        clamp=clip,
        __hash__=object.__hash__,  # identity, as before: graphs keep Tensors in id-keyed maps and sets
        __array_ufunc__=_array_ufunc,
        __array_function__=_array_function,
        __float__=_float,
        item=_item,
        T=property(lambda self: transpose(self), doc="The transpose (axes reversed)."),
        __iter__=lambda self: (getitem(self, i) for i in range(len(self))),
    )
    methods.update({dunder: _comparison(compare) for dunder, compare in COMPARISONS.items()})
    return methods


engine.attach_methods(_tensor_methods())
