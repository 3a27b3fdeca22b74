"""The checkers of exercises 01-03 (scalar gates, modular backprop, vector Jacobians): right answers pass, stubs say "not implemented yet",
typical mistakes get their specific hint, and nothing raises."""

import math

import numpy as np
import pytest
from helpers import MySigmoid

import backpropnb as bp
from backpropnb.exercises import (
    check_add_backward,
    check_copy_backward,
    check_max_backward,
    check_mul_backward,
    check_multiply_function,
    check_neuron_flat,
    check_norm_wx_backward,
    check_sigmoid_backward,
    check_sigmoid_function,
    check_square_map_jacobian,
)
from backpropnb.exercises._check import CheckFailed, expect_close
from backpropnb.finite_differences import numeric_gradient, numeric_jacobian
from backpropnb.lecture import NORM_W, NORM_X


def stub(*args):
    raise NotImplementedError("fill in this cell")


class StubFunction(bp.Function):
    """What a student's Function class looks like before it is filled in."""


def stub_for(check):
    return StubFunction if check in (check_sigmoid_function, check_multiply_function) else stub


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# --- right answers ----------------------------------------------------------


def neuron_flat(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = sigmoid(dot)
    ddot = (1 - f) * f
    return f, [x[0] * ddot, x[1] * ddot, ddot], [w[0] * ddot, w[1] * ddot]


Sigmoid = MySigmoid  # the lecture's modular sigmoid (tests/helpers.py)


class Multiply(bp.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved
        return grad_output * b, grad_output * a


def norm_wx_backward(W, x):
    q = W @ x
    return 2 * q.reshape(-1, 1) @ x.reshape(1, -1), (2 * W.T @ q).reshape(x.shape)


RIGHT = [
    (check_add_backward, lambda x, y, upstream: (upstream, upstream)),
    (check_mul_backward, lambda x, y, upstream: (y * upstream, x * upstream)),
    (check_max_backward, lambda x, y, upstream: (upstream, 0.0) if x >= y else (0.0, upstream)),
    (check_copy_backward, lambda upstream1, upstream2: upstream1 + upstream2),
    (check_sigmoid_backward, lambda x, upstream: upstream * (1 - sigmoid(x)) * sigmoid(x)),
    (check_neuron_flat, neuron_flat),
    (check_sigmoid_function, Sigmoid),
    (check_multiply_function, Multiply),
    (check_norm_wx_backward, norm_wx_backward),
    (check_square_map_jacobian, lambda x, y: np.array([[2 * x, -2 * y], [2 * y, 2 * x]])),
]
IDS = [check.__name__ for check, _ in RIGHT]


@pytest.mark.parametrize(("check", "answer"), RIGHT, ids=IDS)
def test_a_right_answer_passes_with_a_success_line(check, answer, capsys):
    assert check(answer) is True
    out = capsys.readouterr().out
    assert out.startswith("✓ ") and "all checks passed" in out


@pytest.mark.parametrize(("check", "answer"), RIGHT, ids=IDS)
def test_quiet_prints_nothing(check, answer, capsys):
    assert check(answer, quiet=True) is True
    assert check(stub_for(check), quiet=True) is False
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=IDS)
def test_an_unfilled_stub_prints_not_implemented_yet_instead_of_a_traceback(check, capsys):
    assert check(stub_for(check)) is False
    out = capsys.readouterr().err
    assert "not implemented yet" in out and "Traceback" not in out


class StubSigmoid(Sigmoid):
    @staticmethod
    def backward(ctx, grad_output):
        raise NotImplementedError("write the backward")


def test_a_stub_backward_inside_the_engine_also_reads_not_implemented(capsys):
    assert check_sigmoid_function(StubSigmoid) is False
    assert "not implemented yet" in capsys.readouterr().err


# --- specific hints -----------------------------------------------------------


def test_mul_with_swapped_inputs_gets_the_swap_hint_with_the_lecture_numbers(capsys):
    assert check_mul_backward(lambda x, y, upstream: (x * upstream, y * upstream)) is False
    out = capsys.readouterr().err
    assert "dL/dx is off at x=2, y=3, upstream=5: expected 15, got 10" in out
    assert "did you swap the inputs?" in out


def test_mul_without_the_upstream_gets_its_hint(capsys):
    assert check_mul_backward(lambda x, y, upstream: (y, x)) is False
    assert "expected 15, got 3 (did you forget to multiply by the upstream gradient?)" in capsys.readouterr().err


def test_add_that_forgets_the_upstream(capsys):
    assert check_add_backward(lambda x, y, upstream: (1.0, 1.0)) is False
    assert "expected 5, got 1" in capsys.readouterr().err


def test_max_that_sends_to_both(capsys):
    assert check_max_backward(lambda x, y, upstream: (upstream, upstream)) is False
    assert "only the larger input receives the upstream gradient" in capsys.readouterr().err


def test_max_with_the_wrong_tie_convention(capsys):
    answer = lambda x, y, upstream: (upstream, 0.0) if x > y else (0.0, upstream)  # tie -> second input
    assert check_max_backward(answer) is False
    assert "at a tie, give the whole upstream gradient to the first input" in capsys.readouterr().err


def test_copy_that_multiplies(capsys):
    assert check_copy_backward(lambda a, b: a * b) is False
    assert "expected 6, got 8 (add the two upstream gradients, don't multiply them)" in capsys.readouterr().err


def test_sigmoid_with_x_instead_of_s(capsys):
    assert check_sigmoid_backward(lambda x, upstream: upstream * (1 - x) * x) is False
    assert "use s = sigmoid(x)" in capsys.readouterr().err


def test_a_gate_returning_one_value_instead_of_two(capsys):
    assert check_mul_backward(lambda x, y, upstream: y * upstream) is False
    assert "should return two values (dL/dx, dL/dy), e.g. `return dx, dy`" in capsys.readouterr().err


def test_an_exception_in_student_code_becomes_a_hint(capsys):
    assert check_mul_backward(lambda x, y, upstream: 1 / 0) is False
    out = capsys.readouterr().err
    assert "raised ZeroDivisionError" in out and "Traceback" not in out


def test_neuron_with_swapped_mul_inputs(capsys):
    def swapped(w, x):
        f, dw, _ = neuron_flat(w, x)
        return f, dw, [x[0] * (1 - f) * f, x[1] * (1 - f) * f]

    assert check_neuron_flat(swapped) is False
    assert "dL/dx is off at w=[2, -3, -3], x=[-1, -2]: expected [ 0.3932 -0.5898]" in capsys.readouterr().err


class SigmoidSavingInput(bp.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved
        s = 1 / (1 + np.exp(-x))
        return grad_output * (1 - s) * s


def test_sigmoid_function_must_save_its_output(capsys):
    assert check_sigmoid_function(SigmoidSavingInput) is False
    assert "forward should save its output s" in capsys.readouterr().err


class SwappedMultiply(Multiply):
    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved
        return grad_output * a, grad_output * b


def test_multiply_function_with_swapped_gradients(capsys):
    assert check_multiply_function(SwappedMultiply) is False
    assert "expected 15, got 10 (did you swap the inputs?" in capsys.readouterr().err


def test_norm_wx_with_a_flattened_column_x_gets_the_shape_hint(capsys):
    def flattening(W, x):
        dW, dx = norm_wx_backward(W, x)
        return dW, dx.ravel()

    assert check_norm_wx_backward(flattening) is False
    assert "your dL/dx has shape (3,) but x has shape (3, 1)" in capsys.readouterr().err


def test_norm_wx_reports_the_lecture_numbers_when_the_factor_two_is_missing(capsys):
    def half(W, x):
        dW, dx = norm_wx_backward(W, x)
        return dW / 2, dx

    assert check_norm_wx_backward(half) is False
    out = capsys.readouterr().err
    assert "expected [[0.088 0.176] [0.104 0.208]]" in out and "missing the factor 2" in out


def test_norm_wx_with_W_instead_of_its_transpose(capsys):
    assert check_norm_wx_backward(lambda W, x: (norm_wx_backward(W, x)[0], 2 * W @ (W @ x))) is False
    out = capsys.readouterr().err
    assert "expected [-0.112  0.636]" in out and "use Wᵀ, not W" in out


def test_square_map_transposed(capsys):
    assert check_square_map_jacobian(lambda x, y: np.array([[2 * x, 2 * y], [-2 * y, 2 * x]])) is False
    assert "transposed?" in capsys.readouterr().err


# --- the machinery --------------------------------------------------------------


def test_expect_close_reports_shape_before_values():
    with pytest.raises(CheckFailed, match=r"your dL/dx has shape \(3,\) but x has shape \(3, 1\)"):
        expect_close("dL/dx", np.zeros(3), np.zeros((3, 1)))


def test_expect_close_accepts_tensors_and_none_is_a_missing_return():
    expect_close("dL/dx", bp.tensor([1.0, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(CheckFailed, match="forget a `return`"):
        expect_close("dL/dx", None, 1.0)


def test_finite_differences_match_the_lecture_numbers():
    W, x = NORM_W, NORM_X
    numeric = numeric_gradient(lambda v: np.sum((W @ v) ** 2), x)
    np.testing.assert_allclose(numeric, [-0.112, 0.636], atol=1e-8)
    np.testing.assert_allclose(numeric_jacobian(lambda v: W @ v, x), W, atol=1e-8)
