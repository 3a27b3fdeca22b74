"""Checkers for exercise 01, scalar gates: the backward of add, mul, max, copy and sigmoid.

Every gate backward the student writes takes the forward inputs and the upstream
gradient and returns the downstream gradients (one per input), as plain floats.

>>> check_add_backward(lambda x, y, upstream: (upstream, upstream))
✓ add_backward: all checks passed.
True
"""

from __future__ import annotations

import math

from .. import maximum, tensor
from ..finite_differences import numeric_gradient
from ..i18n import text
from ..lecture import GATE_EXAMPLES
from ._check import call, checker, expect_close, expect_tuple, random_generator

__all__ = [
    "check_add_backward",
    "check_copy_backward",
    "check_max_backward",
    "check_mul_backward",
    "check_sigmoid_backward",
]


def _engine_gradients(gate, x, y, upstream):
    """The engine's downstream gradients for a two-input gate: the reference answer."""
    a, b = tensor(x), tensor(y)
    gate(a, b).backward(upstream)
    return float(a.grad), float(b.grad)


def _two_input_cases(seed_offset):
    """Fixed cases (the lecture's numbers) followed by seeded random ones."""
    rng = random_generator(seed_offset)
    randoms = [tuple(float(v) for v in rng.normal(0, 3, size=3)) for _ in range(5)]
    mul = GATE_EXAMPLES["mul"]  # x = 2, y = 3, upstream 5
    return [(mul["x"], mul["y"], mul["upstream"]), (-2.0, 5.0, -4.0), (4.0, -1.0, 2.0)] + randoms


@checker("add_backward")
def check_add_backward(add_backward):
    """Check ``add_backward(x, y, upstream) -> (dL/dx, dL/dy)``: the add gate distributes.

    >>> check_add_backward(lambda x, y, upstream: (1.0, 1.0))
    ✗ add_backward: dL/dx is off at x=2, y=3, upstream=5: expected 5, got 1 (the add gate passes the upstream gradient on: multiply the local gradient 1 by it).
    False
    """
    for x, y, upstream in _two_input_cases(1):
        dx, dy = expect_tuple(call(add_backward, x, y, upstream), ["dL/dx", "dL/dy"], "add_backward")
        expected = _engine_gradients(lambda a, b: a + b, x, y, upstream)
        at = f"x={x:.4g}, y={y:.4g}, upstream={upstream:.4g}"
        forgot = [(1.0, text("checkers.gates.add_forgot"))]
        expect_close("dL/dx", dx, expected[0], at=at, mistakes=forgot)
        expect_close("dL/dy", dy, expected[1], at=at, mistakes=forgot)


@checker("mul_backward")
def check_mul_backward(mul_backward):
    """Check ``mul_backward(x, y, upstream) -> (dL/dx, dL/dy)``: the mul gate swaps.

    >>> check_mul_backward(lambda x, y, upstream: (x * upstream, y * upstream))
    ✗ mul_backward: dL/dx is off at x=2, y=3, upstream=5: expected 15, got 10 (did you swap the inputs? The mul gate swaps: dL/dx = y · upstream).
    False
    """
    for x, y, upstream in _two_input_cases(2):
        dx, dy = expect_tuple(call(mul_backward, x, y, upstream), ["dL/dx", "dL/dy"], "mul_backward")
        expected = _engine_gradients(lambda a, b: a * b, x, y, upstream)
        at = f"x={x:.4g}, y={y:.4g}, upstream={upstream:.4g}"
        for label, got, own, (other_name, other), right in (
            ("dL/dx", dx, x, ("y", y), expected[0]),
            ("dL/dy", dy, y, ("x", x), expected[1]),
        ):
            swapped = text("checkers.gates.mul_swapped", label=label, other=other_name)
            forgot = text("checkers.forgot_upstream")
            expect_close(label, got, right, at=at, mistakes=[(own * upstream, swapped), (other, forgot)])


