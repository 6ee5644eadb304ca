"""Dropout on a network: the units one training step drops, and the factor the kept ones are scaled by."""
from __future__ import annotations

import numpy as np

from ._style import COLORS, as_vector, find, fmt, new_axes, run_forward
from .network import draw_network, shown_units

__all__ = ["dropout_masks", "draw_dropout"]


def _layers(model, where):
    """The layers of a Sequential or a list, checked: Dense and Dropout only, at least one Dropout."""
    from ..layers import Dense, Dropout

    layers = getattr(model, "layers", model)
    if not hasattr(layers, "__iter__"):
        raise TypeError(f"{where}: expected a Sequential or a list of Dense and Dropout layers, "
                        f"got {type(model).__name__}")
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, (Dense, Dropout)):
            raise ValueError(f"{where}: expected Dense and Dropout layers only, got {type(layer).__name__} "
                             f"at position {i}")
    if not any(isinstance(layer, Dropout) for layer in layers):
        raise ValueError(f"{where}: expected at least one Dropout layer, got none among {len(layers)} layers")
    if not isinstance(layers[0], Dense):
        raise ValueError(f"{where}: expected a Dense layer first, got {type(layers[0]).__name__}")
    return layers


def dropout_masks(model, x):
    """The masks the next training forward pass of ``model`` on ``x`` would draw, without disturbing it.

    Each Dropout layer's random generator and every layer's cache are restored afterwards, so
    the following training step draws exactly these masks.

    Parameters
    ----------
    model : Sequential or list of layers
        Dense and Dropout layers, a Dense layer first.
    x : array of shape (n_in,)
        One example.

    Returns
    -------
    dict
        ``{column: mask}``: the mask (shape ``(width,)``, entries 0 or :math:`1/(1-r)`) of the Dropout
        layer that acts on the units of network column ``column`` (column 1 is the first hidden layer).

    Examples
    --------
    >>> from dlcourse.layers import Dense, Dropout
    >>> masks = dropout_masks([Dense(3, 4, "relu", seed=0), Dropout(0.5, seed=1), Dense(4, 2, seed=2)], [1, 2, 3])
    >>> sorted(masks), sorted(set(masks[1].tolist())) in ([0.0, 2.0], [0.0], [2.0])
    ([1], True)
    """
    from ..layers import Dense

    where = "dropout_masks"
    layers = _layers(model, where)
    a = as_vector(x, where, "x")
    if len(a) != layers[0].n_in:
        raise ValueError(f"{where}: expected x of shape ({layers[0].n_in},), got shape {a.shape}")
    a, column, masks = a[None].astype(layers[0].dtype), 0, {}
    for layer in layers:
        if isinstance(layer, Dense):
            a, column = run_forward(layer, a), column + 1
            continue
        state, saved = layer._rng.bit_generator.state, layer._cache
        try:
            a = layer.forward(a, training=True)
            mask = layer._cache[1]
            masks[column] = (np.ones(a.shape[1]) if mask is None else mask[0]).astype(np.float64)
        finally:
            layer._rng.bit_generator.state, layer._cache = state, saved
    return masks


def draw_dropout(model, x, max_units=8, ax=None):
    r"""Draw a network with the units one training step of dropout removes crossed out.

    Parameters
    ----------
    model : Sequential or list of layers
        Dense and Dropout layers (a Dense layer first); drawn with :func:`draw_network`.
    x : array of shape (n_in,)
        One example; the masks are those :func:`dropout_masks` returns for it.
    max_units : int, default 8
        Wider columns show their first ``max_units - 1`` units and the last.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        On top of :func:`draw_network`'s artists: ``dropped-l-i`` (a cross on unit i of column l),
        ``scale-l-i`` (text ":math:`\times` 1/(1-r)" next to a kept unit), ``rate-l`` (the column's rate).
        The edges leaving a dropped unit are grey and faint.

    Examples
    --------
    >>> from dlcourse.layers import Dense, Dropout
    >>> layers = [Dense(3, 4, "relu", seed=0), Dropout(0.5, seed=1), Dense(4, 2, seed=2)]
    >>> fig = draw_dropout(layers, [1.0, 2.0, 3.0])
    >>> n_dropped = len([a for a in fig.findobj() if (a.get_gid() or "").startswith("dropped-1-")])
    >>> n_dropped == int((dropout_masks(layers, [1.0, 2.0, 3.0])[1] == 0).sum())
    True
    """
    from .._checks import check_positive_int

    where = "draw_dropout"
    max_units = check_positive_int(max_units, where, "max_units", minimum=3)
    layers = _layers(model, where)
    masks = dropout_masks(layers, x)
    rates, column = {}, 0
    for layer in layers:
        if hasattr(layer, "units"):
            column += 1
        else:
            rates[column] = layer.rate
    fig, ax = new_axes(ax, (1.7 * (column + 1) + 0.6, 0.4 * max_units + 1.2), where)
    draw_network(layers, max_units=max_units, ax=ax)
    for l, mask in masks.items():
        for i in shown_units(len(mask), max_units):
            cx, cy = find(ax, f"unit-{l}-{i}")[0].center
            if mask[i] == 0:
                ax.plot([cx - 0.2, cx + 0.2], [cy - 0.2, cy + 0.2], color=COLORS["negative"], linewidth=2,
                        gid=f"dropped-{l}-{i}", zorder=4)
                ax.plot([cx - 0.2, cx + 0.2], [cy + 0.2, cy - 0.2], color=COLORS["negative"], linewidth=2, zorder=4)
                for edge in ax.findobj(lambda a: (a.get_gid() or "").startswith(f"edge-{l}-{i}-")):
                    edge.set_color(COLORS["pad"])
                    edge.set_alpha(0.5)
            else:
                ax.text(cx + 0.28, cy - 0.05, f"\u00d7{fmt(mask[i])}", fontsize=7, va="center",
                        color=COLORS["positive"], gid=f"scale-{l}-{i}", zorder=4,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.85})
        bottom = min(find(ax, f"unit-{l}-{i}")[0].center[1] for i in shown_units(len(mask), max_units))
        ax.text(2.2 * l, bottom - 0.55, f"r = {rates[l]:g}", ha="center", va="top", fontsize=8,
                color=COLORS["negative"], gid=f"rate-{l}")
    y0, y1 = ax.get_ylim()
    ax.set_ylim(y0 - 0.6, y1 + 0.9)  # room for the rates below and the two-line titles above
    return fig
