"""Checkers for exercise 05: Hessian-vector products and double backprop.

Each checker calls the student's function on small fixed examples (the bowl
x² + y² at (1, 1) first) and on seeded random ones, and compares with the
engine's explicit Hessian (``backpropnb.hessian``) and with finite
differences of gradients.

>>> import numpy as np, backpropnb as bp
>>> check_hvp_finite_difference(lambda f, x, v, eps=1e-5: (bp.grad(f)(x + eps * v) - bp.grad(f)(x - eps * v)) / (2 * eps))
✓ hvp_finite_difference: all checks passed.
True
"""

from __future__ import annotations

import numpy as np

from .. import grad, hessian, hvp, tensor
from ..finite_differences import central_difference, numeric_gradient
from ..formatting import format_values
from ..i18n import text
from ..lecture import bowl, rosenbrock, saddle
from ._check import CheckFailed, call, checker, describe, expect_close, random_generator, to_array

__all__ = [
    "check_classify_critical_point",
    "check_gradient_norm_penalty",
    "check_hvp_double_backprop",
    "check_hvp_finite_difference",
    "check_laplacian",
]


# --- the test functions: each takes a Tensor and returns a 0-d Tensor ---------
# The lecture's bowl, saddle and Rosenbrock (whose H depends on the point), and a small layer.

_W = random_generator(50).normal(size=(3, 4))


def tanh_layer(x):
    """sum(tanh(W x)²) for a fixed 3×4 matrix W: a small layer's worth of curvature."""
    return ((_W @ x).tanh() ** 2).sum()


def _cases():
    rng = random_generator(51)
    return [
        (bowl, "x² + y²", np.array([1.0, 1.0]), np.array([1.0, 0.0])),
        (saddle, "x² − y²", np.array([0.5, -1.0]), np.array([1.0, 0.5])),
        (rosenbrock, "Rosenbrock", np.array([-0.5, 1.5]), np.array([0.6, -0.8])),
        (tanh_layer, "sum(tanh(Wx)²)", rng.normal(size=4), rng.normal(size=4)),
    ]


def _hvp_hint(f, x, v, got):
    got = to_array(got, "H·v")
    if got is not None and got.shape == () and x.shape != ():
        return text("checkers.hvp.scalar")
    if got is None or got.shape != x.shape:
        return ""
    g = grad(f)(x)
    H_v = hessian(f)(x) @ v
    if np.allclose(got, g + H_v) and not np.allclose(g, 0):
        return text("checkers.hvp.grad_plus", name="x", result="H·v")
    if np.allclose(got, 0) and not np.allclose(H_v, 0):
        return text("checkers.hvp.zeros", function="f", name="x")
    if np.allclose(got, g):
        return text("checkers.hvp.gradient_itself")
    if np.allclose(got, g * v):
        return text("checkers.hvp.elementwise")
    if np.allclose(got, v):
        return text("checkers.hvp.v_itself")
    return ""


# --- Hessian-vector products -------------------------------------------------


@checker("hvp_double_backprop")
def check_hvp_double_backprop(hvp_double_backprop):
    """Check ``hvp_double_backprop(f, x, v)`` -> H(x) v computed by backpropagating through grad(f)(x) · v.

    >>> check_hvp_double_backprop(lambda f, x, v: hvp(f)(x, v))
    ✓ hvp_double_backprop: all checks passed.
    True
    """
    for f, name, x, v in _cases():
        got = call(hvp_double_backprop, f, x.copy(), v.copy())
        if got is None:
            raise CheckFailed(text("checkers.hvp.none"))
        at = f"f = {name}, x={format_values(x)}, v={format_values(v)}"
        expect_close("H·v", got, hessian(f)(x) @ v, at=at, of="x", hint=_hvp_hint(f, x, v, got))
        numeric = central_difference(grad(f), x, v, eps=1e-5)
        expect_close("H·v", got, numeric, at=at + text("checkers.hvp.of_gradients"), rtol=1e-5)


