"""Splitting, scaling and batching: the steps between a data set and ``fit``.

The one rule behind this module: the test set must not influence training in any
way. So the split comes first, and ``Standardizer`` learns its means and standard
deviations from the training rows only; the test rows are transformed with those
same statistics, as new data would be in deployment.
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import as_array, as_float_array, as_rng, check_finite, check_int_array, check_positive_int

__all__ = ["train_test_split", "Standardizer", "one_hot", "minibatches"]


def _check_bool(value, where: str, name: str) -> bool:
    # A string such as "False" is truthy: without this check it would silently mean True.
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected {name} as a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def _same_length(x, y, where: str):
    x = as_array(x, where, "an array x")
    if x.ndim == 0:
        raise ValueError(f"{where}: expected x with a leading sample axis, got a scalar")
    if y is not None:
        y = as_array(y, where, "an array y")
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(
                f"{where}: expected x and y with the same number of samples, got x of shape {x.shape} "
                f"and y of shape {y.shape}"
            )
    return x, y


def _class_labels(y) -> np.ndarray | None:
    """Class labels for stratification, or None when ``y`` is a regression target.

    Integer labels ``(n,)`` or ``(n, 1)``, one-hot rows ``(n, k)`` and binary 0/1
    columns are class labels; any other float target is treated as regression.
    """
    if y.dtype.kind not in "iubf" or y.ndim > 2:
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        is_one_hot = np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)
        return y.argmax(axis=1) if is_one_hot else None
    flat = y.reshape(-1)
    if y.dtype.kind in "iub":
        return flat
    return flat.astype(np.int64) if np.all((flat == 0) | (flat == 1)) else None


def train_test_split(x, y, test_size=0.2, stratify: bool = True, seed=0):
    """Split ``x`` and ``y`` into training and test parts, reproducibly.

    With ``stratify=True`` (and classification labels) each class keeps its share in
    both parts: for every class, ``test_size`` of its samples go to the test set
    (rounded so the test set has ``ceil(test_size * n)`` samples in total, the
    leftover seats going to the classes with the largest rounding remainders).
    Regression targets (floats other than 0/1 or one-hot) cannot be stratified and
    are split uniformly at random. The same ``seed`` always gives the same split.

    Parameters
    ----------
    x : array, ``(n, ...)``
    y : array, ``(n,)``, ``(n, 1)`` or ``(n, k)``: labels, one-hot rows or targets
    test_size : float in (0, 1) (a fraction) or int (a number of samples)
    stratify : bool
    seed : int or numpy Generator

    Returns
    -------
    x_train, x_test, y_train, y_test
        In scikit-learn's order; rows are shuffled within each part.
    """
    where = "train_test_split"
    if y is None:
        raise ValueError(f"{where}: expected targets y, got None")
    x, y = _same_length(x, y, where)
    stratify = _check_bool(stratify, where, "stratify")
    n = len(x)
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"{where}: expected a fractional test_size in (0, 1), got {test_size}")
        n_test = math.ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise TypeError(f"{where}: expected test_size as a float fraction or an int count, got {type(test_size).__name__}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"{where}: expected a split leaving at least one sample on each side, got {n_test} test samples of {n}")

    rng = as_rng(seed, where)
    labels = _class_labels(y) if stratify else None
    if labels is None:
        order = rng.permutation(n)
        test_idx, train_idx = order[:n_test], order[n_test:]
    else:
        classes, inverse = np.unique(labels, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(classes))
        ideal = counts * (n_test / n)
        per_class = np.floor(ideal).astype(np.int64)
        # Largest remainders get the seats left over by flooring (stable sort: ties by class order).
        leftover = n_test - per_class.sum()
        per_class[np.argsort(-(ideal - per_class), kind="stable")[:leftover]] += 1
        test_parts, train_parts = [], []
        for k in range(len(classes)):
            members = rng.permutation(np.flatnonzero(inverse == k))
            test_parts.append(members[: per_class[k]])
            train_parts.append(members[per_class[k]:])
        test_idx = rng.permutation(np.concatenate(test_parts))
        train_idx = rng.permutation(np.concatenate(train_parts))
    return x[train_idx], x[test_idx], y[train_idx], y[test_idx]


class Standardizer:
    """Scale each feature to zero mean and unit variance using training statistics.

    ``fit`` records the per-feature mean and standard deviation over axis 0 (the
    samples; for images that is per pixel and channel). A feature that is constant
    in the training data (standard deviation 0, like the always-blank corner pixels
    of the digits) is only centred: dividing by 0 would create NaN/inf.

    Attributes
    ----------
    mean_, scale_ : ndarray, shape ``x.shape[1:]``, float64
        Set by ``fit``; ``scale_`` is the standard deviation with zeros replaced by 1.
    """

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    def fit(self, x) -> "Standardizer":
        """Learn mean and standard deviation from ``x`` (``(n, ...)``, the training rows only)."""
        x = self._as_array(x, "Standardizer.fit")
        if len(x) < 1:
            raise ValueError("Standardizer.fit: expected at least one sample, got an empty array")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"Standardizer.fit: expected finite values, got NaN/inf in an array of shape {x.shape}")
        x64 = x.astype(np.float64, copy=False)  # accumulate in float64: float32 sums drift on large n
        self.mean_ = x64.mean(axis=0)
        std = x64.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x) -> np.ndarray:
        """``(x - mean_) / scale_``, in ``x``'s float dtype (integers become float32)."""
        x = self._check_fitted(x, "Standardizer.transform")
        check_finite(x, "Standardizer.transform")  # NaN in, NaN out would only surface as a NaN loss later
        return ((x - self.mean_) / self.scale_).astype(x.dtype, copy=False)

    def inverse_transform(self, z) -> np.ndarray:
        """Undo ``transform``: ``z * scale_ + mean_`` (e.g. to report predictions in original units)."""
        z = self._check_fitted(z, "Standardizer.inverse_transform")
        check_finite(z, "Standardizer.inverse_transform")
        return (z * self.scale_ + self.mean_).astype(z.dtype, copy=False)

    def fit_transform(self, x) -> np.ndarray:
        return self.fit(x).transform(x)

    @staticmethod
    def _as_array(x, where: str) -> np.ndarray:
        x = as_float_array(x, where)  # float dtypes kept, integers become float32
        if x.ndim < 1:
            raise ValueError(f"{where}: expected an array (samples, features...), got a scalar")
        return x

    def _check_fitted(self, x, where: str) -> np.ndarray:
        if self.mean_ is None:
            raise ValueError(f"{where}: expected a fitted Standardizer (call fit on the training data first), got an unfitted one")
        x = self._as_array(x, where)
        if x.shape[1:] != self.mean_.shape:
            raise ValueError(f"{where}: expected samples of shape {self.mean_.shape} (as in fit), got {x.shape[1:]}")
        return x


