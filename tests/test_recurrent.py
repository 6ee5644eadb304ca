"""SimpleRNN: parity with keras.layers.SimpleRNN, float64 gradient checks, bad input.

Tolerances: float32 parity rtol 1e-5, atol 1e-6 (tanh outputs and the gradients here
are O(0.1-10), so 1e-6 is ~1e-6 relative of the largest entries); float64 parity
rtol 1e-10, atol 1e-12; gradient checks relative error < 1e-6 (dlcourse.gradcheck).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers import SimpleRNN
from dlcourse.tfsetup import load_tensorflow

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


def keras_rnn_grads(tfk, layer, x, r):
    """Keras' output, dL/dx and weight gradients for L = sum(out * r), with our weights."""
    tf, keras = tfk
    k = keras.layers.SimpleRNN(layer.units, return_sequences=layer.return_sequences, dtype=str(layer.dtype))
    k.build((None,) + x.shape[1:])
    k.set_weights(layer.get_weights())
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = k(xt)
        loss = tf.reduce_sum(out * tf.constant(r))
    grads = tape.gradient(loss, [xt] + k.trainable_weights)
    return out.numpy(), grads[0].numpy(), [g.numpy() for g in grads[1:]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("batch,steps,n_in,units", [(1, 1, 1, 1), (4, 6, 3, 5), (3, 10, 7, 2), (2, 3, 8, 16)])
def test_parity_with_keras(tfk, dtype, return_sequences, batch, steps, n_in, units):
    rng = np.random.default_rng(batch * 100 + steps)
    layer = SimpleRNN(n_in, units, return_sequences=return_sequences, seed=1, dtype=dtype)
    # A nonzero bias so that the bias path is exercised in the forward pass too.
    layer.params["bias"][...] = rng.normal(0, 0.3, units)
    x = rng.normal(size=(batch, steps, n_in)).astype(dtype)
    out = layer.forward(x)
    r = rng.normal(size=out.shape).astype(dtype)
    dx = layer.backward(r)
    k_out, k_dx, k_dw = keras_rnn_grads(tfk, layer, x, r)
    tol = TOL[dtype]
    assert out.dtype == np.dtype(dtype) and dx.dtype == np.dtype(dtype)
    assert out.shape == ((batch, steps, units) if return_sequences else (batch, units))
    np.testing.assert_allclose(out, k_out, **tol)
    np.testing.assert_allclose(dx, k_dx, **tol)
    for key, kg in zip(layer.params, k_dw):
        assert layer.grads[key].shape == layer.params[key].shape
        np.testing.assert_allclose(layer.grads[key], kg, err_msg=key, **tol)


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


def test_last_state_equals_last_of_sequence():
    x = np.random.default_rng(0).normal(size=(3, 5, 4))
    seq = SimpleRNN(4, 2, return_sequences=True, seed=7).forward(x)
    last = SimpleRNN(4, 2, seed=7).forward(x)
    np.testing.assert_array_equal(seq[:, -1], last)


def test_compute_output_shape():
    assert SimpleRNN(3, 5).compute_output_shape((7, 3)) == (5,)
    assert SimpleRNN(3, 5, return_sequences=True).compute_output_shape((7, 3)) == (7, 5)
    assert SimpleRNN(3, 5).compute_output_shape((None, 3)) == (5,)  # any sequence length
    with pytest.raises(ValueError, match=r"SimpleRNN.compute_output_shape: expected an input shape \(time, 3\), got \(7, 4\)"):
        SimpleRNN(3, 5).compute_output_shape((7, 4))
    assert SimpleRNN(3, 5).count_params() == 3 * 5 + 5 * 5 + 5


@pytest.mark.parametrize("return_sequences", [False, True])
def test_gradcheck_float64(return_sequences):
    layer = SimpleRNN(3, 4, return_sequences=return_sequences, seed=2, dtype="float64")
    layer.params["bias"][...] = np.random.default_rng(5).normal(0, 0.3, 4)
    errors = check_layer(layer, np.random.default_rng(1).normal(size=(2, 5, 3)))
    assert set(errors) == {"input", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < 1e-6


@settings(deadline=None, max_examples=15)
@given(batch=st.integers(1, 3), steps=st.integers(1, 5), n_in=st.integers(1, 4), units=st.integers(1, 4),
       return_sequences=st.booleans(), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(batch, steps, n_in, units, return_sequences, seed):
    rng = np.random.default_rng(seed)
    layer = SimpleRNN(n_in, units, return_sequences=return_sequences, seed=rng, dtype="float64")
    layer.params["bias"][...] = rng.normal(0, 0.3, units)
    errors = check_layer(layer, rng.normal(size=(batch, steps, n_in)), seed=seed)
    assert max(errors.values()) < 1e-6


def test_integer_input_is_cast_to_layer_dtype():
    out = SimpleRNN(2, 3, seed=0).forward(np.ones((1, 4, 2), dtype=np.int64))
    assert out.dtype == np.float32


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("x,exc,match", [
    (np.zeros((2, 3)), ValueError, r"SimpleRNN.forward: expected a 3-D array \(batch, time, features\), got shape \(2, 3\)"),
    (np.zeros((2, 3, 5)), ValueError, r"SimpleRNN.forward: expected 4 features per time step \(n_in\), got shape \(2, 3, 5\)"),
    (np.zeros((2, 0, 4)), ValueError, r"SimpleRNN.forward: expected at least one time step, got shape \(2, 0, 4\)"),
    (np.array([["a"]]), TypeError, r"SimpleRNN.forward: expected a real-valued numeric array"),
])
def test_bad_forward_input(x, exc, match):
    with pytest.raises(exc, match=match):
        SimpleRNN(4, 3).forward(x)


def test_backward_before_forward():
    with pytest.raises(ValueError, match=r"SimpleRNN.backward: expected a forward\(\) call first"):
        SimpleRNN(4, 3).backward(np.zeros((2, 3)))


@pytest.mark.parametrize("return_sequences,bad", [(False, (2, 5, 3)), (True, (2, 3))])
def test_backward_grad_shape_mismatch(return_sequences, bad):
    layer = SimpleRNN(4, 3, return_sequences=return_sequences)
    layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"SimpleRNN.backward: expected grad_out of shape"):
        layer.backward(np.zeros(bad))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(n_in=0, units=3), ValueError, r"SimpleRNN: expected n_in to be an int >= 1, got 0"),
    (dict(n_in=3, units=2.5), TypeError, r"SimpleRNN: expected units to be an int >= 1, got float"),
    (dict(n_in=3, units=2, return_sequences="yes"), TypeError, r"SimpleRNN: expected return_sequences to be True or False"),
    (dict(n_in=3, units=2, dtype="int32"), TypeError, r"SimpleRNN: expected a floating dtype such as 'float32', got int32"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        SimpleRNN(**kwargs)