@checker("hvp_finite_difference")
def check_hvp_finite_difference(hvp_finite_difference):
    """Check ``hvp_finite_difference(f, x, v, eps=1e-5)`` -> (∇f(x + εv) − ∇f(x − εv)) / 2ε.

    >>> check_hvp_finite_difference(lambda f, x, v, eps=1e-5: (grad(f)(x + eps * v) - grad(f)(x - eps * v)) / eps)
    ✗ hvp_finite_difference: ...twice too large: a central difference divides by 2ε).
    False
    """
    for f, name, x, v in _cases():
        at = f"f = {name}, x={format_values(x)}, v={format_values(v)}"
        got = call(hvp_finite_difference, f, x.copy(), v.copy())
        expected = hessian(f)(x) @ v
        hint = _hvp_hint(f, x, v, got)
        doubled = got is not None and np.shape(to_array(got, "H·v")) == x.shape and not np.allclose(expected, 0)
        if not hint and doubled and np.allclose(to_array(got), 2 * expected, rtol=1e-3, atol=1e-5):
            hint = text("checkers.hvp.twice")
        # A finite difference is only accurate to about eps (one-sided) or eps² (central).
        expect_close("H·v", got, expected, at=at, of="x", hint=hint, rtol=1e-3, atol=1e-3)
        # With a large step the formula shows: a central difference has no error of order ε, a one-sided one has.
        eps = 0.05
        got = call(hvp_finite_difference, f, x.copy(), v.copy(), eps=eps)
        central = central_difference(grad(f), x, v, eps)
        one_sided = (grad(f)(x + eps * v) - grad(f)(x)) / eps
        hint = ""
        if np.allclose(to_array(got, "H·v"), one_sided) and not np.allclose(one_sided, central):
            hint = text("checkers.hvp.one_sided")
        elif np.allclose(to_array(got), expected, rtol=1e-3, atol=1e-3) and not np.allclose(central, expected):
            hint = text("checkers.hvp.own_eps")
        expect_close("H·v", got, central, at=at + f", eps={eps}", of="x", hint=hint, rtol=1e-7, atol=1e-9)


# --- curvature ---------------------------------------------------------------

_VERDICTS = ("minimum", "maximum", "saddle")


@checker("classify_critical_point")
def check_classify_critical_point(classify_critical_point):
    """Check ``classify_critical_point(H)`` -> "minimum", "maximum" or "saddle" from the eigenvalues of H.

    >>> def classify(H):
    ...     eigenvalues = np.linalg.eigvalsh(H)
    ...     return "minimum" if all(eigenvalues > 0) else "maximum" if all(eigenvalues < 0) else "saddle"
    >>> check_classify_critical_point(classify)
    ✓ classify_critical_point: all checks passed.
    True
    """
    cases = [
        (2 * np.eye(2), text("checkers.hvp.bowl")),
        (np.diag([2.0, -2.0]), text("checkers.hvp.saddle")),
        (-2 * np.eye(2), text("checkers.hvp.cap")),
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "[[1, 2], [2, 1]]"),
        (np.array([[-1.0, 0.5], [0.5, -3.0]]), "[[-1, 0.5], [0.5, -3]]"),
    ]
    rng = random_generator(52)
    for _ in range(3):
        A = rng.normal(size=(3, 3))
        cases.append((A @ A.T + 0.1 * np.eye(3), text("checkers.hvp.random_definite")))
    for H, name in cases:
        eigenvalues = np.linalg.eigvalsh(H)
        expected = "minimum" if np.all(eigenvalues > 0) else "maximum" if np.all(eigenvalues < 0) else "saddle"
        got = call(classify_critical_point, H.copy())
        if not isinstance(got, str) or got.strip().lower() not in _VERDICTS:
            raise CheckFailed(text("checkers.hvp.verdicts", name=name, got=describe(got)))
        if got.strip().lower() != expected:
            hint = ""
            if np.all(np.diag(H) > 0) and expected == "saddle":
                hint = text("checkers.hvp.diagonal")
            raise CheckFailed(
                text(
                    "checkers.hvp.verdict",
                    name=name,
                    eigenvalues=format_values(eigenvalues),
                    expected=expected,
                    got=got,
                )
                + hint
            )


