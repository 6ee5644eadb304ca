"""Layers with explicit forward/backward passes and Keras' weight layouts.

Names load lazily from their own small modules, one concept each:
``core`` (Dense, Flatten, Dropout, activation layers), ``conv`` (Conv2D),
``pooling`` (MaxPool2D, AveragePool2D), ``recurrent`` (SimpleRNN),
``embedding`` (Embedding), ``lstm`` (LSTM), ``gru`` (GRU),
``normalization`` (BatchNormalization).
"""
from __future__ import annotations

import importlib

from .base import Layer

_WHERE = {
    "Dense": "core", "Flatten": "core", "Dropout": "core",
    "ReLU": "core", "Sigmoid": "core", "Tanh": "core", "Softmax": "core", "Activation": "core",
    "Conv2D": "conv",
    "MaxPool2D": "pooling", "AveragePool2D": "pooling",
    "SimpleRNN": "recurrent",
    "Embedding": "embedding",
    "LSTM": "lstm", "GRU": "gru",
    "BatchNormalization": "normalization",
}

__all__ = ["Layer", *_WHERE]


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'dlcourse.layers' has no attribute {name!r}")


def __dir__():
    return __all__
