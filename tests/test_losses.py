"""dlcourse.losses vs Keras: values and gradients (tf.GradientTape), clipping, errors.

Tolerances: float32 parity, value rtol 1e-5; gradient rtol 1e-5 with atol 1e-6 times
the largest gradient entry (gradients through the clip reach ~1e6 / batch).
Float64 gradient checks by central differences, relative error < 1e-6.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse import losses as L
from dlcourse.gradcheck import numerical_gradient, relative_error

RTOL = 1e-5


def _keras_loss(keras, ours):
    cls = getattr(keras.losses, type(ours).__name__)
    return cls() if isinstance(ours, L.MeanSquaredError) else cls(from_logits=ours.from_logits)


def _tf_value_and_grad(tf, keras_loss, y_true, y_pred):
    v = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        out = keras_loss(tf.constant(y_true), v)
    return float(out), tape.gradient(out, v).numpy()


def _assert_parity(tf_keras, ours, y_true, y_pred):
    tf, keras = tf_keras
    value, grad = _tf_value_and_grad(tf, _keras_loss(keras, ours), y_true, y_pred)
    our_value, our_grad = ours.value_and_gradient(y_true, y_pred)
    assert isinstance(our_value, float)
    assert our_value == pytest.approx(value, rel=RTOL)
    assert ours(y_true, y_pred) == our_value
    assert our_grad.shape == y_pred.shape and our_grad.dtype == y_pred.dtype
    np.testing.assert_allclose(our_grad, grad, rtol=RTOL, atol=1e-6 * np.abs(grad).max())
    np.testing.assert_array_equal(ours.gradient(y_true, y_pred), our_grad)


def _data(kind, shape, seed=0, dtype=np.float32, clip=False):
    """Targets and predictions for a loss kind; with ``clip`` some probabilities are exactly 0 or 1."""
    rng = np.random.default_rng(seed)
    batch, classes = shape[:-1], shape[-1]
    labels = rng.integers(0, classes, size=batch)
    onehot = np.eye(classes, dtype=dtype)[labels]
    logits = (rng.normal(size=shape) * 3).astype(dtype)
    probs = rng.dirichlet(np.ones(classes), size=batch).astype(dtype)
    if clip:
        probs.reshape(-1, classes)[0] = np.eye(classes)[0]          # a certain, right or wrong, prediction
        probs.reshape(-1, classes)[-1, :] = 0
        probs.reshape(-1, classes)[-1, -1] = 1.0
        onehot.reshape(-1, classes)[0] = np.eye(classes)[-1]       # wrong: log(eps) territory
    if kind == "sparse":
        return labels, probs, logits
    if kind == "binary":
        targets = (rng.random(shape) < 0.5).astype(dtype)
        bprobs = rng.random(shape).astype(dtype)
        if clip:
            bprobs.flat[:4] = [0.0, 1.0, 1e-9, 1 - 1e-9]
            targets.flat[:4] = [1.0, 0.0, 1.0, 0.0]
        return targets, bprobs, logits
    if kind == "mse":
        return rng.normal(size=shape).astype(dtype), logits, logits
    return onehot, probs, logits


CASES = [
    (L.MeanSquaredError, "mse"),
    (L.BinaryCrossentropy, "binary"),
    (L.CategoricalCrossentropy, "categorical"),
    (L.SparseCategoricalCrossentropy, "sparse"),
]


# MSE has no from_logits; every cross-entropy is checked both ways.
CASES_LOGITS = [(cls, kind, fl) for cls, kind in CASES for fl in (False, True) if not (kind == "mse" and fl)]


@pytest.mark.parametrize("cls,kind,from_logits", CASES_LOGITS)
@pytest.mark.parametrize("shape", [(8, 3), (1, 5), (4, 2, 6)])
def test_value_and_gradient_match_keras(tf_keras, cls, kind, from_logits, shape):
    ours = cls() if cls is L.MeanSquaredError else cls(from_logits=from_logits)
    y_true, probs, logits = _data(kind, shape)
    _assert_parity(tf_keras, ours, y_true, logits if from_logits else probs)


@pytest.mark.parametrize("cls,kind", CASES[1:])
def test_probabilities_hitting_the_clip_match_keras(tf_keras, cls, kind):
    y_true, probs, _ = _data(kind, (6, 4), seed=1, clip=True)
    ours = cls()
    _assert_parity(tf_keras, ours, y_true, probs)
    grad = ours.gradient(y_true, probs)
    clipped = (probs < L.EPSILON) | (probs > 1 - L.EPSILON)
    if cls is not L.CategoricalCrossentropy:  # CCE clips the renormalised q, not p
        assert np.all(grad[clipped] == 0)


def test_categorical_renormalises_like_keras(tf_keras):
    # rows that do not sum to 1 (e.g. a model without softmax) are renormalised first
    y = np.eye(3, dtype=np.float32)[[0, 2]]
    p = np.array([[0.2, 0.2, 0.2], [0.1, 0.3, 0.5]], np.float32)
    _assert_parity(tf_keras, L.CategoricalCrossentropy(), y, p)
    assert L.CategoricalCrossentropy()(y, p) == pytest.approx(-np.mean([np.log(1 / 3), np.log(0.5 / 0.9)]), rel=1e-6)


def test_from_logits_is_stable_at_1e4(tf_keras):
    y = np.eye(3, dtype=np.float32)[[0, 1]]
    x = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]], np.float32)
    with np.errstate(all="raise"):
        cce = L.CategoricalCrossentropy(from_logits=True)
        assert cce(y, x) == pytest.approx(1e4)  # sample 1 pays 2e4, sample 0 pays 0
        _assert_parity(tf_keras, cce, y, x)
        bce = L.BinaryCrossentropy(from_logits=True)
        _assert_parity(tf_keras, bce, y, x)
        _assert_parity(tf_keras, L.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1]), x)


def test_mse_accepts_flat_targets_for_a_single_output(tf_keras):
    rng = np.random.default_rng(0)
    y = rng.normal(size=7).astype(np.float32)
    p = rng.normal(size=(7, 1)).astype(np.float32)
    _assert_parity(tf_keras, L.MeanSquaredError(), y, p)
    assert L.MeanSquaredError()(y, p) == pytest.approx(np.mean((p[:, 0] - y) ** 2), rel=1e-6)


def test_sparse_accepts_column_labels_and_float_labels(tf_keras):
    _, p, _ = _data("sparse", (5, 3))
    y = np.array([0, 2, 1, 1, 0])
    loss = L.SparseCategoricalCrossentropy()
    assert loss(y[:, None], p) == loss(y, p) == loss(y.astype(np.float32), p)
    _assert_parity(tf_keras, loss, y[:, None], p)


@pytest.mark.parametrize("cls,kind,from_logits", CASES_LOGITS)
@settings(max_examples=10, deadline=None)
@given(batch=st.integers(1, 5), classes=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_gradient_is_derivative_of_value_float64(cls, kind, from_logits, batch, classes, seed):
    ours = cls() if cls is L.MeanSquaredError else cls(from_logits=from_logits)
    y_true, probs, logits = _data(kind, (batch, classes), seed=seed, dtype=np.float64)
    p = logits if from_logits else probs
    if not from_logits and kind != "mse":  # stay h away from the clip, where the loss has a kink
        p = np.clip(p, 1e-3, 1 - 1e-3)
    p = p.copy()
    num = numerical_gradient(lambda: ours(y_true, p), p)
    assert ours.gradient(y_true, p).dtype == np.float64
    assert relative_error(ours.gradient(y_true, p), num) < 1e-6


def test_get_maps_keras_names():
    assert isinstance(L.get("mse"), L.MeanSquaredError)
    assert isinstance(L.get("mean_squared_error"), L.MeanSquaredError)
    assert isinstance(L.get("binary_crossentropy"), L.BinaryCrossentropy)
    assert isinstance(L.get("categorical_crossentropy"), L.CategoricalCrossentropy)
    assert isinstance(L.get("sparse_categorical_crossentropy"), L.SparseCategoricalCrossentropy)
    loss = L.CategoricalCrossentropy(from_logits=True)
    assert L.get(loss) is loss
    assert (loss.name, loss.from_logits) == ("categorical_crossentropy", True)
    assert L.get("mse").name == "mean_squared_error" and L.get("mse").from_logits is False


# -- bad input: each names the loss, what was expected and what was given --------
P3 = np.full((4, 3), 1 / 3, np.float32)
Y3 = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]


@pytest.mark.parametrize("loss,y_true,y_pred,exc,match", [
    (L.CategoricalCrossentropy(), Y3[:3], P3, ValueError,
     r"CategoricalCrossentropy: expected y_true and y_pred with the same batch size, got 3 and 4"),
    (L.MeanSquaredError(), np.zeros(5), np.zeros((4, 1)), ValueError,
     r"MeanSquaredError: expected y_true and y_pred with the same batch size, got 5 and 4"),
    (L.CategoricalCrossentropy(), np.eye(5)[[0, 1, 2, 3]], P3, ValueError,
     r"CategoricalCrossentropy: expected one-hot y_true of shape \(4, 3\) \(like y_pred\), got \(4, 5\)"),
    (L.CategoricalCrossentropy(), np.array([0, 1, 2, 0]), P3, ValueError,
     r"expected one-hot y_true of shape \(4, 3\).*got \(4,\) \(integer labels need SparseCategoricalCrossentropy\)"),
    (L.SparseCategoricalCrossentropy(), np.array([0, 1, 3, 0]), P3, ValueError,
     r"SparseCategoricalCrossentropy: y_true \(class labels\): expected values < 3, got maximum 3"),
    (L.SparseCategoricalCrossentropy(), np.array([0, -1, 2, 0]), P3, ValueError,
     r"SparseCategoricalCrossentropy: y_true \(class labels\): expected values >= 0, got minimum -1"),
    (L.SparseCategoricalCrossentropy(), np.array([0.5, 1, 2, 0]), P3, TypeError,
     r"SparseCategoricalCrossentropy: y_true \(class labels\): expected integer ids/labels, got array"),
    (L.SparseCategoricalCrossentropy(), Y3, P3, ValueError,
     r"expected integer labels y_true of shape \(4,\) for y_pred of shape \(4, 3\), got \(4, 3\) \(one-hot targets need CategoricalCrossentropy\)"),
    (L.BinaryCrossentropy(), Y3, np.where(Y3 > 0, np.nan, 0.5), ValueError,
     r"BinaryCrossentropy: expected finite y_pred, got 4 NaN/inf entries in shape \(4, 3\)"),
    (L.MeanSquaredError(), np.full((4, 3), np.inf), P3, ValueError,
     r"MeanSquaredError: expected finite y_true, got NaN/inf in shape \(4, 3\)"),
    (L.CategoricalCrossentropy(), Y3, P3 * 4, ValueError,
     r"CategoricalCrossentropy: expected probabilities y_pred \(pass from_logits=True for logits\) in \[0, 1\], got values in \[1.333, 1.333\]"),
    (L.BinaryCrossentropy(), Y3, P3 - 0.5, ValueError,
     r"BinaryCrossentropy: expected probabilities y_pred .* in \[0, 1\], got values in \[-0.1667, -0.1667\]"),
    (L.BinaryCrossentropy(), Y3 * 2, P3, ValueError,
     r"BinaryCrossentropy: expected targets y_true in \[0, 1\], got values in \[0, 2\]"),
    (L.CategoricalCrossentropy(), Y3, np.zeros((4, 3)), ValueError,
     r"CategoricalCrossentropy: expected probabilities with a positive sum per sample, got a row of zeros"),
    (L.SparseCategoricalCrossentropy(), np.zeros(4), P3[:, 0], ValueError,
     r"SparseCategoricalCrossentropy: expected y_pred of shape \(batch, ..., classes\), got shape \(4,\)"),
    (L.MeanSquaredError(), np.zeros((0, 2)), np.zeros((0, 2)), ValueError,
     r"MeanSquaredError: expected y_pred with a non-empty batch axis, got shape \(0, 2\)"),
    (L.MeanSquaredError(), np.zeros((4, 2)), np.array([["a", "b"]] * 4), TypeError,
     r"MeanSquaredError: y_pred: expected a real-valued numeric array, got array of shape \(4, 2\) and dtype <U1"),
])
def test_bad_input_raises_a_clear_error(loss, y_true, y_pred, exc, match):
    with pytest.raises(exc, match=match):
        loss(y_true, y_pred)
    with pytest.raises(exc, match=match):
        loss.gradient(y_true, y_pred)


def test_from_logits_must_be_bool():
    with pytest.raises(TypeError, match=r"BinaryCrossentropy: expected from_logits to be a bool, got str"):
        L.BinaryCrossentropy(from_logits="yes")


def test_get_rejects_unknown_names_and_types():
    with pytest.raises(ValueError, match=r"losses.get: expected one of 'mse'.*got 'hinge'"):
        L.get("hinge")
    with pytest.raises(TypeError, match=r"losses.get: expected a loss name \(str\) or a Loss, got NoneType"):
        L.get(None)


# -- sample_weight -------------------------------------------------------------------

def _weights(shape, seed=1, dtype=np.float32):
    w = np.random.default_rng(seed).uniform(0.0, 3.0, size=shape).astype(dtype)
    w[0] = 0.0  # a zero weight must silence that sample entirely
    return w


@pytest.mark.parametrize("cls,kind,from_logits", CASES_LOGITS)
@pytest.mark.parametrize("shape", [(8, 3), (4, 2, 6)])
@pytest.mark.parametrize("clip", [False, True])
def test_sample_weight_matches_keras(tf_keras, cls, kind, from_logits, shape, clip):
    """Value and gradient (tf.GradientTape) with sample_weight; float32, rtol 1e-5, atol 1e-6 * max|grad|.

    One weight per loss value: shape (batch,) for 2-D predictions, (batch, steps) for 3-D ones.
    """
    tf, keras = tf_keras
    ours = cls() if cls is L.MeanSquaredError else cls(from_logits=from_logits)
    y_true, probs, logits = _data(kind, shape, clip=clip)
    p = logits if from_logits else probs
    w = _weights(shape[:-1])
    v = tf.Variable(p)
    with tf.GradientTape() as tape:
        out = _keras_loss(keras, ours)(tf.constant(y_true), v, sample_weight=tf.constant(w))
    grad = tape.gradient(out, v).numpy()
    value, our_grad = ours.value_and_gradient(y_true, p, sample_weight=w)
    assert value == pytest.approx(float(out), rel=RTOL)
    assert ours(y_true, p, sample_weight=w) == value
    assert our_grad.shape == p.shape and our_grad.dtype == p.dtype
    np.testing.assert_allclose(our_grad, grad, rtol=RTOL, atol=1e-6 * np.abs(grad).max())
    np.testing.assert_array_equal(ours.gradient(y_true, p, sample_weight=w), our_grad)
    assert not our_grad[0].any()  # weight 0: no gradient for that sample


def test_sample_weight_divides_by_the_count_not_the_weight_sum():
    """Keras' sum_over_batch_size: sum(w * loss_i) / batch, so doubling every weight doubles the loss."""
    y, p = np.array([[0.0], [1.0], [2.0], [3.0]]), np.zeros((4, 1))
    mse = L.MeanSquaredError()
    w = np.array([1.0, 0.0, 2.0, 0.5])
    assert mse(y, p, sample_weight=w) == pytest.approx((0 + 0 + 2 * 4 + 0.5 * 9) / 4, rel=1e-15)
    assert mse(y, p, sample_weight=2 * w) == pytest.approx(2 * mse(y, p, sample_weight=w), rel=1e-15)
    assert mse(y, p, sample_weight=np.ones(4)) == mse(y, p)
    np.testing.assert_array_equal(mse.gradient(y, p, sample_weight=np.ones(4)), mse.gradient(y, p))
    # (batch, 1) weights are squeezed, as Keras does
    assert mse(y, p, sample_weight=w[:, None]) == mse(y, p, sample_weight=w)


