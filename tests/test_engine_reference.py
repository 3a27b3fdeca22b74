"""The lecture's reference numbers (sections 1-5), reproduced by the engine from the inputs in backpropnb.lecture."""

import math
from functools import partial

import helpers
import numpy as np
import pytest

import backpropnb as bp
from backpropnb import lecture, tensor

EXACT = 1e-12


close = partial(helpers.close, tol=EXACT, rtol=0)  # absolute: the lecture numbers to ``tol``


def count_nodes(root):
    """Every distinct node reachable from ``root`` through ``.parents`` (leaves and constants too)."""
    seen, stack = {id(root)}, [root]
    while stack:
        for parent in stack.pop().parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


# --- 1. f = (x + y) z --------------------------------------------------------


@pytest.mark.parametrize(
    ("x0", "y0", "z0", "q0", "f0", "dx", "dy", "dz"),
    [(-2.0, 5.0, -4.0, 3.0, -12.0, -4.0, -4.0, 3.0), (-2.0, 3.0, 5.0, 1.0, 5.0, 5.0, 5.0, 1.0)],
    ids=["lecture", "other-seed"],
)
def test_f_equals_x_plus_y_times_z(x0, y0, z0, q0, f0, dx, dy, dz):
    x, y, z = tensor(x0, name="x"), tensor(y0, name="y"), tensor(z0, name="z")
    q = x + y
    f = q * z
    f.backward()
    close(q, q0)
    close(f, f0)
    close(x.grad, dx)
    close(y.grad, dy)
    close(z.grad, dz)
    close(q.grad, z0)  # df/dq = z: backward fills intermediates too
    close(f.grad, 1.0)
    assert (f.op, q.op, x.op) == ("mul", "add", None)
    assert f.parents == (q, z) and q.parents == (x, y) and x.parents == ()


def test_trace_backward_steps_of_f():
    x, y, z = tensor(-2.0, name="x"), tensor(5.0, name="y"), tensor(-4.0, name="z")
    q = x + y
    f = q * z
    steps = bp.trace_backward(f)
    assert [s.node for s in steps] == [f, q]
    mul, add = steps
    close(mul.upstream, 1.0)
    close(mul.local, (-4.0, 3.0))  # d(q z)/dq = z, d(q z)/dz = q
    close(mul.downstream, (-4.0, 3.0))
    close(add.upstream, -4.0)
    close(add.local, (1.0, 1.0))
    close(add.downstream, (-4.0, -4.0))
    for step in steps:
        assert isinstance(step.upstream, np.ndarray)
        assert all(isinstance(d, np.ndarray) for d in step.downstream)
    # it ran backward exactly like f.backward()
    close(x.grad, -4.0)
    close(y.grad, -4.0)
    close(z.grad, 3.0)


def test_trace_backward_marks_constant_parents_and_non_scalar_nodes():
    x = tensor([1.0, 2.0], name="x")
    y = (x * 3.0).sum()
    steps = bp.trace_backward(y)
    assert [s.node.op for s in steps] == ["sum", "mul"]
    close(steps[0].local[0], [1.0, 1.0])  # a 0-d sum's local partials: one per input element
    mul = steps[1]
    assert mul.local is None  # only 0-d nodes carry local partials
    assert mul.downstream[1] is None  # the constant 3.0 receives nothing
    close(mul.downstream[0], [3.0, 3.0])
    close(x.grad, [3.0, 3.0])


def test_trace_backward_accumulates_like_backward_and_takes_a_seed():
    x = tensor([1.0, -2.0])
    y = x * x
    bp.trace_backward(y, np.array([1.0, 1.0]), retain_graph=True)
    steps = bp.trace_backward(y, np.array([0.5, 2.0]))
    close(steps[0].upstream, [0.5, 2.0])
    close(x.grad, [2.0 * 1 + 1.0, -4.0 + -8.0])
    with pytest.raises(ValueError, match="already backpropagated"):
        bp.trace_backward(y, np.array([1.0, 1.0]))
    close(x.grad, [3.0, -12.0])  # the refused pass wrote nothing


# --- the four gate patterns ------------------------------------------------


