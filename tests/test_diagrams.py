"""The diagrams show the objects they are drawn from: counts, positions and numbers read off the artists."""
from __future__ import annotations

import io
import types

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse import gradcheck, losses  # noqa: E402
from dlcourse.diagrams import (  # noqa: E402
    Scalar, draw_conv, draw_data_parallel, draw_embedding_lookup, draw_expression, draw_gated_cell, draw_kfold,
    draw_layer_graph, draw_network, draw_neuron, draw_pool, draw_rnn_unrolled, draw_splits, find, texts,
)
from dlcourse.layers import AveragePool2D, Conv2D, Dense, Embedding, MaxPool2D, ReLU, SimpleRNN  # noqa: E402
from dlcourse.layers.conv import same_padding  # noqa: E402
from dlcourse.model import Sequential  # noqa: E402
from dlcourse.parallel import shard_sizes  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gids(fig, prefix):
    return sorted(a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith(prefix))


def _shapes(fig, prefix):
    """The gids of the drawn shapes (not their texts or labels) starting with ``prefix``."""
    return [g for g in _gids(fig, prefix) if not g.endswith(("-text", "-label", "-index"))]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.getvalue()


def _one(fig, gid):
    found = find(fig, gid)
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


# -- neuron ------------------------------------------------------------------------------------
def test_neuron_from_arrays_shows_the_weighted_sum_and_activation():
    x, w, b = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.4, -0.1]), 0.3
    fig = draw_neuron(x, w, b, activation="tanh")
    z = x @ w + b
    assert texts(fig, "sum-text")["sum-text"].endswith(f"z = {z:.2f}")
    assert texts(fig, "output-text")["output-text"] == f"a = {np.tanh(z):.2f}"
    assert [texts(fig, f"weight-{i}-label")[f"weight-{i}-label"].split("= ")[1] for i in range(3)] == \
        [f"{v:.2f}" for v in w]
    assert len(_shapes(fig, "input-")) == 3


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softmax"])
def test_neuron_of_a_dense_unit_shows_what_the_layer_computes(activation):
    layer = Dense(4, 3, activation=activation, seed=0)
    layer.params["bias"][:] = [0.1, -0.2, 0.3]
    x = np.array([1.0, -0.5, 0.25, 2.0], dtype=np.float32)
    fig = draw_neuron(x, layer=layer, unit=2)
    expected = layer.forward(x[None])[0, 2]
    assert texts(fig, "output-text")["output-text"] == f"a = {expected:.2f}"
    assert texts(fig, "bias-text")["bias-text"] == "$b$ = 0.30"
    assert texts(fig, "activation-text")["activation-text"] == f"f = {activation}"


def test_neuron_rejects_bad_input():
    with pytest.raises(ValueError, match=r"draw_neuron: expected x and w of the same length, got shapes \(3,\) and \(2,\)"):
        draw_neuron([1, 2, 3], [1, 2])
    with pytest.raises(TypeError, match="draw_neuron: expected the weights w"):
        draw_neuron([1, 2, 3])
    with pytest.raises(ValueError, match=r"draw_neuron: expected unit in 0\.\.2, got 3"):
        draw_neuron([1, 2], layer=Dense(2, 3, seed=0), unit=3)
    with pytest.raises(ValueError, match="draw_neuron: expected finite values"):
        draw_neuron([1, np.nan], [1, 2])


# -- network -----------------------------------------------------------------------------------
def test_network_draws_each_layer_width_with_an_ellipsis_for_wide_layers():
    model = Sequential([Dense(3, 12, "relu", seed=0), ReLU(), Dense(12, 2, "softmax", seed=1)])
    fig = draw_network(model, max_units=6)
    units = [len(_gids(fig, f"unit-{l}-")) for l in range(3)]
    assert units == [3, 6, 2]
    assert _gids(fig, "ellipsis-") == ["ellipsis-1"]
    assert "unit-1-11" in _gids(fig, "unit-1-")  # the last unit of the wide layer is shown
    assert len(_gids(fig, "edge-0-")) == 3 * 6 and len(_gids(fig, "edge-1-")) == 6 * 2


