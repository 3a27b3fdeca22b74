"""Functional transforms in the style of JAX: grad, vjp, jvp, jacobian, hvp, hessian, gradcheck.

grad, vjp, jacobian and hessian are thin wrappers over one vector-Jacobian
product (reverse mode, multiplying the Jacobian from the left); jvp is forward
mode, a Jacobian-vector product J v pushed along with the values (multiplying
from the right); hvp combines the two. ``f`` receives
Tensors. Called with numpy arrays or numbers, a transform returns numpy
arrays; called with Tensors it returns Tensors that are themselves
differentiable, so transforms compose: ``grad(grad(f))(x)`` is the second
derivative and ``hessian(f) = jacobian(grad(f))``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .engine import Tensor, as_array, backprop, backprop_arrays, carry_tangents, forward_trace, no_grad, tensor
from .ops import stack


def _as_input(x):
    """A variable to differentiate with respect to (Tensors that need grads are used as they are).

    A constant Tensor becomes a new leaf that keeps its forward-mode tangent,
    so that ``jvp(grad(f), (x,), (v,))`` sees x move.
    """
    if isinstance(x, Tensor):
        if x.requires_grad:
            return x
        leaf = tensor(x.data)
        carry_tangents(x, leaf)
        return leaf
    return tensor(x)


def _as_constant(x):
    return x if isinstance(x, Tensor) else Tensor(x, requires_grad=False)


def _argnums(argnums, count, name):
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    for n in nums:
        if not -count <= n < count:
            raise ValueError(f"{name}: argnums {n} is out of range for {count} argument(s)")
    return tuple(n % count for n in nums)


def _one_output(y, name, needs, instead):
    """f's result as one Tensor (a number or array becomes a constant); a tuple of outputs is a TypeError."""
    if isinstance(y, (tuple, list)):
        raise TypeError(
            f"{name}: f returned a {type(y).__name__} of {len(y)} outputs, but {needs}; "
            f"return bp.stack([...]) of the outputs, or {instead}"
        )
    return y if isinstance(y, Tensor) else Tensor(y, requires_grad=False)


def _vjp(f, args, nums):
    """Call f with variables at ``nums`` (constants elsewhere); return (y, vjp_fn, differentiable)."""
    # Tensors in, Tensors out: the result stays differentiable if a differentiated argument is a Tensor,
    # or if any other argument is a variable (e.g. W in a gradient penalty grad(loss, argnums=1)(W, x)).
    differentiable = any(isinstance(args[n], Tensor) for n in nums) or any(
        isinstance(a, Tensor) and a.requires_grad for a in args
    )
    inputs = [_as_input(a) if i in nums else _as_constant(a) for i, a in enumerate(args)]
    y = _one_output(f(*inputs), "vjp", "these transforms need one Tensor", "transform one function per output")
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
            grads = backprop_arrays(y, seed.stored_data)
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


