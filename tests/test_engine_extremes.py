"""The softmax family at the edges attention and confident classifiers reach: -inf masks, ±1e308.

The expected numbers are the limits (what PyTorch gives): a masked entry has probability 0 and gets
no gradient, an overflowing shift is -inf, and nothing turns into nan or warns. The elementwise ops
and cross-entropy are checked at ±inf, nan, ±1e308, a denormal and -0.0 the same way.
"""

import warnings

import numpy as np
import pytest

import backpropnb as bp


@pytest.fixture(autouse=True)
def _no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow or invalid-value warnings would be a bug here
        yield


def test_softmax_of_a_masked_entry_is_zero_and_takes_no_gradient():
    x = bp.tensor([-np.inf, 0.0])
    s = bp.softmax(x)
    np.testing.assert_array_equal(s.data, [0.0, 1.0])
    (s * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])  # s (g - Σ g s) = [0·(1 - 2), 1·(2 - 2)]


def test_a_masked_attention_row():
    scores = bp.tensor([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    p = bp.softmax(scores, axis=-1)
    e = np.e
    np.testing.assert_allclose(
        p.data, [[1 / (1 + e), 0, e / (1 + e)], [1 / (1 + e**-1.5), e**-1.5 / (1 + e**-1.5), 0]], rtol=1e-15
    )
    weights = np.array([[1.0, 5.0, -1.0], [0.5, 2.0, 3.0]])
    (p * weights).sum().backward()
    assert np.all(np.isfinite(scores.grad)) and scores.grad[0, 1] == 0 and scores.grad[1, 2] == 0  # masked: no gradient
    q = p.data
    expected = q * (weights - (weights * q).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-14, atol=1e-300)


def test_log_softmax_of_extreme_logits_is_their_limit():
    x = bp.tensor([1e308, -1e308])
    out = bp.log_softmax(x)
    np.testing.assert_array_equal(out.data, [0.0, -np.inf])
    (out * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [-2.0, 2.0])  # g - softmax Σ g = [1 - 3, 2 - 0]


def test_cross_entropy_over_masked_logits_is_finite():
    logits = bp.tensor([[-np.inf, 1.0, 2.0], [0.0, -np.inf, -np.inf]])
    loss = bp.cross_entropy(logits, [2, 0])
    assert loss.data == pytest.approx(np.log1p(np.exp(-1.0)) / 2, rel=1e-15)
    loss.backward()
    assert np.all(np.isfinite(logits.grad)) and logits.grad[0, 0] == 0 and logits.grad[1, 0] == 0


# --- against PyTorch's float64 kernels ---------------------------------------------------------------
# torch is not a dependency: these are its CPU formulas, written out on numpy (softmax: exp(x - max) / Σ,
# backward s (g - Σ g s); log_softmax: x - max - log Σ exp(x - max), backward g - exp(out) Σ g;
# logsumexp: the max set to 0 where it is ±inf, backward g exp(x - out)). Where they meet inf - inf
# they give nan, and so must we.

inf, nan = np.inf, np.nan


def torch_softmax(x, axis):
    with np.errstate(all="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def torch_softmax_grad(x, g, axis):
    s = torch_softmax(x, axis)
    with np.errstate(all="ignore"):
        return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def torch_log_softmax(x, axis):
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def torch_log_softmax_grad(x, g, axis):
    with np.errstate(all="ignore"):
        return g - np.exp(torch_log_softmax(x, axis)) * np.sum(g, axis=axis, keepdims=True)


def torch_logsumexp(x, axis, keepdims=True):
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isinf(m), 0.0, m)
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def torch_logsumexp_grad(x, g, axis):
    with np.errstate(all="ignore"):
        return g * np.exp(x - torch_logsumexp(x, axis))


def same(computed, expected, what, scale=0.0):
    """Equal to a few ulps (of ``scale`` too, for a difference of terms that size), inf and nan where PyTorch has them."""
    atol = max(8 * np.finfo(np.float64).eps * scale, 1e-300)
    np.testing.assert_allclose(computed, expected, rtol=1e-14, atol=atol, equal_nan=True, err_msg=what)
    np.testing.assert_array_equal(np.isnan(computed), np.isnan(expected), err_msg=what)


ROWS = {
    "mask": [-inf, 0.0],
    "mask, three": [-inf, 1.0, 2.0],
    "two masks": [-inf, 3.0, -inf, -1.0],
    "±1e308": [1e308, -1e308],
    "∓1e308": [-1e308, 1e308],
    "1e308 twice": [1e308, 1e308],
    "tie": [2.0, 2.0, 2.0],
    "denormal and -0": [5e-324, -0.0],
    "all -inf": [-inf, -inf],  # torch: nan (max - max is inf - inf), so nan here too
    "+inf": [inf, 0.0],  # nan, as torch (no limit is taken)
    "nan": [nan, 0.0],
}
ROW_SETS = {name: np.array([row]) for name, row in ROWS.items()}
ROW_SETS["2-D masks, axis -1"] = np.array([[0.0, -inf, 1.0], [2.0, 0.5, -inf], [-inf, -inf, 4.0]])
ROW_SETS["2-D masks, axis 0"] = ROW_SETS["2-D masks, axis -1"].T.copy()


@pytest.mark.parametrize("name", list(ROW_SETS))
@pytest.mark.parametrize(
    ("op", "value", "gradient"),
    [(bp.softmax, torch_softmax, torch_softmax_grad), (bp.log_softmax, torch_log_softmax, torch_log_softmax_grad)],
    ids=["softmax", "log_softmax"],
)
def test_the_softmax_family_at_extremes_matches_torch(name, op, value, gradient):
    data = ROW_SETS[name]
    axis = 0 if name.endswith("axis 0") else -1
    weights = np.arange(1.0, data.size + 1).reshape(data.shape)
    x = bp.tensor(data)
    out = op(x, axis=axis)
    same(out.data, value(data, axis), f"{op.__name__}({name})")
    (out * weights).sum().backward()
    same(x.grad, gradient(data, weights, axis), f"{op.__name__}({name}) gradient", scale=weights.sum())


@pytest.mark.parametrize("name", list(ROW_SETS))
def test_logsumexp_at_extremes_matches_torch(name):
    data = ROW_SETS[name]
    axis = 0 if name.endswith("axis 0") else -1
    x = bp.tensor(data)
    out = bp.logsumexp(x, axis=axis)
    same(out.data, torch_logsumexp(data, axis, keepdims=False), f"logsumexp({name})")
    weights = np.arange(1.0, out.size + 1)
    (out * weights).sum().backward()
    expected = torch_logsumexp_grad(data, np.expand_dims(weights, axis), axis)
    if name == "+inf":
        # torch's exp(x - out) is nan at +inf itself and 0 beside it; softmax has no limit to give either
        assert np.isnan(x.grad).all() and np.isnan(expected[0, 0]) and expected[0, 1] == 0
        return
    if name == "1e308 twice":
        # torch's exp(x - out) is [1, 1] there: out = 1e308 + log 2 rounds to 1e308; softmax is the true slope
        np.testing.assert_array_equal(expected, [[1.0, 1.0]])
        expected = np.array([[0.5, 0.5]])
    same(x.grad, expected, f"logsumexp({name}) gradient")


def test_logsumexp_of_limits():
    assert float(bp.logsumexp(bp.tensor([-inf, -inf])).data) == -inf  # log 0, as torch
    assert float(bp.logsumexp(bp.tensor([inf, -inf, 1.0])).data) == inf
    assert float(bp.logsumexp(bp.tensor([1e308, 1e308])).data) == 1e308  # 1e308 + log 2 rounds to 1e308
    assert float(bp.logsumexp(bp.tensor([1000.0, 1000.0])).data) == 1000 + np.log(2)
    assert float(bp.logsumexp(bp.tensor(-inf)).data) == -inf
    np.testing.assert_array_equal(bp.logsumexp(bp.tensor(np.zeros((0, 3))), axis=0).data, [-inf] * 3)  # empty: -inf


@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (None, True), (1, False), ((0, 2), True), (-1, True)])
def test_logsumexp_over_axes_with_masks(axis, keepdims):
    data = np.linspace(-3.0, 4.0, 24).reshape(2, 3, 4)
    data[0, 1, :] = -inf  # a masked row
    data[1, :, 2] = -inf
    x = bp.tensor(data)
    out = bp.logsumexp(x, axis=axis, keepdims=keepdims)
    same(out.data, torch_logsumexp(data, axis, keepdims=keepdims), "value")
    same(x.logsumexp(axis=axis, keepdims=keepdims).data, out.data, "method")
    weights = np.arange(1.0, out.size + 1).reshape(out.shape)
    (out * weights).sum().backward()
    kept = weights if keepdims else np.expand_dims(weights, axis if axis is not None else (0, 1, 2))
    same(x.grad, torch_logsumexp_grad(data, kept, axis), "gradient")


