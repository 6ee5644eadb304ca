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

- ``CategoricalCrossentropy`` renormalises each row to sum to 1, then clips to
  :math:`[\epsilon, 1-\epsilon]` with :math:`\epsilon = 10^{-7}` before the log;
- ``SparseCategoricalCrossentropy`` clips (without renormalising) and then applies a
  log-softmax to ``log p``, which renormalises *after* clipping;
- ``BinaryCrossentropy`` clips.

A clipped entry gets zero gradient, as in TensorFlow. With ``from_logits=True`` the
stable forms are used instead: log-sum-exp for softmax cross-entropy and
:math:`\max(x,0) - xy + \log(1 + e^{-|x|})` for sigmoid cross-entropy.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, check_int_array
from .activations import sigmoid

__all__ = [
    "Loss", "MeanSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "get", "EPSILON",
]

EPSILON = 1e-7  # keras.backend.epsilon()


def _clip_bounds(dtype):
    # Keras converts eps and 1 - eps (computed in Python floats) to the tensor's dtype.
    return np.asarray(EPSILON, dtype), np.asarray(1.0 - EPSILON, dtype)


def _logsumexp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis`` (kept), shifted by the maximum so nothing overflows."""
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


class Loss:
    """Base class: validation and the shared ``__call__``/``gradient`` interface.

    Subclasses implement ``_prepare`` (validate, return arrays), ``_value`` and
    ``_gradient`` on prepared arrays.

    Attributes
    ----------
    name : str
        Keras' name, e.g. ``"categorical_crossentropy"``.
    from_logits : bool
        Whether ``y_pred`` holds logits (pre-activation scores) instead of probabilities.
    """

    name = "loss"

    def __init__(self, from_logits: bool = False):
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: expected from_logits to be a bool, got {type(from_logits).__name__}")
        self.from_logits = bool(from_logits)

    # -- public interface ---------------------------------------------------
    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """The loss value: mean over the batch of the per-sample losses.

        Parameters
        ----------
        y_true : array, shape of ``y_pred`` (``(batch,)`` class ids for the sparse loss)
        y_pred : array, shape ``(batch, ...)``, e.g. ``(batch, classes)`` or ``(batch, 1)``
        sample_weight : array, shape ``(batch,)`` (or ``(batch, 1)``), optional
            Non-negative finite weight per sample (for ``y_pred`` of shape ``(batch, steps,
            classes)``: per loss value, shape ``(batch, steps)``, as Keras). The weighted sum of the per-sample
            losses is divided by their number, not by the sum of the weights (Keras'
            ``"sum_over_batch_size"``).

        Returns
        -------
        float
        """
        t, p = self._prepare(y_true, y_pred)
        if sample_weight is None:
            return self._value(t, p)
        w = self._sample_weight(sample_weight, p)
        per = self._per_sample(t, p)
        return float(np.sum(per * w) / per.size)

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        """d(loss value)/d(y_pred): an array of the same shape and dtype as ``y_pred`` (arguments as ``__call__``)."""
        t, p = self._prepare(y_true, y_pred)
        if sample_weight is None:
            return self._gradient(t, p)
        return self._weighted_gradient(self._gradient(t, p), self._sample_weight(sample_weight, p))

    def value_and_gradient(self, y_true, y_pred, sample_weight=None) -> tuple[float, np.ndarray]:
        """Both at once, validating the inputs only once (what a training step needs)."""
        t, p = self._prepare(y_true, y_pred)
        if sample_weight is None:
            return self._both(t, p)
        w = self._sample_weight(sample_weight, p)
        per = self._per_sample(t, p)
        value = float(np.sum(per * w) / per.size)
        return value, self._weighted_gradient(self._gradient(t, p), w)

    def _both(self, t, p) -> tuple[float, np.ndarray]:
        return self._value(t, p), self._gradient(t, p)

    # -- sample weights, shared by every loss --------------------------------
    def _sample_weight(self, sample_weight, p: np.ndarray) -> np.ndarray:
        """Validate weights: one non-negative finite number per sample, cast to ``p``'s dtype."""
        where = self._where()
        if p.ndim < 2:
            raise ValueError(f"{where}: expected y_pred of shape (batch, ...) with at least 2 axes when "
                             f"sample_weight is given, got shape {p.shape}")
        w = as_float_array(sample_weight, f"{where}: sample_weight", dtype=p.dtype)
        if w.ndim == p.ndim and w.shape[-1] == 1:
            w = w[..., 0]  # Keras squeezes (batch, 1) to the per-sample losses' rank
        if w.shape != p.shape[:-1]:
            shape = "(" + ", ".join(map(str, p.shape[:-1])) + ("," if p.ndim == 2 else "") + ")"
            raise ValueError(f"{where}: expected sample_weight of shape {shape} (one weight per loss value: "
                             f"y_pred {p.shape} without its last axis), got {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError(f"{where}: expected finite sample_weight, got NaN/inf")
        if (w < 0).any():
            raise ValueError(f"{where}: expected non-negative sample_weight, got a minimum of {w.min():.4g}")
        return w

    @staticmethod
    def _weighted_gradient(g: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Each loss value depends only on its own row of y_pred, so that row's gradient just scales by w_i."""
        g *= w[..., None]
        return g

    def _per_sample(self, t, p) -> np.ndarray:
        """The unreduced losses, shape ``y_pred.shape[:-1]`` (Keras' ``reduction=None``)."""
        return _squared_error_per_sample(t, p)  # MeanSquaredError's; the others override it

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"

    # -- validation shared by subclasses --------------------------------------
    def _where(self) -> str:
        return type(self).__name__

    def _pred(self, y_pred) -> np.ndarray:
        p = y_pred if isinstance(y_pred, np.ndarray) and y_pred.dtype.kind == "f" else as_float_array(y_pred, f"{self._where()}: y_pred")
        if p.ndim == 0 or p.shape[0] == 0:
            raise ValueError(f"{self._where()}: expected y_pred with a non-empty batch axis, got shape {p.shape}")
        # Probabilities get one combined range test later (NaN fails it too); only
        # when it fails do we look closer, so the message says which problem it is.
        if self.from_logits or isinstance(self, MeanSquaredError) or not ((p >= 0) & (p <= 1)).all():
            self._finite(p)
        return p

    def _finite(self, p) -> None:
        if not np.isfinite(p).all():
            bad = int(p.size - np.count_nonzero(np.isfinite(p)))
            raise ValueError(f"{self._where()}: expected finite y_pred, got {bad} NaN/inf entries in shape {p.shape}")

    def _same_batch(self, t: np.ndarray, p: np.ndarray) -> None:
        """Name a batch-size mismatch as such, before the less telling full-shape comparison."""
        if t.ndim >= 1 and t.shape[0] != p.shape[0]:
            raise ValueError(
                f"{self._where()}: expected y_true and y_pred with the same batch size, "
                f"got {t.shape[0]} and {p.shape[0]} (shapes {t.shape} and {p.shape})"
            )

    def _same_shape(self, y_true, p: np.ndarray, what: str) -> np.ndarray:
        """Cast targets to ``p``'s dtype and match Keras' rank fix-up: (batch,) vs (batch, 1) is allowed."""
        t = as_float_array(y_true, f"{self._where()}: y_true", dtype=p.dtype)
        if t.ndim == p.ndim - 1 and p.shape[-1] == 1:
            t = t[..., None]
        elif t.ndim == p.ndim + 1 and t.shape[-1] == 1:
            t = t[..., 0]
        self._same_batch(t, p)
        if t.shape != p.shape:
            raise ValueError(f"{self._where()}: expected y_true of shape {p.shape} ({what}, like y_pred), got {t.shape}")
        if not np.isfinite(t).all():
            raise ValueError(f"{self._where()}: expected finite y_true, got NaN/inf in shape {t.shape}")
        return t

    def _unit_interval(self, x: np.ndarray, what: str) -> None:
        # Callers have rejected NaN already (``_pred``, ``_same_shape``), so failing the
        # range test means a value below 0 or above 1.
        if ((x >= 0) & (x <= 1)).all():
            return
        lo, hi = x.min(), x.max()
        if lo < 0 or hi > 1:
            raise ValueError(f"{self._where()}: expected {what} in [0, 1], got values in [{lo:.4g}, {hi:.4g}]")

    def _prepare(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def _value(self, t, p) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _gradient(self, t, p) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def _squared_error_per_sample(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the squared error: MeanSquaredError's per-sample loss."""
    d = p - t
    return np.mean(d * d, axis=-1)


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
        return float(np.mean(d * d))

    def _gradient(self, t, p) -> np.ndarray:
        return (p - t) * np.asarray(2.0 / p.size, p.dtype)


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
            with np.errstate(under="ignore"):
                per = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
        else:
            lo, hi = _clip_bounds(p.dtype)
            pc = np.clip(p, lo, hi)
            per = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
        return np.mean(per, axis=-1)

    def _gradient(self, t, p) -> np.ndarray:
        scale = np.asarray(1.0 / p.size, p.dtype)
        if self.from_logits:
            return (sigmoid(p) - t) * scale
        lo, hi = _clip_bounds(p.dtype)
        pc = np.clip(p, lo, hi)
        g = ((1 - t) / (1 - pc) - t / pc) * scale
        g[(p < lo) | (p > hi)] = 0  # the clip is flat there, as in TensorFlow
        return g


class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy with one-hot (or soft) targets over the last axis.

    Per sample :math:`\ell = -\sum_k y_k \log q_k`, averaged over the ``B`` samples.

    From probabilities :math:`p`, Keras first renormalises, :math:`q = p / \sum_k p_k`,
    then clips :math:`q` to :math:`[\epsilon, 1-\epsilon]`. With :math:`g_k = -y_k/(B q_k)`
    (0 where clipped) and :math:`S = \sum_k p_k`, the chain rule through the
    renormalisation gives :math:`\partial L/\partial p_j = (g_j - \sum_k g_k q_k)/S`.

    From logits :math:`x`: :math:`\ell = \operatorname{logsumexp}(x)\sum_k y_k - \sum_k y_k x_k`
    and :math:`\partial L/\partial x = (\operatorname{softmax}(x)\sum_k y_k - y)/B`
    (the familiar ``softmax - y`` when the targets sum to 1).
    """

    name = "categorical_crossentropy"

    def _prepare(self, y_true, y_pred):
        p = self._pred(y_pred)
        if p.ndim < 2:
            raise ValueError(f"{self._where()}: expected y_pred of shape (batch, ..., classes), got shape {p.shape}")
        t = as_float_array(y_true, f"{self._where()}: y_true", dtype=p.dtype)
        self._same_batch(t, p)
        if t.shape != p.shape:
            hint = " (integer labels need SparseCategoricalCrossentropy)" if t.shape == p.shape[:-1] else ""
            raise ValueError(f"{self._where()}: expected one-hot y_true of shape {p.shape} (like y_pred), got {t.shape}{hint}")
        if not np.isfinite(t).all():
            raise ValueError(f"{self._where()}: expected finite y_true, got NaN/inf in shape {t.shape}")
        self._unit_interval(t, "targets y_true")
        if not self.from_logits:
            self._unit_interval(p, "probabilities y_pred (pass from_logits=True for logits)")
            if not (p.sum(axis=-1) > 0).all():
                raise ValueError(f"{self._where()}: expected probabilities with a positive sum per sample, got a row of zeros")
        return t, p

    def _value(self, t, p) -> float:
        # one implementation, so loss(y, p) equals value_and_gradient(y, p)[0] bit for bit
        return self._both(t, p)[0]

    def _gradient(self, t, p) -> np.ndarray:
        return self._both(t, p)[1]

    def _per_sample(self, t, p) -> np.ndarray:
        if self.from_logits:
            return np.sum(t * (_logsumexp(p) - p), axis=-1)
        lo, hi = _clip_bounds(p.dtype)
        q = p / p.sum(axis=-1, keepdims=True)
        return -np.sum(t * np.log(np.clip(q, lo, hi)), axis=-1)

    def _both(self, t, p):
        n = p.size // p.shape[-1]
        scale = np.asarray(1.0 / n, p.dtype)
        if self.from_logits:
            lse = _logsumexp(p)
            value = float(np.sum(t * (lse - p)) / n)
            with np.errstate(under="ignore"):
                softmax = np.exp(p - lse)
            return value, (softmax * t.sum(axis=-1, keepdims=True) - t) * scale
        lo, hi = _clip_bounds(p.dtype)
        s = p.sum(axis=-1, keepdims=True)
        q = p / s
        qc = np.clip(q, lo, hi)
        value = float(-np.sum(t * np.log(qc)) / n)
        g = -t / qc * scale
        g[(q < lo) | (q > hi)] = 0  # clipped entries: flat, no gradient
        return value, (g - np.sum(g * q, axis=-1, keepdims=True)) / s


class SparseCategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy with integer class labels.

    ``y_true`` holds class ids, shape ``(batch,)`` (or ``(batch, 1)``), for ``y_pred`` of
    shape ``(batch, classes)``; more leading axes work the same way. Per sample
    :math:`\ell = \operatorname{logsumexp}(x) - x_{y}`, averaged over the samples, where
    the logits :math:`x` are ``y_pred`` itself (``from_logits=True``) or, as Keras does,
    :math:`x = \log \operatorname{clip}(p, \epsilon, 1-\epsilon)`. Then
    :math:`\partial L/\partial x = (\operatorname{softmax}(x) - \mathrm{onehot}(y))/B`, and from
    probabilities one more factor :math:`1/p` (0 where clipped).
    """

    name = "sparse_categorical_crossentropy"

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
            raise ValueError(f"{where}: expected integer labels y_true of shape {p.shape[:-1]} for y_pred of shape {p.shape}, got {y.shape}{hint}")
        if not self.from_logits:
            self._unit_interval(p, "probabilities y_pred (pass from_logits=True for logits)")
        return y, p

    def _logits(self, p):
        if self.from_logits:
            return p
        lo, hi = _clip_bounds(p.dtype)
        return np.log(np.clip(p, lo, hi))

    def _value(self, y, p) -> float:
        return self._both(y, p, grad=False)[0]

    def _gradient(self, y, p) -> np.ndarray:
        return self._both(y, p)[1]

    def _per_sample(self, y, p) -> np.ndarray:
        x2 = self._logits(p).reshape(y.size, -1)
        return (_logsumexp(x2)[:, 0] - x2[np.arange(y.size), y.reshape(-1)]).reshape(y.shape)

    def _both(self, y, p, grad=True):
        x = self._logits(p)
        rows, labels = np.arange(y.size), y.reshape(-1)
        x2 = x.reshape(y.size, -1)  # (samples, classes)
        lse = _logsumexp(x2)
        value = float(np.mean(lse[:, 0] - x2[rows, labels]))
        if not grad:
            return value, None
        with np.errstate(under="ignore"):
            g = np.exp(x2 - lse)  # softmax(x)
        g[rows, labels] -= 1
        g *= np.asarray(1.0 / y.size, p.dtype)
        g = g.reshape(p.shape)
        if not self.from_logits:
            lo, hi = _clip_bounds(p.dtype)
            g /= np.clip(p, lo, hi)  # d log(p)/dp
            g[(p < lo) | (p > hi)] = 0
        return value, g


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
