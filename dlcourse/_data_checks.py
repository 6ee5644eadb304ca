"""Validation of what ``Sequential.fit``/``evaluate``/``predict`` are given, once per call, whole arrays.

Every check runs before the first update, so bad data anywhere (the last row of the
targets, an id in the validation set) raises a clear error and changes no weight.
"""
from __future__ import annotations

import math

import numpy as np

from . import losses as losses_module
from . import optimizers as optimizers_module
from ._checks import _describe, as_array, check_finite

__all__ = ["as_input_array", "positive_int", "check_batch_size", "check_verbose", "check_dataset",
           "check_validation_data", "example_weights", "check_monitors", "check_compile_args",
           "checked_weights", "checked_weight"]


def as_input_array(a, where: str, what: str = "x") -> np.ndarray:
    """Check ``a`` (inputs or targets) once: numeric, finite, with a batch axis.

    Float and integer arrays pass through (Embedding wants integer ids, Dense casts);
    booleans become float32.
    """
    arr = as_array(a, where, f"{what} as a numeric array")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{where}: expected {what} as a real-valued numeric array, got {_describe(arr)}")
    if arr.ndim == 0:
        raise ValueError(f"{where}: expected {what} as an array with a batch axis, got a scalar")
    if arr.dtype.kind == "f":
        check_finite(arr, f"{where}: {what}")
    return arr


def positive_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 1: ``TypeError`` for another type (2.5, True), ``ValueError`` for 0 or less."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: expected {name} as a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{where}: expected {name} as a positive int, got {value!r}")
    return int(value)


def check_batch_size(batch_size, where: str, default: int = 32) -> int:
    return default if batch_size is None else positive_int(batch_size, "batch_size", where)


def check_verbose(verbose, where: str) -> int:
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, (bool, np.bool_)) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: expected verbose in {{'auto', 0, 1, 2}}, got {verbose!r}")
    return int(verbose)


def _reworded(exc: Exception, prefix: str) -> Exception:
    """The same kind of error, its message prefixed with where it happened (``Sequential.fit: y: ...``)."""
    return type(exc)(f"{prefix}: {exc}")


def check_dataset(model, x, y, where: str, label: str = ""):
    """Validate ``(x, y)`` for ``model``; return ``(x, y, out)`` with ``out`` the output for two examples.

    Inputs go through the first layer's ``check_input`` (every Embedding id), targets
    through the loss' ``check_targets`` (every label, every one-hot row), so that
    ``fit``, ``evaluate`` and the loss accept and reject the same targets.
    """
    x = as_input_array(x, where, f"{label}x")
    y = as_input_array(y, where, f"{label}y")
    if len(x) != len(y):
        raise ValueError(f"{where}: expected {label}x and {label}y with the same number of examples, "
                         f"got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{where}: expected at least one example, got 0")
    check_input_shape(model, x, where)
    check_input = getattr(model.layers[0], "check_input", None)
    if callable(check_input):
        try:
            x = check_input(x)
        except (TypeError, ValueError) as exc:
            raise _reworded(exc, f"{where}: {label}x") from None
    # A dry run on two examples lets the layers report a mismatch in their own words
    # (wrong width, wrong rank) and gives the output's shape for the targets.
    out = model._forward(x[:2], training=False)
    y = _match_target(model, y, out, where, label)
    check_targets = getattr(model.loss, "check_targets", None)
    if not callable(check_targets):  # a loss object of the reader's own: a dry run instead
        model.loss(y[:2], out)
        return x, y, out
    try:
        y = check_targets(y, (len(y),) + out.shape[1:], out.dtype)
    except (TypeError, ValueError) as exc:
        raise _reworded(exc, f"{where}: {label}y") from None
    return x, y, out


def check_input_shape(model, x: np.ndarray, where: str) -> None:
    if model.input_shape is not None:
        expected = model.input_shape
        got = x.shape[1:]
        if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
            raise ValueError(f"{where}: expected inputs of shape (batch, {', '.join(map(str, expected))}) "
                             f"(the model's input_shape), got {x.shape}")
    first = model.layers[0]
    n_in = getattr(first, "n_in", None)
    if type(first).__name__ == "Dense" and n_in is not None and x.shape[-1] != n_in:
        raise ValueError(f"{where}: expected inputs with {n_in} features in the last axis "
                         f"({first.name} has n_in={n_in}), got shape {x.shape}")


def _is_sparse(loss) -> bool:
    return type(loss).__name__ == "SparseCategoricalCrossentropy"


