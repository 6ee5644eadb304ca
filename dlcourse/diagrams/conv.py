"""Convolution and pooling on one channel: padding, kernel, stride, the window and the cell it produces."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from .._checks import as_float_array, check_finite
from ._style import COLORS, cell, finish, fmt, new_axes, run_forward

__all__ = ["draw_conv", "draw_pool"]


def _image(x, where: str) -> np.ndarray:
    """One single-channel image ``(height, width)`` as a finite float array."""
    x = as_float_array(x, where)
    if x.ndim != 2:
        raise ValueError(f"{where}: expected one single-channel image of shape (height, width), got shape {x.shape}")
    check_finite(x, where)
    return x


def _position(position, ho: int, wo: int, where: str) -> tuple[int, int]:
    try:
        i, j = (int(p) for p in position)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected position as a pair (row, col) of ints, got {position!r}") from None
    if not (0 <= i < ho and 0 <= j < wo):
        raise ValueError(f"{where}: expected position inside the {ho}x{wo} output, got {(i, j)}")
    return i, j


def _pads(layer, h: int, w: int, size) -> tuple:
    """``((top, bottom), (left, right))``: TensorFlow's "same" padding, or none for "valid"."""
    from ..layers.conv import same_padding

    if layer.padding == "valid":
        return (0, 0), (0, 0)
    return same_padding(h, size[0], layer.strides[0]), same_padding(w, size[1], layer.strides[1])


def _grid(ax, values, origin, prefix, color="white", highlight=None):
    """Draw a matrix as cells ``prefix-r-c`` (row 0 on top), NaN as an empty cell; ``highlight`` = (row, col)
    becomes the cell ``output-cell`` instead."""
    for (r, c), v in np.ndenumerate(values):
        gid, fill = ("output-cell", COLORS["highlight"]) if (r, c) == highlight else (f"{prefix}-{r}-{c}", color)
        cell(ax, r, c, origin, None if np.isnan(v) else fmt(v), gid, fill)


def _padded_input(ax, x, pads, origin, window, size):
    """The input with its padding cells shaded and the window at (row, col) of the padded grid outlined."""
    (top, bottom), (left, right) = pads
    h, w = x.shape
    padded = np.zeros((h + top + bottom, w + left + right))
    for (r, c), _ in np.ndenumerate(padded):
        if top <= r < top + h and left <= c < left + w:
            cell(ax, r, c, origin, fmt(x[r - top, c - left]), f"input-{r - top}-{c - left}")
        else:
            cell(ax, r, c, origin, "0", f"pad-{r}-{c}", COLORS["pad"])
    r0, c0 = window
    ax.add_patch(Rectangle((origin[0] + c0, origin[1] - r0 - size[0]), size[1], size[0], fill=False,
                           edgecolor=COLORS["highlight"], linewidth=3, gid="window", zorder=4))
    return padded.shape


def draw_conv(x, layer, position=(0, 0), filter=0, filled=None, ax=None):
    """Draw one step of a convolution: the window at output ``position`` and the value it produces.

    Parameters
    ----------
    x : array of shape (height, width)
        One single-channel image.
    layer : dlcourse.layers.Conv2D
        With ``c_in == 1``; its kernel, bias, strides and padding are drawn and used.
    position : (int, int)
        The output cell to explain.
    filter : int, default 0
        Which output channel (kernel ``kernel[:, :, 0, filter]``).
    filled : int, optional
        Show only the first ``filled`` output cells in row-major order (the animation fills them
        in one by one); default all.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``input-r-c`` / ``pad-r-c`` (padded grid), ``window``, ``kernel-r-c``, ``out-r-c``,
        ``output-cell`` (its text ``output-cell-text`` is ``layer.forward`` at ``position``).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.layers import Conv2D
    >>> from dlcourse.diagrams import draw_conv, texts
    >>> conv = Conv2D(1, 1, 3, padding="same", seed=0)
    >>> fig = draw_conv(np.arange(16.0).reshape(4, 4), conv, position=(1, 2))
    >>> out = conv.forward(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> texts(fig, "output-cell-text")["output-cell-text"] == f"{out[0, 1, 2, 0]:.2f}"
    True
    """
    from ..layers import Conv2D

    where = "draw_conv"
    if not isinstance(layer, Conv2D):
        raise TypeError(f"{where}: expected a dlcourse Conv2D layer, got {type(layer).__name__}")
    if layer.c_in != 1:
        raise ValueError(f"{where}: expected a Conv2D with c_in=1 (one input channel to draw), got c_in={layer.c_in}")
    if not isinstance(filter, (int, np.integer)) or not 0 <= filter < layer.filters:
        raise ValueError(f"{where}: expected filter in 0..{layer.filters - 1}, got {filter!r}")
    x = _image(x, where)
    out = run_forward(layer, x[None, :, :, None])[0, :, :, filter]
    i, j = _position(position, *out.shape, where)
    fig, ax = new_axes(ax, (10, 4), where)
    draw_conv_on(ax, x, layer, out, (i, j), filter, out.size if filled is None else filled)
    finish(ax)
    return fig