def test_network_edge_widths_and_colors_follow_the_weights():
    layer = Dense(4, 3, seed=2)
    fig = draw_network(Sequential([layer]))
    kernel = layer.params["kernel"]
    for (i, j), w in np.ndenumerate(kernel):
        line = _one(fig, f"edge-0-{i}-{j}")
        np.testing.assert_allclose(line.get_linewidth(), 3.0 * abs(w) / np.abs(kernel).max(), rtol=1e-6)
        assert line.get_color() == ("#2b6cb0" if w >= 0 else "#c53030")


def test_network_values_are_the_forward_pass_and_leave_the_cache_alone():
    model = Sequential([Dense(3, 4, "tanh", seed=0), Dense(4, 2, "sigmoid", seed=1)])
    x = np.array([0.3, -1.2, 0.8], dtype=np.float32)
    batch = np.ones((5, 3), dtype=np.float32)
    model.layers[1].forward(model.layers[0].forward(batch))
    fig = draw_network(model, x=x)
    hidden = model.layers[0].forward(x[None])[0]
    out = model.layers[1].forward(hidden[None])[0]
    assert [texts(fig, f"value-1-{i}")[f"value-1-{i}"] for i in range(4)] == [f"{v:.2f}" for v in hidden]
    assert [texts(fig, f"value-2-{i}")[f"value-2-{i}"] for i in range(2)] == [f"{v:.2f}" for v in out]


def test_network_keeps_the_cache_for_the_next_backward():
    layer = Dense(3, 2, seed=0)
    batch = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer.forward(batch)
    draw_network([layer], x=[1.0, 2.0, 3.0])
    layer.backward(np.ones((2, 2), dtype=np.float32))
    np.testing.assert_allclose(layer.grads["kernel"], batch.T @ np.ones((2, 2)), rtol=1e-6)


def test_network_from_widths_and_bad_input():
    fig = draw_network([5, 3, 1])
    assert [len(_gids(fig, f"unit-{l}-")) for l in range(3)] == [5, 3, 1]
    with pytest.raises(ValueError, match="draw_network: expected Dense layers .* got Conv2D at position 0"):
        draw_network([Conv2D(1, 2, 3, seed=0)])
    with pytest.raises(ValueError, match=r"draw_network: expected x of shape \(3,\), got shape \(2,\)"):
        draw_network([Dense(3, 2, seed=0)], x=[1.0, 2.0])
    with pytest.raises(ValueError, match="draw_network: expected at least two widths"):
        draw_network([4])
    with pytest.raises(TypeError, match="draw_network: expected a Sequential"):
        draw_network(3)


# -- computational graphs ------------------------------------------------------------------------
def _cs231n():
    x, y, z, w = Scalar(3.0, "x"), Scalar(-4.0, "y"), Scalar(2.0, "z"), Scalar(-1.0, "w")
    return (x, y, z, w), (x * y + z.maximum(w)) * 2


def test_expression_gradients_are_the_chain_rule_and_are_drawn():
    leaves, f = _cs231n()
    fig = draw_expression(f)
    order = f.nodes()
    values = [3.0, -4.0, 2.0, -1.0]

    def f_of(v):
        return 2 * (v[0] * v[1] + max(v[2], v[3]))
    for k, leaf in enumerate(leaves):
        bumped = list(values)
        bumped[k] += 1e-6
        numeric = (f_of(bumped) - f_of(values)) / 1e-6
        assert leaf.grad == pytest.approx(numeric, abs=1e-5)
        assert texts(fig, f"node-{order.index(leaf)}-grad")[f"node-{order.index(leaf)}-grad"] == f"{leaf.grad:.2f}"
    assert texts(fig, f"node-{len(order) - 1}-value")[f"node-{len(order) - 1}-value"] == "-20.00"


def test_gate_patterns_add_distributes_multiply_swaps_max_routes():
    a, b = Scalar(2.0), Scalar(5.0)
    (a + b).backward()
    assert (a.grad, b.grad) == (1.0, 1.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (5.0, 2.0)
    a.maximum(b).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)
    c = Scalar(3.0)
    (c * c + c).backward()  # a node used twice accumulates: d/dc (c^2 + c) = 2c + 1
    assert c.grad == 7.0


def test_scalar_and_expression_reject_bad_input():
    with pytest.raises(TypeError, match="Scalar: expected a real number, got str"):
        Scalar("3")
    with pytest.raises(ValueError, match="Scalar: expected a finite number, got nan"):
        Scalar(float("nan"))
    with pytest.raises(TypeError, match="draw_expression: expected a dlcourse.diagrams.Scalar, got float"):
        draw_expression(3.0)


