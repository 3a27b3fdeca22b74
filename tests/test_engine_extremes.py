"""The softmax family at the edges attention and confident classifiers reach: -inf masks, ±1e308.

The expected numbers are the limits (what PyTorch gives): a masked entry has probability 0 and gets
no gradient, an overflowing shift is -inf, and nothing turns into nan or warns.
"""

import warnings

import numpy as np
import pytest

import backpropnb as bp


@pytest.fixture(autouse=True)
def _no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow or invalid-value warnings would be a bug here
        yield


def test_softmax_of_a_masked_entry_is_zero_and_takes_no_gradient():
    x = bp.tensor([-np.inf, 0.0])
    s = bp.softmax(x)
    np.testing.assert_array_equal(s.data, [0.0, 1.0])
    (s * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])  # s (g - Σ g s) = [0·(1 - 2), 1·(2 - 2)]


def test_a_masked_attention_row():
    scores = bp.tensor([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    p = bp.softmax(scores, axis=-1)
    e = np.e
    np.testing.assert_allclose(
        p.data, [[1 / (1 + e), 0, e / (1 + e)], [1 / (1 + e**-1.5), e**-1.5 / (1 + e**-1.5), 0]], rtol=1e-15
    )
    weights = np.array([[1.0, 5.0, -1.0], [0.5, 2.0, 3.0]])
    (p * weights).sum().backward()
    assert np.all(np.isfinite(scores.grad)) and scores.grad[0, 1] == 0 and scores.grad[1, 2] == 0  # masked: no gradient
    q = p.data
    expected = q * (weights - (weights * q).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(scores.grad, expected, rtol=1e-14, atol=1e-300)


def test_log_softmax_of_extreme_logits_is_their_limit():
    x = bp.tensor([1e308, -1e308])
    out = bp.log_softmax(x)
    np.testing.assert_array_equal(out.data, [0.0, -np.inf])
    (out * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [-2.0, 2.0])  # g - softmax Σ g = [1 - 3, 2 - 0]


def test_cross_entropy_over_masked_logits_is_finite():
    logits = bp.tensor([[-np.inf, 1.0, 2.0], [0.0, -np.inf, -np.inf]])
    loss = bp.cross_entropy(logits, [2, 0])
    assert loss.data == pytest.approx(np.log1p(np.exp(-1.0)) / 2, rel=1e-15)
    loss.backward()
    assert np.all(np.isfinite(logits.grad)) and logits.grad[0, 0] == 0 and logits.grad[1, 0] == 0
