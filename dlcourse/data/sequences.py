"""Sequence tasks with a long-range dependency: the answer depends on a step far from the end.

A recurrent network reads a sequence one step at a time and must carry what matters in its
state until the end. These generators make the distance between the informative step(s) and
the end a parameter, so one can watch a model fail as the distance grows.

- ``make_recall_first``: random symbols; the label is the *first* symbol. The informative step
  is ``length - 1`` steps before the end, and every later step is a distractor.
- ``make_adding_problem``: the adding problem of Hochreiter & Schmidhuber (1997), in the
  simplified form later work uses (e.g. Le et al. 2015): random numbers with two marked
  positions, here one in each half; the target is the sum of the two marked numbers.

Every generator takes a ``seed`` (int or ``numpy.random.Generator``) and returns the same
arrays for the same seed. Inputs are ``(n, length, features)``, as recurrent layers take them.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_float_dtype, check_positive_int

__all__ = ["make_recall_first", "make_adding_problem"]


def make_recall_first(n: int = 1000, length: int = 20, vocab: int = 4, seed=0, dtype="float32"):
    """Sequences of random one-hot symbols labelled by their first symbol.

    Each of the ``length`` steps holds one of ``vocab`` symbols, drawn uniformly and
    independently, one-hot encoded. The label is the symbol at step 1, so a model must keep
    it for ``length - 1`` steps while reading distractors; guessing gives accuracy
    ``1 / vocab``.

    Parameters
    ----------
    n : int
        Number of sequences.
    length : int
        Time steps per sequence (>= 1).
    vocab : int
        Number of distinct symbols (>= 2), the feature width of each step.
    seed : None, int or numpy.random.Generator
    dtype : float dtype, default "float32"

    Returns
    -------
    x : ndarray, ``(n, length, vocab)``, one-hot rows (batch, time, features)
    y : ndarray of int64, ``(n,)``, the first symbol of each sequence, in ``0 .. vocab - 1``

    Raises
    ------
    TypeError
        If ``n``, ``length`` or ``vocab`` is not an int, or ``dtype`` is not a float dtype.
    ValueError
        If ``n`` or ``length`` is below 1, or ``vocab`` below 2.

    Examples
    --------
    >>> x, y = make_recall_first(n=3, length=5, vocab=4, seed=0)
    >>> x.shape, y.shape
    ((3, 5, 4), (3,))
    >>> bool((x[:, 0].argmax(axis=1) == y).all())
    True
    """
    where = "make_recall_first"
    dtype = check_float_dtype(dtype, where)
    n = check_positive_int(n, where, "n")
    length = check_positive_int(length, where, "length")
    vocab = check_positive_int(vocab, where, "vocab", minimum=2)
    symbols = as_rng(seed, where).integers(0, vocab, size=(n, length))
    x = np.eye(vocab, dtype=dtype)[symbols]
    return x, symbols[:, 0].astype(np.int64)


def make_adding_problem(n: int = 1000, length: int = 50, seed=0, dtype="float32"):
    """The adding problem: add the two marked numbers of a long sequence.

    Step ``t`` has two features: a number drawn uniformly from [0, 1) and a marker that is 1
    at exactly two steps, one drawn uniformly from the first half (``t < length // 2``)
    and one from the second half, and 0 elsewhere. The target is the sum of the two marked
    numbers. Predicting the mean, 1, gives a mean squared error of about 1/6 (the variance
    of a sum of two uniform numbers), the baseline a model must beat.

    Parameters
    ----------
    n : int
        Number of sequences.
    length : int
        Time steps per sequence (>= 2, so each half holds a step).
    seed : None, int or numpy.random.Generator
    dtype : float dtype, default "float32"

    Returns
    -------
    x : ndarray, ``(n, length, 2)``: feature 0 the numbers, feature 1 the markers
    y : ndarray, ``(n, 1)``, the sum of the two marked numbers, in [0, 2)

    Raises
    ------
    TypeError
        If ``n`` or ``length`` is not an int, or ``dtype`` is not a float dtype.
    ValueError
        If ``n`` is below 1 or ``length`` below 2.

    Examples
    --------
    >>> x, y = make_adding_problem(n=4, length=10, seed=0)
    >>> x.shape, y.shape
    ((4, 10, 2), (4, 1))
    >>> x[..., 1].sum(axis=1).tolist()
    [2.0, 2.0, 2.0, 2.0]
    >>> bool(np.allclose((x[..., 0] * x[..., 1]).sum(axis=1, keepdims=True), y))
    True
    """
    where = "make_adding_problem"
    dtype = check_float_dtype(dtype, where)
    n = check_positive_int(n, where, "n")
    length = check_positive_int(length, where, "length", minimum=2)
    rng = as_rng(seed, where)
    numbers = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    rows = np.arange(n)
    first, second = rng.integers(0, half, size=n), rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([numbers, markers], axis=-1).astype(dtype)
    y = (x[rows, first, 0] + x[rows, second, 0])[:, None]
    return x, y.astype(dtype)
