"""dlcourse.parallel: synchronous data-parallel SGD equals full-batch SGD, in NumPy and in tf.distribute.

Tolerances: everything here runs in float64, where sharding only reorders sums, so
weights agree to 1e-12 relative (observed ~1e-16); float32 would need ~1e-5.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse import data, parallel
from dlcourse.layers import Dense
from dlcourse.losses import MeanSquaredError, SparseCategoricalCrossentropy

RTOL, ATOL = 1e-12, 1e-14


def build(l2=None):
    return [Dense(64, 16, "relu", kernel_regularizer=l2, seed=0, dtype="float64"),
            Dense(16, 10, "softmax", seed=1, dtype="float64")]


def weights(layers):
    return [w for layer in layers for w in layer.get_weights()]


def full_batch_sgd(layers, loss, x, y, lr):
    """Plain single-device SGD on the whole batch, written independently of dlcourse.parallel."""
    a = x
    for layer in layers:
        a = layer.forward(a, training=True)
    g = loss.gradient(y, a)
    for layer in reversed(layers):
        g = layer.backward(g)
    for layer in layers:
        for k, p in layer.params.items():
            p -= lr * layer.grads[k]


@pytest.fixture(scope="module")
def digits():
    x, y = data.load_digits(dtype="float64")
    return x[:96], y[:96]


def test_shard_sizes():
    assert parallel.shard_sizes(10, 3) == [4, 3, 3]
    assert parallel.shard_sizes(64, 2) == [32, 32]
    assert sum(parallel.shard_sizes(97, 5)) == 97


@pytest.mark.parametrize("n_replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("l2", [None, 0.01])
def test_data_parallel_equals_full_batch_sgd(digits, n_replicas, l2):
    x, y = digits
    loss = SparseCategoricalCrossentropy()
    dp, ref = build(l2), build(l2)
    start = weights(dp)
    for step in range(4):  # batches of 24: with 5 replicas the shards are uneven (5,5,5,5,4)
        xb, yb = x[24 * step:24 * (step + 1)], y[24 * step:24 * (step + 1)]
        info = parallel.data_parallel_step(dp, loss, xb, yb, n_replicas, learning_rate=0.5)
        assert info["shard_sizes"] == parallel.shard_sizes(24, n_replicas)
        a = xb
        for layer in ref:
            a = layer.forward(a)
        assert info["loss"] == pytest.approx(loss(yb, a), rel=1e-12)  # full-batch loss before the update
        full_batch_sgd(ref, loss, xb, yb, 0.5)
    for got, want, w0 in zip(weights(dp), weights(ref), start):
        assert not np.allclose(got, w0)  # training actually moved the weights
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_unweighted_average_would_be_wrong(digits):
    """Why the shard-size weights matter: with uneven shards a plain mean of gradients differs."""
    x, y = digits
    loss = SparseCategoricalCrossentropy()
    sizes = parallel.shard_sizes(10, 3)  # [4, 3, 3]
    layers = build()
    grads = []
    for lo, n in zip(np.cumsum([0] + sizes[:-1]), sizes):
        replica = build()
        a = x[lo:lo + n]
        for layer in replica:
            a = layer.forward(a)
        g = loss.gradient(y[lo:lo + n], a)
        for layer in reversed(replica):
            g = layer.backward(g)
        grads.append(replica[0].grads["kernel"])
    plain_mean = np.mean(grads, axis=0)
    weighted = sum(n / 10 * g for n, g in zip(sizes, grads))
    before = layers[0].params["kernel"].copy()
    parallel.data_parallel_step(layers, loss, x[:10], y[:10], 3, learning_rate=1.0)
    np.testing.assert_allclose(before - layers[0].params["kernel"], weighted, rtol=1e-10, atol=1e-15)
    assert not np.allclose(plain_mean, weighted, rtol=1e-6, atol=0)


def test_regression_loss_and_model_object(digits):
    from dlcourse.model import Sequential
    x, _ = digits
    target = x[:, :3].copy()
    model = Sequential([Dense(64, 8, "tanh", seed=2, dtype="float64"), Dense(8, 3, seed=3, dtype="float64")])
    ref = [Dense(64, 8, "tanh", seed=2, dtype="float64"), Dense(8, 3, seed=3, dtype="float64")]
    parallel.data_parallel_step(model, "mean_squared_error", x, target, 4, learning_rate=0.1)
    full_batch_sgd(ref, MeanSquaredError(), x, target, 0.1)
    for got, want in zip(model.get_weights(), weights(ref)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(n_replicas=0), ValueError, r"data_parallel_step: expected 1 <= n_replicas <= batch size 8, got 0"),
    (dict(n_replicas=9), ValueError, r"data_parallel_step: expected 1 <= n_replicas <= batch size 8, got 9"),
    (dict(n_replicas=2.0), TypeError, "data_parallel_step: expected n_replicas to be an int"),
    (dict(n_replicas=2, learning_rate=-1.0), ValueError, "data_parallel_step: expected a learning_rate > 0"),
    (dict(n_replicas=2, y=np.zeros(7, int)), ValueError, "data_parallel_step: expected x and y with the same number"),
    (dict(n_replicas=2, loss=42), TypeError, "data_parallel_step: expected a dlcourse loss"),
    (dict(n_replicas=2, layers=[]), TypeError, "data_parallel_step: expected a non-empty list of layers"),
])
def test_bad_arguments(digits, kwargs, exc, text):
    x, y = digits
    args = dict(layers=build(), loss=SparseCategoricalCrossentropy(), x=x[:8], y=y[:8], learning_rate=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=text):
        parallel.data_parallel_step(args["layers"], args["loss"], args["x"], args["y"], args["n_replicas"], args["learning_rate"])


def test_mirrored_strategy_needs_dense_stack():
    from dlcourse.layers import Flatten
    with pytest.raises(TypeError, match="mirrored_strategy_train: expected a stack of Dense layers .* got Flatten"):
        parallel.mirrored_strategy_train([Flatten(), *build()], "sparse_categorical_crossentropy",
                                         np.zeros((4, 8, 8)), np.zeros(4, int), 2, 0.1)


@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(batch_size=0), ValueError, r"mirrored_strategy_train: expected batch_size to be an int >= 1, got 0"),
    (dict(epochs=1.5), TypeError, r"mirrored_strategy_train: expected epochs to be an int >= 1, got float 1.5"),
    (dict(n_replicas=0), ValueError, r"mirrored_strategy_train: expected n_replicas to be an int >= 1, got 0"),
    (dict(learning_rate=0.0), ValueError, r"mirrored_strategy_train: expected a learning_rate > 0, got 0.0"),
    (dict(learning_rate="0.1"), TypeError, r"mirrored_strategy_train: expected a learning_rate > 0, got str"),
])
def test_mirrored_strategy_rejects_bad_arguments_before_starting_tensorflow(digits, kwargs, exc, text):
    x, y = digits
    args = {**dict(batch_size=4, learning_rate=0.1, epochs=1, n_replicas=2), **kwargs}
    with pytest.raises(exc, match=text):
        parallel.mirrored_strategy_train(build(), "sparse_categorical_crossentropy", x[:8], y[:8], **args)


def test_mirrored_strategy_matches_numpy_data_parallel(digits):
    """Keras on two logical CPUs (a subprocess, ~10-20 s) ends with the NumPy reference's weights."""
    x, y = digits
    loss = SparseCategoricalCrossentropy()
    layers = build()
    start = weights(layers)
    result = parallel.mirrored_strategy_train(layers, loss, x, y, batch_size=32, learning_rate=0.5)
    assert result["num_replicas_in_sync"] == 2 and result["devices"] == ["/cpu:0", "/cpu:1"]
    for w, w0 in zip(weights(layers), start):
        np.testing.assert_array_equal(w, w0)  # the caller's model is untouched
    for step in range(3):  # the same three global batches of 32, 16 per replica
        sl = slice(32 * step, 32 * (step + 1))
        parallel.data_parallel_step(layers, loss, x[sl], y[sl], 2, learning_rate=0.5)
    for got, want, w0 in zip(result["weights"], weights(layers), start):
        assert got.dtype == np.float64 and not np.allclose(got, w0)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)  # float64 through TF; observed ~1e-16
