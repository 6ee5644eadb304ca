"""Computational graphs annotated with an actual run: forward values above, backward gradients below.

Two kinds: a scalar expression built from :class:`Scalar` (CS231n's gates: add distributes the
gradient, multiply swaps the inputs, max routes it to the larger input), and the graph of a
stack of Dense layers with a loss, annotated from the layers' own forward and backward passes.
"""
from __future__ import annotations

import numpy as np

from ._style import COLORS, arrow, box, finish, fmt, new_axes

__all__ = ["Scalar", "draw_expression", "draw_layer_graph"]


class Scalar:
    """A number that remembers how it was computed, so ``backward`` can apply the chain rule.

    Parameters
    ----------
    value : float
    name : str, optional
        Shown in the diagram (``"x"``); results are named by their gate.

    Examples
    --------
    >>> x, y = Scalar(3.0, "x"), Scalar(-4.0, "y")
    >>> f = x * y
    >>> f.backward()
    >>> x.grad, y.grad  # multiply swaps: df/dx = y, df/dy = x
    (-4.0, 3.0)
    """

    def __init__(self, value, name: str = "", op: str = "", parents=()):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"Scalar: expected a real number, got {type(value).__name__}")
        if not np.isfinite(value):
            raise ValueError(f"Scalar: expected a finite number, got {value}")
        self.value, self.name, self.op, self.parents = float(value), name, op, tuple(parents)
        self.grad = 0.0
        self._local = ()  # d(self)/d(parent) for each parent, set by the gate that made self

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Scalar) else Scalar(other, name=fmt(other))

    def __add__(self, other):
        other = self._wrap(other)
        out = Scalar(self.value + other.value, op="+", parents=(self, other))
        out._local = (1.0, 1.0)  # add distributes the gradient unchanged
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Scalar(self.value * other.value, op="*", parents=(self, other))
        out._local = (other.value, self.value)  # multiply swaps the inputs
        return out

    __radd__, __rmul__ = __add__, __mul__

    def maximum(self, other):
        """``max(self, other)``; the gradient goes to the larger input only (the first on a tie)."""
        other = self._wrap(other)
        first = self.value >= other.value
        out = Scalar(max(self.value, other.value), op="max", parents=(self, other))
        out._local = (1.0, 0.0) if first else (0.0, 1.0)
        return out

    def nodes(self) -> list:
        """Every node of the graph, inputs before the nodes computed from them."""
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for p in node.parents:
                    visit(p)
                order.append(node)
        visit(self)
        return order

    def backward(self) -> None:
        """Fill ``grad`` = d(self)/d(node) for every node, from the output back to the inputs."""
        order = self.nodes()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node._local):
                parent.grad += local * node.grad  # chain rule; += because a node may feed several gates

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}, name={self.name!r}, op={self.op!r})"


def _depths(order):
    """Column of each node: inputs at 0, a gate one column right of its deepest input."""
    depth = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    return depth


def draw_expression(output, ax=None):
    """Draw the graph that computed ``output``, after running ``output.backward()``.

    Each edge carries the value flowing forward (above, black) and the gradient flowing
    back (below, red), the picture of CS231n's backpropagation notes.

    Parameters
    ----------
    output : Scalar
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Node ``k`` in ``output.nodes()`` order has gid ``node-k``; its text ``node-k-value``
        is its value and ``node-k-grad`` its gradient.

    Examples
    --------
    >>> from dlcourse.diagrams import texts
    >>> x, y, z, w = Scalar(3.0, "x"), Scalar(-4.0, "y"), Scalar(2.0, "z"), Scalar(-1.0, "w")
    >>> fig = draw_expression((x * y + z.maximum(w)) * 2)
    >>> texts(fig, "node-0-grad")  # df/dx = 2 y
    {'node-0-grad': '-8.00'}
    """
    where = "draw_expression"
    if not isinstance(output, Scalar):
        raise TypeError(f"{where}: expected a dlcourse.diagrams.Scalar, got {type(output).__name__}")
    output.backward()
    order = output.nodes()
    depth = _depths(order)
    rows: dict[int, int] = {}
    pos = {}
    for node in order:
        d = depth[id(node)]
        pos[id(node)] = (2.4 * d, -1.3 * rows.get(d, 0))
        rows[d] = rows.get(d, 0) + 1
    fig, ax = new_axes(ax, (2.0 * (max(rows) + 1) + 1, 1.2 * max(rows.values()) + 1), where)
    for k, node in enumerate(order):
        x, y = pos[id(node)]
        leaf = not node.parents
        label = node.name if leaf else node.op
        box(ax, (x, y), label, f"node-{k}", COLORS["input"] if leaf else COLORS["unit"], width=0.8, height=0.5)
        ax.text(x + 0.45, y + 0.28, fmt(node.value), fontsize=8, color=COLORS["value"], gid=f"node-{k}-value")
        ax.text(x + 0.45, y - 0.42, fmt(node.grad), fontsize=8, color=COLORS["grad"], gid=f"node-{k}-grad")
        for parent in node.parents:
            px, py = pos[id(parent)]
            arrow(ax, (px + 0.4, py), (x - 0.4, y), f"edge-{order.index(parent)}-{k}")
    finish(ax)
    return fig


