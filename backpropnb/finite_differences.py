"""Central finite differences: the engine-free reference every derivative is checked against.

The whole idea is one line, :func:`central_difference`,
(f(x + εd) − f(x − εd)) / 2ε ≈ the derivative of f at x along d, with an error of
order ε². Gradients, Jacobians and Hessian-vector products by finite differences
are that line along the right directions. ``f`` receives and returns numpy
arrays (or numbers); nothing here touches the autograd engine, so a test that
compares the engine with these numbers can catch a wrong rule.
"""

from __future__ import annotations

import numpy as np

__all__ = ["central_difference", "numeric_gradient", "numeric_jacobian"]

EPS = 1e-6  # step: small enough for the ε² error, large enough for rounding (about 1e-16 / ε)


def central_difference(f, x, direction, eps=EPS):
    """The derivative of ``f`` at ``x`` along ``direction``: (f(x + εd) − f(x − εd)) / 2ε.

    ``f`` may return an array: the result then has its shape. With ``f`` a
    gradient function and ``direction`` v, this is H·v by differences of gradients.

    >>> round(float(central_difference(lambda v: v ** 3, 2.0, 1.0)), 6)  # d/dx x³ = 3x² = 12
    12.0
    """
    x = np.asarray(x, dtype=np.float64)
    step = eps * np.asarray(direction, dtype=np.float64)
    plus, minus = np.asarray(f(x + step), dtype=np.float64), np.asarray(f(x - step), dtype=np.float64)
    return (plus - minus) / (2 * eps)


def numeric_jacobian(f, x, eps=EPS):
    """The Jacobian of ``f`` at ``x`` by central differences, of shape ``f(x).shape + x.shape``.

    >>> numeric_jacobian(lambda v: v * v, np.array([1.0, 2.0])).round(6)
    array([[2., 0.],
           [0., 4.]])
    """
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        direction = np.zeros_like(x)
        direction[index] = 1.0
        columns.append(central_difference(f, x, direction, eps))
    if not columns:  # an empty x has an empty Jacobian
        return np.zeros(np.shape(f(x)) + x.shape)
    return np.stack(columns, axis=-1).reshape(columns[0].shape + x.shape)


def numeric_gradient(f, x, eps=EPS):
    """The gradient of ``f`` at ``x`` by central differences, of the shape of x; an array output is summed.

    >>> round(float(numeric_gradient(lambda v: v ** 3, 2.0)), 6)
    12.0
    >>> numeric_gradient(lambda v: (v ** 2).sum(), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    return numeric_jacobian(lambda v: np.sum(f(v)), x, eps)
