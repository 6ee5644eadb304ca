"""Small generated data sets, each chosen to show one thing a network can (or cannot) do.

- ``make_xor``: the four points no single linear unit separates (Minsky & Papert 1969);
  one hidden layer is enough.
- ``make_spirals``: interleaved spiral arms (the cs231n example); a linear classifier
  stays near chance, a small MLP separates them.
- ``make_moons``: two interleaving half circles (scikit-learn's generator).
- ``make_sequence_task``: binary sequences labelled by whether ones outnumber zeros;
  a ``SimpleRNN`` with a few units learns to count in seconds.

Every generator takes a ``seed`` (int or ``numpy.random.Generator``) and returns the
same arrays for the same seed.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_float_dtype, check_positive_int

__all__ = ["make_xor", "make_spirals", "make_moons", "make_sequence_task"]


def _non_negative(value, where: str, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a finite number >= 0, got {type(value).__name__}")
    try:
        value = float(value)  # an int too large for a float is as unusable as infinity
    except OverflowError:
        value = float("inf")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{where}: expected {name} to be a finite number >= 0, got {value}")
    return value


_XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
_XOR_Y = np.array([[0], [1], [1], [0]])


def make_xor(n: int | None = None, noise: float = 0.1, seed=0, dtype="float32"):
    """The XOR problem: output 1 when exactly one of the two inputs is 1.

    Parameters
    ----------
    n : None or int
        None: the four corners of the unit square, in the order (0,0), (0,1), (1,0),
        (1,1). An int: ``n`` noisy samples, each a randomly chosen corner plus
        Gaussian noise of standard deviation ``noise``, labelled by its corner.
    noise : float
        Standard deviation of the noise (ignored when ``n`` is None).
    seed : int or numpy Generator

    Returns
    -------
    x : ndarray, ``(n, 2)`` (``(4, 2)`` when ``n`` is None)
    y : ndarray, ``(n, 1)``, 0. or 1., shaped like the output of ``Dense(1, activation="sigmoid")``
    """
    dtype = check_float_dtype(dtype, "make_xor")
    if n is None:
        return _XOR_X.astype(dtype), _XOR_Y.astype(dtype)
    n = check_positive_int(n, "make_xor", "n")
    noise = _non_negative(noise, "make_xor", "noise")
    rng = as_rng(seed, "make_xor")
    corner = rng.integers(0, 4, size=n)
    x = _XOR_X[corner] + noise * rng.standard_normal((n, 2))
    return x.astype(dtype), _XOR_Y[corner].astype(dtype)


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed=0, dtype="float32"):
    """Points on ``classes`` interleaved spiral arms in the plane (cs231n's toy data set).

    Arm ``k`` has radius growing linearly from 0 to 1 while its angle sweeps
    ``[4k, 4k + 4]`` radians; ``noise`` is the standard deviation of Gaussian noise
    added to the angle. Rows are shuffled, so the classes are interleaved.

    Returns
    -------
    x : ndarray, ``(n, 2)``
    y : ndarray of int64, ``(n,)``, the arm 0..classes-1 (sizes differ by at most one)
    """
    dtype = check_float_dtype(dtype, "make_spirals")
    n = check_positive_int(n, "make_spirals", "n")
    classes = check_positive_int(classes, "make_spirals", "classes", minimum=2)
    noise = _non_negative(noise, "make_spirals", "noise")
    if n < classes:
        raise ValueError(f"make_spirals: expected n >= classes so every arm has a point, got n={n}, classes={classes}")
    rng = as_rng(seed, "make_spirals")
    sizes = np.full(classes, n // classes)
    sizes[: n % classes] += 1
    xs, ys = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m) + noise * rng.standard_normal(m)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(m, k))
    order = rng.permutation(n)
    return np.concatenate(xs)[order].astype(dtype), np.concatenate(ys)[order].astype(np.int64)


def make_moons(n: int = 200, noise: float = 0.1, seed=0, dtype="float32"):
    """Two interleaving half circles, via ``sklearn.datasets.make_moons``.

    Returns
    -------
    x : ndarray, ``(n, 2)``
    y : ndarray of int64, ``(n,)``, 0 or 1 (the moon)
    """
    dtype = check_float_dtype(dtype, "make_moons")
    n = check_positive_int(n, "make_moons", "n", minimum=2)
    noise = _non_negative(noise, "make_moons", "noise")
    from sklearn.datasets import make_moons as _sk_make_moons

    # sklearn wants an int or RandomState; derive one from our seed deterministically.
    random_state = int(as_rng(seed, "make_moons").integers(0, 2**31 - 1))
    x, y = _sk_make_moons(n_samples=n, noise=noise, random_state=random_state)
    return x.astype(dtype), y.astype(np.int64)


def make_sequence_task(n: int = 1000, length: int = 11, seed=0, target: str = "majority", dtype="float32"):
    """Binary sequences for a recurrent network: do the ones outnumber the zeros?

    Each sequence is ``length`` fair coin flips (0 or 1). A feed-forward network
    would need to see the whole sequence at once; a recurrent network reads one
    step at a time and must carry a running count in its hidden state, which is
    exactly what a ``SimpleRNN`` is for. With an odd ``length`` there are no ties;
    with an even one a tie counts as "not more ones" (label 0).

    Parameters
    ----------
    n, length : int
        Number of sequences and time steps.
    target : {"majority", "running"}
        "majority": one label per sequence, for ``SimpleRNN(return_sequences=False)``.
        "running": a label at every step (ones so far > zeros so far), for
        ``return_sequences=True``.

    Returns
    -------
    x : ndarray, ``(n, length, 1)``, the bits as floats (batch, time, features)
    y : ndarray, ``(n, 1)`` for "majority" or ``(n, length, 1)`` for "running", 0. or 1.
    """
    dtype = check_float_dtype(dtype, "make_sequence_task")
    n = check_positive_int(n, "make_sequence_task", "n")
    length = check_positive_int(length, "make_sequence_task", "length")
    if target not in ("majority", "running"):
        raise ValueError(f"make_sequence_task: expected target 'majority' or 'running', got {target!r}")
    bits = as_rng(seed, "make_sequence_task").integers(0, 2, size=(n, length))
    # ones - zeros after each step; the label is whether that balance is positive
    balance = np.cumsum(2 * bits - 1, axis=1)
    if target == "majority":
        y = (balance[:, -1:] > 0)
    else:
        y = (balance > 0)[..., None]
    return bits[..., None].astype(dtype), y.astype(dtype)
