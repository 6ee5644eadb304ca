"""dlcourse: NumPy reference implementations of deep learning, proven equal to Keras.

Each submodule is one concept of the course, meant to be read top to bottom next to
the chapter that uses it:

- ``activations``  sigmoid, tanh, ReLU, softmax and their derivatives
- ``losses``       mean squared error and the cross-entropies, with gradients
- ``layers``       Dense, Conv2D, pooling, SimpleRNN, Embedding, Dropout, ...
- ``optimizers``   SGD (momentum, Nesterov), RMSprop, Adam, AdamW; learning-rate schedules
- ``initializers`` Glorot, He and LeCun initialization, as Keras scales them
- ``metrics``      accuracy in Keras' four flavors, usable on your own predictions
- ``model``        ``Sequential``: compile / fit / evaluate / predict
- ``gradcheck``    numerical gradient checks
- ``data``         offline data sets, splitting, batching, safe downloads
- ``keras_bridge`` move a model to Keras and back (imports TensorFlow)
- ``parallel``     synchronous data-parallel SGD, NumPy and tf.distribute
- ``diagrams``     pictures drawn from the very objects a chapter computes with
- ``experiments``  repeat an experiment over seeds: mean and spread
- ``bench``        ``python -m dlcourse.bench``: timings against TensorFlow

Submodules load on first use, so ``import dlcourse`` stays fast and never imports
TensorFlow.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "activations", "losses", "layers", "optimizers", "model", "gradcheck", "data",
    "initializers", "keras_bridge", "parallel", "history", "tfsetup", "callbacks",
    "perceptron", "bench", "metrics", "diagrams", "experiments",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'dlcourse' has no attribute {name!r}")
