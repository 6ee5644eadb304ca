"""One optimizer step on two parameters, drawn as arrows: the parts the update is made of, head to tail."""
from __future__ import annotations

import numpy as np

from ._style import COLORS, arrow, as_vector, new_axes

__all__ = ["step_parts", "draw_optimizer_step"]

_TEX = {"-ηg": r"$-\eta g$", "μm": r"$\mu m$"}


def _state(optimizer, theta):
    """The optimizer's state for ``theta`` (zeros if it has not updated ``theta`` yet)."""
    home = optimizer._home.get(id(theta))
    if home is not None and home[0] is theta:
        _, group, i = home
        return tuple(np.asarray(s, dtype=np.float64).copy() for s in group.state_of(i))
    return tuple(np.asarray(s, dtype=np.float64) for s in optimizer._new_state(np.zeros(theta.shape)))


def _label(ax, start, vec, text, gid, color):
    """``text`` beside the middle of the arrow from ``start`` along ``vec``, offset to its left in screen points."""
    mid = np.asarray(start) + np.asarray(vec) / 2
    normal = np.array([-vec[1], vec[0]]) / (np.linalg.norm(vec) or 1.0)
    ax.annotate(text, mid, textcoords="offset points", xytext=tuple(10 * normal), ha="center", va="center",
                fontsize=9, color=color, gid=gid, zorder=5)


def step_parts(optimizer, theta, grad):
    r"""The next update of ``theta`` by ``optimizer`` for gradient ``grad``, split into the parts it adds.

    Nothing is changed: the update is computed from the optimizer's own ``_update`` and its current
    state for ``theta``.

    Parameters
    ----------
    optimizer : dlcourse.optimizers.Optimizer
        Without weight decay.
    theta : ndarray of shape (n,)
        The parameter array the optimizer updates (its state is looked up by this very array).
    grad : array of shape (n,)
        The gradient :math:`g` at ``theta``.

    Returns
    -------
    list of (str, ndarray)
        ``(label, vector)`` pairs whose sum is the step :math:`\theta_{t+1} - \theta_t`:
        ``[("-ηg", -η g)]`` for SGD, ``[("μm", μ m_{t-1}), ("-ηg", -η g)]`` with momentum (Keras' velocity
        :math:`m`), ``[("-ηg", ...), ("μm", μ m_t)]`` with Nesterov momentum, and one part named after the
        optimizer (e.g. ``"Adam step"``) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.optimizers import SGD
    >>> step_parts(SGD(learning_rate=0.5), np.array([1.0, 2.0]), np.array([2.0, -4.0]))
    [('-ηg', array([-1.,  2.]))]
    """
    from ..optimizers import SGD
    from ..optimizers.base import Optimizer

    where = "step_parts"
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: expected a dlcourse optimizer, got {type(optimizer).__name__}")
    if optimizer.weight_decay:
        raise ValueError(f"{where}: expected an optimizer without weight decay, got weight_decay="
                         f"{optimizer.weight_decay}")
    if not isinstance(theta, np.ndarray):
        raise TypeError(f"{where}: expected theta as the NumPy array the optimizer updates, got {type(theta).__name__}")
    w, g = as_vector(theta, where, "theta"), as_vector(grad, where, "grad")
    if g.shape != w.shape:
        raise ValueError(f"{where}: expected grad of theta's shape {w.shape}, got shape {g.shape}")
    lr = optimizer.learning_rate
    state = _state(optimizer, theta)
    new_w, new_state = optimizer._update(w.copy(), g, optimizer._step_size(lr), *state)
    if isinstance(optimizer, SGD) and optimizer.momentum == 0:
        return [("-ηg", -lr * g)]
    if isinstance(optimizer, SGD) and not optimizer.nesterov:
        return [("μm", optimizer.momentum * state[0]), ("-ηg", -lr * g)]
    if isinstance(optimizer, SGD):
        return [("-ηg", -lr * g), ("μm", optimizer.momentum * new_state[0])]
    return [(f"{type(optimizer).__name__} step", np.asarray(new_w) - w)]


