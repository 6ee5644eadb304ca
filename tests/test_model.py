"""Sequential: fit / evaluate / predict bookkeeping, callbacks, summary and bad inputs.

Parity of whole training runs with Keras lives in ``test_keras_bridge.py``; here the
bookkeeping is checked against first principles (weighted epoch loss, penalties,
accuracy rules, the logits shortcut vs the general path) without TensorFlow.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.callbacks import Callback, EarlyStopping, History
from dlcourse.gradcheck import check_model
from dlcourse.layers import Dense, Dropout, Embedding, Flatten, Layer, Softmax
from dlcourse.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError, SparseCategoricalCrossentropy
from dlcourse.model import Sequential
from dlcourse._data_checks import example_weights
from dlcourse.optimizers import SGD, Adam


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype("float32")
    return x[:300], d.target[:300], x[300:400], d.target[300:400]


def _mlp(dtype="float32", seed=0, hidden=16):
    return Sequential([Dense(64, hidden, "relu", seed=seed, dtype=dtype),
                       Dense(hidden, 10, "softmax", seed=seed + 1, dtype=dtype)])


# -- fit / evaluate / predict ---------------------------------------------------------------
def test_fit_learns_and_history_has_keras_keys(digits):
    x, y, xv, yv = digits
    model = _mlp()
    model.compile(Adam(learning_rate=0.01), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=32, validation_data=(xv, yv), verbose=0)
    assert isinstance(history, History) and model.history is history
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history.epoch == list(range(8))
    assert all(len(v) == 8 and all(isinstance(e, float) for e in v) for v in history.history.values())
    assert history.params == {"epochs": 8, "steps": 10, "verbose": 0}
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.85
    # the last validation entry is computed with the final weights
    loss, acc = model.evaluate(xv, yv, verbose=0)
    assert loss == pytest.approx(history.history["val_loss"][-1], rel=1e-6)
    assert acc == history.history["val_accuracy"][-1]
    assert acc == np.mean(model.predict(xv).argmax(1) == yv)


def test_epoch_loss_is_batch_size_weighted_mean(digits):
    """Keras 3 weights each batch's mean loss by its size: with lr = 0 (weights frozen) the
    epoch loss is then the loss over the whole set, which an unweighted mean of the batch
    means (70 = 32 + 32 + 6) would not be."""
    x, y = digits[0][:70], digits[1][:70]
    model = _mlp(dtype="float64")
    model.compile(SGD(learning_rate=0.0), "sparse_categorical_crossentropy", metrics=[])
    history = model.fit(x.astype("float64"), y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    loss = SparseCategoricalCrossentropy()
    p = model.predict(x.astype("float64"))
    whole = loss(y, p)
    unweighted = np.mean([loss(y[i:i + 32], p[i:i + 32]) for i in range(0, 70, 32)])
    assert abs(unweighted - whole) > 1e-3  # the two candidate rules really differ here
    np.testing.assert_allclose(history.history["loss"], [whole, whole], rtol=1e-12)
    assert list(history.history) == ["loss"]
    assert model.evaluate(x, y, batch_size=32, verbose=0) == pytest.approx(whole, rel=1e-12)


def test_reported_loss_includes_l2_penalties(digits):
    x, y = digits[0][:64].astype("float64"), digits[1][:64]
    model = Sequential([Dense(64, 8, "tanh", kernel_regularizer=0.01, seed=0, dtype="float64"),
                        Dense(8, 10, "softmax", kernel_regularizer=0.1, seed=1, dtype="float64")])
    model.compile(SGD(learning_rate=0.0), "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    k0, k1 = model.layers[0].params["kernel"], model.layers[1].params["kernel"]
    penalty = 0.01 * np.sum(k0 ** 2) + 0.1 * np.sum(k1 ** 2)
    expected = SparseCategoricalCrossentropy()(y, model.predict(x)) + penalty
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(expected, rel=1e-12)  # Keras: evaluate too


def test_logits_shortcut_equals_general_path():
    """dloss/dlogits = p * sum(y) - y (over the batch) equals loss.gradient pushed through softmax."""
    from dlcourse.activations import softmax, softmax_backward

    rng = np.random.default_rng(0)
    z = rng.normal(size=(7, 5)) * 3
    p = softmax(z)
    labels = rng.integers(0, 5, size=7)
    onehot = np.eye(5)[labels]
    soft = rng.dirichlet(np.ones(5), size=7) * 1.3  # targets whose rows sum to 1.3: gradient p * 1.3 - y
    for loss, y in [(SparseCategoricalCrossentropy(), labels), (CategoricalCrossentropy(), onehot),
                    (CategoricalCrossentropy(), soft)]:
        value, g = loss.value_and_logits_gradient(y, p)
        assert value == pytest.approx(loss(y, p), rel=1e-12)
        np.testing.assert_allclose(g, softmax_backward(p, loss.gradient(y, p)), rtol=1e-10, atol=1e-15)
    # sigmoid + binary cross-entropy
    from dlcourse.activations import sigmoid, sigmoid_grad

    zb = rng.normal(size=(6, 3))
    pb = sigmoid(zb)
    yb = rng.integers(0, 2, size=(6, 3)).astype(float)
    bce = BinaryCrossentropy()
    value, g = bce.value_and_logits_gradient(yb, pb)
    assert value == pytest.approx(bce(yb, pb), rel=1e-12)
    np.testing.assert_allclose(g, bce.gradient(yb, pb) * sigmoid_grad(zb), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("class_weight", [None, {0: 3.0, 5: 0.25}], ids=["unweighted", "class_weight"])
def test_training_with_shortcut_equals_general_path(digits, class_weight):
    x, y = digits[0][:96].astype("float64"), digits[1][:96]
    runs = []
    for fused in (True, False):
        model = Sequential([Dense(64, 12, "relu", seed=3, dtype="float64"), Dense(12, 10, seed=4, dtype="float64"),
                            Softmax()])
        loss = SparseCategoricalCrossentropy()
        if not fused:
            loss.logits_activation = None  # no shortcut: loss.gradient goes through Softmax.backward
        model.compile("sgd", loss)
        history = model.fit(x, y, epochs=3, batch_size=20, verbose=0, class_weight=class_weight)
        runs.append((history.history["loss"], model.get_weights()))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-12)
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_accuracy_follows_keras_rules():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype("float32")
    # binary: one sigmoid unit, threshold 0.5
    model = Sequential([Dense(3, 1, "sigmoid", seed=0)])
    model.compile(SGD(0.0), "binary_crossentropy")
    y = (rng.random(40) > 0.5).astype("float32")
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc == np.mean((model.predict(x)[:, 0] > 0.5) == (y > 0.5))
    # categorical: one-hot targets
    model = Sequential([Dense(3, 4, "softmax", seed=0)])
    model.compile(SGD(0.0), "categorical_crossentropy")
    labels = rng.integers(0, 4, 40)
    _, acc = model.evaluate(x, np.eye(4)[labels], verbose=0)
    assert acc == np.mean(model.predict(x).argmax(1) == labels)
    # sparse with (n, 1) labels, as Keras accepts
    model.compile(SGD(0.0), "sparse_categorical_crossentropy")
    assert model.evaluate(x, labels[:, None], verbose=0)[1] == acc
    history = model.fit(x, labels[:, None], epochs=1, verbose=0)
    assert history.history["accuracy"][0] == acc


def test_no_metrics_evaluate_returns_float_and_mse_accepts_flat_targets():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(30, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    model = Sequential([Dense(4, 1, seed=0)])
    model.compile(SGD(0.05), "mse", metrics=None)
    history = model.fit(x, y, epochs=30, batch_size=10, verbose=0)  # y (n,) for an (n, 1) output, as Keras
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, float)
    assert result == pytest.approx(MeanSquaredError()(y[:, None], model.predict(x)), rel=1e-5)


def test_shuffle_is_seeded_and_changes_the_order(digits):
    x, y = digits[0][:100], digits[1][:100]
    weights = []
    for seed in (0, 0, 1):
        model = _mlp(seed=10)
        model.compile(SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, seed=seed, verbose=0)
        weights.append(model.get_weights()[0])
    np.testing.assert_array_equal(weights[0], weights[1])
    assert not np.allclose(weights[0], weights[2])


def test_dropout_only_in_training_and_integer_ids_for_embedding():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 20, size=(50, 6))
    y = (ids.sum(1) > 57).astype("float32")
    model = Sequential([Embedding(20, 4, seed=0), Flatten(), Dropout(0.5, seed=0), Dense(24, 1, "sigmoid", seed=1)])
    model.compile(Adam(0.05), "binary_crossentropy")
    history = model.fit(ids, y, epochs=15, batch_size=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(ids), model.predict(ids))  # inference: no dropout noise


def test_get_set_weights_round_trip(digits):
    a, b = _mlp(seed=0), _mlp(seed=5)
    assert not np.allclose(a.predict(digits[0]), b.predict(digits[0]))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(digits[0]), b.predict(digits[0]))
    assert [w.shape for w in a.get_weights()] == [(64, 16), (16,), (16, 10), (10,)]
    assert [(layer.name, key) for layer, key in a.trainable_params] == [
        ("dense", "kernel"), ("dense", "bias"), ("dense_1", "kernel"), ("dense_1", "bias")]
    assert a.count_params() == 64 * 16 + 16 + 16 * 10 + 10


# -- callbacks ------------------------------------------------------------------------------
class _Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_stops_after_patience_and_restores_best(digits):
    """Validation labels are permuted, so val_loss worsens as the model fits the training
    labels: training must stop ``patience`` epochs after the best one and put it back."""
    x, y, xv, yv = digits
    yv_wrong = np.random.default_rng(0).permutation(yv)
    model = _mlp(seed=2)
    model.compile(Adam(0.01), "sparse_categorical_crossentropy")
    stop, rec = EarlyStopping(patience=2, restore_best_weights=True), _Recorder()
    history = model.fit(x, y, epochs=50, validation_data=(xv, yv_wrong), callbacks=[rec, stop], verbose=0)
    val = history.history["val_loss"]
    best = int(np.argmin(val))
    assert len(history.epoch) < 50
    assert stop.stopped_epoch == len(history.epoch) - 1 == best + 2
    assert stop.best_epoch == best and stop.best == val[best]
    for w_final, w_best in zip(model.get_weights(), rec.weights[best]):
        np.testing.assert_array_equal(w_final, w_best)
    assert model.evaluate(xv, yv_wrong, verbose=0)[0] == pytest.approx(val[best], rel=1e-6)


class _FakeModel:
    def __init__(self):
        self.stop_training = False
        self.w = 0
        self.restored = None

    def get_weights(self):
        return [self.w]

    def set_weights(self, weights):
        self.restored = weights


def _run(callback, values, key="val_loss"):
    model = _FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, v in enumerate(values):
        model.w = epoch
        callback.on_epoch_end(epoch, {key: v})
        if model.stop_training:
            break
    callback.on_train_end()
    return epoch, model


def test_early_stopping_bookkeeping_matches_keras():
    # patience 2: epochs 2 and 3 do not improve on 0.9, so stop at epoch 3
    last, model = _run(EarlyStopping(patience=2, restore_best_weights=True), [1.0, 0.9, 0.95, 0.97, 0.5])
    assert last == 3 and model.restored == [1]
    # patience 0 stops at the first non-improvement; without restore nothing is set
    last, model = _run(EarlyStopping(), [1.0, 0.9, 0.91, 0.5])
    assert last == 2 and model.restored is None
    # min_delta: 0.95 -> 0.949 is not an improvement of at least 0.01
    last, _ = _run(EarlyStopping(patience=1, min_delta=0.01), [1.0, 0.95, 0.949, 0.3])
    assert last == 2
    # accuracy is maximised in mode "auto"
    last, model = _run(EarlyStopping(monitor="val_accuracy", patience=1, restore_best_weights=True),
                       [0.5, 0.7, 0.6, 0.9], key="val_accuracy")
    assert last == 2 and model.restored == [1]


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError, match="EarlyStopping: expected mode 'auto', 'min' or 'max', got 'up'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="EarlyStopping: expected patience as an int >= 0, got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="EarlyStopping: cannot infer mode for monitor 'val_f1'"):
        EarlyStopping(monitor="val_f1")
    with pytest.raises(TypeError, match="EarlyStopping: expected patience as an int >= 0, got 2.0"):
        EarlyStopping(patience=2.0)
    with pytest.raises(ValueError, match="EarlyStopping: expected min_delta as a finite number, got nan"):
        EarlyStopping(min_delta=float("nan"))
    with pytest.raises(TypeError, match="EarlyStopping: expected min_delta as a finite number, got '0.1'"):
        EarlyStopping(min_delta="0.1")
    with pytest.raises(TypeError, match="EarlyStopping: expected restore_best_weights to be True or False, got str"):
        EarlyStopping(restore_best_weights="yes")


def test_early_stopping_without_validation_data_is_explained(digits):
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"EarlyStopping: expected 'val_loss' in the epoch logs, got keys "
                                         r"\['accuracy', 'loss'\]; pass validation_data to fit\(\)"):
        model.fit(digits[0], digits[1], epochs=2, callbacks=[EarlyStopping()], verbose=0)


# -- output ---------------------------------------------------------------------------------
def test_summary_table():
    model = Sequential([Dense(64, 32, "relu", seed=0), Dropout(0.2), Dense(32, 10, "softmax", seed=1)], name="mlp")
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    assert text.startswith('Model: "mlp"')
    for row in ("dense (Dense)", "dropout (Dropout)", "dense_1 (Dense)"):
        assert row in text
    assert "(None, 32)" in text and "(None, 10)" in text
    assert "2,080" in text and "330" in text
    assert "Total params: 2,410" in text and "Trainable params: 2,410" in text and "Non-trainable params: 0" in text


def test_summary_of_conv_model_uses_input_shape(capsys):
    from dlcourse.layers import Conv2D, MaxPool2D

    model = Sequential([Conv2D(1, 4, 3, padding="same", seed=0), MaxPool2D(2), Flatten(), Dense(64, 10, seed=1)],
                       input_shape=(8, 8, 1))
    model.summary()
    out = capsys.readouterr().out
    assert "(None, 8, 8, 4)" in out and "(None, 4, 4, 4)" in out and "(None, 64)" in out
    assert f"Total params: {4 * 9 + 4 + 64 * 10 + 10:,}" in out


def test_verbose_output(digits, capsys):
    x, y = digits[0][:64], digits[1][:64]
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("2/2 - loss: ") and " - accuracy: " in out[1]
    model.fit(x, y, epochs=1, verbose=1)  # not a terminal under pytest: the finished bar only
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("2/2 [==============================] - loss: ")


# -- gradient check through the model ---------------------------------------------------------
def test_check_model_on_a_compiled_sequential():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    y = rng.integers(0, 3, 5)
    model = Sequential([Dense(4, 6, "tanh", seed=0, dtype="float64"),
                        Dense(6, 3, "softmax", kernel_regularizer=0.0, seed=1, dtype="float64")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    errors = check_model(model, None, x, y)
    assert set(errors) == {"0.dense.kernel", "0.dense.bias", "1.dense_1.kernel", "1.dense_1.bias"}
    assert max(errors.values()) < 1e-6


# -- bad inputs -------------------------------------------------------------------------------
@pytest.fixture
def compiled():
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


X = np.zeros((10, 64), dtype="float32")
Y = np.zeros(10, dtype=np.int64)

BAD_FIT = [
    ("x/y batch mismatch", dict(x=X, y=Y[:9]), ValueError,
     r"Sequential.fit: expected x and y with the same number of examples, got 10 and 9"),
    ("wrong input width", dict(x=np.zeros((10, 63), "float32"), y=Y), ValueError,
     r"Sequential.fit: expected inputs with 64 features in the last axis \(dense has n_in=64\), got shape \(10, 63\)"),
    ("epochs 0", dict(x=X, y=Y, epochs=0), ValueError, r"Sequential.fit: expected epochs as a positive int, got 0"),
    ("epochs float", dict(x=X, y=Y, epochs=2.5), TypeError, r"expected epochs as a positive int, got 2.5"),
    ("batch_size float", dict(x=X, y=Y, batch_size=32.0), TypeError, r"expected batch_size as a positive int, got 32.0"),
    ("batch_size 0", dict(x=X, y=Y, batch_size=0), ValueError,
     r"Sequential.fit: expected batch_size as a positive int, got 0"),
    ("batch_size negative", dict(x=X, y=Y, batch_size=-4), ValueError, r"expected batch_size as a positive int, got -4"),
    ("NaN in x", dict(x=np.where(np.eye(10, 64) > 0, np.nan, 0).astype("float32"), y=Y), ValueError,
     r"Sequential.fit: x: expected finite values, got 10 NaN/inf entries"),
    ("inf in one-hot y", dict(x=X, y=np.full((10, 10), np.inf)), ValueError, r"Sequential.fit: y: expected finite values"),
    ("validation_data triple", dict(x=X, y=Y, validation_data=(X, Y, Y)), ValueError,
     r"Sequential.fit: expected validation_data as a tuple \(x_val, y_val\), got a tuple of length 3"),
    ("validation_data array", dict(x=X, y=Y, validation_data=X), ValueError,
     r"expected validation_data as a tuple \(x_val, y_val\), got ndarray"),
    ("validation x width", dict(x=X, y=Y, validation_data=(np.zeros((4, 8)), Y[:4])), ValueError,
     r"Sequential.fit: expected inputs with 64 features"),
    ("validation batch mismatch", dict(x=X, y=Y, validation_data=(X, Y[:3])), ValueError,
     r"expected validation x and validation y with the same number of examples, got 10 and 3"),
    ("labels out of range", dict(x=X, y=np.full(10, 10)), ValueError,
     r"Sequential.fit: expected y labels in \[0, 10\) for a 10-unit output, got values in \[10, 10\]"),
    ("one-hot y for sparse loss", dict(x=X, y=np.eye(10)), ValueError,
     r"Sequential.fit: expected y of shape \(batch\) \(class indices"),
    ("string y", dict(x=X, y=np.array(["cat"] * 10)), TypeError,
     r"Sequential.fit: expected y as a real-valued numeric array, got array of shape \(10,\) and dtype <U3"),
    ("scalar y", dict(x=X, y=3), ValueError, r"Sequential.fit: expected y as an array with a batch axis, got a scalar"),
    ("string x", dict(x=np.array([["a"] * 64] * 10), y=Y), TypeError,
     r"Sequential.fit: expected x as a real-valued numeric array, got array of shape \(10, 64\)"),
    ("empty x", dict(x=X[:0], y=Y[:0]), ValueError, r"Sequential.fit: expected at least one example, got 0"),
    ("callback type", dict(x=X, y=Y, callbacks=[print]), TypeError,
     r"Sequential.fit: expected callbacks derived from dlcourse.callbacks.Callback"),
    ("seed", dict(x=X, y=Y, seed=0.5), TypeError,
     r"Sequential.fit: expected seed as None, an int or a numpy.random.Generator, got float"),
    ("verbose", dict(x=X, y=Y, verbose=3), ValueError, r"Sequential.fit: expected verbose in \{'auto', 0, 1, 2\}, got 3"),
]


@pytest.mark.parametrize("kwargs, error, message", [b[1:] for b in BAD_FIT], ids=[b[0] for b in BAD_FIT])
def test_fit_rejects_bad_input(compiled, kwargs, error, message):
    kwargs = {"verbose": 0, **kwargs}
    before = compiled.get_weights()
    with pytest.raises(error, match=message):
        compiled.fit(**kwargs)
    for a, b in zip(before, compiled.get_weights()):  # validation happens before any update
        np.testing.assert_array_equal(a, b)


def test_fit_before_compile():
    with pytest.raises(ValueError, match=r"Sequential.fit: expected a compiled model, got one without a loss; "
                                         r"call compile\(\) first"):
        _mlp().fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match=r"Sequential.evaluate: expected a compiled model"):
        _mlp().evaluate(X, Y, verbose=0)


def test_compile_rejects_unknown_names():
    model = _mlp()
    with pytest.raises(ValueError, match=r"losses.get: expected one of .*got 'cross_entropy'"):
        model.compile("adam", "cross_entropy")
    with pytest.raises(ValueError, match=r"optimizers.get: expected one of .*got 'adamx'"):
        model.compile("adamx", "mse")
    with pytest.raises(ValueError, match=r"Sequential.compile: expected metrics from \['accuracy', 'acc'\], got 'f1'"):
        model.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(TypeError, match=r"Sequential.compile: expected an optimizer name or an object with "
                                        r"apply_gradients\(\), got float"):
        model.compile(0.01, "mse")
    with pytest.raises(ValueError, match=r"Sequential.compile: expected a loss"):
        model.compile("adam")


def test_constructor_and_weights_errors():
    with pytest.raises(TypeError, match=r"Sequential: expected a list of layers, got Dense"):
        Sequential(Dense(2, 2))
    with pytest.raises(TypeError, match=r"Sequential.add: expected a layer with forward\(\) and backward\(\), got int"):
        Sequential([Dense(2, 2), 3])
    with pytest.raises(ValueError, match=r"Sequential.set_weights: expected a list of 4 arrays, got 3"):
        _mlp().set_weights(_mlp().get_weights()[:3])
    with pytest.raises(ValueError, match=r"Sequential.predict: expected inputs of shape \(batch, 8, 8, 1\) "
                                         r"\(the model's input_shape\), got \(2, 64\)"):
        Sequential([Flatten(), Dense(64, 2)], input_shape=(8, 8, 1)).predict(np.zeros((2, 64)))
    with pytest.raises(ValueError, match=r"Sequential.evaluate: expected batch_size as a positive int, got 0"):
        model = _mlp()
        model.compile("adam", "sparse_categorical_crossentropy")
        model.evaluate(X, Y, batch_size=0)


# -- class_weight / sample_weight ------------------------------------------------------------
def test_weighted_logits_shortcut_equals_weighted_loss_through_the_activation():
    """The fused weighted value/gradient equal loss(..., sample_weight) pushed through softmax/sigmoid (float64)."""
    from dlcourse.activations import sigmoid, sigmoid_grad, softmax, softmax_backward

    rng = np.random.default_rng(1)
    z = rng.normal(size=(7, 5)) * 3
    p = softmax(z)
    labels = rng.integers(0, 5, size=7)
    w = rng.uniform(0, 3, size=7)
    w[2] = 0.0
    soft = rng.dirichlet(np.ones(5), size=7) * 1.3
    for loss, y in [(SparseCategoricalCrossentropy(), labels), (CategoricalCrossentropy(), np.eye(5)[labels]),
                    (CategoricalCrossentropy(), soft)]:
        value, g = loss.value_and_logits_gradient(y, p, sample_weight=w)
        assert value == pytest.approx(loss(y, p, sample_weight=w), rel=1e-12)
        np.testing.assert_allclose(g, softmax_backward(p, loss.gradient(y, p, sample_weight=w)), rtol=1e-10, atol=1e-15)
        assert not g[2].any()
    zb = rng.normal(size=(7, 3))
    pb = sigmoid(zb)
    yb = rng.integers(0, 2, size=(7, 3)).astype(float)
    bce = BinaryCrossentropy()
    value, g = bce.value_and_logits_gradient(yb, pb, sample_weight=w)
    assert value == pytest.approx(bce(yb, pb, sample_weight=w), rel=1e-12)
    np.testing.assert_allclose(g, bce.gradient(yb, pb, sample_weight=w) * sigmoid_grad(zb), rtol=1e-9, atol=1e-15)


def test_unit_weights_train_like_no_weights_and_accuracy_stays_unweighted(digits):
    x, y = digits[0][:96].astype("float64"), digits[1][:96]
    runs = []
    for kw in ({}, {"sample_weight": np.ones(96)}, {"class_weight": {}}):
        model = _mlp("float64")
        model.compile("sgd", "sparse_categorical_crossentropy")
        runs.append((model.fit(x, y, epochs=2, batch_size=20, verbose=0, **kw).history, model.get_weights()))
    for history, weights in runs[1:]:
        np.testing.assert_allclose(history["loss"], runs[0][0]["loss"], rtol=1e-14)
        assert history["accuracy"] == runs[0][0]["accuracy"]
        for a, b in zip(weights, runs[0][1]):
            np.testing.assert_array_equal(a, b)
    # a zero weight on every example of class 0 does not change the (unweighted) accuracy bookkeeping
    model = _mlp("float64")
    model.compile("sgd", "sparse_categorical_crossentropy")
    sw = (y != 0).astype(float)
    loss_w, acc_w = model.evaluate(x, y, verbose=0, sample_weight=sw)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc_w == acc
    per = model.predict(x)[np.arange(96), y]
    assert loss_w == pytest.approx(-np.sum(sw * np.log(per)) / 96, rel=1e-12)  # divided by n, not by sum(w)
    assert loss_w < loss


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"class_weight": {0: 1.0}, "sample_weight": np.ones(40)}, ValueError, "expected class_weight or sample_weight, got both"),
    ({"class_weight": [1.0, 2.0]}, TypeError, r"expected class_weight as a dict \{class index: weight\}, got list"),
    ({"class_weight": {10: 2.0}}, ValueError, r"expected class_weight keys in \[0, 10\).*got unknown class 10"),
    ({"class_weight": {-1: 2.0}}, ValueError, "got unknown class -1"),
    ({"class_weight": {"cat": 2.0}}, TypeError, "expected class_weight keys as int class indices, got 'cat'"),
    ({"class_weight": {1.5: 2.0}}, TypeError, "expected class_weight keys as int class indices, got 1.5"),
    ({"class_weight": {1: -2.0}}, ValueError, r"expected class_weight values finite and >= 0, got -2.0 for class 1"),
    ({"class_weight": {1: float("nan")}}, ValueError, "expected class_weight values finite and >= 0"),
    ({"class_weight": {1: "2"}}, TypeError, "expected class_weight values as numbers"),
    ({"sample_weight": np.ones(39)}, ValueError, r"expected sample_weight of shape \(40,\).*got \(39,\)"),
    ({"sample_weight": np.ones((40, 2))}, ValueError, r"expected sample_weight of shape \(40,\).*got \(40, 2\)"),
    ({"sample_weight": -np.ones(40)}, ValueError, "expected non-negative sample_weight"),
    ({"sample_weight": np.full(40, np.inf)}, ValueError, "expected finite sample_weight"),
    ({"sample_weight": np.array(["a"] * 40)}, TypeError, "expected sample_weight as a real-valued numeric array"),
])
def test_bad_weights_raise_clear_errors(digits, kwargs, exc, match):
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(exc, match=match):
        model.fit(digits[0][:40], digits[1][:40], verbose=0, **kwargs)


def test_class_weight_reads_classes_as_keras_does():
    """One-hot targets: argmax; a (n, 1) column: squeezed and rounded; one sigmoid unit has classes 0 and 1."""
    model = _mlp("float64")
    out = np.zeros((1, 10))
    onehot = np.eye(10)[[3, 0, 3]]
    np.testing.assert_array_equal(example_weights(onehot, out, {3: 2.5}, None, "fit"), [2.5, 1.0, 2.5])
    column = np.array([[0.0], [1.0], [0.9]])
    np.testing.assert_array_equal(example_weights(column, np.zeros((1, 1)), {1: 4.0}, None, "fit"), [1.0, 4.0, 4.0])
    with pytest.raises(ValueError, match=r"expected class_weight keys in \[0, 2\)"):
        example_weights(column, np.zeros((1, 1)), {2: 4.0}, None, "fit")
    with pytest.raises(ValueError, match=r"expected class labels in \[0, 2\) for class_weight, got values in \[0, 3\]"):
        example_weights(np.array([[0.0], [3.0]]), np.zeros((1, 1)), {1: 4.0}, None, "fit")
    with pytest.raises(ValueError, match="expected class_weight with one class per example"):
        example_weights(np.zeros((2, 4), dtype=np.int64), np.zeros((1, 4, 10)), {1: 4.0}, None, "fit")


# -- layers with non-trainable weights (BatchNormalization's contract) ------------------------
class _Normalize(Layer):
    """A stand-in with BatchNormalization's weight contract: gamma, beta trained; moving statistics not."""

    def __init__(self, n):
        super().__init__(name="normalize")
        self.params = {"gamma": np.ones(n, "float32"), "beta": np.zeros(n, "float32")}
        self.moving = [np.zeros(n, "float32"), np.ones(n, "float32")]
        self.training_flags = []

    @property
    def non_trainable_weights(self):
        return self.moving

    def count_params(self):
        return sum(w.size for w in [*self.params.values(), *self.moving])

    def get_weights(self):
        return [w.copy() for w in [*self.params.values(), *self.moving]]

    def set_weights(self, weights):
        for target, w in zip([*self.params.values(), *self.moving], weights):
            target[...] = w

    def forward(self, x, training=False):
        self.training_flags.append(training)
        self._cache = x
        return x * self.params["gamma"] + self.params["beta"]

    def backward(self, grad_out):
        x = self._require_cache()
        self.grads = {"gamma": (grad_out * x).sum(0), "beta": grad_out.sum(0)}
        return grad_out * self.params["gamma"]


