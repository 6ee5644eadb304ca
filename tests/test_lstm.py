"""LSTM: what is particular to this cell — its weight layout and initialization against
Keras, and its gate order written out by hand. What the recurrent layers share (parity with Keras,
gradient checks, a training run, bad input) is in test_recurrent_shared.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.layers import LSTM
from dlcourse.layers.lstm import lstm_step_forward

from test_recurrent_shared import random_bias


def test_weights_layout_and_initialization_match_keras(tf_keras):
    tf, keras = tf_keras
    layer = LSTM(6, 4, seed=0)
    k = keras.layers.LSTM(4)
    k.build((None, 3, 6))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    assert [w.path.split("/")[-1] for w in k.weights] == list(layer.params)
    np.testing.assert_array_equal(layer.params["bias"], k.get_weights()[2])  # 0, 1 (forget), 0, 0
    U = layer.params["recurrent_kernel"].astype(np.float64)
    np.testing.assert_allclose(U @ U.T, np.eye(4), atol=1e-6)  # orthogonal rows (4 x 16)
    assert np.abs(layer.params["kernel"]).max() <= np.sqrt(6 / (6 + 16))  # glorot limit
    assert not LSTM(6, 4, unit_forget_bias=False).params["bias"].any()
    same = LSTM(6, 4, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), same.get_weights()))
    assert layer.count_params() == k.count_params() == 4 * (6 * 4 + 4 * 4 + 4)


def test_initializers_by_keras_name():
    layer = LSTM(3, 2, kernel_initializer="zeros", recurrent_initializer="glorot_uniform", seed=0)
    assert not layer.params["kernel"].any() and layer.params["recurrent_kernel"].any()
    with pytest.raises(ValueError, match=r"LSTM: kernel_initializer: initializers.get: expected one of"):
        LSTM(3, 2, kernel_initializer="he_normall")
    ones = LSTM(3, 2, recurrent_initializer=lambda shape, seed=None, dtype=None: np.ones(shape, dtype))
    assert (ones.params["recurrent_kernel"] == 1).all() and ones.params["recurrent_kernel"].dtype == np.float32
    with pytest.raises(ValueError, match=r"LSTM: expected recurrent_initializer to return an array of shape \(2, 8\)"):
        LSTM(3, 2, recurrent_initializer=lambda shape, seed=None, dtype=None: np.ones(3))


def test_one_step_by_hand_gate_order():
    # Keras' gate order i, f, c, o written out with explicit slices.
    layer = LSTM(2, 3, return_sequences=True, seed=3, dtype="float64")
    rng = np.random.default_rng(0)
    random_bias(layer, rng)
    x = rng.normal(size=(2, 2, 2))
    W, U, b = layer.get_weights()

    def sig(z):
        return 1 / (1 + np.exp(-z))

    h, c, hs = np.zeros((2, 3)), np.zeros((2, 3)), []
    for t in range(2):
        z = x[:, t] @ W + h @ U + b
        i, f, g, o = sig(z[:, :3]), sig(z[:, 3:6]), np.tanh(z[:, 6:9]), sig(z[:, 9:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    np.testing.assert_allclose(layer.forward(x), np.stack(hs, axis=1), rtol=1e-13)
    h1, c1, _ = lstm_step_forward(x[:, 0] @ W + b, np.zeros((2, 3)), np.zeros((2, 3)), U)
    np.testing.assert_allclose(h1, hs[0], rtol=1e-13)


def test_unit_forget_bias_must_be_a_bool():
    with pytest.raises(TypeError, match=r"LSTM: expected unit_forget_bias to be True or False, got str"):
        LSTM(n_in=3, units=2, unit_forget_bias="no")