def test_logsumexp_second_derivative_at_a_mask_is_softmax_jacobian():
    x = np.array([-inf, 0.0, 1.0, -inf])
    s = torch_softmax(x, -1)
    h = bp.hessian(lambda t: bp.logsumexp(t))(x)
    np.testing.assert_allclose(h, np.diag(s) - np.outer(s, s), rtol=1e-14, atol=1e-300)  # 0 at masked entries
    v = np.array([1.0, 2.0, -1.0, 5.0])
    np.testing.assert_allclose(bp.hvp(lambda t: bp.logsumexp(t))(x, v), h @ v, rtol=1e-14, atol=1e-300)
    _, tangent = bp.jvp(lambda t: bp.logsumexp(t), (x,), (v,))
    assert float(tangent) == pytest.approx(s @ v, rel=1e-15)


def test_log_softmax_second_derivative_at_a_mask_is_finite():
    x = np.array([-inf, 1.0, 2.0])
    h = bp.hessian(lambda t: (bp.log_softmax(t) * np.array([1.0, 2.0, 3.0])).sum())(x)
    s = torch_softmax(x, -1)
    np.testing.assert_allclose(h, -6 * (np.diag(s) - np.outer(s, s)), rtol=1e-14, atol=1e-15)  # -Σw (diag s - s sᵀ)


