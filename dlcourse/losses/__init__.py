r"""Loss functions with their gradients, computed exactly as Keras computes them.

A loss turns targets ``y_true`` and predictions ``y_pred`` (first axis: the batch)
into one number, and its ``gradient`` is the derivative of *that number* with
respect to ``y_pred``: the starting point of backpropagation.

Keras' default reduction (``"sum_over_batch_size"``) is used throughout: a loss
value per sample (for MSE and binary cross-entropy the mean over the last axis; for
the categorical cross-entropies the sum over the class axis), then the mean over all
samples. The gradient therefore carries that 1/N factor.

``sample_weight`` (shape ``(batch,)``) multiplies each sample's loss before that mean,
and the divisor stays the number of per-sample losses, *not* the sum of the weights:
Keras' ``"sum_over_batch_size"`` reduction (``keras/src/losses/loss.py``,
``reduce_weighted_values`` then ``reduce_values``: ``sum(values * w) / prod(shape)``).
Each sample's gradient row is scaled by its weight.

Probabilities are treated as Keras treats them, because that is what makes the
numbers equal (see ``keras/src/backend/tensorflow/nn.py``):

- ``CategoricalCrossentropy`` renormalizes each row to sum to 1, then clips to
  :math:`[\epsilon, 1-\epsilon]` with :math:`\epsilon = 10^{-7}` before the log;
- ``SparseCategoricalCrossentropy`` clips (without renormalizing) and then applies a
  log-softmax to ``log p``, which renormalizes *after* clipping;
- ``BinaryCrossentropy`` clips.

A clipped entry gets zero gradient, as in TensorFlow. With ``from_logits=True`` the
stable forms are used instead: a shifted log-softmax for softmax cross-entropy and
:math:`\max(x,0) - xy + \log(1 + e^{-|x|})` for sigmoid cross-entropy.

The shortcut a training loop takes: when ``y_pred`` came out of a softmax (a sigmoid
for binary cross-entropy), ``value_and_logits_gradient`` returns the loss and
dloss/dlogits, ``(p * sum(y) - y) / N`` (``p - y`` for one-hot targets), so that
backpropagation can start below the activation without forming its Jacobian.

Modules: ``base`` (the shared interface and validation), ``regression``
(``MeanSquaredError``), ``crossentropy`` (the three cross-entropies).
"""
from __future__ import annotations

from .base import EPSILON, Loss
from .crossentropy import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy
from .regression import MeanSquaredError

__all__ = [
    "Loss", "MeanSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "get", "EPSILON",
]

_BY_NAME = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}


def get(name) -> Loss:
    """A loss instance from Keras' string name (or a Loss instance, returned unchanged).

    Parameters
    ----------
    name : {"mse", "mean_squared_error", "binary_crossentropy", "categorical_crossentropy",
            "sparse_categorical_crossentropy"} or Loss

    Raises
    ------
    ValueError for an unknown name, TypeError for anything else.

    Examples
    --------
    >>> get("mse")
    MeanSquaredError()
    >>> get("categorical_crossentropy").name
    'categorical_crossentropy'
    """
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"losses.get: expected a loss name (str) or a Loss, got {type(name).__name__}")
    try:
        return _BY_NAME[name]()
    except KeyError:
        known = ", ".join(repr(k) for k in _BY_NAME)
        raise ValueError(f"losses.get: expected one of {known}, got {name!r}") from None
