"""Custom gates (backpropnb.function): a Function's forward and backward in a graph, as the modular lecture writes them."""

import numpy as np
from helpers import MySigmoid, close

import backpropnb as bp
from backpropnb import Function, tensor


class MulAdd(Function):
    """a * b + c with a None gradient for c (treated as zero)."""

    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        return a * b + c

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved
        return grad_output * b, grad_output * a, None


def test_custom_sigmoid_gate_matches_the_builtin_and_gradcheck():
    x = np.array([-1.5, 0.0, 0.3, 2.0])
    assert bp.gradcheck(lambda t: (MySigmoid.apply(t) ** 2).sum(), x) < 1e-7
    a, b = tensor(x), tensor(x)
    ya, yb = MySigmoid.apply(a), b.sigmoid()
    assert ya.op == "MySigmoid" and ya.parents == (a,)
    close(ya, yb.data)
    ya.backward(np.arange(4.0))
    yb.backward(np.arange(4.0))
    close(a.grad, b.grad, tol=1e-15)


def test_custom_sigmoid_neuron_reproduces_the_lecture():
    w = [tensor(v) for v in (2.0, -3.0, -3.0)]
    x = [tensor(v) for v in (-1.0, -2.0)]
    f = MySigmoid.apply(w[0] * x[0] + w[1] * x[1] + w[2])
    steps = bp.trace_backward(f)
    s = 1 / (1 + np.exp(-1.0))
    close(f, s)
    close(steps[0].local, ((1 - s) * s,))
    close(w[0].grad, -(1 - s) * s)
    close(x[1].grad, -3 * (1 - s) * s)


def test_custom_gate_with_several_inputs_constants_and_none():
    a, b, c = tensor([1.0, 2.0]), tensor([3.0, -1.0]), tensor([0.5, 0.5])
    y = MulAdd.apply(a, b, c)
    assert y.op == "MulAdd"
    y.backward(np.array([1.0, 10.0]))
    close(a.grad, [3.0, -10.0])
    close(b.grad, [1.0, 20.0])
    close(c.grad, [0.0, 0.0])
    z = MulAdd.apply(a, 2.0, 1.0)  # numbers become constants
    assert z.parents[1].requires_grad is False
    a.zero_grad()
    z.sum().backward()
    close(a.grad, [2.0, 2.0])
    assert bp.gradcheck(lambda p, q: MulAdd.apply(p, q, 1.0).sum(), np.array([0.3, 1.2]), np.array([2.0, -1.0])) < 1e-7


def test_custom_gate_inside_a_larger_graph_and_under_no_grad():
    x = tensor([0.2, -0.4])
    y = (MySigmoid.apply(x * 2) * x).sum()
    y.backward()
    s = 1 / (1 + np.exp(-2 * x.data))
    close(x.grad, s + x.data * 2 * (1 - s) * s)
    with bp.no_grad():
        c = MySigmoid.apply(x)
    assert c.requires_grad is False and c.op is None


def test_float32_custom_gate_gradient_stays_float32():
    x = tensor(np.array([0.5, 1.0], np.float32))
    MySigmoid.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
