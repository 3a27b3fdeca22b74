"""The checkers of exercises 04 (implicit Jacobians) and 05 (Hessian-vector products).

A right answer passes, an unfilled cell says "not implemented yet", and each
typical mistake gets its specific hint.
"""

import numpy as np
import pytest

import backpropnb as bp
from backpropnb import lecture
from backpropnb.exercises import hvp as hvp_checks
from backpropnb.exercises import implicit as implicit_checks


def stub(*args, **kwargs):
    raise NotImplementedError("fill me in")


# --- right answers ------------------------------------------------------------


def relu_jacobian(x):
    return np.diag((x > 0).astype(float))


def relu_backward(x, upstream):
    return upstream * (x > 0)


def matmul_backward(X, W, upstream):
    return upstream @ W.T, X.T @ upstream


def linear_backward(W, x, upstream):
    return np.outer(upstream, x), W.T @ upstream


def hvp_double_backprop(f, x, v):
    x = bp.tensor(x)
    g = bp.grad(f)(x)  # a Tensor: the first backward was recorded
    (g * v).sum().backward()
    return x.grad


def hvp_finite_difference(f, x, v, eps=1e-5):
    return (bp.grad(f)(x + eps * v) - bp.grad(f)(x - eps * v)) / (2 * eps)


def classify_critical_point(H):
    eigenvalues = np.linalg.eigvalsh(H)
    if np.all(eigenvalues > 0):
        return "minimum"
    return "maximum" if np.all(eigenvalues < 0) else "saddle"


def laplacian(f, x):
    return sum(hvp_double_backprop(f, x, e)[i] for i, e in enumerate(np.eye(x.size)))


def gradient_norm_penalty(loss, w):
    w = bp.tensor(w)
    g = bp.grad(loss)(w)
    (g**2).sum().backward()
    return w.grad


RIGHT = [
    (implicit_checks.check_relu_jacobian, relu_jacobian, "relu_jacobian"),
    (implicit_checks.check_relu_backward, relu_backward, "relu_backward"),
    (implicit_checks.check_matmul_backward, matmul_backward, "matmul_backward"),
    (implicit_checks.check_linear_backward, linear_backward, "linear_backward"),
    (hvp_checks.check_hvp_double_backprop, hvp_double_backprop, "hvp_double_backprop"),
    (hvp_checks.check_hvp_finite_difference, hvp_finite_difference, "hvp_finite_difference"),
    (hvp_checks.check_classify_critical_point, classify_critical_point, "classify_critical_point"),
    (hvp_checks.check_laplacian, laplacian, "laplacian"),
    (hvp_checks.check_gradient_norm_penalty, gradient_norm_penalty, "gradient_norm_penalty"),
]


@pytest.mark.parametrize(("check", "answer", "title"), RIGHT, ids=[r[2] for r in RIGHT])
def test_a_right_answer_passes(check, answer, title, capsys):
    assert check(answer) is True
    assert capsys.readouterr().out == f"✓ {title}: all checks passed.\n"


@pytest.mark.parametrize(("check", "answer", "title"), RIGHT, ids=[r[2] for r in RIGHT])
def test_an_unfilled_cell_says_not_implemented_yet(check, answer, title, capsys):
    assert check(stub) is False
    assert capsys.readouterr().err.startswith(f"{title}: not implemented yet")


@pytest.mark.parametrize(("check", "answer", "title"), RIGHT, ids=[r[2] for r in RIGHT])
def test_quiet_prints_nothing(check, answer, title, capsys):
    assert check(answer, quiet=True) is True
    assert check(stub, quiet=True) is False
    assert capsys.readouterr() == ("", "")