def _layer_graph_run(layers, loss, x, y, where):
    """Forward and backward through ``layers`` and ``loss``: values and gradients of every node by name."""
    from .._checks import as_float_array

    values = {"X": as_float_array(x, where)}
    for l, layer in enumerate(layers, start=1):
        a_prev = values[f"A{l - 1}" if l > 1 else "X"]
        values[f"W{l}"], values[f"b{l}"] = layer.params["kernel"], layer.params["bias"]
        values[f"Z{l}"] = a_prev @ layer.params["kernel"] + layer.params["bias"]
        values[f"A{l}"] = layer.forward(a_prev)
    values["L"] = float(loss(y, values[f"A{len(layers)}"]))
    g = loss.gradient(y, values[f"A{len(layers)}"])
    grads = {"L": 1.0}
    for l in range(len(layers), 0, -1):
        layer = layers[l - 1]
        grads[f"A{l}"] = g
        grads[f"Z{l}"] = layer._act.backward(values[f"A{l}"], g)
        g = layer.backward(g)
        grads[f"W{l}"], grads[f"b{l}"] = layer.grads["kernel"], layer.grads["bias"]
    grads["X"] = g
    return values, grads


def draw_layer_graph(layers, loss, x, y, ax=None):
    """Draw ``X -> [Z = A W + b -> A = f(Z)] per layer -> L`` with norms of every value and gradient.

    Runs the layers' ``forward`` and ``backward`` once on ``(x, y)`` (so afterwards ``grads``
    holds this run's gradients, as after any backward pass) and annotates each node with its
    shape, the (Frobenius) norm of its value and the norm of dL/d(node), its "grad norm".

    Parameters
    ----------
    layers : Sequential or list of dlcourse.layers.Dense (with biases)
    loss : dlcourse loss (callable, with ``gradient``)
    x, y : arrays
        A batch and its targets.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        Node gids ``node-X``, ``node-W1``, ``node-b1``, ``node-Z1``, ``node-A1``, ..., ``node-L``;
        texts ``node-<name>-value`` and ``node-<name>-grad`` end with the two norms (4 significant digits).
    """
    from ..layers import Dense

    where = "draw_layer_graph"
    layers = list(getattr(layers, "layers", layers))
    if not layers or not all(isinstance(layer, Dense) and layer.use_bias for layer in layers):
        raise TypeError(f"{where}: expected a non-empty list of dlcourse Dense layers with biases, "
                        f"got {[type(layer).__name__ for layer in layers]}")
    if not (callable(loss) and hasattr(loss, "gradient")):
        raise TypeError(f"{where}: expected a dlcourse loss with gradient(), got {type(loss).__name__}")
    values, grads = _layer_graph_run(layers, loss, x, y, where)
    fig, ax = new_axes(ax, (3.4 * len(layers) + 2.5, 3.0), where)
    _graph_node(ax, (0, 0), "X", values, grads)
    for l, layer in enumerate(layers, start=1):
        xz = 5.0 * l - 2.5  # Z^l in the middle of its layer's span, A^l at its right end
        a_prev = f"A{l - 1}" if l > 1 else "X"
        _graph_node(ax, (xz, 1.5), f"W{l}", values, grads)
        _graph_node(ax, (xz, -1.5), f"b{l}", values, grads)
        _graph_node(ax, (xz, 0), f"Z{l}", values, grads, title=f"Z{l} = {a_prev} W{l} + b{l}")
        _graph_node(ax, (xz + 2.5, 0), f"A{l}", values, grads, title=f"A{l} = {layer.activation or 'linear'}(Z{l})")
        arrow(ax, (xz - 1.55, 0), (xz - 0.95, 0), f"edge-{a_prev}-Z{l}")
        arrow(ax, (xz, 1.25), (xz, 0.25), f"edge-W{l}-Z{l}")
        arrow(ax, (xz, -1.25), (xz, -0.25), f"edge-b{l}-Z{l}")
        arrow(ax, (xz + 0.95, 0), (xz + 1.55, 0), f"edge-Z{l}-A{l}")
    xl = 5.0 * len(layers) + 2.5
    arrow(ax, (xl - 1.55, 0), (xl - 0.6, 0), "edge-L")
    box(ax, (xl, 0), f"L = {values['L']:.4g}", "node-L", COLORS["output"], width=1.2, height=0.45, fontsize=8)
    ax.text(xl, -0.45, "grad 1", ha="center", fontsize=7, color=COLORS["grad"], gid="node-L-grad")
    finish(ax)
    return fig


def _graph_node(ax, xy, name, values, grads, title=None):
    """A box for one array of the run: its shape, the norm of its value and of its gradient."""
    x, y = xy
    value = values[name]
    box(ax, xy, title or name, f"node-{name}", COLORS["input"] if name[0] in "XWb" else COLORS["unit"],
        width=1.9, height=0.45, fontsize=8)
    shape = "x".join(str(n) for n in np.shape(value))
    # Z nodes have arrows coming in from above and below: their numbers sit right of the arrows
    tx, ha = (x + 0.08, "left") if name[0] == "Z" else (x, "center")
    ax.text(tx, y + 0.3, f"{shape}, norm {np.linalg.norm(value):.4g}", ha=ha, fontsize=7, gid=f"node-{name}-value")
    ax.text(tx, y - 0.45, f"grad norm {np.linalg.norm(grads[name]):.4g}", ha=ha, fontsize=7, color=COLORS["grad"],
            gid=f"node-{name}-grad")