def test_summary_counts_non_trainable_weights_like_keras():
    model = Sequential([Dense(4, 3, seed=0), _Normalize(3), Dense(3, 2, "softmax", seed=1)])
    text = []
    model.summary(print_fn=text.append)
    total = 4 * 3 + 3 + 4 * 3 + 3 * 2 + 2
    assert f"Total params: {total:,}" in text[0]
    assert f"Trainable params: {total - 6:,}" in text[0] and "Non-trainable params: 6" in text[0]
    model.layers[0].trainable = False
    text.clear()
    model.summary(print_fn=text.append)
    assert f"Trainable params: {total - 6 - 15:,}" in text[0] and "Non-trainable params: 21" in text[0]


def test_weights_include_moving_statistics_and_layers_see_the_training_flag():
    model = Sequential([Dense(4, 3, seed=0), _Normalize(3), Dense(3, 2, "softmax", seed=1)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 3), (3,), (3,), (3,), (3,), (3,), (3, 2), (2,)]
    new = [w + 0.5 for w in weights]
    model.set_weights(new)
    np.testing.assert_array_equal(model.layers[1].moving[1], new[5])
    assert [(layer.name, key) for layer, key in model.trainable_params][2:4] == [("normalize", "gamma"),
                                                                                ("normalize", "beta")]
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.zeros((6, 4), "float32"), np.zeros(6, np.int64)
    flags = model.layers[1].training_flags
    flags.clear()
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    assert flags == [False, True, True]  # one dry run on two rows to check shapes, then the two steps
    flags.clear()
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    assert not any(flags)
    with pytest.raises(ValueError, match=r"Sequential.set_weights: array 5 \(normalize weight 3\): expected "
                                         r"finite values in float32"):
        model.set_weights([*new[:5], np.full(3, np.inf), *new[6:]])


