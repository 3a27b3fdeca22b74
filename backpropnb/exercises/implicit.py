"""Checkers for exercise 04: implicit Jacobians (ReLU and matrix multiply).

Each checker calls the student's function on the lecture's numbers first, then
on seeded random inputs, and compares with the engine (``backpropnb.vjp`` and
``backpropnb.jacobian``) and with finite differences.

>>> import numpy as np
>>> check_relu_backward(lambda x, upstream: upstream * (x > 0))
✓ relu_backward: all checks passed.
True
"""

from __future__ import annotations

import numpy as np

from .. import jacobian, matmul, relu, vjp
from ..finite_differences import numeric_gradient
from ..formatting import format_values
from ..i18n import text
from ..lecture import NORM_W, NORM_X, RELU_X
from ._check import CheckFailed, call, checker, expect_close, expect_tuple, random_generator, to_array

__all__ = ["check_linear_backward", "check_matmul_backward", "check_relu_backward", "check_relu_jacobian"]

# ReLU's slope at 0 is 0 (the engine's convention, and the notebook's): an input with a 0 catches `x >= 0`.
RELU_AT_ZERO = np.array([0.0, 2.0, -1.0, 0.0])


def _expect_gradient(label, got, expected, *, at="", hint=""):
    """Like expect_close, but a transposed shape gets its own hint."""
    expected = to_array(expected)
    got_shape = np.shape(to_array(got, label)) if got is not None else None
    if expected.ndim == 2 and got_shape == expected.shape[::-1] and expected.shape[0] != expected.shape[1]:
        variable = label.split("/d", 1)[1]
        raise CheckFailed(
            text("checkers.implicit.transpose", label=label, got=got_shape, variable=variable, shape=expected.shape)
        )
    expect_close(label, got, expected, at=at, hint=hint)


# --- ReLU -------------------------------------------------------------------


@checker("relu_jacobian")
def check_relu_jacobian(relu_jacobian):
    """Check ``relu_jacobian(x)``: the explicit n×n Jacobian of ReLU at a 1-D ``x``.

    >>> check_relu_jacobian(lambda x: np.diag((x > 0).astype(float)))
    ✓ relu_jacobian: all checks passed.
    True
    """
    rng = random_generator(40)
    for x in [RELU_X, RELU_AT_ZERO, rng.normal(size=6)]:
        got = call(relu_jacobian, x.copy())
        n = x.size
        if got is not None and np.shape(to_array(got, "Jacobian")) == (n,):
            raise CheckFailed(text("checkers.implicit.diagonal_only", n=n))
        expected = jacobian(relu)(x)
        square = got is not None and np.shape(to_array(got, "Jacobian")) == (n, n)
        hint = ""
        if square and np.allclose(to_array(got), np.diag(x < 0)):
            hint = text("checkers.implicit.slope")
        elif square and np.allclose(to_array(got), np.diag(x >= 0)):
            hint = text("checkers.implicit.slope_at_zero")
        expect_close(
            "Jacobian", got, expected, at=f"x={format_values(x)}", of=text("checkers.implicit.n_by_n"), hint=hint
        )


@checker("relu_backward")
def check_relu_backward(relu_backward):
    """Check ``relu_backward(x, upstream)``: dL/dx without building the Jacobian.

    >>> check_relu_backward(lambda x, upstream: upstream)
    ✗ relu_backward: dL/dx is off at x=[ 1.  3. -2.  4.]: expected [5. 6. 0. 8.], got [5. 6. 7. 8.] (keep the upstream gradient only where x > 0; elsewhere send 0).
    False
    """
    rng = random_generator(41)
    cases = [(RELU_X, np.array([5.0, 6.0, 7.0, 8.0])), (RELU_AT_ZERO, np.array([5.0, 6.0, 7.0, 8.0]))]
    cases.append((rng.normal(size=7), rng.normal(size=7)))
    cases.append((rng.normal(size=(3, 4)), rng.normal(size=(3, 4))))  # a minibatch: same rule, any shape
    for x, upstream in cases:
        got = call(relu_backward, x.copy(), upstream.copy())
        if got is not None and np.shape(to_array(got, "dL/dx")) == (x.size, x.size) and x.ndim == 1:
            raise CheckFailed(text("checkers.implicit.not_a_jacobian", got=(x.size, x.size), shape=x.shape))
        expected = vjp(relu, x)[1](upstream)[0]
        _expect_gradient("dL/dx", got, expected, at=f"x={format_values(x)}", hint=_relu_hint(x, upstream, got))
        if not np.any(x == 0):  # a finite difference straddling the kink at 0 gives half the slope
            numeric = numeric_gradient(lambda v, u=upstream: np.sum(u * np.maximum(v, 0)), x)
            expect_close(
                "dL/dx",
                got,
                numeric,
                at=f"x={format_values(x)}" + text("checkers.finite_differences"),
                rtol=1e-5,
                atol=1e-6,
            )


