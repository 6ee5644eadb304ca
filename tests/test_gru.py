"""GRU (reset_after=True): parity with keras.layers.GRU (forward, tf.GradientTape gradients, a training run),
float64 gradient checks, weight layout, bad input.

Tolerances: float32 parity rtol 1e-5, atol 1e-6 (outputs are O(0.1-1), gradients O(0.1-10));
float64 parity rtol 1e-10, atol 1e-12; gradient checks relative error < 1e-6.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.keras_bridge import to_keras
from dlcourse.layers import GRU, Dense
from dlcourse.layers.gru import gru_step_forward
from dlcourse.model import Sequential
from dlcourse.optimizers import SGD

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def keras_grads(tf_keras, layer, x, r):
    """Keras' output, dL/dx and weight gradients for L = sum(out * r), with our weights."""
    tf, keras = tf_keras
    k = keras.layers.GRU(layer.units, return_sequences=layer.return_sequences, reset_after=True, dtype=str(layer.dtype))
    k.build((None,) + x.shape[1:])
    k.set_weights(layer.get_weights())
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = k(xt)
        loss = tf.reduce_sum(out * tf.constant(r))
    grads = tape.gradient(loss, [xt] + k.trainable_weights)
    return out.numpy(), grads[0].numpy(), [g.numpy() for g in grads[1:]]


def _random_bias(layer, rng):
    # A nonzero bias in every gate, so that each block of the bias is exercised.
    layer.params["bias"][...] = rng.normal(0, 0.5, layer.params["bias"].shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("batch,steps,n_in,units", [(1, 1, 1, 1), (4, 6, 3, 5), (3, 10, 7, 2), (2, 3, 8, 16)])
def test_parity_with_keras(tf_keras, dtype, return_sequences, batch, steps, n_in, units):
    rng = np.random.default_rng(batch * 100 + steps)
    layer = GRU(n_in, units, return_sequences=return_sequences, seed=1, dtype=dtype)
    _random_bias(layer, rng)
    x = rng.normal(size=(batch, steps, n_in)).astype(dtype)
    out = layer.forward(x)
    r = rng.normal(size=out.shape).astype(dtype)
    dx = layer.backward(r)
    k_out, k_dx, k_dw = keras_grads(tf_keras, layer, x, r)
    tol = TOL[dtype]
    assert out.dtype == np.dtype(dtype) and dx.dtype == np.dtype(dtype)
    assert out.shape == ((batch, steps, units) if return_sequences else (batch, units))
    np.testing.assert_allclose(out, k_out, **tol)
    np.testing.assert_allclose(dx, k_dx, **tol)
    for key, kg in zip(layer.params, k_dw):
        assert layer.grads[key].shape == layer.params[key].shape and layer.grads[key].dtype == np.dtype(dtype)
        np.testing.assert_allclose(layer.grads[key], kg, err_msg=key, **tol)


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
    _random_bias(layer, rng)
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


def test_last_state_equals_last_of_sequence():
    x = np.random.default_rng(0).normal(size=(3, 5, 4))
    seq = GRU(4, 2, return_sequences=True, seed=7).forward(x)
    last = GRU(4, 2, seed=7).forward(x)
    np.testing.assert_array_equal(seq[:, -1], last)


def test_compute_output_shape():
    assert GRU(3, 5).compute_output_shape((7, 3)) == (5,)
    assert GRU(3, 5, return_sequences=True).compute_output_shape((None, 3)) == (None, 5)
    with pytest.raises(ValueError, match=r"GRU.compute_output_shape: expected an input shape \(time, 3\), got \(7, 4\)"):
        GRU(3, 5).compute_output_shape((7, 4))


@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradcheck_float64(return_sequences):
    layer = GRU(3, 4, return_sequences=return_sequences, seed=2, dtype="float64")
    _random_bias(layer, np.random.default_rng(5))
    errors = check_layer(layer, np.random.default_rng(1).normal(size=(2, 5, 3)))
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < 1e-6


@settings(deadline=None, max_examples=12)
@given(batch=st.integers(1, 3), steps=st.integers(1, 5), n_in=st.integers(1, 4), units=st.integers(1, 3),
       return_sequences=st.booleans(), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(batch, steps, n_in, units, return_sequences, seed):
    rng = np.random.default_rng(seed)
    layer = GRU(n_in, units, return_sequences=return_sequences, seed=rng, dtype="float64")
    _random_bias(layer, rng)
    errors = check_layer(layer, rng.normal(size=(batch, steps, n_in)), seed=seed)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_training_run_matches_keras_weights(tf_keras, dtype):
    # 48 sequences, 4 batches of 12, 3 epochs of plain SGD, shuffle=False. Keras' fit casts
    # float inputs to float32 (floatx), so the data are float32 numbers in both runs, and
    # the rate 0.125 is exact in both precisions. In float64 the weights then agree to
    # float64 rounding (measured ~5e-16 relative): the same arithmetic, not merely close.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6, 3)).astype("float32")
    y = np.tanh(x.sum(axis=(1, 2)) / 4)[:, None].astype("float32")
    model = Sequential([GRU(3, 5, seed=0, dtype=dtype), Dense(5, 1, seed=1, dtype=dtype)], input_shape=(6, 3))
    model.compile(SGD(learning_rate=0.125), "mse", metrics=[])
    kmodel = to_keras(model)
    x, y = x.astype(dtype), y.astype(dtype)
    ours = model.fit(x, y, epochs=3, batch_size=12, shuffle=False, verbose=0).history
    theirs = kmodel.fit(x, y, epochs=3, batch_size=12, shuffle=False, verbose=0).history
    assert ours["loss"][-1] < ours["loss"][0]  # it learned, so the comparison means something
    # Keras logs the loss through a float32 metric: float32 resolution in both precisions.
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5 if dtype == "float32" else 3e-7)
    start = GRU(3, 5, seed=0).get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(model.get_weights(), start)) > 1e-3  # the weights moved
    tol = TOL["float32"] if dtype == "float32" else dict(rtol=1e-11, atol=1e-13)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        assert w_keras.dtype == np.dtype(dtype)
        np.testing.assert_allclose(w_ours, w_keras, **tol)