def _two_dense(seed=0):
    model = Sequential([Dense(4, 5, "relu", seed=seed), Dense(5, 3, "softmax", seed=seed + 1)])
    model.compile(Adam(learning_rate=0.01), "sparse_categorical_crossentropy")
    return model


def test_fit_skips_only_the_first_layers_input_gradient(monkeypatch):
    # the first layer's input is the data: fit never forms its gradient (Keras' tape never asks for it);
    # every other layer still hands its input gradient down, and direct calls are unchanged
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 4)).astype(np.float32), rng.integers(0, 3, 20)
    model = _two_dense()
    returned = []
    original = Dense.backward_logits

    def spy(self, dz):
        out = original(self, dz)
        returned.append((self.name, out is None))
        return out

    monkeypatch.setattr(Dense, "backward_logits", spy)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert set(returned) == {("dense", True), ("dense_1", False)}
    assert len(returned) == 2 * 2 * 3  # two layers, two epochs of three batches
    model.layers[0](x[:8], training=True)
    assert model.layers[0].backward(np.ones((8, 5), np.float32)).shape == (8, 4)


def test_skipping_the_data_gradient_changes_no_weight(monkeypatch):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 4)).astype(np.float32), rng.integers(0, 3, 30)
    skipped, computed = _two_dense(), _two_dense()
    skipped.fit(x, y, epochs=3, batch_size=8, verbose=0)
    monkeypatch.setattr("dlcourse.layers.core.needs_input_gradient", lambda layer: True)
    computed.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for a, b in zip(skipped.get_weights(), computed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert skipped.history.history == computed.history.history
