"""Shared look and helpers for every diagram: one palette, one way to draw a box, an arrow, a number.

Every drawn element carries a ``gid`` (``artist.get_gid()``) naming what it stands for
(``"unit-1-3"``, ``"window"``, ``"output-cell"``), so a test can find the artist that shows
a given number and compare it with the object the diagram was drawn from.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from .._checks import as_float_array, check_finite

__all__ = ["COLORS", "new_axes", "box", "arrow", "cell", "fmt", "find", "texts", "finish", "as_vector", "run_forward"]

COLORS = {
    "input": "#dbe9f6", "unit": "#fde7c8", "output": "#d9f0d3", "op": "#eeeeee",
    "positive": "#2b6cb0", "negative": "#c53030", "highlight": "#f6ad55", "pad": "#e2e2e2",
    "grad": "#c53030", "value": "#1a202c", "edge": "#4a5568",
}


def new_axes(ax, figsize, where: str):
    """Return ``(figure, axes)``: the given Axes and its figure, or a fresh figure of ``figsize``.

    Diagrams are drawn in data units with equal aspect and no ticks.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    elif not isinstance(ax, Axes):
        raise TypeError(f"{where}: expected ax to be a matplotlib Axes or None, got {type(ax).__name__}")
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax.figure, ax


def box(ax, xy, text, gid, color=COLORS["op"], width=1.0, height=0.6, fontsize=9, rounded=True):
    """A labeled box centered at ``xy``; returns the patch (gid ``gid``) and its text (gid ``gid + '-text'``)."""
    x, y = xy
    style = "round,pad=0.02,rounding_size=0.12" if rounded else "square,pad=0.0"
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                           facecolor=color, edgecolor=COLORS["edge"], linewidth=1.0, gid=gid, zorder=2)
    ax.add_patch(patch)
    label = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, gid=f"{gid}-text", zorder=3)
    return patch, label


def arrow(ax, start, end, gid, color=COLORS["edge"], linewidth=1.0, label=None, label_color=None):
    """An arrow from ``start`` to ``end`` with an optional label at its middle (gid ``gid + '-label'``)."""
    patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color=color,
                            linewidth=linewidth, shrinkA=2, shrinkB=2, gid=gid, zorder=1)
    ax.add_patch(patch)
    if label is not None:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        ax.text(mx, my + 0.12, label, ha="center", va="bottom", fontsize=8, color=label_color or color,
                gid=f"{gid}-label", zorder=3)
    return patch


def cell(ax, row, col, origin, text, gid, color="white", size=1.0, fontsize=8):
    """One square of a grid drawn with row 0 on top; ``origin`` is the grid's top-left corner."""
    x0, y0 = origin
    rect = Rectangle((x0 + col * size, y0 - (row + 1) * size), size, size, facecolor=color,
                     edgecolor=COLORS["edge"], linewidth=0.6, gid=gid, zorder=1)
    ax.add_patch(rect)
    if text is not None:
        ax.text(x0 + (col + 0.5) * size, y0 - (row + 0.5) * size, text, ha="center", va="center",
                fontsize=fontsize, gid=f"{gid}-text", zorder=3)
    return rect


def fmt(value) -> str:
    """A number as the diagrams print it: two decimals."""
    return f"{float(value):.2f}"


def find(artist, gid: str):
    """The artists inside ``artist`` (a Figure, or one Axes of it) whose gid is ``gid``."""
    return [a for a in artist.findobj() if a.get_gid() == gid]


def texts(artist, prefix: str) -> dict:
    """``{gid: text}`` for every Text inside ``artist`` (a Figure or an Axes) whose gid starts with ``prefix``."""
    return {a.get_gid(): a.get_text() for a in artist.findobj(matplotlib.text.Text)
            if (a.get_gid() or "").startswith(prefix)}


def finish(ax, pad=0.4):
    """Fit the view to everything drawn, with a margin."""
    ax.relim()
    ax.autoscale_view()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)


def as_vector(x, where: str, name: str) -> np.ndarray:
    """``x`` as a finite 1-D float64 array, or a clear error."""
    arr = as_float_array(x, where, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{where}: expected {name} as a 1-D array, got shape {arr.shape}")
    check_finite(arr, where)
    return arr


def run_forward(layer, x):
    """``layer.forward(x)`` without disturbing the layer: the cache its next ``backward`` needs is kept."""
    saved = layer._cache
    try:
        return layer.forward(x)
    finally:
        layer._cache = saved
