"""Data splits: train / validation / test, and k-fold cross-validation."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from ._style import COLORS, finish, new_axes

__all__ = ["draw_splits", "draw_kfold", "split_sizes"]

_PART_COLORS = {"train": COLORS["input"], "validation": COLORS["highlight"], "test": COLORS["output"]}


def split_sizes(n: int, validation: float, test: float) -> dict:
    """Samples per part, rounded as ``train_test_split`` rounds: ``test = round(n * test)`` first.

    >>> split_sizes(100, 0.2, 0.1)
    {'train': 70, 'validation': 20, 'test': 10}
    """
    from .._checks import check_positive_int

    where = "draw_splits"
    n = check_positive_int(n, where, "n")
    for name, f in (("validation", validation), ("test", test)):
        if isinstance(f, bool) or not isinstance(f, (int, float, np.floating)) or not 0 <= f < 1:
            raise ValueError(f"{where}: expected {name} as a fraction in [0, 1), got {f!r}")
    n_test = int(round(n * test))
    n_val = int(round(n * validation))
    if n - n_test - n_val < 1:
        raise ValueError(f"{where}: expected validation + test to leave training samples, got "
                         f"validation={validation}, test={test} of n={n}")
    return {"train": n - n_val - n_test, "validation": n_val, "test": n_test}


def draw_splits(n, validation=0.2, test=0.2, ax=None):
    """Draw one bar of ``n`` samples split into train, validation and test, widths proportional to sizes.

    Parameters
    ----------
    n : int
    validation, test : float
        Fractions of ``n``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids ``part-train``, ``part-validation``, ``part-test`` (rectangles of width = samples / n * 10),
        each with a text ``part-<name>-text``.
    """
    sizes = split_sizes(n, validation, test)
    fig, ax = new_axes(ax, (8, 1.4), "draw_splits")
    x = 0.0
    for name, size in sizes.items():
        width = 10 * size / n
        ax.add_patch(Rectangle((x, 0), width, 1, facecolor=_PART_COLORS[name], edgecolor=COLORS["edge"],
                               gid=f"part-{name}"))
        if size:
            ax.text(x + width / 2, 0.5, f"{name}\n{size}", ha="center", va="center", fontsize=8,
                    gid=f"part-{name}-text")
        x += width
    finish(ax, pad=0.2)
    return fig


def draw_kfold(n, k=5, ax=None):
    """Draw k-fold cross-validation: k rows, fold i is the validation part of row i.

    Fold sizes follow ``np.array_split`` (they differ by at most one sample).

    Parameters
    ----------
    n : int
        Samples.
    k : int, default 5
        Folds, 2 <= k <= n.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids ``fold-i-j`` (row i, fold j; ``facecolor`` is the validation color exactly when i == j).
    """
    from .._checks import check_positive_int

    where = "draw_kfold"
    n = check_positive_int(n, where, "n")
    k = check_positive_int(k, where, "k", minimum=2)
    if k > n:
        raise ValueError(f"{where}: expected k <= n = {n} (each fold needs a sample), got k={k}")
    sizes = [len(f) for f in np.array_split(np.arange(n), k)]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    fig, ax = new_axes(ax, (8, 0.45 * k + 0.8), where)
    for i in range(k):
        for j, (start, size) in enumerate(zip(starts, sizes)):
            part = "validation" if i == j else "train"
            ax.add_patch(Rectangle((10 * start / n, -1.2 * i), 10 * size / n, 1, facecolor=_PART_COLORS[part],
                                   edgecolor=COLORS["edge"], gid=f"fold-{i}-{j}"))
        ax.text(-0.2, -1.2 * i + 0.5, f"split {i + 1}", ha="right", va="center", fontsize=8, gid=f"row-{i}")
    finish(ax, pad=0.2)
    return fig
