"""One neuron: inputs, weights, bias, weighted sum, activation, output."""
from __future__ import annotations

import numpy as np

from .. import activations
from ._style import COLORS, arrow, as_vector, box, finish, fmt, new_axes, run_forward

__all__ = ["draw_neuron"]


def _neuron_numbers(x, w, b, activation, layer, unit, where):
    """Return ``(x, w, b, activation name, z, a)``: arrays given directly, or unit ``unit`` of a Dense layer."""
    if layer is not None:
        from ..layers import Dense

        if not isinstance(layer, Dense):
            raise TypeError(f"{where}: expected layer to be a dlcourse Dense layer, got {type(layer).__name__}")
        if not 0 <= unit < layer.units:
            raise ValueError(f"{where}: expected unit in 0..{layer.units - 1}, got {unit}")
        w = layer.params["kernel"][:, unit]
        b = layer.params["bias"][unit] if layer.use_bias else 0.0
        activation = layer.activation
    x, w = as_vector(x, where, "x"), as_vector(w, where, "w")
    if x.shape != w.shape:
        raise ValueError(f"{where}: expected x and w of the same length, got shapes {x.shape} and {w.shape}")
    b = float(np.asarray(b))
    act = activations.get(activation)
    z = float(x @ w + b)
    if layer is None:
        a = float(act.forward(np.array([z]))[0])
    else:  # the layer's own forward pass (softmax, for one, depends on the other units too)
        a = float(run_forward(layer, x[None])[0, unit])
    return x, w, b, act.name, z, a


def draw_neuron(x, w=None, b=0.0, activation=None, layer=None, unit=0, ax=None):
    r"""Draw one neuron :math:`a = f(\sum_i w_i x_i + b)` with its numbers.

    Parameters
    ----------
    x : array of shape (n,)
        The inputs :math:`x_1, \dots, x_n`.
    w : array of shape (n,), optional
        The weights; omit when ``layer`` is given.
    b : float, default 0.0
        The bias; omit when ``layer`` is given.
    activation : str or None
        Name understood by ``dlcourse.activations.get`` (None is linear).
    layer : dlcourse.layers.Dense, optional
        Draw unit ``unit`` of this layer: weights ``kernel[:, unit]``, bias ``bias[unit]`` and the
        layer's activation, so the picture shows the numbers the layer computes with.
    unit : int, default 0
    ax : matplotlib Axes, optional
        Draw here; otherwise a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        Artists' gids: ``input-i``, ``weight-i`` (edge, with label ``weight-i-label``), ``bias``, ``sum``
        (text ``sum-text`` ends with z), ``activation``, ``output`` (text ``output-text`` ends with a).

    Examples
    --------
    >>> from dlcourse.diagrams import draw_neuron, texts
    >>> fig = draw_neuron([0.5, -1.0, 2.0], [0.2, 0.4, -0.1], b=0.3, activation="relu")
    >>> texts(fig, "output-text")
    {'output-text': 'a = 0.00'}
    """
    where = "draw_neuron"
    if layer is None and w is None:
        raise TypeError(f"{where}: expected the weights w (or a Dense layer), got neither")
    x, w, b, name, z, a = _neuron_numbers(x, w, b, activation, layer, unit, where)
    fig, ax = new_axes(ax, (7, 1.2 + 0.7 * len(x)), where)
    n = len(x)
    ys = [(n - 1) / 2 - i for i in range(n)]
    for i, (xi, wi, y) in enumerate(zip(x, w, ys)):
        box(ax, (0, y), f"$x_{{{i + 1}}}$ = {fmt(xi)}", f"input-{i}", COLORS["input"], width=1.5)
        color = COLORS["positive"] if wi >= 0 else COLORS["negative"]
        arrow(ax, (0.75, y), (3.1, 0), f"weight-{i}", color=color, label=f"$w_{{{i + 1}}}$ = {fmt(wi)}")
    by = -(n + 1) / 2
    box(ax, (3.6, by), f"$b$ = {fmt(b)}", "bias", COLORS["input"], width=1.1)
    arrow(ax, (3.6, by + 0.3), (3.6, -0.3), "bias-edge")
    box(ax, (3.6, 0), f"$\\Sigma$\nz = {fmt(z)}", "sum", COLORS["unit"], width=1.0, height=0.8)
    arrow(ax, (4.1, 0), (5.0, 0), "sum-edge")
    box(ax, (5.6, 0), f"f = {name}", "activation", COLORS["unit"], width=1.2)
    arrow(ax, (6.2, 0), (7.0, 0), "activation-edge")
    box(ax, (7.7, 0), f"a = {fmt(a)}", "output", COLORS["output"], width=1.3)
    finish(ax)
    return fig