@pytest.mark.parametrize("cls,kind,from_logits", CASES_LOGITS)
@settings(max_examples=8, deadline=None)
@given(batch=st.integers(1, 5), classes=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_weighted_gradient_is_derivative_of_weighted_value_float64(cls, kind, from_logits, batch, classes, seed):
    ours = cls() if cls is L.MeanSquaredError else cls(from_logits=from_logits)
    y_true, probs, logits = _data(kind, (batch, classes), seed=seed, dtype=np.float64)
    p = logits if from_logits else probs
    if not from_logits and kind != "mse":
        p = np.clip(p, 1e-3, 1 - 1e-3)
    p = p.copy()
    w = np.random.default_rng(seed).uniform(0.1, 3.0, size=batch)
    num = numerical_gradient(lambda: ours(y_true, p, sample_weight=w), p)
    assert relative_error(ours.gradient(y_true, p, sample_weight=w), num) < 1e-6


@pytest.mark.parametrize("sample_weight,exc,match", [
    (np.ones(3), ValueError, r"expected sample_weight of shape \(4,\).*got \(3,\)"),
    (np.ones((4, 2)), ValueError, r"expected sample_weight of shape \(4,\).*got \(4, 2\)"),
    (np.ones((1, 4)), ValueError, r"expected sample_weight of shape \(4,\).*got \(1, 4\)"),
    (np.array([1.0, -0.5, 1.0, 1.0]), ValueError, "expected non-negative sample_weight"),
    (np.array([1.0, np.nan, 1.0, 1.0]), ValueError, "expected finite sample_weight"),
    (np.array([1.0, np.inf, 1.0, 1.0]), ValueError, "expected finite sample_weight"),
    (np.array(["a", "b", "c", "d"]), TypeError, "sample_weight"),
])
def test_bad_sample_weight_raises_a_clear_error(sample_weight, exc, match):
    loss = L.CategoricalCrossentropy()
    y, p = np.eye(3)[[0, 1, 2, 0]], np.full((4, 3), 1 / 3)
    for call in (loss, loss.gradient, loss.value_and_gradient):
        with pytest.raises(exc, match=match):
            call(y, p, sample_weight=sample_weight)


def test_sample_weight_needs_a_batch_of_rows():
    with pytest.raises(ValueError, match="at least 2 axes when sample_weight is given"):
        L.MeanSquaredError()(np.zeros(3), np.zeros(3), sample_weight=np.ones(3))