@checker("laplacian")
def check_laplacian(laplacian):
    """Check ``laplacian(f, x)`` -> trace of the Hessian, as the sum of e_iᵀ H e_i over basis vectors e_i.

    >>> check_laplacian(lambda f, x: sum(hvp(f)(x, e)[i] for i, e in enumerate(np.eye(x.size))))
    ✓ laplacian: all checks passed.
    True
    """
    rng = random_generator(53)
    cases = [(f, name, x) for f, name, x, _ in _cases()]
    cases.append((lambda p: (p**3).sum(), "sum(x³)", rng.normal(size=5)))
    for f, name, x in cases:
        got = to_array(call(laplacian, f, x.copy()), "Laplacian", text("checkers.hvp.one_number"))
        H = hessian(f)(x)
        at = f"f = {name}, x={format_values(x)}"
        if got is not None and got.size != 1:
            raise CheckFailed(text("checkers.hvp.laplacian_shape", shape=got.shape, at=at))
        got = None if got is None else got.reshape(())
        hint = ""
        if got is not None and np.isclose(got, H.sum()) and not np.isclose(H.sum(), np.trace(H)):
            hint = text("checkers.hvp.all_entries")
        expect_close("Laplacian", got, np.trace(H), at=at, hint=hint)
        numeric = _second_difference_trace(f, x)
        expect_close("Laplacian", got, numeric, at=at + text("checkers.finite_differences"), rtol=1e-4, atol=1e-4)


def _second_difference_trace(f, x, h=5e-5):
    """The trace of the Hessian from values of f alone: a central difference of central differences per axis."""

    def value(p):
        return float(to_array(f(tensor(p, requires_grad=False))))

    total = 0.0
    for e in np.eye(x.size):
        total += float(central_difference(lambda p, e=e: central_difference(value, p, e, h), x, e, h))
    return total


# --- double backprop as a regulariser ----------------------------------------


def _penalty_cases():
    rng = random_generator(54)
    x0 = rng.normal(size=3)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    return [
        (lambda w: ((w @ x0).tanh() ** 2).sum(), "sum(tanh(W x)²)", rng.normal(size=(2, 3))),
        (lambda w: ((X @ w - y) ** 2).mean(), "mean((X w − y)²)", rng.normal(size=2)),
    ]


@checker("gradient_norm_penalty")
def check_gradient_norm_penalty(penalty_gradient):
    """Check ``penalty_gradient(loss, w)`` -> the gradient of P(w) = ||∇loss(w)||² with respect to w.

    >>> check_gradient_norm_penalty(lambda loss, w: 2 * hvp(loss)(w, grad(loss)(w)))
    ✓ gradient_norm_penalty: all checks passed.
    True
    """
    for loss, name, w in _penalty_cases():
        got = call(penalty_gradient, loss, w.copy())
        g = grad(loss)(w)
        expected = 2 * hvp(loss)(w, g)
        hint = ""
        if got is not None and np.shape(to_array(got, "dP/dw")) == w.shape:
            if np.allclose(to_array(got), expected / 2):
                hint = text("checkers.hvp.half")
            elif np.allclose(to_array(got), 2 * g):
                hint = text("checkers.hvp.constant")
            elif np.allclose(to_array(got), g + expected) and not np.allclose(g, 0):
                hint = text("checkers.hvp.grad_plus", name="w", result="dP/dw")
            elif np.allclose(to_array(got), 0) and not np.allclose(expected, 0):
                hint = text("checkers.hvp.zeros", function="loss", name="w")
        at = f"loss = {name}"
        expect_close("dP/dw", got, expected, at=at, hint=hint)
        numeric = numeric_gradient(lambda v, loss=loss: np.sum(grad(loss)(v) ** 2), w)
        expect_close("dP/dw", got, numeric, at=at + text("checkers.finite_differences"), rtol=1e-5, atol=1e-6)