def test_layer_graph_shows_the_norms_of_an_actual_backward_pass():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 4)), np.eye(3)[rng.integers(0, 3, size=6)]
    hidden = Dense(4, 5, "tanh", seed=0, dtype="float64")
    output = Dense(5, 3, "softmax", seed=1, dtype="float64")
    loss = losses.CategoricalCrossentropy()
    fig = draw_layer_graph([hidden, output], loss, x, y)
    for name, layer in (("W1", hidden), ("W2", output)):
        numeric = gradcheck.numerical_gradient(lambda: loss(y, output.forward(hidden.forward(x))), layer.params["kernel"])
        assert gradcheck.relative_error(layer.grads["kernel"], numeric) < 1e-6
        shown = texts(fig, f"node-{name}-grad")[f"node-{name}-grad"]
        assert shown == f"grad norm {np.linalg.norm(layer.grads['kernel']):.4g}"
    a1 = hidden.forward(x)
    assert texts(fig, "node-A1-value")["node-A1-value"] == f"6x5, norm {np.linalg.norm(a1):.4g}"
    assert texts(fig, "node-L-text")["node-L-text"] == f"L = {loss(y, output.forward(a1)):.4g}"
    with pytest.raises(TypeError, match="draw_layer_graph: expected a non-empty list of dlcourse Dense layers"):
        draw_layer_graph([ReLU()], loss, x, y)


# -- convolution and pooling ------------------------------------------------------------------
@pytest.mark.parametrize("strides,padding,position", [(1, "valid", (1, 2)), (2, "same", (2, 0)), (1, "same", (0, 4))])
def test_conv_highlighted_cell_is_conv2d_forward_at_that_position(strides, padding, position):
    x = np.random.default_rng(1).normal(size=(5, 5)).astype(np.float32)
    conv = Conv2D(1, 2, 3, strides=strides, padding=padding, seed=0)
    conv.params["bias"][:] = [0.5, -0.25]
    fig = draw_conv(x, conv, position=position, filter=1)
    out = conv.forward(x[None, :, :, None])
    i, j = position
    assert texts(fig, "output-cell-text")["output-cell-text"] == f"{out[0, i, j, 1]:.2f}"
    ho, wo = out.shape[1:3]
    assert len(_shapes(fig, "out-")) + 1 == ho * wo  # plus the highlighted output-cell
    (top, bottom), (left, right) = ((same_padding(5, 3, strides),) * 2) if padding == "same" else ((0, 0),) * 2
    assert len(_shapes(fig, "pad-")) == (5 + top + bottom) * (5 + left + right) - 25
    window = _one(fig, "window")
    assert (window.get_x(), window.get_y()) == (j * strides, -(i * strides) - 3)
    kernel = [texts(fig, f"kernel-{r}-{c}-text")[f"kernel-{r}-{c}-text"] for r in range(3) for c in range(3)]
    assert kernel == [f"{v:.2f}" for v in conv.params["kernel"][:, :, 0, 1].ravel()]


def test_conv_window_covers_the_inputs_the_formula_uses():
    x = np.arange(36, dtype=np.float32).reshape(6, 6)
    conv = Conv2D(1, 1, 2, strides=2, seed=3)
    fig = draw_conv(x, conv, position=(1, 2))
    window = _one(fig, "window")
    inside = [g for g in _shapes(fig, "input-") if window.get_x() <= _one(fig, g).get_x() < window.get_x() + 2
              and window.get_y() <= _one(fig, g).get_y() < window.get_y() + 2]
    assert sorted(inside) == ["input-2-4", "input-2-5", "input-3-4", "input-3-5"]
    expected = np.sum(x[2:4, 4:6] * conv.params["kernel"][:, :, 0, 0]) + conv.params["bias"][0]
    assert texts(fig, "output-cell-text")["output-cell-text"] == f"{expected:.2f}"