def test_add_gate_distributes():
    a, b = tensor(1.5), tensor(-0.5)
    (a + b).backward(2.0)
    close(a.grad, 2.0)
    close(b.grad, 2.0)


def test_copy_gate_adds():
    x = tensor(0.7, name="x")
    # x fans out into two branches whose upstream gradients are 2 and 4
    f = 2.0 * x + 4.0 * x
    f.backward()
    close(x.grad, 6.0)
    steps = bp.trace_backward(2.0 * x + 4.0 * x)
    sent_to_x = [s.downstream[1] for s in steps if s.node.op == "mul"]
    close(sorted(float(d) for d in sent_to_x), [2.0, 4.0])


def test_mul_gate_swaps():
    a, b = tensor(2.0), tensor(3.0)
    (a * b).backward(5.0)
    close(a.grad, 15.0)
    close(b.grad, 10.0)


@pytest.mark.parametrize(("a0", "b0", "da", "db"), [(4.0, 1.0, 2.0, 0.0), (1.0, 4.0, 0.0, 2.0), (3.0, 3.0, 2.0, 0.0)])
def test_max_gate_routes_and_a_tie_goes_to_the_first_input(a0, b0, da, db):
    a, b = tensor(a0), tensor(b0)
    m = bp.maximum(a, b)
    assert m.op == "max"
    m.backward(2.0)
    close(m, max(a0, b0))
    close(a.grad, da)
    close(b.grad, db)


def test_max_gate_elementwise_with_ties_and_broadcasting():
    a = tensor([1.0, 5.0, 2.0])
    b = tensor(2.0)
    bp.maximum(a, b).backward(np.array([10.0, 20.0, 30.0]))
    close(a.grad, [0.0, 20.0, 30.0])  # the tie at 2.0 goes to a
    close(b.grad, 10.0)


def test_relu_gradient_at_zero_is_zero():
    x = tensor([-1.0, 0.0, 2.0])
    x.relu().sum().backward()
    close(x.grad, [0.0, 0.0, 1.0])


# --- the sigmoid neuron: primitive gates and the fused node ------------------

W0, X0 = lecture.NEURON_W, lecture.NEURON_X  # [2, -3, -3], [-1, -2]
S1 = 1 / (1 + math.exp(-1.0))
LOCAL = (1 - S1) * S1
EXPECTED = {"w0": -LOCAL, "x0": 2 * LOCAL, "w1": -2 * LOCAL, "x1": -3 * LOCAL, "w2": LOCAL}
ROUNDED = {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}


def neuron_inputs():
    w = [tensor(v, name=f"w{i}") for i, v in enumerate(W0)]
    x = [tensor(v, name=f"x{i}") for i, v in enumerate(X0)]
    return w, x


def primitive_neuron(w, x):
    """s(w0 x0 + w1 x1 + w2) with the gates *, +, *-1, exp, +1, 1/x."""
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    return 1.0 / (bp.exp(-dot) + 1.0)


