"""Conv2D and conv2d: parity with Keras/TensorFlow, float64 gradient checks, output sizes, bad inputs.

Tolerances (float32 parity): rtol 1e-5 and atol = 1e-6 * (largest |reference|) * sqrt(terms summed
per entry), since float32 rounding in a sum of m terms grows like sqrt(m) * eps * magnitude.
Gradient checks: float64, relative error < 1e-6 (``dlcourse.gradcheck`` default).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers.conv import Conv2D, conv2d, conv_output_size, same_padding


@pytest.fixture(scope="module")
def tf_keras():
    from dlcourse.tfsetup import load_tensorflow

    return load_tensorflow(seed=0)


def assert_close(actual, ref, terms: int, what: str):
    ref = np.asarray(ref)
    atol = 1e-6 * float(np.abs(ref).max()) * np.sqrt(terms)
    np.testing.assert_allclose(actual, ref, rtol=1e-5, atol=atol, err_msg=what)


# (batch, h, w, c_in), filters, kernel_size, strides, padding
CASES = [
    ((2, 7, 7, 3), 4, 3, 1, "valid"),
    ((2, 7, 7, 3), 4, 3, 1, "same"),
    ((3, 8, 6, 2), 5, 3, 2, "same"),
    ((3, 8, 6, 2), 5, 3, 2, "valid"),
    ((2, 9, 7, 3), 2, (3, 2), (2, 1), "same"),
    ((2, 9, 7, 3), 2, (2, 3), (2, 1), "valid"),
    ((1, 6, 6, 1), 3, 4, 1, "same"),      # even kernel: SAME pads 1 top/left, 2 bottom/right
    ((2, 5, 5, 4), 3, 1, 1, "valid"),     # 1x1 convolution
    ((2, 10, 10, 2), 3, 5, 3, "same"),
    ((1, 5, 5, 2), 2, 5, 1, "valid"),     # kernel as large as the input: one output pixel
]


@pytest.mark.parametrize("shape,filters,ks,strides,padding", CASES)
def test_conv2d_layer_matches_keras_forward_and_all_gradients(tf_keras, shape, filters, ks, strides, padding):
    tf, keras = tf_keras
    rng = np.random.default_rng(0)
    layer = Conv2D(shape[-1], filters, ks, strides=strides, padding=padding, seed=1)
    layer.params["bias"][...] = rng.standard_normal(filters)  # zero bias would hide a bias bug
    x = rng.standard_normal(shape).astype(np.float32)

    ref_layer = keras.layers.Conv2D(filters, ks, strides=strides, padding=padding)
    ref_layer.build((None, *shape[1:]))
    ref_layer.set_weights(layer.get_weights())
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = ref_layer(xt)
    y = layer.forward(x)
    assert y.shape == tuple(yt.shape) == (shape[0], *layer.compute_output_shape(shape[1:]))
    assert y.dtype == np.float32
    kh, kw = layer.kernel_size
    assert_close(y, yt.numpy(), kh * kw * shape[-1], "forward")

    g = rng.standard_normal(y.shape).astype(np.float32)
    dxt, dkt, dbt = tape.gradient(yt, [xt, *ref_layer.trainable_variables], output_gradients=tf.constant(g))
    dx = layer.backward(g)
    assert dx.shape == x.shape and dx.dtype == np.float32
    assert_close(dx, dxt.numpy(), kh * kw * filters, "input gradient")
    assert_close(layer.grads["kernel"], dkt.numpy(), y.shape[0] * y.shape[1] * y.shape[2], "kernel gradient")
    assert_close(layer.grads["bias"], dbt.numpy(), y.size // filters, "bias gradient")


@pytest.mark.parametrize("shape,filters,ks,strides,padding", CASES[:6])
def test_conv2d_function_matches_tf_nn_conv2d(tf_keras, shape, filters, ks, strides, padding):
    tf, _ = tf_keras
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    ks = (ks, ks) if isinstance(ks, int) else ks
    k = rng.standard_normal((*ks, shape[-1], filters)).astype(np.float32)
    s = (strides, strides) if isinstance(strides, int) else strides
    ref = tf.nn.conv2d(x, k, strides=[1, *s, 1], padding=padding.upper()).numpy()
    assert_close(conv2d(x, k, strides, padding), ref, ks[0] * ks[1] * shape[-1], "conv2d")


def test_relu_activation_and_l2_regularizer_match_keras(tf_keras):
    tf, keras = tf_keras
    rng = np.random.default_rng(3)
    l2 = 0.01
    layer = Conv2D(3, 4, 3, padding="same", activation="relu", kernel_regularizer=l2, seed=0)
    layer.params["bias"][...] = rng.standard_normal(4) * 0.1
    ref_layer = keras.layers.Conv2D(4, 3, padding="same", activation="relu",
                                    kernel_regularizer=keras.regularizers.L2(l2))
    ref_layer.build((None, 6, 6, 3))
    ref_layer.set_weights(layer.get_weights())
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    g = rng.standard_normal((2, 6, 6, 4)).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        yt = ref_layer(xt)
        loss = tf.reduce_sum(yt * g) + tf.add_n(ref_layer.losses)
    dxt, dkt, dbt = tape.gradient(loss, [xt, *ref_layer.trainable_variables])
    y = layer.forward(x)
    assert (y == 0).any() and (y > 0).any()  # the ReLU is really exercised
    assert_close(y, yt.numpy(), 27, "relu forward")
    np.testing.assert_allclose(layer.regularization_loss(), float(tf.add_n(ref_layer.losses)), rtol=1e-5)
    dx = layer.backward(g)
    assert_close(dx, dxt.numpy(), 36, "input gradient")
    assert_close(layer.grads["kernel"], dkt.numpy(), 72, "kernel gradient incl. L2")
    assert_close(layer.grads["bias"], dbt.numpy(), 72, "bias gradient")


def test_same_padding_is_tensorflows_asymmetric_rule():
    assert same_padding(4, 2, 1) == (0, 1)   # odd total: the extra row goes to the bottom
    assert same_padding(6, 4, 1) == (1, 2)
    assert same_padding(6, 4, 2) == (1, 1)
    assert same_padding(5, 3, 1) == (1, 1)
    assert same_padding(7, 1, 3) == (0, 0)
    # a kernel that picks the top-left tap shows where the zeros went: with kernel 2 the
    # bottom row is padding, so the last output row sees only zeros
    k = np.zeros((2, 2, 1, 1), np.float32)
    k[1, 1] = 1  # each output reads the pixel one below and one right
    x = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    y = conv2d(x, k, 1, "same")[0, :, :, 0]
    np.testing.assert_array_equal(y[:3, :3], x[0, 1:, 1:, 0])
    np.testing.assert_array_equal(y[3], 0)
    np.testing.assert_array_equal(y[:, 3], 0)


def test_conv_output_size_matches_tensorflow(tf_keras):
    tf, _ = tf_keras
    for padding in ("valid", "same"):
        for n in range(1, 9):
            for k in range(1, 5):
                for s in range(1, 4):
                    ours = conv_output_size(n, k, s, padding)
                    if ours == 0:  # TF refuses a "valid" kernel larger than the input
                        assert padding == "valid" and k > n
                        continue
                    y = tf.nn.conv2d(tf.zeros((1, n, 1, 1)), tf.zeros((k, 1, 1, 1)), [1, s, 1, 1], padding.upper())
                    assert ours == y.shape[1], (n, k, s, padding)


def test_initialisation_follows_keras():
    layer = Conv2D(8, 16, 3, seed=0)
    k = layer.params["kernel"]
    assert k.shape == (3, 3, 8, 16) and k.dtype == np.float32
    limit = np.sqrt(6 / (3 * 3 * 8 + 3 * 3 * 16))
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.9 * limit
    assert np.all(layer.params["bias"] == 0)
    assert list(layer.params) == ["kernel", "bias"]
    np.testing.assert_array_equal(Conv2D(8, 16, 3, seed=0).params["kernel"], k)  # seeded
    assert list(Conv2D(2, 3, 3, use_bias=False).params) == ["kernel"]
    assert layer.count_params() == 3 * 3 * 8 * 16 + 16
    assert Conv2D(2, 3, (3, 1), strides=(2, 1)).strides == (2, 1)
    # the contract's argument names: Conv2D(c_in, c_out, kernel_size), c_out stored as Keras' `filters`
    assert Conv2D(c_in=2, c_out=5, kernel_size=3).filters == 5


def test_float32_layer_casts_float64_input_like_keras():
    layer = Conv2D(2, 3, 3, seed=0)
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 2))
    y = layer.forward(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, layer.forward(x.astype(np.float32)), rtol=0, atol=0)


@st.composite
def conv_setups(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(kh, 6)), draw(st.integers(kw, 6))
    return dict(batch=draw(st.integers(1, 2)), h=h, w=w, c_in=draw(st.integers(1, 3)), filters=draw(st.integers(1, 3)),
                kernel_size=(kh, kw), strides=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), padding=padding,
                use_bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


@settings(max_examples=30, deadline=None)
@given(conv_setups())
def test_conv2d_gradients_match_numerical_float64(s):
    layer = Conv2D(s["c_in"], s["filters"], s["kernel_size"], strides=s["strides"], padding=s["padding"],
                   use_bias=s["use_bias"], seed=s["seed"], dtype="float64")
    rng = np.random.default_rng(s["seed"])
    if s["use_bias"]:
        layer.params["bias"][...] = rng.standard_normal(s["filters"])
    x = rng.standard_normal((s["batch"], s["h"], s["w"], s["c_in"]))
    errors = check_layer(layer, x, seed=s["seed"])
    assert set(errors) == {"input", *layer.params}
    assert max(errors.values()) < 1e-6


def test_relu_and_regularizer_gradients_match_numerical_float64():
    rng = np.random.default_rng(5)
    no_reg = Conv2D(2, 3, 3, strides=2, padding="same", activation="relu", seed=0, dtype="float64")
    no_reg.params["bias"][...] = rng.standard_normal(3) * 0.1
    x = rng.standard_normal((2, 5, 5, 2))
    r = rng.standard_normal(no_reg.forward(x).shape)
    errs = check_layer(no_reg, x)  # checks d sum(output * R); the ReLU's kinks are detected and skipped
    assert max(errs.values()) < 1e-6
    # the L2 term on its own: grads with the regularizer minus grads without = d(l2 * sum(k**2))/dk
    layer = Conv2D(2, 3, 3, strides=2, padding="same", activation="relu", kernel_regularizer=0.05,
                   seed=0, dtype="float64")
    layer.set_weights(no_reg.get_weights())
    layer.forward(x)
    layer.backward(r)
    k = layer.params["kernel"]
    no_reg.forward(x)
    no_reg.backward(r)
    np.testing.assert_allclose(layer.grads["kernel"] - no_reg.grads["kernel"], 2 * 0.05 * k, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.regularization_loss(), 0.05 * np.sum(k**2), rtol=1e-12)
    assert max(check_layer(layer, x).values()) < 1e-6  # its objective includes regularization_loss()


# -- bad inputs: each raises a clear error naming where, what was expected and what was given ----

def _fresh():
    return Conv2D(3, 4, 3, seed=0)


BAD = [
    ("wrong rank", lambda: _fresh().forward(np.zeros((3, 4))), ValueError,
     r"Conv2D\.forward: expected a 4-D array \(batch, height, width, channels\), got shape \(3, 4\)"),
    ("channel mismatch", lambda: _fresh().forward(np.zeros((1, 5, 5, 2))), ValueError,
     r"Conv2D\.forward: expected 3 input channels .*got shape \(1, 5, 5, 2\)"),
    ("unknown padding", lambda: Conv2D(3, 4, 3, padding="full"), ValueError,
     r"Conv2D: expected padding 'valid' or 'same', got 'full'"),
    ("kernel larger than input", lambda: _fresh().forward(np.zeros((1, 2, 5, 3))), ValueError,
     r"Conv2D\.forward: expected an input at least as large as the kernel \(3, 3\) with padding 'valid', got .*\(2, 5\)"),
    ("zero stride", lambda: Conv2D(3, 4, 3, strides=0), ValueError,
     r"Conv2D: expected strides to be an int >= 1, got 0"),
    ("negative stride in pair", lambda: Conv2D(3, 4, 3, strides=(1, -2)), ValueError,
     r"Conv2D: expected strides to be an int >= 1, got -2"),
    ("float stride", lambda: Conv2D(3, 4, 3, strides=1.5), TypeError,
     r"Conv2D: expected strides to be an int >= 1, got float 1\.5"),
    ("kernel_size triple", lambda: Conv2D(3, 4, (3, 3, 3)), ValueError,
     r"Conv2D: expected kernel_size as an int or a pair \(rows, cols\), got \(3, 3, 3\)"),
    ("non-finite input", lambda: _fresh().forward(np.full((1, 4, 4, 3), np.nan)), ValueError,
     r"Conv2D\.forward: expected finite values, got 48 NaN/inf entries"),
    ("infinite input", lambda: _fresh().forward(np.where(np.eye(4)[None, :, :, None] > 0, np.inf, 0.0) * np.ones(3)),
     ValueError, r"Conv2D\.forward: expected finite values, got 12 NaN/inf entries"),
    ("complex input", lambda: _fresh().forward(np.zeros((1, 4, 4, 3), complex)), TypeError,
     r"Conv2D\.forward: expected a real-valued numeric array, got array of shape \(1, 4, 4, 3\) and dtype complex128"),
    ("string input", lambda: _fresh().forward("image"), TypeError,
     r"Conv2D\.forward: expected a real-valued numeric array"),
    ("backward before forward", lambda: _fresh().backward(np.zeros((1, 2, 2, 4))), ValueError,
     r"Conv2D\.backward: expected a forward\(\) call first, got none"),
    ("wrong grad shape", lambda: (lambda l: (l.forward(np.zeros((1, 4, 4, 3))), l.backward(np.zeros((1, 4, 4, 4)))))(_fresh()),
     ValueError, r"Conv2D\.backward: expected grad_out of shape \(1, 2, 2, 4\) \(the last output's shape\), got \(1, 4, 4, 4\)"),
    ("unsupported activation", lambda: Conv2D(3, 4, 3, activation="softmax"), ValueError,
     r"Conv2D: expected activation None, 'linear' or 'relu' .*got 'softmax'"),
    ("integer dtype", lambda: Conv2D(3, 4, 3, dtype="int32"), TypeError,
     r"Conv2D: expected a floating dtype such as 'float32', got int32"),
    ("negative regularizer", lambda: Conv2D(3, 4, 3, kernel_regularizer=-0.1), ValueError,
     r"Conv2D: expected kernel_regularizer >= 0 \(an L2 factor\), got -0\.1"),
    ("regularizer object", lambda: Conv2D(3, 4, 3, kernel_regularizer="l2"), TypeError,
     r"Conv2D: expected kernel_regularizer as an L2 factor \(float\) or None, got str"),
    ("zero filters", lambda: Conv2D(3, 0, 3), ValueError, r"Conv2D: expected c_out to be an int >= 1, got 0"),
    ("conv2d kernel channels", lambda: conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 2, 1))), ValueError,
     r"conv2d: expected the kernel's c_in \(2\) to equal the input's channels, got input shape \(1, 4, 4, 3\)"),
    ("conv2d kernel rank", lambda: conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3))), ValueError,
     r"conv2d: expected a 4-D array kernel \(kh, kw, c_in, filters\), got shape \(3, 3, 3\)"),
    ("conv_output_size padding", lambda: conv_output_size(5, 3, 1, "causal"), ValueError,
     r"conv_output_size: expected padding 'valid' or 'same', got 'causal'"),
    ("output shape channels", lambda: _fresh().compute_output_shape((5, 5, 1)), ValueError,
     r"Conv2D\.compute_output_shape: expected 3 input channels, got 1"),
]


@pytest.mark.parametrize("case,call,exc,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_clear_error(case, call, exc, message):
    with pytest.raises(exc, match=message):
        call()
