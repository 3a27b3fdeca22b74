"""The playground's maths (backpropnb/playground.py): data sets, features, training, and one weight's gradient.

The numeric truth: the gradient the playground explains (a sum over the batch of
upstream × local, plus the penalty) is the gradient the engine used, and a
central finite difference of the step's objective, in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backpropnb.playground import (
    DATASETS,
    FEATURES,
    Trainer,
    check_data,
    data_loss,
    features_of,
    grid_activations,
    make_dataset,
)


@pytest.mark.parametrize("name", DATASETS)
def test_every_data_set_is_balanced_and_in_the_plane(name):
    X, y = make_dataset(name, n=200, seed=3)
    assert X.shape == (200, 2) and y.shape == (200,)
    assert set(y.tolist()) == {0, 1}
    if name in ("xor", "sine"):  # labelled by where the points fell: about half each
        assert 70 <= y.sum() <= 130
    else:
        assert y.sum() == 100
    assert np.all(np.abs(X) <= 6.0)


def test_the_data_sets_are_the_shapes_they_are_named_for():
    X, y = make_dataset("circle", n=400, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() <= 2.5 and radius[y == 0].min() >= 3.5
    X, y = make_dataset("xor", n=400, seed=0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] > 0).astype(int))
    X, y = make_dataset("sine", n=400, seed=0)
    assert np.array_equal(y, (X[:, 1] > np.sin(X[:, 0])).astype(int))
    X, y = make_dataset("gauss", n=400, seed=0)
    assert np.allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.2) and np.allclose(
        X[y == 0].mean(axis=0), [-2, -2], atol=0.2
    )
    clean, _ = make_dataset("spiral", n=200, seed=0)
    noisy, _ = make_dataset("spiral", n=200, noise=0.5, seed=0)
    assert 0.5 < np.abs(noisy - clean).mean() < 1.5  # noise 0.5 moves the points by about a unit


def test_features_are_the_seven_of_tensorflow_playground():
    X = np.array([[2.0, -1.0]])
    assert features_of(X, FEATURES).tolist() == [[2.0, -1.0, 4.0, 1.0, -2.0, math.sin(2.0), math.sin(-1.0)]]


def test_the_loss_is_the_cross_entropy_of_the_output_probability():
    logits, labels = np.array([2.0, -1.0, 800.0, -800.0]), np.array([1, 0, 1, 0])
    from backpropnb import tensor

    p = 1 / (1 + np.exp(-logits[:2]))
    expected = (-math.log(p[0]) - math.log(1 - p[1]) + 0.0 + 0.0) / 4
    assert float(data_loss(tensor(logits), labels).data) == pytest.approx(expected, rel=1e-12)  # no overflow at ±800


def test_training_lowers_both_losses_on_the_gauss_set():
    t = Trainer(dataset="gauss", hidden=(4, 2), seed=0)
    first = t.history[0]
    t.step(200)
    assert [h["step"] for h in t.history] == list(range(201))
    assert (
        t.history[-1]["train_loss"] < 0.1 * first["train_loss"]
        and t.history[-1]["test_loss"] < 0.1 * first["test_loss"]
    )
    accuracy = ((t.probabilities(t.points) > 0.5) == t.labels).mean()
    assert accuracy == 1.0


def test_features_beat_depth_on_the_circle():
    """x1² and x2² make the circle linearly separable: one small layer learns what x1, x2 alone do not."""
    plain = Trainer(dataset="circle", hidden=(2,), features=("x1", "x2"), learning_rate=0.1, seed=0)
    squares = Trainer(dataset="circle", hidden=(2,), features=("x1", "x2", "x1²", "x2²"), learning_rate=0.1, seed=0)
    plain.step(400), squares.step(400)
    assert squares.history[-1]["test_loss"] < 0.2 < plain.history[-1]["test_loss"]


def test_a_learning_rate_too_large_makes_the_loss_jump():
    runs = {}
    for rate in (0.3, 10.0):
        t = Trainer(dataset="circle", hidden=(4, 2), learning_rate=rate, seed=0)
        t.step(300)
        runs[rate] = np.array([h["train_loss"] for h in t.history])
    assert runs[0.3][-1] < 0.1  # a good rate: the loss settles near 0
    assert runs[10.0].max() > 4.0 and runs[10.0][-1] > 5 * runs[0.3][-1]  # too large: it overshoots and bounces


def test_sigmoid_gradients_vanish_in_a_deep_narrow_net_and_relu_ones_do_not():
    norms = {}
    for activation in ("sigmoid", "relu"):
        t = Trainer(dataset="circle", hidden=(4,) * 6, activation=activation, seed=0)
        t.step(20)
        norms[activation] = np.mean(t.norm_history, axis=0)
    sigmoid, relu = norms["sigmoid"], norms["relu"]
    assert len(sigmoid) == 7
    assert sigmoid[0] / sigmoid[-1] < 1e-3  # the first layer learns about ten thousand times slower
    assert np.all(np.diff(np.log(sigmoid)) > 0)  # smaller at every layer further from the output
    assert relu[0] / relu[-1] > 0.5


CONFIGS = [
    dict(activation="tanh"),
    dict(activation="relu", hidden=(5, 3)),
    dict(activation="sigmoid", hidden=(3,)),
    dict(activation="linear", hidden=(2, 2)),
    dict(activation="tanh", regularization="L2", reg_rate=0.03),
    dict(activation="relu", regularization="L1", reg_rate=0.01, features=("x1", "x2", "x1·x2", "sin x1")),
    dict(activation="tanh", hidden=()),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_explained_gradient_is_the_engines_and_a_finite_difference(config):
    t = Trainer(dataset="xor", seed=4, **config)
    t.step(5)
    for layer, g in enumerate(t.last.weight_grads):
        i, j = np.unravel_index(np.argmax(np.abs(g)), g.shape)  # the largest: a difference well above rounding
        e = t.explain_weight(layer, int(i), int(j))
        assert e.engine_grad == g[i, j]
        assert e.total == pytest.approx(e.engine_grad, rel=1e-12, abs=1e-15)
        assert sum(term[3] for term in e.terms) == pytest.approx(e.data_part, rel=1e-12)
        assert all(p == pytest.approx(u * a, rel=1e-15) for _, u, a, p in e.terms)
        assert t.finite_difference(layer, int(i), int(j)) == pytest.approx(e.total, rel=1e-6, abs=1e-10)
        rate, w = t.reg_rate if t.regularization else 0.0, e.weight
        expected_reg = {None: 0.0, "L1": rate * np.sign(w), "L2": rate * w}[t.regularization]
        assert e.regularization == pytest.approx(expected_reg, rel=1e-15)


def test_each_examples_path_graph_backpropagates_to_its_term():
    t = Trainer(dataset="moons", hidden=(3, 2), activation="tanh", seed=1)
    t.step(3)
    for layer in range(3):
        e = t.explain_weight(layer, 0, 1 if layer < 2 else 0)
        for example, _, _, product in e.terms:
            out, w = t.example_path(layer, e.i, e.j, example)
            out.backward()
            assert float(w.grad) == pytest.approx(product, rel=1e-12, abs=1e-18)


def test_explaining_refuses_what_is_not_there():
    t = Trainer(hidden=(4,), seed=0)
    with pytest.raises(ValueError, match=r"no step has been trained yet; call \.step\(\) first"):
        t.explain_weight(0, 0, 0)
    t.step()
    with pytest.raises(ValueError, match=r"no weight W0\[2, 0\]; W0 is 2×4 and W1 is 4×1"):
        t.explain_weight(0, 2, 0)
    with pytest.raises(ValueError, match=r"example 9999 was not in the last step's batch; pick one of \["):
        t.example_path(0, 0, 0, 9999)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dataset="blobs"), r"dataset='blobs' is not a built-in set; pick one of \['circle', 'xor'"),
        (dict(hidden=(4, 0)), r"hidden=\(4, 0\) must list the neurons of each hidden layer"),
        (dict(hidden="four"), r"hidden='four' must list"),
        (dict(activation="gelu"), r"activation='gelu' is not one of \['tanh', 'relu', 'sigmoid', 'linear'\]"),
        (dict(regularization="L3"), r"regularization='L3' is not one of \[None, 'L1', 'L2'\]"),
        (dict(noise=0.9), r"noise=0.9 must be a number from 0.0 to 0.5"),
        (dict(train_fraction=1.0), r"train_fraction=1.0 must be a number from 0.1 to 0.9"),
        (dict(batch_size=0), r"batch_size=0 must be a whole number from 1 to 200"),
        (dict(features=("x3",)), r"'x3' is not a feature; pick one or more of \['x1', 'x2'"),
        (dict(features=()), r"no feature is chosen"),
        (dict(X=np.zeros((5, 3)), y=np.zeros(5)), r"X has shape \(5, 3\) and dtype float64; it must be an n×2 array"),
        (
            dict(X=np.zeros((5, 2)), y=np.zeros(4)),
            r"y has shape \(4,\); it must hold one label per row of X, shape \(5,\)",
        ),
        (dict(X=np.zeros((3, 2)), y=[0, 1, 2]), r"y must hold the labels 0 and 1 only; it has 2"),
        (dict(X=np.zeros((3, 2))), r"own data needs both X \(n×2 points\) and y \(n labels 0/1\); y is missing"),
        (dict(X=[[0, np.nan], [1, 1]], y=[0, 1]), r"X holds 1 nan or infinite values"),
    ],
)
def test_bad_arguments_name_what_they_got_and_what_is_needed(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Trainer(where="NetworkPlayground", **kwargs)


def test_own_data_is_used_as_given_and_drawn_around_its_box():
    rng = np.random.default_rng(0)
    X = rng.normal(10.0, 1.0, (40, 2))
    y = (X[:, 0] > 10).astype(int)
    t = Trainer(X=X, y=y, hidden=(3,), seed=0)
    assert t.dataset == "own" and np.array_equal(t.points, X) and np.array_equal(t.labels, y)
    assert len(t.train_index) == 20 and set(t.train_index) | set(t.test_index) == set(range(40))
    extent, maps = grid_activations(t, resolution=6)
    assert extent[0] < X[:, 0].min() and extent[1] > X[:, 0].max() and extent[2] < X[:, 1].min()
    assert [m.shape for m in maps] == [(2, 6, 6), (3, 6, 6), (1, 6, 6)]
    assert check_data("x", X.astype(np.float32), y.astype(bool))[0].dtype == np.float64


def test_the_grid_holds_every_neurons_values_and_the_output_probability():
    t = Trainer(hidden=(3,), seed=0)
    extent, maps = grid_activations(t, resolution=5)
    assert np.allclose(maps[0][0][0], np.linspace(-6, 6, 5)) and np.allclose(maps[0][1][:, 0], np.linspace(6, -6, 5))
    corner = np.array([[-6.0, 6.0]])
    assert maps[2][0][0, 0] == pytest.approx(t.probabilities(corner)[0], rel=1e-12)
    zs, acts = t.forward(corner)
    assert maps[1][:, 0, 0] == pytest.approx(acts[1].data[0], rel=1e-12)


def test_batches_visit_every_training_point_once_an_epoch():
    t = Trainer(batch_size=10, train_fraction=0.5, seed=0)
    seen = np.concatenate([t.next_batch() for _ in range(10)])
    assert sorted(seen.tolist()) == sorted(t.train_index.tolist())
