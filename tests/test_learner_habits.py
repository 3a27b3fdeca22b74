"""The idioms learners bring from micrograd, numpy, PyTorch, CS231n and d2l, in backpropnb.

The examples are ours, written in the spirit of each source: micrograd's two test expressions
(checked against the values PyTorch gives for them), a CS231n-style numerical gradient check of an
affine-ReLU-softmax net and of batch normalisation written with var and sqrt, and d2l's control-flow
example. Then the behaviour those idioms rely on: comparisons, numpy functions on tensors, and the
warning when a tensor that needs a gradient becomes a plain number.
"""

import math
import warnings

import numpy as np
import pytest

import backpropnb as bp
from backpropnb.ops import LostGradientWarning

# --- micrograd's test expressions: the numbers PyTorch prints for them ------------------------


def test_micrograd_sanity_expression_matches_torch():
    x = bp.tensor(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert float(y.data) == -20.0 and float(x.grad) == 46.0  # torch: y = -20, dy/dx = 46


def micrograd_more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def test_micrograd_more_ops_expression_matches_torch_and_finite_differences():
    a, b = bp.tensor(-4.0), bp.tensor(2.0)
    g = micrograd_more_ops(a, b)
    g.backward()
    # what torch computes for the same expression (float64)
    assert abs(float(g.data) - 24.70408163265306) < 1e-12
    assert abs(float(a.grad) - 138.83381924198252) < 1e-10
    assert abs(float(b.grad) - 645.5772594752186) < 1e-10
    numeric = numerical_gradient(lambda v: micrograd_more_ops(bp.tensor(v), bp.tensor(2.0)).data, np.array(-4.0))
    assert abs(float(numeric) - float(a.grad)) < 1e-6


# --- CS231n: layers written with numpy idioms, checked by numerical gradients -----------------


def numerical_gradient(f, x, h=1e-5):
    """CS231n's check: a centred difference of the scalar f, one coordinate at a time."""
    x = np.array(x, dtype=float)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        gradient[index] = (float(f(x + step)) - float(f(x - step))) / (2 * h)
    return gradient


def relative_error(x, y):
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def two_layer_loss(w1, b1, w2, b2, x, labels):
    hidden = np.maximum(0, bp.dot(x, w1) + b1)  # numpy's relu on a Tensor: the engine's max gate
    scores = hidden.dot(w2) + b2
    shifted = scores - scores.max(axis=1, keepdims=True)  # the softmax shift CS231n writes
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean() + 0.05 * (w1 * w1).sum()


def test_cs231n_affine_relu_softmax_gradients_pass_a_numerical_check():
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(5, 4)), np.array([0, 2, 1, 2, 0])
    params = [rng.normal(size=(4, 6)), rng.normal(size=6) * 0.1, rng.normal(size=(6, 3)), np.zeros(3)]
    analytic = bp.grad(lambda *p: two_layer_loss(*p, x, labels), argnums=(0, 1, 2, 3))(*params)
    for k, p in enumerate(params):
        others = lambda v, k=k: two_layer_loss(*[v if j == k else q for j, q in enumerate(params)], x, labels).data
        numeric = numerical_gradient(others, p)
        assert relative_error(analytic[k], numeric) < 1e-7, k


def batchnorm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_cs231n_batchnorm_with_var_and_sqrt_passes_a_numerical_check():
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.normal(2, 3, size=(6, 4)), rng.normal(size=4), rng.normal(size=4)
    upstream = rng.normal(size=(6, 4))
    loss = lambda x, gamma, beta: (batchnorm(x, gamma, beta) * upstream).sum()
    analytic = bp.grad(loss, argnums=(0, 1, 2))(x, gamma, beta)
    args = [x, gamma, beta]
    for k, value in enumerate(args):
        numeric = numerical_gradient(lambda v, k=k: loss(*[v if j == k else a for j, a in enumerate(args)]), value)
        assert relative_error(analytic[k], numeric) < 1e-7, k
    # a normalised batch: mean 0 and variance 1 per feature (before gamma and beta)
    normalised = batchnorm(bp.tensor(x), 1.0, 0.0).data
    np.testing.assert_allclose(normalised.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(normalised.var(axis=0), 1, rtol=1e-5)


# --- d2l: Python control flow on tensors, and its own checks ---------------------------------


def d2l_f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    c = b if b.sum() > 0 else 100 * b
    return c


@pytest.mark.parametrize("start", [0.7, -1.3])
def test_d2l_control_flow_example(start):
    a = bp.tensor(start)
    d = d2l_f(a)
    d.backward()
    assert a.grad == d / a  # f is linear in a along the path taken: the gradient is d / a
    x = bp.tensor(np.arange(4.0))
    (2 * x.dot(x)).backward()
    assert (x.grad == 4 * x).all() and np.allclose(x.grad, 4 * x)  # d2l's own check, both ways


# --- the new ops: ties, ddof, numpy's dot, second order ----------------------------------------


def test_max_and_min_route_the_gradient_to_the_first_of_equal_winners():
    x = bp.tensor([[3.0, 1.0, 3.0], [2.0, 5.0, 5.0]])
    bp.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [0, 1, 0]])  # as the max gate: the first takes it all
    y = bp.tensor([[1.0, -2.0], [-2.0, 0.0]])
    y.min().backward()
    np.testing.assert_array_equal(y.grad, [[0, 1], [0, 0]])
    assert x.max(axis=0, keepdims=True).shape == (1, 3) and float(x.max().data) == 5.0