def test_the_solutions_reproduce_the_lecture_numbers():
    x = lecture.RELU_X
    assert np.array_equal(relu_jacobian(x), np.diag([1.0, 1.0, 0.0, 1.0]))
    assert np.array_equal(relu_backward(x, np.array([5.0, 6.0, 7.0, 8.0])), [5.0, 6.0, 0.0, 8.0])
    W, v = lecture.NORM_W, lecture.NORM_X
    dW, dx = linear_backward(W, v, 2 * W @ v)
    np.testing.assert_allclose(dW, [[0.088, 0.176], [0.104, 0.208]], atol=1e-12)
    np.testing.assert_allclose(dx, [-0.112, 0.636], atol=1e-12)
    bowl = hvp_checks.bowl
    np.testing.assert_allclose(hvp_double_backprop(bowl, np.array([1.0, 1.0]), np.array([1.0, 0.0])), [2.0, 0.0])
    assert classify_critical_point(bp.hessian(bowl)(np.array([1.0, 1.0]))) == "minimum"
    assert laplacian(bowl, np.array([1.0, 1.0])) == pytest.approx(4.0, abs=1e-12)


# --- typical mistakes get specific hints -----------------------------------------

MISTAKES = [
    (implicit_checks.check_relu_jacobian, lambda x: (x > 0).astype(float), "that is only its diagonal"),
    (implicit_checks.check_relu_backward, lambda x, u: u, "keep the upstream gradient only where x > 0"),
    (implicit_checks.check_relu_backward, lambda x, u: (x > 0) * 1.0, "multiply it by the upstream gradient"),
    (implicit_checks.check_relu_backward, lambda x, u: u * np.maximum(x, 0), "1 or 0, not x itself"),
    (implicit_checks.check_relu_backward, lambda x, u: np.diag(u * (x > 0)), "that is a Jacobian"),
    (
        implicit_checks.check_matmul_backward,
        lambda X, W, u: (u @ W.T, u.T @ X),
        "your dL/dW has shape (3, 2) but W has shape (2, 3) — did you forget a transpose?",
    ),
    (implicit_checks.check_matmul_backward, lambda X, W, u: (X.T @ u, u @ W.T), "wrong order"),
    (
        implicit_checks.check_matmul_backward,
        lambda X, W, u: u @ W.T,
        "should return two values (dL/dX, dL/dW), e.g. `return dX, dW`",
    ),
    (implicit_checks.check_linear_backward, lambda W, x, u: (np.outer(x, u), W.T @ u), "expected [[0.088 0.176]"),
    (implicit_checks.check_linear_backward, lambda W, x, u: (np.outer(u, x), W @ x), "dL/dx = Wᵀ dL/dq"),
    (hvp_checks.check_hvp_double_backprop, lambda f, x, v: bp.grad(f)(x), "that is the gradient itself"),
    (hvp_checks.check_hvp_double_backprop, lambda f, x, v: bp.grad(f)(x) * v, "grad * v element by element"),
    (
        hvp_checks.check_hvp_finite_difference,
        lambda f, x, v, eps=1e-5: (bp.grad(f)(x + eps * v) - bp.grad(f)(x - eps * v)) / eps,
        "twice too large",
    ),
    (
        hvp_checks.check_classify_critical_point,
        lambda H: "minimum" if np.all(np.diag(H) > 0) else "maximum" if np.all(np.diag(H) < 0) else "saddle",
        "look at the eigenvalues",
    ),
    (hvp_checks.check_classify_critical_point, lambda H: 1, 'return one of "minimum", "maximum", "saddle"'),
    (hvp_checks.check_laplacian, lambda f, x: bp.hessian(f)(x).sum(), "the sum of all entries of H"),
    (hvp_checks.check_laplacian, lambda f, x: np.diag(bp.hessian(f)(x)), "it is one number"),
    (
        hvp_checks.check_gradient_norm_penalty,
        lambda loss, w: bp.hvp(loss)(w, bp.grad(loss)(w)),
        "the derivative of ||g||² is 2·H·g",
    ),
    (hvp_checks.check_gradient_norm_penalty, lambda loss, w: 2 * bp.grad(loss)(w), "treats the gradient as a constant"),
]


def hvp_without_create_graph(f, x, v):
    x = bp.tensor(x)
    f(x).backward()  # forgot create_graph=True: x.grad is a plain numpy array
    (x.grad * v).sum().backward()
    return x.grad