def test_forward_mode_at_a_mask_matches_the_jacobian():
    x, t = np.array([-inf, 1.0, 2.0]), np.array([3.0, 1.0, -2.0])
    s = torch_softmax(x, -1)
    jacobian = np.diag(s) - np.outer(s, s)  # softmax's; log_softmax's is I - 1 sᵀ
    _, tangent = bp.jvp(bp.softmax, (x,), (t,))
    np.testing.assert_allclose(tangent, jacobian @ t, rtol=1e-14, atol=1e-300)
    _, tangent = bp.jvp(bp.log_softmax, (x,), (t,))
    np.testing.assert_allclose(tangent, t - s @ t, rtol=1e-14)  # the masked entry moves with its own tangent


@pytest.mark.parametrize(
    ("op", "value", "gradient"),
    [
        (bp.softmax, torch_softmax, torch_softmax_grad),
        (bp.log_softmax, torch_log_softmax, torch_log_softmax_grad),
        (bp.logsumexp, lambda x, axis: torch_logsumexp(x, axis, keepdims=False), torch_logsumexp_grad),
    ],
    ids=["softmax", "log_softmax", "logsumexp"],
)
def test_a_float32_mask_keeps_its_dtype(op, value, gradient):
    data = np.array([[-inf, 0.0, 1.0], [3e38, -3e38, 0.0]], dtype=np.float32)  # 3e38 - -3e38 overflows float32
    x = bp.tensor(data)
    out = op(x, axis=-1)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(out.data, value(data, -1), rtol=1e-6)
    upstream = np.ones(out.shape, np.float32).reshape(2, -1)  # logsumexp's (2,) as (2, 1), beside its input
    np.testing.assert_allclose(x.grad, gradient(data, upstream, -1), rtol=1e-6, atol=1e-7)


# --- cross-entropy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logits", "label"),
    [
        ([-inf, 1.0, 2.0], 2),
        ([-inf, 1.0, 2.0], 0),  # the label masked: loss inf, as torch
        ([1e308, -1e308], 0),
        ([1e308, -1e308], 1),
        ([5e-324, -0.0], 1),
        ([-inf, -inf], 0),  # nan, as torch
        ([inf, 0.0], 0),
        ([nan, 0.0], 1),
    ],
)
def test_cross_entropy_at_extremes_matches_torch(logits, label):
    data = np.array([logits])
    x = bp.tensor(data)
    loss = bp.cross_entropy(x, [label])
    log_p = torch_log_softmax(data, -1)
    same(loss.data, -log_p[0, label], "loss")
    loss.backward()
    one_hot = np.eye(data.shape[1])[[label]]
    with np.errstate(all="ignore"):
        same(x.grad, np.exp(log_p) - one_hot, "gradient")  # torch: log_softmax's backward of -one_hot / N


# --- elementwise ops at ±inf, nan, ±1e308, a denormal and -0.0 ---------------------------------------

# (op, x, torch's value, torch's gradient) in float64; torch's backward formulas are
# sigmoid: g (1 - y) y, tanh: g (1 - y²), exp: g y, log: g / x
ELEMENTWISE = [
    *[("sigmoid", x, y, d) for x, y, d in [(inf, 1.0, 0.0), (-inf, 0.0, 0.0), (nan, nan, nan), (1e308, 1.0, 0.0)]],
    *[("sigmoid", x, y, d) for x, y, d in [(-1e308, 0.0, 0.0), (5e-324, 0.5, 0.25), (-0.0, 0.5, 0.25)]],
    *[("tanh", x, y, d) for x, y, d in [(inf, 1.0, 0.0), (-inf, -1.0, 0.0), (nan, nan, nan), (1e308, 1.0, 0.0)]],
    *[("tanh", x, y, d) for x, y, d in [(-1e308, -1.0, 0.0), (5e-324, 5e-324, 1.0), (-0.0, -0.0, 1.0)]],
    *[("exp", x, y, d) for x, y, d in [(inf, inf, inf), (-inf, 0.0, 0.0), (nan, nan, nan), (-1e308, 0.0, 0.0)]],
    *[("exp", x, y, d) for x, y, d in [(5e-324, 1.0, 1.0), (-0.0, 1.0, 1.0)]],
    *[("log", x, y, d) for x, y, d in [(inf, inf, 0.0), (nan, nan, nan), (1e308, np.log(1e308), 1e-308)]],
]


