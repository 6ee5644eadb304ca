"""Accuracy, in the four flavors Keras names, for any predictions (a model's or your own).

Each function takes ``y_true`` and ``y_pred`` and returns, as Keras' functions of the
same names do, one 1.0/0.0 per prediction (float32), not yet averaged: the mean of the
result is the accuracy, and a training loop sums them to average over an epoch.

- ``binary_accuracy``: ``y_pred > threshold`` (0.5) compared with ``y_true``, per entry;
- ``categorical_accuracy``: ``argmax(y_pred) == argmax(y_true)``, one-hot targets;
- ``sparse_categorical_accuracy``: ``argmax(y_pred) == y_true``, integer labels;
- ``accuracy``: ``y_pred == y_true`` exactly (for predictions that are labels already).

``get("accuracy", y_true, y_pred)`` picks among the first three the way ``compile(metrics=
["accuracy"])`` does in Keras (``compile_utils.get_metric``): binary for one output unit,
sparse when the targets have fewer axes than the predictions (or one column), else categorical.

Examples
--------
>>> import numpy as np
>>> p = np.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]])
>>> sparse_categorical_accuracy(np.array([1, 2]), p)
array([1., 0.], dtype=float32)
>>> float(np.mean(binary_accuracy(np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.6, 0.2]))))
0.3333333432674408
>>> get("accuracy", np.array([1, 2]), p).__name__
'sparse_categorical_accuracy'
"""
from __future__ import annotations

import numpy as np

from ._checks import _describe, as_array

__all__ = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "get"]


def _as_arrays(y_true, y_pred, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Both as real-valued arrays with a batch axis and the same batch size, or a clear error."""
    arrays = []
    for name, a in (("y_true", y_true), ("y_pred", y_pred)):
        if type(a) is not np.ndarray:  # a training loop passes arrays at every batch
            a = as_array(a, where, f"{name} as a numeric array")
        if a.dtype.kind not in "fiub":
            raise TypeError(f"{where}: expected {name} as a real-valued numeric array, got {_describe(a)}")
        if a.ndim == 0:
            raise ValueError(f"{where}: expected {name} with a batch axis, got a scalar")
        arrays.append(a)
    t, p = arrays
    if len(t) != len(p):
        raise ValueError(f"{where}: expected y_true and y_pred with the same batch size, "
                         f"got shapes {t.shape} and {p.shape}")
    return t, p


def _same_rank(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras' ``squeeze_or_expand_to_same_rank``: (batch,) against (batch, 1) gets the axis added."""
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0] if p.ndim > 1 else t
        p = p[..., None] if p.ndim == 1 else p
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0] if t.ndim > 1 else p
        t = t[..., None] if t.ndim == 1 else t
    return t, p


def _matches(t, p, where: str) -> np.ndarray:
    if t.shape != p.shape:
        raise ValueError(f"{where}: expected y_true and y_pred of the same shape, got {t.shape} and {p.shape}")
    return (t == p).astype(np.float32)


def accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where ``y_pred == y_true`` exactly (Keras' ``accuracy``); shape of ``y_pred``, float32."""
    t, p = _same_rank(*_as_arrays(y_true, y_pred, "accuracy"))
    return _matches(t, p, "accuracy")


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """1.0 where ``y_pred > threshold`` agrees with ``y_true`` (0 or 1), per entry; float32.

    As Keras, the prediction is thresholded and ``y_true`` is compared as it is: a soft
    target such as 0.3 matches neither class.
    """
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or not np.isfinite(threshold):
        raise TypeError(f"binary_accuracy: expected threshold as a finite number, got {threshold!r}")
    t, p = _same_rank(*_as_arrays(y_true, y_pred, "binary_accuracy"))
    return _matches(t, (p > threshold).astype(t.dtype), "binary_accuracy")


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the largest predicted class is the largest target class; shape ``y_pred.shape[:-1]``."""
    t, p = _as_arrays(y_true, y_pred, "categorical_accuracy")
    if t.shape != p.shape:
        raise ValueError(f"categorical_accuracy: expected one-hot y_true of the shape of y_pred {p.shape}, "
                         f"got {t.shape}")
    return (t.argmax(-1) == p.argmax(-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the largest predicted class is the label ``y_true``; shape ``y_pred.shape[:-1]``.

    Labels of shape ``(batch, 1)`` are read as ``(batch,)``, as Keras does.
    """
    t, p = _as_arrays(y_true, y_pred, "sparse_categorical_accuracy")
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if t.shape != p.shape[:-1]:
        raise ValueError(f"sparse_categorical_accuracy: expected labels y_true of shape {p.shape[:-1]} for y_pred "
                         f"of shape {p.shape}, got {t.shape}")
    return (p.argmax(-1) == t).astype(np.float32)


_BY_NAME = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy)}


def get(name: str, y_true=None, y_pred=None):
    """The metric function called ``name``; ``"accuracy"``/``"acc"`` resolved from the shapes as Keras' compile does.

    Parameters
    ----------
    name : {"accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"}
    y_true, y_pred : arrays (or anything with ``.shape``), optional
        Needed for ``"accuracy"``/``"acc"``; without them ``"accuracy"`` is the exact-match function.
    """
    if not isinstance(name, str):
        raise TypeError(f"metrics.get: expected a metric name (str), got {type(name).__name__}")
    if name in ("accuracy", "acc") and y_true is not None and y_pred is not None:
        t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
        if p_shape[-1] == 1:
            return binary_accuracy
        if len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1):
            return sparse_categorical_accuracy
        return categorical_accuracy
    try:
        return _BY_NAME["accuracy" if name == "acc" else name]
    except KeyError:
        raise ValueError(f"metrics.get: expected one of {', '.join(map(repr, _BY_NAME))} or 'acc', "
                         f"got {name!r}") from None
