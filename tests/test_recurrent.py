"""SimpleRNN: what is particular to this layer — its weight layout and initialization against
Keras, and its step written out by hand. What the recurrent layers share (parity with Keras,
gradient checks, a training run, bad input) is in test_recurrent_shared.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.layers import SimpleRNN
from dlcourse.tfsetup import load_tensorflow


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


def test_weights_layout_and_initialisation_match_keras(tfk):
    tf, keras = tfk
    layer = SimpleRNN(6, 4, seed=0)
    k = keras.layers.SimpleRNN(4)
    k.build((None, 3, 6))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    assert [w.path.split("/")[-1] for w in k.weights] == list(layer.params)
    U = layer.params["recurrent_kernel"].astype(np.float64)
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-6)          # orthogonal
    assert np.abs(layer.params["kernel"]).max() <= np.sqrt(6 / (6 + 4))  # glorot limit
    assert not layer.params["bias"].any()
    same = SimpleRNN(6, 4, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), same.get_weights()))


def test_first_step_by_hand():
    layer = SimpleRNN(2, 3, return_sequences=True, seed=3, dtype="float64")
    x = np.random.default_rng(0).normal(size=(1, 2, 2))
    W, U, b = layer.get_weights()
    h1 = np.tanh(x[:, 0] @ W + b)
    h2 = np.tanh(x[:, 1] @ W + h1 @ U + b)
    np.testing.assert_allclose(layer.forward(x), np.stack([h1, h2], axis=1), rtol=1e-13)


def test_output_shape_keeps_the_time_axis_and_counts_params():
    assert SimpleRNN(3, 5, return_sequences=True).compute_output_shape((7, 3)) == (7, 5)
    assert SimpleRNN(3, 5).compute_output_shape((None, 3)) == (5,)  # any sequence length
    assert SimpleRNN(3, 5).count_params() == 3 * 5 + 5 * 5 + 5
