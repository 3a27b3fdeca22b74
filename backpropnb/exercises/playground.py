"""Checkers for exercise 06: one weight's gradient, as the network playground makes it.

The numbers come from real training steps of the playground's network
(:class:`backpropnb.playground.Trainer`, seeded), so a right answer reproduces
the gradient the engine's backward pass used in that step, and then seeded
random batches of other sizes.

>>> import numpy as np
>>> check_weight_gradient(lambda upstream, local: np.sum(upstream * local))
✓ weight_gradient: all checks passed.
True
"""

from __future__ import annotations

import numpy as np

from ..i18n import text
from ..playground import Trainer
from ._check import CheckFailed, call, checker, describe, expect_close, random_generator, to_array

__all__ = ["check_l2_gradient", "check_layer_gradient", "check_smallest_layer", "check_weight_gradient"]


def _trained(steps=5, **settings):
    """A seeded playground network after ``steps`` training steps (its ``last`` step holds every number)."""
    trainer = Trainer(seed=0, **settings)
    trainer.step(steps)
    return trainer


# --- 1. one weight: the sum over the batch of upstream × local -------------------------------


def _weight_cases():
    """(upstream, local, engine's gradient, where): the notebook's weight first, then random batches."""
    trainer = _trained(dataset="xor", hidden=(3,))
    cases = []
    for layer, i, j in [(0, 1, 2), (1, 2, 0)]:
        explained = trainer.explain_weight(layer, i, j)
        upstream = np.array([u for _, u, _, _ in explained.terms])
        local = np.array([a for _, _, a, _ in explained.terms])
        cases.append((upstream, local, explained.engine_grad, f"W{layer}[{i}, {j}]"))
    rng = random_generator(60)
    for size in (1, 4, 25):
        upstream, local = rng.normal(size=size) / size, rng.normal(size=size)
        cases.append((upstream, local, float(np.sum(upstream * local)), f"B={size}"))
    return cases


@checker("weight_gradient")
def check_weight_gradient(weight_gradient):
    """Check ``weight_gradient(upstream, local)`` -> dL/dw, the sum over the batch of upstream × local.

    ``upstream`` holds dL/dz_j for each example of the batch (the batch mean's 1/B already in it),
    ``local`` the activation a_i that feeds the weight in each example: both 1-d arrays of length B.

    >>> check_weight_gradient(lambda upstream, local: np.mean(upstream * local))
    ✗ weight_gradient: ...do not average them again).
    False
    """
    for upstream, local, expected, where in _weight_cases():
        got = call(weight_gradient, upstream.copy(), local.copy())
        size = upstream.size
        answer = to_array(got, "dL/dw")
        if answer is not None and answer.shape == upstream.shape and size > 1:
            raise CheckFailed(text("checkers.playground.not_summed", shape=answer.shape))
        mistakes = [(upstream.sum() * local.sum(), text("checkers.playground.sum_of_products"))]
        if size > 1:
            mistakes.insert(0, (expected / size, text("checkers.playground.averaged")))
        mistakes += [
            (upstream.sum(), text("checkers.playground.upstream_only")),
            (local.sum(), text("checkers.playground.local_only")),
        ]
        expect_close("dL/dw", got, expected, at=f"{where}, B={size}", of="w", mistakes=mistakes, rtol=1e-6, atol=1e-12)


# --- 2. a whole layer: Aᵀ · upstream ------------------------------------------------------


def _layer_cases():
    """(A, upstream, engine's dL/dW, where) for each weight matrix of a trained (4, 2) network."""
    trainer = _trained(dataset="circle", hidden=(4, 2))
    last = trainer.last
    cases = []
    for layer in range(len(trainer.weights)):
        A, upstream = last.activations[layer], last.upstream[layer]
        cases.append((A, upstream, last.weight_grads[layer], f"W{layer}, A {A.shape}, upstream {upstream.shape}"))
    return cases


