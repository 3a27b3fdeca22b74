"""Property tests: the engine's derivatives against central differences, for every op.

Each op gets random shapes (with broadcasting) and random values kept away from
kinks (relu at 0, ties of max) and from the poles and the domain edge of 1/x
and log. The checks, all in float64:

* the gradient of a scalar loss built on the op matches central differences;
* ``jacobian`` matches central differences of the op's (vector) output;
* ``jvp`` (forward mode, each op's JVP rule) matches the explicit
  ``jacobian(f)(x) @ v`` and the directional central difference of f;
* ``hvp`` (reverse over forward) and ``jvp(grad(f))`` (forward over reverse)
  match ``hessian(f)(x) @ v`` and backpropagating through grad(f)(x) · v
  (reverse over reverse), and the central difference of gradients, which
  checks every op's rules once differentiated again.

Central differences use the five-point stencil, whose error is O(h^4), so
that a relative error of 1e-6 is a meaningful bar. The relative error is taken
in the max norm, with the scale floored at 1e-3 so that exact zeros are
compared absolutely.
"""

from dataclasses import dataclass, field

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import backpropnb as bp
from backpropnb import ops
from backpropnb.engine import Tensor
from backpropnb.ops import REGISTRY

H = 1e-4
RTOL = 1e-6
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GRAPH_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

# --- numerical tools --------------------------------------------------------------------


def central_difference(fun, x, h=H):
    """d fun / d x by the five-point stencil; shape fun(x).shape + x.shape."""
    out = None
    for index in np.ndindex(x.shape):
        values = []
        for k in (-2, -1, 1, 2):
            shifted = x.copy()
            shifted[index] += k * h
            values.append(np.asarray(fun(shifted), dtype=np.float64))
        slope = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)
        if out is None:
            out = np.zeros(slope.shape + x.shape)
        out[(Ellipsis, *index)] = slope
    return np.zeros(np.shape(fun(x)) + x.shape) if out is None else out


def directional_difference(fun, x, v, h=H):
    """d/dt fun(x + t v) at t = 0 by the five-point stencil."""
    values = [np.asarray(fun(x + k * h * v), dtype=np.float64) for k in (-2, -1, 1, 2)]
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)


def assert_close(analytic, numeric, rtol=RTOL, what=""):
    analytic = np.asarray(analytic.data if isinstance(analytic, Tensor) else analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, (what, analytic.shape, numeric.shape)
    if analytic.size == 0:
        return
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-3)
    error = np.abs(analytic - numeric).max() / scale
    assert error < rtol, f"{what}: relative error {error:.3g}\nanalytic={analytic}\nnumeric={numeric}"


def evaluate(f, arrays):
    """f on constants (nothing recorded): the plain forward value as an array."""
    with bp.no_grad():
        return np.array(f(*(Tensor(a, requires_grad=False) for a in arrays)).data)


# --- cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    """An op under test: ``f`` maps Tensors to a Tensor; ``inputs`` are float64 arrays."""

    name: str
    f: object = field(repr=False)
    inputs: list
    note: str = ""

    def __post_init__(self):
        self.inputs = [np.array(x, dtype=np.float64) for x in self.inputs]  # 0-d values come back as numpy scalars


seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
shapes_1d_up = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)


def free(rng, shape):
    return rng.uniform(-2, 2, shape)


def away_from_zero(rng, shape, low=0.2):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, 2, shape)


def binary(name, apply, left=free, right=free):
    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(seeds))
        a_shape, b_shape = draw(pairs).input_shapes
        return Case(name, apply, [left(rng, a_shape), right(rng, b_shape)], f"{a_shape} {b_shape}")

    return case()


def unary(name, apply, values=free):
    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(seeds))
        return Case(name, apply, [values(rng, draw(shapes))])

    return case()


def max_left(rng, shape):  # |a| in [1, 2] and |b| <= 0.8: never a tie, both inputs win somewhere
    return away_from_zero(rng, shape, low=1.0)


def max_right(rng, shape):
    return rng.uniform(-0.8, 0.8, shape)


@st.composite
def pow_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    exponent = draw(st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.5]))
    shape = draw(shapes)
    base = away_from_zero(rng, shape, 0.5) if float(exponent).is_integer() else rng.uniform(0.5, 2, shape)
    return Case("pow", lambda x: x**exponent, [base], f"exponent {exponent}")


