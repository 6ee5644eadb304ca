"""``Sequential``: a stack of layers with Keras' compile / fit / evaluate / predict.

Training is the loop every chapter describes, written out once::

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
accuracy depending on the shapes of targets and predictions, exactly as Keras decides.

Weights, as Keras 3 uses them: ``fit(class_weight={class: weight})`` turns into one weight
per example (``data_adapter_utils.class_weight_to_sample_weights``: the class is the
argmax of one-hot targets, else the rounded label; classes not in the dict weigh 1);
``sample_weight`` gives them directly. A batch loss is then ``sum(w_i * loss_i) / batch``
(divided by the batch size, not by the sum of the weights), and that weighted loss is what
is logged and differentiated. ``"accuracy"`` stays unweighted, as Keras' ``metrics=``
(only ``weighted_metrics=`` would weigh it).

One shortcut, exact and worth learning: when the last step is a softmax and the loss
is a cross-entropy, dloss/dlogits simplifies to ``(p - y) / batch`` (``p * sum(y) - y``
in general). ``fit`` then starts backpropagation from the logits instead of forming
``-y / p`` and pushing it through the softmax Jacobian (the same for sigmoid with
binary cross-entropy). Keras does the same: its cross-entropy reads the logits behind a
softmax/sigmoid output. Everything else uses the general path ``loss.gradient`` ->
``layer.backward``.
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from . import losses as losses_module
from . import optimizers as optimizers_module
from ._checks import _describe, as_rng, check_finite
from .callbacks import Callback, History
from .layers.base import Layer

__all__ = ["Sequential"]

_CROSSENTROPIES = ("CategoricalCrossentropy", "SparseCategoricalCrossentropy")


def _is_layer(obj) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def _as_input_array(a, where: str, what: str = "x") -> np.ndarray:
    """Check ``a`` (inputs or targets) once: numeric, finite, with a batch axis.

    Float and integer arrays pass through (Embedding wants integer ids, Dense casts);
    booleans become float32.
    """
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists
        raise TypeError(f"{where}: expected {what} as a numeric array, got {type(a).__name__} ({exc})") from None
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{where}: expected {what} as a real-valued numeric array, got {_describe(arr)}")
    if arr.ndim == 0:
        raise ValueError(f"{where}: expected {what} as an array with a batch axis, got a scalar")
    if arr.dtype.kind == "f":
        check_finite(arr, f"{where}: {what}")
    return arr


class _Progbar:
    """A one-line text progress bar per epoch.

    In a terminal the bar is redrawn in place (at most 10 times a second). Elsewhere
    (a notebook, a log file) only the finished line is printed, and no timings are
    shown, so a notebook's stored output is the same on every run.
    """

    def __init__(self, steps: int, verbose: int, width: int = 30):
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
    optimizer, loss : set by ``compile``
    metrics : list of str
    stop_training : bool
        A callback sets it to end ``fit`` after the current epoch.
    history : History
        The last ``fit``'s history.

    Examples
    --------
    >>> from dlcourse.layers import Dense
    >>> model = Sequential([Dense(64, 64, "relu", seed=0), Dense(64, 10, "softmax", seed=1)])
    >>> model.compile("adam", "sparse_categorical_crossentropy")   # doctest: +SKIP
    >>> history = model.fit(x, y, epochs=20, verbose=0)               # doctest: +SKIP
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
        self.optimizer = None
        self.loss = None
        self.metrics: list[str] = []
        self.stop_training = False
        self.history = None
        if layers is not None:
            if _is_layer(layers) or not hasattr(layers, "__iter__"):
                raise TypeError(f"Sequential: expected a list of layers, got {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    def add(self, layer) -> None:
        """Append a layer; a repeated name gets Keras' suffix (``dense``, ``dense_1``, ...)."""
        if not _is_layer(layer):
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
        """Copies of every layer's weights, concatenated in layer order (as Keras)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Inverse of ``get_weights``: one flat list for the whole model."""
        weights = list(weights)
        expected = sum(len(getattr(layer, "params", {})) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"Sequential.set_weights: expected a list of {expected} arrays, got {len(weights)}")
        i = 0
        for layer in self.layers:
            k = len(getattr(layer, "params", {}))
            if k:
                layer.set_weights(weights[i:i + k])
            i += k

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
        where = "Sequential.compile"
        if not self.layers:
            raise ValueError(f"{where}: expected a model with at least one layer, got none")
        if loss is None:
            raise ValueError(f"{where}: expected a loss (e.g. 'sparse_categorical_crossentropy'), got None")
        if isinstance(optimizer, str):
            optimizer = optimizers_module.get(optimizer)
        elif not callable(getattr(optimizer, "apply_gradients", None)):
            raise TypeError(f"{where}: expected an optimizer name or an object with apply_gradients(), "
                            f"got {type(optimizer).__name__}")
        if isinstance(loss, str):
            loss = losses_module.get(loss)
        elif not (callable(loss) and callable(getattr(loss, "gradient", None))):
            raise TypeError(f"{where}: expected a loss name or a loss object with __call__ and gradient(), "
                            f"got {type(loss).__name__}")
        if metrics is None:
            metrics = []
        elif isinstance(metrics, str):
            metrics = [metrics]
        metrics = list(metrics)
        for m in metrics:
            if not isinstance(m, str) or m.lower() not in ("accuracy", "acc"):
                raise ValueError(f"{where}: expected metrics from ['accuracy', 'acc'], got {m!r}")
        self.optimizer, self.loss, self.metrics = optimizer, loss, metrics

    # -- validation, once per call --------------------------------------------
    def _require_compiled(self, where: str) -> None:
        if self.loss is None:
            raise ValueError(f"{where}: expected a compiled model, got one without a loss; call compile() first")

    def _check_xy(self, x, y, where: str, label: str = "") -> tuple[np.ndarray, np.ndarray]:
        """Validate a dataset once: types, finiteness, matching batch sizes, shapes vs the model."""
        x = _as_input_array(x, where, f"{label}x")
        y = _as_input_array(y, where, f"{label}y")
        if len(x) != len(y):
            raise ValueError(f"{where}: expected {label}x and {label}y with the same number of examples, "
                             f"got {len(x)} and {len(y)}")
        if len(x) == 0:
            raise ValueError(f"{where}: expected at least one example, got 0")
        self._check_input_shape(x, where)
        # A dry run on two examples lets the layers and the loss report a mismatch in their
        # own words (wrong width, wrong rank, labels out of range) before the loop starts.
        out = self._forward(x[:2], training=False)
        y = self._match_target(y, out, where, label)
        if self._is_sparse():
            n_classes = out.shape[-1]
            if y.dtype.kind == "f":
                if not np.all(y == np.round(y)):
                    raise TypeError(f"{where}: expected integer class labels in {label}y for "
                                    f"{type(self.loss).__name__}, got non-integer floats")
                y = y.astype(np.int64)
            lo, hi = int(y.min()), int(y.max())
            if lo < 0 or hi >= n_classes:
                raise ValueError(f"{where}: expected {label}y labels in [0, {n_classes}) for a "
                                 f"{n_classes}-unit output, got values in [{lo}, {hi}]")
        self.loss(y[:2], out)
        return x, y

    def _check_input_shape(self, x: np.ndarray, where: str) -> None:
        if self.input_shape is not None:
            expected = self.input_shape
            got = x.shape[1:]
            if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
                raise ValueError(f"{where}: expected inputs of shape (batch, {', '.join(map(str, expected))}) "
                                 f"(the model's input_shape), got {x.shape}")
        first = self.layers[0]
        n_in = getattr(first, "n_in", None)
        if type(first).__name__ == "Dense" and n_in is not None and x.shape[-1] != n_in:
            raise ValueError(f"{where}: expected inputs with {n_in} features in the last axis "
                             f"({first.name} has n_in={n_in}), got shape {x.shape}")

    def _is_sparse(self) -> bool:
        return type(self.loss).__name__ == "SparseCategoricalCrossentropy"

    def _match_target(self, y, out, where, label):
        """Keras accepts y of shape (n,) for a (n, 1) output and (n, 1) labels for sparse losses."""
        if self._is_sparse():
            if y.ndim == out.ndim and y.shape[-1] == 1:
                y = y.reshape(y.shape[:-1])
            if y.shape[1:] != out.shape[1:-1]:
                raise ValueError(f"{where}: expected {label}y of shape (batch{''.join(', ' + str(d) for d in out.shape[1:-1])}) "
                                 f"(class indices for an output of shape {('batch',) + out.shape[1:]}), got {y.shape}")
            return y
        if y.ndim == out.ndim - 1 and out.shape[-1] == 1:
            y = y.reshape(y.shape + (1,))
        if y.shape[1:] != out.shape[1:]:
            raise ValueError(f"{where}: expected {label}y of shape {('batch',) + out.shape[1:]} (the model's output), "
                             f"got {y.shape}")
        return y

    @staticmethod
    def _check_batch_size(batch_size, where: str, default: int = 32) -> int:
        return default if batch_size is None else _positive_int(batch_size, "batch_size", where)

    @staticmethod
    def _check_verbose(verbose, where: str) -> int:
        if verbose == "auto":
            return 1
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(f"{where}: expected verbose in {{'auto', 0, 1, 2}}, got {verbose!r}")
        return int(verbose)

    # -- the passes -------------------------------------------------------------
    def _forward(self, x, training: bool = False) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def _accuracy_kind(self, y: np.ndarray, out_shape: tuple) -> str:
        """Keras' rule (``compile_utils.get_metric``): binary if the output has one unit,
        sparse if y has fewer axes than the output (or one column vs many), else categorical."""
        if out_shape[-1] == 1:
            return "binary"
        if y.ndim < len(out_shape) or (y.shape[-1] == 1 and out_shape[-1] > 1):
            return "sparse"
        return "categorical"

    @staticmethod
    def _count_correct(kind: str, y, out) -> float:
        """Number of correct predictions in a batch (a mean over any extra axes, as Keras)."""
        if kind == "sparse":
            hits = out.argmax(-1) == y
        elif kind == "categorical":
            hits = out.argmax(-1) == y.argmax(-1)
        else:
            hits = (out > 0.5) == (y > 0.5) if y.dtype.kind == "f" else (out > 0.5) == y.astype(bool)
            hits = hits.mean(-1) if hits.ndim > 1 else hits
        if hits.ndim > 1:
            return float(hits.reshape(len(hits), -1).mean(1).sum())
        return float(np.count_nonzero(hits))

    def _example_weights(self, y, out, class_weight, sample_weight, where: str):
        """One weight per loss value (shape ``out.shape[:-1]``, in ``out``'s dtype), or None.

        ``class_weight`` follows Keras' ``class_weight_to_sample_weights``: one-hot (or
        soft) targets give their argmax, a (n, 1) column is squeezed, labels are rounded;
        a class missing from the dict weighs 1.0.
        """
        if class_weight is None and sample_weight is None:
            return None
        n = len(y)
        per_value = (n,) + out.shape[1:-1]  # the shape of the unreduced losses
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(f"{where}: expected class_weight or sample_weight, got both (Keras allows one)")
            if not isinstance(class_weight, dict):
                raise TypeError(f"{where}: expected class_weight as a dict {{class index: weight}}, "
                                f"got {type(class_weight).__name__}")
            n_classes = max(out.shape[-1], 2)  # one sigmoid unit: classes 0 and 1
            table = np.ones(n_classes, dtype=out.dtype)
            for k, v in class_weight.items():
                if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
                    raise TypeError(f"{where}: expected class_weight keys as int class indices, got {k!r}")
                if not 0 <= k < n_classes:
                    raise ValueError(f"{where}: expected class_weight keys in [0, {n_classes}) (the classes of a "
                                     f"{out.shape[-1]}-unit output), got unknown class {k}")
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise TypeError(f"{where}: expected class_weight values as numbers, got {v!r} for class {k}")
                if not (math.isfinite(v) and v >= 0):
                    raise ValueError(f"{where}: expected class_weight values finite and >= 0, got {v!r} for class {k}")
                table[int(k)] = v
            ids = y
            if y.ndim == out.ndim:  # one-hot rows or a column of labels; else labels already
                ids = y.argmax(-1) if y.shape[-1] != 1 else y[..., 0]
            if ids.ndim != 1:
                raise ValueError(f"{where}: expected class_weight with one class per example (targets of shape "
                                 f"(n,), (n, 1) or one-hot (n, classes)), got targets of shape {y.shape}; "
                                 f"pass sample_weight of shape {per_value} instead")
            ids = np.round(ids).astype(np.int64) if ids.dtype.kind == "f" else ids.astype(np.int64, copy=False)
            if ids.min() < 0 or ids.max() >= n_classes:
                raise ValueError(f"{where}: expected class labels in [0, {n_classes}) for class_weight, "
                                 f"got values in [{ids.min()}, {ids.max()}]")
            return table[ids]
        try:
            w = np.asarray(sample_weight)
        except Exception as exc:
            raise TypeError(f"{where}: expected sample_weight as a numeric array, got {type(sample_weight).__name__} ({exc})") from None
        if w.dtype.kind not in "fiub":
            raise TypeError(f"{where}: expected sample_weight as a real-valued numeric array, got {_describe(w)}")
        if w.ndim == len(per_value) + 1 and w.shape[-1] == 1:
            w = w[..., 0]
        if w.shape != per_value:
            raise ValueError(f"{where}: expected sample_weight of shape {per_value} (one weight per example), "
                             f"got {w.shape}")
        w = w.astype(out.dtype)
        if not np.isfinite(w).all():
            raise ValueError(f"{where}: expected finite sample_weight, got NaN/inf")
        if (w < 0).any():
            raise ValueError(f"{where}: expected non-negative sample_weight, got a minimum of {w.min():.4g}")
        return w

    def _fused_start(self):
        """Where backpropagation may start from the logits, or None for the general path.

        Returns ``(index, kind, inside)``: the layer whose backward receives dloss/dlogits,
        ``"softmax"`` or ``"sigmoid"``, and whether that layer applies the activation itself
        (a Dense with ``activation="softmax"``) rather than a separate Softmax/Sigmoid layer.
        """
        loss_name = type(self.loss).__name__
        if getattr(self.loss, "from_logits", False):
            return None
        if loss_name in _CROSSENTROPIES:
            kind = "softmax"
        elif loss_name == "BinaryCrossentropy":
            kind = "sigmoid"
        else:
            return None
        last = self.layers[-1]
        last_name = type(last).__name__
        if last_name == kind.capitalize() and len(self.layers) > 1:
            if kind == "softmax" and getattr(last, "axis", -1) != -1:
                return None
            return len(self.layers) - 1, kind, False
        if getattr(last, "activation", None) == kind and _backward_from_logits(last) is not None:
            return len(self.layers) - 1, kind, True
        return None

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
            Weight of each class's examples in the training loss (Keras' semantics:
            the class of a one-hot target is its argmax, labels are rounded, classes not
            listed weigh 1.0; keys must be classes of the output). Not with ``sample_weight``.
        sample_weight : ndarray, shape (n,) (or (n, 1)), optional
            Non-negative weight of each example in the training loss. A batch loss is
            ``sum(w_i * loss_i) / batch``, as Keras' ``"sum_over_batch_size"``; accuracy
            and the validation loss stay unweighted.

        Returns
        -------
        History
            ``history.history["loss"]`` etc., one float per epoch; ``history.epoch``.
        """
        where = "Sequential.fit"
        self._require_compiled(where)
        epochs = _positive_int(epochs, "epochs", where)
        batch_size = self._check_batch_size(batch_size, where)
        verbose = self._check_verbose(verbose, where)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"{where}: expected shuffle to be True or False, got {type(shuffle).__name__}")
        x, y = self._check_xy(x, y, where)
        out = self._forward(x[:1], training=False)
        weights = self._example_weights(y, out, class_weight, sample_weight, where)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                got = (f"a {type(validation_data).__name__} of length {len(validation_data)}"
                       if isinstance(validation_data, (tuple, list)) else type(validation_data).__name__)
                raise ValueError(f"{where}: expected validation_data as a tuple (x_val, y_val), got {got}")
            x_val, y_val = self._check_xy(*validation_data, where, label="validation ")
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"{where}: expected callbacks derived from dlcourse.callbacks.Callback, "
                                f"got {type(cb).__name__}")
        rng = as_rng(seed, where)

        n = len(x)
        steps = math.ceil(n / batch_size)
        history = History()
        history.params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        callbacks = [history, *callbacks]
        for cb in callbacks:
            cb.set_model(self)

        # Everything the hot loop needs is looked up once, here.
        layers = self.layers
        loss_fn, optimizer = self.loss, self.optimizer
        params = self.trainable_params
        reg_layers = [layer for layer in layers if _adds_penalty(layer)]
        reversed_layers = layers[::-1]
        value_and_gradient = getattr(loss_fn, "value_and_gradient", None) or \
            (lambda t, p: (float(loss_fn(t, p)), loss_fn.gradient(t, p)))
        fused = self._fused_start()
        if fused is not None:
            last_index, fused_kind, fused_inside = fused
            fused_backward = _backward_from_logits(layers[last_index]) if fused_inside else None
            # the layers below the softmax/sigmoid, top to bottom
            fused_rest = layers[last_index - 1::-1] if last_index > 0 else []
        out_shape = out.shape
        if weights is not None:
            weighted_vg = getattr(loss_fn, "value_and_gradient", None) or \
                (lambda t, p, sample_weight: (float(loss_fn(t, p, sample_weight=sample_weight)),
                                              loss_fn.gradient(t, p, sample_weight=sample_weight)))
        track_acc = bool(self.metrics)
        acc_kind = self._accuracy_kind(y, out_shape) if track_acc else None
        acc_key = self.metrics[0] if track_acc else None
        sparse = y.ndim == len(out_shape) - 1  # class indices (only possible for the sparse loss)
        sparse_acc = acc_kind == "sparse" and sparse and len(out_shape) == 2

        self.stop_training = False
        self.history = history
        for cb in callbacks:
            cb.on_train_begin()
        for epoch in range(epochs):
            for cb in callbacks:
                cb.on_epoch_begin(epoch)
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}", flush=True)
            bar = _Progbar(steps, verbose)
            if shuffle:
                order = rng.permutation(n)
                xs, ys = x[order], y[order]  # one gather per epoch; batches are then views
                ws = weights[order] if weights is not None else None
            else:
                xs, ys, ws = x, y, weights
            loss_sum = 0.0
            correct = 0.0
            seen = 0
            for start in range(0, n, batch_size):
                xb = xs[start:start + batch_size]
                yb = ys[start:start + batch_size]
                m = len(xb)

                # forward
                a = xb
                for layer in layers:
                    a = layer.forward(a, training=True)

                # loss and dloss/d(output): the shortcut from the logits, or the general path
                wb = None if ws is None else ws[start:start + batch_size]
                if fused is None:
                    batch_loss, g = value_and_gradient(yb, a) if wb is None else \
                        weighted_vg(yb, a, sample_weight=wb)
                    for layer in reversed_layers:
                        g = layer.backward(g)
                else:
                    batch_loss, g = _logit_value_and_gradient(fused_kind, yb, a, sparse) if wb is None else \
                        _weighted_logit_value_and_gradient(fused_kind, yb, a, sparse, wb)
                    if fused_inside:
                        g = fused_backward(g)
                    for layer in fused_rest:
                        g = layer.backward(g)
                for layer in reg_layers:
                    batch_loss += layer.regularization_loss()
                loss_sum += batch_loss * m
                seen += m
                if sparse_acc:
                    correct += np.count_nonzero(a.argmax(-1) == yb)
                elif track_acc:
                    correct += self._count_correct(acc_kind, yb, a)

                optimizer.apply_gradients([(layer.grads[key], layer.params[key]) for layer, key in params])

                if bar.dynamic:
                    logs = {"loss": loss_sum / seen}
                    if track_acc:
                        logs[acc_key] = correct / seen
                    bar.update(seen // batch_size if seen < n else steps, logs)

            logs = {"loss": float(loss_sum / n)}
            if track_acc:
                logs[acc_key] = float(correct / n)
            if validation_data is not None:
                val = self._evaluate_arrays(x_val, y_val, batch_size)
                logs["val_loss"] = float(val[0])
                if track_acc:
                    logs["val_" + acc_key] = float(val[1])
            bar.update(steps, logs, final=True)
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in callbacks:
            cb.on_train_end()
        return history

    # -- evaluate / predict ----------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size: int, weights=None) -> list[float]:
        """Mean loss (batch losses weighted by size, penalties included) and metrics, training=False.

        ``weights`` (one per example) weigh the loss only, as Keras' ``evaluate(sample_weight=...)``.
        """
        n = len(x)
        out_shape = None
        loss_sum = correct = 0.0
        reg = self.regularization_loss()
        acc_kind = None
        for start in range(0, n, batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            out = self._forward(xb, training=False)
            if out_shape is None:
                out_shape = out.shape
                acc_kind = self._accuracy_kind(y, out_shape) if self.metrics else None
            value = self.loss(yb, out) if weights is None else \
                self.loss(yb, out, sample_weight=weights[start:start + batch_size])
            loss_sum += (float(value) + reg) * len(xb)
            if acc_kind is not None:
                correct += self._count_correct(acc_kind, yb, out)
        result = [float(loss_sum / n)]
        if acc_kind is not None:
            result.append(float(correct / n))
        return result

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
        batch_size = self._check_batch_size(batch_size, where)
        verbose = self._check_verbose(verbose, where)
        x, y = self._check_xy(x, y, where)
        weights = None if sample_weight is None else \
            self._example_weights(y, self._forward(x[:1], training=False), None, sample_weight, where)
        result = self._evaluate_arrays(x, y, batch_size, weights)
        if verbose:
            names = ["loss", *self.metrics]
            steps = math.ceil(len(x) / batch_size)
            _Progbar(steps, 2).update(steps, dict(zip(names, result)), final=True)
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
        batch_size = self._check_batch_size(batch_size, where)
        self._check_verbose(verbose, where)
        x = _as_input_array(x, where)
        if len(x) == 0:
            raise ValueError(f"{where}: expected at least one example, got 0")
        self._check_input_shape(x, where)
        outs = [self._forward(x[i:i + batch_size], training=False) for i in range(0, len(x), batch_size)]
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def __call__(self, x, training: bool = False) -> np.ndarray:
        return self._forward(x, training=training)

    # -- summary ---------------------------------------------------------------------
    def _inferred_input_shape(self):
        """Shape of one example (no batch axis): the given input_shape, or read off the first layer; None if unknown."""
        if self.input_shape is not None:
            return self.input_shape
        first = self.layers[0] if self.layers else None
        kind = type(first).__name__
        if kind == "Dense":
            return (first.n_in,)
        if kind == "SimpleRNN":
            return (None, first.n_in)
        if kind == "Embedding":
            return (None,)
        return None

    def summary(self, print_fn=print) -> None:
        """Print a Keras-like table: layer (type), output shape, parameter count, totals."""
        shape = self._inferred_input_shape()
        rows = []
        for layer in self.layers:
            if shape is not None:
                try:
                    shape = tuple(layer.compute_output_shape(shape))
                except Exception:
                    shape = None
            shown = "(None, " + ", ".join(map(str, shape)) + ")" if shape is not None else "?"
            if shape is not None and len(shape) == 0:
                shown = "(None,)"
            rows.append((f"{layer.name} ({type(layer).__name__})", shown, f"{layer.count_params():,}"))
        w = (max([len(r[0]) for r in rows] + [20]) + 2, max([len(r[1]) for r in rows] + [12]) + 2, 12)
        total = sum(layer.count_params() for layer in self.layers)
        trainable = sum(layer.count_params() for layer in self.layers if getattr(layer, "trainable", True))
        line = "_" * sum(w)
        lines = [f'Model: "{self.name}"', line,
                 f"{'Layer (type)':<{w[0]}}{'Output Shape':<{w[1]}}{'Param #':>{w[2]}}", "=" * sum(w)]
        for i, (a, b, c) in enumerate(rows):
            lines.append(f"{a:<{w[0]}}{b:<{w[1]}}{c:>{w[2]}}")
            if i < len(rows) - 1:
                lines.append("")
        lines += ["=" * sum(w), f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}", line]
        print_fn("\n".join(lines))

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], name={self.name!r})"


def _positive_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 1: ``TypeError`` for another type (2.5, True), ``ValueError`` for 0 or less."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: expected {name} as a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{where}: expected {name} as a positive int, got {value!r}")
    return int(value)


def _adds_penalty(layer) -> bool:
    """Whether ``layer.regularization_loss()`` can be non-zero (so the loop may skip the others)."""
    if hasattr(layer, "kernel_regularizer"):
        return bool(layer.kernel_regularizer)
    return type(layer).regularization_loss is not Layer.regularization_loss


def _backward_from_logits(layer):
    """``layer.backward_logits`` (dz -> dx, skipping the activation) when the layer has one, else None."""
    hook = getattr(layer, "backward_logits", None)
    return hook if callable(hook) else None


_ARANGE: dict[int, np.ndarray] = {}


def _arange(n: int) -> np.ndarray:
    """``np.arange(n)``, made once per batch size (the loop needs it every step)."""
    r = _ARANGE.get(n)
    if r is None:
        r = _ARANGE[n] = np.arange(n)
    return r


def _logit_value_and_gradient(kind: str, y, p, sparse: bool):
    """Loss value and dloss/dlogits for softmax + cross-entropy (sigmoid + binary cross-entropy).

    Softmax: value ``mean(-sum(y * log p))``, gradient ``(p * sum(y) - y) / batch``
    (``p - y`` for one-hot targets). Sigmoid: the binary cross-entropy and ``(p - y)``
    divided by the number of averaged entries (batch x units). Probabilities are
    clipped to [1e-7, 1 - 1e-7] inside the log as Keras does; the gradient is the exact
    one Keras computes from the logits behind its softmax/sigmoid output.
    """
    eps = losses_module.EPSILON
    if kind == "softmax":
        n = p.size // p.shape[-1]  # Keras averages over every axis but the classes
        if sparse and p.ndim == 2:
            rows = _arange(len(p))
            picked = p[rows, y]
            value = -float(np.log(picked.clip(eps, 1 - eps)).sum()) / n
            g = p.copy()
            g[rows, y] -= 1.0
        else:
            if sparse:
                y = np.eye(p.shape[-1], dtype=p.dtype)[y]
            y = y.astype(p.dtype, copy=False)
            value = -float(np.vdot(y, np.log(p.clip(eps, 1 - eps)))) / n
            g = p * y.sum(-1, keepdims=True)
            g -= y
        g /= n
        return value, g
    y = y.astype(p.dtype, copy=False)
    pc = p.clip(eps, 1 - eps)
    value = -float(np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc)))
    g = p - y
    g /= p.size
    return value, g


def _weighted_logit_value_and_gradient(kind: str, y, p, sparse: bool, w):
    """``_logit_value_and_gradient`` with one weight per loss value (``w``, shape ``p.shape[:-1]``).

    Keras' reduction: value ``sum(w_i * loss_i) / count`` (the count of loss values, not the
    sum of the weights); each gradient row scales by its ``w_i``. Kept apart from the
    unweighted function so that training without weights runs exactly the same code.
    """
    eps = losses_module.EPSILON
    if kind == "softmax":
        n = p.size // p.shape[-1]
        if sparse and p.ndim == 2:
            rows = _arange(len(p))
            per = -np.log(p[rows, y].clip(eps, 1 - eps))
            g = p.copy()
            g[rows, y] -= 1.0
        else:
            if sparse:
                y = np.eye(p.shape[-1], dtype=p.dtype)[y]
            y = y.astype(p.dtype, copy=False)
            per = -np.sum(y * np.log(p.clip(eps, 1 - eps)), axis=-1)
            g = p * y.sum(-1, keepdims=True)
            g -= y
        value = float(np.sum(per * w)) / n
        g *= w[..., None]
        g /= n
        return value, g
    y = y.astype(p.dtype, copy=False)
    pc = p.clip(eps, 1 - eps)
    wx = w[..., None]
    value = -float(np.sum((y * np.log(pc) + (1 - y) * np.log1p(-pc)) * wx)) / p.size
    g = p - y
    g *= wx
    g /= p.size
    return value, g
