"""GRU (reset_after=True): what is particular to this cell — its weight layout and initialization against
Keras, and its gate order written out by hand. What the recurrent layers share (parity with Keras,
gradient checks, a training run, bad input) is in test_recurrent_shared.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.layers import GRU
from dlcourse.layers.gru import gru_step_forward

from test_recurrent_shared import random_bias


def test_weights_layout_and_initialization_match_keras(tf_keras):
    tf, keras = tf_keras
    layer = GRU(6, 4, seed=0)
    k = keras.layers.GRU(4)
    k.build((None, 3, 6))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    assert [w.path.split("/")[-1] for w in k.weights] == list(layer.params)
    assert layer.params["bias"].shape == (2, 12) and not layer.params["bias"].any()  # input row, recurrent row
    U = layer.params["recurrent_kernel"].astype(np.float64)
    np.testing.assert_allclose(U @ U.T, np.eye(4), atol=1e-6)  # orthogonal rows (4 x 12)
    assert np.abs(layer.params["kernel"]).max() <= np.sqrt(6 / (6 + 12))  # glorot limit
    same = GRU(6, 4, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), same.get_weights()))
    assert layer.count_params() == k.count_params() == 3 * (6 * 4 + 4 * 4 + 2 * 4)


def test_initializers_by_keras_name():
    layer = GRU(3, 2, kernel_initializer="zeros", recurrent_initializer="glorot_uniform", seed=0)
    assert not layer.params["kernel"].any() and layer.params["recurrent_kernel"].any()
    with pytest.raises(ValueError, match=r"GRU: kernel_initializer: initializers.get: expected one of"):
        GRU(3, 2, kernel_initializer="he_normall")
    ones = GRU(3, 2, recurrent_initializer=lambda shape, seed=None, dtype=None: np.ones(shape, dtype))
    assert (ones.params["recurrent_kernel"] == 1).all() and ones.params["recurrent_kernel"].dtype == np.float32
    with pytest.raises(ValueError, match=r"GRU: expected recurrent_initializer to return an array of shape \(2, 6\)"):
        GRU(3, 2, recurrent_initializer=lambda shape, seed=None, dtype=None: np.ones(3))


def test_one_step_by_hand_gate_order():
    # Keras' gate order z, r, h written out with explicit slices; the reset gate multiplies
    # the recurrent projection *including* its bias (reset_after=True).
    layer = GRU(2, 3, return_sequences=True, seed=3, dtype="float64")
    rng = np.random.default_rng(0)
    random_bias(layer, rng)
    x = rng.normal(size=(2, 2, 2))
    W, U, b = layer.get_weights()

    def sig(z):
        return 1 / (1 + np.exp(-z))

    h, hs = np.zeros((2, 3)), []
    for t in range(2):
        a, m = x[:, t] @ W + b[0], h @ U + b[1]
        z, r = sig(a[:, :3] + m[:, :3]), sig(a[:, 3:6] + m[:, 3:6])
        n = np.tanh(a[:, 6:] + r * m[:, 6:])
        h = z * h + (1 - z) * n
        hs.append(h)
    np.testing.assert_allclose(layer.forward(x), np.stack(hs, axis=1), rtol=1e-13)
    h1, _ = gru_step_forward(x[:, 0] @ W + b[0], np.zeros((2, 3)), U, b[1])
    np.testing.assert_allclose(h1, hs[0], rtol=1e-13)