@pytest.mark.parametrize("shape", ["scalar", "array"])
@pytest.mark.parametrize(
    ("name", "x", "value", "gradient"), ELEMENTWISE, ids=[f"{n}({x!r})" for n, x, *_ in ELEMENTWISE]
)
def test_elementwise_ops_at_extremes_match_torch(name, x, value, gradient, shape):
    t = bp.tensor(x if shape == "scalar" else [x])
    y = getattr(bp, name)(t)
    y.sum().backward()
    computed, slope = np.ravel(y.data)[0], np.ravel(t.grad)[0]
    same(computed, value, f"{name}({x!r})")
    assert np.signbit(computed) == np.signbit(value) or np.isnan(value), f"{name}({x!r}) sign"  # tanh(-0.0) is -0.0
    same(slope, gradient, f"{name}'({x!r})")


# torch's double backward: sigmoid'' = s(1 - s)(1 - 2s), tanh'' = -2t(1 - t²), exp'' = exp, log'' = -1/x²
SECOND = [
    *[("sigmoid", x, 0.0) for x in (inf, -inf, 1e308, -1e308, -0.0)],
    *[("tanh", x, 0.0) for x in (inf, -inf, 1e308, -1e308, -0.0)],
    *[("exp", x, y) for x, y in ((inf, inf), (-inf, 0.0), (-1e308, 0.0), (-0.0, 1.0))],
    *[("log", x, -0.0) for x in (inf, 1e308)],
]


@pytest.mark.parametrize(("name", "x", "second"), SECOND, ids=[f"{n}''({x!r})" for n, x, _ in SECOND])
def test_second_derivatives_at_extremes_match_torch(name, x, second):
    h = bp.hessian(lambda t: getattr(bp, name)(t).sum())(np.array([x]))
    same(h.ravel()[0], second, f"{name}''({x!r})")
    same(bp.hvp(lambda t: getattr(bp, name)(t).sum())(np.array([x]), np.array([1.0]))[0], second, "hvp")


# where the true value or slope is beyond float64 (a pole, an overflow) the numbers are torch's, but the
# engine says so under the op's name, as everywhere (tests/test_engine_hardening.py); torch is silent
POLES = [
    ("exp", 1e308, inf, inf, ["exp: overflow"]),
    ("log", 0.0, -inf, inf, ["log: divide by zero", "div: divide by zero"]),  # 1/x in log's rule
    ("log", -0.0, -inf, -inf, ["log: divide by zero", "div: divide by zero"]),
    ("log", 5e-324, np.log(5e-324), inf, ["div: overflow"]),  # 1/5e-324 is past the largest float
    ("log", -1.0, nan, -1.0, ["log: invalid value"]),
    ("log", -inf, nan, -0.0, ["log: invalid value"]),
]


@pytest.mark.parametrize(("name", "x", "value", "gradient", "said"), POLES, ids=[f"{p[0]}({p[1]!r})" for p in POLES])
def test_poles_and_overflows_are_torchs_numbers_and_named(name, x, value, gradient, said):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = bp.tensor([x])
        getattr(bp, name)(t).sum().backward()
        y = getattr(bp, name)(bp.tensor([x]))
    same(y.data[0], value, f"{name}({x!r})")
    same(t.grad[0], gradient, f"{name}'({x!r})")
    messages = [str(w.message) for w in caught]
    assert all(w.category is RuntimeWarning for w in caught)
    assert all(any(m.startswith(s) for s in said) for m in messages) and messages, messages  # named, never numpy's


def test_nothing_in_this_file_warns():
    """The cases above once more with every warning recorded: masks and extremes are not floating-point errors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for data in ROW_SETS.values():
            for op in (bp.softmax, bp.log_softmax, bp.logsumexp):
                x = bp.tensor(data)
                (op(x, axis=-1) * 0.5).sum().backward()
                bp.grad(lambda t, op=op: op(t, axis=-1).sum())(data)
        for name, x, *_ in ELEMENTWISE:
            bp.grad(lambda t, name=name: getattr(bp, name)(t).sum())(np.array([x]))
        bp.hessian(lambda t: bp.logsumexp(t))(np.array([-inf, 0.0, 1e308]))
    assert not caught, [str(w.message) for w in caught]
