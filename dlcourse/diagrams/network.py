"""A fully connected network: layers as columns of units, edges drawn from the actual weights."""
from __future__ import annotations

import numpy as np

from ._style import COLORS, as_vector, finish, fmt, new_axes, run_forward

__all__ = ["draw_network", "shown_units"]


def shown_units(width: int, max_units: int) -> list[int]:
    """Which unit indices a column of ``width`` units shows: all, or the first ``max_units - 1`` and the last.

    >>> shown_units(4, 6), shown_units(64, 6)
    ([0, 1, 2, 3], [0, 1, 2, 3, 4, 63])
    """
    if width <= max_units:
        return list(range(width))
    return list(range(max_units - 1)) + [width - 1]


def _columns(model, where):
    """``(widths, dense layers, column titles)`` from a Sequential, a list of layers or a list of widths."""
    from ..layers import Activation, Dense, Dropout

    layers = getattr(model, "layers", model)
    if not hasattr(layers, "__iter__"):
        raise TypeError(f"{where}: expected a Sequential, a list of layers or a list of widths, "
                        f"got {type(model).__name__}")
    layers = list(layers)
    if layers and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in layers):
        if len(layers) < 2 or min(layers) < 1:
            raise ValueError(f"{where}: expected at least two widths >= 1, got {layers}")
        titles = ["input"] + [f"layer {i}" for i in range(1, len(layers))]
        return [int(n) for n in layers], [], titles
    dense = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            dense.append(layer)
        elif not isinstance(layer, (Activation, Dropout)):  # these keep the width
            raise ValueError(f"{where}: expected Dense layers (a fully connected network), "
                             f"got {type(layer).__name__} at position {i}")
    if not dense:
        raise ValueError(f"{where}: expected at least one Dense layer, got {len(layers)} layers and none Dense")
    titles = [f"input ({dense[0].n_in})"] + [f"Dense {d.units}\n{d.activation or 'linear'}" for d in dense]
    return [dense[0].n_in] + [d.units for d in dense], dense, titles


def _values(layers, x, where):
    """The activations of every column for one example ``x`` (input first), from the layers' forward passes."""
    a = as_vector(x, where, "x")
    if len(a) != layers[0].n_in:
        raise ValueError(f"{where}: expected x of shape ({layers[0].n_in},), got shape {a.shape}")
    values = [a]
    for layer in layers:
        values.append(run_forward(layer, values[-1][None].astype(layer.dtype))[0].astype(np.float64))
    return values


def draw_network(model, x=None, max_units=8, ax=None):
    """Draw a network as columns of units joined by its weights.

    Parameters
    ----------
    model : Sequential, list of layers, or list of ints
        Dense layers (Activation and Dropout layers are skipped: they keep the width), or just the
        widths ``[n_0, n_1, ..., n_L]``. With layers, each edge's width is proportional to
        ``|W[i, j]|`` (the largest in its layer is 3 points) and its color shows the sign.
    x : array of shape (n_0,), optional
        One example: every unit is annotated with its activation from the layers' forward passes.
    max_units : int, default 8
        Wider columns show their first ``max_units - 1`` units, a vertical ellipsis and the last unit.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Artists' gids: ``unit-l-i`` (column l, unit i), ``edge-l-i-j`` (weight ``W^l[i, j]``),
        ``ellipsis-l``, ``title-l`` and, with ``x``, ``value-l-i``.

    Examples
    --------
    >>> from dlcourse.diagrams import draw_network
    >>> fig = draw_network([3, 5, 2])
    >>> len([a for a in fig.findobj() if (a.get_gid() or "").startswith("unit-1-")])
    5
    """
    from .._checks import check_positive_int

    where = "draw_network"
    max_units = check_positive_int(max_units, where, "max_units", minimum=3)
    widths, layers, titles = _columns(model, where)
    if x is not None and not layers:
        raise ValueError(f"{where}: expected layers to compute the values of x, got only widths {widths}")
    values = _values(layers, x, where) if x is not None else None
    fig, ax = new_axes(ax, (1.7 * len(widths) + 0.6, 0.4 * min(max(widths), max_units) + 0.9), where)
    shown = [shown_units(n, max_units) for n in widths]
    ys = [{i: (len(s) - 1) / 2 - k for k, i in enumerate(s)} for s in shown]
    for l, layer in enumerate(layers):
        _edges(ax, layer.params["kernel"], l, ys[l], ys[l + 1])
    if not layers:
        for l in range(len(widths) - 1):
            _edges(ax, np.ones((widths[l], widths[l + 1])), l, ys[l], ys[l + 1], weighted=False)
    for l, col in enumerate(ys):
        _column(ax, l, col, widths[l], titles[l], None if values is None else values[l], len(widths))
    finish(ax)
    return fig


def _edges(ax, kernel, l, y_from, y_to, weighted=True):
    """One line per drawn pair of units, width |w| / max |w| of the layer times 3 points."""
    scale = float(np.max(np.abs(kernel))) or 1.0
    for i, yi in y_from.items():
        for j, yj in y_to.items():
            w = float(kernel[i, j])
            color = COLORS["edge"] if not weighted else COLORS["positive"] if w >= 0 else COLORS["negative"]
            width = 3.0 * abs(w) / scale if weighted else 0.6
            ax.plot([2.2 * l, 2.2 * (l + 1)], [yi, yj], color=color, linewidth=width, alpha=0.7,
                    gid=f"edge-{l}-{i}-{j}", zorder=0, solid_capstyle="butt")


def _column(ax, l, col, width, title, values, n_columns):
    """The units of column ``l`` as circles, the ellipsis of a wide column, the title and the values."""
    from matplotlib.patches import Circle

    color = COLORS["input"] if l == 0 else COLORS["output"] if l == n_columns - 1 else COLORS["unit"]
    for i, y in col.items():
        ax.add_patch(Circle((2.2 * l, y), 0.22, facecolor=color, edgecolor=COLORS["edge"], gid=f"unit-{l}-{i}",
                            zorder=2))
        if values is not None:
            ax.text(2.2 * l + 0.3, y + 0.12, fmt(values[i]), fontsize=7, gid=f"value-{l}-{i}", zorder=3,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})
    if len(col) < width:
        last = sorted(col.values())[0]
        ax.text(2.2 * l, last + 0.5, "\u22ee", ha="center", va="center", fontsize=12, gid=f"ellipsis-{l}")
    ax.text(2.2 * l, max(col.values()) + 0.6, title, ha="center", va="bottom", fontsize=8, gid=f"title-{l}")
