"""Callbacks: code that ``Sequential.fit`` calls at the start and end of training, epochs and batches.

Three callbacks follow Keras 3 line by line:

- ``History`` records the epoch logs (``loss``, ``accuracy``, ``val_loss``, ...);
  ``fit`` always attaches one and returns it, as Keras does.
- ``ProgbarLogger`` prints the progress bar; ``fit`` attaches it when ``verbose`` is not 0.
- ``EarlyStopping`` stops training when a monitored quantity has not improved for
  ``patience`` epochs and can put back the weights of the best epoch.

A callback sees the model through ``self.model`` (set by ``fit`` before training) and
the run's settings through ``self.params`` (``epochs``, ``steps``, ``verbose``); it may
ask training to end by setting ``self.model.stop_training = True``.
"""
from __future__ import annotations

import math
import numbers
import sys
import time

__all__ = ["Callback", "History", "ProgbarLogger", "EarlyStopping", "CallbackList", "Progbar"]


def _check_index(value, name: str, where: str) -> int:
    """An epoch or batch index: an int >= 0 (``TypeError`` for 1.5 or True, ``ValueError`` for -1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: expected {name} as an int >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{where}: expected {name} as an int >= 0, got {value!r}")
    return int(value)


def _check_logs(logs, where: str) -> dict:
    """``None`` or a dict of metric name -> real number, as ``fit`` passes them."""
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        raise TypeError(f"{where}: expected logs as a dict of metric name -> number, got {type(logs).__name__}")
    for key, value in logs.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where}: expected logs as a dict of metric name -> number, got {key!r}: {value!r}")
    return logs


class Callback:
    """Base class: every hook does nothing, override the ones you need.

    ``logs`` is a dict of floats; at ``on_epoch_end`` it holds the epoch's
    metrics under Keras' keys, at ``on_train_batch_end`` their running means.
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        if not (callable(getattr(model, "get_weights", None)) and hasattr(model, "stop_training")):
            raise TypeError(f"{type(self).__name__}.set_model: expected a model with get_weights() and "
                            f"stop_training, got {type(model).__name__}")
        self.model = model

    def set_params(self, params) -> None:
        if not isinstance(params, dict):
            raise TypeError(f"{type(self).__name__}.set_params: expected a dict, got {type(params).__name__}")
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """The callbacks of one ``fit``, called in order; batch hooks only on those that define them.

    ``on_train_batch_end`` takes the epoch's running metrics (anything with a
    ``result()`` dict) and builds the logs only when some callback listens.
    """

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._batch_listeners = [cb for cb in self.callbacks
                                 if type(cb).on_train_batch_end is not Callback.on_train_batch_end]

    def on_train_begin(self):
        for cb in self.callbacks:
            cb.on_train_begin()

    def on_train_end(self):
        for cb in self.callbacks:
            cb.on_train_end()

    def on_epoch_begin(self, epoch: int):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)

    def on_epoch_end(self, epoch: int, logs: dict):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch: int, running_metrics):
        if self._batch_listeners:
            logs = running_metrics.result()
            for cb in self._batch_listeners:
                cb.on_train_batch_end(batch, logs)