def draw_conv_on(ax, x, layer, out, position, filter, filled):
    """The drawing of :func:`draw_conv` on ``ax`` for already validated inputs (the animation's frames)."""
    (i, j), (sh, sw), kh = position, layer.strides, layer.kernel_size[0]
    pads = _pads(layer, *x.shape, layer.kernel_size)
    hp, wp = _padded_input(ax, x, pads, (0, 0), (i * sh, j * sw), layer.kernel_size)
    ax.text(wp / 2, 0.3, f"input x with padding '{layer.padding}'", ha="center", fontsize=9, gid="title-input")
    k0 = wp + 1.5
    _grid(ax, layer.params["kernel"][:, :, 0, filter], (k0, -(hp - kh) / 2), "kernel", COLORS["unit"])
    bias = layer.params["bias"][filter] if layer.use_bias else 0.0
    ax.text(k0 + layer.kernel_size[1] / 2, -(hp - kh) / 2 + 0.3, f"kernel, stride {layer.strides}\nbias {fmt(bias)}",
            ha="center", fontsize=9, gid="title-kernel")
    o0 = k0 + layer.kernel_size[1] + 1.5
    origin = (o0, -(hp - out.shape[0]) / 2)
    shown = np.where(np.arange(out.size).reshape(out.shape) < filled, out, np.nan)
    shown[i, j] = out[i, j]
    _grid(ax, shown, origin, "out", COLORS["output"], highlight=(i, j))
    ax.text(o0 + out.shape[1] / 2, origin[1] + 0.3, f"output y[{i}, {j}] = {fmt(out[i, j])}", ha="center",
            fontsize=9, gid="title-output")


def draw_pool(x, layer, position=(0, 0), ax=None):
    """Draw one pooling window, its output and where the gradient of that output goes.

    The routing comes from the layer's own ``backward`` with an upstream gradient of 1 at
    ``position``: max pooling routes it all to the window's maximum, average pooling spreads
    ``1 / (window size)`` over the window.

    Parameters
    ----------
    x : array of shape (height, width)
    layer : dlcourse.layers.MaxPool2D or AveragePool2D
    position : (int, int)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``input-r-c``, ``window``, ``route-r-c`` (the input cells that receive gradient; text
        ``route-r-c-text`` is the share), ``out-r-c``, ``output-cell``.
    """
    from ..layers import AveragePool2D, MaxPool2D

    where = "draw_pool"
    if not isinstance(layer, (MaxPool2D, AveragePool2D)):
        raise TypeError(f"{where}: expected a dlcourse MaxPool2D or AveragePool2D, got {type(layer).__name__}")
    x = _image(x, where)
    saved = layer._cache
    try:
        out = layer.forward(x[None, :, :, None])
        i, j = _position(position, out.shape[1], out.shape[2], where)
        upstream = np.zeros_like(out)
        upstream[0, i, j, 0] = 1.0
        dx = layer.backward(upstream)[0, :, :, 0]
    finally:
        layer._cache = saved
    out = out[0, :, :, 0]
    fig, ax = new_axes(ax, (9, 4), where)
    pads = _pads(layer, *x.shape, layer.pool_size)
    hp, wp = _padded_input(ax, x, pads, (0, 0), (i * layer.strides[0], j * layer.strides[1]), layer.pool_size)
    (top, _), (left, _) = pads
    for (r, c), share in np.ndenumerate(dx):
        if share != 0:  # this input cell receives share x (the output's gradient)
            rect = cell(ax, r + top, c + left, (0, 0), None, f"route-{r}-{c}", COLORS["grad"])
            rect.set_alpha(0.35)
            ax.text(c + left + 0.95, -(r + top) - 0.95, f"grad {share:.2g}", ha="right", va="bottom", fontsize=7,
                    color=COLORS["grad"], gid=f"route-{r}-{c}-text", zorder=3)
    kind = "max" if isinstance(layer, MaxPool2D) else "average"
    ax.text(wp / 2, 0.3, f"input, {kind} pooling {layer.pool_size}, stride {layer.strides}", ha="center",
            fontsize=9, gid="title-input")
    origin = (wp + 2, -(hp - out.shape[0]) / 2)
    _grid(ax, out, origin, "out", COLORS["output"], highlight=(i, j))
    ax.text(origin[0] + out.shape[1] / 2, origin[1] + 0.3, f"output y[{i}, {j}] = {fmt(out[i, j])}",
            ha="center", fontsize=9, gid="title-output")
    finish(ax)
    return fig
