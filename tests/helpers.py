"""What several test files share: the close-enough assertion and the lecture's modular sigmoid gate."""

import numpy as np

import backpropnb as bp


def close(value, expected, tol=1e-12, *, rtol=None, atol=None):
    """Assert that a Tensor, array or number equals ``expected`` (a Tensor too) within ``tol``.

    |got - expected| <= atol + rtol |expected|, both ``tol`` unless given: a file that wants a
    purely relative or absolute check says ``atol=0`` or ``rtol=0``.
    """
    got = np.asarray(value.data if isinstance(value, bp.Tensor) else value, dtype=np.float64)
    expected = expected.data if isinstance(expected, bp.Tensor) else expected
    np.testing.assert_allclose(
        got,
        np.asarray(expected, dtype=np.float64),
        rtol=tol if rtol is None else rtol,
        atol=tol if atol is None else atol,
    )


class MySigmoid(bp.Function):
    """The lecture's modular sigmoid: forward saves its output, backward uses (1 - z) z."""

    @staticmethod
    def forward(ctx, x):
        z = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved
        return grad_output * (1 - z) * z  # a bare array: one input
