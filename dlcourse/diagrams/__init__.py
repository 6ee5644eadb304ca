"""Diagrams drawn from the very objects a chapter computes with (matplotlib only).

Every function takes the real layer, model or arrays, returns a matplotlib Figure (or draws
on a given ``ax``) and tags each drawn element with a ``gid`` naming what it shows, so a test
can check that the picture matches the object, for example that the highlighted output cell
of :func:`draw_conv` holds ``Conv2D.forward`` at that position.

- ``neuron``     :func:`draw_neuron`
- ``network``    :func:`draw_network`
- ``graph``      :class:`Scalar`, :func:`draw_expression`, :func:`draw_layer_graph`
- ``conv``       :func:`draw_conv`, :func:`draw_pool`
- ``conv_backward`` :func:`draw_conv_backward`, :func:`full_grid`
- ``dropout``    :func:`draw_dropout`, :func:`dropout_masks`
- ``optimizer``  :func:`draw_optimizer_step`, :func:`step_parts`
- ``loss``       :func:`draw_softmax_cross_entropy`
- ``recurrent``  :func:`draw_rnn_unrolled`, :func:`draw_gated_cell`
- ``embedding``  :func:`draw_embedding_lookup`
- ``parallel``   :func:`draw_data_parallel`
- ``splits``     :func:`draw_splits`, :func:`draw_kfold`
- ``animation``  :func:`conv_animation`, :func:`descent_animation`, :func:`to_offline_html`, :class:`JSAnimation`
"""
from __future__ import annotations

import importlib

_WHERE = {
    "draw_neuron": "neuron", "draw_network": "network", "shown_units": "network",
    "Scalar": "graph", "draw_expression": "graph", "draw_layer_graph": "graph",
    "draw_conv": "conv", "draw_pool": "conv",
    "draw_conv_backward": "conv_backward", "full_grid": "conv_backward",
    "draw_dropout": "dropout", "dropout_masks": "dropout",
    "draw_optimizer_step": "optimizer", "step_parts": "optimizer",
    "draw_softmax_cross_entropy": "loss",
    "draw_rnn_unrolled": "recurrent", "draw_gated_cell": "recurrent",
    "draw_embedding_lookup": "embedding", "draw_data_parallel": "parallel",
    "draw_splits": "splits", "draw_kfold": "splits",
    "conv_animation": "animation", "descent_animation": "animation", "JSAnimation": "animation",
    "to_offline_html": "animation",
    "find": "_style", "texts": "_style",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'dlcourse.diagrams' has no attribute {name!r}")


def __dir__():
    return __all__
