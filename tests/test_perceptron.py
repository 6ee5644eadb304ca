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


bad_number = st.one_of(st.floats(max_value=0.0), st.sampled_from([float("nan"), float("inf")]), st.none(),
                       st.text(max_size=3), st.booleans())


@settings(deadline=None, max_examples=60)
@given(st.sampled_from(["n_in", "learning_rate", "shuffle", "seed"]), st.data())
def test_constructor_refuses_bad_arguments_with_our_errors(name, data):
    value = data.draw({"n_in": st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=2), st.booleans()),
                       "learning_rate": bad_number,
                       "shuffle": st.one_of(st.integers(), st.text(max_size=3), st.none()),
                       "seed": st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2))}[name])
    kwargs = {"n_in": 2, name: value}
    with pytest.raises((TypeError, ValueError), match=r"^Perceptron: expected "):
        Perceptron(**kwargs)


@settings(deadline=None, max_examples=60)
@given(st.one_of(st.tuples(st.just("epochs"), st.one_of(st.integers(max_value=0), st.floats(), st.text(max_size=2), st.booleans())),
                 st.tuples(st.just("x"), st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from([np.nan, np.inf]))),
                 st.tuples(st.just("y"), st.lists(st.sampled_from([0, 1, 2, -1, 0.5, "a"]), min_size=4, max_size=4)
                           .filter(lambda v: not all(e in (0, 1) for e in v)))))
def test_fit_refuses_bad_input_before_any_update(bad):
    # Never a half-applied update: the weights of an earlier fit survive a rejected call untouched.
    p = Perceptron(2, seed=0).fit(CORNERS, AND, epochs=50)
    w, b, errors = p.w.copy(), p.b, list(p.errors_)
    x, y, epochs = CORNERS.copy(), AND, 5
    name, value = bad
    if name == "x":
        x[value[:2]] = value[2]
    elif name == "y":
        y = value
    else:
        epochs = value
    with pytest.raises((TypeError, ValueError), match=r"^Perceptron.fit: expected "):
        p.fit(x, y, epochs=epochs)
    assert np.array_equal(p.w, w) and p.b == b and p.errors_ == errors


@settings(deadline=None, max_examples=30)
@given(st.integers(0, 2), st.integers(0, 1), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_predict_refuses_non_finite_features_instead_of_predicting_zero(row, col, value):
    x = np.zeros((3, 2))
    x[row, col] = value
    with pytest.raises(ValueError, match=r"^Perceptron.predict: expected finite values, got 1 NaN/inf"):
        Perceptron(2).predict(x)