def axis_choices(ndim):
    if ndim == 0:
        return st.none()
    return st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    )


def reduction(name, values=free, public=None):
    """A reduction over random axes, as a method or a function; ``public`` is its name in bp (default ``name``)."""
    public = public or name

    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(seeds))
        shape = draw(shapes)
        axis, keepdims = draw(axis_choices(len(shape))), draw(st.booleans())
        if draw(st.booleans()):
            f = lambda x: getattr(x, public)(axis=axis, keepdims=keepdims)
        else:
            f = lambda x: getattr(bp, public)(x, axis=axis, keepdims=keepdims)
        return Case(name, f, [np.asarray(values(rng, shape), dtype=float)], f"axis={axis} keepdims={keepdims}")

    return case()


@st.composite
def reshape_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(shapes)
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), (1, size), (size, 1), tuple(reversed(shape)), (*shape, 1), (-1,)]))
    return Case("reshape", lambda x: x.reshape(target), [free(rng, shape)], f"{shape} -> {target}")


@st.composite
def transpose_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(shapes)
    axes = draw(st.one_of(st.none(), st.permutations(range(len(shape))).map(tuple)))
    how = draw(st.sampled_from(["method", "T", "function"]))
    if how == "T" or axes is None:
        f = (lambda x: x.T) if how == "T" else (lambda x: x.transpose())
    else:
        f = (lambda x: x.transpose(*axes)) if how == "method" else (lambda x: bp.transpose(x, axes))
    return Case("transpose", f, [free(rng, shape)], f"{how} axes={axes}")


@st.composite
def getitem_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(shapes_1d_up)
    n0 = shape[0]
    ints = st.integers(-n0, n0 - 1)
    # integer arrays may repeat indices: their gradients must add up
    index_array = st.lists(ints, min_size=1, max_size=5).map(np.array)
    a_slice = st.builds(
        slice, st.one_of(st.none(), ints), st.one_of(st.none(), ints), st.sampled_from([None, 1, 2, -1, -2])
    ).filter(lambda s: len(range(n0)[s]) > 0)
    kinds = [ints, a_slice, index_array, index_array.map(lambda a: a.reshape(-1, 1)), st.just((None, Ellipsis))]
    if len(shape) >= 2:
        inner = st.lists(st.integers(-shape[1], shape[1] - 1), min_size=1, max_size=4).map(np.array)
        kinds += [
            st.tuples(index_array, st.just(slice(1, None))),
            st.tuples(st.just(slice(None)), inner),
            st.tuples(index_array, st.integers(0, shape[1] - 1)),
            st.tuples(st.just(Ellipsis), st.integers(-shape[-1], shape[-1] - 1)),
        ]
    index = draw(st.one_of(*kinds))
    return Case("getitem", lambda x: x[index], [free(rng, shape)], f"{shape}[{index!r}]")


@st.composite
def matmul_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)).input_shapes
    kind = draw(st.sampled_from(["vector-vector", "matrix-vector", "vector-matrix", "matrix-matrix", "batched"]))
    a_shape, b_shape = {
        "vector-vector": ((k,), (k,)),
        "matrix-vector": ((*batch_a, m, k), (k,)),
        "vector-matrix": ((k,), (*batch_b, k, n)),
        "matrix-matrix": ((m, k), (k, n)),
        "batched": ((*batch_a, m, k), (*batch_b, k, n)),
    }[kind]
    f = (lambda a, b: a @ b) if draw(st.booleans()) else bp.matmul
    return Case("matmul", f, [free(rng, a_shape), free(rng, b_shape)], f"{kind} {a_shape} @ {b_shape}")


@st.composite
def dot_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    k = draw(st.integers(1, 5))
    f = (lambda a, b: a.dot(b)) if draw(st.booleans()) else bp.dot
    return Case("dot", f, [free(rng, (k,)), free(rng, (k,))])


def softmax_like(name):
    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(seeds))
        shape = draw(shapes_1d_up)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return Case(name, lambda x: getattr(bp, name)(x, axis=axis), [free(rng, shape) * 2], f"axis={axis}")

    return case()


