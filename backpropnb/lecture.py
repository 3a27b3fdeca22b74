"""The lecture's worked examples: the inputs every explorer, checker, test and notebook starts from.

Each example of the backpropagation lecture is typed here once; code, tests and
notebooks import it (``from backpropnb import lecture``), so they cannot drift
apart. This module holds the *inputs*; the numbers they lead to (f = -12, the
gradients 0.1966 …) are what the engine computes from them, and the tests
assert those separately.

Arrays are read-only: copy one before changing it (``lecture.NORM_W.copy()``).

>>> import backpropnb as bp
>>> x, y, z = (bp.tensor(v, name=n) for n, v in XYZ.items())
>>> f = (x + y) * z; f.backward(); float(f.data), float(x.grad), float(z.grad)
(-12.0, -4.0, 3.0)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "GATE_EXAMPLES",
    "LAYER_BATCH",
    "LAYER_WIDTH",
    "NEURON_W",
    "NEURON_X",
    "NORM_W",
    "NORM_X",
    "RELU_X",
    "XYZ",
    "XYZ_OTHER",
    "bowl",
    "jacobian_memory",
    "named",
    "neuron_values",
    "rosenbrock",
    "saddle",
]


def _frozen(values):
    array = np.array(values, dtype=np.float64)
    array.setflags(write=False)
    return array


# --- 1. scalar gates -----------------------------------------------------------

# f(x, y, z) = (x + y)·z with q = x + y: q = 3, f = -12, df/dx = df/dy = -4, df/dz = 3.
XYZ = {"x": -2.0, "y": 5.0, "z": -4.0}
# The same graph with the other set of numbers: q = 1, f = 5, df/dx = df/dy = 5, df/dz = 1.
XYZ_OTHER = {"x": -2.0, "y": 3.0, "z": 5.0}


# One example per gate pattern: inputs x (and y) and the upstream gradient(s).
GATE_EXAMPLES = {
    "add": {"x": 3.0, "y": 4.0, "upstream": 2.0},  # add distributes: both inputs get 2
    "mul": {"x": 2.0, "y": 3.0, "upstream": 5.0},  # mul swaps: x gets 3·5 = 15, y gets 2·5 = 10
    "max": {"x": 4.0, "y": 5.0, "upstream": 9.0},  # max routes: y is larger and gets 9, x gets 0
    "copy": {"x": 7.0, "upstream": 2.0, "upstream2": 4.0},  # copy adds: x gets 2 + 4 = 6
    "sigmoid": {"x": 1.0, "upstream": 1.0},  # fused sigmoid: s = 0.7311, local (1 - s)·s = 0.1966
}

# The sigmoid neuron f(w, x) = σ(w0·x0 + w1·x1 + w2): the dot product is 1, f = 0.7311,
# dw = (-0.1966, -0.3932, 0.1966), dx = (0.3932, -0.5898).
NEURON_W = (2.0, -3.0, -3.0)
NEURON_X = (-1.0, -2.0)


def neuron_values():
    """The neuron's five inputs by name, in the order the formula reads them: w0, x0, w1, x1, w2.

    >>> neuron_values()
    {'w0': 2.0, 'x0': -1.0, 'w1': -3.0, 'x1': -2.0, 'w2': -3.0}
    """
    (w0, w1, w2), (x0, x1) = NEURON_W, NEURON_X
    return {"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}


# --- 3. vector functions: f = ||W x||² -------------------------------------------

# q = W x = (0.22, 0.26), f = 0.116, df/dW = 2 q xᵀ = [[0.088, 0.176], [0.104, 0.208]], df/dx = 2 Wᵀ q = (-0.112, 0.636).
NORM_W = _frozen([[0.1, 0.5], [-0.3, 0.8]])
NORM_X = _frozen([0.2, 0.4])

# --- 4. implicit Jacobians --------------------------------------------------------

# ReLU at this x has the Jacobian diag(1, 1, 0, 1).
RELU_X = _frozen([1.0, 3.0, -2.0, 4.0])
# A 4096-wide elementwise layer on a minibatch of 100: its Jacobian has (4096·100)² = 1.68e11 entries.
LAYER_WIDTH = 4096
LAYER_BATCH = 100


def jacobian_memory(width, batch=LAYER_BATCH, itemsize=4):
    """Entries and bytes of the explicit Jacobian of an elementwise layer versus its implicit VJP.

    The layer maps ``batch * width`` numbers to as many, so its Jacobian has
    ``(batch * width) ** 2`` entries; the vector-Jacobian product only needs two
    vectors of ``batch * width`` numbers (the upstream gradient in, the downstream out).

    >>> jacobian_memory(4096, batch=100, itemsize=4)
    {'entries': 167772160000, 'explicit_bytes': 671088640000, 'implicit_bytes': 3276800}
    """
    size = int(batch) * int(width)
    entries = size * size
    return {"entries": entries, "explicit_bytes": entries * int(itemsize), "implicit_bytes": 2 * size * int(itemsize)}


# --- 5. Hessian-vector products ---------------------------------------------------
# Each function takes p whose first axis has length 2 (p[0] = x, p[1] = y): one point of
# shape (2,), or a whole grid of shape (2, H, W) at once. Tensors or numpy arrays.


def bowl(p):
    """x² + y²: curved up in every direction; at (1, 1) the gradient is (2, 2) and H = 2·I.

    >>> import backpropnb as bp
    >>> bp.grad(bowl)(np.array([1.0, 1.0])).tolist(), bp.hessian(bowl)(np.array([1.0, 1.0])).tolist()
    ([2.0, 2.0], [[2.0, 0.0], [0.0, 2.0]])
    """
    return p[0] ** 2 + p[1] ** 2


def saddle(p):
    """x² − y²: curved up along x, down along y; H = diag(2, −2) everywhere.

    >>> saddle(np.array([1.0, 2.0]))
    np.float64(-3.0)
    """
    return p[0] ** 2 - p[1] ** 2


def rosenbrock(p):
    """(1 − x)² + 100 (y − x²)²: a curved, narrow valley with its minimum at (1, 1).

    >>> rosenbrock(np.array([1.0, 1.0]))
    np.float64(0.0)
    """
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def named(t, name):
    """Give a value of a graph the name the lecture calls it by (drawings and texts show it); returns it.

    >>> import backpropnb as bp
    >>> q = named(bp.tensor(1.0) + bp.tensor(2.0), "q"); q.name
    'q'
    """
    t.name = name
    return t