def draw_optimizer_step(optimizer, theta, grad, surface=None, extent=None, symbol=r"\theta", ax=None):
    r"""Draw the next step of ``optimizer`` on a two-parameter ``theta`` as arrows, head to tail.

    Parameters
    ----------
    optimizer, theta, grad
        As for :func:`step_parts`; ``theta`` and ``grad`` of shape (2,).
    surface : callable, optional
        ``surface(t0, t1)`` gives the loss on grids of the two parameters; its contours are drawn.
    extent : (x0, x1, y0, y1), optional
        The region shown; by default the arrows' bounding box with a margin.
    symbol : str, default ``r"\theta"``
        TeX name of the parameters as the text writes them: the points are labeled ``symbol^{(t)}`` and
        ``symbol^{(t+1)}``, the axes ``symbol_0`` and ``symbol_1``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Artists' gids: ``theta`` and ``theta-next`` (points; ``theta-next`` is at ``theta`` plus the sum of
        the parts), ``part-k`` (arrow k, label ``part-k-label``), ``gradient-direction`` (dashed
        :math:`-\eta g` from ``theta``, when it is not one of the parts) and ``contours``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.optimizers import SGD
    >>> fig = draw_optimizer_step(SGD(learning_rate=0.5), np.array([1.0, 2.0]), np.array([2.0, -4.0]))
    >>> [round(float(v), 2) for v in fig.findobj(lambda a: a.get_gid() == "theta-next")[0].get_offsets()[0]]
    [0.0, 4.0]
    """
    where = "draw_optimizer_step"
    parts = step_parts(optimizer, theta, grad)
    if theta.shape != (2,):
        raise ValueError(f"{where}: expected theta of shape (2,) to draw in the plane, got shape {theta.shape}")
    fig, ax = new_axes(ax, (5, 4), where)
    ax.set_axis_on()
    start = np.asarray(theta, dtype=np.float64)
    points = [start]
    for k, (label, vec) in enumerate(parts):
        color = COLORS["grad"] if label == "-ηg" else COLORS["positive"]
        arrow(ax, tuple(points[-1]), tuple(points[-1] + vec), f"part-{k}", color=color, linewidth=2)
        _label(ax, points[-1], vec, _TEX.get(label, label), f"part-{k}-label", color)
        points.append(points[-1] + vec)
    reference = -optimizer.learning_rate * as_vector(grad, where, "grad")
    if all(label != "-ηg" for label, _ in parts):
        arrow(ax, tuple(start), tuple(start + reference), "gradient-direction", color=COLORS["grad"])
        _label(ax, start, reference, r"$-\eta g$", "gradient-direction-label", COLORS["grad"])
        ax.findobj(lambda a: a.get_gid() == "gradient-direction")[0].set_linestyle("--")
        points.append(start + reference)
    pts = np.array(points)
    if extent is None:
        center, half = (pts.min(axis=0) + pts.max(axis=0)) / 2, max(float(np.ptp(pts, axis=0).max()), 1e-9) * 0.7
        extent = (center[0] - half, center[0] + half, center[1] - half, center[1] + half)  # square: equal aspect
    if len(extent) != 4 or not extent[0] < extent[1] or not extent[2] < extent[3]:
        raise ValueError(f"{where}: expected extent as (x0, x1, y0, y1) with x0 < x1 and y0 < y1, got {extent}")
    if surface is not None:
        if not callable(surface):
            raise TypeError(f"{where}: expected surface as a callable surface(t0, t1), got {type(surface).__name__}")
        t0, t1 = np.meshgrid(np.linspace(extent[0], extent[1], 80), np.linspace(extent[2], extent[3], 80))
        contours = ax.contour(t0, t1, surface(t0, t1), levels=12, colors="#a0aec0", linewidths=0.7)
        contours.set_gid("contours")
    ax.scatter(*start, s=30, color=COLORS["value"], zorder=4, gid="theta")
    ax.scatter(*points[len(parts)], s=30, color=COLORS["highlight"], edgecolor=COLORS["value"], zorder=4,
               gid="theta-next")
    if not isinstance(symbol, str) or not symbol:
        raise TypeError(f"{where}: expected symbol as a non-empty TeX string, got {symbol!r}")
    ax.annotate(f"${symbol}^{{(t)}}$", start, textcoords="offset points", xytext=(-14, -12), fontsize=9)
    ax.annotate(f"${symbol}^{{(t+1)}}$", points[len(parts)], textcoords="offset points", xytext=(5, 5), fontsize=9)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel(f"${symbol}_0$ (parameter units)")
    ax.set_ylabel(f"${symbol}_1$ (parameter units)")
    return fig
