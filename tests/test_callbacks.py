"""Callbacks: ProgbarLogger prints what fit printed, CallbackList calls the hooks, hooks check their arguments."""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.callbacks import Callback, CallbackList, EarlyStopping, History, Progbar, ProgbarLogger
from dlcourse.layers import Dense
from dlcourse.model import Sequential
from dlcourse.optimizers import SGD

RNG = np.random.default_rng(0)
X = RNG.normal(size=(20, 4)).astype("float32")
Y = RNG.integers(0, 3, 20)


def _model():
    model = Sequential([Dense(4, 3, "softmax", seed=0)])
    model.compile(SGD(0.1), "sparse_categorical_crossentropy")
    return model


class _Log(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_fit_calls_the_hooks_in_keras_order_with_running_logs():
    log = _Log()
    history = _model().fit(X, Y, epochs=2, batch_size=8, validation_data=(X, Y), callbacks=[log], verbose=0)
    batches = [("batch_end", b, ["accuracy", "loss"]) for b in range(3)]
    epoch_keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert log.calls == [("train_begin",), ("epoch_begin", 0), *batches, ("epoch_end", 0, epoch_keys),
                         ("epoch_begin", 1), *batches, ("epoch_end", 1, epoch_keys), ("train_end",)]
    assert log.params == history.params == {"epochs": 2, "steps": 3, "verbose": 0}


def test_running_batch_logs_end_at_the_epoch_logs():
    class Last(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.logs = logs

    last = Last()
    history = _model().fit(X, Y, epochs=1, batch_size=8, callbacks=[last], verbose=0)
    assert last.logs == {k: v[0] for k, v in history.history.items()}


def test_progbar_logger_is_attached_for_verbose_and_prints_as_before(capsys):
    _model().fit(X, Y, epochs=2, batch_size=8, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2" and len(out) == 4
    assert out[1].startswith("3/3 - loss: ") and " - accuracy: " in out[1]
    _model().fit(X, Y, epochs=1, batch_size=8, validation_data=(X, Y), verbose=1)  # not a terminal: final bar only
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/1" and len(out) == 2
    assert out[1].startswith("3/3 [==============================] - loss: ")
    assert [part.split(":")[0] for part in out[1].split(" - ")[1:]] == ["loss", "accuracy", "val_loss", "val_accuracy"]
    _model().fit(X, Y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_redraws_in_place_in_a_terminal(monkeypatch, capsys):
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    bar = Progbar(4, verbose=1)
    assert bar.dynamic
    bar.update(2, {"loss": 0.5})
    bar.update(4, {"loss": 0.25}, final=True)
    out = capsys.readouterr().out
    assert out.startswith("\r2/4 [===============>..............] - loss: 0.5000")
    assert out.endswith("\r4/4 [==============================] - loss: 0.2500\n")


def test_callback_list_calls_batch_hooks_only_on_callbacks_that_define_them():
    class Running:
        calls = 0

        def result(self):
            Running.calls += 1
            return {"loss": 1.0}

    quiet = CallbackList([History(), EarlyStopping(monitor="loss")], _model(), {"epochs": 1, "steps": 1, "verbose": 0})
    quiet.on_train_batch_end(0, Running())
    assert Running.calls == 0  # nobody listens: the logs are not even built
    log = _Log()
    CallbackList([History(), log], _model(), {}).on_train_batch_end(0, Running())
    assert Running.calls == 1 and log.calls == [("batch_end", 0, ["loss"])]


@pytest.mark.parametrize("call,exc,match", [
    (lambda: History().on_epoch_end("0", {}), TypeError, r"History.on_epoch_end: expected epoch as an int >= 0, got '0'"),
    (lambda: History().on_epoch_end(-1, {}), ValueError, r"History.on_epoch_end: expected epoch as an int >= 0, got -1"),
    (lambda: History().on_epoch_end(0, [("loss", 1.0)]), TypeError,
     r"History.on_epoch_end: expected logs as a dict of metric name -> number, got list"),
    (lambda: History().on_epoch_end(0, {"loss": "low"}), TypeError,
     r"History.on_epoch_end: expected logs as a dict of metric name -> number, got 'loss': 'low'"),
    (lambda: EarlyStopping(monitor="loss").on_epoch_end(1.5, {"loss": 1.0}), TypeError,
     r"EarlyStopping.on_epoch_end: expected epoch as an int >= 0, got 1.5"),
    (lambda: EarlyStopping(monitor="loss").on_epoch_end(0, {"loss": None}), TypeError,
     r"EarlyStopping.on_epoch_end: expected logs as a dict of metric name -> number, got 'loss': None"),
    (lambda: EarlyStopping(monitor="loss", restore_best_weights=True).on_epoch_end(0, {"loss": 1.0}), ValueError,
     r"EarlyStopping.on_epoch_end: expected a model \(set_model\) to take weights from, got None"),
    (lambda: EarlyStopping().set_model(None), TypeError,
     r"EarlyStopping.set_model: expected a model with get_weights\(\) and stop_training, got NoneType"),
    (lambda: History().set_params([1]), TypeError, r"History.set_params: expected a dict, got list"),
    (lambda: ProgbarLogger().on_epoch_begin(True), TypeError,
     r"ProgbarLogger.on_epoch_begin: expected epoch as an int >= 0, got True"),
])
def test_hooks_reject_bad_arguments_in_our_words(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_early_stopping_monitor_is_checked_before_training():
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"EarlyStopping: expected 'val_acc' in the epoch logs, got keys "
                                         r"\['accuracy', 'loss', 'val_accuracy', 'val_loss'\]"):
        model.fit(X, Y, epochs=3, validation_data=(X, Y), callbacks=[EarlyStopping(monitor="val_acc")], verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
