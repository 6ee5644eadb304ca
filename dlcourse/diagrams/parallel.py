"""Synchronous data parallelism: global batch -> shards -> replicas -> all-reduce -> one update."""
from __future__ import annotations

from ._style import COLORS, arrow, box, finish, new_axes

__all__ = ["draw_data_parallel"]


def draw_data_parallel(batch_size, n_replicas, ax=None):
    r"""Draw one step of synchronous data-parallel SGD as ``dlcourse.parallel.data_parallel_step`` takes it.

    The global batch is split into shards of ``dlcourse.parallel.shard_sizes(batch_size, n_replicas)``
    samples; each replica computes the gradient on its shard with the same weights; the all-reduce
    averages them weighted by shard size, :math:`g = \sum_k \frac{n_k}{B} g_k`, and every replica
    applies the one update :math:`w \leftarrow w - \eta g`.

    Parameters
    ----------
    batch_size : int
        The global batch :math:`B`.
    n_replicas : int
        Between 1 and ``batch_size``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``batch``, ``shard-k`` (text ``shard-k-text`` gives its size), ``replica-k``,
        ``allreduce``, ``update``.

    Examples
    --------
    >>> from dlcourse.diagrams import draw_data_parallel, texts
    >>> fig = draw_data_parallel(10, 3)
    >>> [t.split()[-1] for t in texts(fig, "shard-").values()]
    ['4', '3', '3']
    """
    from .._checks import check_positive_int
    from ..parallel import shard_sizes

    where = "draw_data_parallel"
    batch_size = check_positive_int(batch_size, where, "batch_size")
    n_replicas = check_positive_int(n_replicas, where, "n_replicas")
    if n_replicas > batch_size:
        raise ValueError(f"{where}: expected 1 <= n_replicas <= batch_size {batch_size}, got {n_replicas}")
    sizes = shard_sizes(batch_size, n_replicas)
    fig, ax = new_axes(ax, (9, 0.9 * n_replicas + 1.5), where)
    ys = [(n_replicas - 1) / 2 * 1.1 - 1.1 * k for k in range(n_replicas)]
    box(ax, (0, 0), f"global batch\nB = {batch_size}", "batch", COLORS["input"], width=1.6, height=0.8)
    box(ax, (6.6, 0), "all-reduce\n$g = \\sum_k \\frac{n_k}{B} g_k$", "allreduce", COLORS["op"], width=1.9,
        height=0.9)
    box(ax, (9.2, 0), "one update\n$w \\leftarrow w - \\eta g$", "update", COLORS["output"], width=1.9, height=0.9)
    arrow(ax, (7.55, 0), (8.25, 0), "allreduce-edge")
    for k, (n, y) in enumerate(zip(sizes, ys)):
        box(ax, (2.3, y), f"shard {k}: $n_{{{k}}}$ = {n}", f"shard-{k}", COLORS["input"], width=1.7, height=0.6,
            fontsize=8)
        box(ax, (4.4, y), f"replica {k}\nsame w, grad $g_{{{k}}}$", f"replica-{k}", COLORS["unit"], width=1.8,
            height=0.8, fontsize=8)
        arrow(ax, (0.8, 0), (1.45, y), f"split-{k}")
        arrow(ax, (3.15, y), (3.5, y), f"compute-{k}")
        arrow(ax, (5.3, y), (5.65, 0), f"reduce-{k}")
    finish(ax)
    return fig
