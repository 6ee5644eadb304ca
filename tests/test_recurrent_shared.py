"""What SimpleRNN, LSTM and GRU share, tested once for each: parity with keras.layers.SimpleRNN / LSTM /
GRU (forward, tf.GradientTape gradients, a training run), float64 gradient checks, shapes and bad input.
The cell-specific parts (weight layout, the step written out by hand) are in test_recurrent.py,
test_lstm.py and test_gru.py.

Tolerances: float32 parity rtol 1e-5, atol 1e-6 (outputs are O(0.1-1), gradients O(0.1-10));
float64 parity rtol 1e-10, atol 1e-12; gradient checks relative error < 1e-6.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers import GRU, LSTM, Dense, SimpleRNN
from dlcourse.model import Sequential

from test_keras_bridge import train_both

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
# Keras' name and arguments for the same cell; reset_after=True is Keras 3's GRU default, spelled out.
KERAS = {SimpleRNN: ("SimpleRNN", {}), LSTM: ("LSTM", {}), GRU: ("GRU", {"reset_after": True})}
cells = pytest.mark.parametrize("cell", [SimpleRNN, LSTM, GRU], ids=["SimpleRNN", "LSTM", "GRU"])


def keras_grads(tf_keras, layer, x, r):
    """Keras' output, dL/dx and weight gradients for L = sum(out * r), with our weights."""
    tf, keras = tf_keras
    name, options = KERAS[type(layer)]
    k = getattr(keras.layers, name)(layer.units, return_sequences=layer.return_sequences, dtype=str(layer.dtype),
                                    **options)
    k.build((None,) + x.shape[1:])
    k.set_weights(layer.get_weights())
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = k(xt)
        loss = tf.reduce_sum(out * tf.constant(r))
    grads = tape.gradient(loss, [xt] + k.trainable_weights)
    return out.numpy(), grads[0].numpy(), [g.numpy() for g in grads[1:]]


def random_bias(layer, rng):
    """A nonzero bias in every gate, so that each block of the bias is exercised."""
    layer.params["bias"][...] = rng.normal(0, 0.5, layer.params["bias"].shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("batch,steps,n_in,units", [(1, 1, 1, 1), (4, 6, 3, 5), (3, 10, 7, 2), (2, 3, 8, 16)])
@cells
def test_parity_with_keras(cell, tf_keras, dtype, return_sequences, batch, steps, n_in, units):
    rng = np.random.default_rng(batch * 100 + steps)
    layer = cell(n_in, units, return_sequences=return_sequences, seed=1, dtype=dtype)
    random_bias(layer, rng)
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


@cells
def test_last_state_equals_last_of_sequence(cell):
    x = np.random.default_rng(0).normal(size=(3, 5, 4))
    seq = cell(4, 2, return_sequences=True, seed=7).forward(x)
    last = cell(4, 2, seed=7).forward(x)
    np.testing.assert_array_equal(seq[:, -1], last)


@cells
def test_compute_output_shape(cell):
    assert cell(3, 5).compute_output_shape((7, 3)) == (5,)
    assert cell(3, 5, return_sequences=True).compute_output_shape((None, 3)) == (None, 5)
    with pytest.raises(ValueError, match=rf"{cell.__name__}.compute_output_shape: expected an input shape \(time, 3\), got \(7, 4\)"):
        cell(3, 5).compute_output_shape((7, 4))


@pytest.mark.parametrize("return_sequences", [False, True])
@cells
def test_gradcheck_float64(cell, return_sequences):
    layer = cell(3, 4, return_sequences=return_sequences, seed=2, dtype="float64")
    random_bias(layer, np.random.default_rng(5))
    errors = check_layer(layer, np.random.default_rng(1).normal(size=(2, 5, 3)))
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < 1e-6


@settings(deadline=None, max_examples=15)
@given(batch=st.integers(1, 3), steps=st.integers(1, 5), n_in=st.integers(1, 4), units=st.integers(1, 4),
       return_sequences=st.booleans(), seed=st.integers(0, 2**16))
@cells
def test_gradcheck_random_shapes(cell, batch, steps, n_in, units, return_sequences, seed):
    rng = np.random.default_rng(seed)
    layer = cell(n_in, units, return_sequences=return_sequences, seed=rng, dtype="float64")
    random_bias(layer, rng)
    errors = check_layer(layer, rng.normal(size=(batch, steps, n_in)), seed=seed)
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@cells
def test_training_run_matches_keras_weights(cell, tf_keras, dtype):
    # 48 sequences, 4 batches of 12, 3 epochs of plain SGD, shuffle=False. Keras' fit casts
    # float inputs to float32 (floatx), so the data are float32 numbers in both runs, and
    # the rate 0.125 is exact in both precisions. In float64 the weights then agree to
    # float64 rounding (measured ~5e-16 relative): the same arithmetic, not merely close.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6, 3)).astype("float32")
    y = np.tanh(x.sum(axis=(1, 2)) / 4)[:, None].astype("float32")
    model = Sequential([cell(3, 5, seed=0, dtype=dtype), Dense(5, 1, seed=1, dtype=dtype)], input_shape=(6, 3))
    x, y = x.astype(dtype), y.astype(dtype)
    kmodel, ours, theirs = train_both(model, x, y, epochs=3, batch_size=12, lr=0.125, loss="mse", metrics=())
    assert ours["loss"][-1] < ours["loss"][0]  # it learned, so the comparison means something
    # Keras logs the loss through a float32 metric: float32 resolution in both precisions.
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5 if dtype == "float32" else 3e-7)
    start = cell(3, 5, seed=0).get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(model.get_weights(), start)) > 1e-3  # the weights moved
    tol = TOL["float32"] if dtype == "float32" else dict(rtol=1e-11, atol=1e-13)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        assert w_keras.dtype == np.dtype(dtype)
        np.testing.assert_allclose(w_ours, w_keras, **tol)


