"""``Loss``: the interface every loss shares, its reduction and its input validation.

A subclass implements ``_prepare`` (validate, return arrays), ``_value``, ``_gradient``
and ``_per_sample`` on prepared arrays; a cross-entropy that may follow a softmax or
sigmoid also sets ``logits_activation`` and implements ``_logits_value_and_gradient``.
"""
from __future__ import annotations

import functools

import numpy as np

from .._checks import as_float_array

__all__ = ["Loss", "EPSILON"]

EPSILON = 1e-7  # keras.backend.epsilon()


@functools.lru_cache(maxsize=None)
def clip_bounds(dtype):
    """``eps`` and ``1 - eps`` in ``dtype``: Keras converts them (computed in Python floats) to the tensor's dtype."""
    return np.asarray(EPSILON, dtype), np.asarray(1.0 - EPSILON, dtype)


def log_softmax(x: np.ndarray) -> np.ndarray:
    r"""``log(softmax(x))`` along the last axis, accurate for any finite ``x``.

    With :math:`s = x - \max x` (every exponent <= 0, so nothing overflows), the result
    is :math:`s - \log(c + r)`, where ``c`` counts the entries at the maximum and ``r``
    sums :math:`e^{s}` over the others; :math:`\log c + \operatorname{log1p}(r / c)` keeps
    a confident row's tiny loss instead of rounding ``1 + r`` to 1. Shifting *before*
    the log keeps large logits from swallowing the small terms: three logits of 1e5
    give :math:`-\ln 3` each, where ``m + log(sum(exp(x - m)))`` rounds to the float32
    spacing of 1e5.
    """
    with np.errstate(over="ignore"):  # a spread beyond float32's range saturates instead of becoming -inf
        s = np.maximum(x - x.max(axis=-1, keepdims=True), np.finfo(x.dtype).min)
    at_max = s == 0
    c = at_max.sum(axis=-1, keepdims=True).astype(x.dtype)
    with np.errstate(under="ignore"):
        r = np.where(at_max, 0, np.exp(s)).sum(axis=-1, keepdims=True)
    return s - (np.log(c) + np.log1p(r / c))


class Loss:
    """Base class: validation and the shared ``__call__``/``gradient`` interface.

    Attributes
    ----------
    name : str
        Keras' name, e.g. ``"categorical_crossentropy"``.
    from_logits : bool
        Whether ``y_pred`` holds logits (pre-activation scores) instead of probabilities.
    logits_activation : {"softmax", "sigmoid"} or None
        The activation whose output this loss can differentiate straight through to
        its logits (``value_and_logits_gradient``); None when it has no such shortcut.
    """

    name = "loss"
    logits_activation = None

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
            classes)``: per loss value, shape ``(batch, steps)``, as Keras). The weighted sum of
            the per-sample losses is divided by their number, not by the sum of the weights
            (Keras' ``"sum_over_batch_size"``).

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

    def value_and_logits_gradient(self, y_true, y_pred, sample_weight=None) -> tuple[float, np.ndarray]:
        """The loss of probabilities ``y_pred = activation(z)`` and its gradient with respect to ``z``.

        ``activation`` is ``logits_activation`` (softmax over the last axis, or the
        sigmoid); arguments as ``__call__``. The value equals ``self(y_true, y_pred,
        sample_weight)`` up to rounding (softmax rows already sum to 1, so they are not
        renormalized); the gradient is the exact dloss/dz, which skips the activation's
        Jacobian (for softmax, ``(p * sum(y) - y) / N``).

        Examples
        --------
        >>> import numpy as np
        >>> from dlcourse.losses import CategoricalCrossentropy
        >>> p = np.array([[0.7, 0.2, 0.1]], dtype="float32")
        >>> value, g = CategoricalCrossentropy().value_and_logits_gradient(np.array([[1.0, 0.0, 0.0]]), p)
        >>> round(value, 4), [round(float(v), 2) for v in g[0]]   # -log 0.7 and p - y
        (0.3567, [-0.3, 0.2, 0.1])
        """
        if self.logits_activation is None or self.from_logits:
            raise TypeError(f"{self._where()}: expected a cross-entropy of probabilities (from_logits=False) for "
                            f"value_and_logits_gradient, got {self!r}")
        t, p = self._prepare(y_true, y_pred)
        w = None if sample_weight is None else self._sample_weight(sample_weight, p)
        return self._logits_value_and_gradient(t, p, w)

    def check_targets(self, y_true, pred_shape: tuple, dtype=np.float32):
        """Validate a whole target array for predictions of ``pred_shape``, by the rules of ``__call__``.

        A training loop calls it once before its first update, so a bad target anywhere
        in the data is reported before any weight changes, in the loss' own words.

        Returns
        -------
        ndarray : the targets as this loss uses them (cast to ``dtype``; integer labels
        for the sparse loss; ``(batch,)`` turned into ``(batch, 1)`` for one output unit).
        """
        p = np.full(pred_shape, 1.0 / pred_shape[-1], dtype=dtype)  # valid as probabilities and as logits
        return self._prepare(y_true, p)[0]

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"

    # -- validation shared by subclasses --------------------------------------
    def _where(self) -> str:
        return type(self).__name__

    def _pred(self, y_pred) -> np.ndarray:
        p = y_pred if isinstance(y_pred, np.ndarray) and y_pred.dtype.kind == "f" else \
            as_float_array(y_pred, f"{self._where()}: y_pred")
        if p.ndim == 0 or p.shape[0] == 0:
            raise ValueError(f"{self._where()}: expected y_pred with a non-empty batch axis, got shape {p.shape}")
        # Probabilities get one combined range test later (NaN fails it too); only
        # when it fails do we look closer, so the message says which problem it is.
        if self.from_logits or self.logits_activation is None or not ((p >= 0) & (p <= 1)).all():
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
        raise ValueError(f"{self._where()}: expected {what} in [0, 1], got values in [{lo:.4g}, {hi:.4g}]")

    def _prepare(self, y_true, y_pred):  # pragma: no cover - abstract
        raise NotImplementedError

    def _value(self, t, p) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _gradient(self, t, p) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _per_sample(self, t, p) -> np.ndarray:  # pragma: no cover - abstract
        """The unreduced losses, shape ``y_pred.shape[:-1]`` (Keras' ``reduction=None``)."""
        raise NotImplementedError

    def _logits_value_and_gradient(self, t, p, w):  # pragma: no cover - abstract
        """On prepared arrays: the value and dloss/dlogits; ``w`` per-loss-value weights or None."""
        raise NotImplementedError
