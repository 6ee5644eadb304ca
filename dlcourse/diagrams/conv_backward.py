"""The convolution's input gradient as a picture: the flipped kernel sliding over the upstream gradient.

For one input channel and one filter, ``Conv2D.backward`` gives the gradient of the *padded* input
as a "full" convolution: spread the upstream gradient ``g`` onto a grid with ``s - 1`` zeros
between its entries (the stride), surround it with ``k - 1`` zeros, and slide the kernel flipped
in both directions over that grid. Each window gives one pixel of the padded input's gradient; the
padding's own rows and columns are then cropped away.
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from .._checks import as_float_array, check_finite
from ._style import COLORS, cell, finish, fmt, new_axes
from .conv import _image, _pads, _position

__all__ = ["draw_conv_backward", "full_grid"]


def full_grid(grad_out, kernel_size, strides, padded_hw) -> np.ndarray:
    """The upstream gradient dilated by the stride and padded so a "full" correlation gives ``padded_hw``.

    Parameters
    ----------
    grad_out : ndarray, shape (ho, wo)
        Upstream gradient of one output channel.
    kernel_size : (int, int)
    strides : (int, int)
    padded_hw : (int, int)
        Height and width of the padded input of the forward pass.

    Returns
    -------
    ndarray, shape (Hp + kh - 1, Wp + kw - 1)
        ``grad_out[i, j]`` at row ``kh - 1 + i*sh``, column ``kw - 1 + j*sw``; zeros elsewhere.

    Examples
    --------
    >>> full_grid(np.ones((2, 2)), (2, 2), (2, 2), (4, 4)).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 0, 1, 0],
           [0, 0, 0, 0, 0],
           [0, 1, 0, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    g = as_float_array(grad_out, "full_grid")
    if g.ndim != 2:
        raise ValueError(f"full_grid: expected grad_out of shape (ho, wo), got shape {g.shape}")
    (kh, kw), (sh, sw), (hp, wp) = kernel_size, strides, padded_hw
    ho, wo = g.shape
    if (ho - 1) * sh + kh > hp or (wo - 1) * sw + kw > wp:
        raise ValueError(f"full_grid: a {ho}x{wo} output with kernel {(kh, kw)} and stride {(sh, sw)} "
                         f"does not fit a padded input of {(hp, wp)}")
    grid = np.zeros((hp + kh - 1, wp + kw - 1), dtype=g.dtype)
    grid[kh - 1:kh - 1 + (ho - 1) * sh + 1:sh, kw - 1:kw - 1 + (wo - 1) * sw + 1:sw] = g
    return grid


def _input_gradient(layer, x, grad_out, where):
    """``layer.backward`` for one image and one upstream map, leaving the layer's cache and grads alone."""
    saved, grads = layer._cache, dict(layer.grads)
    try:
        out = layer.forward(x[None, :, :, None])
        if grad_out.shape != out.shape[1:3]:
            raise ValueError(f"{where}: expected grad_out of the output's shape {out.shape[1:3]}, got {grad_out.shape}")
        return layer.backward(grad_out[None, :, :, None].astype(layer.dtype))[0, :, :, 0]
    finally:
        layer._cache, layer.grads = saved, grads


def draw_conv_backward(x, layer, grad_out, position=(0, 0), ax=None):
    """Draw how one pixel of ``dL/dx`` comes from the upstream gradient and the flipped kernel.

    Parameters
    ----------
    x : array of shape (height, width)
        The single-channel input of the forward pass (only its shape matters to the gradient).
    layer : dlcourse.layers.Conv2D
        With ``c_in == 1`` and one filter; its kernel, strides and padding are used.
    grad_out : array of shape (ho, wo)
        The upstream gradient ``dL/dy``.
    position : (int, int)
        The input pixel whose gradient is explained.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``grad-r-c`` (upstream entries on the full grid), ``zero-r-c`` (its inserted and
        padded zeros), ``window``, ``flipped-r-c`` (the kernel flipped), ``dx-r-c`` and
        ``output-cell`` (text ``output-cell-text`` is ``layer.backward``'s ``dL/dx`` at ``position``).

    Examples
    --------
    >>> from dlcourse.layers import Conv2D
    >>> from dlcourse.diagrams import texts
    >>> conv = Conv2D(1, 1, 2, seed=0)
    >>> fig = draw_conv_backward(np.zeros((3, 3)), conv, np.ones((2, 2)), position=(1, 1))
    >>> texts(fig, "output-cell-text")["output-cell-text"] == f"{conv.params['kernel'].sum():.2f}"
    True
    """
    where = "draw_conv_backward"
    x, g = _checked(x, layer, grad_out, where)
    dx = _input_gradient(layer, x, g, where)
    r, c = _position(position, *x.shape, where)
    (top, bottom), (left, right) = _pads(layer, *x.shape, layer.kernel_size)
    (kh, kw), hg = layer.kernel_size, x.shape[0] + top + bottom + layer.kernel_size[0] - 1
    grid = full_grid(g, layer.kernel_size, layer.strides, (x.shape[0] + top + bottom, x.shape[1] + left + right))
    fig, ax = new_axes(ax, (11, 4.5), where)
    _draw_full_grid(ax, g, grid, layer)
    ax.add_patch(Rectangle((c + left, -(r + top) - kh), kw, kh, fill=False, edgecolor=COLORS["highlight"],
                           linewidth=3, gid="window", zorder=4))
    ax.text(grid.shape[1] / 2, 0.3, f"upstream gradient, stride {layer.strides}, full padding", ha="center",
            fontsize=9, gid="title-grad")
    k0 = grid.shape[1] + 1.5
    for (i, j), v in np.ndenumerate(layer.params["kernel"][::-1, ::-1, 0, 0]):
        cell(ax, i, j, (k0, -(hg - kh) / 2), fmt(v), f"flipped-{i}-{j}", COLORS["unit"])
    ax.text(k0 + kw / 2, -(hg - kh) / 2 + 0.3, "kernel flipped", ha="center", fontsize=9, gid="title-kernel")
    origin = (k0 + kw + 1.5, -(hg - x.shape[0]) / 2)
    for (i, j), v in np.ndenumerate(dx):
        gid, fill = ("output-cell", COLORS["highlight"]) if (i, j) == (r, c) else (f"dx-{i}-{j}", COLORS["output"])
        cell(ax, i, j, origin, fmt(v), gid, fill)
    ax.text(origin[0] + x.shape[1] / 2, origin[1] + 0.3, f"dL/dx[{r}, {c}] = {fmt(dx[r, c])}", ha="center",
            fontsize=9, gid="title-dx")
    finish(ax)
    return fig


def _checked(x, layer, grad_out, where):
    """``(x, grad_out)`` as finite 2-D float arrays for a one-channel, one-filter Conv2D, or a clear error."""
    from ..layers import Conv2D

    if not isinstance(layer, Conv2D):
        raise TypeError(f"{where}: expected a dlcourse Conv2D layer, got {type(layer).__name__}")
    if layer.c_in != 1 or layer.filters != 1:
        raise ValueError(f"{where}: expected a Conv2D with one input channel and one filter, "
                         f"got c_in={layer.c_in}, filters={layer.filters}")
    g = as_float_array(grad_out, where)
    check_finite(g, where)
    if g.ndim != 2:
        raise ValueError(f"{where}: expected grad_out of shape (ho, wo), got shape {g.shape}")
    return _image(x, where), g


def _draw_full_grid(ax, g, grid, layer):
    """The full grid: upstream entries white with their value, inserted and padded zeros gray."""
    (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
    for (r, c), v in np.ndenumerate(grid):
        i, j = (r - kh + 1) / sh, (c - kw + 1) / sw
        if i.is_integer() and j.is_integer() and 0 <= i < g.shape[0] and 0 <= j < g.shape[1]:
            cell(ax, r, c, (0, 0), fmt(v), f"grad-{int(i)}-{int(j)}")
        else:
            cell(ax, r, c, (0, 0), "0", f"zero-{r}-{c}", COLORS["pad"])
