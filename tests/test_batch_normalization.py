"""BatchNormalization: parity with keras.layers.BatchNormalization in training and inference
mode (outputs, moving statistics, tf.GradientTape gradients, training runs after Dense and
after Conv2D), float64 gradient checks through the batch statistics, weights, bad input.

Tolerances: float32 parity rtol 1e-5, atol 1e-6 (normalized outputs are O(1), the
gradients here O(0.1-10)); float64 parity rtol 1e-10, atol 1e-12; gradient checks
relative error < 1e-6. The weight gradients are also compared, at the same tolerance, with
the exact sums computed in float64. Where a float32 sum cancels to far below its terms
(seeded case (3, 4, 5, 2): terms of total size 50 sum to -0.010077170; our float32 gives
-0.010076851, Keras' -0.010078082), Keras' rounding alone exceeds atol, so such entries are
judged against the exact value rather than against Keras.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers import BatchNormalization, Conv2D, Dense, Flatten, ReLU
from dlcourse.model import Sequential

from test_keras_bridge import train_both

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _random_weights(layer, rng):
    """Nontrivial gamma, beta and moving statistics, so that every term of the formulas matters."""
    n = layer.n_features
    values = {"gamma": rng.uniform(0.5, 2, n), "beta": rng.normal(0, 1, n),
              "moving_mean": rng.normal(0, 1, n), "moving_variance": rng.uniform(0.5, 3, n)}
    keys = ["gamma"] * layer.scale + ["beta"] * layer.center + ["moving_mean", "moving_variance"]
    layer.set_weights([values[k] for k in keys])


def _weight_grad_terms(x, r, axis, moving, epsilon, training):
    """The products summed into dgamma and dbeta, features last, in float64."""
    x, r = np.moveaxis(x, axis, -1).astype(np.float64), np.moveaxis(r, axis, -1).astype(np.float64)
    batch_axes = tuple(range(x.ndim - 1))
    mean, var = (x.mean(axis=batch_axes), x.var(axis=batch_axes)) if training else moving
    return {"gamma": r * (x - mean) / np.sqrt(var + epsilon), "beta": r}


def keras_bn(tf_keras, layer, x, r, training):
    """Keras' output, dL/dx, dL/d(trainable weights) and weights after one call, for L = sum(out * r)."""
    tf, keras = tf_keras
    k = keras.layers.BatchNormalization(axis=layer.axis, momentum=layer.momentum, epsilon=layer.epsilon,
                                        center=layer.center, scale=layer.scale, dtype=str(layer.dtype))
    k.build(x.shape)
    k.set_weights(layer.get_weights())
    k.trainable = layer.trainable
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = k(xt, training=training)
        loss = tf.reduce_sum(out * tf.constant(r))
    grads = tape.gradient(loss, [xt] + k.trainable_weights)
    return out.numpy(), grads[0].numpy(), [g.numpy() for g in grads[1:]], k.get_weights()