def one_hot(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """Integer labels ``(n,)`` to one-hot rows ``(n, num_classes)``.

    ``num_classes`` defaults to ``max(y) + 1``; pass it explicitly when a split might
    lack the highest class. Labels outside ``[0, num_classes)`` raise ``ValueError``.
    """
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):  # NumPy's "data type 'flaot32' not understood"
        raise TypeError(f"one_hot: expected a numeric dtype such as 'float32', got {dtype!r}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"one_hot: expected a numeric dtype such as 'float32', got {dtype}")
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "one_hot", "num_classes")
    labels = check_int_array(y, "one_hot", low=0, high=num_classes)
    if labels.ndim != 1:
        raise ValueError(f"one_hot: expected a 1-D array of labels (n,), got shape {labels.shape}")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("one_hot: expected num_classes when y is empty, got None")
        num_classes = int(labels.max()) + 1
    out = np.zeros((labels.size, num_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def minibatches(x, y=None, batch_size: int = 32, shuffle: bool = True, seed=0, drop_last: bool = False):
    """Iterate over one epoch in mini-batches: yields ``(x_batch, y_batch)`` (or ``x_batch`` if ``y`` is None).

    Every sample appears exactly once per epoch; the last batch is smaller when
    ``batch_size`` does not divide ``n`` (dropped with ``drop_last=True``). An int
    ``seed`` gives the same order every call: for a new order each epoch pass one
    ``numpy.random.Generator`` and reuse it, or ``seed=epoch``.

    Parameters
    ----------
    x : array ``(n, ...)``; y : array ``(n, ...)`` or None
    batch_size : int >= 1
    shuffle : bool
    seed : int or numpy Generator
    """
    where = "minibatches"
    x, y = _same_length(x, y, where)
    batch_size = check_positive_int(batch_size, where, "batch_size")
    shuffle, drop_last = _check_bool(shuffle, where, "shuffle"), _check_bool(drop_last, where, "drop_last")
    order = as_rng(seed, where).permutation(len(x)) if shuffle else None
    # Checks above run now; the batches are produced lazily by the inner generator.
    return _batches(x, y, batch_size, order, drop_last)


def _batches(x, y, batch_size, order, drop_last):
    n = len(x)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if order is None:
            sl = slice(start, start + batch_size)  # a view, no copy
        else:
            sl = order[start:start + batch_size]
        yield (x[sl], y[sl]) if y is not None else x[sl]