def _match_target(model, y, out, where, label):
    """Keras accepts y of shape (n,) for a (n, 1) output and (n, 1) labels for sparse losses."""
    if _is_sparse(model.loss):
        if y.ndim == out.ndim and y.shape[-1] == 1:
            y = y.reshape(y.shape[:-1])
        if y.shape[1:] != out.shape[1:-1]:
            axes = "".join(", " + str(d) for d in out.shape[1:-1])
            raise ValueError(f"{where}: expected {label}y of shape (batch{axes}) "
                             f"(class indices for an output of shape {('batch',) + out.shape[1:]}), got {y.shape}")
        if y.dtype.kind == "f":
            if not np.all(y == np.round(y)):
                raise TypeError(f"{where}: expected integer class labels in {label}y for "
                                f"{type(model.loss).__name__}, got non-integer floats")
            y = y.astype(np.int64)
        n_classes = out.shape[-1]
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"{where}: expected {label}y labels in [0, {n_classes}) for a "
                             f"{n_classes}-unit output, got values in [{lo}, {hi}]")
        return y
    if y.ndim == out.ndim - 1 and out.shape[-1] == 1:
        y = y.reshape(y.shape + (1,))
    if y.shape[1:] != out.shape[1:]:
        raise ValueError(f"{where}: expected {label}y of shape {('batch',) + out.shape[1:]} (the model's output), "
                         f"got {y.shape}")
    return y


def check_validation_data(model, validation_data, where: str):
    """``None``, or the checked ``(x_val, y_val)``."""
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        got = (f"a {type(validation_data).__name__} of length {len(validation_data)}"
               if isinstance(validation_data, (tuple, list)) else type(validation_data).__name__)
        raise ValueError(f"{where}: expected validation_data as a tuple (x_val, y_val), got {got}")
    x_val, y_val, _ = check_dataset(model, *validation_data, where, label="validation ")
    return x_val, y_val


def check_monitors(callbacks, log_keys: list, where: str) -> None:
    """A callback that monitors a key (``EarlyStopping(monitor=...)``) must find it in the epoch logs."""
    for cb in callbacks:
        monitor = getattr(cb, "monitor", None)
        if isinstance(monitor, str) and monitor not in log_keys:
            raise ValueError(
                f"{type(cb).__name__}: expected {monitor!r} in the epoch logs, got keys {sorted(log_keys)}"
                + ("; pass validation_data to fit()" if monitor.startswith("val_") else ""))


def example_weights(y, out, class_weight, sample_weight, where: str):
    """One weight per loss value (shape ``(n,) + out.shape[1:-1]``, in ``out``'s dtype), or None.

    ``class_weight`` follows Keras' ``class_weight_to_sample_weights``: one-hot (or
    soft) targets give their argmax, a (n, 1) column is squeezed, labels are rounded;
    a class missing from the dict weighs 1.0. ``sample_weight`` gives the weights directly.
    """
    if class_weight is None and sample_weight is None:
        return None
    per_value = (len(y),) + out.shape[1:-1]  # the shape of the unreduced losses
    if class_weight is not None:
        if sample_weight is not None:
            raise ValueError(f"{where}: expected class_weight or sample_weight, got both (Keras allows one)")
        return _class_weights(y, out, class_weight, per_value, where)
    try:
        w = np.asarray(sample_weight)
    except Exception as exc:
        raise TypeError(f"{where}: expected sample_weight as a numeric array, "
                        f"got {type(sample_weight).__name__} ({exc})") from None
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


def _class_weights(y, out, class_weight, per_value, where: str) -> np.ndarray:
    """The weight of each example's class, from ``{class index: weight}``."""
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


def checked_weight(w, ref: np.ndarray, what: str) -> np.ndarray:
    """``w`` as an array of ``ref``'s shape and dtype, real and finite, or a clear error (for set_weights)."""
    arr = as_array(w, what, "a numeric array")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{what}: expected a real-valued numeric array, got {_describe(arr)}")
    if arr.shape != ref.shape:
        raise ValueError(f"{what}: expected shape {ref.shape}, got {arr.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        arr = arr.astype(ref.dtype)
    if not np.isfinite(arr).all():
        raise ValueError(f"{what}: expected finite values in {ref.dtype}, got NaN/inf (after the cast to {ref.dtype})")
    return arr


def checked_weights(layers, weights, where: str) -> list[list[np.ndarray]]:
    """The flat list ``weights`` cut into one checked list per layer, or an error before any is assigned."""
    if isinstance(weights, np.ndarray) or not hasattr(weights, "__iter__"):
        raise TypeError(f"{where}: expected a list of arrays (as get_weights returns), got {_describe(weights)}")
    weights = list(weights)
    current = [layer.get_weights() for layer in layers]
    expected = sum(len(arrays) for arrays in current)
    if len(weights) != expected:
        raise ValueError(f"{where}: expected a list of {expected} arrays, got {len(weights)}")
    checked, i = [], 0
    for layer, arrays in zip(layers, current):
        names = list(getattr(layer, "params", {}))
        names += [f"weight {j}" for j in range(len(names), len(arrays))]  # non-trainable (moving statistics)
        checked.append([checked_weight(weights[i + j], ref, f"{where}: array {i + j} ({layer.name} {names[j]})")
                        for j, ref in enumerate(arrays)])
        i += len(arrays)
    return checked


def check_compile_args(optimizer, loss, metrics, where: str) -> tuple:
    """``(optimizer, loss, metrics)`` resolved from Keras' names, or a clear error."""
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
    metrics = [] if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    for m in metrics:
        if not isinstance(m, str) or m.lower() not in ("accuracy", "acc"):
            raise ValueError(f"{where}: expected metrics from ['accuracy', 'acc'], got {m!r}")
    return optimizer, loss, metrics
