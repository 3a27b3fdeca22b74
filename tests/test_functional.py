"""The functional transforms: grad, vjp, jvp, jacobian, hvp, hessian, gradcheck."""

import numpy as np
import pytest
from helpers import close

import backpropnb as bp
from backpropnb import tensor


def test_grad_argnums_int_and_tuple():
    f = lambda a, b, c: (a * b + c**2).sum()
    a, b, c = np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 4.0])
    close(bp.grad(f)(a, b, c), b)
    close(bp.grad(f, argnums=2)(a, b, c), 2 * c)
    close(bp.grad(f, argnums=-1)(a, b, c), 2 * c)
    ga, gc = bp.grad(f, argnums=(0, 2))(a, b, c)
    close(ga, b)
    close(gc, 2 * c)
    assert isinstance(ga, np.ndarray)


def test_grad_of_python_numbers_returns_arrays():
    g = bp.grad(lambda x: x * x * x)(2.0)
    assert isinstance(g, np.ndarray) and g.shape == ()
    close(g, 12.0)


def test_grad_of_an_unused_argument_is_zero():
    g = bp.grad(lambda a, b: (a * 2).sum(), argnums=1)(np.ones(2), np.ones(3))
    close(g, np.zeros(3))
    close(bp.grad(lambda x: tensor(1.0, requires_grad=False))(np.ones(2)), np.zeros(2))


def test_vjp_returns_the_value_and_one_entry_per_input():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = np.array([0.5, -1.0])
    y, vjp_fn = bp.vjp(lambda W, x: W @ x, W, x)
    close(y, W @ x)
    v = np.array([1.0, 0.0, -2.0])
    dW, dx = vjp_fn(v)
    close(dW, np.outer(v, x))
    close(dx, W.T @ v)
    dW2, dx2 = vjp_fn(2 * v)  # the vjp function can be called again
    close(dx2, 2 * W.T @ v)


def test_jacobian_shapes_and_values():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    J = bp.jacobian(lambda t: t.sum(axis=0))(x)
    assert J.shape == (2, 2, 2)
    close(J, [[[1, 0], [1, 0]], [[0, 1], [0, 1]]])
    J = bp.jacobian(lambda t: (t * t).sum())(x)
    assert J.shape == (2, 2)
    close(J, 2 * x)
    s = bp.softmax(tensor(np.array([0.2, -0.4, 1.0]))).data
    close(bp.jacobian(bp.softmax)(np.array([0.2, -0.4, 1.0])), np.diag(s) - np.outer(s, s))


def test_jacobian_of_an_empty_output_is_empty():
    J = bp.jacobian(lambda t: t[1:])(np.array([1.0]))
    assert J.shape == (0, 1)
    J = bp.jacobian(lambda t: t[1:])(tensor([1.0]))
    assert isinstance(J, bp.Tensor) and J.shape == (0, 1)


def test_jacobian_argnums():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    close(bp.jacobian(lambda a, b: a * b, argnums=1)(a, b), np.diag(a))


def test_hessian_and_hvp_of_a_quadratic_form():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    f = lambda x: (x * (tensor(A, requires_grad=False) @ x)).sum() * 0.5
    x = np.array([0.3, -0.2, 1.0])
    close(bp.hessian(f)(x), A)
    v = np.array([1.0, 2.0, 3.0])
    close(bp.hvp(f)(x, v), A @ v)


def test_hvp_of_tanh_network_against_closed_form():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x: ((tensor(W, requires_grad=False) @ x).tanh() ** 2).sum()
    t = np.tanh(W @ x)
    # f = sum tanh(u)^2 with u = W x: f'' in u is diag(2 (1 - t^2)(1 - 3 t^2))
    H = W.T @ np.diag(2 * (1 - t**2) * (1 - 3 * t**2)) @ W
    close(bp.hessian(f)(x), H)
    close(bp.hvp(f)(x, v), H @ v)


