"""NetworkPlayground's contract: its arguments, every control reachable, what it shows, and its errors."""

from __future__ import annotations

import inspect
import io
import re

import numpy as np
import pytest

import backpropnb as bp
from backpropnb.playground import DATASETS, FEATURES
from backpropnb.widgets import NetworkPlayground
from backpropnb.widgets._static import mimebundle

CONTROLS = (
    "dataset",
    "features",
    "hidden",
    "activation",
    "learning_rate",
    "batch_size",
    "regularization",
    "reg_rate",
    "noise",
    "train_fraction",
    "play",
    "step",
    "reset",
    "mode",
)


def test_the_signature_and_the_controls_are_the_contract():
    assert bp.widgets.NetworkPlayground is NetworkPlayground
    params = inspect.signature(NetworkPlayground).parameters
    expected = dict(
        dataset="circle",
        hidden=(4, 2),
        activation="tanh",
        learning_rate=0.03,
        batch_size=10,
        regularization=None,
        reg_rate=0.0,
        noise=0.0,
        train_fraction=0.5,
        seed=0,
        X=None,
        y=None,
    )
    assert {name: params[name].default for name in expected} == expected
    pg = NetworkPlayground()
    assert set(CONTROLS) <= set(pg.controls)
    assert pg.history == [
        {"step": 0, "train_loss": pg.history[0]["train_loss"], "test_loss": pg.history[0]["test_loss"]}
    ]


def press(button):
    button.click()


def test_play_step_and_reset():
    pg = NetworkPlayground(seed=0)
    pg.controls["play"].value += 1  # a frame of play: one step
    pg.controls["play"].value += 1
    assert pg.trainer.steps == 2 and len(pg.history) == 3
    press(pg.controls["step"])
    assert pg.trainer.steps == 3
    loss = pg.step(7)
    assert loss == pg.history[-1]["train_loss"] and [h["step"] for h in pg.history] == list(range(11))
    assert "step 10" in pg.readout.value
    first_weights = NetworkPlayground(seed=0).trainer.weights[0].data
    press(pg.controls["reset"])
    assert pg.trainer.steps == 0 and np.array_equal(pg.trainer.weights[0].data, first_weights)
    assert pg.last_error is None


@pytest.mark.parametrize("name", DATASETS)
def test_every_data_set_trains_in_the_widget(name):
    pg = NetworkPlayground()
    pg.controls["dataset"].value = name
    assert pg.trainer.dataset == name and pg.trainer.steps == 0
    pg.step(20)
    assert pg.last_error is None and len(pg.history) == 21
    assert pg.boundary.value.count("<circle") == 200


def test_every_setting_control_reaches_the_trainer():
    pg = NetworkPlayground(seed=0)
    c = pg.controls
    c["features"].value = ("x1", "x2", "x1·x2")
    assert pg.trainer.features == ("x1", "x2", "x1·x2") and pg.trainer.weights[0].shape == (3, 4)
    c["hidden"].value = "3, 3, 2"
    assert pg.trainer.hidden == (3, 3, 2)
    c["hidden"].value = (5,)
    assert c["hidden"].value == "5" and pg.trainer.hidden == (5,)
    press(c["add_layer"])
    assert pg.trainer.hidden == (5, 5)
    press(c["remove_layer"]), press(c["remove_layer"])
    assert pg.trainer.hidden == () and [w.shape for w in pg.trainer.weights] == [(3, 1)]
    for activation in ("relu", "sigmoid", "linear", "tanh"):
        c["activation"].value = activation
        assert pg.trainer.activation == activation
    pg.step(3)
    c["learning_rate"].value = 0.3
    c["batch_size"].value = 25
    c["regularization"].value = "L2"
    c["reg_rate"].value = 0.01
    assert pg.trainer.steps == 3  # these change the next steps, not the network
    assert (pg.trainer.learning_rate, pg.trainer.batch_size, pg.trainer.regularization, pg.trainer.reg_rate) == (
        0.3,
        25,
        "L2",
        0.01,
    )
    pg.step()
    assert len(pg.trainer.last.batch) == 25 and pg.explain_weight(0, 0, 0).regularization == pytest.approx(
        0.01 * pg.trainer.last.weights[0][0, 0]
    )
    c["regularization"].value = "none"
    assert pg.trainer.regularization is None
    c["noise"].value = 0.3
    c["train_fraction"].value = 0.7
    assert pg.trainer.noise == 0.3 and len(pg.trainer.train_index) == 140 and pg.trainer.steps == 0
    assert pg.last_error is None


def test_a_refused_setting_is_shown_and_the_network_stays():
    pg = NetworkPlayground()
    before = pg.trainer
    pg.controls["features"].value = ()
    assert "no feature is chosen" in str(pg.last_error) and "no feature is chosen" in pg.error_area.value
    assert pg.trainer is before
    pg.controls["features"].value = ("x1",)
    assert pg.last_error is None and pg.trainer.features == ("x1",)
    before = pg.trainer
    pg.controls["hidden"].value = "4, x"
    assert "hidden='4, x' must list the neurons" in str(pg.last_error) and pg.trainer is before
    pg.controls["hidden"].value = "4"
    assert pg.last_error is None and pg.trainer.hidden == (4,)