def jvp(f, primals, tangents):
    """Evaluate ``y = f(*primals)`` and its change ``J v`` in the direction ``tangents``; return ``(y, J v)``.

    Forward mode, as JAX's ``jvp``: each input carries a tangent (the
    direction it moves in) and every op pushes the tangent of its output
    along with its value, by the op's JVP rule. J is never built: one jvp
    costs a small multiple of one evaluation of f, and gives the Jacobian
    times a vector from the right (vjp multiplies from the left). With
    several arguments ``J v`` is the sum of each argument's J_i v_i.

    >>> y, y_dot = jvp(lambda x: x * x, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    >>> y, y_dot
    (array([1., 4.]), array([2., 0.]))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp: primals and tangents must be tuples (one entry per argument of f), got "
            f"{type(primals).__name__} and {type(tangents).__name__}; for one argument write jvp(f, (x,), (v,))"
        )
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent per argument")
    # Tensors in, Tensors out (differentiable), as for vjp; numbers and arrays in, arrays out
    differentiable = any(isinstance(a, Tensor) for a in (*primals, *tangents))
    inputs = [x if isinstance(x, Tensor) else Tensor(np.array(as_array(x)), requires_grad=False) for x in primals]
    directions = []
    for k, (x, v) in enumerate(zip(inputs, tangents)):
        v = v if isinstance(v, Tensor) else Tensor(np.array(as_array(v, x.dtype)), requires_grad=False)
        if v.shape != x.shape:
            raise ValueError(
                f"jvp: the tangent for argument {k} has shape {v.shape} but the argument has shape {x.shape}; "
                f"pass a tangent of shape {x.shape}"
            )
        directions.append(v)
    with forward_trace(record=differentiable) as trace:
        for x, v in zip(inputs, directions):
            trace.attach(x, v)
        y = f(*inputs)
    y = _one_output(y, "jvp", "jvp needs one Tensor", "call jvp once per output")
    y_dot = trace.tangent(y)
    if y_dot is None:  # f does not depend on its inputs: it does not move
        y_dot = Tensor(np.zeros_like(y.data), requires_grad=False)
    if differentiable:
        return y, y_dot
    return np.array(y.data), np.array(y_dot.data)


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


def hvp(f, *torch_style):
    """Hessian-vector product H(x) v: the gradient of f's slope along v, by reverse over forward.

    ``hvp(f)`` returns the function ``(x, v) -> H(x) v``, as JAX writes it;
    PyTorch's ``hvp(f, x, v)`` (which returns ``(f(x), H v)``) is refused with
    a pointer to this form.

    The slope of f at x along v is the directional derivative ∇f(x) · v, and
    its gradient is H v. Forward mode gives the slope in one pass,
    ``jvp(f, (x,), (v,))``, with every tangent op recorded; one backward pass
    through that recording gives its gradient. H is never built; the cost is
    about two gradients. The same numbers (H is symmetric) come from
    ``jvp(grad(f), (x,), (v,))``, forward over reverse, and from
    backpropagating through grad(f)(x) · v, reverse over reverse (notebook 05),
    up to rounding.

    >>> hvp(lambda v: (v ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """

    if torch_style:
        raise TypeError(
            f"hvp: got hvp(f, {', '.join(['x', 'v', '...'][: len(torch_style)])}), PyTorch's form; here hvp takes f "
            f"alone and returns the product function, as in JAX: hvp(f)(x, v) gives H(x) v (and f(x) is f(x))"
        )

    def product(x, v):
        x_shape = np.shape(x.data if isinstance(x, Tensor) else x)
        v_shape = np.shape(v.data if isinstance(v, Tensor) else v)
        if v_shape != x_shape:
            raise ValueError(f"hvp: the direction v has shape {v_shape} but x has shape {x_shape}; they must match")
        if isinstance(v, Tensor) and not isinstance(x, Tensor):
            x = tensor(x)  # a differentiable v asks for a differentiable answer
        if not isinstance(v, Tensor):
            v = Tensor(as_array(v), requires_grad=False)  # read, never written

        def slope(x):  # ∇f(x) · v, by forward mode
            y, y_dot = jvp(f, (x,), (v,))
            if y_dot.ndim != 0:
                raise ValueError(
                    f"hvp: f must return a scalar (0-d) but returned shape {y.shape}; reduce it (e.g. .sum())"
                )
            return y_dot

        return grad(slope)(x)

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


# --- numbers that the plots draw -------------------------------------------


def jacobian_matrix(J, x_ndim=None):
    """The Jacobian as a 2-D matrix of shape (y.size, x.size).

    :func:`jacobian` returns shape ``y.shape + x.shape``; ``x_ndim`` says how
    many trailing axes belong to x (default: half of them, or a 1-D J is one row).

    >>> jacobian_matrix(np.zeros((2, 3, 2, 3))).shape
    (6, 6)
    """
    J = np.asarray(getattr(J, "data", J), dtype=float)
    if J.ndim == 2 and x_ndim is None:
        return J
    if J.ndim <= 1:
        return J.reshape(1, -1)
    if x_ndim is None:
        if J.ndim % 2:
            raise ValueError(
                f"plot_jacobian: a Jacobian of shape {J.shape} has an odd number of axes, so it is unclear which "
                f"belong to x; pass x_ndim (the number of axes of x)"
            )
        x_ndim = J.ndim // 2
    if not 0 <= x_ndim <= J.ndim:
        raise ValueError(f"plot_jacobian: x_ndim={x_ndim} does not fit a Jacobian of shape {J.shape}")
    rows = int(np.prod(J.shape[: J.ndim - x_ndim]))
    return J.reshape(rows, -1)


def sparsity(J):
    """The share of entries of ``J`` that are exactly zero (0 for an empty array).

    >>> sparsity(np.diag([1.0, 1.0, 0.0, 1.0]))
    0.8125
    """
    J = np.asarray(getattr(J, "data", J))
    return float(np.count_nonzero(J == 0) / J.size) if J.size else 0.0


def evaluate_grid(f, bounds, resolution=60):
    """Values of a 2-D function on a ``resolution`` × ``resolution`` grid over ``bounds`` = (x0, x1, y0, y1).

    ``f`` is first called once on a Tensor of shape (2, H, W) (so ``p[0]``, ``p[1]`` are
    whole grids); if it does not broadcast that way it is called point by point.

    >>> X, Y, Z = evaluate_grid(lambda p: p[0] ** 2 + p[1] ** 2, (-1, 1, -1, 1), resolution=3)
    >>> Z.tolist()
    [[2.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 2.0]]
    """
    x0, x1, y0, y1 = (float(b) for b in bounds)
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    with no_grad():
        try:
            Z = np.asarray(f(tensor(np.stack([X, Y]))).data, dtype=float)
        except (ValueError, TypeError, IndexError):
            Z = None
        if Z is None or Z.shape != X.shape:  # f only understands one point: slower, same picture
            Z = np.array([float(f(tensor(p)).data) for p in np.stack([X.ravel(), Y.ravel()], axis=1)])
            Z = Z.reshape(X.shape)
    return X, Y, Z


def value_grad_hvp(f, point, v):
    """f at ``point``, its gradient there and the Hessian-vector product H·v: what a contour plot's arrows show.

    >>> value, gradient, product = value_grad_hvp(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 1.0], [1.0, 0.0])
    >>> value, gradient.tolist(), product.tolist()
    (2.0, [2.0, 2.0], [2.0, 0.0])
    """
    point, v = np.asarray(point, dtype=float), np.asarray(v, dtype=float)
    with no_grad():
        value = float(f(tensor(point)).data)
    return value, np.asarray(grad(f)(point), dtype=float), np.asarray(hvp(f)(point, v), dtype=float)