class History(Callback):
    """What ``fit`` returns: the per-epoch metrics.

    Attributes
    ----------
    history : dict[str, list[float]]
        One list per metric, e.g. ``history["loss"][e]`` is the mean training loss
        of epoch ``e`` (weighted by batch size, regularization included).
    epoch : list[int]
        The epoch indices that ran (0-based), fewer than ``epochs`` after early stopping.
    params : dict
        ``epochs``, ``steps`` (batches per epoch) and ``verbose``, as in Keras.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        epoch = _check_index(epoch, "epoch", "History.on_epoch_end")
        logs = _check_logs(logs, "History.on_epoch_end")
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"


class Progbar:
    """A one-line text progress bar (``keras.utils.Progbar``, simplified).

    In a terminal the bar is redrawn in place (at most 10 times a second). Elsewhere
    (a notebook, a log file) only the finished line is printed, and no timings are
    shown, so a notebook's stored output is the same on every run.
    """

    def __init__(self, steps: int, verbose: int = 1, width: int = 30):
        self.steps, self.verbose, self.width = steps, verbose, width
        self.dynamic = verbose == 1 and hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self._last = 0.0
        self._drawn = 0

    def update(self, step: int, logs: dict, final: bool = False) -> None:
        if self.verbose == 0 or (not final and not self.dynamic):
            return
        if self.verbose == 2:
            print(f"{self.steps}/{self.steps} - {self._format(logs)}", flush=True)
            return
        now = time.perf_counter()
        if not final and now - self._last < 0.1:
            return
        self._last = now
        done = self.width * step // self.steps
        bar = "=" * done + (">" if done < self.width else "") + "." * max(self.width - done - 1, 0)
        text = f"{step}/{self.steps} [{bar}] - {self._format(logs)}"
        if self.dynamic:
            pad = " " * max(self._drawn - len(text), 0)
            self._drawn = len(text)
            sys.stdout.write("\r" + text + pad + ("\n" if final else ""))
        else:
            sys.stdout.write(text + "\n")
        sys.stdout.flush()

    @staticmethod
    def _format(logs: dict) -> str:
        return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgbarLogger(Callback):
    """Print ``Epoch i/n`` and a progress bar per epoch (Keras' ``ProgbarLogger``).

    ``verbose`` comes from ``fit`` through ``params``: 1 draws the bar (redrawn while
    the epoch runs only in a terminal), 2 prints one line per epoch.
    """

    def on_epoch_begin(self, epoch, logs=None):
        epoch = _check_index(epoch, "epoch", "ProgbarLogger.on_epoch_begin")
        verbose = self.params.get("verbose", 1)
        if verbose:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        self._bar = Progbar(self.params["steps"], verbose)

    def on_train_batch_end(self, batch, logs=None):
        if self._bar.dynamic:
            self._bar.update(_check_index(batch, "batch", "ProgbarLogger.on_train_batch_end") + 1,
                             _check_logs(logs, "ProgbarLogger.on_train_batch_end"))

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self.params["steps"], _check_logs(logs, "ProgbarLogger.on_epoch_end"), final=True)
class EarlyStopping(Callback):
    """Stop training when ``monitor`` stops improving (Keras' ``EarlyStopping``).

    Parameters
    ----------
    monitor : str
        Key of the epoch logs to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    patience : int
        Epochs without improvement after which training stops.
    min_delta : float
        An improvement smaller than this (in absolute value) does not count.
    restore_best_weights : bool
        At the end of training, put back the weights of the best epoch seen.
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; ``"auto"`` infers it from the name
        (losses are minimised, accuracies maximised).

    Attributes
    ----------
    stopped_epoch : int
        Epoch (0-based) at which training was stopped, 0 if it ran to the end.
    best, best_epoch : float, int
        Best monitored value and the epoch it was reached.

    Notes
    -----
    The bookkeeping is Keras 3's: the counter ``wait`` increases every epoch and
    resets on improvement; training stops once ``wait >= patience`` (never after the
    first epoch). So ``patience=0`` stops at the first epoch that does not improve.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0,
                 restore_best_weights: bool = False, mode: str = "auto"):
        super().__init__()
        where = "EarlyStopping"
        if not isinstance(monitor, str):
            raise TypeError(f"{where}: expected monitor as a str such as 'val_loss', got {type(monitor).__name__}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{where}: expected mode 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int):
            raise TypeError(f"{where}: expected patience as an int >= 0, got {patience!r}")
        if patience < 0:
            raise ValueError(f"{where}: expected patience as an int >= 0, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)):
            raise TypeError(f"{where}: expected min_delta as a finite number, got {min_delta!r}")
        if not math.isfinite(min_delta):
            raise ValueError(f"{where}: expected min_delta as a finite number, got {min_delta!r}")
        if not isinstance(restore_best_weights, bool):
            raise TypeError(f"{where}: expected restore_best_weights to be True or False, "
                            f"got {type(restore_best_weights).__name__}")
        if mode == "auto":
            base = monitor.removeprefix("val_")
            if base == "loss":
                mode = "min"
            elif base in ("accuracy", "acc"):
                mode = "max"
            else:
                raise ValueError(f"{where}: cannot infer mode for monitor {monitor!r}; expected mode='min' or mode='max'")
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.min_delta = abs(float(min_delta))
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        epoch = _check_index(epoch, "epoch", "EarlyStopping.on_epoch_end")
        logs = _check_logs(logs, "EarlyStopping.on_epoch_end")
        if self.restore_best_weights and self.model is None:
            raise ValueError("EarlyStopping.on_epoch_end: expected a model (set_model) to take weights from, got None")
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping: expected {self.monitor!r} in the epoch logs, got keys {sorted(logs)}"
                + ("; pass validation_data to fit()" if self.monitor.startswith("val_") else "")
            )
        current = logs[self.monitor]
        if self.restore_best_weights and self.best_weights is None:
            # Keras keeps the first epoch's weights even if it is not "an improvement".
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