def fused_neuron(w, x):
    return (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()


@pytest.mark.parametrize("build", [primitive_neuron, fused_neuron], ids=["primitive", "fused"])
def test_sigmoid_neuron(build):
    w, x = neuron_inputs()
    f = build(w, x)
    f.backward()
    close(f, S1)
    assert round(f.detach().item(), 4) == 0.7311
    assert round(LOCAL, 4) == 0.1966
    grads = {t.name: float(t.grad) for t in (*w, *x)}
    for name, value in EXPECTED.items():
        close(grads[name], value)
        assert round(grads[name], 4) == ROUNDED[name]


def test_sigmoid_neuron_primitive_graph_uses_the_lecture_gates():
    w, x = neuron_inputs()
    f = primitive_neuron(w, x)
    ops = []
    stack = [f]
    while stack:
        node = stack.pop()
        if node.op:
            ops.append(node.op)
        stack.extend(node.parents)
    assert sorted(ops) == sorted(["div", "add", "exp", "neg", "add", "add", "mul", "mul"])


def test_fused_sigmoid_node_has_the_same_gradients_with_fewer_nodes():
    w1, x1 = neuron_inputs()
    primitive = primitive_neuron(w1, x1)
    w2, x2 = neuron_inputs()
    fused = fused_neuron(w2, x2)
    primitive.backward()
    fused.backward()
    for a, b in zip((*w1, *x1), (*w2, *x2)):
        close(a.grad, b.grad, tol=1e-15)
    assert fused.op == "sigmoid"
    # 5 leaves + 2 mul + 2 add + sigmoid = 10; the primitive version adds neg, exp, +1, 1/x and two constants
    assert count_nodes(fused) == 10
    assert count_nodes(primitive) == 15
    steps = bp.backward_steps(fused)  # a replay: fused was already backpropagated
    close(steps[0].local, (LOCAL,))  # the fused node's local gradient (1 - s) s


# --- 3. ||W x||^2 -------------------------------------------------------------


def test_norm_of_w_times_x():
    W = tensor(lecture.NORM_W, name="W")
    x = tensor(lecture.NORM_X, name="x")
    q = W @ x
    f = (q**2).sum()
    f.backward()
    close(q, [0.22, 0.26])
    close(f, 0.116)
    close(q.grad, [0.44, 0.52])
    close(W.grad, [[0.088, 0.176], [0.104, 0.208]])
    close(x.grad, [-0.112, 0.636])
    assert W.grad.shape == W.shape and x.grad.shape == x.shape


def test_norm_of_w_times_x_with_the_functional_api():
    W, x = lecture.NORM_W, lecture.NORM_X
    f = lambda W, x: ((W @ x) ** 2).sum()
    dW, dx = bp.grad(f, argnums=(0, 1))(W, x)
    close(dW, [[0.088, 0.176], [0.104, 0.208]])
    close(dx, [-0.112, 0.636])
    close(bp.jacobian(lambda x: W @ x)(x), W)  # the Jacobian of q = W x is W


# --- 4. implicit Jacobians: ReLU and matmul -------------------------------------


def test_relu_jacobian_is_diagonal():
    J = bp.jacobian(bp.relu)(lecture.RELU_X)
    assert isinstance(J, np.ndarray)
    close(J, np.diag([1.0, 1.0, 0.0, 1.0]))
    x = tensor(lecture.RELU_X)
    upstream = np.array([0.5, -1.0, 7.0, 2.0])
    x.relu().backward(upstream)
    close(x.grad, upstream @ J)  # the implicit product equals upstream^T J


def test_matmul_rules_in_both_conventions():
    rng = np.random.default_rng(0)
    X, W, G = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    Xt, Wt = tensor(X), tensor(W)
    (Xt @ Wt).backward(G)
    close(Xt.grad, G @ W.T)
    close(Wt.grad, X.T @ G)
    x, M, g = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(2)
    xt, Mt = tensor(x), tensor(M)
    (Mt @ xt).backward(g)
    close(xt.grad, M.T @ g)
    close(Mt.grad, np.outer(g, x))


def test_jacobian_memory_numbers():
    entries = (4096 * 100) ** 2
    assert entries == 167_772_160_000
    assert round(entries * 4 / 1e9) == 671
    assert round(entries * 8 / 1e12, 2) == 1.34


# --- 5. Hessian-vector products -------------------------------------------------


def bowl(v):
    return (v**2).sum()


def test_bowl_gradient_and_hessian():
    point = np.array([1.0, 1.0])
    close(bp.grad(bowl)(point), [2.0, 2.0])
    H = bp.hessian(bowl)(point)
    close(H, 2 * np.eye(2))
    close(bp.hvp(bowl)(point, np.array([0.3, -1.5])), [0.6, -3.0])
    eigenvalues = np.linalg.eigvalsh(H)
    assert np.all(eigenvalues > 0)  # a minimum


def test_two_variable_bowl_and_a_saddle():
    f = lambda x, y: x**2 + y**2
    gx, gy = bp.grad(f, argnums=(0, 1))(1.0, 1.0)
    close((gx, gy), (2.0, 2.0))
    saddle = lambda v: v[0] ** 2 - v[1] ** 2
    H = bp.hessian(saddle)(np.array([0.0, 0.0]))
    close(H, np.diag([2.0, -2.0]))
    assert np.prod(np.sign(np.linalg.eigvalsh(H))) < 0
    laplacian = np.trace(bp.hessian(bowl)(np.array([0.3, -0.4, 2.0])))
    close(laplacian, 6.0)
