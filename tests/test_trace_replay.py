"""trace.replay: the backward pass replayed lazily, once per graph, without side effects."""

import numpy as np
import pytest

import backpropnb as bp
from backpropnb import tensor
from backpropnb.render import draw


def neuron():
    w0, x0, w1, x1, w2 = (
        tensor(v, name=n) for v, n in zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"])
    )
    return (w0, x0, w1, x1, w2), (w0 * x0 + w1 * x1 + w2).sigmoid()


def test_the_replay_gives_the_steps_of_the_real_backward_pass():
    leaves, f = neuron()
    replayed = bp.replay(f).steps
    assert all(leaf.grad is None for leaf in leaves) and f.grad is None
    traced = bp.trace_backward(f)
    assert [s.node for s in replayed] == [s.node for s in traced]
    for a, b in zip(replayed, traced):
        np.testing.assert_allclose(a.upstream, b.upstream)
        assert [None if d is None else float(d) for d in a.downstream] == [
            None if d is None else float(d) for d in b.downstream
        ]
        np.testing.assert_allclose(a.local, b.local)
    grads = [float(leaf.grad) for leaf in leaves]
    np.testing.assert_allclose(grads, [-0.19661193, 0.39322387, -0.39322387, -0.5898358, 0.19661193], rtol=1e-6)


def test_a_replay_runs_only_the_steps_asked_for_and_keeps_them():
    y = x = tensor(1.0, name="x")
    for _ in range(1000):
        y = y * 1.001
    r = bp.replay(y)
    assert len(r) == 1000
    moment = r.at(4)
    assert len(r._steps) == 5  # steps 0..4 only
    assert moment.status(r.nodes[4]) == "current" and moment.status(r.nodes[5]) == "todo"
    assert moment.status(r.nodes[3]) == "done" and moment.status(x) == "todo"
    first = r.step(0)
    r.at(2)
    assert r.step(0) is first and len(r._steps) == 5  # going back computes nothing
    np.testing.assert_allclose(r.at(999).grad(x), 1.001**1000, rtol=1e-9)
    assert x.grad is None


def test_a_moment_shows_partial_gradients_of_a_copy_gate():
    x = tensor(3.0, name="x")
    a, b = x * 2.0, x * 5.0
    f = a + b
    r = bp.replay(f)
    first_mul = next(i for i, n in enumerate(r.nodes) if n.op == "mul")
    moment = r.at(first_mul)
    assert moment.partial(x) and float(moment.grad(x)) in (2.0, 5.0)
    last = r.at(len(r) - 1)
    assert not last.partial(x) and float(last.grad(x)) == 7.0 and last.status(x) == "done"
    assert moment.sent(f) is not None and last.sent(x) is None


def test_after_backward_the_replay_starts_from_the_stored_seed():
    x = tensor([1.0, -2.0], name="x")
    y = x * 3
    with pytest.raises(ValueError, match=r"replay: y has shape \(2,\).*y.backward\(grad\)"):
        bp.replay(y)
    y.backward(np.array([1.0, 10.0]))
    assert bp.replay(y).step(0).downstream[0].tolist() == [3.0, 30.0]
    assert bp.replay(y, np.array([2.0, 0.0])).step(0).downstream[0].tolist() == [6.0, 0.0]
    assert x.grad.tolist() == [3.0, 30.0]


def test_steps_out_of_range_and_wrong_inputs_are_refused_with_the_reason():
    _, f = neuron()
    r = bp.replay(f)
    with pytest.raises(ValueError, match="has 5 steps, so pass step=0 to step=4"):
        r.at(5)
    with pytest.raises(ValueError, match="integer"):
        r.at(1.0)
    with pytest.raises(ValueError, match="0 steps"):
        bp.replay(tensor(1.0)).at(0)
    with pytest.raises(TypeError, match="replay: expected a backpropnb Tensor"):
        bp.replay(3.0)
    with pytest.raises(ValueError, match="replay must be backpropnb.replay"):
        draw(f, step=0, replay=bp.replay(neuron()[1]))


def test_a_second_backward_through_a_drawn_graph_still_raises_and_drawing_is_still_free():
    leaves, f = neuron()
    f.backward()
    r = bp.replay(f)
    for k in range(len(r)):
        draw(f, step=k, replay=r)
    draw(f)
    assert bp.backward_steps(f)[0].node is f
    with pytest.raises(ValueError, match="already backpropagated"):
        bp.trace_backward(f)
    assert float(leaves[0].grad) == pytest.approx(-0.19661193)  # not doubled
