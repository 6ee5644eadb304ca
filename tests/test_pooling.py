"""MaxPool2D and AveragePool2D: parity with Keras (forward and input gradient), TF's tie rule,
float64 gradient checks, bad inputs.

Tolerances (float32 parity): rtol 1e-5, atol 1e-6 * largest |reference| (a max is exact; an
average or an accumulated gradient sums at most pool_h*pool_w terms). Gradient checks: float64,
relative error < 1e-6.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers.pooling import AveragePool2D, MaxPool2D


@pytest.fixture(scope="module")
def tf_keras():
    from dlcourse.tfsetup import load_tensorflow

    return load_tensorflow(seed=0)


def keras_twin(keras, cls):
    return {MaxPool2D: keras.layers.MaxPooling2D, AveragePool2D: keras.layers.AveragePooling2D}[cls]


def run_keras(tf, keras_layer, x, g):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = keras_layer(xt)
    return yt.numpy(), tape.gradient(yt, xt, output_gradients=tf.constant(g)).numpy()


def assert_close(actual, ref, what):
    np.testing.assert_allclose(actual, ref, rtol=1e-5, atol=1e-6 * float(np.abs(ref).max()), err_msg=what)


# (batch, h, w, c), pool_size, strides, padding
CASES = [
    ((2, 8, 8, 3), 2, None, "valid"),
    ((2, 7, 7, 3), 2, None, "valid"),      # odd size: the last row/column is dropped
    ((2, 7, 6, 2), 3, 2, "valid"),         # overlapping windows
    ((2, 7, 6, 2), 3, 2, "same"),
    ((1, 9, 7, 2), (2, 3), (2, 1), "same"),
    ((1, 9, 7, 2), (3, 2), (2, 1), "valid"),
    ((2, 5, 5, 1), 2, 1, "same"),          # extra padding on the bottom/right only
    ((2, 6, 6, 4), 2, 3, "same"),          # stride larger than the window
]


@pytest.mark.parametrize("cls", [MaxPool2D, AveragePool2D])
@pytest.mark.parametrize("shape,pool,strides,padding", CASES)
def test_pooling_matches_keras_forward_and_input_gradient(tf_keras, cls, shape, pool, strides, padding):
    tf, keras = tf_keras
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    layer = cls(pool, strides, padding)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y_ref, dx_ref = run_keras(tf, keras_twin(keras, cls)(pool, strides, padding), x, g)
    assert y.shape == y_ref.shape == (shape[0], *layer.compute_output_shape(shape[1:]))
    assert y.dtype == np.float32
    assert_close(y, y_ref, "forward")
    dx = layer.backward(g)
    assert dx.shape == x.shape and dx.dtype == np.float32
    assert_close(dx, dx_ref, "input gradient")


def test_defaults_follow_keras():
    layer = MaxPool2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert AveragePool2D((3, 2)).strides == (3, 2)
    assert layer.params == {} and layer.count_params() == 0


def test_max_pool_tie_goes_to_first_maximum_like_tensorflow(tf_keras):
    tf, keras = tf_keras
    # all four equal: TF sends the whole gradient to the top-left one
    y_ref, dx_ref = run_keras(tf, keras.layers.MaxPooling2D(2), np.ones((1, 2, 2, 1), np.float32),
                              np.ones((1, 1, 1, 1), np.float32))
    layer = MaxPool2D(2)
    layer.forward(np.ones((1, 2, 2, 1), np.float32))
    dx = layer.backward(np.ones((1, 1, 1, 1), np.float32))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0], [0, 0]])
    np.testing.assert_array_equal(dx, dx_ref)
    # overlapping windows with ties: contributions add up on the first maximum of each window
    x = np.array([[1, 2, 2], [0, 2, 1], [2, 0, 0]], np.float32).reshape(1, 3, 3, 1)
    layer = MaxPool2D(2, 1)
    layer.forward(x)
    dx = layer.backward(np.ones((1, 2, 2, 1), np.float32))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 2, 0], [0, 2, 0], [0, 0, 0]])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), pool=st.integers(2, 3), stride=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]))
def test_max_pool_with_many_ties_matches_tensorflow(tf_keras, seed, pool, stride, padding):
    tf, keras = tf_keras
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(2, 6, 5, 2)).astype(np.float32)  # three values: ties everywhere
    layer = MaxPool2D(pool, stride, padding)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y_ref, dx_ref = run_keras(tf, keras.layers.MaxPooling2D(pool, stride, padding), x, g)
    np.testing.assert_array_equal(y, y_ref)
    assert_close(layer.backward(g), dx_ref, "input gradient with ties")


def test_parameter_free_layers_keep_the_input_dtype():
    x = np.random.default_rng(0).standard_normal((1, 4, 4, 2))
    for cls in (MaxPool2D, AveragePool2D):
        layer = cls()
        assert layer.forward(x).dtype == np.float64
        assert layer.backward(np.ones((1, 2, 2, 2))).dtype == np.float64


@st.composite
def pool_setups(draw):
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(ph, 6)), draw(st.integers(pw, 6)), draw(st.integers(1, 3))),
                pool=(ph, pw), strides=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                padding=draw(st.sampled_from(["valid", "same"])), seed=draw(st.integers(0, 2**16)))


@settings(max_examples=25, deadline=None)
@given(pool_setups(), st.sampled_from([MaxPool2D, AveragePool2D]))
def test_pooling_gradients_match_numerical_float64(s, cls):
    # continuous random inputs: ties (max pooling's kinks) have probability zero
    x = np.random.default_rng(s["seed"]).standard_normal(s["shape"])
    errors = check_layer(cls(s["pool"], s["strides"], s["padding"]), x, seed=s["seed"])
    assert errors["input"] < 1e-6


# -- bad inputs -------------------------------------------------------------------------------

def _after_forward(layer, shape):
    layer.forward(np.zeros(shape))
    return layer


BAD = [
    ("wrong rank", lambda: MaxPool2D().forward(np.zeros((4, 4, 3))), ValueError,
     r"MaxPool2D\.forward: expected a 4-D array \(batch, height, width, channels\), got shape \(4, 4, 3\)"),
    ("window larger than input", lambda: AveragePool2D(3).forward(np.zeros((1, 2, 4, 1))), ValueError,
     r"AveragePool2D\.forward: expected an input at least as large as pool_size \(3, 3\) with padding 'valid', "
     r"got height x width \(2, 4\)"),
    ("unknown padding", lambda: MaxPool2D(2, padding="full"), ValueError,
     r"MaxPool2D: expected padding 'valid' or 'same', got 'full'"),
    ("zero stride", lambda: AveragePool2D(2, 0), ValueError, r"AveragePool2D: expected strides to be an int >= 1, got 0"),
    ("float pool size", lambda: MaxPool2D(2.0), TypeError, r"MaxPool2D: expected pool_size to be an int >= 1, got float 2\.0"),
    ("pool size triple", lambda: MaxPool2D((2, 2, 2)), ValueError,
     r"MaxPool2D: expected pool_size as an int or a pair \(rows, cols\), got \(2, 2, 2\)"),
    ("non-finite input", lambda: MaxPool2D().forward(np.array([np.nan, 1, 2, 3]).reshape(1, 2, 2, 1)), ValueError,
     r"MaxPool2D\.forward: expected finite values, got 1 NaN/inf entries in an array of shape \(1, 2, 2, 1\)"),
    ("complex input", lambda: AveragePool2D().forward(np.zeros((1, 2, 2, 1), complex)), TypeError,
     r"AveragePool2D\.forward: expected a real-valued numeric array, got array of shape \(1, 2, 2, 1\) and dtype complex128"),
    ("backward before forward", lambda: MaxPool2D().backward(np.zeros((1, 1, 1, 1))), ValueError,
     r"MaxPool2D\.backward: expected a forward\(\) call first, got none"),
    ("wrong grad shape", lambda: _after_forward(AveragePool2D(), (1, 4, 4, 2)).backward(np.zeros((1, 4, 4, 2))), ValueError,
     r"AveragePool2D\.backward: expected grad_out of shape \(1, 2, 2, 2\) \(the last output's shape\), got \(1, 4, 4, 2\)"),
    ("integer dtype", lambda: AveragePool2D(dtype="int32"), TypeError,
     r"AveragePool2D: expected a floating dtype such as 'float32', got int32"),
    ("output shape rank", lambda: MaxPool2D().compute_output_shape((4, 4)), ValueError,
     r"MaxPool2D\.compute_output_shape: expected \(height, width, channels\), got \(4, 4\)"),
]


@pytest.mark.parametrize("case,call,exc,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_clear_error(case, call, exc, message):
    with pytest.raises(exc, match=message):
        call()