@checker("layer_gradient")
def check_layer_gradient(layer_gradient):
    """Check ``layer_gradient(A, upstream)`` -> dL/dW = Aᵀ · upstream for a whole weight matrix at once.

    ``A`` is B × n_in (each row one example's activations feeding the layer), ``upstream`` is
    B × n_out (dL/dz of the layer's neurons); dL/dW is n_in × n_out, like W.

    >>> check_layer_gradient(lambda A, upstream: A.T @ upstream)
    ✓ layer_gradient: all checks passed.
    True
    """
    for A, upstream, expected, where in _layer_cases():
        got = call(layer_gradient, A.copy(), upstream.copy())
        answer = to_array(got, "dL/dW")
        transposed = answer is not None and answer.shape == expected.T.shape != expected.shape
        if transposed and np.allclose(answer, expected.T):
            raise CheckFailed(text("checkers.playground.transposed", got=answer.shape, shape=expected.shape))
        mistakes = [(expected / A.shape[0], text("checkers.playground.averaged"))]
        if expected.shape == (A.shape[1], upstream.shape[1]):
            mistakes.append((A.sum(0)[:, None] * upstream.sum(0)[None, :], text("checkers.playground.sum_of_products")))
        expect_close(
            "dL/dW",
            got,
            expected,
            at=where,
            of="W",
            mistakes=mistakes,
            hint=text("checkers.playground.one_entry"),
        )


# --- 3. L2 regularization's extra term ------------------------------------------------------


def _l2_cases():
    """(data gradient, W, reg_rate, engine's dL/dW with the penalty) from a trained L2 network."""
    cases = []
    for rate in (0.03, 0.5):
        trainer = _trained(dataset="xor", hidden=(3,), regularization="L2", reg_rate=rate)
        last = trainer.last
        for layer in range(len(trainer.weights)):
            data = last.activations[layer].T @ last.upstream[layer]
            cases.append((data, last.weights[layer], rate, last.weight_grads[layer]))
    return cases


@checker("l2_gradient")
def check_l2_gradient(l2_gradient):
    """Check ``l2_gradient(data_gradient, W, reg_rate)`` -> dL/dW with L2's term, data_gradient + reg_rate · W.

    The penalty is reg_rate · ½ Σ w² over the weights, as in the playground.

    >>> check_l2_gradient(lambda data_gradient, W, reg_rate: data_gradient + reg_rate * W)
    ✓ l2_gradient: all checks passed.
    True
    """
    for data, W, rate, expected in _l2_cases():
        got = call(l2_gradient, data.copy(), W.copy(), rate)
        mistakes = [
            (data + 2 * rate * W, text("checkers.playground.doubled_penalty")),
            (data + 0.5 * rate * W**2, text("checkers.playground.penalty_not_derivative")),
            (data + rate * W**2, text("checkers.playground.penalty_not_derivative")),
            (rate * W, text("checkers.playground.data_missing")),
            (data, text("checkers.playground.penalty_missing")),
            (data + rate * np.sign(W), text("checkers.playground.l_one_term")),
        ]
        at = f"reg_rate={rate}, W {W.shape}"
        expect_close("dL/dW", got, expected, at=at, of="W", mistakes=mistakes)


# --- 4. a prediction: which layer learns slowest --------------------------------------------

SIGMOID_NET = {"dataset": "circle", "hidden": (4, 4, 4, 4, 4, 4), "activation": "sigmoid"}


def measured_norms(steps=20, **settings):
    """Each weight matrix's gradient norm, averaged over the first ``steps`` training steps (layer 0 first).

    >>> norms = measured_norms(steps=2)
    >>> len(norms), bool(norms[0] < norms[-1])
    (7, True)
    """
    trainer = Trainer(seed=0, **(settings or SIGMOID_NET))
    per_step = []
    for _ in range(steps):
        trainer.step()
        per_step.append(trainer.gradient_norms())
    return np.mean(per_step, axis=0)


@checker("smallest_layer")
def check_smallest_layer(smallest_layer):
    """Check a prediction: the index of the weight matrix whose gradient is smallest in the six-layer sigmoid net.

    Layer 0 joins the inputs to the first hidden layer; layer 6 joins the last hidden layer to the output.
    The checker trains the network (20 steps, seed 0) and measures.

    >>> check_smallest_layer(6)
    ✗ smallest_layer: ...
    False
    """
    norms = measured_norms()
    expected = int(np.argmin(norms))
    last = len(norms) - 1
    if callable(smallest_layer):
        smallest_layer = call(smallest_layer)
    if isinstance(smallest_layer, (bool, np.bool_)) or not isinstance(smallest_layer, (int, np.integer)):
        raise CheckFailed(text("checkers.playground.layer_index", last=last, got=describe(smallest_layer)))
    if not 0 <= smallest_layer <= last:
        raise CheckFailed(text("checkers.playground.layer_range", last=last, count=len(norms), got=smallest_layer))
    if smallest_layer != expected:
        raise CheckFailed(text("checkers.playground.wrong_layer", got=smallest_layer))
