"""Checkers for exercise 02, modular backprop: flat code by hand and gates as ``Function`` classes.

>>> import numpy as np
>>> from backpropnb import Function
>>> class Sigmoid(Function):
...     @staticmethod
...     def forward(ctx, x):
...         s = 1 / (1 + np.exp(-x))
...         ctx.save_for_backward(s)
...         return s
...     @staticmethod
...     def backward(ctx, grad_output):
...         (s,) = ctx.saved
...         return grad_output * (1 - s) * s
>>> check_sigmoid_function(Sigmoid)
✓ Sigmoid Function: all checks passed.
True
"""

from __future__ import annotations

import math

import numpy as np

from .. import Context, Function, gradcheck, tensor
from ..finite_differences import numeric_gradient
from ..i18n import text
from ..lecture import NEURON_W, NEURON_X
from ._check import CheckFailed, call, checker, expect_close, expect_tuple, random_generator, to_array

__all__ = ["check_multiply_function", "check_neuron_flat", "check_sigmoid_function"]


def _engine_neuron(w, x):
    """f = sigmoid(w0 x0 + w1 x1 + w2) and its gradients, from the engine."""
    wt, xt = tensor(np.array(w)), tensor(np.array(x))
    f = (wt[0] * xt[0] + wt[1] * xt[1] + wt[2]).sigmoid()
    f.backward()
    return float(f.data), wt.grad, xt.grad


def _neuron_value(w, x):
    return 1 / (1 + math.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))


@checker("neuron_flat")
def check_neuron_flat(neuron_flat):
    """Check ``neuron_flat(w, x) -> (f, dw, dx)``: the sigmoid neuron's forward and backward as flat code.

    ``w`` has 3 numbers (w0, w1, bias w2), ``x`` has 2; ``dw`` must have 3 numbers, ``dx`` 2.

    >>> check_neuron_flat(lambda w, x: (0.7310585786300049, [0, 0, 0], [0, 0]))
    ✗ neuron_flat: dL/dw is off at w=[2, -3, -3], x=[-1, -2]: expected [-0.1966 -0.3932  0.1966], got [0. 0. 0.] (the sigmoid's local gradient here is (1 - f)·f = 0.1966; dw0 = x0 · that).
    False
    """
    rng = random_generator(21)
    cases = [(NEURON_W, NEURON_X)] + [
        (tuple(float(v) for v in rng.normal(size=3)), tuple(float(v) for v in rng.normal(size=2))) for _ in range(4)
    ]
    for w, x in cases:
        f, dw, dx = expect_tuple(call(neuron_flat, list(w), list(x)), ["f", "dw", "dx"], "neuron_flat")
        expected_f, expected_dw, expected_dx = _engine_neuron(w, x)
        at = f"w=[{', '.join(f'{v:.4g}' for v in w)}], x=[{', '.join(f'{v:.4g}' for v in x)}]"
        s = expected_f
        expect_close("f", f, expected_f, at=at, hint="f = sigmoid(w0·x0 + w1·x1 + w2)")
        local = (1 - s) * s
        expect_close(
            "dL/dw",
            np.ravel(to_array(dw, "dL/dw")),
            expected_dw,
            at=at,
            mistakes=[(np.array([x[0], x[1], 1.0]), text("checkers.modular.multiply_local"))],
            hint=text("checkers.modular.local_here", local=f"{local:.4g}"),
        )
        expect_close(
            "dL/dx",
            np.ravel(to_array(dx, "dL/dx")),
            expected_dx,
            at=at,
            mistakes=[(local * np.array(x), text("checkers.modular.mul_swaps"))],
        )
        numeric_w = numeric_gradient(lambda v, x=x: _neuron_value(v, x), np.array(w))
        expect_close(
            "dL/dw", np.ravel(to_array(dw, "dL/dw")), numeric_w, at=at + text("checkers.finite_differences"), rtol=1e-5
        )


def _expect_function_class(cls, name):
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        raise CheckFailed(text("checkers.modular.class_itself", name=name, got=repr(cls)))


def _inputs(rng):
    return [np.array(0.0), np.array(1.0), rng.normal(0, 2, size=3), rng.normal(0, 2, size=(2, 3))]


@checker("Sigmoid Function")
def check_sigmoid_function(Sigmoid):  # noqa: N803 - the student's class, named as in the notebook
    """Check a ``Sigmoid(backpropnb.Function)`` class: forward, what it saves, backward, gradcheck.

    The lecture's modular sigmoid saves its *output* s and its backward returns
    ``grad_output * (1 - s) * s``.

    >>> check_sigmoid_function(int)
    ✗ Sigmoid Function: pass the class itself: Sigmoid should be a subclass of backpropnb.Function, got <class 'int'>.
    False
    """
    _expect_function_class(Sigmoid, "Sigmoid")
    rng = random_generator(22)
    for x in _inputs(rng):
        at = f"x={np.array2string(x, precision=4)}"
        expected = 1 / (1 + np.exp(-x))
        ctx = Context()
        output = call(Sigmoid.forward, ctx, x.copy())
        expect_close(text("checkers.forward_output"), output, expected, at=at, of="x")
        saved = [to_array(a) for a in ctx.saved]
        if not any(a.shape == expected.shape and np.allclose(a, expected) for a in saved):
            raise CheckFailed(text("checkers.modular.save_output", at=at))
        t = tensor(x)
        y = call(Sigmoid.apply, t)
        upstream = rng.normal(size=x.shape)
        call(y.backward, upstream)
        reference = tensor(x)
        reference.sigmoid().backward(upstream)
        expect_close(
            "dL/dx", t.grad, reference.grad, at=at, mistakes=[(upstream * expected, text("checkers.modular.local_s"))]
        )
        error = call(gradcheck, lambda v, upstream=upstream: (Sigmoid.apply(v) * upstream).sum(), x)
        if error > 1e-6:
            raise CheckFailed(text("checkers.modular.gradcheck_disagrees", error=f"{error:.2g}", at=at))


@checker("Multiply Function")
def check_multiply_function(Multiply):  # noqa: N803 - the student's class, named as in the notebook
    """Check a two-input ``Multiply(backpropnb.Function)``: backward returns (dL/da, dL/db).

    >>> check_multiply_function(str)
    ✗ Multiply Function: pass the class itself: Multiply should be a subclass of backpropnb.Function, got <class 'str'>.
    False
    """
    _expect_function_class(Multiply, "Multiply")
    rng = random_generator(23)
    pairs = [(np.array(2.0), np.array(3.0))] + [(rng.normal(size=s), rng.normal(size=s)) for s in [(3,), (2, 2)]]
    for a, b in pairs:
        at = f"a={np.array2string(a, precision=4)}, b={np.array2string(b, precision=4)}"
        ta, tb = tensor(a), tensor(b)
        y = call(Multiply.apply, ta, tb)
        expect_close(text("checkers.forward_output"), y.data, a * b, at=at, of="a")
        upstream = np.full(a.shape, 5.0) if a.ndim == 0 else rng.normal(size=a.shape)
        call(y.backward, upstream)
        swap = text("checkers.gates.mul_swapped", label="dL/da", other="b")
        expect_close("dL/da", ta.grad, b * upstream, at=at, mistakes=[(a * upstream, swap)])
        expect_close("dL/db", tb.grad, a * upstream, at=at, mistakes=[(b * upstream, swap)])
        error = call(gradcheck, lambda u, v, upstream=upstream: (Multiply.apply(u, v) * upstream).sum(), a, b)
        if error > 1e-6:
            raise CheckFailed(text("checkers.modular.gradcheck", error=f"{error:.2g}", at=at))
