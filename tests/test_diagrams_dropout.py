"""draw_dropout crosses out exactly the units the layer's next training mask drops, and leaves the layer as it was."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.diagrams._style import texts  # noqa: E402
from dlcourse.diagrams.dropout import draw_dropout, dropout_masks  # noqa: E402
from dlcourse.diagrams.network import shown_units  # noqa: E402
from dlcourse.layers import Dense, Dropout, ReLU  # noqa: E402
from dlcourse.model import Sequential  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _net(rate=0.5):
    return [Dense(5, 6, "relu", seed=0), Dropout(rate, seed=3), Dense(6, 4, "relu", seed=1),
            Dropout(rate, seed=4), Dense(4, 2, seed=2)]


def _gids(fig, prefix):
    return sorted(a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith(prefix))


X = np.array([0.5, -1.0, 2.0, 0.1, 1.5])


def test_crossed_units_are_the_zeros_of_the_next_training_forward():
    layers = _net()
    fig = draw_dropout(layers, X)
    a = X[None].astype(np.float32)
    drops = {}
    for column, layer in zip([None, 1, None, 2, None], layers):
        a = layer.forward(a, training=True)
        if column is not None:
            drops[column] = layer._cache[1][0]
    for l, mask in drops.items():
        assert _gids(fig, f"dropped-{l}-") == sorted(f"dropped-{l}-{i}" for i in range(len(mask)) if mask[i] == 0)
        kept = texts(fig, f"scale-{l}-")
        assert kept == {f"scale-{l}-{i}": "\u00d72.00" for i in range(len(mask)) if mask[i] != 0}
    assert texts(fig, "rate-") == {"rate-1": "r = 0.5", "rate-2": "r = 0.5"}


def test_kept_units_are_scaled_by_one_over_one_minus_rate():
    masks = dropout_masks(Sequential(_net(0.2)), X)
    for mask in masks.values():
        assert set(np.round(mask, 5).tolist()) <= {0.0, 1.25}
    fig = draw_dropout(_net(0.2), X)
    assert set(texts(fig, "scale-").values()) == {"\u00d71.25"}


def test_unit_count_follows_widths_and_edges_of_dropped_units_are_faded():
    fig = draw_dropout(_net(), X)
    assert len([g for g in _gids(fig, "unit-1-")]) == 6 and len(_gids(fig, "unit-2-")) == 4
    for gid in _gids(fig, "dropped-1-"):
        i = gid.rsplit("-", 1)[1]
        faded = [a for a in fig.findobj() if (a.get_gid() or "").startswith(f"edge-1-{i}-")]
        assert len(faded) == 4 and all(a.get_alpha() == 0.5 for a in faded)


def test_drawing_leaves_the_layer_untouched_and_is_deterministic():
    layers = _net()
    before = dropout_masks(layers, X)
    bufs = []
    for _ in range(2):
        buf = io.BytesIO()
        draw_dropout(layers, X).savefig(buf, format="png", dpi=40)
        bufs.append(buf.getvalue())
    assert bufs[0] == bufs[1]
    after = dropout_masks(layers, X)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_wide_columns_show_only_the_shown_units():
    layers = [Dense(3, 20, "relu", seed=0), Dropout(0.5, seed=1), Dense(20, 2, seed=2)]
    fig = draw_dropout(layers, [1.0, 2.0, 3.0], max_units=5)
    shown = {int(g.rsplit("-", 1)[1]) for g in _gids(fig, "dropped-1-") + list(texts(fig, "scale-1-"))}
    assert shown == set(shown_units(20, 5))


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="draw_dropout: expected at least one Dropout layer, got none"):
        draw_dropout([Dense(2, 3, seed=0)], [1.0, 2.0])
    with pytest.raises(ValueError, match="expected Dense and Dropout layers only, got ReLU at position 1"):
        draw_dropout([Dense(2, 3, seed=0), ReLU(), Dropout(0.5)], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"dropout_masks: expected x of shape \(5,\), got shape \(2,\)"):
        draw_dropout(_net(), [1.0, 2.0])
    with pytest.raises(TypeError, match="expected a Sequential or a list of Dense and Dropout layers, got int"):
        draw_dropout(3, [1.0])
