"""The two backward paths give the same numbers, bit for bit, for every op.

``backward()`` runs each op's rules on plain numpy arrays (``backprop_arrays``);
``create_graph=True``, the replay and the stepper run the same rules as engine
ops on Tensors (``backprop``). The property cases of every registered op are
pushed through both, in float64 and float32, and every node's gradient must be
the same array: same values, same dtype, same shape.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engine_properties import CASES, SETTINGS, loss_of
from test_render_graph import Cube  # a custom gate x**3 with a hand-written backward

import backpropnb as bp
from backpropnb.engine import Tensor, backprop, backprop_arrays, seed_for, topological_order
from backpropnb.ops import PUBLIC, REGISTRY


def both_paths(f, arrays, dtype):
    inputs = [bp.tensor(np.asarray(a, dtype=dtype)) for a in arrays]
    y = f(*inputs)
    shape = y.shape
    loss = loss_of(lambda *xs: f(*xs), shape)(*inputs)
    order = topological_order(loss)
    on_tensors = backprop(loss, order=order)
    on_arrays = backprop_arrays(loss, seed_for(loss, None).stored_data, order=order)
    return on_tensors, on_arrays


def assert_same(on_tensors, on_arrays, what):
    assert {id(node) for node in on_arrays} == on_tensors.keys(), what
    for node, gradient in on_tensors.values():
        ours = np.asarray(on_arrays[node])
        theirs = gradient.data
        label = f"{what}: gradient of {node.name or node.op or 'a leaf'}"
        assert ours.shape == theirs.shape, label
        assert ours.dtype == theirs.dtype, label
        np.testing.assert_array_equal(ours, theirs, err_msg=label)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
@SETTINGS
@given(data=st.data())
def test_plain_and_recorded_backward_agree_bit_for_bit(name, dtype, data):
    case = data.draw(CASES[name], label="case")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float32 casts of extreme draws may overflow alike
        on_tensors, on_arrays = both_paths(case.f, case.inputs, dtype)
    assert_same(on_tensors, on_arrays, f"{name} ({np.dtype(dtype).name})")


def test_a_step_that_divides_by_zero_is_redone_on_tensors_and_named():
    z = bp.tensor(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = bp.tensor(1.0) / (z * 1.0)  # inf, with the forward's own warning
    with pytest.warns(RuntimeWarning, match="div: divide by zero"):
        y.backward()  # the rule 1/b at b = 0: numpy's warning, named after the op as on Tensors
    assert np.isinf(z.grad)


def test_an_overflowing_step_warns_as_on_tensors():
    x = bp.tensor(1e200)
    y = x * 1e10  # 1e210: fine
    with pytest.warns(RuntimeWarning, match="overflow"):
        y.backward(np.array(1e300))  # the rule g · 1e10 overflows
    assert np.isinf(x.grad)


def test_a_custom_gate_runs_on_arrays_in_the_first_order_pass():
    x = bp.tensor([1.0, 2.0])
    (Cube.apply(x) * bp.tensor([1.0, -1.0], requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -12.0])
    assert isinstance(x.grad, np.ndarray) and x.grad.flags.writeable


def test_plain_gradients_are_private_arrays():
    a = bp.tensor([1.0, 2.0])
    y = a + a  # the add rule hands one array to both branches: each .grad must still be its own
    y.sum().backward()
    assert a.grad is not y.grad and not np.shares_memory(a.grad, y.grad)
    a.grad[0] = 99.0
    assert y.grad[0] == 1.0
    assert isinstance(Tensor, type)


# --- float64 scalars are kept as Python floats inside, and never show it ---------------------------


def test_a_scalar_reads_as_a_0d_array_and_writes_stay():
    x = bp.tensor(2.0)
    assert type(x.data) is np.ndarray and x.data.shape == () and x.data.dtype == np.float64
    assert x.data is x.data
    x.data[...] = 5.0  # a write into the array is kept
    assert float(x.data) == 5.0 and x.shape == () and x.dtype == np.float64 and x.detach().item() == 5.0
    y = x * x
    y.backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64 and float(x.grad) == 10.0
    x.grad[...] = 1.0  # .grad is writable and private
    assert float(x.grad) == 1.0 and float(y.grad) == 1.0


def on_one_or_two(function, arity):
    """``function`` called with (a, b): a one-input op reads a only."""
    return (lambda a, b: function(a, b)) if arity == 2 else (lambda a, b: function(a))


def test_scalar_ops_give_numpys_numbers_bit_for_bit():
    rng = np.random.default_rng(0)
    values = rng.normal(0, 3, 50)
    specials = [0.0, -0.0, 1e-300, -1e300, 7.0, np.inf, np.nan]  # ties, signed zeros, extremes
    pairs = [*zip(values, reversed(values)), *((a, b) for a in specials for b in specials)]
    # every op with a forward on Python floats (the registry's ``scalar``), through its public function
    functions = {
        name: on_one_or_two(PUBLIC[name], len(primitive.rules))
        for name, primitive in REGISTRY.items()
        if primitive.scalar is not None
    }
    assert {"add", "mul", "neg", "tanh", "sigmoid", "relu", "max"} <= functions.keys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, function in functions.items():
            for a, b in pairs:
                fast = function(bp.tensor(float(a)), bp.tensor(float(b))).data
                arrays = function(bp.tensor([a]), bp.tensor([b])).data[0]  # the same op on 1-element arrays
                np.testing.assert_array_equal(fast, arrays, err_msg=f"{name}({a}, {b})")
                assert np.signbit(fast) == np.signbit(arrays) or np.isnan(fast), f"{name}({a}, {b}) sign"


def test_scalar_division_by_zero_is_numpys_inf_with_the_named_warning():
    with pytest.warns(RuntimeWarning, match="div: divide by zero"):
        y = bp.tensor(1.0) / bp.tensor(0.0)
    assert float(y.data) == np.inf
    with pytest.warns(RuntimeWarning, match="overflow"):
        z = bp.tensor(1e300) * bp.tensor(1e300)
    assert float(z.data) == np.inf


def test_assigning_data_of_a_scalar_is_counted():
    w = bp.tensor(3.0)
    y = w * 2.0
    w.data = 4.0
    with pytest.raises(ValueError, match="got new .data"):
        y.backward()
    w.data -= 1.0  # the in-place update of a training loop, then a fresh graph: fine
    (w * 2.0).backward()
    assert float(w.grad) == 2.0 and float(w.data) == 3.0


def test_float32_scalars_stay_float32():
    x = bp.tensor(np.float32(1.5))
    y = x * 2 + x.tanh()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert float(x.grad) == pytest.approx(2 + 1 - np.tanh(1.5) ** 2, rel=1e-6)


def test_a_backward_pass_leaves_the_garbage_collector_as_it_found_it():
    import gc

    x = bp.tensor(2.0)
    assert gc.isenabled()
    (x * x).backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * x).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError, match="seed gradient has shape"):
        bp.tensor([1.0, 2.0]).sum().backward(np.ones(2))
    assert gc.isenabled()


def test_a_grad_written_in_place_never_changes_another_nodes_grad():
    # x's gradient is a view (a transpose) of t's: writing into t.grad first must not reach x.grad
    x = bp.tensor(np.arange(6.0).reshape(2, 3))
    t = x.T
    (t * bp.tensor(np.full((3, 2), 2.0), requires_grad=False)).sum().backward()
    t.grad[...] = 0.0
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))
    # and the add gate: both inputs receive one array
    a, b = bp.tensor([1.0, 2.0]), bp.tensor([3.0, 4.0])
    s = a + b
    (s * 3.0).sum().backward()
    a.grad[0] = 99.0
    np.testing.assert_array_equal(b.grad, [3.0, 3.0])
    np.testing.assert_array_equal(s.grad, [3.0, 3.0])
