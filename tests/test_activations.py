"""dlcourse.activations vs TensorFlow: values, derivatives, stability and dtypes.

Tolerances: float32 parity rtol 1e-5, atol 1e-6 (values are O(1)); derivatives are
compared with tf.GradientTape on the same inputs; float64 derivative checks use
central differences via dlcourse.gradcheck (relative error < 1e-6).
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from dlcourse import activations as A
from dlcourse.gradcheck import numerical_gradient, relative_error

RTOL, ATOL = 1e-5, 1e-6
ELEMENTWISE = ["sigmoid", "tanh", "relu"]
GRADS = {"sigmoid": A.sigmoid_grad, "tanh": A.tanh_grad, "relu": A.relu_grad, "linear": A.linear_grad}


def _z(dtype=np.float32, shape=(7, 5), scale=4.0, seed=0):
    z = np.random.default_rng(seed).normal(size=shape) * scale
    return z.astype(dtype)


def _tf_fn(tf, name):
    return {"sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh, "relu": tf.nn.relu, "linear": tf.identity}[name]


@pytest.mark.parametrize("name", ELEMENTWISE + ["linear"])
def test_elementwise_value_and_derivative_match_tensorflow(tf_keras, name):
    tf, keras = tf_keras
    z = _z()
    z[0, :3] = [0.0, -0.0, 1e-8]  # relu's kink: TF uses relu'(0) = 0
    v = tf.Variable(z)
    with tf.GradientTape() as tape:
        out = _tf_fn(tf, name)(v)
    (tf_grad,) = [tape.gradient(out, v).numpy()]
    ours = getattr(A, name)(z)
    np.testing.assert_allclose(ours, out.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(GRADS[name](z), tf_grad, rtol=RTOL, atol=ATOL)
    # the keras.activations entry point gives the same numbers as tf.nn
    np.testing.assert_allclose(ours, np.asarray(keras.activations.get(name)(z)), rtol=RTOL, atol=ATOL)


def test_relu_derivative_is_zero_at_zero():
    assert A.relu_grad(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    assert A.get("relu").backward(np.zeros(2), np.ones(2)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_its_backward_match_tensorflow(tf_keras, axis):
    tf, _ = tf_keras
    z = _z(shape=(4, 6, 3))
    g = _z(shape=(4, 6, 3), seed=1)
    v = tf.Variable(z)
    with tf.GradientTape() as tape:
        s_tf = tf.nn.softmax(v, axis=axis)
        scalar = tf.reduce_sum(s_tf * g)
    tf_grad = tape.gradient(scalar, v).numpy()
    s = A.softmax(z, axis=axis)
    np.testing.assert_allclose(s, s_tf.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-6)
    np.testing.assert_allclose(A.softmax_backward(s, g, axis=axis), tf_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_derivatives_gradcheck_float64(name):
    z = _z(np.float64, shape=(3, 4), seed=2)
    z[np.abs(z) < 1e-3] = 0.5  # keep relu off its kink
    f = getattr(A, name)
    r = np.random.default_rng(3).normal(size=z.shape)
    num = numerical_gradient(lambda: float(np.sum(f(z) * r)), z)
    assert relative_error(GRADS[name](z) * r, num) < 1e-6
    # the layer-facing backward (from the output) agrees with the z-form
    assert relative_error(A.get(name).backward(f(z), r), num) < 1e-6


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-30, 30)),
       st.integers(0, 2))
def test_softmax_backward_gradcheck_random_shapes(z, axis):
    axis = axis % z.ndim
    r = np.random.default_rng(0).normal(size=z.shape)
    z = z.copy()
    num = numerical_gradient(lambda: float(np.sum(A.softmax(z, axis=axis) * r)), z)
    analytic = A.softmax_backward(A.softmax(z, axis=axis), r, axis=axis)
    # near-saturated softmaxes have tiny gradients; compare with an absolute floor
    assert relative_error(analytic, num) < 1e-6 or np.abs(analytic - num).max() < 1e-9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_1e4_without_warnings_and_keep_dtype(dtype):
    z = np.array([[-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]], dtype=dtype)
    expect_sigmoid = np.array([[0, 0, 0.2689414213699951, 0.5, 0.7310585786300049, 1, 1]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        results = {
            "sigmoid": A.sigmoid(z), "tanh": A.tanh(z), "relu": A.relu(z), "softmax": A.softmax(z),
            "linear": A.linear(z), "sigmoid_grad": A.sigmoid_grad(z), "tanh_grad": A.tanh_grad(z),
            "relu_grad": A.relu_grad(z), "softmax_backward": A.softmax_backward(A.softmax(z), np.ones_like(z)),
        }
    for key, r in results.items():
        assert r.dtype == dtype, key
        assert np.all(np.isfinite(r)), key
    np.testing.assert_allclose(results["sigmoid"], expect_sigmoid, rtol=1e-6, atol=1e-30)
    np.testing.assert_array_equal(results["tanh"][0, [0, -1]], [-1, 1])
    np.testing.assert_array_equal(results["softmax"], [[0, 0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(results["sigmoid_grad"][0, [0, -1]], [0, 0])
    np.testing.assert_allclose(results["softmax_backward"], 0, atol=1e-30)  # grad of sum(s) = 1 is 0


def test_sigmoid_matches_tensorflow_at_extremes(tf_keras):
    tf, _ = tf_keras
    z = np.array([-1e4, -88.0, -30.0, 30.0, 88.0, 1e4], np.float32)
    np.testing.assert_allclose(A.sigmoid(z), tf.math.sigmoid(z).numpy(), rtol=RTOL, atol=1e-30)


def test_integer_input_becomes_float32():
    assert A.relu(np.arange(-2, 3)).dtype == np.float32
    assert A.softmax([[1, 2, 3]]).dtype == np.float32


def test_get_returns_named_functions():
    for name in ["relu", "sigmoid", "tanh", "softmax", "linear"]:
        assert A.get(name).name == name
    assert A.get(None).name == "linear"
    z = _z()
    np.testing.assert_array_equal(A.get("softmax").forward(z), A.softmax(z))


def test_get_rejects_unknown_name():
    with pytest.raises(ValueError, match=r"activations.get: expected one of 'relu'.* got 'rellu'"):
        A.get("rellu")


def test_get_rejects_non_string():
    with pytest.raises(TypeError, match=r"activations.get: expected an activation name \(str\) or None, got int"):
        A.get(3)


def test_softmax_rejects_bad_axis():
    with pytest.raises(ValueError, match=r"softmax: expected an axis in \[-2, 1\] .* shape \(2, 3\), got axis=2"):
        A.softmax(np.ones((2, 3)), axis=2)


def test_softmax_rejects_scalar_and_non_int_axis():
    with pytest.raises(ValueError, match=r"softmax: expected an array with at least one axis, got a scalar"):
        A.softmax(3.0)
    with pytest.raises(TypeError, match=r"softmax: expected axis as an int, got float"):
        A.softmax(np.ones((2, 3)), axis=1.0)


def test_softmax_backward_rejects_mismatched_grad():
    with pytest.raises(ValueError, match=r"softmax_backward: expected grad_out of shape \(2, 3\).*got \(3, 2\)"):
        A.softmax_backward(np.ones((2, 3)) / 3, np.ones((3, 2)))


def test_activation_rejects_strings():
    with pytest.raises(TypeError, match=r"sigmoid: expected a real-valued numeric array, got array of shape \(1,\) and dtype <U1"):
        A.sigmoid(np.array(["a"]))
