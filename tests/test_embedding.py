"""Embedding: parity with keras.layers.Embedding, repeated-id accumulation, gradient checks, bad input.

Tolerances: forward is a pure lookup, so outputs must be bit-identical to Keras'.
Weight gradients: float32 rtol 1e-5, atol 1e-6 (entries are sums of a few O(1)
numbers); float64 rtol 1e-12, atol 1e-12 (the sums may be added in a different order).
Gradient checks: relative error < 1e-6 (dlcourse.gradcheck).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.gradcheck import check_layer
from dlcourse.layers import Embedding
from dlcourse.tfsetup import load_tensorflow

TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


def keras_embedding(tfk, layer, ids, r):
    """Keras' output and dL/dE (IndexedSlices made dense) for L = sum(out * r), with our table."""
    tf, keras = tfk
    k = keras.layers.Embedding(layer.vocab_size, layer.dim, dtype=str(layer.dtype))
    k.build(ids.shape)
    k.set_weights(layer.get_weights())
    with tf.GradientTape() as tape:
        out = k(tf.constant(ids))
        loss = tf.reduce_sum(out * tf.constant(r))
    (g,) = tape.gradient(loss, k.trainable_weights)
    # tf.gather's gradient is sparse: one row per looked-up id, repeats not yet summed.
    return out.numpy(), g, tf.convert_to_tensor(g).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("vocab,dim,shape", [(1, 1, (3,)), (10, 4, (5,)), (7, 3, (4, 6)), (50, 8, (2, 3, 4))])
def test_parity_with_keras(tfk, dtype, vocab, dim, shape):
    rng = np.random.default_rng(vocab * 10 + dim)
    layer = Embedding(vocab, dim, seed=1, dtype=dtype)
    ids = rng.integers(0, vocab, size=shape)
    out = layer.forward(ids)
    r = rng.normal(size=out.shape).astype(dtype)
    assert layer.backward(r) is None
    k_out, _, k_grad = keras_embedding(tfk, layer, ids, r)
    assert out.shape == shape + (dim,) and out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, k_out)
    np.testing.assert_allclose(layer.grads["embeddings"], k_grad, **TOL[dtype])


def test_repeated_ids_accumulate_like_tensorflow(tfk):
    tf, _ = tfk
    layer = Embedding(6, 3, seed=0, dtype="float64")
    ids = np.array([[2, 2, 5], [2, 0, 5]])  # id 2 three times, 5 twice, 1/3/4 never
    r = np.arange(18, dtype=np.float64).reshape(2, 3, 3) + 1.0
    layer.forward(ids)
    layer.backward(r)
    _, sparse, dense = keras_embedding(tfk, layer, ids, r)
    assert isinstance(sparse, tf.IndexedSlices)  # TF really hands back per-occurrence rows
    np.testing.assert_allclose(layer.grads["embeddings"], dense, rtol=1e-12)
    g = layer.grads["embeddings"]
    np.testing.assert_array_equal(g[2], r[0, 0] + r[0, 1] + r[1, 0])
    np.testing.assert_array_equal(g[5], r[0, 2] + r[1, 2])
    np.testing.assert_array_equal(g[[1, 3, 4]], 0.0)


def test_weights_layout_and_initialisation_match_keras(tfk):
    _, keras = tfk
    layer = Embedding(1000, 16, seed=0)
    k = keras.layers.Embedding(1000, 16)
    k.build((None, 5))
    assert [w.shape for w in layer.get_weights()] == [tuple(w.shape) for w in k.get_weights()]
    assert [w.path.split("/")[-1] for w in k.weights] == list(layer.params) == ["embeddings"]
    e = layer.params["embeddings"]
    assert e.dtype == np.float32 and -0.05 <= e.min() and e.max() <= 0.05
    assert abs(e.mean()) < 0.002 and e.std() > 0.025  # U(-0.05, 0.05): mean 0, std 0.0289


def test_whole_number_float_ids_are_accepted():
    layer = Embedding(5, 2, seed=0)
    np.testing.assert_array_equal(layer.forward(np.array([1.0, 4.0])), layer.forward(np.array([1, 4])))


def test_compute_output_shape():
    assert Embedding(10, 4).compute_output_shape((7,)) == (7, 4)
    assert Embedding(10, 4).compute_output_shape((2, 3)) == (2, 3, 4)
    assert Embedding(10, 4).count_params() == 40


def test_gradcheck_float64():
    layer = Embedding(5, 3, seed=0, dtype="float64")
    errors = check_layer(layer, np.array([[1, 1, 2], [4, 1, 0]]))
    assert set(errors) == {"embeddings"} and errors["embeddings"] < 1e-6


@settings(deadline=None, max_examples=20)
@given(vocab=st.integers(1, 8), dim=st.integers(1, 4),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_gradcheck_random_shapes(vocab, dim, shape, seed):
    rng = np.random.default_rng(seed)
    layer = Embedding(vocab, dim, seed=rng, dtype="float64")
    errors = check_layer(layer, rng.integers(0, vocab, size=shape), seed=seed)
    assert errors["embeddings"] < 1e-6


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("ids,exc,match", [
    (np.array([0, 5]), ValueError, r"Embedding.forward: expected values < 5, got maximum 5"),
    (np.array([-1, 2]), ValueError, r"Embedding.forward: expected values >= 0, got minimum -1"),
    (np.array([0.5, 2.0]), TypeError, r"Embedding.forward: expected integer ids/labels, got array of shape \(2,\) and dtype float64"),
    (np.array([np.nan]), TypeError, r"Embedding.forward: expected integer ids/labels"),
    (np.array(["a"]), TypeError, r"Embedding.forward: expected integer ids/labels"),
])
def test_bad_ids(ids, exc, match):
    with pytest.raises(exc, match=match):
        Embedding(5, 2).forward(ids)


def test_backward_before_forward():
    with pytest.raises(ValueError, match=r"Embedding.backward: expected a forward\(\) call first"):
        Embedding(5, 2).backward(np.zeros((3, 2)))


def test_backward_grad_shape_mismatch():
    layer = Embedding(5, 2)
    layer.forward(np.array([[1, 2, 3]]))
    with pytest.raises(ValueError, match=r"Embedding.backward: expected grad_out of shape \(1, 3, 2\) .*got \(1, 3\)"):
        layer.backward(np.zeros((1, 3)))


@pytest.mark.parametrize("args,exc,match", [
    ((0, 3), ValueError, r"Embedding: expected vocab_size to be an int >= 1, got 0"),
    ((10, 2.0), TypeError, r"Embedding: expected dim to be an int >= 1, got float"),
])
def test_bad_constructor_arguments(args, exc, match):
    with pytest.raises(exc, match=match):
        Embedding(*args)
