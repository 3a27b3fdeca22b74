"""One name per idea (issue 18): the names the engine, ops, trace and formatting share mean one thing each.

``op`` is an op's name (a string), ``primitive`` the object that holds its rules; the older
names a notebook may use stay as aliases of the one implementation.
"""

from helpers import MySigmoid

import backpropnb as bp
from backpropnb.ops import PUBLIC, REGISTRY


def test_a_node_holds_its_op_name_and_its_primitive():
    x = bp.tensor(3.0, name="x")
    y = x * x + x
    assert (y.op, y.parents[0].op) == ("add", "mul")
    assert y.primitive is REGISTRY["add"] is PUBLIC["add"].primitive
    assert y.parents[0].primitive is REGISTRY["mul"]
    assert x.op is None and x.primitive is None
    assert float(y.primitive.vjp(bp.tensor(1.0, requires_grad=False), y, 0).data) == 1.0


def test_a_custom_gate_node_holds_its_gate_as_its_primitive():
    y = MySigmoid.apply(bp.tensor(0.0))
    assert y.op == "MySigmoid" and y.primitive.gate is MySigmoid
    assert float(y.primitive.vjp_arrays(1.0, y)[0]) == 0.25  # (1 - z) z at z = 1/2


def test_the_three_step_lists_are_the_same_steps():
    def graph():
        x, y, z = bp.tensor(-2.0, name="x"), bp.tensor(5.0, name="y"), bp.tensor(-4.0, name="z")
        return (x + y) * z

    def numbers(steps):
        return [(s.node.op, float(s.upstream), [float(d) for d in s.downstream]) for s in steps]

    f = graph()
    replayed, listed = bp.replay(f).steps, bp.backward_steps(f)
    assert numbers(replayed) == numbers(listed) == [("mul", 1.0, [-4.0, 3.0]), ("add", -4.0, [-4.0, -4.0])]
    assert [s.node for s in listed] == [s.node for s in replayed]
    assert numbers(bp.trace_backward(graph())) == numbers(listed)


def test_the_ops_read_a_tensors_numbers_as_the_engine_keeps_them():
    scalar, vector = bp.tensor(2.0), bp.tensor([1.0, 2.0])
    assert type(scalar.stored_data) is float and scalar.stored_data == 2.0
    assert vector.stored_data is vector.data
    scalar.data = 5.0  # assigned through .data (which counts the change), read back as kept
    assert scalar.stored_data == 5.0 and type(scalar.stored_data) is float


def test_numbers_have_one_formatter_and_the_older_names_are_it():
    from backpropnb import formatting, render
    from backpropnb.render import text
    from backpropnb.widgets import base

    assert base.fmt is render.format_number is text.format_number is formatting.format_number
    assert formatting.format_number(-0.0) == "0" and formatting.format_number(0.19661193) == "0.1966"
