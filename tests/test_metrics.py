"""dlcourse.metrics against keras.metrics: the same 1/0 per prediction, the same shapes, the same thresholds."""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse import metrics as M


def _rng(seed=0):
    return np.random.default_rng(seed)


def _probs(shape, seed=0):
    p = _rng(seed).random(shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


CASES = {
    "binary (n, 1)": ("binary_accuracy", lambda: ((_rng(1).random((12, 1)) > 0.5).astype("float32"),
                                                   _rng(2).random((12, 1)).astype("float32"))),
    "binary (n,) vs (n, 1)": ("binary_accuracy", lambda: ((_rng(1).random(12) > 0.5).astype("float32"),
                                                          _rng(2).random((12, 1)).astype("float32"))),
    "binary (n, 3)": ("binary_accuracy", lambda: ((_rng(1).random((12, 3)) > 0.5).astype("float32"),
                                                   _rng(2).random((12, 3)).astype("float32"))),
    "binary soft targets": ("binary_accuracy", lambda: (np.array([[0.3], [1.0], [0.0], [0.7]], "float32"),
                                                        np.array([[0.2], [0.9], [0.6], [0.8]], "float32"))),
    "categorical": ("categorical_accuracy", lambda: (np.eye(4, dtype="float32")[_rng(3).integers(0, 4, 12)],
                                                     _probs((12, 4)))),
    "categorical sequences": ("categorical_accuracy", lambda: (np.eye(4, dtype="float32")[_rng(3).integers(0, 4, (5, 3))],
                                                               _probs((5, 3, 4)))),
    "sparse": ("sparse_categorical_accuracy", lambda: (_rng(4).integers(0, 4, 12), _probs((12, 4)))),
    "sparse (n, 1) labels": ("sparse_categorical_accuracy", lambda: (_rng(4).integers(0, 4, (12, 1)), _probs((12, 4)))),
    "sparse float labels": ("sparse_categorical_accuracy", lambda: (_rng(4).integers(0, 4, 12).astype("float32"),
                                                                    _probs((12, 4)))),
    "sparse sequences": ("sparse_categorical_accuracy", lambda: (_rng(4).integers(0, 4, (5, 3)), _probs((5, 3, 4)))),
    "exact accuracy": ("accuracy", lambda: (np.array([1, 2, 3, 4]), np.array([1, 0, 3, 0]))),
    "exact accuracy (n,) vs (n, 1)": ("accuracy", lambda: (np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [0.0]]))),
}


@pytest.mark.parametrize("case", list(CASES))
def test_matches_keras_metric_functions(tf_keras, case):
    _, keras = tf_keras
    name, make = CASES[case]
    y_true, y_pred = make()
    ours = getattr(M, name)(y_true, y_pred)
    from keras.src.metrics import accuracy_metrics  # keras.metrics does not export the function accuracy

    theirs = np.asarray(getattr(accuracy_metrics, name)(y_true, y_pred))
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    assert 0 < ours.mean() < 1 or case.startswith("exact")  # the cases mix right and wrong predictions


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.9])
def test_binary_threshold_matches_keras(tf_keras, threshold):
    _, keras = tf_keras
    y, p = (_rng(5).random((20, 1)) > 0.5).astype("float32"), _rng(6).random((20, 1)).astype("float32")
    np.testing.assert_array_equal(M.binary_accuracy(y, p, threshold=threshold),
                                  np.asarray(keras.metrics.binary_accuracy(y, p, threshold=threshold)))


def test_get_resolves_accuracy_as_keras_compile_does():
    p2, p1 = np.zeros((4, 3)), np.zeros((4, 1))
    assert M.get("accuracy", np.zeros(4), p1) is M.binary_accuracy
    assert M.get("acc", np.zeros((4, 1)), p1) is M.binary_accuracy
    assert M.get("accuracy", np.zeros(4), p2) is M.sparse_categorical_accuracy
    assert M.get("accuracy", np.zeros((4, 1)), p2) is M.sparse_categorical_accuracy
    assert M.get("accuracy", np.zeros((4, 3)), p2) is M.categorical_accuracy
    assert M.get("accuracy") is M.accuracy and M.get("acc") is M.accuracy
    assert M.get("categorical_accuracy") is M.categorical_accuracy


def test_fit_reports_the_mean_of_the_metric_function():
    from dlcourse.layers import Dense
    from dlcourse.model import Sequential
    from dlcourse.optimizers import SGD

    x = _rng(7).normal(size=(30, 4)).astype("float32")
    y = _rng(8).integers(0, 3, 30)
    model = Sequential([Dense(4, 3, "softmax", seed=0)])
    model.compile(SGD(0.0), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=7, shuffle=False, verbose=0)
    expected = float(np.mean(M.sparse_categorical_accuracy(y, model.predict(x)), dtype=np.float64))
    assert history.history["accuracy"] == [pytest.approx(expected, abs=1e-12)]
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: M.sparse_categorical_accuracy(np.zeros(3), np.zeros((4, 2))), ValueError,
     r"sparse_categorical_accuracy: expected y_true and y_pred with the same batch size, got shapes \(3,\) and \(4, 2\)"),
    (lambda: M.sparse_categorical_accuracy(np.zeros((4, 2)), np.zeros((4, 3))), ValueError,
     r"sparse_categorical_accuracy: expected labels y_true of shape \(4,\) for y_pred of shape \(4, 3\), got \(4, 2\)"),
    (lambda: M.categorical_accuracy(np.zeros(4), np.zeros((4, 3))), ValueError,
     r"categorical_accuracy: expected one-hot y_true of the shape of y_pred \(4, 3\), got \(4,\)"),
    (lambda: M.binary_accuracy(np.zeros((4, 2)), np.zeros((4, 3))), ValueError,
     r"binary_accuracy: expected y_true and y_pred of the same shape, got \(4, 2\) and \(4, 3\)"),
    (lambda: M.binary_accuracy(np.zeros(4), np.zeros(4), threshold="0.5"), TypeError,
     r"binary_accuracy: expected threshold as a finite number, got '0.5'"),
    (lambda: M.accuracy(np.array(["a"]), np.zeros(1)), TypeError,
     r"accuracy: expected y_true as a real-valued numeric array, got array of shape \(1,\) and dtype <U1"),
    (lambda: M.accuracy(3, np.zeros(1)), ValueError, r"accuracy: expected y_true with a batch axis, got a scalar"),
    (lambda: M.get("f1"), ValueError, r"metrics.get: expected one of 'accuracy', .*or 'acc', got 'f1'"),
    (lambda: M.get(None), TypeError, r"metrics.get: expected a metric name \(str\), got NoneType"),
])
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
