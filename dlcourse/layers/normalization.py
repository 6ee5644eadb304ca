r"""BatchNormalization (Ioffe & Szegedy 2015): normalize each feature over the batch, then rescale.

For each feature (the last axis by default: the units after a Dense, the channels after a
Conv2D), over every other axis of the batch (the batch, and height and width for images):

.. math::
   \mu = \operatorname{mean}(x), \qquad \sigma^2 = \operatorname{mean}\big((x - \mu)^2\big), \qquad
   \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

During training the statistics are the batch's own (the variance is the biased one, divided
by m, as Keras), and moving averages of them are kept for inference:

.. math:: \mu_{\text{moving}} \leftarrow \mu_{\text{moving}} \cdot \text{momentum} + \mu \cdot (1 - \text{momentum})

(the same for the variance). At inference the moving statistics replace the batch's, so
an example's output no longer depends on the rest of its batch. Because :math:`\mu` and
:math:`\sigma^2` depend on every example, the training-mode backward pass carries the
gradient through them too (with :math:`m` values per feature):

.. math:: \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
          \Big(\frac{\partial L}{\partial \hat x} - \operatorname{mean}\frac{\partial L}{\partial \hat x}
          - \hat x \operatorname{mean}\big(\frac{\partial L}{\partial \hat x} \hat x\big)\Big),
          \qquad \frac{\partial L}{\partial \hat x} = \gamma \frac{\partial L}{\partial y}
"""
from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from .base import Layer
from .lstm import check_flag

__all__ = ["BatchNormalization"]