def test_transforms_compose():
    f = lambda x: (x**3).sum()
    x = np.array([1.0, -2.0])
    close(bp.jacobian(bp.grad(f))(x), np.diag(6 * x))
    close(bp.grad(lambda x: bp.grad(f)(x).sum())(x), 6 * x)
    scalar = lambda x: x**4
    close(bp.grad(bp.grad(bp.grad(scalar)))(1.5), 24 * 1.5)
    # hvp on Tensors gives a Tensor that can be differentiated once more
    xt = tensor(x)
    hv = bp.hvp(f)(xt, np.array([1.0, 1.0]))
    assert isinstance(hv, bp.Tensor)
    close(hv, 6 * x)
    hv.sum().backward()
    close(xt.grad, [6.0, 6.0])


def test_hvp_with_a_tensor_direction_is_differentiable_in_it():
    f = lambda x: (x**3).sum()
    v = tensor([1.0, 2.0])
    hv = bp.hvp(f)(np.array([1.0, 3.0]), v)
    assert isinstance(hv, bp.Tensor)
    close(hv, [6.0, 36.0])
    hv.sum().backward()
    close(v.grad, [6.0, 18.0])


def test_jvp_multiplies_the_jacobian_from_the_right():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 4))
    f = lambda x: (tensor(W, requires_grad=False) @ x).tanh()
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    y, y_dot = bp.jvp(f, (x,), (v,))
    close(y, np.tanh(W @ x))
    close(y_dot, (1 - np.tanh(W @ x) ** 2) * (W @ v))
    close(y_dot, bp.jacobian(f)(x) @ v)
    # several arguments: the tangents' effects add up
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    _, y_dot = bp.jvp(lambda a, b: a * b, (a, b), (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    close(y_dot, [3.0, 2.0])
    # a function that ignores its input does not move
    _, y_dot = bp.jvp(lambda x: tensor(2.0) * 3, (1.0,), (1.0,))
    close(y_dot, 0.0)


def test_jvp_keeps_float32_and_numbers_become_float64():
    x = np.array([1.0, 2.0], np.float32)
    y, y_dot = bp.jvp(lambda t: t * t, (x,), (np.ones(2),))
    assert y.dtype == y_dot.dtype == np.float32
    y, y_dot = bp.jvp(lambda t: t**3, (2,), (1,))
    assert y_dot.dtype == np.float64 and float(y_dot) == 12.0


def test_jvp_of_tensors_is_differentiable_and_nests():
    f = lambda x: (x**3).sum()
    x = tensor([1.0, -2.0])
    v = tensor([1.0, 1.0], requires_grad=False)
    y, y_dot = bp.jvp(f, (x,), (v,))  # sum 3 x² v
    assert isinstance(y_dot, bp.Tensor)
    close(y_dot, 15.0)
    y_dot.backward()
    close(x.grad, [6.0, -12.0])  # d/dx of sum 3 x² v = 6 x v
    # forward over forward: u^T H v
    u = np.array([2.0, 0.5])
    inner = lambda z: bp.jvp(f, (z,), (v,))[1]
    _, second = bp.jvp(inner, (np.array([1.0, -2.0]),), (u,))
    close(second, u @ np.diag(6 * np.array([1.0, -2.0])) @ v.data)


def test_hvp_is_jvp_of_grad_and_zero_where_the_gradient_does_not_move():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((3, 3))
    f = lambda x: ((tensor(A, requires_grad=False) @ x).sigmoid() ** 2).sum()
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    close(bp.hvp(f)(x, v), bp.jvp(bp.grad(f), (tensor(x),), (v,))[1])
    close(bp.hvp(f)(x, v), bp.hessian(f)(x) @ v)
    close(bp.hvp(lambda x: (x * 2.0).sum())(x, v), np.zeros(3))  # linear: H = 0
    close(bp.hvp(lambda x: tensor(1.0) * 1)(x, v), np.zeros(3))  # constant


def test_hvp_three_ways_reverse_over_forward_forward_over_reverse_reverse_over_reverse():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    f = lambda x: ((tensor(A, requires_grad=False) @ x).tanh() ** 2).sum() + (x**3).sum()
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    reverse_over_reverse = bp.grad(lambda z: (bp.grad(f)(z) * v).sum())(x)
    close(bp.hvp(f)(x, v), reverse_over_reverse)  # the gradient of the jvp
    _, forward_over_reverse = bp.jvp(bp.grad(f), (x,), (v,))  # the jvp of the gradient
    close(forward_over_reverse, reverse_over_reverse)
    _, forward_over_reverse = bp.jvp(bp.grad(f), (tensor(x),), (v,))
    close(forward_over_reverse, reverse_over_reverse)


def test_a_first_order_backward_inside_forward_mode_pushes_tangents():
    """A backward pass run while a forward-mode trace is active (engine._jvp_trace is set) must run its rules as
    engine ops, so that each pushes a tangent: the gradient's tangent is then H v."""
    from backpropnb import engine

    x0, v0 = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    x, v = tensor(x0), tensor(v0, requires_grad=False)
    with engine.forward_trace() as trace:
        trace.attach(x, v)
        y = (x * x * x).sum() + x.tanh().sum()  # x feeds two ops: its gradients are summed
        gradient = engine.backprop(y)[id(x)][1]  # create_graph=False
        hv = trace.tangent(gradient)
    t = np.tanh(x0)
    close(gradient, 3 * x0**2 + 1 - t**2)
    close(hv, (6 * x0 - 2 * t * (1 - t**2)) * v0)
    assert engine._jvp_trace is None


def test_gradcheck_reports_the_worst_relative_error():
    x = np.array([0.3, -1.2, 2.0])
    assert bp.gradcheck(lambda t: (t.tanh() * t.exp()).sum(), x) < 1e-7
    assert bp.gradcheck(lambda a, b: (a * b).sum(), x, x[::-1].copy()) < 1e-7

    class Wrong(bp.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output  # forgot the 2 x

    error = bp.gradcheck(lambda t: Wrong.apply(t).sum(), np.array([2.0]))
    close(error, 0.75, tol=1e-6)  # |1 - 4| / 4


def test_functional_transforms_leave_tensor_grads_alone():
    x = tensor([1.0, 2.0])
    g = bp.grad(lambda t: (t * t).sum())(x)
    close(g, [2.0, 4.0])
    assert x.grad is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transforms_keep_the_dtype(dtype):
    x = np.array([0.5, 1.5], dtype=dtype)
    f = lambda t: (t.sigmoid() ** 2).sum()
    assert bp.grad(f)(x).dtype == dtype
    assert bp.jacobian(bp.sigmoid)(x).dtype == dtype
    assert bp.hessian(f)(x).dtype == dtype


def test_hvp_where_a_summed_gradient_is_passed_on_by_an_add_gate():
    """A node used twice gets a sum of gradients; an add gate then hands that same sum to both of its inputs,
    which get more gradients of their own: none of them may change the others' numbers."""

    def f(x):
        p = x**2
        c = p * 2.0
        q = x.tanh()
        n = q + (p + c)  # n is used twice: its gradient is a sum, handed on unchanged to q, p + c, p and c
        return (n * n).sum() + n.sum()  # c then sends p more: p's sum must not be the one q still reads

    x, v = np.array([0.3, -0.7, 1.1]), np.array([1.0, -2.0, 0.5])
    double_backprop = bp.grad(lambda z: (bp.grad(f)(z) * v).sum())(x)
    close(bp.hvp(f)(x, v), double_backprop)
    close(bp.hvp(f)(x, v), bp.hessian(f)(x) @ v)
    # a flat vector read in slices: each slice's gradient is scattered back and the sums add up in place
    g = lambda z: (z[:2] ** 3).sum() + (z[1:] * z[:2]).sum() + (z[::2].tanh() ** 2).sum() + (z**2).sum()
    close(bp.hvp(g)(x, v), bp.hessian(g)(x) @ v)


def test_forward_and_reverse_mode_nest_to_third_derivatives():
    f = lambda x: (x**4).sum()  # the third derivative contracted with u and v: 24 x u v
    x, v, u = np.array([1.0, 2.0]), np.array([1.0, -1.0]), np.array([0.5, 2.0])
    close(bp.jvp(lambda z: bp.hvp(f)(z, v), (x,), (u,))[1], 24 * x * u * v)
    u_t = tensor(u, requires_grad=False)
    close(bp.hvp(lambda z: bp.jvp(f, (z,), (u_t,))[1])(x, v), 24 * x * u * v)
