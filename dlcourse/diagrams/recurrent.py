"""Recurrent layers: a SimpleRNN unrolled through time, and the gates of an LSTM or GRU cell."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_finite
from ._style import COLORS, arrow, box, finish, fmt, new_axes, run_forward

__all__ = ["draw_rnn_unrolled", "draw_gated_cell", "gate_names"]

# Keras' gate order inside the concatenated kernels (keras/src/layers/rnn/lstm.py, gru.py).
_GATES = {4: ("LSTM", ("i", "f", "c", "o")), 3: ("GRU", ("z", "r", "h"))}
_GATE_TITLES = {"i": "input gate", "f": "forget gate", "c": "candidate", "o": "output gate",
                "z": "update gate", "r": "reset gate", "h": "candidate"}
_GATE_ACT = {"i": "sigmoid", "f": "sigmoid", "c": "tanh", "o": "sigmoid", "z": "sigmoid", "r": "sigmoid",
             "h": "tanh"}


def _vector_text(v) -> str:
    """A state as the diagram prints it: every entry for short vectors, the norm for long ones."""
    if v.size <= 3:
        return "[" + ", ".join(fmt(e) for e in v) + "]"
    return f"|h| = {np.linalg.norm(v):.3f}"


def draw_rnn_unrolled(layer, x, ax=None):
    r"""Draw a SimpleRNN unrolled over the time steps of one sequence, with every hidden state.

    :math:`h_t = \tanh(x_t W + h_{t-1} U + b)`, :math:`h_0 = 0`; the states come from the
    layer's own forward pass on each prefix ``x[:t]``.

    Parameters
    ----------
    layer : dlcourse.layers.SimpleRNN
    x : array of shape (time, n_in)
        One sequence.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``input-t``, ``cell-t``, ``state-t`` (text ``state-t-text`` shows :math:`h_t`) and
        ``recurrent-t`` (the arrow carrying :math:`h_{t-1}` into step t), for t = 1 .. time.
    """
    from ..layers import SimpleRNN

    where = "draw_rnn_unrolled"
    if not isinstance(layer, SimpleRNN):
        raise TypeError(f"{where}: expected a dlcourse SimpleRNN, got {type(layer).__name__}")
    x = as_float_array(x, where)
    if x.ndim != 2 or x.shape[1] != layer.n_in or x.shape[0] < 1:
        raise ValueError(f"{where}: expected one sequence of shape (time, {layer.n_in}), got shape {x.shape}")
    check_finite(x, where)
    states = []
    for t in range(1, len(x) + 1):
        out = run_forward(layer, x[None, :t])[0]
        states.append(out[-1] if layer.return_sequences else out)
    fig, ax = new_axes(ax, (1.9 * len(x) + 1.5, 3.2), where)
    box(ax, (0, 0), "$h_0$ = 0", "state-0", COLORS["input"], width=1.0)
    for t, (xt, ht) in enumerate(zip(x, states), start=1):
        cx = 2.0 * t
        box(ax, (cx, -1.4), f"$x_{{{t}}}$\n{_vector_text(xt)}", f"input-{t}", COLORS["input"], width=1.7, height=0.7,
            fontsize=7)
        box(ax, (cx, 0), "tanh", f"cell-{t}", COLORS["unit"], width=1.0)
        box(ax, (cx, 1.4), f"$h_{{{t}}}$\n{_vector_text(ht)}", f"state-{t}", COLORS["output"], width=1.7,
            height=0.7, fontsize=7)
        arrow(ax, (cx, -1.05), (cx, -0.3), f"kernel-{t}", label="W" if t == 1 else None)
        arrow(ax, (cx, 0.3), (cx, 1.05), f"out-{t}")
        arrow(ax, (cx - 1.5, 0), (cx - 0.5, 0), f"recurrent-{t}", label="U" if t == 1 else None)
    finish(ax)
    return fig


def gate_names(layer) -> tuple[str, tuple[str, ...], int]:
    """``(kind, gates, units)`` of a gated recurrent layer, read from its weight shapes.

    Keras concatenates the gates' kernels: ``kernel`` is ``(n_in, 4 * units)`` for an LSTM (gates
    i, f, c, o) and ``(n_in, 3 * units)`` for a GRU (z, r, h), ``recurrent_kernel`` ``(units, k * units)``.

    >>> import numpy as np, types
    >>> gate_names(types.SimpleNamespace(params={"kernel": np.zeros((3, 8)), "recurrent_kernel": np.zeros((2, 8))}))
    ('LSTM', ('i', 'f', 'c', 'o'), 2)
    """
    where = "draw_gated_cell"
    params = getattr(layer, "params", None)
    if not isinstance(params, dict) or "kernel" not in params or "recurrent_kernel" not in params:
        raise TypeError(f"{where}: expected a recurrent layer with params 'kernel' and 'recurrent_kernel', "
                        f"got {type(layer).__name__}")
    kernel, recurrent = np.shape(params["kernel"]), np.shape(params["recurrent_kernel"])
    units = recurrent[0] if len(recurrent) == 2 else 0
    n_gates = kernel[1] // units if len(kernel) == 2 and units and kernel[1] % units == 0 else 0
    if n_gates not in _GATES or recurrent[1] != kernel[1]:
        raise ValueError(f"{where}: expected an LSTM (kernel (n_in, 4*units)) or a GRU (kernel (n_in, 3*units)), "
                         f"got kernel {kernel} and recurrent_kernel {recurrent}")
    kind, gates = _GATES[n_gates]
    return kind, gates, int(units)


def draw_gated_cell(layer, ax=None):
    """Draw an LSTM or GRU cell: one box per gate with its activation and weight shapes.

    Parameters
    ----------
    layer : LSTM or GRU layer (dlcourse or any object with Keras-layout ``params``)
        Only the weight shapes are read, so the drawing follows the layer's real sizes.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``gate-<g>`` for each gate (text ``gate-<g>-text`` names its activation and the shapes of
        its W and U), ``state-in``, ``state-out``, ``input``, ``title``.
    """
    kind, gates, units = gate_names(layer)
    n_in = int(np.shape(layer.params["kernel"])[0])
    fig, ax = new_axes(ax, (2.3 * len(gates) + 2, 3.4), "draw_gated_cell")
    state = "$c_{t-1}, h_{t-1}$" if kind == "LSTM" else "$h_{t-1}$"
    box(ax, (0, 0), state, "state-in", COLORS["input"], width=1.4)
    box(ax, (2.3 * (len(gates) + 1) - 1.0, 0), state.replace("t-1", "t"), "state-out", COLORS["output"], width=1.4)
    box(ax, (2.3 * (len(gates) + 1) / 2 - 0.5, -1.8), f"$x_t$ ({n_in},)", "input", COLORS["input"], width=1.4)
    for k, g in enumerate(gates, start=1):
        gx = 2.3 * k - 0.5
        act = "\u03c3" if _GATE_ACT[g] == "sigmoid" else "tanh"
        text = f"{g}: {_GATE_TITLES[g]}\n{act}(x W_{g} + h U_{g} + b_{g})\nW_{g} ({n_in}, {units}), U_{g} ({units}, {units})"
        box(ax, (gx, 0), text, f"gate-{g}", COLORS["unit"], width=2.1, height=1.0, fontsize=6.5)
        arrow(ax, (2.3 * (len(gates) + 1) / 2 - 0.5, -1.5), (gx, -0.5), f"input-{g}")
    arrow(ax, (0.7, 0), (2.3 - 1.55, 0), "state-in-edge")
    arrow(ax, (2.3 * len(gates) + 0.55, 0), (2.3 * (len(gates) + 1) - 1.7, 0), "state-out-edge")
    ax.text(2.3 * (len(gates) + 1) / 2 - 0.5, 0.9, f"{kind} cell, {units} units", ha="center", fontsize=10,
            gid="title")
    finish(ax)
    return fig