def test_var_and_std_take_numpy_ddof_and_refuse_no_degrees_of_freedom():
    data = np.array([[1.0, 4.0, 2.0], [3.0, 3.0, 9.0]])
    t = bp.tensor(data)
    for ddof in (0, 1):
        np.testing.assert_allclose(t.var(axis=1, ddof=ddof).data, data.var(axis=1, ddof=ddof), rtol=1e-15)
        np.testing.assert_allclose(bp.std(t, ddof=ddof).data, data.std(ddof=ddof), rtol=1e-15)
    with pytest.raises(ValueError, match=r"var: ddof=2 leaves no degrees of freedom for 2 values"):
        t.var(axis=0, ddof=2)


def test_dot_follows_numpy_for_vectors_matrices_and_scalars():
    rng = np.random.default_rng(2)
    a, b, v = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)
    np.testing.assert_allclose(bp.tensor(a).dot(b).data, a.dot(b), rtol=1e-15)
    np.testing.assert_allclose(bp.dot(v, b).data, v.dot(b), rtol=1e-15)
    np.testing.assert_allclose(bp.dot(a, v).data, a.dot(v), rtol=1e-15)
    assert float(bp.dot(v, v).data) == pytest.approx(v.dot(v), rel=1e-15)
    np.testing.assert_allclose(bp.dot(2.0, bp.tensor(v)).data, 2 * v)
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\) do not line up"):
        bp.dot(a, a)
    with pytest.raises(ValueError, match="use matmul"):
        bp.dot(np.ones((2, 2, 2)), np.ones((2, 2)))


def test_second_order_of_the_new_elementwise_ops():
    x = np.array([0.3, -1.1, 2.0])
    np.testing.assert_allclose(bp.hessian(lambda v: bp.sin(v).sum())(x), np.diag(-np.sin(x)), rtol=1e-14)
    np.testing.assert_allclose(bp.hessian(lambda v: bp.cos(v).sum())(x), np.diag(-np.cos(x)), rtol=1e-14)
    y = np.array([0.5, 4.0])
    np.testing.assert_allclose(bp.hessian(lambda v: bp.sqrt(v).sum())(y), np.diag(-0.25 * y**-1.5), rtol=1e-14)
    np.testing.assert_allclose(bp.grad(lambda v: bp.abs(v).sum())(np.array([-2.0, 0.0, 3.0])), [-1, 0, 1])
    np.testing.assert_allclose(bp.grad(lambda v: v.clip(-1, 1).sum())(np.array([-2.0, 0.5, 3.0])), [0, 1, 0])


def test_detach_cuts_the_graph():
    x = bp.tensor(2.0)
    y = x * x.detach()  # the second factor is a constant: d/dx = x, not 2x
    y.backward()
    assert float(x.grad) == 2.0 and not x.detach().requires_grad


def test_hvp_in_torch_form_points_to_ours():
    f = lambda v: (v**3).sum()
    with pytest.raises(TypeError, match=r"PyTorch's form.*hvp\(f\)\(x, v\)"):
        bp.hvp(f, np.ones(2), np.ones(2))
    np.testing.assert_allclose(bp.hvp(f)(np.array([1.0, 2.0]), np.array([1.0, 0.0])), [6.0, 0.0])


# --- comparisons -------------------------------------------------------------------------------


def test_comparisons_are_elementwise_booleans_with_no_gradient():
    a, b = bp.tensor([1.0, 2.0, 3.0]), bp.tensor([3.0, 2.0, 1.0])
    np.testing.assert_array_equal(a == b, [False, True, False])
    np.testing.assert_array_equal(a != b, [True, False, True])
    np.testing.assert_array_equal(a < b, [True, False, False])
    np.testing.assert_array_equal(a <= 2, [True, True, False])
    np.testing.assert_array_equal(np.float64(3) > a, [True, True, False])  # reflected: numpy's scalar first
    np.testing.assert_array_equal(a >= np.array([1.0, 5.0, 0.0]), [True, False, True])
    assert (a > 0).dtype == bool and not isinstance(a > 0, bp.Tensor)
    total = a.sum()
    assert (total > 5) is np.True_ or bool(total > 5)
    if not total > 5:
        raise AssertionError("a 0-d comparison works in if")