CASES = [  # input shape, axis
    ((8, 5), -1), ((1, 3), -1), ((4, 6, 6, 3), -1), ((3, 4, 5, 2), 3), ((5, 3, 4, 4), 1), ((6, 7, 2), -2),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape,axis", CASES)
def test_parity_with_keras(tf_keras, dtype, training, shape, axis):
    rng = np.random.default_rng(len(shape) * 10 + shape[0])
    layer = BatchNormalization(shape[axis], axis=axis, momentum=0.9, dtype=dtype)
    _random_weights(layer, rng)
    x = rng.normal(1.5, 2.0, size=shape).astype(dtype)  # mean and scale away from 0 and 1
    r = rng.normal(size=shape).astype(dtype)
    k_out, k_dx, k_dw, k_after = keras_bn(tf_keras, layer, x, r, training)
    moving = layer.get_weights()[2:]
    out = layer.forward(x, training=training)
    dx = layer.backward(r)
    tol = TOL[dtype]
    assert out.dtype == np.dtype(dtype) and dx.dtype == np.dtype(dtype) and out.shape == shape
    np.testing.assert_allclose(out, k_out, **tol)
    np.testing.assert_allclose(dx, k_dx, **tol)
    assert list(layer.grads) == list(layer.params) == ["gamma", "beta"]
    terms = _weight_grad_terms(x, r, axis, moving, layer.epsilon, training)
    batch_axes = tuple(range(len(shape) - 1))
    for key, kg in zip(layer.params, k_dw):
        exact = terms[key].sum(axis=batch_axes)            # the same sums in float64
        np.testing.assert_allclose(layer.grads[key], exact, err_msg=key, **tol)
        # Against Keras, entry by entry, except where a float32 sum cancels by more than 100x: there
        # both libraries' rounding (an ulp of the terms) exceeds atol, and the exact value above decides.
        kept = (np.abs(exact) >= 0.01 * np.abs(terms[key]).sum(axis=batch_axes)) | (dtype == "float64")
        np.testing.assert_allclose(layer.grads[key][kept], kg[kept], err_msg=key, **tol)
    for ours, theirs in zip(layer.get_weights(), k_after):  # moving statistics updated (or not) alike
        np.testing.assert_allclose(ours, theirs, **tol)


@pytest.mark.parametrize("center,scale", [(False, True), (True, False), (False, False)])
def test_parity_without_center_or_scale(tf_keras, center, scale):
    rng = np.random.default_rng(3)
    layer = BatchNormalization(4, center=center, scale=scale, momentum=0.5)
    _random_weights(layer, rng)
    assert list(layer.params) == ["gamma"] * scale + ["beta"] * center
    x, r = rng.normal(2, 3, (6, 4)).astype("float32"), rng.normal(size=(6, 4)).astype("float32")
    for training in (True, False):
        k_out, k_dx, k_dw, k_after = keras_bn(tf_keras, layer, x, r, training)
        np.testing.assert_allclose(layer.forward(x, training=training), k_out, **TOL["float32"])
        np.testing.assert_allclose(layer.backward(r), k_dx, **TOL["float32"])
        for key, kg in zip(layer.params, k_dw):
            np.testing.assert_allclose(layer.grads[key], kg, err_msg=key, **TOL["float32"])
        for ours, theirs in zip(layer.get_weights(), k_after):
            np.testing.assert_allclose(ours, theirs, **TOL["float32"])


def test_not_trainable_means_inference_mode_even_when_training(tf_keras):
    rng = np.random.default_rng(4)
    layer = BatchNormalization(3)
    _random_weights(layer, rng)
    layer.trainable = False
    x, r = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    before = layer.get_weights()
    k_out, k_dx, _, _ = keras_bn(tf_keras, layer, x, r, training=True)
    np.testing.assert_allclose(layer.forward(x, training=True), k_out, **TOL["float32"])
    np.testing.assert_allclose(layer.backward(r), k_dx, **TOL["float32"])
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), before))


def test_batch_statistics_by_hand():
    layer = BatchNormalization(2, momentum=0.75, epsilon=1e-3, dtype="float64")
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    mean, var = np.array([3.0, 6.0]), np.array([8 / 3, 32 / 3])  # biased: divided by 3, not 2
    np.testing.assert_allclose(layer.forward(x, training=True), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-14)
    np.testing.assert_allclose(layer.moving_mean, 0.25 * mean, rtol=1e-14)
    np.testing.assert_allclose(layer.moving_variance, 0.75 + 0.25 * var, rtol=1e-14)
    inference = (x - layer.moving_mean) / np.sqrt(layer.moving_variance + 1e-3)
    np.testing.assert_allclose(layer.forward(x), inference, rtol=1e-14)