def hvp_of_a_numpy_gradient(f, x, v):
    return (bp.grad(f)(x) * v).sum()  # a numpy gradient: the scalar grad · v, never differentiated


def hvp_of_a_fresh_gradient_tensor(f, x, v):
    x = bp.tensor(x)
    g = bp.tensor(bp.grad(f)(x.data))  # the gradient as plain numbers, made a Tensor again: no graph back to x
    (g * v).sum().backward()
    return x.grad  # None: nothing reached x


def hvp_without_clearing_the_gradient(f, x, v):
    x = bp.tensor(x)
    f(x).backward(create_graph=True)
    (x.grad * v).sum().backward()  # adds H·v to the first gradient still in x.grad
    return x.grad


def hvp_with_a_constant_gradient(f, x, v):
    x = bp.tensor(x)
    g = bp.tensor(bp.grad(f)(x.data))  # a fresh leaf: no graph back to x
    (g * v).sum().backward()
    return np.zeros_like(x.data) if x.grad is None else x.grad


def penalty_without_clearing_the_gradient(loss, w):
    w = bp.tensor(w)
    loss(w).backward(create_graph=True)
    (w.grad**2).sum().backward()
    return w.grad


# Issue 9: the classic mistakes that used to pass or crash.
MISTAKES += [
    (hvp_checks.check_hvp_double_backprop, hvp_without_create_graph, "create_graph=True"),
    (hvp_checks.check_hvp_double_backprop, hvp_of_a_numpy_gradient, "create_graph=True"),
    (hvp_checks.check_hvp_double_backprop, hvp_of_a_fresh_gradient_tensor, "nothing flowed back to x"),
    (hvp_checks.check_hvp_double_backprop, hvp_of_a_fresh_gradient_tensor, "create_graph=True (f(x).backward"),
    (hvp_checks.check_hvp_double_backprop, hvp_with_a_constant_gradient, "create_graph=True"),
    (hvp_checks.check_hvp_double_backprop, hvp_without_clearing_the_gradient, "set x.grad = None"),
    (hvp_checks.check_gradient_norm_penalty, penalty_without_clearing_the_gradient, "set w.grad = None"),
    (implicit_checks.check_relu_jacobian, lambda x: np.diag(x >= 0), "at x = 0 the slope is 0"),
    (implicit_checks.check_relu_jacobian, lambda x: np.diag((x >= 0).astype(float)), "use x > 0, not x >= 0"),
    (implicit_checks.check_relu_backward, lambda x, u: u * (x >= 0), "use x > 0, not x >= 0"),
    (
        implicit_checks.check_matmul_backward,
        lambda X, W, u: (u @ W, X.T @ u),  # u @ W does not line up: numpy raises inside the student's code
        "(@) do not line up; write each factor's shape next to it. Expected: dL/dX of shape (4, 2) (like X)",
    ),
    (
        hvp_checks.check_hvp_finite_difference,
        lambda f, x, v, eps=1e-5: (bp.grad(f)(x + eps * v) - bp.grad(f)(x)) / eps,
        "that is a one-sided difference",
    ),
    (
        hvp_checks.check_hvp_finite_difference,
        lambda f, x, v, eps=1e-5: (bp.grad(f)(x + 1e-5 * v) - bp.grad(f)(x - 1e-5 * v)) / 2e-5,
        "use the eps argument",
    ),
    (implicit_checks.check_matmul_backward, lambda X, W, u: ("dX", "dW"), "your dL/dX is of type str ('dX')"),
]


@pytest.mark.parametrize(("check", "answer", "hint"), MISTAKES, ids=[m[2][:40] for m in MISTAKES])
def test_a_typical_mistake_gets_its_hint(check, answer, hint, capsys):
    assert check(answer) is False
    out = capsys.readouterr().err
    assert out.startswith("✗ ")
    assert hint in out


def test_a_mistake_without_a_known_pattern_still_fails_with_the_numbers(capsys):
    assert implicit_checks.check_relu_backward(lambda x, u: -u * (x > 0)) is False
    assert "dL/dx is off" in capsys.readouterr().err
