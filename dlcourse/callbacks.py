"""Callbacks: code that ``Sequential.fit`` calls at the start and end of each epoch.

Two callbacks matter in the course and both follow Keras 3 line by line:

- ``History`` records the epoch logs (``loss``, ``accuracy``, ``val_loss``, ...);
  ``fit`` always attaches one and returns it, as Keras does.
- ``EarlyStopping`` stops training when a monitored quantity has not improved for
  ``patience`` epochs and can put back the weights of the best epoch.

A callback sees the model through ``self.model`` (set by ``fit`` before training)
and may ask training to end by setting ``self.model.stop_training = True``.
"""
from __future__ import annotations

import math

__all__ = ["Callback", "History", "EarlyStopping"]


class Callback:
    """Base class: every hook does nothing, override the ones you need.

    ``logs`` is a dict of floats; at ``on_epoch_end`` it holds the epoch's
    metrics under Keras' keys.
    """

    def __init__(self):
        self.model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass


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
        self.params: dict = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"


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
        logs = logs or {}
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
