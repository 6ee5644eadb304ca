"""Bad input never trains and never half-updates (property-based, hypothesis).

Each property draws a bad value and a random place for it (often far past the first
rows, which ``fit`` used to dry-run alone) and checks that ``fit`` raises a clear
error *before the first update*: every weight and ``optimizer.iterations`` unchanged.
``fit``, ``evaluate`` and the loss accept and reject the same targets.
``TRIED`` counts the bad inputs each property tried; the last test checks the counts.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from dlcourse.callbacks import Callback, EarlyStopping, History
from dlcourse.layers import Dense, Embedding, Flatten
from dlcourse.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError
from dlcourse.model import Sequential, TrainingDivergedError
from dlcourse.optimizers import SGD, Adam

TRIED: Counter = Counter()
N = 40
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, 5)).astype("float32")
LABELS = RNG.integers(0, 3, N)


def _softmax_model(loss="categorical_crossentropy"):
    model = Sequential([Dense(5, 4, "relu", seed=0), Dense(4, 3, "softmax", seed=1)])
    model.compile(Adam(0.01), loss)
    return model


def _sigmoid_model():
    model = Sequential([Dense(5, 4, "relu", seed=0), Dense(4, 1, "sigmoid", seed=1)])
    model.compile(Adam(0.01), "binary_crossentropy")
    return model


def _assert_untouched(model, before):
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0


def _rejects(model, x, y, exc=(ValueError, TypeError), match=None, **kwargs):
    before = model.get_weights()
    with pytest.raises(exc, match=match):
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, **kwargs)
    _assert_untouched(model, before)


ROW = st.integers(0, N - 1)
BAD_PROBABILITY = st.one_of(st.floats(1.0, 1e6), st.floats(-1e6, 0.0)).filter(lambda v: not 0 <= np.float32(v) <= 1)


@settings(max_examples=40, deadline=None)
@given(row=ROW, col=st.integers(0, 2), value=BAD_PROBABILITY)
def test_one_hot_targets_outside_0_1_are_rejected_by_fit_evaluate_and_the_loss(row, col, value):
    TRIED["one-hot target outside [0, 1]"] += 1
    y = np.eye(3, dtype="float32")[LABELS]
    y[row, col] = value
    model = _softmax_model()
    _rejects(model, X, y, ValueError, r"Sequential.fit: y: CategoricalCrossentropy: expected targets y_true in \[0, 1\]")
    with pytest.raises(ValueError, match=r"Sequential.evaluate: y: CategoricalCrossentropy: expected targets"):
        model.evaluate(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"CategoricalCrossentropy: expected targets y_true in \[0, 1\]"):
        CategoricalCrossentropy()(y, np.full(y.shape, 1 / 3, "float32"))


@settings(max_examples=40, deadline=None)
@given(row=ROW, value=BAD_PROBABILITY)
def test_binary_targets_outside_0_1_are_rejected(row, value):
    TRIED["binary target outside [0, 1]"] += 1
    y = (LABELS > 0).astype("float32")
    y[row] = value
    model = _sigmoid_model()
    _rejects(model, X, y, ValueError, r"Sequential.fit: y: BinaryCrossentropy: expected targets y_true in \[0, 1\]")
    with pytest.raises(ValueError, match=r"BinaryCrossentropy: expected targets"):
        model.evaluate(X, y, verbose=0)
    with pytest.raises(ValueError, match=r"BinaryCrossentropy: expected targets"):
        BinaryCrossentropy()(y[:, None], np.full((N, 1), 0.5, "float32"))


@settings(max_examples=40, deadline=None)
@given(row=ROW, col=st.integers(0, 5), bad=st.one_of(st.integers(20, 10**6), st.integers(-10**6, -1)))
def test_embedding_ids_out_of_range_anywhere_are_rejected(row, col, bad):
    TRIED["embedding id out of range"] += 1
    ids = RNG.integers(0, 20, size=(N, 6))
    ids[row, col] = bad
    model = Sequential([Embedding(20, 3, seed=0), Flatten(), Dense(18, 1, "sigmoid", seed=1)])
    model.compile(SGD(0.1), "binary_crossentropy")
    _rejects(model, ids, (LABELS > 0).astype("float32"), ValueError, r"Sequential.fit: x: Embedding")


@settings(max_examples=40, deadline=None)
@given(row=st.integers(0, 19), kind=st.sampled_from(["label", "nan", "onehot"]), value=st.integers(3, 1000))
def test_bad_validation_targets_are_rejected_before_training(row, kind, value):
    TRIED["bad validation target"] += 1
    x_val, y_val = X[:20], LABELS[:20].copy()
    if kind == "onehot":
        model, y, y_val = _softmax_model(), np.eye(3)[LABELS], np.eye(3)[y_val]
        y_val[row, 0] = value
    else:
        model, y = _softmax_model("sparse_categorical_crossentropy"), LABELS
        y_val = y_val.astype("float64")
        y_val[row] = np.nan if kind == "nan" else value
    _rejects(model, X, y, ValueError, r"Sequential.fit: (expected )?validation y", validation_data=(x_val, y_val))


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, 3), bad=st.sampled_from(["shape", "nan", "inf_after_cast", "complex", "None", "str"]))
def test_set_weights_with_one_bad_array_changes_nothing(index, bad):
    TRIED["bad array for set_weights"] += 1
    model = _softmax_model()
    before = model.get_weights()
    new = [w + 1 for w in before]
    w = new[index]
    new[index] = {"shape": w[..., None], "nan": np.where(w > -np.inf, np.nan, w), "inf_after_cast": np.full(w.shape, 1e300),
                  "complex": w.astype(complex), "None": None, "str": np.full(w.shape, "a")}[bad]
    with pytest.raises((ValueError, TypeError), match=rf"Sequential.set_weights: array {index} "):
        model.set_weights(new)
    _assert_untouched(model, before)


@settings(max_examples=30, deadline=None)
@given(rate=st.floats(1e6, 1e30), loss=st.sampled_from(["mse", "categorical_crossentropy"]))
def test_divergence_stops_fit_with_the_epoch_step_and_rate_and_keeps_finite_weights(rate, loss):
    """A huge learning rate makes the loss or a gradient non-finite within a few steps."""
    TRIED["diverging learning rate"] += 1
    model = Sequential([Dense(5, 16, "relu", seed=0), Dense(16, 3, "softmax" if loss != "mse" else None, seed=1)])
    model.compile(SGD(rate), loss, metrics=[])
    y = np.eye(3, dtype="float32")[LABELS] * (1 if loss != "mse" else 1e3)
    history = History()

    class Snapshot(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.weights = self.model.get_weights()

    snap = Snapshot()
    with pytest.raises(TrainingDivergedError, match=rf"Sequential.fit: training diverged at epoch \d+/50, step \d+/5: "
                                                    rf".*SGD with learning_rate={re.escape(f'{rate:g}')}.*try a smaller learning_rate"):
        model.fit(X, y, epochs=50, batch_size=8, verbose=0, callbacks=[history, snap])
    weights = model.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    for a, b in zip(weights, getattr(snap, "weights", weights)):  # those of the last finite step
        np.testing.assert_array_equal(a, b)


def test_divergence_error_is_a_floating_point_error():
    assert issubclass(TrainingDivergedError, FloatingPointError)
    model = Sequential([Dense(5, 3, seed=0)])
    model.compile(SGD(1e38), MeanSquaredError(), metrics=[])
    with pytest.raises(FloatingPointError, match=r"epoch 1/3, step \d+/5"):
        model.fit(X, np.full((N, 3), 1e19, "float32"), epochs=3, batch_size=8, verbose=0)


def test_early_stopping_on_val_loss_without_validation_data_raises_before_training():
    model = _softmax_model("sparse_categorical_crossentropy")
    _rejects(model, X, LABELS, ValueError, r"EarlyStopping: expected 'val_loss' in the epoch logs, got keys "
                                          r"\['accuracy', 'loss'\]; pass validation_data to fit\(\)",
             callbacks=[EarlyStopping()])


BAD_EPOCH = st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.text(max_size=3), st.booleans(),
                     st.none())
BAD_LOGS = st.one_of(st.lists(st.floats(), max_size=2), st.integers(), st.text(max_size=3),
                     st.dictionaries(st.text(max_size=3), st.one_of(st.text(max_size=3), st.none(), st.booleans()),
                                     min_size=1, max_size=2))


@settings(max_examples=60, deadline=None)
@given(epoch=st.one_of(BAD_EPOCH, st.integers(0, 5)), logs=st.one_of(BAD_LOGS, st.just({"val_loss": 1.0})),
       which=st.sampled_from(["History", "EarlyStopping"]))
def test_callback_hooks_reject_bad_arguments_in_our_words(epoch, logs, which):
    if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0 and logs == {"val_loss": 1.0}:
        return  # both valid: nothing bad to try
    TRIED["bad callback hook argument"] += 1
    callback = History() if which == "History" else EarlyStopping()
    callback.set_model(_softmax_model())
    with pytest.raises((TypeError, ValueError), match=rf"^{which}.on_epoch_end: expected (epoch|logs) as "):
        callback.on_epoch_end(epoch, logs)


def test_every_property_tried_its_bad_inputs():
    """Runs after the properties above (one file, one worker): each tried at least 20 bad inputs."""
    ran = {name: count for name, count in TRIED.items()}
    assert all(count >= 20 for count in ran.values()), ran
    print("bad inputs tried:", dict(sorted(ran.items())), "total", sum(ran.values()))


def test_an_optimizer_refusing_a_non_finite_update_is_reported_as_divergence():
    """The optimizers' contract: apply_gradients raises FloatingPointError and leaves every parameter untouched."""
    class Refusing(SGD):
        def apply_gradients(self, grads_and_params):
            if self.iterations == 3:
                raise FloatingPointError("Refusing.apply_gradients: the update would make kernel non-finite")
            return super().apply_gradients(grads_and_params)

    model = _softmax_model("sparse_categorical_crossentropy")
    model.compile(Refusing(0.5), "sparse_categorical_crossentropy")
    with pytest.raises(TrainingDivergedError, match=r"at epoch 1/2, step 4/5: Refusing.apply_gradients: the update "
                                                    r"would make kernel non-finite\. .*iterations=3\); try a smaller "
                                                    r"learning_rate, e\.g\. 0\.05") as info:
        model.fit(X, LABELS, epochs=2, batch_size=8, verbose=0)
    assert isinstance(info.value.__cause__, FloatingPointError)
    assert model.optimizer.iterations == 3


