"""Every elementwise op and the softmax family, accurate to a few ulps over their whole range.

The references are computed with mpmath at 60 significant digits and rounded
to the dtype under test, for the value, the first derivative (one backward
pass) and the second derivative (a backward pass through the backward pass).
Errors are counted in ulps of the reference. A second derivative that is a
difference of terms (sigmoid'' = s(1-s)(1-2s) near 0) is allowed the rounding
of its terms as well, a few ulps of their size; that is the best any
floating-point evaluation can promise.
"""

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backpropnb as bp
from backpropnb.ops import PUBLIC, REGISTRY

# at the ends of the range an intermediate (x² in log's second derivative) overflows, and says so
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
mpmath.mp.dps = 60
ULPS = {"value": 4, "first": 8, "second": 16}


def derivative(f, n):
    """The n-th derivative of an mpmath function: a central difference at 500 digits, its step 1e-100 of x.

    The step is so small that the difference's own error (h², relative) is far below the digits
    compared, and 500 digits keep the difference exact enough even where f' is 1e-324 beside f = 1.
    """

    def nth(x):
        with mpmath.workdps(500):
            x = mpmath.mpf(x)
            return +mpmath.diff(f, x, n, h=abs(x) * mpmath.mpf("1e-100") if x else mpmath.mpf("1e-100"))

    return nth


# name: (function of an mpmath number, its derivative, its second derivative, float64 range, float32 range),
# for every elementwise op whose registry entry promises its accuracy (Domain.accurate) and writes its
# reference formula (reference=, for a math module such as mpmath)
FUNCTIONS = {
    name: (
        reference,
        derivative(reference, 1),
        derivative(reference, 2),
        primitive.domain.accurate["float64"],
        primitive.domain.accurate["float32"],
    )
    for name, primitive in REGISTRY.items()
    if primitive.domain is not None and primitive.domain.accurate and primitive.reference is not None
    for reference in [lambda x, primitive=primitive: primitive.reference(mpmath, x)]
}


def ulps(computed, reference, dtype, scale=0.0):
    """|computed - reference| in ulps of the reference (at least the smallest normal's spacing)."""
    info = np.finfo(dtype)
    exact = float(reference)
    size = max(abs(exact), float(info.tiny))
    spacing = float(np.spacing(dtype(size))) if np.isfinite(dtype(size)) else float(info.max)
    allowance = float(info.eps) * abs(scale) * ULPS["second"]
    return max(abs(float(computed) - exact) - allowance, 0.0) / spacing


def values(dtype):
    def draw(name):
        low, high = FUNCTIONS[name][3 if dtype is np.float64 else 4]
        width = 64 if dtype is np.float64 else 32
        if low > 0:  # log: sample the exponent so that every binade is reached
            return st.floats(np.log10(low), np.log10(high)).map(lambda e: float(dtype(10.0**e)))
        low, high = float(dtype(low)), float(dtype(high))
        return st.floats(low, high, width=width, allow_subnormal=False)

    return draw


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_value_and_two_derivatives_within_a_few_ulps(name, dtype, data):
    f, d1, d2, *_ = FUNCTIONS[name]
    x = dtype(data.draw(values(dtype)(name), label="x"))
    exact_x = mpmath.mpf(float(x))
    function = PUBLIC[name]
    value = function(bp.tensor(np.array(x, dtype=dtype))).data
    first = bp.grad(lambda t: function(t))(np.array(x, dtype=dtype))
    second = bp.grad(bp.grad(lambda t: function(t)))(np.array(x, dtype=dtype))
    assert value.dtype == first.dtype == second.dtype == dtype
    for what, computed, exact, scale in (
        ("value", value, f(exact_x), 0.0),
        ("first", first, d1(exact_x), 0.0),
        ("second", second, d2(exact_x), float(d1(exact_x))),
    ):
        if not np.isfinite(dtype(float(exact))):
            continue  # the true value overflows this dtype: nothing to compare
        error = ulps(computed, exact, dtype, scale)
        assert error <= ULPS[what], f"{name}({x!r}) {what}: {float(computed)!r} vs {float(exact)!r}: {error:.1f} ulps"


# --- the softmax family, at the edges where one probability is almost 1 ---------------------


def softmax_reference(logits):
    # 1 - p can be 1e-304 here, so the reference needs ~320 digits to keep 16 of them
    mpmath.mp.dps = 360
    exps = [mpmath.exp(mpmath.mpf(float(v))) for v in logits]
    total = mpmath.fsum(exps)
    return [e / total for e in exps]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@settings(max_examples=150, deadline=None)
@given(
    logits=st.lists(st.floats(-60, 60, allow_subnormal=False), min_size=2, max_size=5),
    gap=st.floats(0, 700),
    k=st.integers(0, 4),
)
def test_softmax_log_softmax_and_cross_entropy_within_a_few_ulps(dtype, logits, gap, k):
    k %= len(logits)
    logits = np.array(logits, dtype=np.float64)
    logits[k] += gap if dtype is np.float64 else min(gap, 80)  # one class far ahead: probabilities near 1 and 0
    logits = logits.astype(dtype)
    p = softmax_reference(logits)
    log_p = [mpmath.log(q) for q in p]
    log_total = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in logits))
    mpmath.mp.dps = 60
    x = np.array(logits)
    checks = [
        ("softmax", bp.softmax(bp.tensor(x)).data, p),
        ("log_softmax", bp.log_softmax(bp.tensor(x)).data, log_p),
        # d softmax_k / dx_j = p_k (δ_kj - p_j); d log_softmax_k / dx_j = δ_kj - p_j
        ("softmax grad", bp.grad(lambda t: bp.softmax(t)[k])(x), [p[k] * ((j == k) - p[j]) for j in range(len(p))]),
        ("log_softmax grad", bp.grad(lambda t: bp.log_softmax(t)[k])(x), [(j == k) - p[j] for j in range(len(p))]),
        ("cross_entropy", bp.cross_entropy(bp.tensor(x), [k]).data.reshape(1), [-log_p[k]]),
        (
            "cross_entropy grad",
            bp.grad(lambda t: bp.cross_entropy(t, [k]))(x),
            [p[j] - (j == k) for j in range(len(p))],
        ),
        ("logsumexp grad", bp.grad(lambda t: bp.logsumexp(t))(x), p),  # d log Σ exp / dx_j = p_j
    ]
    for what, computed, exact in checks:
        assert computed.dtype == dtype, what
        for j, (c, e) in enumerate(zip(np.ravel(computed), exact)):
            error = ulps(c, e, dtype)
            assert error <= ULPS["first"], f"{what}[{j}] at {logits}: {float(c)!r} vs {float(e)!r}: {error:.1f} ulps"
    # max + log Σ exp(x - max) adds two terms: where they nearly cancel (the sum near 0) their rounding is allowed
    computed = bp.logsumexp(bp.tensor(x)).data
    assert computed.dtype == dtype
    error = ulps(computed, log_total, dtype, scale=abs(float(np.max(x))) + np.log(len(x)))  # the two terms
    assert error <= ULPS["first"], (
        f"logsumexp at {logits}: {float(computed)!r} vs {float(log_total)!r}: {error:.1f} ulps"
    )
