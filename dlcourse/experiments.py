"""Repeat an experiment over seeds: a claim about methods rests on a mean and its spread.

One training run is one draw: its initial weights, its shuffling and its dropout masks come
from a seed, and a different seed can reverse a comparison between two settings. A claim such
as "width 8 beats width 2" is therefore made on the mean over several seeds and shown with the
standard deviation, so a reader sees whether the difference is larger than the noise.

``over_seeds(fn, seeds)`` calls ``fn(seed)`` once per seed and returns a ``SeedResult`` holding
every value, their mean and their standard deviation. ``fn`` may return one number or an array
of numbers (one per setting, say), and the statistics are then taken per entry.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SeedResult", "over_seeds"]


@dataclass(frozen=True)
class SeedResult:
    """The outcome of one experiment repeated over seeds.

    Attributes
    ----------
    seeds : tuple of int
        The seeds, in the order they ran.
    values : ndarray of shape (n_seeds, ...)
        ``values[i]`` is what the experiment returned for ``seeds[i]``.
    mean : float or ndarray of shape (...)
        Mean over seeds (axis 0 of ``values``).
    std : float or ndarray of shape (...)
        Sample standard deviation over seeds (``ddof=1``): the spread one would expect
        between two fresh runs, not the error of the mean.
    """

    seeds: tuple
    values: np.ndarray
    mean: float | np.ndarray
    std: float | np.ndarray

    def __str__(self) -> str:
        return self.format()

    def format(self, spec: str = ".3g") -> str:
        """``'mean ± sd'`` with ``spec`` applied to both, per entry for array results.

        >>> from dlcourse.experiments import over_seeds
        >>> over_seeds(lambda seed: [seed, 10 * seed], seeds=[1, 2, 3]).format(".2f")
        '[2.00 ± 1.00, 20.00 ± 10.00] (mean ± sd over 3 seeds)'
        """
        means, stds = np.atleast_1d(self.mean), np.atleast_1d(self.std)
        pairs = [f"{m:{spec}} ± {s:{spec}}" for m, s in zip(means.ravel(), stds.ravel())]
        body = pairs[0] if np.ndim(self.mean) == 0 else "[" + ", ".join(pairs) + "]"
        return f"{body} (mean ± sd over {len(self.seeds)} seeds)"


def _check_seeds(seeds) -> tuple:
    """The seeds as a tuple of distinct ints, at least two of them (a spread needs two runs)."""
    where = "over_seeds"
    try:
        seeds = tuple(seeds)
    except TypeError:
        raise TypeError(f"{where}: expected seeds as an iterable of ints, got {type(seeds).__name__}") from None
    for seed in seeds:
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{where}: expected every seed to be an int, got {type(seed).__name__} {seed!r}")
    if len(seeds) < 2:
        raise ValueError(f"{where}: expected at least 2 seeds (a standard deviation needs two runs), got {len(seeds)}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{where}: expected distinct seeds (a repeated seed repeats the same run), got {list(seeds)}")
    return tuple(int(seed) for seed in seeds)


def _check_value(value, seed: int, shape) -> np.ndarray:
    """One run's result as a finite float array of the same shape as the first run's."""
    where = f"over_seeds: fn(seed={seed})"
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged lists
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{where}: expected a number or an array of numbers, got {type(value).__name__}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{where}: expected a result of shape {shape} like the first seed's, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: expected finite values, got {arr.tolist()!r}")
    return arr.astype(np.float64)


def over_seeds(fn, seeds=range(5)) -> SeedResult:
    """Run ``fn(seed)`` for every seed and summarize the results by mean and standard deviation.

    Parameters
    ----------
    fn : callable
        ``fn(seed) -> float`` or ``-> array_like of shape (...)``: one complete experiment
        (build, train, evaluate) whose every random choice comes from ``seed``.
    seeds : iterable of int, default range(5)
        At least two distinct seeds.

    Returns
    -------
    SeedResult
        ``values`` of shape ``(n_seeds, ...)``, ``mean`` and ``std`` (``ddof=1``) over seeds;
        scalars (Python floats) when ``fn`` returns one number.

    Raises
    ------
    TypeError
        If ``fn`` is not callable, a seed is not an int, or ``fn`` returns something
        other than numbers.
    ValueError
        If fewer than two or repeated seeds are given, or a run returns a non-finite value or
        a shape different from the first run's.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.experiments import over_seeds
    >>> def noisy_accuracy(seed):  # a stand-in for "train with this seed, return test accuracy"
    ...     return 0.9 + 0.02 * np.random.default_rng(seed).normal()
    >>> result = over_seeds(noisy_accuracy, seeds=range(5))
    >>> result.values.shape
    (5,)
    >>> print(result)
    0.908 ± 0.0198 (mean ± sd over 5 seeds)
    >>> round(result.mean, 3), round(result.std, 3)
    (0.908, 0.02)
    """
    if not callable(fn):
        raise TypeError(f"over_seeds: expected fn to be a callable fn(seed), got {type(fn).__name__}")
    seeds = _check_seeds(seeds)
    values, shape = [], None
    for seed in seeds:
        values.append(_check_value(fn(seed), seed, shape))
        shape = values[0].shape
    values = np.stack(values)
    mean, std = values.mean(axis=0), values.std(axis=0, ddof=1)
    if values.ndim == 1:  # one number per run: plain floats print and compare simply
        mean, std = float(mean), float(std)
    return SeedResult(seeds=seeds, values=values, mean=mean, std=std)
