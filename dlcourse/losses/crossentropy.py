r"""The cross-entropies: binary (sigmoid outputs), categorical (one-hot targets), sparse (labels).

Each computes from probabilities exactly as Keras does (clipping, renormalization) or,
with ``from_logits=True``, from logits in a form that stays accurate for any finite
logits. Each also knows the shortcut through the activation that produced its
probabilities (``value_and_logits_gradient``): softmax then cross-entropy has
dloss/dlogits ``(p * sum(y) - y) / N``, sigmoid then binary cross-entropy ``(p - y) / N``.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_int_array
from ..activations import sigmoid
from .base import Loss, clip_bounds, log_softmax

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


class BinaryCrossentropy(Loss):
    r"""Binary cross-entropy, mean over every entry (each an independent yes/no).

    From probabilities :math:`p` (clipped to :math:`[\epsilon, 1-\epsilon]`):

    .. math:: L = -\frac{1}{N}\sum_i \big[y_i \log p_i + (1-y_i)\log(1-p_i)\big],
       \qquad \frac{\partial L}{\partial p_i} = \frac{1}{N}\Big(\frac{1-y_i}{1-p_i} - \frac{y_i}{p_i}\Big).

    From logits :math:`x` (``from_logits=True``), with :math:`p = \sigma(x)`:

    .. math:: L = \frac{1}{N}\sum_i \big[\max(x_i,0) - x_i y_i + \log(1+e^{-|x_i|})\big],
       \qquad \frac{\partial L}{\partial x_i} = \frac{\sigma(x_i) - y_i}{N}.

    Targets may be soft, anywhere in [0, 1].
    """

    name = "binary_crossentropy"
    logits_activation = "sigmoid"

    def _prepare(self, y_true, y_pred):
        p = self._pred(y_pred)
        t = self._same_shape(y_true, p, "targets")
        self._unit_interval(t, "targets y_true")
        if not self.from_logits:
            self._unit_interval(p, "probabilities y_pred (pass from_logits=True for logits)")
        return t, p

    def _value(self, t, p) -> float:
        # mean over the last axis, then over the batch: Keras' order of reduction
        return float(np.mean(self._per_sample(t, p)))

    def _per_sample(self, t, p) -> np.ndarray:
        if self.from_logits:
            # max(x, 0) - x y, written as x (1 - y) or -x y: two non-negative terms, no cancellation
            with np.errstate(under="ignore"):
                per = np.where(p > 0, p * (1 - t), -p * t) + np.log1p(np.exp(-np.abs(p)))
        else:
            lo, hi = clip_bounds(p.dtype)
            pc = np.clip(p, lo, hi)
            per = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
        return np.mean(per, axis=-1)

    def _gradient(self, t, p) -> np.ndarray:
        scale = np.asarray(1.0 / p.size, p.dtype)
        if self.from_logits:
            return (sigmoid(p) - t) * scale
        lo, hi = clip_bounds(p.dtype)
        pc = np.clip(p, lo, hi)
        g = ((1 - t) / (1 - pc) - t / pc) * scale
        g[(p < lo) | (p > hi)] = 0  # the clip is flat there, as in TensorFlow
        return g

    def _logits_value_and_gradient(self, t, p, w):
        """Sigmoid shortcut: the clipped binary cross-entropy of ``p`` and dL/dz = (p - y) / N."""
        lo, hi = clip_bounds(p.dtype)
        pc = p.clip(lo, hi)
        terms = t * np.log(pc) + (1 - t) * np.log1p(-pc)
        g = p - t
        if w is not None:  # a sample's weight scales its loss terms and their gradient
            terms, g = terms * w[..., None], g * w[..., None]
        return -float(np.mean(terms)), g / p.size


class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy with one-hot (or soft) targets over the last axis.

    Per sample :math:`\ell = -\sum_k y_k \log q_k`, averaged over the ``B`` samples.

    From probabilities :math:`p`, Keras first renormalizes, :math:`q = p / \sum_k p_k`,
    then clips :math:`q` to :math:`[\epsilon, 1-\epsilon]`. With :math:`g_k = -y_k/(B q_k)`
    (0 where clipped) and :math:`S = \sum_k p_k`, the chain rule through the
    renormalization gives :math:`\partial L/\partial p_j = (g_j - \sum_k g_k q_k)/S`.

    From logits :math:`x`: :math:`\ell = -\sum_k y_k \log \operatorname{softmax}(x)_k`
    and :math:`\partial L/\partial x = (\operatorname{softmax}(x)\sum_k y_k - y)/B`
    (the familiar ``softmax - y`` when the targets sum to 1).
    """

    name = "categorical_crossentropy"
    logits_activation = "softmax"

    def _prepare(self, y_true, y_pred):
        p = self._pred(y_pred)
        if p.ndim < 2:
            raise ValueError(f"{self._where()}: expected y_pred of shape (batch, ..., classes), got shape {p.shape}")
        t = as_float_array(y_true, f"{self._where()}: y_true", dtype=p.dtype)
        self._same_batch(t, p)
        if t.shape != p.shape:
            hint = " (integer labels need SparseCategoricalCrossentropy)" if t.shape == p.shape[:-1] else ""
            raise ValueError(f"{self._where()}: expected one-hot y_true of shape {p.shape} (like y_pred), "
                             f"got {t.shape}{hint}")
        if not np.isfinite(t).all():
            raise ValueError(f"{self._where()}: expected finite y_true, got NaN/inf in shape {t.shape}")
        self._unit_interval(t, "targets y_true")
        if not self.from_logits:
            self._unit_interval(p, "probabilities y_pred (pass from_logits=True for logits)")
            if not (p.sum(axis=-1) > 0).all():
                raise ValueError(f"{self._where()}: expected probabilities with a positive sum per sample, "
                                 f"got a row of zeros")
        return t, p

    def _value(self, t, p) -> float:
        # one implementation, so loss(y, p) equals value_and_gradient(y, p)[0] bit for bit
        return self._both(t, p)[0]

    def _gradient(self, t, p) -> np.ndarray:
        return self._both(t, p)[1]

    def _per_sample(self, t, p) -> np.ndarray:
        if self.from_logits:
            return -np.sum(t * log_softmax(p), axis=-1)
        lo, hi = clip_bounds(p.dtype)
        q = p / p.sum(axis=-1, keepdims=True)
        return -np.sum(t * np.log(np.clip(q, lo, hi)), axis=-1)

    def _both(self, t, p):
        n = p.size // p.shape[-1]
        scale = np.asarray(1.0 / n, p.dtype)
        if self.from_logits:
            log_p = log_softmax(p)
            with np.errstate(under="ignore"):
                softmax = np.exp(log_p)
            return float(-np.sum(t * log_p) / n), (softmax * t.sum(axis=-1, keepdims=True) - t) * scale
        lo, hi = clip_bounds(p.dtype)
        s = p.sum(axis=-1, keepdims=True)
        q = p / s
        qc = np.clip(q, lo, hi)
        value = float(-np.sum(t * np.log(qc)) / n)
        g = -t / qc * scale
        g[(q < lo) | (q > hi)] = 0  # clipped entries: flat, no gradient
        return value, (g - np.sum(g * q, axis=-1, keepdims=True)) / s

    def _logits_value_and_gradient(self, t, p, w):
        """Softmax shortcut: -sum(y log p) / n and dL/dz = (p * sum(y) - y) / n over the n samples."""
        n = p.size // p.shape[-1]  # Keras averages over every axis but the classes
        if w is not None:
            t = t * w[..., None]  # a weight scales its sample's targets, so its loss and its gradient
        lo, hi = clip_bounds(p.dtype)
        value = -float(np.vdot(t, np.log(p.clip(lo, hi)))) / n
        return value, (p * t.sum(axis=-1, keepdims=True) - t) / n


class SparseCategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy with integer class labels.

    ``y_true`` holds class ids, shape ``(batch,)`` (or ``(batch, 1)``), for ``y_pred`` of
    shape ``(batch, classes)``; more leading axes work the same way. Per sample
    :math:`\ell = -\log \operatorname{softmax}(x)_y`, averaged over the samples, where
    the logits :math:`x` are ``y_pred`` itself (``from_logits=True``) or, as Keras does,
    :math:`x = \log \operatorname{clip}(p, \epsilon, 1-\epsilon)`. Then
    :math:`\partial L/\partial x = (\operatorname{softmax}(x) - \mathrm{onehot}(y))/B`, and from
    probabilities one more factor :math:`1/p` (0 where clipped).
    """

    name = "sparse_categorical_crossentropy"
    logits_activation = "softmax"

    def _prepare(self, y_true, y_pred):
        p = self._pred(y_pred)
        where = self._where()
        if p.ndim < 2:
            raise ValueError(f"{where}: expected y_pred of shape (batch, ..., classes), got shape {p.shape}")
        y = check_int_array(y_true, f"{where}: y_true (class labels)", low=0, high=p.shape[-1])
        if y.ndim == p.ndim and y.shape[-1] == 1:
            y = y[..., 0]
        self._same_batch(y, p)
        if y.shape != p.shape[:-1]:
            hint = " (one-hot targets need CategoricalCrossentropy)" if y.shape == p.shape else ""
            raise ValueError(f"{where}: expected integer labels y_true of shape {p.shape[:-1]} for y_pred of "
                             f"shape {p.shape}, got {y.shape}{hint}")
        if not self.from_logits:
            self._unit_interval(p, "probabilities y_pred (pass from_logits=True for logits)")
        return y, p

    def _log_probabilities(self, y, p):
        """``log softmax(x)`` with one row per sample, shape ``(samples, classes)``."""
        if self.from_logits:
            return log_softmax(p.reshape(y.size, -1))
        lo, hi = clip_bounds(p.dtype)
        x = np.log(np.clip(p, lo, hi)).reshape(y.size, -1)
        # Keras' own arithmetic, exact enough here: log p lies in [log eps, 0]
        m = x.max(axis=-1, keepdims=True)
        with np.errstate(under="ignore"):
            return x - (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))

    def _value(self, y, p) -> float:
        return self._both(y, p)[0]

    def _gradient(self, y, p) -> np.ndarray:
        return self._both(y, p)[1]

    def _per_sample(self, y, p) -> np.ndarray:
        log_p = self._log_probabilities(y, p)
        return -log_p[np.arange(y.size), y.reshape(-1)].reshape(y.shape)

    def _both(self, y, p):
        log_p = self._log_probabilities(y, p)
        rows, labels = np.arange(y.size), y.reshape(-1)
        value = float(-np.mean(log_p[rows, labels]))
        with np.errstate(under="ignore"):
            g = np.exp(log_p)  # softmax(x)
        g[rows, labels] -= 1
        g *= np.asarray(1.0 / y.size, p.dtype)
        g = g.reshape(p.shape)
        if not self.from_logits:
            lo, hi = clip_bounds(p.dtype)
            g /= np.clip(p, lo, hi)  # d log(p)/dp
            g[(p < lo) | (p > hi)] = 0
        return value, g

    def _logits_value_and_gradient(self, y, p, w):
        """Softmax shortcut: -log p[label] averaged over the n samples, dL/dz = (p - onehot(y)) / n."""
        n = y.size
        p2 = p.reshape(n, -1)
        onehot = y.reshape(-1, 1) == np.arange(p2.shape[1])  # labels were checked: one True per row
        lo, hi = clip_bounds(p.dtype)
        losses = -np.log(p2[onehot].clip(lo, hi))  # p[label] of each row, in row order
        g = p2 - onehot
        if w is not None:  # a sample's weight scales its loss and its gradient row
            losses, g = losses * w.reshape(-1), g * w.reshape(-1, 1)
        return float(losses.sum()) / n, (g / n).reshape(p.shape)
