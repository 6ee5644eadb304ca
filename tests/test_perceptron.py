"""Rosenblatt's perceptron and the exact linear-separability test used in part 1."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.perceptron import Perceptron, linearly_separable

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND = np.array([0, 0, 0, 1])
OR = np.array([0, 1, 1, 1])
XOR = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("y", [AND, OR, 1 - AND], ids=["AND", "OR", "NAND"])
def test_learns_separable_gates_and_stops(y):
    p = Perceptron(2, seed=0).fit(CORNERS, y, epochs=50)
    assert np.array_equal(p.predict(CORNERS), y)
    assert p.errors_[-1] == 0 and len(p.errors_) < 50  # converged, stopped early
    assert linearly_separable(CORNERS, y)


def test_never_learns_xor():
    p = Perceptron(2, seed=0).fit(CORNERS, XOR, epochs=200)
    assert len(p.errors_) == 200 and min(p.errors_) > 0  # a mistake in every epoch
    assert (p.predict(CORNERS) == XOR).mean() <= 0.75
    assert not linearly_separable(CORNERS, XOR)


def test_xor_becomes_separable_with_a_product_feature():
    x = np.hstack([CORNERS, CORNERS[:, :1] * CORNERS[:, 1:]])
    assert linearly_separable(x, XOR)
    p = Perceptron(3, seed=0).fit(x, XOR, epochs=100)
    assert np.array_equal(p.predict(x), XOR)


def test_rule_by_hand_one_step():
    # One mistake on (1, 1) with target 1 from zero weights: w = x, b = 1.
    p = Perceptron(2, learning_rate=0.5, shuffle=False).fit(CORNERS[3:], np.array([1]), epochs=1)
    assert np.allclose(p.w, [0.5, 0.5]) and p.b == 0.5 and p.errors_ == [1]


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 10_000))
def test_converges_whenever_separable(seed):
    # Perceptron convergence theorem: separable data (here with a margin) => zero errors.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(30, 2))
    w = rng.normal(size=2)
    score = x @ w
    keep = np.abs(score) > 0.3
    x, y = x[keep], (score[keep] > 0).astype(int)
    if len(np.unique(y)) < 2:
        return
    assert linearly_separable(x, y)
    p = Perceptron(2, seed=seed).fit(x, y, epochs=1000)
    assert p.errors_[-1] == 0


def test_bad_inputs():
    p = Perceptron(2)
    with pytest.raises(ValueError, match=r"Perceptron.fit: expected labels of shape \(4,\)"):
        p.fit(CORNERS, XOR[:3])
    with pytest.raises(ValueError, match="Perceptron.fit: expected labels 0 or 1"):
        p.fit(CORNERS, XOR * 2)
    with pytest.raises(ValueError, match="Perceptron.predict: expected 2 features"):
        p.predict(np.ones((3, 5)))
    with pytest.raises(ValueError, match="Perceptron.fit: expected a 2-D array"):
        p.fit(np.ones(4), XOR)
    with pytest.raises(ValueError, match="Perceptron: expected n_in"):
        Perceptron(0)
    with pytest.raises(ValueError, match="linearly_separable: expected finite"):
        linearly_separable(np.full((4, 2), np.nan), XOR)
