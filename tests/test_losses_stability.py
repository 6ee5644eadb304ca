"""Cross-entropy from logits stays accurate for any finite logits (float32 against a float64 reference).

The reference evaluates the same mathematics in float64 from the very float32 inputs:
``log softmax(x) = (x - m) - log(sum_k exp(x_k - m))`` with ``log1p`` for the sum's
part beyond the maximum, so it is accurate to ~1e-15 relative even for a confident
row's loss of 1e-9. The float32 value must be within 1e-6 relative of it; each
gradient entry within 1e-6 of the row's scale (the entries are differences
``p * sum(y) - y`` of numbers up to ``sum(y)``, divided by the number of samples).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcourse import losses as L

def _ref_log_softmax(x64: np.ndarray) -> np.ndarray:
    s = x64 - x64.max(axis=-1, keepdims=True)
    others = np.where(s == 0, 0.0, np.exp(s)).sum(axis=-1, keepdims=True)
    c = (s == 0).sum(axis=-1, keepdims=True)
    return s - (np.log(c) + np.log1p(others / c))


def _assert_close(value, grad, ref_value, ref_grad, scale):
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert abs(value - ref_value) <= 1e-6 * abs(ref_value) + 1e-30, (value, ref_value)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-6 * scale)


# Logits up to 1e37 (softmax: differences within a row stay finite in float32) and 1e36 (sigmoid: the
# mean over up to 36 losses of that size stays finite); beyond, float32 itself overflows, see the last test.
BIG, LARGE = float(np.float32(1e37)), float(np.float32(1e36))
LOGIT = st.floats(-BIG, BIG, width=32, allow_nan=False, allow_infinity=False)
SHAPES = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6).filter(lambda s: s[-1] >= 2)


@settings(max_examples=300, deadline=None)
@given(x=hnp.arrays(np.float32, SHAPES, elements=LOGIT), data=st.data())
def test_softmax_crossentropy_from_logits_matches_float64(x, data):
    n, k = x.shape
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    onehot = np.eye(k, dtype=np.float32)[labels]
    log_p = _ref_log_softmax(x.astype(np.float64))
    ref_value = -float(np.mean(log_p[np.arange(n), labels]))
    ref_grad = (np.exp(log_p) - onehot) / n
    for loss, y in [(L.CategoricalCrossentropy(from_logits=True), onehot),
                    (L.SparseCategoricalCrossentropy(from_logits=True), labels)]:
        value, grad = loss.value_and_gradient(y, x)
        assert grad.dtype == np.float32
        _assert_close(value, grad, ref_value, ref_grad, 1 / n)


@settings(max_examples=200, deadline=None)
@given(x=hnp.arrays(np.float32, SHAPES, elements=LOGIT), data=st.data())
def test_soft_targets_from_logits_match_float64(x, data):
    t = data.draw(hnp.arrays(np.float32, x.shape, elements=st.floats(0, 1, width=32)))
    n = len(x)
    log_p = _ref_log_softmax(x.astype(np.float64))
    t64 = t.astype(np.float64)
    ref_value = -float(np.sum(t64 * log_p) / n)
    ref_grad = (np.exp(log_p) * t64.sum(-1, keepdims=True) - t64) / n
    value, grad = L.CategoricalCrossentropy(from_logits=True).value_and_gradient(t, x)
    _assert_close(value, grad, ref_value, ref_grad, max(1.0, float(t64.sum(-1).max())) / n)


@settings(max_examples=300, deadline=None)
@given(x=hnp.arrays(np.float32, SHAPES, elements=st.floats(-LARGE, LARGE, width=32)), data=st.data())
def test_sigmoid_crossentropy_from_logits_matches_float64(x, data):
    t = data.draw(hnp.arrays(np.float32, x.shape, elements=st.floats(0, 1, width=32)))
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    per = np.where(x64 > 0, x64 * (1 - t64), -x64 * t64) + np.log1p(np.exp(-np.abs(x64)))
    ref_value = float(np.mean(per))
    ref_grad = (np.where(x64 >= 0, 1 / (1 + np.exp(-np.abs(x64))), np.exp(-np.abs(x64)) / (1 + np.exp(-np.abs(x64))))
                - t64) / x.size
    value, grad = L.BinaryCrossentropy(from_logits=True).value_and_gradient(t, x)
    _assert_close(value, grad, ref_value, ref_grad, 1 / x.size)


@pytest.mark.parametrize("logit", [1e5, 1e8, -1e8, 3e38])
def test_equal_large_logits_give_ln_k_and_gradient_rows_summing_to_zero(logit):
    """The issue's numbers: three equal float32 logits of 1e5 gave 1.10156, of 1e8 gave 0; rows summed to 2."""
    x = np.full((2, 3), logit, np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 2]]
    for loss, target in [(L.CategoricalCrossentropy(from_logits=True), y),
                         (L.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 2]))]:
        value, grad = loss.value_and_gradient(target, x)
        assert value == pytest.approx(np.log(3), rel=1e-6)
        np.testing.assert_allclose(grad.sum(axis=-1), 0, atol=1e-7)
        np.testing.assert_allclose(grad, (1 / 3 - y) / 2, rtol=1e-6)


def test_a_spread_beyond_float32_saturates_without_nan():
    x = np.array([[-3e38, 3e38, 0.0]], np.float32)
    value, grad = L.CategoricalCrossentropy(from_logits=True).value_and_gradient(np.array([[0.0, 1.0, 0.0]]), x)
    assert value == 0.0
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])
    value, grad = L.SparseCategoricalCrossentropy(from_logits=True).value_and_gradient(np.array([0]), x)
    assert value > 1e38 and np.isfinite(grad).all()
    np.testing.assert_array_equal(grad, [[-1.0, 1.0, 0.0]])



def test_sigmoid_crossentropy_of_a_large_logit_and_a_target_near_one():
    """max(x, 0) - x y loses x (1 - y) to rounding when y is 1 - 2**-24 and x is 1e8; x (1 - y) does not."""
    x = np.array([[1e8]], np.float32)
    t = np.array([[1 - 2.0 ** -24]], np.float32)
    expected = 1e8 * 2.0 ** -24  # log1p(exp(-1e8)) is 0
    assert L.BinaryCrossentropy(from_logits=True)(t, x) == pytest.approx(expected, rel=1e-6)
