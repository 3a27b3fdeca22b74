"""Checkers for the classroom exercises in ``notebooks/exercises/``.

Each ``check_...`` function calls the student's code on fixed and seeded random
inputs, compares with the engine and with finite differences, prints one line
(a specific hint, "not implemented yet", or a success line) and returns
True/False; ``quiet=True`` prints nothing. The shared machinery is in
:mod:`backpropnb.exercises._check`; one module per notebook holds its checkers.

>>> from backpropnb.exercises import check_mul_backward
>>> check_mul_backward(lambda x, y, upstream: (y * upstream, x * upstream))
✓ mul_backward: all checks passed.
True
"""

# One module per exercise notebook, in the notebooks' order.
from .gates import (
    check_add_backward,
    check_copy_backward,
    check_max_backward,
    check_mul_backward,
    check_sigmoid_backward,
)
from .hvp import (
    check_classify_critical_point,
    check_gradient_norm_penalty,
    check_hvp_double_backprop,
    check_hvp_finite_difference,
    check_laplacian,
)
from .implicit import check_linear_backward, check_matmul_backward, check_relu_backward, check_relu_jacobian
from .jacobians import check_norm_wx_backward, check_square_map_jacobian
from .modular import check_multiply_function, check_neuron_flat, check_sigmoid_function
from .playground import check_l2_gradient, check_layer_gradient, check_smallest_layer, check_weight_gradient

__all__ = [
    # 01 scalar gates
    "check_add_backward",
    "check_mul_backward",
    "check_max_backward",
    "check_copy_backward",
    "check_sigmoid_backward",
    # 02 modular backprop
    "check_neuron_flat",
    "check_sigmoid_function",
    "check_multiply_function",
    # 03 vector Jacobians
    "check_norm_wx_backward",
    "check_square_map_jacobian",
    # 04 implicit Jacobians
    "check_relu_jacobian",
    "check_relu_backward",
    "check_matmul_backward",
    "check_linear_backward",
    # 05 Hessian-vector products
    "check_hvp_double_backprop",
    "check_hvp_finite_difference",
    "check_classify_critical_point",
    "check_laplacian",
    "check_gradient_norm_penalty",
    # 06 one weight's gradient (the network playground)
    "check_weight_gradient",
    "check_layer_gradient",
    "check_l2_gradient",
    "check_smallest_layer",
]