def _check_real(value, where: str, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected {name} to be a number, got {type(value).__name__}")
    return float(value)


class BatchNormalization(Layer):
    r"""Batch normalization, as ``keras.layers.BatchNormalization``.

    Parameters
    ----------
    n_features : int
        Size of the normalized axis (Keras infers it; we create the weights eagerly).
    axis : int, default -1
        The feature axis; statistics are taken over every other axis.
    momentum : float in [0, 1), default 0.99
        Weight of the old value in the moving averages.
    epsilon : float > 0, default 1e-3
        Added to the variance before the square root.
    center, scale : bool, default True
        Learn the shift ``beta`` / the scale ``gamma`` (otherwise 0 / 1, and absent from the weights).
    dtype : float dtype, default "float32"
    name : str, optional

    Attributes
    ----------
    params : dict
        The trainable ``gamma`` and ``beta``, ``(n_features,)`` each: all the optimizer sees.
    moving_mean, moving_variance : ndarray, shape (n_features,)
        Not trainable: updated by ``forward(x, training=True)``, used by ``forward(x)``.
        Start at 0 and 1, as Keras.

    Notes
    -----
    ``get_weights`` returns Keras' order ``gamma, beta, moving_mean, moving_variance``;
    ``set_weights`` takes it and ``count_params`` counts all four. With ``trainable``
    False the layer runs in inference mode even when ``training=True``, as Keras.

    Examples
    --------
    >>> bn = BatchNormalization(2)
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> bn.forward(x, training=True).round(4)  # each column: mean 0, variance 1 (up to epsilon)
    array([[-0.9995, -1.    ],
           [ 0.9995,  1.    ]], dtype=float32)
    >>> bn.moving_mean.round(4), bn.moving_variance.round(4)  # one step of 1% towards (2, 20) and (1, 100)
    (array([0.02, 0.2 ], dtype=float32), array([1.  , 1.99], dtype=float32))
    >>> [w.shape for w in bn.get_weights()], bn.count_params()
    ([(2,), (2,), (2,), (2,)], 8)
    """

    def __init__(self, n_features: int, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, dtype="float32", name: str | None = None):
        super().__init__(name=name or "batch_normalization", dtype=dtype)  # Keras' default name
        where = "BatchNormalization"
        self.n_features = check_positive_int(n_features, where, "n_features")
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{where}: expected axis to be an int, got {type(axis).__name__}")
        self.axis = int(axis)
        self.momentum = _check_real(momentum, where, "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"{where}: expected momentum in [0, 1), got {momentum}")
        self.epsilon = _check_real(epsilon, where, "epsilon")
        if not (np.isfinite(self.epsilon) and self.epsilon > 0):
            raise ValueError(f"{where}: expected epsilon > 0, got {epsilon}")
        self.center = check_flag(center, where, "center")
        self.scale = check_flag(scale, where, "scale")
        shape = (self.n_features,)
        if self.scale:
            self.params["gamma"] = np.ones(shape, dtype=self.dtype)
        if self.center:
            self.params["beta"] = np.zeros(shape, dtype=self.dtype)
        self.moving_mean = np.zeros(shape, dtype=self.dtype)
        self.moving_variance = np.ones(shape, dtype=self.dtype)

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        """``[moving_mean, moving_variance]``, the arrays themselves (Keras' non-trainable weights)."""
        return [self.moving_mean, self.moving_variance]

    def _weights(self) -> dict:
        """``gamma, beta, moving_mean, moving_variance`` (Keras' order): what get_weights, set_weights
        (all or nothing) and count_params see."""
        return {**self.params, "moving_mean": self.moving_mean, "moving_variance": self.moving_variance}

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """The output has the input's shape; the feature axis must hold ``n_features``."""
        input_shape = tuple(input_shape)
        full = (None, *input_shape)  # ``axis`` counts the batch axis, as Keras
        if not -len(full) <= self.axis < len(full) or self.axis in (0, -len(full)) \
                or full[self.axis] != self.n_features:
            raise ValueError(f"BatchNormalization.compute_output_shape: expected an input shape with "
                             f"{self.n_features} features on axis {self.axis}, got {input_shape}")
        return input_shape

    def check_input(self, x) -> np.ndarray:
        """Return ``x`` as a finite array in the layer's dtype with ``n_features`` on ``axis``, or raise."""
        where = "BatchNormalization.forward"
        x = super().check_input(x)  # a finite float array in the layer's dtype
        if x.ndim < 2:
            raise ValueError(f"{where}: expected an array of at least 2-D (batch, ..., features), got shape {x.shape}")
        if not -x.ndim <= self.axis < x.ndim or self.axis in (0, -x.ndim):
            raise ValueError(f"{where}: expected axis {self.axis} to be a feature axis of a {x.ndim}-D input "
                             f"(not the batch axis 0), got shape {x.shape}")
        if x.shape[self.axis] != self.n_features:
            raise ValueError(f"{where}: expected {self.n_features} features on axis {self.axis}, "
                             f"got shape {x.shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{where}: expected at least one example, got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Normalize with the batch's statistics (``training=True``) or the moving ones.

        Parameters
        ----------
        x : array, shape (batch, ..., n_features, ...) with the features on ``axis``

        Returns
        -------
        ndarray, the shape of ``x``
        """
        x = np.moveaxis(self.check_input(x), self.axis, -1)  # features last: broadcasting does the rest
        batch_axes = tuple(range(x.ndim - 1))
        use_batch = bool(training) and self.trainable
        if use_batch:
            mean, var = x.mean(axis=batch_axes), x.var(axis=batch_axes)  # biased variance, as Keras
            self.moving_mean[...] = self.moving_mean * self.momentum + mean * (1 - self.momentum)
            self.moving_variance[...] = self.moving_variance * self.momentum + var * (1 - self.momentum)
        else:
            mean, var = self.moving_mean, self.moving_variance
        inv_std = 1 / np.sqrt(var + self.epsilon)
        x_hat = (x - mean) * inv_std
        y = self.params.get("gamma", 1) * x_hat + self.params.get("beta", 0)
        self._cache = (x_hat, inv_std, use_batch)
        return np.moveaxis(y, -1, self.axis)

    def backward(self, grad_out) -> np.ndarray:
        """dLoss/dx, and dLoss/dgamma = sum(dy * x_hat), dLoss/dbeta = sum(dy) over all but the feature axis.

        In training mode the gradient also flows through the batch mean and variance
        (the formula in the module docstring); in inference mode they are constants.
        """
        x_hat, inv_std, use_batch = self._require_cache()
        g = self._grad_features_last(grad_out, x_hat)
        batch_axes = tuple(range(g.ndim - 1))
        dx_hat = g * self.params.get("gamma", 1)
        if use_batch:
            dx = inv_std * (dx_hat - dx_hat.mean(axis=batch_axes) - x_hat * (dx_hat * x_hat).mean(axis=batch_axes))
        else:
            dx = dx_hat * inv_std
        self.grads = {}
        if self.scale:
            self.grads["gamma"] = (g * x_hat).sum(axis=batch_axes)
        if self.center:
            self.grads["beta"] = g.sum(axis=batch_axes)
        return np.moveaxis(dx, -1, self.axis)

    def _grad_features_last(self, grad_out, x_hat) -> np.ndarray:
        """Check ``grad_out`` (the last output's shape, real, finite) and move its features last, like ``x_hat``."""
        g = self._check_grad_out(grad_out, np.moveaxis(x_hat, -1, self.axis).shape, self.dtype)
        return np.moveaxis(g, self.axis, -1)

    def __repr__(self) -> str:
        return f"BatchNormalization({self.n_features}, axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon})"
