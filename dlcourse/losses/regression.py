"""Mean squared error, the loss of regression."""
from __future__ import annotations

import numpy as np

from .base import Loss

__all__ = ["MeanSquaredError"]


class MeanSquaredError(Loss):
    r"""Mean squared error :math:`L = \frac{1}{N}\sum_{i}(\hat y_i - y_i)^2`.

    Keras takes the mean over the last axis per sample, then over the batch; with
    every sample the same size that is the mean over all ``N`` entries, and
    :math:`\partial L/\partial \hat y_i = 2(\hat y_i - y_i)/N`.

    ``y_true`` of shape ``(batch,)`` with ``y_pred`` of shape ``(batch, 1)`` is allowed,
    as in Keras (and not silently broadcast to ``(batch, batch)``).
    """

    name = "mean_squared_error"

    def __init__(self):
        super().__init__(from_logits=False)

    def __repr__(self) -> str:
        return "MeanSquaredError()"

    def _prepare(self, y_true, y_pred):
        p = self._pred(y_pred)
        return self._same_shape(y_true, p, "targets"), p

    def _value(self, t, p) -> float:
        d = p - t
        return float(np.mean(d * d))  # L = (1/N) sum (y_hat - y)^2

    def _per_sample(self, t, p) -> np.ndarray:
        d = p - t
        return np.mean(d * d, axis=-1)  # one loss per sample, which sample_weight scales

    def _gradient(self, t, p) -> np.ndarray:
        return (p - t) * np.asarray(2.0 / p.size, p.dtype)  # dL/dy_hat = 2 (y_hat - y) / N