@cells
def test_integer_input_is_cast_to_layer_dtype(cell):
    assert cell(2, 3, seed=0).forward(np.ones((1, 4, 2), dtype=np.int64)).dtype == np.float32


@cells
def test_set_weights_is_atomic(cell):
    layer = cell(3, 2, seed=0)
    before = layer.get_weights()
    kernel, recurrent, bias = (np.ones(w.shape) for w in before)
    # A bias of the wrong layout: SimpleRNN's one unit short, LSTM with half its gates, GRU in
    # reset_after=False's single row.
    wrong_bias = {SimpleRNN: np.ones(1), LSTM: np.ones(4), GRU: np.ones(6)}[cell]
    name = cell.__name__
    with pytest.raises(ValueError, match=rf"{name}.set_weights: expected bias with finite values"):
        layer.set_weights([kernel, recurrent, np.full(bias.shape, np.nan)])
    with pytest.raises(ValueError, match=rf"{name}.set_weights: expected bias of shape {re.escape(str(bias.shape))}, "
                                         rf"got {re.escape(str(wrong_bias.shape))}"):
        layer.set_weights([kernel, recurrent, wrong_bias])
    with pytest.raises(ValueError, match=rf"{name}.set_weights: expected 3 arrays \(kernel, recurrent_kernel, bias\), got 2"):
        layer.set_weights(before[:2])
    with pytest.raises(TypeError, match=rf"{name}.set_weights: expected kernel as a real-valued numeric array"):
        layer.set_weights([np.full(kernel.shape, "a"), before[1], before[2]])
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), before))


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("x,exc,match", [
    (np.zeros((2, 3)), ValueError, r"NAME.forward: expected a 3-D array \(batch, time, features\), got shape \(2, 3\)"),
    (np.zeros((2, 3, 5)), ValueError, r"NAME.forward: expected 4 features per time step \(n_in\), got shape \(2, 3, 5\)"),
    (np.zeros((2, 0, 4)), ValueError, r"NAME.forward: expected at least one time step, got shape \(2, 0, 4\)"),
    (np.full((2, 3, 4), np.inf), ValueError, r"NAME.forward: expected finite values, got 24 NaN/inf entries"),
    (np.array([["a"]]), TypeError, r"NAME.forward: expected a real-valued numeric array"),
])
@cells
def test_bad_forward_input(cell, x, exc, match):
    layer, match = cell(4, 3), match.replace("NAME", cell.__name__)
    with pytest.raises(exc, match=match):
        layer.forward(x)
    with pytest.raises(exc, match=match):
        layer.check_input(x)


@cells
def test_bad_backward(cell):
    with pytest.raises(ValueError, match=rf"{cell.__name__}.backward: expected a forward\(\) call first"):
        cell(4, 3).backward(np.zeros((2, 3)))
    layer = cell(4, 3, return_sequences=True)
    layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=rf"{cell.__name__}.backward: expected grad_out of shape \(2, 5, 3\)"):
        layer.backward(np.zeros((2, 3)))
    last_only = cell(4, 3)
    last_only.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=rf"{cell.__name__}.backward: expected grad_out of shape \(2, 3\)"):
        last_only.backward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=rf"{cell.__name__}.backward: grad_out: expected finite values, got 1 NaN/inf"):
        layer.backward(np.where(np.arange(30).reshape(2, 5, 3) == 7, np.nan, 0.0))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(n_in=0, units=3), ValueError, r"NAME: expected n_in to be an int >= 1, got 0"),
    (dict(n_in=3, units=2.5), TypeError, r"NAME: expected units to be an int >= 1, got float"),
    (dict(n_in=3, units=2, return_sequences="yes"), TypeError, r"NAME: expected return_sequences to be True or False"),
    (dict(n_in=3, units=2, dtype="int32"), TypeError, r"NAME: expected a floating dtype such as 'float32', got int32"),
    (dict(n_in=3, units=2, seed="x"), TypeError, r"NAME: expected seed as None, an int or a numpy.random.Generator"),
])
@cells
def test_bad_constructor_arguments(cell, kwargs, exc, match):
    match = match.replace("NAME", cell.__name__)
    with pytest.raises(exc, match=match):
        cell(**kwargs)
