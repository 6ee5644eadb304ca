"""Input validation shared by every module.

Every public function and layer checks its inputs with these helpers so that a
mistake surfaces as one readable ``ValueError``/``TypeError`` naming *where* it
happened, what was *expected* and what was *given*, instead of a NaN three
layers later or a broadcasting traceback from deep inside NumPy.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "NonFiniteError", "all_finite", "as_array", "as_float_array", "check_ndim", "check_finite", "check_int_array",
    "check_positive_int", "check_positive_float", "check_float_dtype", "check_l2_factor", "as_rng",
]


class NonFiniteError(ValueError, FloatingPointError):
    """An array holding NaN/inf where finite numbers are required.

    A ``ValueError`` (bad input, for a caller who passed it) and a ``FloatingPointError``
    (during training it means the run diverged, which is what ``Sequential.fit`` reports).
    """


def _describe(x) -> str:
    """``array of shape (2, 3) and dtype float32`` for arrays, the type's name otherwise."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def as_array(x, where: str, expected: str = "an array") -> np.ndarray:
    """``np.asarray(x)``, with NumPy's error for ragged lists turned into ours (a ``TypeError``)."""
    try:
        return np.asarray(x)
    except Exception as exc:  # ragged lists, objects whose __array__ fails, ...
        raise TypeError(f"{where}: expected {expected}, got {_describe(x)} ({exc})") from None


def as_float_array(x, where: str, dtype=None) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, or raise ``TypeError``.

    Floating inputs keep their dtype (float32 stays float32, float64 stays
    float64) unless ``dtype`` is given; integer and boolean inputs are cast to
    ``dtype`` (default float32), because a learner passing ``np.arange`` should
    not be punished. Complex, string and object arrays are rejected.
    """
    arr = as_array(x, where, "a numeric array")
    if arr.dtype.kind == "f":
        return arr if dtype is None else arr.astype(dtype, copy=False)
    if arr.dtype.kind in "iub":
        return arr.astype(dtype or np.float32)
    raise TypeError(f"{where}: expected a real-valued numeric array, got {_describe(arr)}")


def check_ndim(x: np.ndarray, ndim: int, where: str, layout: str = "") -> None:
    """Raise ``ValueError`` unless ``x.ndim == ndim``; ``layout`` names the axes, e.g. ``(batch, features)``."""
    if not hasattr(x, "ndim"):  # a list: the caller forgot np.asarray, which is our bug, not the learner's
        raise TypeError(f"{where}: expected a {ndim}-D array, got {_describe(x)}")
    if x.ndim != ndim:
        axes = f" {layout}" if layout else ""
        raise ValueError(f"{where}: expected a {ndim}-D array{axes}, got shape {x.shape}")


def all_finite(x: np.ndarray) -> bool:
    """True if the float array ``x`` holds no NaN/inf.

    Runs on every array of every training step, so the common case is one BLAS dot
    product: ``x . x`` is a sum of squares, finite whenever every entry is (no
    cancellation), and it allocates nothing, unlike ``isfinite(x).all()``. Only when it
    is not (a NaN/inf, or finite entries whose squares overflow) are the entries looked
    at. ``vdot``, not ``dot``: it overflows to inf without a RuntimeWarning.
    """
    return math.isfinite(np.vdot(x, x)) or bool(np.isfinite(x).all())


def check_finite(x: np.ndarray, where: str) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or infinity (``TypeError`` if it is not numeric at all)."""
    x = as_array(x, where, "a numeric array")
    if x.dtype.kind not in "biufc":  # np.isfinite has no meaning for strings and objects
        raise TypeError(f"{where}: expected a numeric array, got {_describe(x)}")
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise NonFiniteError(f"{where}: expected finite values, got {bad} NaN/inf entries in an array of shape {x.shape}")


def check_int_array(x, where: str, low: int | None = None, high: int | None = None) -> np.ndarray:
    """Return ``x`` as an integer array with values in ``[low, high)``, or raise."""
    arr = as_array(x, where, "integer ids/labels")
    if (arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
            and np.abs(arr).max() < 2.0 ** 63):  # beyond int64 the cast would wrap around
        arr = arr.astype(np.int64)  # whole-number floats such as labels read from CSV
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer ids/labels, got {_describe(arr)}")
    if arr.size and low is not None and arr.min() < low:
        raise ValueError(f"{where}: expected values >= {low}, got minimum {arr.min()}")
    if arr.size and high is not None and arr.max() >= high:
        raise ValueError(f"{where}: expected values < {high}, got maximum {arr.max()}")
    return arr


def check_positive_int(value, where: str, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is a whole number >= ``minimum`` (sizes, counts, strides)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: expected {name} to be an int >= {minimum}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: expected {name} to be an int >= {minimum}, got {value}")
    return int(value)


def _to_float(value) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range is as unusable as infinity
        return float("inf")


def check_positive_float(value, where: str, name: str) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (learning rates, tolerances, seconds)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a number > 0, got {type(value).__name__} {value!r}")
    number = _to_float(value)
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{where}: expected {name} to be a finite number > 0, got {value}")
    return number


def check_float_dtype(dtype, where: str) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is a floating dtype, or raise ``TypeError``.

    Parameters and activations must be able to hold fractions: an integer layer would
    truncate every update to zero. ``None`` means float32, Keras' default, not NumPy's
    ``np.dtype(None)`` (float64).
    """
    try:
        dt = np.dtype(np.float32 if dtype is None else dtype)
    except (TypeError, ValueError, SyntaxError):  # "data type 'flaot32' not understood"; "," is parsed as Python
        raise TypeError(f"{where}: expected a floating dtype such as 'float32', got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"{where}: expected a floating dtype such as 'float32', got {dt}")
    return dt


def check_l2_factor(value, where: str) -> float | None:
    """Return an L2 regularization factor as a float (``None`` stays ``None``), or raise.

    The factor ``l2`` of Keras' ``regularizers.L2(l2)``: the penalty is ``l2 * sum(kernel**2)``,
    so it must be a finite number >= 0.
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected kernel_regularizer as an L2 factor (float) or None, got {type(value).__name__}")
    number = _to_float(value)
    if not (np.isfinite(number) and number >= 0):
        raise ValueError(f"{where}: expected kernel_regularizer >= 0 (an L2 factor), got {value}")
    return number


def as_rng(seed, where: str | None = None) -> np.random.Generator:
    """Turn ``None``, an int or a ``numpy.random.Generator`` into a Generator.

    A Generator is returned as is (not copied), so a caller that passes one keeps
    drawing from the same stream. ``where`` names the caller in the error message.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    is_int = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    if not (seed is None or is_int):
        prefix = f"{where}: expected seed as" if where else "seed: expected"
        raise TypeError(f"{prefix} None, an int or a numpy.random.Generator, got {type(seed).__name__}")
    if is_int and seed < 0:  # NumPy's own error would name neither the caller nor the argument
        raise ValueError(f"{where or 'seed'}: expected seed to be an int >= 0, got {seed}")
    return np.random.default_rng(seed)