def test_mode_switches_the_edges_from_weights_to_gradients():
    pg = NetworkPlayground(hidden=(2,), seed=0)
    pg.step()
    forward = pg.network.value
    assert "edges: the weights" in forward
    pg.controls["mode"].value = "backward"
    backward = pg.network.value
    assert "the last step’s gradients" in backward
    grads = pg.trainer.last.weight_grads
    largest = max(float(np.max(np.abs(g))) for g in grads)
    assert f"largest {bp.formatting.format_number(largest)}" in backward
    for k, g in enumerate(grads):  # each edge's tooltip holds its gradient, and its colour is the sign's
        for (i, j), value in np.ndenumerate(g):
            tip = f"W{k}[{i}, {j}] "
            edge = re.search(rf"stroke='(#\w+)'[^>]*><title>{re.escape(tip)}[^:]*: ([^<]+)</title>", backward)
            assert edge and edge.group(2) == bp.formatting.format_number(value)
            assert edge.group(1) == ("#0877bd" if value > 0 else "#f59322")


def test_gradient_norms_need_a_step_and_then_give_one_per_layer():
    pg = NetworkPlayground(hidden=(4, 2))
    with pytest.raises(ValueError, match=r"no step has been trained yet"):
        pg.gradient_norms()
    pg.step()
    norms = pg.gradient_norms()
    assert norms == [float(np.linalg.norm(g)) for g in pg.trainer.last.weight_grads] and len(norms) == 3
    assert any(line.startswith("gradient norm per layer: W0 ") for line in pg.lines)


def test_explaining_a_weight_selects_it_and_shows_its_numbers():
    pg = NetworkPlayground(hidden=(3,), seed=2)
    pg.step(4)
    e = pg.explain_weight(0, 1, 2)
    assert pg.controls["weight"].value == (0, 1, 2)
    shown = pg.explanation.value
    assert "dL/dW0[1, 2]" in shown and f"= {bp.formatting.format_number(e.total)}" in shown
    assert e.total == pytest.approx(pg.trainer.finite_difference(0, 1, 2), rel=1e-6)
    pg.controls["example"].value = 3
    example, up, local, product = e.terms[3]
    assert f"example {example}: upstream {bp.formatting.format_number(up)}" in pg.explanation.value
    stepper = pg.show_path()
    assert stepper is pg.stepper and pg.path.children[1] is stepper
    assert "example " in pg.path.children[0].value
    stepper.controls["step"].value = stepper.controls["step"].max  # the whole backward pass of that example
    assert bp.formatting.format_number(product) in "\n".join(stepper.lines)  # w's gradient, at the last step
    out, leaf = pg.trainer.example_path(0, 1, 2, example)
    out.backward()
    assert float(leaf.grad) == pytest.approx(product, rel=1e-12)
    pg.step()  # a new step: the old path is gone (its numbers are stale)
    assert pg.path.children == ()


def test_own_data():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    pg = NetworkPlayground(X=X, y=y, hidden=(2,), learning_rate=1.0)
    assert pg.controls["dataset"].value == "own" and pg.trainer.dataset == "own"
    pg.step(100)
    assert pg.history[-1]["train_loss"] < 0.25
    pg.controls["hidden"].value = "3"  # a new network on the same points
    assert np.array_equal(pg.trainer.points, X)
    with pytest.raises(ValueError, match=r"NetworkPlayground: X has shape \(60,\)"):
        NetworkPlayground(X=X[:, 0], y=y)


def test_snapshot_is_a_png_of_what_it_shows():
    from PIL import Image

    pg = NetworkPlayground(seed=0)
    pg.step(5)
    png = pg.snapshot()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 900 and image.size[1] > 300


def test_the_static_picture_has_every_drawing_as_an_image():
    pg = NetworkPlayground(seed=0)
    pg.step(3)
    page = mimebundle(pg)["text/html"]
    assert "<svg" not in page.replace("data:image/svg+xml", "")  # inline SVG is stripped by GitHub: images only
    assert page.count("data:image/svg+xml;base64,") >= 3  # the network, the boundary, the curves
    assert "learning rate: 0.03" in page and "data: circle" in page


def test_a_learning_rate_not_in_the_list_is_added_to_it():
    pg = NetworkPlayground(learning_rate=0.05)
    assert pg.controls["learning_rate"].value == 0.05 and 0.05 in pg.controls["learning_rate"].options
    assert pg.trainer.learning_rate == 0.05


def test_korean_labels():
    bp.set_language("ko")
    try:
        pg = NetworkPlayground()
        assert (
            pg.controls["learning_rate"].description == "학습률"
            and pg.controls["mode"].options[1][0] == "그래디언트 (역전파)"
        )
        assert "층별 그래디언트 노름" in pg.curves.value
    finally:
        bp.set_language("en")


def test_features_control_offers_the_seven():
    assert NetworkPlayground().controls["features"].options == FEATURES