def test_weights_params_and_counts_match_keras(tf_keras):
    tf, keras = tf_keras
    layer = BatchNormalization(5)
    k = keras.layers.BatchNormalization()
    k.build((None, 5))
    assert [w.path.split("/")[-1] for w in k.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    for ours, theirs in zip(layer.get_weights(), k.get_weights()):  # initial values 1, 0, 0, 1
        np.testing.assert_array_equal(ours, theirs)
    assert list(layer.params) == ["gamma", "beta"]  # all the optimizer sees
    assert layer.non_trainable_weights[0] is layer.moving_mean and layer.non_trainable_weights[1] is layer.moving_variance
    assert layer.count_params() == k.count_params() == 20
    assert (k.momentum, k.epsilon) == (layer.momentum, layer.epsilon) == (0.99, 1e-3)
    assert layer.compute_output_shape((7, 7, 5)) == (7, 7, 5)
    assert layer.name == "batch_normalization" and k.name.split("_")[:2] == ["batch", "normalization"]  # Keras may add _1


def test_set_weights_is_atomic():
    layer = BatchNormalization(3)
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"BatchNormalization.set_weights: expected moving_variance with finite"):
        layer.set_weights([np.full(3, 2.0), np.ones(3), np.ones(3), np.array([1.0, np.inf, 1.0])])
    with pytest.raises(ValueError, match=r"BatchNormalization.set_weights: expected moving_mean of shape \(3,\), got \(4,\)"):
        layer.set_weights([np.ones(3), np.ones(3), np.ones(4), np.ones(3)])
    with pytest.raises(ValueError, match=r"expected 4 arrays \(gamma, beta, moving_mean, moving_variance\), got 2"):
        layer.set_weights(before[:2])
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), before))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape,axis", [((6, 4), -1), ((3, 3, 2, 2), -1), ((4, 3, 2), 1)])
def test_gradcheck_float64(training, shape, axis):
    rng = np.random.default_rng(7)
    layer = BatchNormalization(shape[axis], axis=axis, dtype="float64")
    _random_weights(layer, rng)
    errors = check_layer(layer, rng.normal(1, 2, shape), training=training)
    assert set(errors) == {"input", "gamma", "beta"} and max(errors.values()) < 1e-6