@checker("max_backward")
def check_max_backward(max_backward):
    """Check ``max_backward(x, y, upstream) -> (dL/dx, dL/dy)``: the max gate routes.

    At a tie the first input takes the whole upstream gradient (the engine's convention).

    >>> check_max_backward(lambda x, y, upstream: (upstream, upstream))
    ✗ max_backward: dL/dx is off at x=2, y=3, upstream=5: expected 0, got 5 (only the larger input receives the upstream gradient; the other gets 0).
    False
    """
    cases = _two_input_cases(3) + [(1.5, 1.5, 3.0)]
    for x, y, upstream in cases:
        dx, dy = expect_tuple(call(max_backward, x, y, upstream), ["dL/dx", "dL/dy"], "max_backward")
        expected = _engine_gradients(maximum, x, y, upstream)
        at = f"x={x:.4g}, y={y:.4g}, upstream={upstream:.4g}"
        both = text("checkers.gates.max_both")
        tie = text("checkers.gates.max_tie") if x == y else ""
        mistakes = [(upstream, tie or both), (1.0, text("checkers.gates.max_multiply"))]
        expect_close("dL/dx", dx, expected[0], at=at, hint=tie, mistakes=mistakes)
        expect_close("dL/dy", dy, expected[1], at=at, hint=tie, mistakes=mistakes)


@checker("copy_backward")
def check_copy_backward(copy_backward):
    """Check ``copy_backward(upstream1, upstream2) -> dL/dx``: a value used twice adds its upstreams.

    >>> check_copy_backward(lambda upstream1, upstream2: upstream1 + upstream2)
    ✓ copy_backward: all checks passed.
    True
    """
    rng = random_generator(4)
    copy = GATE_EXAMPLES["copy"]  # upstreams 2 and 4
    cases = [(copy["upstream"], copy["upstream2"]), (-1.0, 3.0)] + [
        tuple(float(v) for v in rng.normal(0, 3, size=2)) for _ in range(5)
    ]
    for upstream1, upstream2 in cases:
        x = tensor(0.7)
        (x * upstream1 + x * upstream2).backward()  # x fans out to two branches
        got = call(copy_backward, upstream1, upstream2)
        expect_close(
            "dL/dx",
            got,
            float(x.grad),
            at=f"upstream1={upstream1:.4g}, upstream2={upstream2:.4g}",
            mistakes=[
                (upstream1, text("checkers.gates.copy_adds")),
                (upstream2, text("checkers.gates.copy_adds")),
                (upstream1 * upstream2, text("checkers.gates.copy_not_multiply")),
            ],
        )


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@checker("sigmoid_backward")
def check_sigmoid_backward(sigmoid_backward):
    """Check ``sigmoid_backward(x, upstream) -> dL/dx`` for the fused sigmoid gate s(x) = 1/(1+e^-x).

    >>> check_sigmoid_backward(lambda x, upstream: upstream * math.exp(-x) / (1 + math.exp(-x)) ** 2)
    ✓ sigmoid_backward: all checks passed.
    True
    """
    rng = random_generator(5)
    for x, upstream in [(1.0, 1.0), (0.0, 2.0), (-3.0, 0.5)] + [
        tuple(float(v) for v in rng.normal(0, 2, size=2)) for _ in range(5)
    ]:
        t = tensor(x)
        t.sigmoid().backward(upstream)
        s = _sigmoid(x)
        at = f"x={x:.4g}, upstream={upstream:.4g}"
        got = call(sigmoid_backward, x, upstream)
        expect_close(
            "dL/dx",
            got,
            float(t.grad),
            at=at,
            mistakes=[
                ((1 - s) * s, text("checkers.gates.sigmoid_multiply")),
                (upstream * s, text("checkers.gates.sigmoid_local")),
                (upstream * (1 - x) * x, text("checkers.gates.sigmoid_use_s")),
            ],
        )
        numeric = numeric_gradient(lambda v, upstream=upstream: _sigmoid(float(v)) * upstream, x)
        expect_close("dL/dx", got, numeric, at=at + text("checkers.finite_differences"), rtol=1e-5, atol=1e-7)