@st.composite
def cross_entropy_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    n, classes = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if draw(st.booleans()):
        label = draw(st.integers(0, classes - 1))
        return Case("cross_entropy", lambda x: bp.cross_entropy(x, [label]), [free(rng, (classes,)) * 2], "1-D")
    labels = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    return Case("cross_entropy", lambda x: bp.cross_entropy(x, labels), [free(rng, (n, classes)) * 2], f"{labels}")


@st.composite
def stack_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    count = draw(st.integers(1, 3))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return Case("stack", lambda *xs: bp.stack(list(xs), axis=axis), [free(rng, shape) for _ in range(count)])


@st.composite
def broadcast_pair(draw):
    """(small, big): a shape and a shape it broadcasts to."""
    small = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return small, lead + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in small)


@st.composite
def sum_to_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    small, big = draw(broadcast_pair())
    return Case("sum_to", lambda x: ops.sum_to(x, shape=small), [free(rng, big)], f"{big} -> {small}")


@st.composite
def broadcast_to_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    small, big = draw(broadcast_pair())
    return Case("broadcast_to", lambda x: ops.broadcast_to(x, shape=big), [free(rng, small)], f"{small} -> {big}")


@st.composite
def index_add_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(shapes_1d_up)
    index = np.array(draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5)))  # repeats add
    g_shape = (len(index), *shape[1:])
    f = lambda g: ops.index_add(g, index=index, shape=shape)
    return Case("index_add", f, [free(rng, g_shape)], f"{shape} at {index}")


def clip_values(rng, shape):  # never within 0.1 of a bound: the gradient's kink is not straddled
    return rng.choice([-1.5, 0.0, 1.5], shape) + rng.uniform(-0.4, 0.4, shape)


@st.composite
def clip_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    low, high = draw(st.sampled_from([(-1.0, 1.0), (None, 1.0), (-1.0, None)]))
    how = draw(st.sampled_from(["function", "method", "clamp"]))
    f = {
        "function": lambda x: bp.clip(x, low, high),
        "method": lambda x: x.clip(low, high),
        "clamp": lambda x: x.clamp(min=low, max=high),
    }[how]
    return Case("clip", f, [clip_values(rng, draw(shapes))], f"{how} [{low}, {high}]")


def distinct(rng, shape):
    """Values 0.37 apart, shuffled: no tie, so finite differences of max/min see one winner."""
    if not shape:
        return rng.uniform(-1, 1)
    return rng.permutation(np.arange(int(np.prod(shape))) * 0.37 - 1.0).reshape(shape)


def extreme(name):
    """max/min over axes of distinct values."""
    return reduction(name, distinct, public={"amax": "max", "amin": "min"}[name])


