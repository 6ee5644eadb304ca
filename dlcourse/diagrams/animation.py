"""Animations as self-contained JavaScript HTML: every frame embedded, no outside request, stable ids.

matplotlib's ``Animation.to_jshtml`` gives each player a random id and links Font Awesome's
CSS from a CDN for its button icons. :func:`to_offline_html` replaces the id by a name of our
choosing (so a re-run stores the same HTML and nbval can compare it) and draws the buttons as
plain Unicode labels, so the page makes no outside request.
"""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from ._style import COLORS, run_forward

__all__ = ["JSAnimation", "to_offline_html", "conv_animation", "descent_animation"]

# matplotlib's icon for each button (Font Awesome 4 class) -> a label any font has.
_BUTTON_LABELS = {
    "fa fa-minus": "\u2212", "fa fa-fast-backward": "|\u25c0", "fa fa-step-backward": "\u25c0|",
    "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "||", "fa fa-play": "\u25b6",
    "fa fa-step-forward": "|\u25b6", "fa fa-fast-forward": "\u25b6|", "fa fa-plus": "+",
}
_CDN_LINK = re.compile(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">\s*')
_RANDOM_ID = re.compile(r'_anim_img([0-9a-f]{32})"')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FRAME = re.compile(r'frames\[\d+\] = "data:image/')


class JSAnimation:
    """An animation's HTML player; Jupyter shows it through ``_repr_html_``.

    Attributes
    ----------
    name : str
        The player's id: its elements are ``_anim_img<name>``, ``_anim_slider<name>``, ...
    html : str
    frames : int
    """

    def __init__(self, name: str, html: str, frames: int):
        self.name, self.html, self.frames = name, html, frames

    @property
    def size(self) -> int:
        """Bytes of HTML stored in the notebook."""
        return len(self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"JSAnimation({self.name!r}, {self.frames} frames, {self.size / 1e6:.2f} MB)"


def _check_name(name, where: str) -> None:
    """The player's id becomes part of JavaScript names (``anim<name>``): it must be an identifier."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{where}: expected name to be an identifier such as 'conv_slide', got {name!r}")


def to_offline_html(animation, name: str, fps: float = 2.0) -> JSAnimation:
    """Render a matplotlib ``Animation`` to an offline HTML player whose ids derive from ``name``.

    Parameters
    ----------
    animation : matplotlib.animation.Animation
    name : str
        A JavaScript identifier, unique on its page (``"conv_slide"``).
    fps : float, default 2.0

    Returns
    -------
    JSAnimation
        The figure is closed, so a notebook shows the player only.
    """
    where = "to_offline_html"
    _check_name(name, where)
    html = animation.to_jshtml(fps=fps, default_mode="loop")
    plt.close(animation._fig)
    random_id = _RANDOM_ID.search(html)
    html, links = _CDN_LINK.subn("", html)
    if random_id is None or links != 1:
        raise RuntimeError(f"{where}: matplotlib's to_jshtml template changed (id found: {random_id is not None}, "
                           f"CDN links removed: {links}); update dlcourse.diagrams.animation")
    html = html.replace(random_id.group(1), name)
    for icon, label in _BUTTON_LABELS.items():
        html = html.replace(f'<i class="{icon}"></i>', label)
    return JSAnimation(name, html, len(_FRAME.findall(html)))


def conv_animation(x, layer, filter=0, name="conv_slide", fps=2.0) -> JSAnimation:
    """The window of a ``Conv2D`` sliding over ``x`` and filling the output, one cell per frame.

    Each frame is :func:`dlcourse.diagrams.draw_conv` at the next output position (row-major),
    with the cells computed so far filled in; the values are the layer's own forward pass.

    Parameters
    ----------
    x : array of shape (height, width)
    layer : dlcourse.layers.Conv2D with ``c_in == 1``
    filter : int, default 0
    name : str, default "conv_slide"
        The player's id (see :func:`to_offline_html`).
    fps : float, default 2.0

    Returns
    -------
    JSAnimation
    """
    from .conv import _image, draw_conv, draw_conv_on

    _check_name(name, "conv_animation")
    fig = draw_conv(x, layer, (0, 0), filter, filled=1)  # validates everything once
    ax = fig.axes[0]
    x = _image(x, "conv_animation")
    out = run_forward(layer, x[None, :, :, None])[0, :, :, filter]
    limits = ax.get_xlim(), ax.get_ylim()

    def frame(k):
        ax.clear()
        ax.set_axis_off()
        ax.set_aspect("equal")
        draw_conv_on(ax, x, layer, out, divmod(k, out.shape[1]), filter, k + 1)
        ax.set_xlim(limits[0])
        ax.set_ylim(limits[1])

    fig.set_size_inches(8, 3.2)
    fig.set_dpi(72)
    return to_offline_html(FuncAnimation(fig, frame, frames=out.size, interval=1000 / fps), name, fps)


def descent_animation(loss, paths, extent, minimum=None, levels=15, frames=25, name="descent", fps=4.0):
    """Gradient-descent paths drawn step by step on the contours of a two-parameter loss.

    Parameters
    ----------
    loss : callable ``(theta0, theta1) -> loss``, elementwise on arrays
        Evaluated on a 120 x 120 grid over ``extent`` for the contours.
    paths : dict[str, array of shape (steps + 1, 2)]
        One path per label (for example per learning rate), all the same length.
    extent : (xmin, xmax, ymin, ymax)
    minimum : (float, float), optional
        Marked with a star.
    levels : int, default 15
        Contour levels, geometrically spaced between the surface's minimum and maximum.
    frames : int, default 25
        Frames, evenly spread over the steps (the last frame shows the whole paths).
    name : str, default "descent"
    fps : float, default 4.0

    Returns
    -------
    JSAnimation
    """
    where = "descent_animation"
    _check_name(name, where)
    if not callable(loss):
        raise TypeError(f"{where}: expected loss to be a callable (theta0, theta1) -> loss, got {type(loss).__name__}")
    if not isinstance(paths, dict) or not paths:
        raise TypeError(f"{where}: expected paths as a non-empty dict label -> array (steps + 1, 2), "
                        f"got {type(paths).__name__}")
    paths = {str(k): np.asarray(v, dtype=np.float64) for k, v in paths.items()}
    lengths = {p.shape for p in paths.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 2 or next(iter(lengths))[1] != 2:
        raise ValueError(f"{where}: expected every path of the same shape (steps + 1, 2), got shapes {sorted(lengths)}")
    fig, ax, lines = _descent_figure(loss, paths, extent, minimum, levels, where)
    steps = next(iter(lengths))[0] - 1
    shown = np.unique(np.round(np.linspace(0, steps, min(frames, steps + 1))).astype(int))

    def frame(k):
        for line, path in zip(lines, paths.values()):
            line.set_data(path[: shown[k] + 1, 0], path[: shown[k] + 1, 1])
        ax.set_title(f"step {shown[k]} of {steps}", fontsize=10)

    return to_offline_html(FuncAnimation(fig, frame, frames=len(shown), interval=1000 / fps), name, fps)


def _descent_figure(loss, paths, extent, minimum, levels, where):
    """The still part of the descent animation: contours, the minimum, one empty line per path."""
    try:
        x0, x1, y0, y1 = (float(e) for e in extent)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected extent as (xmin, xmax, ymin, ymax), got {extent!r}") from None
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"{where}: expected xmin < xmax and ymin < ymax, got extent {(x0, x1, y0, y1)}")
    g0, g1 = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 120))
    surface = np.asarray(loss(g0, g1), dtype=np.float64)
    if surface.shape != g0.shape or not np.all(np.isfinite(surface)):
        raise ValueError(f"{where}: expected loss to return finite values of shape {g0.shape} on the grid, "
                         f"got shape {surface.shape}")
    fig, ax = plt.subplots(figsize=(5.6, 3.9), dpi=72)
    low = max(surface.min(), 1e-12 * max(surface.max(), 1.0))
    ax.contour(g0, g1, surface, levels=np.geomspace(low * 1.05, surface.max(), levels), colors="0.75",
               linewidths=0.8)
    if minimum is not None:
        ax.plot(*minimum, "k*", markersize=12, label="minimum", gid="minimum")
    colors = [COLORS["positive"], "#2f855a", COLORS["negative"], "#805ad5", "#dd6b20"]
    lines = [ax.plot([], [], ".-", markersize=3, color=colors[k % len(colors)], label=label, gid=f"path-{k}")[0]
             for k, label in enumerate(paths)]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("theta_0")
    ax.set_ylabel("theta_1")
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig, ax, lines