def test_conv_rejects_bad_input():
    x = np.zeros((4, 4))
    with pytest.raises(ValueError, match="draw_conv: expected a Conv2D with c_in=1 .* got c_in=3"):
        draw_conv(x, Conv2D(3, 1, 3, seed=0))
    with pytest.raises(ValueError, match=r"draw_conv: expected position inside the 2x2 output, got \(2, 0\)"):
        draw_conv(x, Conv2D(1, 1, 3, seed=0), position=(2, 0))
    with pytest.raises(ValueError, match=r"draw_conv: expected one single-channel image of shape \(height, width\)"):
        draw_conv(np.zeros((1, 4, 4, 1)), Conv2D(1, 1, 3, seed=0))
    with pytest.raises(TypeError, match="draw_conv: expected a dlcourse Conv2D layer, got MaxPool2D"):
        draw_conv(x, MaxPool2D(2))
    with pytest.raises(ValueError, match=r"draw_conv: expected filter in 0\.\.0, got 1"):
        draw_conv(x, Conv2D(1, 1, 3, seed=0), filter=1)


def test_max_pooling_routes_the_gradient_to_the_window_maximum():
    x = np.random.default_rng(4).normal(size=(4, 6))
    fig = draw_pool(x, MaxPool2D(2), position=(1, 2))
    window = x[2:4, 4:6]
    r, c = np.unravel_index(np.argmax(window), window.shape)
    assert _shapes(fig, "route-") == [f"route-{2 + r}-{4 + c}"]
    assert texts(fig, "output-cell-text")["output-cell-text"] == f"{window.max():.2f}"


def test_average_pooling_spreads_the_gradient_over_the_window():
    x = np.random.default_rng(5).normal(size=(4, 4))
    fig = draw_pool(x, AveragePool2D(2), position=(0, 1))
    routed = texts(fig, "route-")
    assert sorted(routed) == ["route-0-2-text", "route-0-3-text", "route-1-2-text", "route-1-3-text"]
    assert set(routed.values()) == {"grad 0.25"}
    assert texts(fig, "output-cell-text")["output-cell-text"] == f"{x[0:2, 2:4].mean():.2f}"
    with pytest.raises(TypeError, match="draw_pool: expected a dlcourse MaxPool2D or AveragePool2D, got Dense"):
        draw_pool(x, Dense(2, 2, seed=0))


# -- recurrent ----------------------------------------------------------------------------------
def test_unrolled_rnn_shows_every_hidden_state_of_the_forward_pass():
    layer = SimpleRNN(2, 3, seed=0)
    x = np.random.default_rng(6).normal(size=(4, 2)).astype(np.float32)
    fig = draw_rnn_unrolled(layer, x)
    assert len(_shapes(fig, "cell-")) == 4 and len(_shapes(fig, "recurrent-")) == 4
    seq = SimpleRNN(2, 3, return_sequences=True, seed=0).forward(x[None])[0]
    for t in range(1, 5):
        assert texts(fig, f"state-{t}-text")[f"state-{t}-text"].endswith("[" + ", ".join(f"{v:.2f}" for v in seq[t - 1]) + "]")
    with pytest.raises(ValueError, match=r"draw_rnn_unrolled: expected one sequence of shape \(time, 2\), got shape \(1, 4, 2\)"):
        draw_rnn_unrolled(layer, x[None])


@pytest.mark.parametrize("kind,gates", [("LSTM", "ifco"), ("GRU", "zrh")])
def test_gated_cell_reads_the_gates_from_keras_weight_shapes(tf_keras, kind, gates):
    _, keras = tf_keras
    layer = getattr(keras.layers, kind)(4)
    layer.build((None, 5, 3))
    params = {"kernel": layer.cell.kernel.numpy(), "recurrent_kernel": layer.cell.recurrent_kernel.numpy()}
    fig = draw_gated_cell(types.SimpleNamespace(params=params))
    assert _shapes(fig, "gate-") == sorted(f"gate-{g}" for g in gates)
    assert texts(fig, "title")["title"] == f"{kind} cell, 4 units"
    assert all(text.endswith("W_%s (3, 4), U_%s (4, 4)" % (g, g)) for g, text in
               ((g, texts(fig, f"gate-{g}-text")[f"gate-{g}-text"]) for g in gates))


def test_gated_cell_rejects_a_simple_rnn():
    with pytest.raises(ValueError, match=r"draw_gated_cell: expected an LSTM .* got kernel \(2, 3\) and recurrent_kernel \(3, 3\)"):
        draw_gated_cell(SimpleRNN(2, 3, seed=0))
    with pytest.raises(TypeError, match="draw_gated_cell: expected a recurrent layer with params"):
        draw_gated_cell(Dense(2, 3, seed=0))