def _relu_hint(x, upstream, got):
    got = to_array(got, "dL/dx")
    if got is None or got.shape != x.shape:
        return ""
    if np.any(x == 0) and np.allclose(got, upstream * (x >= 0)):
        return text("checkers.implicit.nothing_at_zero")
    if np.allclose(got, upstream):
        return text("checkers.implicit.keep_positive")
    if np.allclose(got, (x > 0).astype(float)):
        return text("checkers.implicit.local_alone")
    if np.allclose(got, upstream * np.maximum(x, 0)):
        return text("checkers.implicit.relu_local")
    if np.allclose(got, upstream * (x < 0)):
        return text("checkers.implicit.passes_positive")
    return ""


# --- matrix multiply ----------------------------------------------------------


@checker("matmul_backward")
def check_matmul_backward(matmul_backward):
    """Check ``matmul_backward(X, W, upstream)`` for Y = X @ W (rows are samples): returns (dL/dX, dL/dW).

    >>> check_matmul_backward(lambda X, W, upstream: (upstream @ W.T, X.T @ upstream))
    ✓ matmul_backward: all checks passed.
    True
    """
    rng = random_generator(42)
    for n, d, m in [(4, 2, 3), (5, 3, 2), (1, 4, 4)]:
        X, W, upstream = rng.normal(size=(n, d)), rng.normal(size=(d, m)), rng.normal(size=(n, m))
        got = _call_backward(matmul_backward, "matmul_backward", {"X": X, "W": W}, upstream)
        expected = vjp(matmul, X, W)[1](upstream)
        at = text("checkers.implicit.xw_shapes", x=X.shape, w=W.shape)
        _swapped_hint(got, X, W, "dL/dX, dL/dW")
        _expect_gradient("dL/dX", got[0], expected[0], at=at, hint="dL/dX = dL/dY · Wᵀ")
        _expect_gradient("dL/dW", got[1], expected[1], at=at, hint="dL/dW = Xᵀ · dL/dY")
        # The engine could be wrong too: the loss L = sum(upstream * (X @ W)) has exactly these gradients.
        numeric = _numeric_matmul_gradients(X, W, upstream)
        expect_close("dL/dX", got[0], numeric[0], at=at + text("checkers.finite_differences"), rtol=1e-5)
        expect_close("dL/dW", got[1], numeric[1], at=at + text("checkers.finite_differences"), rtol=1e-5)


def _call_backward(backward, title, inputs, upstream):
    """Call a student's two-input backward on copies; its two gradients, or a hint naming their shapes."""
    names = [f"dL/d{name}" for name in inputs]
    shapes = text("checkers.implicit.and").join(
        text("checkers.implicit.like", name=name, shape=value.shape) for name, value in inputs.items()
    )
    got = call(backward, *(value.copy() for value in inputs.values()), upstream.copy(), expected=shapes)
    return expect_tuple(got, names, title)


def _numeric_matmul_gradients(A, B, upstream):
    """Central differences of L = sum(upstream * (A @ B)) with respect to A and to B."""
    return (
        numeric_gradient(lambda v: np.sum(upstream * (v @ B)), A),
        numeric_gradient(lambda v: np.sum(upstream * (A @ v)), B),
    )


def _swapped_hint(got, first, second, names):
    shapes = tuple(np.shape(to_array(g, name)) for g, name in zip(got, names.split(", ")))
    if first.shape != second.shape and shapes == (second.shape, first.shape):
        raise CheckFailed(text("checkers.implicit.wrong_order", names=names))


@checker("linear_backward")
def check_linear_backward(linear_backward):
    """Check ``linear_backward(W, x, upstream)`` for q = W x (column vectors): returns (dL/dW, dL/dx).

    >>> check_linear_backward(lambda W, x, upstream: (np.outer(upstream, x), W.T @ upstream))
    ✓ linear_backward: all checks passed.
    True
    """
    # First the lecture's ||Wx||^2 example, where the upstream dL/dq is 2q.
    cases = [(NORM_W, NORM_X, 2 * NORM_W @ NORM_X)]
    rng = random_generator(43)
    cases += [(rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)) for _ in range(2)]
    for W, x, upstream in cases:
        got = _call_backward(linear_backward, "linear_backward", {"W": W, "x": x}, upstream)
        expected = vjp(matmul, W, x)[1](upstream)
        at = text("checkers.implicit.w_shape_x", w=W.shape, x=format_values(x))
        _swapped_hint(got, W, x, "dL/dW, dL/dx")
        _expect_gradient("dL/dW", got[0], expected[0], at=at, hint=text("checkers.implicit.outer"))
        dx_hint = "dL/dx = Wᵀ dL/dq" if W.shape[0] == W.shape[1] else ""
        if got[1] is not None and np.shape(to_array(got[1], "dL/dx")) == (W.shape[0],) != x.shape:
            raise CheckFailed(text("checkers.implicit.w_not_wt", got=(W.shape[0],), shape=x.shape))
        expect_close("dL/dx", got[1], expected[1], at=at, hint=dx_hint)
        numeric = _numeric_matmul_gradients(W, x, upstream)
        expect_close("dL/dW", got[0], numeric[0], at=at + text("checkers.finite_differences"), rtol=1e-5)
        expect_close("dL/dx", got[1], numeric[1], at=at + text("checkers.finite_differences"), rtol=1e-5)
