"""``Sequential``: a stack of layers with Keras' compile / fit / evaluate / predict.

Training is the loop every chapter describes, written out once (``Sequential.fit``)::

    for each epoch:
        shuffle the examples
        for each minibatch (x_b, y_b):
            y_hat = forward(x_b)                 # layer by layer, training=True
            loss  = loss_fn(y_b, y_hat) + penalties
            g     = dloss/dy_hat                 # the loss' gradient
            backward(g)                          # layer by layer, in reverse; fills grads
            optimizer.apply_gradients(zip(grads, params))

The bookkeeping follows Keras 3 so that numbers can be compared with it: the epoch
loss is the mean of the batch losses weighted by batch size (the last batch may be
smaller), computed on the forward pass *before* each update, with the layers' L2
penalties included; ``"accuracy"`` means binary, sparse categorical or categorical
accuracy depending on the shapes of targets and predictions, exactly as Keras decides
(``dlcourse.metrics``). The progress bar is a callback (``ProgbarLogger``), as in Keras.

Weights, as Keras 3 uses them: ``class_weight={class: weight}`` becomes one weight per
example (the argmax of one-hot targets, else the rounded label; unlisted classes weigh 1),
``sample_weight`` gives them directly; a batch loss is ``sum(w_i * loss_i) / batch`` (not
divided by the sum of the weights), logged and differentiated. ``"accuracy"`` stays unweighted.

One shortcut, exact and worth learning: when the last step is a softmax and the loss
is a cross-entropy, dloss/dlogits simplifies to ``(p - y) / batch`` (``p * sum(y) - y``
in general). The loss object computes it (``loss.value_and_logits_gradient``) and
backpropagation starts from the logits instead of pushing ``-y / p`` through the softmax
Jacobian (the same for sigmoid with binary cross-entropy); see ``dlcourse._training``.

Bad data never trains (every array is checked whole first); a non-finite step raises ``TrainingDivergedError``.
"""
from __future__ import annotations

import math

import numpy as np

from . import metrics as metrics_module
from ._checks import as_rng
from ._data_checks import (as_input_array, check_batch_size, check_dataset, check_input_shape, check_monitors,
                           check_compile_args, check_validation_data, check_verbose, checked_weights, example_weights,
                           positive_int)
from ._summary import inferred_input_shape, summary_text
from .callbacks import Callback, CallbackList, History, Progbar, ProgbarLogger
from ._training import RunningMetrics, TrainingDivergedError, adds_penalty, backward_path, diverged, is_layer
from .layers.base import fit_training_step

__all__ = ["Sequential", "TrainingDivergedError"]