# -- embedding, data parallelism, splits -------------------------------------------------------
def test_embedding_lookup_highlights_the_rows_of_the_ids_and_shows_their_vectors():
    layer = Embedding(50, 3, seed=0)
    ids = np.array([3, 17, 3, 42])
    fig = draw_embedding_lookup(layer, ids)
    thick = {g for g in _shapes(fig, "row-") if _one(fig, g).get_linewidth() == 2}
    assert thick == {"row-3", "row-17", "row-42"}
    vectors = layer.forward(ids)
    for (k, c), v in np.ndenumerate(vectors):
        assert texts(fig, f"vector-{k}-{c}-text")[f"vector-{k}-{c}-text"] == f"{v:.2f}"
    assert len(_gids(fig, "lookup-")) == 4
    with pytest.raises(ValueError, match="Embedding.forward: expected values < 50, got maximum 50"):
        draw_embedding_lookup(layer, [1, 50])


def test_data_parallel_shards_are_the_step_s_shard_sizes():
    fig = draw_data_parallel(10, 4)
    shown = [int(texts(fig, f"shard-{k}-text")[f"shard-{k}-text"].split("= ")[1]) for k in range(4)]
    assert shown == shard_sizes(10, 4) and sum(shown) == 10
    assert len(_shapes(fig, "replica-")) == 4
    with pytest.raises(ValueError, match="draw_data_parallel: expected 1 <= n_replicas <= batch_size 3, got 4"):
        draw_data_parallel(3, 4)


def test_splits_widths_are_proportional_and_kfold_validates_each_sample_once():
    fig = draw_splits(100, validation=0.2, test=0.1)
    widths = {name: _one(fig, f"part-{name}").get_width() for name in ("train", "validation", "test")}
    assert widths == pytest.approx({"train": 7.0, "validation": 2.0, "test": 1.0})
    fig = draw_kfold(23, 5)
    validation = np.zeros(23)
    for i in range(5):
        for j in range(5):
            rect = _one(fig, f"fold-{i}-{j}")
            is_val = matplotlib.colors.to_hex(rect.get_facecolor()) == "#f6ad55"
            assert is_val == (i == j)
            if is_val:
                validation[round(rect.get_x() * 2.3):round((rect.get_x() + rect.get_width()) * 2.3)] += 1
    assert np.all(validation == 1)
    with pytest.raises(ValueError, match="draw_splits: expected test as a fraction in"):
        draw_splits(10, 0.2, 1.5)
    with pytest.raises(ValueError, match="draw_kfold: expected k <= n = 3"):
        draw_kfold(3, 4)


# -- every diagram: deterministic, unique gids, drawn on a given Axes --------------------------
def _all_diagrams(ax=None):
    x = np.random.default_rng(7).normal(size=(5, 5))
    return [
        draw_neuron([1.0, 2.0], [0.5, -0.5], 0.1, "relu", ax=ax),
        draw_network(Sequential([Dense(3, 9, "relu", seed=0), Dense(9, 2, seed=1)]), x=[1.0, 0.0, -1.0], ax=ax),
        draw_expression(_cs231n()[1], ax=ax),
        draw_conv(x, Conv2D(1, 1, 3, padding="same", seed=0), (2, 3), ax=ax),
        draw_pool(x, MaxPool2D(2, padding="same"), (2, 1), ax=ax),
        draw_rnn_unrolled(SimpleRNN(2, 2, seed=0), np.ones((3, 2)), ax=ax),
        draw_embedding_lookup(Embedding(8, 2, seed=0), [1, 5], ax=ax),
        draw_data_parallel(8, 3, ax=ax),
        draw_kfold(10, 3, ax=ax),
    ]


def test_every_diagram_is_deterministic_with_unique_gids():
    first, second = _all_diagrams(), _all_diagrams()
    for a, b in zip(first, second):
        assert _png(a) == _png(b)
        gids = [g.get_gid() for g in a.findobj() if g.get_gid()]
        assert len(gids) == len(set(gids)), f"repeated gids: {sorted(g for g in set(gids) if gids.count(g) > 1)}"


def test_diagrams_draw_on_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    assert draw_kfold(6, 2, ax=left) is fig and draw_splits(10, ax=right) is fig
    assert len(_shapes(fig, "fold-")) == 4 and len(_shapes(fig, "part-")) == 3
    assert all(f is fig for f in _all_diagrams(ax=right))
    with pytest.raises(TypeError, match="draw_kfold: expected ax to be a matplotlib Axes or None, got str"):
        draw_kfold(6, 2, ax="left")
