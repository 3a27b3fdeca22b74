"""Functional transforms in the style of JAX: grad, vjp, jacobian, hvp, hessian, gradcheck.

All of them are thin wrappers over one vector-Jacobian product. ``f`` receives
Tensors. Called with numpy arrays or numbers, a transform returns numpy
arrays; called with Tensors it returns Tensors that are themselves
differentiable, so transforms compose: ``grad(grad(f))(x)`` is the second
derivative and ``hessian(f) = jacobian(grad(f))``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .engine import Tensor, as_array, backprop, backprop_arrays, tensor
from .ops import stack


def _as_input(x):
    """A variable to differentiate with respect to (Tensors that need grads are used as they are)."""
    if isinstance(x, Tensor):
        return x if x.requires_grad else tensor(x.data)
    return tensor(x)


def _as_constant(x):
    return x if isinstance(x, Tensor) else Tensor(x, requires_grad=False)


def _argnums(argnums, count, name):
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    for n in nums:
        if not -count <= n < count:
            raise ValueError(f"{name}: argnums {n} is out of range for {count} argument(s)")
    return tuple(n % count for n in nums)


def _vjp(f, args, nums):
    """Call f with variables at ``nums`` (constants elsewhere); return (y, vjp_fn, differentiable)."""
    # Tensors in, Tensors out: the result stays differentiable if a differentiated argument is a Tensor,
    # or if any other argument is a variable (e.g. W in a gradient penalty grad(loss, argnums=1)(W, x)).
    differentiable = any(isinstance(args[n], Tensor) for n in nums) or any(
        isinstance(a, Tensor) and a.requires_grad for a in args
    )
    inputs = [_as_input(a) if i in nums else _as_constant(a) for i, a in enumerate(args)]
    y = f(*inputs)
    if isinstance(y, (tuple, list)):
        raise TypeError(
            f"vjp: f returned a {type(y).__name__} of {len(y)} outputs, but these transforms need one Tensor; "
            f"return bp.stack([...]) of the outputs, or transform one function per output"
        )
    if not isinstance(y, Tensor):
        y = Tensor(y, requires_grad=False)
    variables = [inputs[n] for n in nums]

    def vjp_fn(v):
        seed = v if isinstance(v, Tensor) else Tensor(as_array(v, y.dtype), requires_grad=False)
        if seed.shape != y.shape:
            raise ValueError(
                f"vjp: the vector has shape {seed.shape} but f's output has shape {y.shape}; pass one of shape {y.shape}"
            )
        if not y.requires_grad:
            grads = {}
        elif differentiable:
            grads = {node: g for node, g in backprop(y, seed, create_graph=True).values()}
        else:  # numbers out: the first-order pass on plain arrays
            grads = backprop_arrays(y, seed._data)
        out = []
        for x in variables:
            if x not in grads:
                out.append(
                    Tensor(np.zeros_like(x.data), requires_grad=False) if differentiable else np.zeros_like(x.data)
                )
            else:
                out.append(grads[x] if differentiable else np.array(grads[x]))
        return tuple(out)

    return (y if differentiable else np.array(y.data)), vjp_fn, differentiable


def vjp(f, *xs):
    """Evaluate ``y = f(*xs)`` and return ``(y, vjp_fn)``; ``vjp_fn(v)`` gives v^T J for each x.

    >>> y, vjp_fn = vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> vjp_fn(np.array([1.0, 1.0]))
    (array([2., 4.]),)
    """
    y, vjp_fn, _ = _vjp(f, xs, tuple(range(len(xs))))
    return y, vjp_fn


def grad(f, argnums=0):
    """The gradient of a scalar-valued ``f`` with respect to argument(s) ``argnums``.

    >>> grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([ 3., 12.])
    """

    def gradient(*args):
        nums = _argnums(argnums, len(args), "grad")
        y, vjp_fn, _ = _vjp(f, args, nums)
        if np.ndim(y.data if isinstance(y, Tensor) else y) != 0:
            raise ValueError(
                f"grad: f must return a scalar (0-d) but returned shape {np.shape(y.data if isinstance(y, Tensor) else y)}; "
                f"reduce it (e.g. .sum()) or use vjp / jacobian for vector outputs"
            )
        grads = vjp_fn(np.ones(()))
        return grads[0] if isinstance(argnums, numbers.Integral) else grads

    return gradient


def jacobian(f, argnums=0):
    """The explicit Jacobian, of shape ``y.shape + x.shape``, built one VJP per output element.

    For teaching: backpropagation never needs this matrix. With a tuple of
    ``argnums`` it returns one Jacobian per argument, as JAX does.

    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> [j.tolist() for j in jacobian(lambda a, b: a * b, argnums=(0, 1))(2.0, 3.0)]
    [3.0, 2.0]
    """

    def jac(*args):
        nums = _argnums(argnums, len(args), "jacobian")
        y, vjp_fn, differentiable = _vjp(f, args, nums)
        y_shape = y.shape
        rows = [vjp_fn(basis.reshape(y_shape)) for basis in np.eye(int(np.prod(y_shape)))]
        jacobians = []
        for k, n in enumerate(nums):
            x_shape = np.shape(args[n].data if isinstance(args[n], Tensor) else args[n])
            if not rows:  # an empty output (e.g. an empty slice) has an empty Jacobian
                empty = np.zeros(y_shape + x_shape, dtype=y.dtype)
                jacobians.append(Tensor(empty, requires_grad=False) if differentiable else empty)
            elif differentiable:
                jacobians.append(stack([row[k] for row in rows]).reshape(y_shape + x_shape))
            else:
                jacobians.append(np.stack([row[k] for row in rows]).reshape(y_shape + x_shape))
        return jacobians[0] if isinstance(argnums, numbers.Integral) else tuple(jacobians)

    return jac


def hessian(f):
    """The explicit Hessian of a scalar ``f``: the Jacobian of its gradient.

    >>> hessian(lambda v: (v ** 2).sum())(np.array([1.0, 1.0]))
    array([[2., 0.],
           [0., 2.]])
    """
    return jacobian(grad(f))


def hvp(f):
    """Hessian-vector product H(x) v by reverse over reverse: backpropagate through grad(f)(x) . v.

    H is never built; the cost is a small multiple of one gradient.

    >>> hvp(lambda v: (v ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """

    def product(x, v):
        x_shape = np.shape(x.data if isinstance(x, Tensor) else x)
        v_shape = np.shape(v.data if isinstance(v, Tensor) else v)
        if v_shape != x_shape:
            raise ValueError(f"hvp: the direction v has shape {v_shape} but x has shape {x_shape}; they must match")
        if isinstance(v, Tensor) and not isinstance(x, Tensor):
            x = tensor(x)  # a differentiable v asks for a differentiable answer
        return grad(lambda x_: (grad(f)(x_) * v).sum())(x)

    return product


def gradcheck(f, *xs, eps=1e-6):
    """The largest relative error between the engine's gradient and central differences, beyond their own noise.

    A central difference (f(x+h) - f(x-h)) / 2h is itself inexact: rounding
    adds about ε·|f|/h (ε the machine epsilon), and truncation shows as the
    change of the estimate between steps h and 2h. Each entry's difference
    |a - n| is first reduced by that bound (so a correct gradient of
    ``((x - 1)**2).sum() + 100`` scores 0, not the noise), then divided by
    max(|a|, |n|); as torch.autograd.gradcheck's atol + rtol, but measured.
    Values below ~1e-6 mean the gradient is right.

    >>> gradcheck(lambda x: (x.tanh() ** 2).sum(), np.array([0.3, -1.2])) < 1e-7
    True
    >>> gradcheck(lambda x: ((x - 1) ** 2).sum() + 100, np.array([1.0 + 1e-9]))
    0.0
    """
    xs = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in xs]
    analytic = grad(f, argnums=tuple(range(len(xs))))(*xs)

    def value(k, index, step):
        args = [a.copy() for a in xs]
        args[k][index] += step
        y = f(*(Tensor(a, requires_grad=False) for a in args))
        return float(y.data if isinstance(y, Tensor) else y)

    worst = 0.0
    for k, x in enumerate(xs):
        for index in np.ndindex(x.shape):
            f1, b1, f2, b2 = (value(k, index, s) for s in (eps, -eps, 2 * eps, -2 * eps))
            numeric = (f1 - b1) / (2 * eps)
            rounding = 4 * np.finfo(np.float64).eps * (abs(f1) + abs(b1) + abs(f2) + abs(b2)) / (2 * eps)
            truncation = abs((f2 - b2) / (4 * eps) - numeric)
            a = float(analytic[k][index])
            excess = max(abs(a - numeric) - rounding - truncation, 0.0)
            worst = max(worst, excess / max(abs(a), abs(numeric), np.finfo(np.float64).tiny))
    return worst
