"""The Keras bridge, and whole-training parity: dlcourse and Keras learn the same weights.

``to_keras(model)`` copies architecture, weights, optimizer and loss. Trained with plain
SGD on the same batches in the same order (``shuffle=False``), the two models then
perform the same arithmetic, step for step:

- in float64 the weights agree to ~1e-16 (measured) after 28 steps, which shows the
  *math* is identical (forward, loss, gradients, update), not merely close; we assert
  rtol 1e-11 / atol 1e-13. (Keras logs the epoch loss through a float32 metric, so the
  logged losses agree to float32 resolution only, rtol 3e-7.)
- in float32 each step differs by rounding alone (summation order inside the matrix
  products, ~1e-7 relative) and SGD carries the differences forward. Measured after
  the runs below: largest weight difference 9e-8 (MLP, 42 steps) and 6e-8 (CNN, 20
  steps) on weights of size ~0.1-0.5; per-epoch losses within 1e-7 relative. We assert
  the course's float32 tolerance, rtol 1e-5 with atol 1e-6 (weights are O(0.1-1)), about
  ten times the observed drift, while a wrong gradient moves the weights by ~1e-3 or
  more within one epoch (and a wrong epoch-loss weighting shifts the logged loss by
  ~1e-3, see ``test_model.py``).
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.keras_bridge import from_keras, to_keras
from dlcourse.layers import Dense, Flatten, Layer, Softmax
from dlcourse.losses import CategoricalCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy
from dlcourse.model import Sequential
from dlcourse.optimizers import SGD, Adam
from dlcourse.tfsetup import load_tensorflow

tf, keras = load_tensorflow(seed=0)


def _digits(n=200, dtype="float32", images=False):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data[:n] / 16.0).astype(dtype)
    if images:
        x = x.reshape(-1, 8, 8, 1)
    return x, d.target[:n].astype(np.int64)


def _mlp(dtype="float32", seed=0):
    return Sequential([
        Dense(64, 32, "relu", seed=seed, dtype=dtype),
        Dense(32, 16, "tanh", seed=seed + 1, dtype=dtype),
        Dense(16, 10, "softmax", seed=seed + 2, dtype=dtype),
    ])


def train_both(model, x, y, epochs, batch_size, lr=0.1, loss="sparse_categorical_crossentropy", metrics=("accuracy",)):
    """Compile ``model`` with plain SGD, copy it to Keras, fit both on the same batches in the same order.

    Returns ``(keras_model, our_history, keras_history)``. The recurrent and BatchNormalization
    parity tests train through this too.
    """
    model.compile(SGD(learning_rate=lr), loss, metrics=list(metrics))
    kmodel = to_keras(model)
    ours = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    theirs = kmodel.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0)
    return kmodel, ours.history, theirs.history


# -- whole-training parity ------------------------------------------------------------
def test_mlp_training_parity_float32():
    x, y = _digits(200)
    model = _mlp()
    # 200 = 6 * 32 + 8: the last, smaller batch is part of the comparison (loss weighting).
    kmodel, ours, theirs = train_both(model, x, y, epochs=6, batch_size=32)
    assert ours["loss"][-1] < ours["loss"][0] - 0.3  # it learned something, so the comparison means something
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours["accuracy"], theirs["accuracy"], rtol=0, atol=1e-6)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)


def test_mlp_training_parity_float64_is_exact_math():
    x, y = _digits(200, dtype="float64")
    model = _mlp(dtype="float64")
    # Keras stores the learning rate in a float32 variable: 0.1 would become 0.10000000149
    # there, so we use 0.125, exact in both precisions.
    kmodel, ours, theirs = train_both(model, x, y, epochs=4, batch_size=32, lr=0.125)
    # Keras accumulates the reported loss in a float32 metric variable, so the logged
    # numbers agree to float32 resolution only; the weights carry the full precision.
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=3e-7)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-11, atol=1e-13)


def test_regularized_mse_training_parity():
    """L2 penalties in the reported loss and in the gradients, and the MSE general path."""
    x, labels = _digits(160)
    y = np.eye(10, dtype="float32")[labels]
    model = Sequential([Dense(64, 16, "sigmoid", kernel_regularizer=1e-3, seed=3),
                        Dense(16, 10, None, kernel_regularizer=1e-2, seed=4)])
    model.compile(SGD(learning_rate=0.2, momentum=0.9), MeanSquaredError(), metrics=[])
    kmodel = to_keras(model)
    ours = model.fit(x, y, epochs=4, batch_size=50, shuffle=False, verbose=0).history
    theirs = kmodel.fit(x, y, epochs=4, batch_size=50, shuffle=False, verbose=0).history
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(kmodel.evaluate(x, y, verbose=0), rel=1e-5)


def test_categorical_with_validation_parity():
    x, labels = _digits(192)
    y = np.eye(10, dtype="float32")[labels]
    model = _mlp(seed=5)
    model.compile(SGD(learning_rate=0.05), CategoricalCrossentropy())
    kmodel = to_keras(model)
    val = (x[:64], y[:64])
    ours = model.fit(x, y, epochs=3, batch_size=64, shuffle=False, validation_data=val, verbose=0).history
    theirs = kmodel.fit(x, y, epochs=3, batch_size=64, shuffle=False, validation_data=val, verbose=0).history
    assert set(ours) == set(theirs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_binary_and_separate_softmax_layer_parity():
    """The logits shortcut also for sigmoid + binary cross-entropy and for a separate Softmax layer."""
    from dlcourse.layers import Softmax

    x, labels = _digits(150)
    y = (labels >= 5).astype("float32")
    model = Sequential([Dense(64, 8, "tanh", seed=11), Dense(8, 1, "sigmoid", seed=12)])
    model.compile(SGD(learning_rate=0.3), "binary_crossentropy")
    kmodel = to_keras(model)
    ours = model.fit(x, y, epochs=4, batch_size=40, shuffle=False, verbose=0).history
    theirs = kmodel.fit(x, y, epochs=4, batch_size=40, shuffle=False, verbose=0).history
    assert ours["loss"][-1] < ours["loss"][0]
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)

    model = Sequential([Dense(64, 10, seed=13), Softmax()])
    kmodel, ours, theirs = train_both(model, x, labels, epochs=3, batch_size=32)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)


def test_cnn_training_parity_float32():
    from dlcourse.layers import Conv2D, MaxPool2D

    x, y = _digits(160, images=True)
    model = Sequential([
        Conv2D(1, 4, 3, padding="same", activation="relu", seed=0),
        MaxPool2D(2),
        Conv2D(4, 6, 3, strides=1, padding="valid", seed=1),
        Flatten(),
        Dense(2 * 2 * 6, 10, "softmax", seed=2),
    ], input_shape=(8, 8, 1))
    kmodel, ours, theirs = train_both(model, x, y, epochs=4, batch_size=32, lr=0.1)
    assert ours["loss"][-1] < ours["loss"][0]
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)


# -- predictions and round trips -----------------------------------------------------------
def test_to_keras_same_predictions_and_compiled_counterparts():
    x, _ = _digits(50)
    model = _mlp(seed=7)
    model.compile(Adam(learning_rate=0.005, beta_1=0.8), SparseCategoricalCrossentropy())
    kmodel = to_keras(model)
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x), rtol=1e-5, atol=1e-6)
    assert isinstance(kmodel.optimizer, keras.optimizers.Adam)
    assert float(kmodel.optimizer.learning_rate) == pytest.approx(0.005)
    assert kmodel.optimizer.beta_1 == pytest.approx(0.8)
    assert isinstance(kmodel.loss, keras.losses.SparseCategoricalCrossentropy)
    assert [layer.name for layer in kmodel.layers] == [layer.name for layer in model.layers]


def test_round_trip_preserves_predictions_and_config():
    from dlcourse.layers import Dropout, ReLU, Softmax

    x, _ = _digits(40)
    model = Sequential([Dense(64, 20, seed=1), ReLU(), Dropout(0.3), Dense(20, 10, seed=2), Softmax()])
    model.compile(SGD(learning_rate=0.03, momentum=0.5), "sparse_categorical_crossentropy")
    back = from_keras(to_keras(model))
    assert [type(a) for a in back.layers] == [type(b) for b in model.layers]
    assert back.layers[2].rate == 0.3
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    assert isinstance(back.optimizer, SGD) and back.optimizer.momentum == pytest.approx(0.5)
    assert isinstance(back.loss, SparseCategoricalCrossentropy)


def test_round_trip_rnn_and_embedding():
    from dlcourse.layers import Embedding, SimpleRNN

    ids = np.random.default_rng(0).integers(0, 30, size=(6, 7))
    model = Sequential([Embedding(30, 5, seed=0), SimpleRNN(5, 8, return_sequences=False, seed=1),
                        Dense(8, 1, "sigmoid", seed=2)])
    kmodel = to_keras(model, compile=False)
    np.testing.assert_allclose(kmodel.predict(ids, verbose=0), model.predict(ids), rtol=1e-5, atol=1e-6)
    back = from_keras(kmodel)
    np.testing.assert_allclose(back.predict(ids), model.predict(ids), rtol=0, atol=0)


def test_round_trip_lstm_gru_batch_normalization():
    from dlcourse.layers import GRU, LSTM, BatchNormalization

    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 7, 3)).astype("float32")
    bn = BatchNormalization(6, momentum=0.8, epsilon=1e-2, center=False)
    bn.set_weights([rng.uniform(0.5, 2, 6), rng.normal(0, 1, 6), rng.uniform(0.5, 2, 6)])
    model = Sequential([LSTM(3, 4, return_sequences=True, unit_forget_bias=False, seed=1), GRU(4, 6, seed=2),
                        bn, Dense(6, 2, seed=3)])
    kmodel = to_keras(model, compile=False)  # the LSTM's input shape is read off the layer: (None, 3)
    assert kmodel.input_shape == (None, None, 3)
    klstm, kgru, kbn = kmodel.layers[:3]
    assert (klstm.return_sequences, klstm.cell.unit_forget_bias, kgru.return_sequences, kgru.cell.reset_after) \
        == (True, False, False, True)
    assert (kbn.momentum, kbn.epsilon, kbn.center, kbn.scale) == (0.8, 1e-2, False, True)
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x), rtol=1e-5, atol=1e-6)
    back = from_keras(kmodel)
    assert [type(a) for a in back.layers] == [type(b) for b in model.layers]
    assert back.layers[0].return_sequences and not back.layers[0].unit_forget_bias
    assert (back.layers[2].momentum, back.layers[2].epsilon, back.layers[2].center) == (0.8, 1e-2, False)
    for ours, theirs in zip(back.get_weights(), model.get_weights()):  # moving statistics included
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_from_keras_batch_normalization_on_channels_first_axis():
    from dlcourse.layers import BatchNormalization

    kmodel = keras.Sequential([keras.Input((3, 4, 4)), keras.layers.BatchNormalization(axis=1, momentum=0.5)])
    x = np.random.default_rng(1).normal(2, 3, (2, 3, 4, 4)).astype("float32")
    for _ in range(3):
        kmodel(x, training=True)  # moves the statistics away from 0 and 1
    assert np.abs(kmodel.layers[0].get_weights()[2]).min() > 0.1
    model = from_keras(kmodel)
    assert isinstance(model.layers[0], BatchNormalization) and model.layers[0].axis == 1
    np.testing.assert_allclose(model.predict(x), kmodel.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make,match", [
    (lambda: keras.layers.GRU(3, reset_after=False), r"expected reset_after=True \(Keras 3's default\)"),
    (lambda: keras.layers.LSTM(3, dropout=0.2), r"expected tanh with sigmoid gates, .* no dropout"),
    (lambda: keras.layers.LSTM(3, activation="relu"), r"expected tanh with sigmoid gates"),
    (lambda: keras.layers.GRU(3, go_backwards=True), r"expected tanh with sigmoid gates, with bias, forward in time"),
])
def test_from_keras_rejects_recurrent_layers_we_do_not_compute(make, match):
    kmodel = keras.Sequential([keras.Input((5, 2)), make()])
    with pytest.raises(TypeError, match=r"from_keras\((LSTM|GRU) .*" + match):
        from_keras(kmodel)


def test_from_keras_rejects_batch_renormalization():
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(renorm=True)])
    with pytest.raises(TypeError, match=r"from_keras\(BatchNormalization .*expected a plain BatchNormalization \(no renorm"):
        from_keras(kmodel)


def test_to_keras_float64_model_stays_float64_through_parameter_free_layers():
    # A Keras layer casts its input to its own dtype: a float32 ReLU in a float64 model would
    # round every activation to float32 (measured: 6e-8 differences instead of 1e-16).
    from dlcourse.layers import Conv2D, Dropout, MaxPool2D, ReLU, Sigmoid

    x = np.random.default_rng(0).standard_normal((3, 6, 6, 1)).astype("float32").astype("float64")  # predict casts to float32
    model = Sequential([Conv2D(1, 2, 3, seed=0, dtype="float64"), ReLU(), MaxPool2D(2), Flatten(), Dropout(0.1),
                        Dense(8, 3, seed=1, dtype="float64"), Sigmoid(), Softmax()], input_shape=(6, 6, 1))
    kmodel = to_keras(model, compile=False)
    assert {str(kl.dtype_policy.compute_dtype) for kl in kmodel.layers} == {"float64"}
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x), rtol=1e-13, atol=1e-15)


def test_frozen_layers_stay_frozen_both_ways():
    from dlcourse.layers import BatchNormalization

    bn = BatchNormalization(4)
    bn.set_weights([np.full(4, 2.0), np.ones(4), np.full(4, 0.5), np.full(4, 4.0)])
    bn.trainable = False
    model = Sequential([Dense(3, 4, seed=0), bn])
    kmodel = to_keras(model, compile=False)
    assert [kl.trainable for kl in kmodel.layers] == [True, False]
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    # training=True, but a frozen BatchNormalization normalizes with its moving statistics
    np.testing.assert_allclose(kmodel(x, training=True).numpy(), model(x, training=True), rtol=1e-5, atol=1e-6)
    assert [layer.trainable for layer in from_keras(kmodel).layers] == [True, False]


def test_round_trip_keeps_same_padded_pooling():
    # a 7x7 image pooled 2x2: "same" gives 4x4, "valid" would give 3x3 (and a different Dense input)
    from dlcourse.layers import AveragePool2D, MaxPool2D

    x = np.random.default_rng(0).standard_normal((3, 7, 7, 2)).astype("float32")
    model = Sequential([MaxPool2D(2, padding="same"), AveragePool2D(2, strides=1, padding="same"), Flatten(),
                        Dense(4 * 4 * 2, 3, seed=0)], input_shape=(7, 7, 2))
    kmodel = to_keras(model, compile=False)
    assert [kl.padding for kl in kmodel.layers[:2]] == ["same", "same"]
    np.testing.assert_allclose(kmodel.predict(x, verbose=0), model.predict(x), rtol=1e-5, atol=1e-6)
    back = from_keras(kmodel)
    assert [layer.padding for layer in back.layers[:2]] == ["same", "same"]
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_from_keras_model_built_in_keras():
    kmodel = keras.Sequential([keras.Input((64,)), keras.layers.Dense(12, activation="tanh"),
                               keras.layers.Dense(3, activation="softmax")])
    x, _ = _digits(20)
    model = from_keras(kmodel)
    assert model.layers[0].activation == "tanh" and model.layers[0].n_in == 64
    np.testing.assert_allclose(model.predict(x), kmodel.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_from_keras_carries_string_compile_settings():
    kmodel = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    kmodel.compile(keras.optimizers.RMSprop(learning_rate=0.003, rho=0.8), "sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    model = from_keras(kmodel)
    assert type(model.optimizer).__name__ == "RMSprop"
    assert model.optimizer.learning_rate == 0.003 and model.optimizer.rho == pytest.approx(0.8)
    assert isinstance(model.loss, SparseCategoricalCrossentropy) and model.metrics == ["accuracy"]


def test_adamw_with_a_schedule_trains_the_same_in_keras():
    # to_keras carries AdamW, its weight decay and a learning-rate schedule (as Keras' schedule of the same
    # name); 30 Adam-type steps on the same batches then give the same weights (float32 tolerance).
    from dlcourse.optimizers import AdamW
    from dlcourse.optimizers.schedules import CosineDecay

    x, y = _digits(96)
    model = _mlp()
    schedule = CosineDecay(0.01, decay_steps=30, warmup_target=0.02, warmup_steps=5)
    model.compile(AdamW(learning_rate=schedule, weight_decay=0.05), "sparse_categorical_crossentropy")
    kmodel = to_keras(model)
    assert type(kmodel.optimizer).__name__ == "AdamW" and kmodel.optimizer.weight_decay == 0.05
    assert type(kmodel.optimizer._learning_rate).__name__ == "CosineDecay"
    start = model.get_weights()
    model.fit(x, y, epochs=10, batch_size=32, shuffle=False, verbose=0)
    kmodel.fit(x, y, epochs=10, batch_size=32, shuffle=False, verbose=0)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(model.get_weights(), start))
    assert moved > 1e-2                                   # the comparison is not of untrained weights
    for ours, theirs in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_from_keras_carries_adamw_sgd_weight_decay_and_schedules():
    kmodel = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    kmodel.compile(keras.optimizers.AdamW(learning_rate=schedule, weight_decay=0.02), "sparse_categorical_crossentropy")
    opt = from_keras(kmodel).optimizer
    assert type(opt).__name__ == "AdamW" and opt.get_config()["weight_decay"] == pytest.approx(0.02)
    rate = opt.get_config()["learning_rate"]
    assert type(rate).__name__ == "ExponentialDecay" and rate(25) == pytest.approx(0.1 * 0.5 ** 2)
    kmodel.compile(keras.optimizers.SGD(learning_rate=0.05, momentum=0.5, weight_decay=0.001), "mse")
    cfg = from_keras(kmodel).optimizer.get_config()
    assert (cfg["learning_rate"], cfg["momentum"], cfg["weight_decay"]) == pytest.approx((0.05, 0.5, 0.001))


# -- clear errors ----------------------------------------------------------------------------
class _Custom(Layer):
    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


def test_to_keras_unsupported_layer_is_a_type_error():
    model = Sequential([Dense(4, 4, seed=0), _Custom()])
    with pytest.raises(TypeError, match=r"to_keras: expected one of Dense.*got _Custom"):
        to_keras(model)


def test_to_keras_needs_input_shape_for_conv():
    from dlcourse.layers import Conv2D

    with pytest.raises(ValueError, match=r"to_keras: expected Sequential\(\.\.\., input_shape=\.\.\.\)"):
        to_keras(Sequential([Conv2D(1, 2, 3, seed=0), Flatten()]))


def test_from_keras_unsupported_layer_is_a_type_error():
    kmodel = keras.Sequential([keras.Input((4,)), keras.layers.LayerNormalization()])
    with pytest.raises(TypeError, match=r"from_keras: expected Dense.*got LayerNormalization"):
        from_keras(kmodel)


def test_bridge_rejects_non_models():
    with pytest.raises(TypeError, match=r"to_keras: expected a dlcourse.model.Sequential, got list"):
        to_keras([Dense(2, 2)])
    with pytest.raises(TypeError, match=r"from_keras: expected a keras.Sequential, got Sequential"):
        from_keras(_mlp())


# -- class_weight / sample_weight parity ------------------------------------------------
# Same weights, shuffle=False, plain SGD: per-epoch loss and final weights must agree.
# Float32: rtol 1e-5 (atol 1e-6 on weights of magnitude ~1). Class weights are dyadic
# (exact in float32 and float64) so that the float64 run compares exact math.
_CLASS_WEIGHT = {0: 4.0, 1: 0.5, 3: 2.25, 7: 0.0}


def _weighted_case(kind, dtype="float32"):
    """A model and targets for each path through fit: fused softmax (sparse, one-hot, separate
    layer), fused sigmoid, and the general path (MSE; cross-entropy from logits)."""
    x, labels = _digits(150, dtype=dtype)
    hidden = Dense(64, 16, "tanh", seed=5, dtype=dtype)
    if kind == "sparse":
        return Sequential([hidden, Dense(16, 10, "softmax", seed=6, dtype=dtype)]), \
            "sparse_categorical_crossentropy", x, labels
    if kind == "onehot":
        return Sequential([hidden, Dense(16, 10, "softmax", seed=6, dtype=dtype)]), \
            "categorical_crossentropy", x, np.eye(10, dtype=dtype)[labels]
    if kind == "softmax_layer":
        return Sequential([hidden, Dense(16, 10, None, seed=6, dtype=dtype), Softmax()]), \
            "sparse_categorical_crossentropy", x, labels
    if kind == "binary":
        return Sequential([hidden, Dense(16, 1, "sigmoid", seed=6, dtype=dtype)]), \
            "binary_crossentropy", x, (labels == 3).astype(dtype)[:, None]
    if kind == "mse":
        return Sequential([hidden, Dense(16, 10, None, seed=6, dtype=dtype)]), \
            MeanSquaredError(), x, np.eye(10, dtype=dtype)[labels]
    if kind == "logits":
        return Sequential([hidden, Dense(16, 10, None, seed=6, dtype=dtype)]), \
            SparseCategoricalCrossentropy(from_logits=True), x, labels
    raise AssertionError(kind)


def _fit_both_weighted(kind, dtype, lr, **weights):
    model, loss, x, y = _weighted_case(kind, dtype)
    model.compile(SGD(learning_rate=lr), loss)
    kmodel = to_keras(model)  # compiled with the same SGD, loss (in the model's dtype) and metrics
    # 150 = 4 * 32 + 22: the smaller last batch is part of the comparison
    ours = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0, **weights).history
    theirs = kmodel.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0, **weights).history
    return model, kmodel, ours, theirs, x, y


@pytest.mark.parametrize("kind", ["sparse", "onehot", "softmax_layer", "binary", "mse", "logits"])
@pytest.mark.parametrize("how", ["class_weight", "sample_weight"])
def test_weighted_training_parity_float32(kind, how):
    if how == "class_weight":
        weights = {"class_weight": {0: 4.0, 1: 0.5} if kind == "binary" else _CLASS_WEIGHT}
    else:
        weights = {"sample_weight": np.random.default_rng(2).uniform(0.0, 3.0, 150).astype("float32")}
    model, kmodel, ours, theirs, x, y = _fit_both_weighted(kind, "float32", 0.1, **weights)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    # accuracy is an unweighted metric in Keras (metrics=, not weighted_metrics=)
    np.testing.assert_allclose(ours["accuracy"], theirs["accuracy"], rtol=0, atol=1e-6)
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-5, atol=1e-6)
    # the weights changed the training: an unweighted run ends elsewhere
    plain, _, _ = _weighted_case(kind)[:3]
    plain.compile(SGD(learning_rate=0.1), _weighted_case(kind)[1])
    plain.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
    assert not np.allclose(plain.get_weights()[-2], model.get_weights()[-2], rtol=1e-3, atol=1e-4)
    sw = np.random.default_rng(3).uniform(0.0, 2.0, 150).astype("float32")
    ev_ours = model.evaluate(x, y, verbose=0, sample_weight=sw)
    ev_keras = kmodel.evaluate(x, y, verbose=0, sample_weight=sw)
    np.testing.assert_allclose(ev_ours, ev_keras, rtol=1e-5)


@pytest.mark.parametrize("kind", ["sparse", "binary", "mse"])
def test_weighted_training_parity_float64_is_exact_math(kind):
    """Float64 on both sides, lr 0.125 (exact in Keras' float32 learning-rate variable)."""
    cw = {0: 4.0, 1: 0.5} if kind == "binary" else _CLASS_WEIGHT
    model, kmodel, ours, theirs, _, _ = _fit_both_weighted(kind, "float64", 0.125, class_weight=cw)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=3e-7)  # Keras' float32 loss tracker
    for w_ours, w_keras in zip(model.get_weights(), kmodel.get_weights()):
        np.testing.assert_allclose(w_ours, w_keras, rtol=1e-11, atol=1e-13)


def test_class_weight_equals_the_sample_weight_keras_derives():
    """class_weight is only a table lookup: the same fit as sample_weight = table[class]."""
    for kind in ("sparse", "onehot"):
        model_a, loss, x, y = _weighted_case(kind)
        model_b = _weighted_case(kind)[0]
        labels = y if y.ndim == 1 else y.argmax(-1)
        table = np.array([_CLASS_WEIGHT.get(k, 1.0) for k in range(10)], dtype="float32")
        for model, kw in ((model_a, {"class_weight": _CLASS_WEIGHT}), (model_b, {"sample_weight": table[labels]})):
            model.compile(SGD(learning_rate=0.1), loss)
            model.fit(x, y, epochs=2, batch_size=32, verbose=0, seed=4, **kw)
        for a, b in zip(model_a.get_weights(), model_b.get_weights()):
            np.testing.assert_array_equal(a, b)