def test_inside_fit_an_intermediate_overflow_is_divergence_and_outside_the_layers_check_again():
    """In a training step the layers leave NaN/inf to fit, which watches the loss and the updates.

    One finite but huge example (3e38, the float32 limit) makes the first layer's output overflow
    to inf in the first step: fit must still stop before that step's update. In its callbacks,
    and once it has returned (here: raised), a layer called directly rejects NaN as before.
    """
    model = _softmax_model("sparse_categorical_crossentropy")
    x = X.copy()
    x[5] = 3e38
    before = model.get_weights()
    seen = []

    class CallsALayer(Callback):
        def on_train_batch_end(self, batch, logs=None):
            with pytest.raises(ValueError, match=r"Dense\.forward: expected finite values, got 5 NaN/inf"):
                self.model.layers[0].forward(np.full((1, 5), np.nan, "float32"))
            seen.append(batch)

    with pytest.raises(TrainingDivergedError, match=r"at epoch 1/1, step 1/5: the loss is nan"):
        model.fit(x, LABELS, epochs=1, batch_size=8, shuffle=False, verbose=0, callbacks=[CallsALayer()])
    assert seen == []
    _assert_untouched(model, before)
    with pytest.raises(ValueError, match=r"Dense\.backward: grad_out: expected finite values"):
        model.layers[1].forward(X[:2, :4])
        model.layers[1].backward(np.full((2, 3), np.inf, "float32"))

    model.fit(X, LABELS, epochs=1, batch_size=8, verbose=0, callbacks=[CallsALayer()])  # healthy data
    assert seen == [0, 1, 2, 3, 4]
