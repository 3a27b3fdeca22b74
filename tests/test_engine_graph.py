"""Engine behaviour: long chains, accumulation, higher order, dtypes and no_grad (custom gates: test_function.py)."""

import sys

import numpy as np
import pytest
from helpers import close

import backpropnb as bp
from backpropnb import tensor


@pytest.fixture
def default_recursion_limit():
    """Run with Python's default recursion limit, whatever an earlier test or plugin set."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(previous)


# --- the iterative traversal ------------------------------------------------------


def test_a_chain_of_100000_ops_backpropagates(default_recursion_limit):
    x = tensor(1.0, name="x")
    y = x
    for i in range(100_000):
        y = y * 1.00001 if i % 2 else y + 0.5
    assert sys.getrecursionlimit() == 1000
    y.backward()
    close(x.grad, 1.00001**50_000, tol=1e-9)
    assert y.grad is not None and float(y.grad) == 1.0
    del y  # freeing a long chain must not overflow the C stack either


def test_a_long_chain_of_array_ops_also_backpropagates(default_recursion_limit):
    x = tensor(np.ones(3))
    y = x
    for _ in range(6_000):  # 24,000 array ops, x feeding every step
        y = y.tanh() * 0.5 + x * 0.0
    y.sum().backward()
    assert x.grad.shape == (3,) and np.all(np.isfinite(x.grad))


# --- accumulation and the copy gate --------------------------------------------


def test_gradients_accumulate_across_backward_calls_until_zero_grad():
    x = tensor([1.0, 2.0])
    (x * 3.0).sum().backward()
    close(x.grad, [3.0, 3.0])
    (x * x).sum().backward()
    close(x.grad, [3.0 + 2.0, 3.0 + 4.0])
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    close(x.grad, [2.0, 4.0])


def test_backward_twice_through_one_graph_needs_retain_graph():
    x = tensor(2.0)
    q = x * x
    f = q * 3.0
    f.backward(retain_graph=True)
    f.backward()  # asked for: accumulates everywhere
    close(x.grad, 2 * 12.0)
    close(q.grad, 2 * 3.0)
    close(f.grad, 2.0)
    with pytest.raises(ValueError, match=r"already backpropagated.*\.grad.*Re-run the cells.*retain_graph=True"):
        f.backward()
    close(x.grad, 2 * 12.0)  # the refused pass wrote nothing
    with pytest.raises(ValueError, match="already backpropagated"):
        (f * 2).backward()  # a new graph on top of a used one goes through the used part again


def test_backward_twice_through_one_graph_is_refused_by_default():
    x = tensor(2.0)
    f = x * x
    f.backward()
    with pytest.raises(ValueError, match="already backpropagated"):
        f.backward()
    close(x.grad, 4.0)


def test_create_graph_keeps_the_graph_by_default():
    x = tensor(2.0)
    f = x**3
    f.backward(create_graph=True)
    f.backward(create_graph=True)
    close(x.grad.data, 2 * 12.0)


def test_different_graphs_still_accumulate_into_shared_leaves():
    w = tensor(1.5)
    for x in (2.0, -1.0, 4.0):  # a mini-batch, one graph per sample
        (w * x).backward()
    close(w.grad, 5.0)


def test_a_value_used_twice_gets_the_sum():
    x = tensor(3.0)
    (x * x).backward()
    close(x.grad, 6.0)
    a = tensor([1.0, -2.0])
    b = a.exp()
    (b * b + b).sum().backward()  # b fans out three times
    close(a.grad, 2 * np.exp(2 * a.data) + np.exp(a.data))


def test_grad_arrays_are_own_writable_copies():
    x = tensor(np.ones((2, 3)))
    b = tensor(np.ones(3))
    y = x + b  # b's gradient comes back through a broadcast
    y.backward(np.ones((2, 3)))
    for t in (x, b, y):
        assert isinstance(t.grad, np.ndarray) and t.grad.flags.writeable
        assert t.grad.shape == t.shape
    x.grad += 1  # in-place edits of one grad must not leak into another
    close(y.grad, np.ones((2, 3)))
    close(b.grad, [2.0, 2.0, 2.0])


def test_a_seed_array_is_not_aliased():
    x = tensor([1.0, 2.0])
    y = x * 1.0
    seed = np.array([1.0, 1.0])
    y.backward(seed)
    seed[:] = 5.0
    close(y.grad, [1.0, 1.0])
    close(x.grad, [1.0, 1.0])


# --- higher order ----------------------------------------------------------------------


def test_create_graph_twice_gives_the_third_derivative_of_x4():
    for x0 in (2.0, -1.5):
        x = tensor(x0)
        (x**4).backward(create_graph=True)
        first = x.grad
        assert isinstance(first, bp.Tensor)
        close(first, 4 * x0**3)
        x.zero_grad()
        first.backward(create_graph=True)
        second = x.grad
        close(second, 12 * x0**2)
        x.zero_grad()
        second.backward()
        assert isinstance(x.grad, np.ndarray)
        close(x.grad, 24 * x0)


def test_grad_of_grad_is_the_second_derivative():
    f = lambda x: x**3
    close(bp.grad(bp.grad(f))(2.0), 12.0)
    close(bp.grad(bp.grad(bp.grad(f)))(2.0), 6.0)
    g = lambda x: x.tanh()
    t = np.tanh(0.7)
    close(bp.grad(bp.grad(g))(0.7), -2 * t * (1 - t**2))
    h = lambda x: (x.sigmoid() * x.exp()).sum()
    point = np.array([0.3, -0.8])
    diagonal = bp.grad(lambda x: bp.grad(h)(x).sum())(point)  # h is separable: its Hessian is diagonal
    close(diagonal, np.diag(bp.hessian(h)(point)))
    s, e = 1 / (1 + np.exp(-point)), np.exp(point)
    close(diagonal, e * (s + 2 * s * (1 - s) + s * (1 - s) * (1 - 2 * s)))


def test_transforms_on_tensors_return_differentiable_tensors():
    x = tensor(1.5)
    g = bp.grad(lambda t: t**3)(x)
    assert isinstance(g, bp.Tensor) and g.requires_grad
    g.backward()
    close(x.grad, 6 * 1.5)
    y, vjp_fn = bp.vjp(lambda a, b: a * b, tensor(2.0), tensor(3.0))
    assert isinstance(y, bp.Tensor)
    da, db = vjp_fn(np.array(1.0))
    assert isinstance(da, bp.Tensor)
    close(da, 3.0)
    close(db, 2.0)


def test_gradient_penalty_needs_a_backward_through_the_backward():
    w = tensor([0.5, -1.0])
    x = tensor([2.0, 1.0])
    loss = (w * x).tanh().sum()
    loss.backward(create_graph=True)
    penalty = (x.grad**2).sum()
    w.zero_grad()
    penalty.backward()
    # d/dw sum_i (w_i (1 - tanh(w_i x_i)^2))^2
    t = np.tanh(w.data * x.data)
    dx = w.data * (1 - t**2)
    d_dx_dw = (1 - t**2) - w.data * 2 * t * (1 - t**2) * x.data
    close(w.grad, 2 * dx * d_dx_dw)


# --- dtypes ------------------------------------------------------------------------------


def test_float32_stays_float32_through_ops_and_grads():
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((3, 4)).astype(np.float32))
    w = tensor(rng.standard_normal((4, 2)).astype(np.float32))
    b = tensor(rng.standard_normal(2).astype(np.float32))
    h = (x @ w + b).relu() * 2 - 1.5
    h = h / 3 + 0.25 * h.sigmoid() + h.tanh() ** 2 + bp.maximum(h, 0.1) - (-h).exp() * 0.01
    z = h.softmax() + h.log_softmax() + (h * h + 1).log() + h.T.T.reshape(6).reshape(3, 2)
    loss = z.sum() / 7 + z.mean() + z[0].dot(z[1]) + bp.cross_entropy(h, [0, 1, 1]) + bp.stack([z, h]).sum()
    assert loss.dtype == np.float32
    nodes = [loss]
    seen = set()
    loss.backward()
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        assert node.dtype == np.float32, node.op
        if node.requires_grad:
            assert node.grad.dtype == np.float32, node.op
        nodes.extend(node.parents)
    assert bp.grad(lambda t: (t * 2.0).sum())(np.ones(3, np.float32)).dtype == np.float32
    assert bp.hvp(lambda t: (t**3).sum())(np.ones(3, np.float32), np.ones(3, np.float32)).dtype == np.float32


def test_python_numbers_on_either_side_keep_float32():
    x = tensor(np.float32(2.0))
    for y in (x + 1, 1 + x, x - 1.5, 2.5 - x, x * 3, 3 * x, x / 2, 2 / x, x**2, -x, np.float64(2.0) * x):
        assert y.dtype == np.float32
        y.backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("data", [3, True, [1, 2], np.arange(3), np.array([True, False]), np.int8(4)])
def test_ints_and_bools_become_float64(data):
    t = tensor(data)
    assert t.dtype == np.float64
    close(t, np.asarray(data, dtype=np.float64))


@pytest.mark.filterwarnings("ignore::backpropnb.ops.LostGradientWarning")  # converting on purpose
def test_python_number_gives_a_0d_tensor_and_float16_is_kept():
    assert tensor(2.5).shape == () and tensor(2.5).item() == 2.5
    assert tensor(np.ones(2, np.float16)).dtype == np.float16


def test_numpy_array_on_the_left_of_an_operator():
    x = tensor([1.0, 2.0])
    a = np.array([3.0, 4.0])
    for y, dx in ((a + x, [1, 1]), (a - x, [-1, -1]), (a * x, [3, 4]), (a / x, -a / x.data**2)):
        assert isinstance(y, bp.Tensor)
        x.zero_grad()
        y.sum().backward()
        close(x.grad, dx)
    m = np.array([[1.0, 0.0], [2.0, 1.0]])
    y = m @ x
    assert isinstance(y, bp.Tensor)
    close(y, [1.0, 4.0])
    x.zero_grad()
    y.sum().backward()
    close(x.grad, [3.0, 1.0])
    assert isinstance(np.float64(2.0) + x, bp.Tensor)


def test_mixed_in_numbers_become_constant_leaves():
    x = tensor(2.0, name="x")
    y = x * 3.0
    const = y.parents[1]
    assert const.requires_grad is False and const.name is None and const.op is None
    close(const, 3.0)
    y.backward()
    assert const.grad is None


def test_params_record_constant_settings():
    x = tensor(np.ones((2, 3)))
    assert (x**2).params == {"exponent": 2}
    assert x.sum(axis=1).params == {"axis": 1, "keepdims": False}
    assert x.mean(keepdims=True).params == {"axis": None, "keepdims": True}


# --- no_grad -----------------------------------------------------------------------------


def test_no_grad_makes_constants_and_backward_on_them_raises():
    x = tensor(2.0)
    with bp.no_grad():
        assert not bp.is_grad_enabled()
        y = x * x + 1
    assert bp.is_grad_enabled()
    assert y.requires_grad is False and y.op is None and y.parents == ()
    close(y, 5.0)
    with pytest.raises(ValueError, match="no_grad"):
        y.backward()
    assert x.grad is None
    z = x * y  # a no_grad result is a constant in later graphs
    z.backward()
    close(x.grad, 5.0)


def test_no_grad_is_restored_after_an_error():
    with pytest.raises(RuntimeError), bp.no_grad():
        raise RuntimeError("boom")
    assert bp.is_grad_enabled()


def test_requires_grad_false_makes_a_constant():
    c = tensor([1.0, 2.0], requires_grad=False)
    x = tensor([3.0, 4.0])
    (c * x).sum().backward()
    assert c.grad is None
    close(x.grad, [1.0, 2.0])
    with pytest.raises(ValueError):
        (c * 2).sum().backward()


# --- a few op details -----------------------------------------------------------------------


def test_getitem_scatters_back_with_repeated_indices():
    x = tensor([1.0, 2.0, 3.0, 4.0])
    y = x[np.array([0, 2, 2, 3, 0, 0])]
    y.backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    close(x.grad, [12.0, 0.0, 5.0, 4.0])
    m = tensor(np.arange(6.0).reshape(2, 3))
    m[1].sum().backward()
    close(m.grad, [[0, 0, 0], [1, 1, 1]])
    m.zero_grad()
    m[:, ::2].sum().backward()
    close(m.grad, [[1, 0, 1], [1, 0, 1]])
    m.zero_grad()
    m[[1, 1], [2, 2]].sum().backward()
    close(m.grad, [[0, 0, 0], [0, 0, 2]])


def test_iterating_a_tensor_gives_differentiable_rows():
    x = tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2 and all(r.op == "getitem" for r in rows)
    (rows[0] * rows[1]).sum().backward()
    close(x.grad, [[3.0, 4.0], [1.0, 2.0]])


def test_cross_entropy_value_and_gradient():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    labels = np.array([0, 2])
    t = tensor(logits)
    loss = bp.cross_entropy(t, labels)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    close(loss, -np.mean(np.log(p[[0, 1], labels])))
    loss.backward()
    onehot = np.eye(3)[labels]
    close(t.grad, (p - onehot) / 2)
    big = tensor([[1000.0, 0.0], [0.0, -1000.0]])
    stable = bp.cross_entropy(big, [1, 0])
    close(stable, 500.0)  # (1000 + 0) / 2, no overflow


def test_softmax_and_log_softmax_values():
    a = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]])
    s = bp.softmax(tensor(a)).data
    close(s.sum(axis=-1), [1.0, 1.0])
    close(s[1], [0.0, 0.0, 1.0])
    close(bp.log_softmax(tensor(a), axis=0).data, a - np.log(np.exp(a - a.max(0)).sum(0)) - a.max(0))