def test_tensors_still_key_sets_and_dicts_by_identity():
    a, b = bp.tensor([1.0, 2.0]), bp.tensor([1.0, 2.0])  # equal numbers, two nodes
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2
    assert a in [a] and a in {a}  # identity first, as Python's containers check (b in [a, b] would compare a == b)
    y = (a * b).sum()
    y.backward()
    product = y.parents[0]
    assert product.parents[0] is a and product.parents[1] is b
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])


def test_an_array_method_given_a_tensor_says_what_to_write():
    x, w = np.ones((2, 3)), bp.tensor(np.ones((3, 2)))
    with pytest.raises(TypeError, match=r"numpy method on an array with a Tensor argument.*bp\.dot\(x, w\)"):
        x.dot(w) + bp.tensor(1.0)


# --- numpy on tensors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numpy_way", "our_way"),
    [
        (np.exp, bp.exp),
        (np.sqrt, bp.sqrt),
        (np.sin, bp.sin),
        (np.abs, bp.abs),
        (lambda t: np.maximum(0, t), lambda t: bp.maximum(0, t)),
        (lambda t: np.minimum(t, 1.5), lambda t: -bp.maximum(-t, -1.5)),
        (lambda t: np.sum(t * t), lambda t: (t * t).sum()),
        (lambda t: np.mean(t, axis=0), lambda t: t.mean(axis=0)),
        (lambda t: np.max(t, axis=1), lambda t: bp.max(t, axis=1)),
        (lambda t: np.var(t, ddof=1), lambda t: bp.var(t, ddof=1)),
        (lambda t: np.std(t), lambda t: bp.std(t)),
        (lambda t: np.linalg.norm(t), bp.norm),
        (lambda t: np.clip(t, 0.5, 1.5), lambda t: bp.clip(t, 0.5, 1.5)),
        (lambda t: np.dot(t, np.ones((3, 2))), lambda t: t.dot(np.ones((3, 2)))),
        (lambda t: np.ones((2, 2)) @ t, lambda t: bp.matmul(np.ones((2, 2)), t)),
    ],
)
def test_numpy_functions_on_a_tensor_run_the_engine_op(numpy_way, our_way):
    x = np.array([[0.3, 1.2, 2.1], [0.7, 1.9, 0.4]])
    ours = our_way(bp.tensor(x))
    theirs = numpy_way(bp.tensor(x))
    assert isinstance(theirs, bp.Tensor) and theirs.requires_grad
    np.testing.assert_allclose(theirs.data, ours.data, rtol=1e-15)
    loss = lambda f: lambda t: (f(t) * f(t)).sum()
    np.testing.assert_allclose(bp.grad(loss(numpy_way))(x), bp.grad(loss(our_way))(x), rtol=1e-14)


def test_numpy_functions_without_an_op_say_so_by_name():
    x = bp.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="numpy.arctan on a Tensor: the engine has no op for it"):
        np.arctan(x)
    with pytest.raises(TypeError, match="numpy.cumsum on a Tensor would drop its gradient"):
        np.cumsum(x)
    with pytest.raises(TypeError, match="out= is not supported"):
        np.exp(x, out=np.zeros(2))
    # functions that only read the numbers run on them
    assert np.allclose(x, [1.0, 2.0]) and np.argmax(x) == 1 and np.shape(x) == (2,)


# --- a tensor that needs a gradient becoming a plain number --------------------------------------


def test_math_on_float_of_a_tensor_warns_and_names_the_bp_op():
    b = bp.tensor(0.5)
    with pytest.warns(LostGradientWarning, match=r"float\(\) of a Tensor that needs a gradient.*bp\.sin\(t\)"):
        y = math.sin(3 * b) + b**2
    y.backward()
    assert float(b.grad) == 1.0  # only b**2 is differentiated: the warning said so
    c = bp.tensor(0.5)
    z = bp.sin(3 * c) + c**2
    z.backward()
    assert abs(float(c.grad) - (3 * math.cos(1.5) + 1.0)) < 1e-15  # the true gradient, 1.2122


def test_the_warning_comes_once_per_line_and_item_warns_too():
    x = bp.tensor(2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            float(x * 3)  # one line, three calls: one warning
        (x * 3).item()
    lost = [w for w in caught if issubclass(w.category, LostGradientWarning)]
    assert len(lost) == 2 and ".item()" in str(lost[1].message), [str(w.message) for w in lost]


def test_printing_formatting_constants_and_no_grad_do_not_warn():
    x = bp.tensor(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LostGradientWarning)
        assert f"{x * 3:.3f}" == "6.000" and "6" in str(x * 3) and "6" in repr(x * 3)
        assert float(bp.tensor(2.0, requires_grad=False)) == 2.0
        assert (x * 3).detach().item() == 6.0
        with bp.no_grad():
            assert float(x * 3) == 6.0