class Sequential:
    """A linear stack of layers, trained like ``keras.Sequential``.

    Parameters
    ----------
    layers : list of Layer
        Applied in order; each must have ``forward`` and ``backward``.
    input_shape : tuple, optional
        Shape of one example, *without* the batch axis, e.g. ``(8, 8, 1)``. Used by
        ``summary()`` and needed by ``keras_bridge.to_keras`` when the first layer's
        input size cannot be read off it (a Conv2D knows its channels, not the image size).
    name : str, optional

    Attributes
    ----------
    layers : list of Layer
    optimizer, loss, metrics : set by ``compile`` (metrics: a list of str)
    stop_training : bool
        A callback sets it to end ``fit`` after the current epoch.
    history : History
        The last ``fit``'s history.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.layers import Dense
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, 0] > x[:, 1]).astype("int64")
    >>> model = Sequential([Dense(4, 8, "relu", seed=0), Dense(8, 2, "softmax", seed=1)])
    >>> model.compile("adam", "sparse_categorical_crossentropy")
    >>> history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    >>> history.history["loss"][-1] < history.history["loss"][0]
    True
    >>> sorted(history.history)
    ['accuracy', 'loss']
    """

    def __init__(self, layers=None, input_shape=None, name: str | None = None):
        self.name = name or "sequential"
        self.layers: list = []
        if input_shape is not None:
            try:
                input_shape = tuple(None if d is None else int(d) for d in input_shape)
            except (TypeError, ValueError):
                raise TypeError(f"Sequential: expected input_shape as a tuple of ints (no batch axis), "
                                f"got {input_shape!r}") from None
        self.input_shape = input_shape
        self.optimizer = self.loss = None
        self.metrics: list[str] = []
        self.stop_training, self.history = False, None
        if layers is not None:
            if is_layer(layers) or not hasattr(layers, "__iter__"):
                raise TypeError(f"Sequential: expected a list of layers, got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    def add(self, layer) -> None:
        """Append a layer; a repeated name gets Keras' suffix (``dense``, ``dense_1``, ...)."""
        if not is_layer(layer):
            raise TypeError(f"Sequential.add: expected a layer with forward() and backward(), "
                            f"got {type(layer).__name__}")
        if any(layer is other for other in self.layers):
            raise ValueError(f"Sequential.add: expected each layer once, got {layer!r} twice")
        taken = {other.name for other in self.layers}
        if layer.name in taken:
            base, k = layer.name, 1
            while f"{base}_{k}" in taken:
                k += 1
            layer.name = f"{base}_{k}"
        self.layers.append(layer)

    # -- parameters ---------------------------------------------------------
    @property
    def trainable_params(self) -> list[tuple]:
        """``(layer, key)`` for every trainable parameter, in Keras' order."""
        return [(layer, key) for layer in self.layers if getattr(layer, "trainable", True)
                for key in getattr(layer, "params", {})]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """The trainable parameter arrays themselves (the optimizer updates them in place)."""
        return [layer.params[key] for layer, key in self.trainable_params]

    def count_params(self) -> int:
        return int(sum(layer.count_params() for layer in self.layers))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's weights (moving statistics included), in layer order, as Keras."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Inverse of ``get_weights``: one flat list for the whole model, checked whole before any is assigned.

        Every array must have its weight's shape, hold real numbers (not None, complex,
        strings or objects) and stay finite when cast to the layer's dtype; otherwise
        nothing changes.
        """
        for layer, arrays in zip(self.layers, checked_weights(self.layers, weights, "Sequential.set_weights")):
            if arrays:
                layer.set_weights(arrays)

    def regularization_loss(self) -> float:
        """Sum of the layers' penalties (L2 on kernels), added to the training loss."""
        return float(sum(layer.regularization_loss() for layer in self.layers))

    # -- compile --------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=("accuracy",)) -> None:
        """Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``"sgd"``, ``"rmsprop"``, ``"adam"`` (Keras' defaults) or an instance.
        loss : str or loss object
            Keras' names (``"mse"``, ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
            ``"sparse_categorical_crossentropy"``) or an instance from ``dlcourse.losses``.
        metrics : list of str
            ``["accuracy"]`` (or ``"acc"``), or ``[]``/``None`` for none.
        """
        if not self.layers:
            raise ValueError("Sequential.compile: expected a model with at least one layer, got none")
        self.optimizer, self.loss, self.metrics = check_compile_args(optimizer, loss, metrics, "Sequential.compile")

    def _require_compiled(self, where: str) -> None:
        if self.loss is None:
            raise ValueError(f"{where}: expected a compiled model, got one without a loss; call compile() first")

    def _running_metrics(self, y, out) -> RunningMetrics:
        """Fresh trackers for the loss and the compiled metric, resolved from the shapes as Keras does."""
        if not self.metrics:
            return RunningMetrics()
        return RunningMetrics(self.metrics[0], metrics_module.get(self.metrics[0].lower(), y, out))

    # -- the passes -------------------------------------------------------------
    def _forward(self, x, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def _train_step(self, x, y, sample_weight=None) -> tuple[np.ndarray, float]:
        """One minibatch of the loop above; returns the predictions and the batch loss (before the update)."""
        y_pred = self._forward(x, training=True)
        loss, g = self._loss_and_gradient(y, y_pred, sample_weight)
        for backward in self._backwards:
            g = backward(g)
        for layer in self._penalized:
            loss += layer.regularization_loss()
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss is {loss}")
        grads_and_params = [(layer.grads[key], layer.params[key]) for layer, key in self._to_train]
        try:
            self.optimizer.apply_gradients(grads_and_params)
        except ValueError:
            if all(np.isfinite(g).all() for g, _ in grads_and_params):
                raise
            raise FloatingPointError("a gradient holds NaN/inf") from None
        return y_pred, loss

    # -- fit ----------------------------------------------------------------------
    def fit(self, x, y, epochs: int = 1, batch_size: int = 32, validation_data=None, shuffle: bool = True,
            seed=0, verbose="auto", callbacks=None, class_weight=None, sample_weight=None) -> History:
        """Train with minibatch gradient descent; return a ``History``.

        Parameters
        ----------
        x : ndarray, shape (n, ...)
            Inputs (integer ids for a model that starts with ``Embedding``).
        y : ndarray, shape (n, ...)
            Targets: class indices (n,) for a sparse loss, one-hot (n, k), or values.
        epochs : int > 0
        batch_size : int > 0
            The last batch of an epoch holds the remaining ``n % batch_size`` examples.
        validation_data : tuple (x_val, y_val), optional
            Evaluated after each epoch (``training=False``) into ``val_*`` keys.
        shuffle : bool
            Reshuffle the examples at each epoch with ``numpy.random.default_rng(seed)``.
        seed : int or Generator
        verbose : "auto", 0, 1 or 2
            1/"auto": a progress bar per epoch; 2: one line per epoch; 0: silent.
        callbacks : list of Callback, optional
            E.g. ``[EarlyStopping(patience=3, restore_best_weights=True)]``.
        class_weight : dict {int: float}, optional
            Weight of each class's examples in the training loss (see above; keys must be
            classes of the output; unlisted classes weigh 1.0). Not with ``sample_weight``.
        sample_weight : ndarray, shape (n,) (or (n, 1)), optional
            Non-negative weight of each example in the training loss (see above); accuracy
            and the validation loss stay unweighted.

        Returns
        -------
        History
            ``history.history["loss"]`` etc., one float per epoch; ``history.epoch``.

        Raises
        ------
        TrainingDivergedError
            (a ``FloatingPointError``) when a step's loss or gradients are not finite.
        """
        where = "Sequential.fit"
        x, y, weights, validation, callbacks, rng, steps = self._fit_setup(
            where, x, y, epochs, batch_size, validation_data, shuffle, seed, verbose, callbacks,
            class_weight, sample_weight)
        self.stop_training = False
        callbacks.on_train_begin()
        for epoch in range(epochs):
            callbacks.on_epoch_begin(epoch)
            order = rng.permutation(len(x)) if shuffle else slice(None)
            xs, ys = x[order], y[order]  # one gather per epoch; the batches are then views
            ws = None if weights is None else weights[order]
            running = self._running_metrics(y, self._out)
            try:  # overflow is reported once, as divergence, rather than as NumPy warnings
                with np.errstate(over="ignore", invalid="ignore"):
                    for step, start in enumerate(range(0, len(x), batch_size)):
                        batch = slice(start, start + batch_size)
                        xb, yb, wb = xs[batch], ys[batch], None if ws is None else ws[batch]
                        with fit_training_step(self.layers[0]):  # fit watches NaN/inf; the data needs no gradient
                            y_pred, loss = self._train_step(xb, yb, wb)
                        running.update(loss, yb, y_pred)
                        callbacks.on_train_batch_end(step, running)
            except FloatingPointError as exc:
                raise diverged(exc, self.optimizer, epoch, epochs, step, steps, where) from exc
            logs = running.result()
            if validation is not None:
                val_loss, *val_metric = self._evaluate_arrays(*validation, batch_size)
                logs["val_loss"] = val_loss
                logs.update({"val_" + self.metrics[0]: v for v in val_metric})
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callbacks.on_train_end()
        return self.history

    def _fit_setup(self, where, x, y, epochs, batch_size, validation_data, shuffle, seed, verbose, callbacks,
                   class_weight, sample_weight):
        """Check every argument and array before the first update; bind what each step needs."""
        self._require_compiled(where)
        epochs = positive_int(epochs, "epochs", where)
        batch_size = check_batch_size(batch_size, where)
        verbose = check_verbose(verbose, where)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"{where}: expected shuffle to be True or False, got {type(shuffle).__name__}")
        x, y, self._out = check_dataset(self, x, y, where)
        weights = example_weights(y, self._out, class_weight, sample_weight, where)
        validation = check_validation_data(self, validation_data, where)
        callbacks = list(callbacks or [])
        wrong = [type(cb).__name__ for cb in callbacks if not isinstance(cb, Callback)]
        if wrong:
            raise TypeError(f"{where}: expected callbacks derived from dlcourse.callbacks.Callback, got {wrong[0]}")
        log_keys = ["loss", *self.metrics[:1]]
        check_monitors(callbacks, log_keys + (["val_" + k for k in log_keys] if validation else []), where)
        rng = as_rng(seed, where)
        steps = math.ceil(len(x) / batch_size)
        self.history = History()
        callbacks = CallbackList([self.history, *([ProgbarLogger()] if verbose else []), *callbacks], self,
                                 {"epochs": epochs, "steps": steps, "verbose": verbose})
        self._loss_and_gradient, self._backwards = backward_path(self.layers, self.loss)
        self._penalized = [layer for layer in self.layers if adds_penalty(layer)]
        self._to_train = self.trainable_params
        return x, y, weights, validation, callbacks, rng, steps

    # -- evaluate / predict ----------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size: int, weights=None) -> list[float]:
        """Mean loss (batch losses weighted by size, penalties included) and metrics, training=False.

        ``weights`` (one per example) weigh the loss only, as Keras' ``evaluate(sample_weight=...)``.
        """
        reg = self.regularization_loss()
        running = None
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out = self._forward(xb, training=False)
            running = running or self._running_metrics(y, out)
            value = self.loss(yb, out) if weights is None else \
                self.loss(yb, out, sample_weight=weights[start:start + batch_size])
            running.update(float(value) + reg, yb, out)
        return list(running.result().values())

    def evaluate(self, x, y, batch_size: int | None = None, verbose="auto", sample_weight=None):
        """Loss (with penalties, as Keras) and metrics on ``(x, y)`` in inference mode.

        Parameters
        ----------
        x : ndarray, shape (n, ...)
        y : ndarray, shape (n, ...), targets as for ``fit``
        batch_size : int, default 32
            Only changes how the work is split, not the result (batch losses are weighted by size).
        verbose : "auto", 0, 1 or 2
            0 prints nothing; otherwise one summary line.
        sample_weight : ndarray, shape (n,), optional
            Weights for the loss (``sum(w_i * loss_i) / batch`` per batch, as in ``fit``);
            accuracy stays unweighted, as Keras' ``metrics=``.

        Returns
        -------
        list of float ``[loss, accuracy]``, or a float when the model has no metrics.
        """
        where = "Sequential.evaluate"
        self._require_compiled(where)
        batch_size = check_batch_size(batch_size, where)
        verbose = check_verbose(verbose, where)
        x, y, out = check_dataset(self, x, y, where)
        weights = example_weights(y, out, None, sample_weight, where)
        result = self._evaluate_arrays(x, y, batch_size, weights)
        if verbose:
            steps = math.ceil(len(x) / batch_size)
            Progbar(steps, 2).update(steps, dict(zip(["loss", *self.metrics], result)), final=True)
        return result if self.metrics else result[0]

    def predict(self, x, batch_size: int | None = None, verbose="auto") -> np.ndarray:
        """Outputs for ``x`` in inference mode (Dropout off), computed in batches of ``batch_size`` (32).

        Parameters
        ----------
        x : ndarray, shape (n, ...)
        batch_size : int, default 32
        verbose : "auto", 0, 1 or 2
            Accepted for Keras compatibility; ``predict`` prints nothing.

        Returns
        -------
        ndarray, shape (n, ...) of the last layer's output, e.g. (n, classes) probabilities
        """
        where = "Sequential.predict"
        if not self.layers:
            raise ValueError(f"{where}: expected a model with at least one layer, got none")
        batch_size = check_batch_size(batch_size, where)
        check_verbose(verbose, where)
        x = as_input_array(x, where)
        if len(x) == 0:
            raise ValueError(f"{where}: expected at least one example, got 0")
        check_input_shape(self, x, where)
        outs = [self._forward(x[i:i + batch_size], training=False) for i in range(0, len(x), batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def __call__(self, x, training: bool = False) -> np.ndarray:
        return self._forward(x, training=training)
    # -- summary ---------------------------------------------------------------------
    def _inferred_input_shape(self):
        return inferred_input_shape(self)

    def summary(self, print_fn=print) -> None:
        """Print a Keras-like table: layer (type), output shape, parameter count, totals (trainable or not)."""
        print_fn(summary_text(self))

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], name={self.name!r})"
