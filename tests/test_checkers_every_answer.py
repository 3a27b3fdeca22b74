"""Every checker, fed answers of every wrong kind: one line naming what was expected, False, never a traceback."""

import numpy as np
import pytest

import backpropnb as bp
from backpropnb import exercises

WRONG_VALUES = {
    "none": None,
    "string": "0.5",
    "word": "hello",
    "dict": {"dx": 1.0},
    "number": 3.0,
    "nan": float("nan"),
    "empty list": [],
    "ragged list": [[1.0, 2.0], [3.0]],
    "vector of 7": np.zeros(7),
    "3-d array": np.ones((2, 3, 4)),
    "tensor of 5": bp.tensor(np.ones(5)),
    "object": object(),
    "function": len,
}


class NotAFunction:
    """A class, but not a backpropnb.Function."""


class EmptyFunction(bp.Function):
    @staticmethod
    def forward(ctx, *inputs):
        return "not an array"

    @staticmethod
    def backward(ctx, grad_output):
        return "nor a gradient"


CLASS_CHECKERS = {"check_sigmoid_function", "check_multiply_function"}
ANSWER_COUNT = {  # how many values a right answer returns
    "check_add_backward": 2,
    "check_mul_backward": 2,
    "check_max_backward": 2,
    "check_neuron_flat": 3,
    "check_norm_wx_backward": 2,
    "check_matmul_backward": 2,
    "check_linear_backward": 2,
}


def wrong_answers(name):
    """(label, answer) pairs: the wrong value alone, and inside a tuple of the right length."""
    if name in CLASS_CHECKERS:
        return [("not a Function", NotAFunction), ("returns strings", EmptyFunction), ("an int", 3)]
    answers = []
    for label, value in WRONG_VALUES.items():
        answers.append((label, lambda *args, value=value, **kwargs: value))
        count = ANSWER_COUNT.get(name)
        if count:
            answers.append((f"{count} × {label}", lambda *args, value=value, count=count, **kwargs: (value,) * count))
    return answers


CASES = [(name, label, answer) for name in exercises.__all__ for label, answer in wrong_answers(name)]


@pytest.mark.parametrize(("name", "label", "answer"), CASES, ids=[f"{n}-{label}" for n, label, _ in CASES])
def test_a_wrong_answer_of_any_kind_gets_one_line(name, label, answer, capsys):
    check = getattr(exercises, name)
    assert check(answer) is False
    captured = capsys.readouterr()
    assert captured.out == ""  # a failure goes to stderr (nbgrader scores it 0), the ✓ line to stdout
    out = captured.err
    assert out.count("\n") == 1 and out.startswith("✗ "), out
    assert "Traceback" not in out and "could not be checked" not in out, out
    words = ("expected", "should", "return", "pass the class", "shape", "did you", "must")
    assert any(word in out.lower() for word in words), out