def spread(name):
    @st.composite
    def case(draw):
        rng = np.random.default_rng(draw(seeds))
        # every axis 2 long or more, and distinct values 0.37 apart: each slice has a spread (std's gradient
        # is infinite at a zero spread)
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
        axis, keepdims = draw(axis_choices(len(shape))), draw(st.booleans())
        count = int(np.prod([shape[i] for i in bp.ops.axes_of(name, axis, len(shape))]))
        ddof = draw(st.integers(0, count - 1))
        values = rng.permutation(np.arange(int(np.prod(shape))) * 0.37 - 1.0).reshape(shape)
        if draw(st.booleans()):
            f = lambda x: getattr(x, name)(axis=axis, ddof=ddof, keepdims=keepdims)
        else:
            f = lambda x: getattr(bp, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
        return Case(name, f, [values], f"axis={axis} ddof={ddof} keepdims={keepdims}")

    return case()


@st.composite
def norm_cases(draw):
    rng = np.random.default_rng(draw(seeds))
    shape = draw(shapes_1d_up)
    axis, keepdims = draw(axis_choices(len(shape))), draw(st.booleans())
    values = away_from_zero(rng, shape, 0.3)  # no slice of zeros, where the gradient is undefined
    return Case("norm", lambda x: bp.norm(x, axis=axis, keepdims=keepdims), [values], f"axis={axis}")


def inside(domain):
    """Values drawn inside an elementwise op's declared domain, at least 0.2 from each of its kinks."""
    low = -2.0 if np.isinf(domain.low) else domain.low + 0.3
    high = 2.0 if np.isinf(domain.high) else domain.high - 0.3
    if np.isinf(domain.high) and not np.isinf(domain.low):
        high = low + 2.2
    if np.isinf(domain.low) and not np.isinf(domain.high):
        low = high - 2.2

    def values(rng, shape):
        x = rng.uniform(low, high, shape)
        for kink in domain.kinks:
            distance = np.abs(x - kink)
            x = np.where(distance < 0.2, kink + np.where(x >= kink, 1.0, -1.0) * (0.2 + distance), x)
        return x

    return values


def examples(name, primitive):
    """The op's own example calls (``primitive(..., examples=...)``), run through the Primitive itself."""

    def case(example):
        f = lambda *xs: primitive(*xs, **example.params)
        return Case(name, f, list(example.inputs), f"example {example.params}")

    return st.sampled_from(primitive.examples).map(case)


def from_registry(name, primitive):
    """Every op's cases come from its registry entry: its examples, else inputs drawn from its domain."""
    if primitive.examples:
        return examples(name, primitive)
    return unary(name, ops.PUBLIC[name], inside(primitive.domain))


# more shapes, axes and call styles than an op's examples, for the ops whose arguments have structure
MORE = {
    "sum_to": sum_to_cases(),
    "broadcast_to": broadcast_to_cases(),
    "index_add": index_add_cases(),
    "add": binary("add", lambda a, b: a + b),
    "sub": binary("sub", lambda a, b: a - b),
    "mul": binary("mul", lambda a, b: a * b),
    "div": binary("div", lambda a, b: a / b, right=away_from_zero),
    "pow": pow_cases(),
    "clip": clip_cases(),
    "amax": extreme("amax"),
    "amin": extreme("amin"),
    "var": spread("var"),
    "std": spread("std"),
    "norm": norm_cases(),
    "max": binary("max", bp.maximum, max_left, max_right),
    "sum": reduction("sum"),
    "mean": reduction("mean"),
    "logsumexp": reduction("logsumexp"),
    "reshape": reshape_cases(),
    "transpose": transpose_cases(),
    "getitem": getitem_cases(),
    "matmul": matmul_cases(),
    "dot": dot_cases(),
    "softmax": softmax_like("softmax"),
    "log_softmax": softmax_like("log_softmax"),
    "cross_entropy": cross_entropy_cases(),
    "stack": stack_cases(),
}
CASES = {
    name: st.one_of(from_registry(name, primitive), MORE[name]) if name in MORE else from_registry(name, primitive)
    for name, primitive in REGISTRY.items()
}
# Not public: the engine's own bookkeeping (broadcasting, indexing), left out of the random graphs.
INTERNAL = {name for name, primitive in REGISTRY.items() if primitive.internal}


def test_every_registered_op_has_a_symbol_a_doc_and_a_property_test():
    assert set(REGISTRY) == set(CASES) and set(MORE) <= set(REGISTRY)
    for name, primitive in REGISTRY.items():
        assert len(primitive.jvps) == len(primitive.rules), (
            f"{name} needs one JVP rule per VJP rule (primitive(..., jvp=...))"
        )
        assert primitive.symbol.strip(), f"{name} has no symbol to draw"
        assert ">>>" in primitive.doc and primitive.doc.split("\n")[0].strip(), f"{name} has no doc with an example"
        assert primitive.write([f"a{i}" for i in range(3)], {"exponent": 2}).strip(), name


# --- the scalar loss on top of an op ------------------------------------------------------------


def weights_for(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, shape), rng.uniform(-1, 1, shape)


def loss_of(f, shape):
    """sum(w f + w2 f^2 / 2): random weights give a non-uniform seed, the square a curved loss."""
    w, w2 = weights_for(shape, 7)

    def loss(*xs):
        y = f(*xs)
        return (y * w).sum() + (y * y * w2).sum() * 0.5

    return loss


def flat(case):
    """The loss as a function of one flat vector (hvp and hessian take one x)."""
    shape = evaluate(case.f, case.inputs).shape
    loss = loss_of(case.f, shape)
    sizes = [a.size for a in case.inputs]
    bounds = np.cumsum([0, *sizes])

    def f(v):
        return loss(*(v[int(lo) : int(hi)].reshape(a.shape) for lo, hi, a in zip(bounds[:-1], bounds[1:], case.inputs)))

    return f, np.concatenate([a.ravel() for a in case.inputs])


def check_gradient(case):
    output = evaluate(case.f, case.inputs)
    loss = loss_of(case.f, output.shape)
    analytic = bp.grad(loss, argnums=tuple(range(len(case.inputs))))(*case.inputs)
    for k, x in enumerate(case.inputs):
        replace = lambda xk, k=k: evaluate(loss, [*case.inputs[:k], xk, *case.inputs[k + 1 :]])
        assert_close(analytic[k], central_difference(replace, x), what=f"{case.name} gradient of input {k}")
        assert analytic[k].shape == x.shape and analytic[k].dtype == np.float64


def check_jacobian(case):
    output = evaluate(case.f, case.inputs)
    for k, x in enumerate(case.inputs):
        J = bp.jacobian(case.f, argnums=k)(*case.inputs)
        assert J.shape == output.shape + x.shape
        replace = lambda xk, k=k: evaluate(case.f, [*case.inputs[:k], xk, *case.inputs[k + 1 :]])
        assert_close(J, central_difference(replace, x), what=f"{case.name} jacobian of input {k}")


def check_jvp(case, seed=1):
    """Forward mode: J v from the ops' JVP rules against the explicit Jacobian and a directional difference."""
    output = evaluate(case.f, case.inputs)
    rng = np.random.default_rng(seed)
    vs = [rng.uniform(-1, 1, x.shape) for x in case.inputs]
    y, y_dot = bp.jvp(case.f, tuple(case.inputs), tuple(vs))
    assert isinstance(y_dot, np.ndarray) and y_dot.shape == output.shape and y_dot.dtype == np.float64
    assert_close(y, output, rtol=1e-12, what=f"{case.name} jvp's value")
    explicit = np.zeros(output.shape)
    for k, v in enumerate(vs):
        J = bp.jacobian(case.f, argnums=k)(*case.inputs)
        explicit = explicit + np.tensordot(J, v, axes=v.ndim)
    assert_close(y_dot, explicit, rtol=1e-10, what=f"{case.name} jvp vs jacobian @ v")
    moved = lambda s: evaluate(case.f, [x + s * v for x, v in zip(case.inputs, vs)])
    assert_close(
        y_dot, directional_difference(moved, np.array(0.0), np.array(1.0)), what=f"{case.name} jvp vs difference"
    )


def check_hvp(case, seed=0):
    f, x = flat(case)
    v = np.random.default_rng(seed).uniform(-1, 1, x.shape)
    hv = bp.hvp(f)(x, v)  # reverse over forward: the gradient of the jvp
    H = bp.hessian(f)(x)  # reverse over reverse, one row per output
    assert H.shape == x.shape * 2
    assert_close(H, H.T, rtol=1e-10, what=f"{case.name} Hessian symmetry")
    assert_close(hv, H @ v, rtol=1e-10, what=f"{case.name} hvp vs hessian @ v")
    double_backprop = bp.grad(lambda z: (bp.grad(f)(z) * v).sum())(x)  # reverse over reverse, one product
    assert_close(hv, double_backprop, rtol=1e-12, what=f"{case.name} hvp vs backprop through grad · v")
    _, forward_over_reverse = bp.jvp(bp.grad(f), (x,), (v,))  # the jvp of the gradient
    assert_close(forward_over_reverse, double_backprop, rtol=1e-12, what=f"{case.name} jvp of grad vs double backprop")
    gradient = lambda z: bp.grad(f)(z)
    assert_close(hv, directional_difference(gradient, x, v), what=f"{case.name} hvp vs difference of gradients")


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_gradient_and_jacobian_match_central_differences(name, data):
    case = data.draw(CASES[name], label="case")
    check_gradient(case)
    check_jacobian(case)


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_forward_mode_jvp_matches_jacobian_times_v_and_differences(name, data):
    case = data.draw(CASES[name], label="case")
    check_jvp(case)


@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_second_order_hvp_matches_hessian_and_differences_of_gradients(name, data):
    case = data.draw(CASES[name], label="case")
    check_hvp(case)


# --- random expression graphs mixing every op ----------------------------------------------------


class Program:
    """A random expression graph, replayable on new inputs.

    Every node's shape broadcasts against ``base`` = (m, n), so that any two
    nodes can be combined. Constants that keep relu and max away from their
    kinks are chosen while building, from the actual values.
    """

    def __init__(self, base, inputs, square):
        self.base, self.inputs, self.square = base, inputs, square  # square: an (n, n) input matrix
        self.steps, self.ops = [], []

    def run(self, *xs):
        nodes = list(xs[:-1])
        square = xs[-1]
        for step in self.steps:
            nodes.append(step(nodes, square))
        return nodes

    def add(self, step, name):
        nodes = self.run(*(Tensor(a, requires_grad=False) for a in (*self.inputs, self.square)))
        with bp.no_grad():
            step(nodes, Tensor(self.square, requires_grad=False))
        self.steps.append(step)
        self.ops.append(name)

    def values(self):
        with bp.no_grad():
            return [n.data for n in self.run(*(Tensor(a, requires_grad=False) for a in (*self.inputs, self.square)))]


def shift_away_from(values, margin=0.1):
    """A constant c with |values + c| >= margin everywhere."""
    c = 0.0
    while np.any(np.abs(values + c) < margin):
        c += 0.137
    return c


def full(t, base):
    return t + np.zeros(base)


GRAPH_OPS = [name for name, primitive in REGISTRY.items() if not primitive.internal]


def into_domain(domain, a):
    """step(t): t moved into an elementwise op's domain (squared past a finite bound), then clear of its kinks."""
    if np.isfinite(domain.low):
        move = lambda t: t * t + (domain.low + 0.5)
    elif np.isfinite(domain.high):
        move = lambda t: (domain.high - 0.5) - t * t
    else:
        move = lambda t: t
    moved, c = move(np.asarray(a)), 0.0
    while any(np.any(np.abs(moved + c - kink) < 0.1) for kink in domain.kinks):
        c += 0.137
    return (lambda t: move(t) + c) if c else move


def example_step(primitive, example, i):
    """The op on its example inputs, all moved together by a bounded amount of node i: summed to a scalar."""
    inputs = [np.asarray(x, dtype=np.float64) for x in example.inputs]
    return lambda ns, sq: bp.sum(primitive(*(bp.tanh(bp.mean(ns[i])) * 0.1 + x for x in inputs), **example.params))


def make_step(name, draw, program, nodes):
    """One random step of ``name`` reading random earlier nodes; returns step(nodes, square)."""
    m, n = program.base
    pick = lambda: draw(st.integers(0, len(nodes) - 1))
    i, j = pick(), pick()
    a, b = nodes[i], nodes[j]
    primitive = REGISTRY[name]
    if not primitive.examples:  # an elementwise op: its own domain says where its input must be
        move, function = into_domain(primitive.domain, a), ops.PUBLIC[name]
        return lambda ns, sq: function(move(ns[i]))
    if draw(st.integers(0, 3)) == 0:  # any op with examples: one of them, moved by the graph
        return example_step(primitive, draw(st.sampled_from(primitive.examples)), i)
    if name == "clip":
        c = shift_away_from(a - 0.6) + shift_away_from(a + 0.6)  # away from both bounds
        return lambda ns, sq: (ns[i] + c).clip(-0.6, 0.6)
    if name in ("amax", "amin"):  # a max over distinct values: the input plus a ramp, so no two are equal
        ramp = np.arange(m * n).reshape(m, n) * 0.41
        return lambda ns, sq: getattr(full(ns[i], (m, n)) + ramp, name[1:])(axis=-1, keepdims=True)
    if name in ("var", "std"):  # two values at least 1 apart: a spread, so std stays away from 0
        return lambda ns, sq: getattr(bp.stack([ns[i] * 0.1, ns[i] * 0.1 + 1.5]), name)(axis=0)
    if name == "norm":
        return lambda ns, sq: bp.norm(full(ns[i], (m, n)) + 3.0, axis=-1, keepdims=True)
    if name == "pow":
        e = draw(st.sampled_from([2, 3, -1, 0.5, 1.5]))
        return (lambda ns, sq: ns[i] ** e) if e in (2, 3) else (lambda ns, sq: (ns[i] * ns[i] + 0.5) ** e)
    if name == "add":
        return lambda ns, sq: ns[i] + ns[j]
    if name == "sub":
        return lambda ns, sq: ns[i] - ns[j]
    if name == "mul":
        return lambda ns, sq: ns[i] * ns[j]
    if name == "div":
        return lambda ns, sq: ns[i] / (ns[j] * ns[j] + 0.5)
    if name == "max":
        c = shift_away_from(-(a - b))
        return lambda ns, sq: bp.maximum(ns[i], ns[j] + c)
    if name in ("sum", "mean"):
        if np.ndim(a) == 0:
            return lambda ns, sq: getattr(ns[i], name)()
        axis, keepdims = draw(st.sampled_from([(None, False), (0, False), (-1, True), (None, True)]))
        if np.ndim(a) == 2 and axis == 0:
            keepdims = draw(st.booleans())
        return lambda ns, sq: getattr(ns[i], name)(axis=axis, keepdims=keepdims)
    if name == "reshape":
        return lambda ns, sq: full(ns[i], (m, n)).reshape(n, m).T
    if name == "transpose":
        return lambda ns, sq: full(ns[i], (m, n)).T.reshape(m, n)
    if name == "getitem":
        rows = np.array(draw(st.lists(st.integers(0, m - 1), min_size=m, max_size=m)))
        kind = draw(st.sampled_from(["rows", "reverse", "row"]))
        row = draw(st.integers(-m, m - 1))
        index = {"rows": rows, "reverse": (slice(None, None, -1), slice(None)), "row": row}[kind]
        return lambda ns, sq: full(ns[i], (m, n))[index]
    if name == "matmul":
        return lambda ns, sq: full(ns[i], (m, n)) @ sq
    if name == "dot":
        return lambda ns, sq: full(ns[i], (m, n)).reshape(-1).dot(full(ns[j], (m, n)).reshape(-1)) * (1 / (m * n))
    if name in ("softmax", "log_softmax"):
        return lambda ns, sq: getattr(bp, name)(full(ns[i], (m, n)), axis=-1)
    if name == "cross_entropy":
        labels = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
        return lambda ns, sq: bp.cross_entropy(full(ns[i], (m, n)), labels)
    if name == "stack":
        mix = np.array([0.7, -0.4])
        return lambda ns, sq: bp.stack([full(ns[i], (m, n)), full(ns[j], (m, n))], axis=-1) @ mix
    return example_step(primitive, draw(st.sampled_from(primitive.examples)), i)  # a new op: its examples, no edit here


@st.composite
def programs(draw):
    rng = np.random.default_rng(draw(seeds))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    input_shapes = draw(st.lists(st.sampled_from([(m, n), (n,), (1, n), (m, 1), ()]), min_size=1, max_size=3))
    program = Program((m, n), [rng.uniform(-1.5, 1.5, s) for s in input_shapes], rng.uniform(-1, 1, (n, n)))
    for name in draw(st.lists(st.sampled_from(GRAPH_OPS), min_size=2, max_size=7)):
        program.add(make_step(name, draw, program, program.values()), name)
    values = program.values()
    assume(all(np.all(np.abs(v) < 30) for v in values))
    return program


def program_case(program):
    """The program as a Case: inputs (with the square matrix last) -> every node it made, summed with weights."""
    count = len(program.inputs)

    def f(*xs):
        nodes = program.run(*xs)[count:]
        return bp.stack([(node * w).sum() for node, w in zip(nodes, node_weights(program))])

    return Case("graph " + " ".join(program.ops), f, [*program.inputs, program.square])


def node_weights(program):
    rng = np.random.default_rng(11)
    return [rng.uniform(-1, 1, np.shape(v)) for v in program.values()[len(program.inputs) :]]


@GRAPH_SETTINGS
@given(program=programs())
def test_random_graphs_gradient_jacobian_jvp_and_hvp(program):
    case = program_case(program)
    check_gradient(case)
    check_jacobian(case)
    check_jvp(case)
    check_hvp(case)


def test_random_graph_ops_cover_every_public_op():
    assert set(GRAPH_OPS) == set(CASES) - INTERNAL
