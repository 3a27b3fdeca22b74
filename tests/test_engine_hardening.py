"""Regression tests for the engine's hardening: numerics, strict arguments, dtypes, private gradients, atomicity."""

import warnings
from functools import partial

import helpers
import numpy as np
import pytest

import backpropnb as bp
from backpropnb import tensor

close = partial(helpers.close, atol=0)  # relative to the expected value


# --- 1. numerics -------------------------------------------------------------------------------


def test_sigmoid_keeps_its_left_tail():
    close(bp.sigmoid(tensor(-40.0)).data, 4.248354255291589e-18)
    close(bp.sigmoid(tensor(-30.0)).data, 9.357622968840175e-14)
    x = tensor(-40.0)
    y = bp.log(bp.sigmoid(x))
    y.backward()
    close(y.data, -40.0)
    close(x.grad, 1.0)


def test_sigmoid_in_float32_keeps_its_left_tail():
    for x, exact in ((-17.0, 4.139937718785167e-08), (-20.0, 2.061153618190204e-09), (-80.0, 1.8048513878454153e-35)):
        value = bp.sigmoid(tensor(np.float32(x))).data
        assert value.dtype == np.float32
        close(value, exact, tol=2e-7)
    x = tensor(np.float32(-20.0))
    loss = bp.log(bp.sigmoid(x))
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(x.grad)
    close(loss.data, -20.0, tol=1e-7)


def test_relu_of_a_tiny_sigmoid_still_passes_the_gradient():
    x = tensor(-76.0)
    bp.relu(bp.sigmoid(x)).backward()
    assert x.grad > 0
    close(x.grad, np.exp(-76.0), tol=1e-12)


def test_tanh_gradient_keeps_its_digits_where_tanh_is_one():
    close(bp.grad(bp.tanh)(20.0), 4 * np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2)


def test_a_confident_cross_entropy_has_its_tiny_gradient():
    # p = 1 - 4.25e-18 for the label: (p - 1) must not round to 0
    close(
        bp.grad(lambda t: bp.cross_entropy(t, [0]))(np.array([40.0, 0.0])),
        [-4.248354255291589e-18, 4.248354255291589e-18],
    )
    close(bp.log_softmax(tensor([40.0, 0.0])).data, [-4.248354255291589e-18, -40.0])


def test_float_warnings_name_the_op_and_point_at_the_caller():
    x = tensor([0.0, 1.0])
    for make, name, kind in (
        (lambda: x.log(), "log", "divide by zero"),
        (lambda: tensor(1000.0).exp(), "exp", "overflow"),
        (lambda: 1 / x, "div", "divide by zero"),
        (lambda: x**-1, "pow", "divide by zero"),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make()
        assert len(caught) == 1, [str(w.message) for w in caught]
        assert str(caught[0].message).startswith(f"{name}: {kind}")
        assert caught[0].filename == __file__, caught[0].filename  # the learner's line, not ops.py


# --- 2. wrong arguments are refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, fragments",
    [
        (lambda: tensor(np.ones((2, 3))).transpose(2, 1), ValueError, ("transpose", "axis 2", "(2, 3)")),
        (lambda: tensor(np.ones(3)).transpose(1), ValueError, ("transpose", "axis 1", "(3,)")),
        (lambda: tensor(np.ones((2, 3))).transpose(0), ValueError, ("transpose", "(0,)", "(2, 3)")),
        (lambda: bp.stack([tensor([1.0, 2.0]), tensor([3.0, 4.0])], axis=5), ValueError, ("stack", "axis 5")),
        (lambda: bp.stack([]), ValueError, ("stack", "empty")),
        (lambda: tensor(np.ones(8)).reshape(1.5, 4), TypeError, ("reshape", "1.5")),
        (lambda: tensor(np.ones(3)).sum(axis=1.0), TypeError, ("sum", "integer")),
        (lambda: tensor(np.ones(3)).sum(axis=(0, 0)), ValueError, ("sum", "twice")),
        (lambda: tensor(1.0).mean(axis=0), ValueError, ("mean", "0-d")),
        (lambda: bp.softmax(tensor(np.ones((2, 2))), axis=(0, 1)), TypeError, ("softmax", "one integer")),
        (lambda: bp.vjp(lambda x: (x, x * 2), np.ones(2)), TypeError, ("vjp", "tuple", "stack")),
        (lambda: bp.grad(lambda x: (x.sum(), x.sum()))(np.ones(2)), TypeError, ("vjp", "tuple")),
        (lambda: tensor([1.0, 2.0]).sum(out=np.zeros(())), TypeError, ("sum", "out=")),
        (lambda: tensor([0, 1], dtype=int), TypeError, ("int64", "requires_grad=False")),
        (lambda: bool(tensor([1.0, 2.0])), ValueError, ("bool", "(2,)")),
    ],
)
def test_wrong_arguments_are_refused_with_the_ops_name(make, error, fragments):
    with pytest.raises(error) as caught:
        make()
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value))