@settings(deadline=None, max_examples=15)
@given(dims=st.lists(st.integers(1, 4), min_size=1, max_size=3), batch=st.integers(2, 5),
       axis_pick=st.integers(0, 2), training=st.booleans(), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(dims, batch, axis_pick, training, seed):
    rng = np.random.default_rng(seed)
    shape = (batch, *dims)
    axis = 1 + axis_pick % len(dims)
    layer = BatchNormalization(shape[axis], axis=axis, dtype="float64")
    _random_weights(layer, rng)
    errors = check_layer(layer, rng.normal(0, 2, shape), seed=seed, training=training)
    assert max(errors.values()) < 1e-6


def _dense_model(dtype):
    return Sequential([Dense(6, 8, seed=0, dtype=dtype), BatchNormalization(8, momentum=0.875, dtype=dtype), ReLU(),
                       Dense(8, 1, seed=1, dtype=dtype)])


def _conv_model(dtype):
    return Sequential([Conv2D(1, 3, 3, seed=0, dtype=dtype), BatchNormalization(3, momentum=0.75, dtype=dtype), ReLU(),
                       Flatten(), Dense(3 * 4 * 4, 1, seed=1, dtype=dtype)], input_shape=(6, 6, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("build,x_shape", [(_dense_model, (40, 6)), (_conv_model, (40, 6, 6, 1))])
def test_training_run_matches_keras_in_both_modes(tf_keras, build, x_shape, dtype):
    # Training mode in fit (batch statistics, moving averages), inference mode in predict.
    # Keras' fit casts float inputs to float32, so the data are float32 numbers; the rate and
    # momenta are exact in float32. In float64 the weights and moving statistics then agree
    # to float64 rounding (measured ~1e-14 relative): the same arithmetic, not merely close.
    rng = np.random.default_rng(0)
    x = rng.normal(1, 2, size=x_shape).astype("float32")
    y = np.tanh(x.reshape(len(x), -1).mean(axis=1, keepdims=True)).astype("float32")
    model = build(dtype)
    x, y = x.astype(dtype), y.astype(dtype)
    kmodel, ours, theirs = train_both(model, x, y, epochs=3, batch_size=10, lr=0.0625, loss="mse", metrics=())
    assert ours["loss"][-1] < ours["loss"][0]  # it learned, so the comparison means something
    # Keras logs the loss through a float32 metric: float32 resolution in both precisions.
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5 if dtype == "float32" else 3e-7)
    bn = next(layer for layer in model.layers if isinstance(layer, BatchNormalization))
    assert np.abs(bn.moving_mean).max() > 0.1  # 12 updates moved the statistics away from 0 and 1
    tol = TOL["float32"] if dtype == "float32" else dict(rtol=1e-11, atol=1e-13)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):  # moving statistics included
        np.testing.assert_allclose(w_ours, w_keras, **tol)
    np.testing.assert_allclose(model.predict(x), kmodel.predict(x, verbose=0), **tol)


def test_integer_input_is_cast_to_layer_dtype():
    assert BatchNormalization(2).forward(np.ones((3, 2), dtype=np.int64)).dtype == np.float32


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("x,axis,exc,match", [
    (np.zeros((4, 5)), -1, ValueError, r"BatchNormalization.forward: expected 3 features on axis -1, got shape \(4, 5\)"),
    (np.zeros(3), -1, ValueError, r"BatchNormalization.forward: expected an array of at least 2-D"),
    (np.zeros((4, 3)), 0, ValueError, r"BatchNormalization.forward: expected axis 0 to be a feature axis .* \(not the batch axis 0\)"),
    (np.zeros((4, 3)), 2, ValueError, r"BatchNormalization.forward: expected axis 2 to be a feature axis of a 2-D input"),
    (np.zeros((0, 3)), -1, ValueError, r"BatchNormalization.forward: expected at least one example, got shape \(0, 3\)"),
    (np.array([[1.0, np.nan, 0.0]]), -1, ValueError, r"BatchNormalization.forward: expected finite values, got 1 NaN/inf"),
    (np.array([["a", "b", "c"]]), -1, TypeError, r"BatchNormalization.forward: expected a real-valued numeric array"),
])
def test_bad_forward_input(x, axis, exc, match):
    layer = BatchNormalization(3, axis=axis)
    with pytest.raises(exc, match=match):
        layer.check_input(x)
    with pytest.raises(exc, match=match):
        layer.forward(x, training=True)
    assert not layer.moving_mean.any()  # nothing was half-applied


def test_bad_backward_and_output_shape():
    with pytest.raises(ValueError, match=r"BatchNormalization.backward: expected a forward\(\) call first"):
        BatchNormalization(3).backward(np.zeros((2, 3)))
    layer = BatchNormalization(3)
    layer.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"BatchNormalization.backward: expected grad_out of shape \(2, 3\)"):
        layer.backward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"BatchNormalization.backward: grad_out: expected finite values"):
        layer.backward(np.full((2, 3), np.inf))
    with pytest.raises(ValueError, match=r"BatchNormalization.compute_output_shape: expected an input shape with "
                                         r"3 features on axis -1, got \(4, 4\)"):
        layer.compute_output_shape((4, 4))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(n_features=0), ValueError, r"BatchNormalization: expected n_features to be an int >= 1, got 0"),
    (dict(n_features=3, momentum=1.0), ValueError, r"BatchNormalization: expected momentum in \[0, 1\), got 1.0"),
    (dict(n_features=3, momentum=-0.1), ValueError, r"BatchNormalization: expected momentum in \[0, 1\), got -0.1"),
    (dict(n_features=3, momentum="0.9"), TypeError, r"BatchNormalization: expected momentum to be a number, got str"),
    (dict(n_features=3, epsilon=0), ValueError, r"BatchNormalization: expected epsilon > 0, got 0"),
    (dict(n_features=3, epsilon=-1e-3), ValueError, r"BatchNormalization: expected epsilon > 0, got -0.001"),
    (dict(n_features=3, epsilon=float("nan")), ValueError, r"BatchNormalization: expected epsilon > 0, got nan"),
    (dict(n_features=3, axis=1.0), TypeError, r"BatchNormalization: expected axis to be an int, got float"),
    (dict(n_features=3, center="yes"), TypeError, r"BatchNormalization: expected center to be True or False, got str"),
    (dict(n_features=3, dtype="int32"), TypeError, r"BatchNormalization: expected a floating dtype"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        BatchNormalization(**kwargs)
