"""The loss as the last node of a graph: logits, softmax, cross-entropy, and the gradient sent back."""
from __future__ import annotations

import numpy as np

from ._style import COLORS, arrow, as_vector, box, finish, fmt, new_axes

__all__ = ["draw_softmax_cross_entropy"]


def draw_softmax_cross_entropy(logits, label, ax=None):
    r"""Draw :math:`z \to p = \operatorname{softmax}(z) \to \ell = -\log p_y` for one example, with its numbers.

    The probabilities come from ``dlcourse.activations.softmax``, the loss from
    ``dlcourse.losses.CategoricalCrossentropy(from_logits=True)`` and the gradient
    :math:`\partial \ell / \partial z_k = p_k - y_k` from that loss's ``gradient``, so every number drawn is
    one the library computes.

    Parameters
    ----------
    logits : array of shape (K,)
        The logits :math:`z_1, \dots, z_K` of one example, K >= 2.
    label : int
        The true class :math:`c`, 0 <= c < K; classes are numbered from 0, as in code.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Artists' gids: ``logit-k`` (text ``logit-k-text``), ``softmax``, ``prob-k`` (text ``prob-k-text``;
        the true class is highlighted), ``loss`` (text ``loss-text``), ``grad-k`` (the text
        :math:`p_k - y_k` under logit k) and the edges ``edge-logit-k``, ``edge-prob-k``, ``edge-loss``.

    Examples
    --------
    >>> from dlcourse.diagrams.loss import draw_softmax_cross_entropy
    >>> from dlcourse.diagrams import texts
    >>> fig = draw_softmax_cross_entropy([2.0, 0.0, -1.0], label=0)
    >>> texts(fig, "loss-text")
    {'loss-text': '$\\ell = -\\log p_c$, $c$ = 0\n= 0.17'}
    """
    from .. import activations, losses

    where = "draw_softmax_cross_entropy"
    z = as_vector(logits, where, "logits")
    if len(z) < 2:
        raise ValueError(f"{where}: expected at least 2 logits, got {len(z)}")
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise TypeError(f"{where}: expected label as an int class index, got {type(label).__name__}")
    if not 0 <= label < len(z):
        raise ValueError(f"{where}: expected label in 0..{len(z) - 1}, got {label}")
    y = np.zeros((1, len(z)))
    y[0, label] = 1.0
    p = activations.softmax(z[None])[0]
    cce = losses.CategoricalCrossentropy(from_logits=True)
    loss = float(cce(y, z[None]))
    grad = cce.gradient(y, z[None])[0]          # the batch mean over B = 1 example: p - y
    fig, ax = new_axes(ax, (8, 1.0 + 0.75 * len(z)), where)
    ys = [(len(z) - 1) / 2 - k for k in range(len(z))]
    for k, yk in enumerate(ys):
        box(ax, (0, yk), f"$z_{{{k}}}$ = {fmt(z[k])}", f"logit-{k}", COLORS["input"], width=1.4)
        ax.text(0, yk - 0.42, f"$p_{{{k}}} - y_{{{k}}}$ = {fmt(grad[k])}", ha="center", va="center", fontsize=7,
                color=COLORS["grad"], gid=f"grad-{k}")
        arrow(ax, (0.7, yk), (2.3, 0), f"edge-logit-{k}")
        color = COLORS["highlight"] if k == label else COLORS["unit"]
        box(ax, (4.6, yk), f"$p_{{{k}}}$ = {fmt(p[k])}", f"prob-{k}", color, width=1.4)
        arrow(ax, (3.3, 0), (3.9, yk), f"edge-prob-{k}")
    box(ax, (2.8, 0), "softmax", "softmax", COLORS["op"], width=1.0)
    arrow(ax, (5.3, ys[label]), (6.6, 0), "edge-loss", color=COLORS["highlight"], linewidth=1.5)
    box(ax, (7.6, 0), f"$\\ell = -\\log p_c$, $c$ = {label}\n= {fmt(loss)}", "loss", COLORS["output"], width=2.1,
        height=0.9)
    ax.text(2.8, ys[-1] - 0.75, r"backward: $\partial \ell / \partial z_k = p_k - y_k$ (red, under each logit)",
            ha="center", fontsize=7, color=COLORS["grad"], gid="grad-legend")
    finish(ax)
    return fig