def test_integer_input_is_cast_to_layer_dtype():
    assert GRU(2, 3, seed=0).forward(np.ones((1, 4, 2), dtype=np.int64)).dtype == np.float32


def test_set_weights_is_atomic():
    layer = GRU(3, 2, seed=0)
    before = layer.get_weights()
    bad_last = [np.ones((3, 6)), np.ones((2, 6)), np.full((2, 6), np.nan)]
    with pytest.raises(ValueError, match=r"GRU.set_weights: expected bias with finite values"):
        layer.set_weights(bad_last)
    with pytest.raises(ValueError, match=r"GRU.set_weights: expected bias of shape \(2, 6\), got \(6,\)"):
        layer.set_weights([np.ones((3, 6)), np.ones((2, 6)), np.ones(6)])  # reset_after=False's layout
    with pytest.raises(ValueError, match=r"GRU.set_weights: expected 3 arrays \(kernel, recurrent_kernel, bias\), got 2"):
        layer.set_weights(before[:2])
    with pytest.raises(TypeError, match=r"GRU.set_weights: expected kernel as a real-valued numeric array"):
        layer.set_weights([np.full((3, 6), "a"), before[1], before[2]])
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), before))


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("x,exc,match", [
    (np.zeros((2, 3)), ValueError, r"GRU.forward: expected a 3-D array \(batch, time, features\), got shape \(2, 3\)"),
    (np.zeros((2, 3, 5)), ValueError, r"GRU.forward: expected 4 features per time step \(n_in\), got shape \(2, 3, 5\)"),
    (np.zeros((2, 0, 4)), ValueError, r"GRU.forward: expected at least one time step, got shape \(2, 0, 4\)"),
    (np.full((2, 3, 4), np.inf), ValueError, r"GRU.forward: expected finite values, got 24 NaN/inf entries"),
    (np.array([["a"]]), TypeError, r"GRU.forward: expected a real-valued numeric array"),
])
def test_bad_forward_input(x, exc, match):
    layer = GRU(4, 3)
    with pytest.raises(exc, match=match):
        layer.forward(x)
    with pytest.raises(exc, match=match):
        layer.check_input(x)


def test_bad_backward():
    with pytest.raises(ValueError, match=r"GRU.backward: expected a forward\(\) call first"):
        GRU(4, 3).backward(np.zeros((2, 3)))
    layer = GRU(4, 3, return_sequences=True)
    layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"GRU.backward: expected grad_out of shape \(2, 5, 3\)"):
        layer.backward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"GRU.backward: grad_out: expected finite values, got 1 NaN/inf"):
        layer.backward(np.where(np.arange(30).reshape(2, 5, 3) == 7, np.nan, 0.0))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(n_in=0, units=3), ValueError, r"GRU: expected n_in to be an int >= 1, got 0"),
    (dict(n_in=3, units=2.5), TypeError, r"GRU: expected units to be an int >= 1, got float"),
    (dict(n_in=3, units=2, return_sequences="yes"), TypeError, r"GRU: expected return_sequences to be True or False"),
    (dict(n_in=3, units=2, dtype="int32"), TypeError, r"GRU: expected a floating dtype such as 'float32', got int32"),
    (dict(n_in=3, units=2, seed="x"), TypeError, r"GRU: expected seed as None, an int or a numpy.random.Generator"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        GRU(**kwargs)
