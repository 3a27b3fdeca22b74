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
from ._check import CheckFailed, call, checker, expect_close, finite_difference, fmt, random_generator, to_array

__all__ = ["check_linear_backward", "check_matmul_backward", "check_relu_backward", "check_relu_jacobian"]

RELU_X = np.array([1.0, 3.0, -2.0, 4.0])  # the lecture's input: its Jacobian is diag(1, 1, 0, 1)


def _expect_gradient(label, got, expected, *, at="", hint=""):
    """Like expect_close, but a transposed shape gets its own hint."""
    expected = to_array(expected)
    got_shape = np.shape(to_array(got)) if got is not None else None
    if expected.ndim == 2 and got_shape == expected.shape[::-1] and expected.shape[0] != expected.shape[1]:
        variable = label.split("/d", 1)[1]
        raise CheckFailed(
            f"your {label} has shape {got_shape} but {variable} has shape {expected.shape} "
            f"— did you forget a transpose?"
        )
    expect_close(label, got, expected, at=at, hint=hint)


def _pair(result, names):
    """The two gradients a backward returns, or a hint when it is not a pair."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"return a pair ({names}), e.g. `return dX, dW`; you returned {type(result).__name__}.")
    return result


# --- ReLU -------------------------------------------------------------------


@checker("relu_jacobian")
def check_relu_jacobian(relu_jacobian):
    """Check ``relu_jacobian(x)``: the explicit n×n Jacobian of ReLU at a 1-D ``x``.

    >>> check_relu_jacobian(lambda x: np.diag((x > 0).astype(float)))
    ✓ relu_jacobian: all checks passed.
    True
    """
    rng = random_generator(40)
    for x in [RELU_X, rng.normal(size=6)]:
        got = call(relu_jacobian, x.copy())
        n = x.size
        if got is not None and np.shape(to_array(got)) == (n,):
            raise CheckFailed(
                f"your Jacobian has shape ({n},): that is only its diagonal; "
                f"build the full ({n}, {n}) matrix (np.diag puts a vector on a diagonal)."
            )
        expected = jacobian(relu)(x)
        mirrored = got is not None and np.shape(to_array(got)) == (n, n) and np.allclose(to_array(got), np.diag(x < 0))
        hint = "the slope is 1 where x > 0 and 0 elsewhere" if mirrored else ""
        expect_close("Jacobian", got, expected, at=f"x={fmt(x)}", of="(n, n) with n = x.size", hint=hint)


@checker("relu_backward")
def check_relu_backward(relu_backward):
    """Check ``relu_backward(x, upstream)``: dL/dx without building the Jacobian.

    >>> check_relu_backward(lambda x, upstream: upstream)
    ✗ relu_backward: dL/dx is off at x=[ 1.  3. -2.  4.]: expected [5. 6. 0. 8.], got [5. 6. 7. 8.] (keep the upstream gradient only where x > 0; elsewhere send 0).
    False
    """
    rng = random_generator(41)
    cases = [(RELU_X, np.array([5.0, 6.0, 7.0, 8.0])), (rng.normal(size=7), rng.normal(size=7))]
    cases.append((rng.normal(size=(3, 4)), rng.normal(size=(3, 4))))  # a minibatch: same rule, any shape
    for x, upstream in cases:
        got = call(relu_backward, x.copy(), upstream.copy())
        if got is not None and np.shape(to_array(got)) == (x.size, x.size) and x.ndim == 1:
            raise CheckFailed(
                f"your dL/dx has shape {np.shape(to_array(got))}: that is a Jacobian; "
                f"return the vector upstream * (x > 0) of shape {x.shape} instead."
            )
        expected = vjp(relu, x)[1](upstream)[0]
        _expect_gradient("dL/dx", got, expected, at=f"x={fmt(x)}", hint=_relu_hint(x, upstream, got))
        numeric = finite_difference(lambda v, u=upstream: np.sum(u * np.maximum(v, 0)), x)
        expect_close("dL/dx", got, numeric, at=f"x={fmt(x)} (finite differences)", rtol=1e-5, atol=1e-6)


def _relu_hint(x, upstream, got):
    got = to_array(got)
    if got is None or got.shape != x.shape:
        return ""
    if np.allclose(got, upstream):
        return "keep the upstream gradient only where x > 0; elsewhere send 0"
    if np.allclose(got, (x > 0).astype(float)):
        return "that is the local gradient alone; multiply it by the upstream gradient"
    if np.allclose(got, upstream * np.maximum(x, 0)):
        return "ReLU's local gradient is 1 or 0, not x itself"
    if np.allclose(got, upstream * (x < 0)):
        return "the gradient passes where x > 0, not where x < 0"
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
        got = _pair(call(matmul_backward, X.copy(), W.copy(), upstream.copy()), "dL/dX, dL/dW")
        expected = vjp(matmul, X, W)[1](upstream)
        at = f"X of shape {X.shape}, W of shape {W.shape}"
        _swapped_hint(got, X, W, "dL/dX, dL/dW")
        _expect_gradient("dL/dX", got[0], expected[0], at=at, hint="dL/dX = dL/dY · Wᵀ")
        _expect_gradient("dL/dW", got[1], expected[1], at=at, hint="dL/dW = Xᵀ · dL/dY")
        # The engine could be wrong too: the loss L = sum(upstream * (X @ W)) has exactly these gradients.
        numeric = _numeric_matmul_gradients(X, W, upstream)
        expect_close("dL/dX", got[0], numeric[0], at=at + " (finite differences)", rtol=1e-5)
        expect_close("dL/dW", got[1], numeric[1], at=at + " (finite differences)", rtol=1e-5)


def _numeric_matmul_gradients(A, B, upstream):
    """Central differences of L = sum(upstream * (A @ B)) with respect to A and to B."""
    return (
        finite_difference(lambda v: np.sum(upstream * (v @ B)), A),
        finite_difference(lambda v: np.sum(upstream * (A @ v)), B),
    )


def _swapped_hint(got, first, second, names):
    shapes = tuple(np.shape(to_array(g)) for g in got)
    if first.shape != second.shape and shapes == (second.shape, first.shape):
        raise CheckFailed(f"your two gradients come in the wrong order: return ({names}).")


@checker("linear_backward")
def check_linear_backward(linear_backward):
    """Check ``linear_backward(W, x, upstream)`` for q = W x (column vectors): returns (dL/dW, dL/dx).

    >>> check_linear_backward(lambda W, x, upstream: (np.outer(upstream, x), W.T @ upstream))
    ✓ linear_backward: all checks passed.
    True
    """
    # First the lecture's ||Wx||^2 example, where the upstream dL/dq is 2q.
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x = np.array([0.2, 0.4])
    cases = [(W, x, 2 * W @ x)]
    rng = random_generator(43)
    cases += [(rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)) for _ in range(2)]
    for W, x, upstream in cases:
        got = _pair(call(linear_backward, W.copy(), x.copy(), upstream.copy()), "dL/dW, dL/dx")
        expected = vjp(matmul, W, x)[1](upstream)
        at = f"W of shape {W.shape}, x={fmt(x)}"
        _swapped_hint(got, W, x, "dL/dW, dL/dx")
        _expect_gradient("dL/dW", got[0], expected[0], at=at, hint="dL/dW = dL/dq xᵀ, an outer product")
        dx_hint = "dL/dx = Wᵀ dL/dq" if W.shape[0] == W.shape[1] else ""
        if got[1] is not None and np.shape(to_array(got[1])) == (W.shape[0],) != x.shape:
            raise CheckFailed(
                f"your dL/dx has shape {(W.shape[0],)} but x has shape {x.shape} — did you use W instead of Wᵀ?"
            )
        expect_close("dL/dx", got[1], expected[1], at=at, hint=dx_hint)
        numeric = _numeric_matmul_gradients(W, x, upstream)
        expect_close("dL/dW", got[0], numeric[0], at=at + " (finite differences)", rtol=1e-5)
        expect_close("dL/dx", got[1], numeric[1], at=at + " (finite differences)", rtol=1e-5)
