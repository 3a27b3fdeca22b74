"""Checkers for exercise 03, vector functions: the gradients of ||Wx||² and a Jacobian by hand.

>>> import numpy as np
>>> check_norm_wx_backward(lambda W, x: (2 * (W @ x) @ x.T if x.ndim == 2 else 2 * np.outer(W @ x, x), 2 * W.T @ (W @ x)))
✓ norm_wx_backward: all checks passed.
True
"""

from __future__ import annotations

import numpy as np

from .. import jacobian, stack, tensor
from ..finite_differences import numeric_jacobian
from ..i18n import text
from ..lecture import NORM_W, NORM_X
from ._check import call, checker, expect_close, expect_shape, expect_tuple, random_generator, to_array

__all__ = ["check_norm_wx_backward", "check_square_map_jacobian"]


def _engine_norm_wx(W, x):
    """dW and dx of f = ||W x||² from the engine: the reference answer."""
    Wt, xt = tensor(W), tensor(x)
    ((Wt @ xt) ** 2).sum().backward()
    return Wt.grad, xt.grad


def _cases():
    rng = random_generator(31)
    return [
        (NORM_W, NORM_X),
        (rng.normal(size=(4, 3)), rng.normal(size=3)),
        (rng.normal(size=(2, 3)), rng.normal(size=(3, 1))),  # x as a column vector
    ]


@checker("norm_wx_backward")
def check_norm_wx_backward(norm_wx_backward):
    """Check ``norm_wx_backward(W, x) -> (dL/dW, dL/dx)`` for L = ||W x||² (x of shape (n,) or (n, 1)).

    >>> check_norm_wx_backward(lambda W, x: (W, W.T @ (W @ x)))
    ✗ norm_wx_backward: dL/dW is off at the lecture's W and x: expected [[0.088 0.176] [0.104 0.208]], got [[ 0.1  0.5] [-0.3  0.8]] (dL/dW = 2 q xᵀ with q = W x).
    False
    """
    for index, (W, x) in enumerate(_cases()):
        at = (
            text("checkers.jacobians.lecture_wx")
            if index == 0
            else text("checkers.jacobians.shapes", w=W.shape, x=x.shape)
        )
        result = call(norm_wx_backward, W.copy(), x.copy())
        dW, dx = expect_tuple(result, ["dL/dW", "dL/dx"], "norm_wx_backward")
        expected_dW, expected_dx = _engine_norm_wx(W, x)
        q = W @ x
        q_col, x_col = q.reshape(-1, 1), x.reshape(-1, 1)
        expect_shape("dL/dx", dx, x.shape, of="x")
        expect_shape("dL/dW", dW, W.shape, of="W")
        expect_close(
            "dL/dW",
            dW,
            expected_dW,
            at=at,
            hint="dL/dW = 2 q xᵀ with q = W x",
            mistakes=[((q_col @ x_col.T).reshape(W.shape), text("checkers.jacobians.factor_two"))],
        )
        expect_close(
            "dL/dx",
            dx,
            expected_dx,
            at=at,
            hint="dL/dx = 2 Wᵀ q",
            mistakes=[
                ((W.T @ q).reshape(x.shape), text("checkers.jacobians.factor_two")),
                *(
                    [((2 * W @ q).reshape(x.shape), text("checkers.jacobians.use_wt"))]
                    if W.shape[0] == W.shape[1]
                    else []
                ),
            ],
        )


def _square_map(v):
    """(x, y) -> (x² - y², 2xy): squaring the complex number x + iy."""
    return stack([v[0] ** 2 - v[1] ** 2, 2 * v[0] * v[1]])


def _square_map_numpy(v):
    return np.array([v[0] ** 2 - v[1] ** 2, 2 * v[0] * v[1]])


@checker("square_map_jacobian")
def check_square_map_jacobian(square_map_jacobian):
    """Check ``square_map_jacobian(x, y)``: the 2×2 Jacobian of (x, y) -> (x² - y², 2xy).

    Row i is output i, column j is input j (x first, then y); its determinant is 4(x² + y²).

    >>> check_square_map_jacobian(lambda x, y: np.array([[2 * x, 2 * y], [-2 * y, 2 * x]]))
    ✗ square_map_jacobian: J is off at x=1, y=2: expected [[ 2. -4.] [ 4.  2.]], got [[ 2.  4.] [-4.  2.]] (transposed? Row i holds the derivatives of output i, column j those with respect to input j).
    False
    """
    rng = random_generator(32)
    points = [(1.0, 2.0), (0.5, -0.25)] + [tuple(float(v) for v in rng.normal(size=2)) for _ in range(4)]
    for x, y in points:
        at = f"x={x:.4g}, y={y:.4g}"
        got = call(square_map_jacobian, x, y)
        point = np.array([x, y])
        expected = jacobian(_square_map)(point)
        expect_shape("J", got, (2, 2), of=text("checkers.jacobians.two_by_two"))
        transposed = text("checkers.jacobians.transposed")
        expect_close("J", got, expected, at=at, of="J", mistakes=[(expected.T, transposed)])
        numeric = numeric_jacobian(_square_map_numpy, point)
        expect_close("J", got, numeric, at=at + text("checkers.finite_differences"), of="J", rtol=1e-5, atol=1e-7)
        determinant = float(np.linalg.det(to_array(got, "J")))
        expect_close("det J", determinant, 4 * (x * x + y * y), at=at, of="det J")