def test_jacobian_with_several_argnums_gives_one_jacobian_each():
    ja, jb = bp.jacobian(lambda a, b: a * b, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    close(ja, np.diag([3.0, 4.0]))
    close(jb, np.diag([1.0, 2.0]))


@pytest.mark.filterwarnings("ignore::backpropnb.ops.LostGradientWarning")  # converting on purpose
def test_numpy_functions_and_python_conversions_work_on_tensors():
    t = tensor([1.0, 2.0, 3.0])
    assert isinstance(np.sum(t), bp.Tensor)
    close(np.sum(t).data, 6.0)
    close(np.mean(t).data, 2.0)
    assert bool(tensor(0.0)) is False and bool(tensor(2.0)) is True
    assert float(tensor(2.5)) == 2.5 and int(tensor(3.0)) == 3
    assert f"{tensor(2.0):.3f}" == "2.000"


# --- 3. what numpy accepts --------------------------------------------------------------------------


def test_empty_selections_and_empty_softmax_axes_give_empty_results():
    x = tensor([1.0, 2.0, 3.0])
    assert x[[]].shape == (0,)
    (x[[]].sum() + x.sum()).backward()
    close(x.grad, [1.0, 1.0, 1.0])
    for f in (bp.softmax, bp.log_softmax):
        assert f(tensor(np.zeros((2, 0)))).shape == (2, 0)


def test_integer_and_boolean_tensors_are_constants_that_index_and_label():
    index = tensor([2, 0], requires_grad=False)
    assert index.dtype.kind == "i" and not index.requires_grad
    x = tensor([1.0, 2.0, 3.0])
    x[index].sum().backward()
    close(x.grad, [1.0, 0.0, 1.0])
    mask = tensor([True, False, True], requires_grad=False)
    close(tensor([1.0, 2.0, 3.0])[mask].data, [1.0, 3.0])
    logits = tensor([[2.0, 0.0], [0.0, 3.0]])
    labels = tensor([0, 1], requires_grad=False)
    close(bp.cross_entropy(logits, labels).data, bp.cross_entropy(logits, [0, 1]).data)
    assert tensor([0, 2]).dtype == np.float64  # a variable is always floating point


def test_promotion_rule_float_wins_and_keeps_its_width():
    x32 = tensor(np.ones(3, np.float32))
    assert (x32 * np.arange(3)).dtype == np.float32  # an integer array takes the float tensor's dtype
    assert (x32 * 2).dtype == np.float32 and (x32 * 2.5).dtype == np.float32
    assert (x32 * tensor([1, 2, 3], requires_grad=False)).dtype == np.float32
    assert (x32 * np.ones(3)).dtype == np.float64  # two float widths: numpy's rule, the wider wins


def test_a_leafs_gradient_has_the_leafs_dtype():
    x32 = tensor(np.ones(3, np.float32))
    (x32 * np.ones(3)).sum().backward()
    assert x32.grad.dtype == np.float32


# --- 4. private gradients and atomic backward ---------------------------------------------------


def test_the_seed_is_copied_into_grad():
    y = tensor([1.0, 2.0]) * 2
    seed = tensor([1.0, 1.0], requires_grad=False)
    y.backward(seed)
    y.grad[0] = 99.0
    close(seed.data, [1.0, 1.0])


class Double(bp.Function):
    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad_output):
        return 2 * grad_output


def test_a_custom_gates_gradient_is_not_shared_with_grad():
    x = tensor([1.0, 2.0, 3.0])
    y = Double.apply(x)
    y.backward(np.array([1.0, 2.0, 3.0]), retain_graph=True)
    x.grad[:] = 0  # zeroed in place
    y.backward(np.array([1.0, 2.0, 3.0]))
    close(x.grad, [2.0, 4.0, 6.0])


def test_a_grad_of_the_wrong_shape_is_named_and_nothing_is_written():
    a, b = tensor([1.0, 2.0], name="a"), tensor([3.0, 4.0], name="b")
    y = (a * b).sum()
    b.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"b\.grad has shape \(3,\) but b has shape \(2,\).*no \.grad was changed"):
        y.backward()
    assert a.grad is None and y.grad is None
    b.zero_grad()
    y.backward()  # the refused pass left the graph usable
    close(a.grad, [3.0, 4.0])


def test_gradcheck_ignores_the_finite_differences_own_noise():
    # a right gradient of a function far from 0 scores ~0 (it scored 0.51 when the noise counted);
    # tests/test_functional.py checks that a wrong gradient still scores its relative error
    assert bp.gradcheck(lambda x: ((x - 1) ** 2).sum() + 100, np.array([1.0 + 1e-9, 0.9999])) < 1e-6
    assert bp.gradcheck(lambda x: Double.apply(x).sum() * 1.5, np.array([0.5])) < 1e-6


def test_a_hessian_through_a_custom_gate_is_an_error_not_zero():
    with pytest.raises(ValueError, match="Double: a custom Function.*cannot be differentiated again"):
        bp.hessian(lambda x: (Double.apply(x) ** 2).sum())(np.array([1.0, 2.0]))


def test_changing_data_between_forward_and_backward_is_refused():
    w = tensor(2.0, name="w")
    y = w * 3
    w.data = np.array(5.0)
    with pytest.raises(ValueError, match="w got new .data after mul used it"):
        y.backward()
    assert w.grad is None
    w2 = tensor(2.0, name="w2")
    y2 = w2 * w2
    y2.backward()
    w2.data -= 0.1 * w2.grad  # an SGD step after backward is fine; the next forward builds a new graph
    (w2 * w2).backward()
    close(w2.grad, 4.0 + 2 * 1.6)
