"""dlcourse.layers.core vs Keras: forward, input and weight gradients, gradchecks, errors.

Parity: our weights are copied into the Keras layer with ``set_weights``; outputs and
gradients (tf.GradientTape of sum(output * R) for a fixed random R) agree in float32 to
rtol 1e-5, atol 1e-6 (entries are O(1) sums of at most 8 products, so float32 rounding stays
near 1e-7; the atol only covers entries that cancel to almost 0).
Gradient checks: float64, dlcourse.gradcheck.check_layer, relative error < 1e-6.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer, numerical_gradient, relative_error
from dlcourse.layers.core import Activation, Dense, Dropout, Flatten, ReLU, Sigmoid, Softmax, Tanh

RTOL, ATOL = 1e-5, 1e-6
ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "softmax", "linear"]


def _x(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _keras_grads(tf, layer_call, weights, x, r):
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = layer_call(xv)
        scalar = tf.reduce_sum(out * r)
    grads = tape.gradient(scalar, [xv, *weights])
    return out.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("shape,units,use_bias", [((8, 5), 3, True), ((1, 4), 6, False), ((3, 2, 5), 4, True)])
def test_dense_matches_keras(tf_keras, activation, shape, units, use_bias):
    tf, keras = tf_keras
    ours = Dense(shape[-1], units, activation=activation, use_bias=use_bias, seed=1)
    if use_bias:
        ours.params["bias"][...] = _x(units, seed=2)  # non-zero, so a wrong bias gradient shows
    k = keras.layers.Dense(units, activation=activation, use_bias=use_bias)
    k.build((None,) + shape[1:])
    k.set_weights(ours.get_weights())
    x, r = _x(shape, seed=3), _x(shape[:-1] + (units,), seed=4)
    out_k, (gx_k, *gw_k) = _keras_grads(tf, k, k.trainable_weights, x, r)
    out = ours.forward(x)
    gx = ours.backward(r)
    np.testing.assert_allclose(out, out_k, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gx, gx_k, rtol=RTOL, atol=ATOL)
    assert list(ours.grads) == list(ours.params) == (["kernel", "bias"] if use_bias else ["kernel"])
    for g, gk, p in zip(ours.grads.values(), gw_k, ours.params.values()):
        assert g.shape == p.shape and g.dtype == p.dtype
        np.testing.assert_allclose(g, gk, rtol=RTOL, atol=ATOL)


def test_dense_l2_regularizer_matches_keras(tf_keras):
    tf, keras = tf_keras
    ours = Dense(4, 3, activation="relu", kernel_regularizer=0.01, seed=0)
    k = keras.layers.Dense(3, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01))
    k.build((None, 4))
    k.set_weights(ours.get_weights())
    x = _x((6, 4), seed=1)
    k(x)
    assert ours.regularization_loss() == pytest.approx(float(sum(k.losses)), rel=RTOL)
    # gradient of output-sum + penalty w.r.t. the kernel, as Keras' training step sees it
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(k(x)) + tf.add_n(k.losses)
    gk = tape.gradient(total, k.kernel).numpy()
    ours.forward(x)
    ours.backward(np.ones((6, 3), np.float32))
    np.testing.assert_allclose(ours.grads["kernel"], gk, rtol=RTOL, atol=ATOL)
    assert Dense(4, 3).regularization_loss() == 0.0


def test_activation_layers_match_keras(tf_keras):
    tf, keras = tf_keras
    x, r = _x((5, 2, 4), seed=0), _x((5, 2, 4), seed=1)
    pairs = [
        (ReLU(), keras.layers.ReLU()), (Sigmoid(), keras.layers.Activation("sigmoid")),
        (Tanh(), keras.layers.Activation("tanh")), (Softmax(), keras.layers.Softmax()),
        (Softmax(axis=1), keras.layers.Softmax(axis=1)), (Activation("relu"), keras.layers.Activation("relu")),
    ]
    for ours, k in pairs:
        out_k, (gx_k,) = _keras_grads(tf, k, [], x, r)
        np.testing.assert_allclose(ours.forward(x), out_k, rtol=RTOL, atol=ATOL, err_msg=repr(ours))
        np.testing.assert_allclose(ours.backward(r), gx_k, rtol=RTOL, atol=ATOL, err_msg=repr(ours))


def test_flatten_matches_keras(tf_keras):
    tf, keras = tf_keras
    x, r = _x((3, 4, 5, 2)), _x((3, 40), seed=1)
    out_k, (gx_k,) = _keras_grads(tf, keras.layers.Flatten(), [], x, r)
    f = Flatten()
    np.testing.assert_array_equal(f.forward(x), out_k)
    np.testing.assert_array_equal(f.backward(r), gx_k)
    assert f.compute_output_shape((4, 5, 2)) == (40,)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_gradcheck_float64(activation):
    layer = Dense(5, 4, activation=activation, seed=0, dtype="float64")
    layer.params["bias"][...] = _x(4, seed=1, dtype=np.float64)
    errors = check_layer(layer, _x((6, 5), seed=2, dtype=np.float64))
    assert set(errors) == {"input", "kernel", "bias"} and max(errors.values()) < 1e-6


def test_dense_l2_gradient_is_derivative_of_penalised_objective_float64():
    # grads["kernel"] must be d/dW [sum(out * R) + l2 * sum(W**2)]; spelled out here, and
    # check_layer (whose objective adds regularization_loss()) must agree.
    assert max(check_layer(Dense(5, 4, "relu", kernel_regularizer=0.3, seed=1, dtype="float64"),
                           _x((6, 5), seed=4, dtype=np.float64)).values()) < 1e-6
    layer = Dense(5, 4, activation="tanh", kernel_regularizer=0.1, seed=0, dtype="float64")
    x, r = _x((6, 5), seed=2, dtype=np.float64), _x((6, 4), seed=3, dtype=np.float64)
    layer.forward(x)
    layer.backward(r)
    kernel = layer.params["kernel"]
    num = numerical_gradient(lambda: float(np.sum(layer.forward(x) * r)) + layer.regularization_loss(), kernel)
    assert relative_error(layer.grads["kernel"], num) < 1e-6
    assert layer.regularization_loss() == pytest.approx(0.1 * np.sum(kernel ** 2), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 4), n_in=st.integers(1, 5), units=st.integers(1, 5),
       extra=st.integers(0, 1), act=st.sampled_from(ACTIVATIONS), seed=st.integers(0, 2**16))
def test_dense_gradcheck_random_shapes(batch, n_in, units, extra, act, seed):
    layer = Dense(n_in, units, activation=act, seed=seed, dtype="float64")
    shape = (batch,) + (3,) * extra + (n_in,)
    check_layer(layer, _x(shape, seed=seed, dtype=np.float64), seed=seed)  # raises on failure


@pytest.mark.parametrize("layer", [ReLU(), Sigmoid(), Tanh(), Softmax(), Softmax(axis=1), Flatten()],
                         ids=["relu", "sigmoid", "tanh", "softmax", "softmax1", "flatten"])
@settings(max_examples=8, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_parameter_free_layers_gradcheck(layer, shape, seed):
    x = _x(shape, seed=seed, dtype=np.float64)
    x[np.abs(x) < 1e-3] = 0.1  # keep ReLU off its kink
    errors = check_layer(layer, x, seed=seed)
    assert errors["input"] < 1e-6


def test_dropout_scales_kept_units_and_is_identity_at_inference():
    x = np.ones((200, 50), np.float32)
    d = Dropout(0.3, seed=0)
    assert d.forward(x) is x  # inference: identity
    np.testing.assert_array_equal(d.backward(x), x)
    out = d.forward(x, training=True)
    assert out.dtype == np.float32
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01  # 10,000 draws: sd of the kept fraction ~0.005
    g = _x(x.shape, seed=1)
    np.testing.assert_allclose(d.backward(g), g * out, rtol=1e-6)  # same mask, same scale
    assert not np.array_equal(d.forward(x, training=True), out)  # a fresh mask each step
    np.testing.assert_array_equal(Dropout(0.3, seed=5).forward(x, True), Dropout(0.3, seed=5).forward(x, True))


def test_dropout_matches_keras_in_expectation(tf_keras):
    _, keras = tf_keras
    x = np.ones((400, 50), np.float32)
    out_k = np.asarray(keras.layers.Dropout(0.25, seed=0)(x, training=True))
    out = Dropout(0.25, seed=0, dtype="float64").forward(x.astype(np.float64), training=True)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.unique(out_k), [0, 1 / 0.75], rtol=1e-6)
    np.testing.assert_allclose(np.unique(out), [0, 1 / 0.75], rtol=1e-12)
    assert abs(out.mean() - 1) < 0.02 and abs(out_k.mean() - 1) < 0.02


def test_dropout_gradcheck_with_fixed_mask():
    d = Dropout(0.5, seed=0)
    x = _x((4, 6), dtype=np.float64)
    out = d.forward(x, training=True)
    mask = out / x
    g = _x((4, 6), seed=1, dtype=np.float64)
    np.testing.assert_allclose(d.backward(g), g * mask)  # d(x * mask)/dx = mask


def test_dense_keeps_keras_layout_attributes_and_dtype():
    d = Dense(7, 3, activation="softmax", seed=0, dtype="float64")
    assert (d.n_in, d.units, d.activation, d.use_bias, d.kernel_regularizer) == (7, 3, "softmax", True, None)
    assert d.params["kernel"].shape == (7, 3) and d.params["bias"].shape == (3,)
    assert d.params["kernel"].dtype == np.float64 and np.all(d.params["bias"] == 0)
    limit = np.sqrt(6 / 10)
    assert np.abs(d.params["kernel"]).max() <= limit
    assert d.forward(np.ones((2, 7), np.float32)).dtype == np.float64  # inputs are cast, as Keras autocasts
    assert d.forward(np.ones((2, 7), np.int64)).dtype == np.float64
    assert d.compute_output_shape((5, 7)) == (5, 3)
    assert Dense(7, 3, dtype=None).dtype == np.float32  # Keras: dtype=None is the float32 default
    assert d.count_params() == 24
    np.testing.assert_array_equal(Dense(3, 2, seed=4).params["kernel"], Dense(3, 2, seed=4).params["kernel"])


def test_parameter_free_layers_preserve_dtype():
    for layer in [ReLU(), Sigmoid(), Tanh(), Softmax(), Flatten(), Dropout(0.5, seed=0)]:
        for dtype in (np.float32, np.float64):
            out = layer.forward(np.ones((2, 3), dtype), training=True)
            assert out.dtype == dtype, (layer, dtype)
            assert layer.backward(np.ones_like(out)).dtype == dtype


def test_activation_layers_stable_at_1e4():
    x = np.array([[-1e4, 0.0, 1e4]], np.float32)
    with np.errstate(all="raise"):
        for layer in [ReLU(), Sigmoid(), Tanh(), Softmax(), Dense(3, 2, activation="softmax", seed=0)]:
            out = layer.forward(x)
            assert np.all(np.isfinite(out)) and np.all(np.isfinite(layer.backward(np.ones_like(out))))


# -- bad input ---------------------------------------------------------------------
def test_dense_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match=r"Dense.forward: expected an array of shape \(batch, 4\), got shape \(3, 5\)"):
        Dense(4, 2).forward(np.ones((3, 5)))


def test_dense_rejects_1d_input():
    with pytest.raises(ValueError, match=r"Dense.forward: expected an array of shape \(batch, 4\), got shape \(4,\)"):
        Dense(4, 2).forward(np.ones(4))


def test_dense_rejects_string_input():
    with pytest.raises(TypeError, match=r"Dense.forward: expected a real-valued numeric array, got array of shape \(1, 4\)"):
        Dense(4, 2).forward(np.array([["a", "b", "c", "d"]]))


def test_dense_backward_before_forward():
    with pytest.raises(ValueError, match=r"Dense.backward: expected a forward\(\) call first, got none"):
        Dense(4, 2).backward(np.ones((3, 2)))


def test_backward_rejects_non_numeric_grad_out():
    d = Dense(4, 2)
    d.forward(np.ones((3, 4)))
    with pytest.raises(TypeError, match=r"Dense.backward: expected a real-valued grad_out, got dtype <U1"):
        d.backward(np.full((3, 2), "a"))


def test_dense_backward_wrong_grad_shape():
    d = Dense(4, 2)
    d.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"Dense.backward: expected grad_out of shape \(3, 2\) .*got \(3, 4\)"):
        d.backward(np.ones((3, 4)))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(n_in=0, n_out=2), ValueError, r"Dense: expected n_in to be an int >= 1, got 0"),
    (dict(n_in=3, n_out=2.5), TypeError, r"Dense: expected n_out to be an int >= 1, got float"),
    (dict(n_in=3, n_out=2, activation="rellu"), ValueError, r"activations.get: expected one of .* got 'rellu'"),
    (dict(n_in=3, n_out=2, kernel_regularizer=-0.1), ValueError, r"Dense: expected kernel_regularizer >= 0 \(an L2 factor\), got -0.1"),
    (dict(n_in=3, n_out=2, kernel_regularizer="l2"), TypeError, r"Dense: expected kernel_regularizer as an L2 factor \(float\) or None, got str"),
    (dict(n_in=3, n_out=2, kernel_regularizer=float("nan")), ValueError, r"Dense: expected kernel_regularizer >= 0 \(an L2 factor\), got nan"),
    (dict(n_in=3, n_out=2, dtype="int32"), TypeError, r"Dense: expected a floating dtype such as 'float32', got int32"),
    (dict(n_in=3, n_out=2, seed="0"), TypeError, r"Dense: expected seed as None, an int or a numpy.random.Generator, got str"),
])
def test_dense_rejects_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Dense(**kwargs)


@pytest.mark.parametrize("rate,exc,match", [
    (1.0, ValueError, r"Dropout: expected rate in \[0, 1\), got 1.0"),
    (-0.2, ValueError, r"Dropout: expected rate in \[0, 1\), got -0.2"),
    ("0.5", TypeError, r"Dropout: expected rate as a float in \[0, 1\), got str"),
])
def test_dropout_rejects_bad_rate(rate, exc, match):
    with pytest.raises(exc, match=match):
        Dropout(rate)


def test_dropout_backward_wrong_grad_shape():
    d = Dropout(0.5, seed=0)
    d.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"Dropout.backward: expected grad_out of shape \(2, 3\) .*got \(3, 2\)"):
        d.backward(np.ones((3, 2)))


def test_flatten_rejects_scalar_and_checks_grad():
    with pytest.raises(ValueError, match=r"Flatten.forward: expected an array with a batch axis \(batch, ...\), got shape \(\)"):
        Flatten().forward(np.float32(3.0))
    f = Flatten()
    f.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Flatten.backward: expected grad_out of shape \(2, 12\) .*got \(2, 3, 4\)"):
        f.backward(np.ones((2, 3, 4)))


def test_softmax_layer_rejects_missing_axis_and_bad_axis_type():
    with pytest.raises(ValueError, match=r"Softmax.forward: expected an array with axis 2, got shape \(3, 4\)"):
        Softmax(axis=2).forward(np.ones((3, 4)))
    with pytest.raises(TypeError, match=r"Softmax: expected axis as an int, got float"):
        Softmax(axis=1.0)


def test_activation_layer_backward_before_forward():
    with pytest.raises(ValueError, match=r"Sigmoid.backward: expected a forward\(\) call first, got none"):
        Sigmoid().backward(np.ones(3))
