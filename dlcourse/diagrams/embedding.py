"""An embedding lookup: ids -> rows of the table -> vectors."""
from __future__ import annotations

from ._style import COLORS, arrow, cell, finish, fmt, new_axes, run_forward
from .network import shown_units

__all__ = ["draw_embedding_lookup"]


def draw_embedding_lookup(layer, ids, max_rows=10, ax=None):
    """Draw ``Embedding.forward(ids)`` as a table lookup: each id selects one row of ``embeddings``.

    Parameters
    ----------
    layer : dlcourse.layers.Embedding
    ids : 1-D integer array
        A short sequence of ids in ``[0, vocab_size)``.
    max_rows : int, default 10
        A larger table shows its first rows, an ellipsis and its last row; rows selected by
        ``ids`` are always shown.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Gids: ``id-k`` (the k-th id), ``row-r`` (row r of the table; selected rows are highlighted),
        ``table-r-c``, ``vector-k-c`` (the output vectors, from the layer's forward pass), ``lookup-k``.
    """
    from .._checks import check_positive_int
    from ..layers import Embedding

    where = "draw_embedding_lookup"
    if not isinstance(layer, Embedding):
        raise TypeError(f"{where}: expected a dlcourse Embedding layer, got {type(layer).__name__}")
    max_rows = check_positive_int(max_rows, where, "max_rows", minimum=3)
    ids = layer.check_input(ids)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError(f"{where}: expected a 1-D sequence of ids, got shape {ids.shape}")
    vectors = run_forward(layer, ids)
    table = layer.params["embeddings"]
    rows = sorted(set(shown_units(layer.vocab_size, max_rows)) | set(int(i) for i in ids))
    fig, ax = new_axes(ax, (3 + 0.8 * 2 * layer.dim, 0.45 * max(len(rows), len(ids)) + 1.5), where)
    t0 = 2.5
    for k, r in enumerate(rows):
        chosen = r in set(ids.tolist())
        ax.text(t0 - 0.2, -k - 0.5, str(r), ha="right", va="center", fontsize=8, gid=f"row-{r}-index")
        for c in range(layer.dim):
            cell(ax, k, c, (t0, 0), fmt(table[r, c]), f"table-{r}-{c}", COLORS["highlight"] if chosen else "white")
        ax.add_patch(_row_outline(t0, k, layer.dim, r, chosen))
        if k + 1 < len(rows) and rows[k + 1] != r + 1:
            ax.text(t0 - 0.75, -k - 1.0, "\u22ee", ha="center", va="center", fontsize=10,
                    gid=f"ellipsis-{r}")
    v0 = t0 + layer.dim + 2.0
    for k, i in enumerate(ids):
        ax.text(0, -k - 0.5, f"id {int(i)}", ha="center", va="center", fontsize=9, gid=f"id-{k}")
        arrow(ax, (0.5, -k - 0.5), (t0 - 0.6, -rows.index(int(i)) - 0.5), f"lookup-{k}", color=COLORS["edge"])
        for c in range(layer.dim):
            cell(ax, k, c, (v0, 0), fmt(vectors[k, c]), f"vector-{k}-{c}", COLORS["output"])
    ax.text(t0 + layer.dim / 2, 0.3, f"embeddings ({layer.vocab_size}, {layer.dim})", ha="center", fontsize=9)
    ax.text(v0 + layer.dim / 2, 0.3, f"output ({len(ids)}, {layer.dim})", ha="center", fontsize=9)
    finish(ax)
    return fig


def _row_outline(x0, k, dim, r, chosen):
    """Row r of the table drawn as one outlined rectangle, thick when an id selects it."""
    from matplotlib.patches import Rectangle

    return Rectangle((x0, -k - 1), dim, 1, fill=False, linewidth=2 if chosen else 0.6,
                     edgecolor=COLORS["edge"], gid=f"row-{r}", zorder=2)
