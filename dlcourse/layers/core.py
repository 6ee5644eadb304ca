r"""The core layers: Dense, Flatten, Dropout and the activation layers.

``Dense`` is the fully connected layer of every multilayer perceptron,
:math:`a = f(xW + b)`. Its backward pass is three matrix products:

.. math:: \frac{\partial L}{\partial z} = f'(z) \odot \frac{\partial L}{\partial a},\quad
          \frac{\partial L}{\partial W} = x^\top \frac{\partial L}{\partial z},\quad
          \frac{\partial L}{\partial b} = \sum_{\text{batch}} \frac{\partial L}{\partial z},\quad
          \frac{\partial L}{\partial x} = \frac{\partial L}{\partial z} W^\top

(for softmax, the first step is the Jacobian-vector product of
:func:`dlcourse.activations.softmax_backward`). The kernel has Keras' layout
``(n_in, units)``, so ``keras_dense.set_weights(dense.get_weights())`` just works.
"""
from __future__ import annotations

import numpy as np

from .. import activations, initializers
from .._checks import as_rng, check_l2_factor, check_positive_int
from .base import Layer, needs_input_gradient

__all__ = ["Dense", "Flatten", "Dropout", "Activation", "ReLU", "Sigmoid", "Tanh", "Softmax"]


class Dense(Layer):
    r"""Fully connected layer :math:`a = f(xW + b)`, Keras' ``Dense``.

    Parameters
    ----------
    n_in : int
        Input features (Keras infers this; we create the kernel eagerly).
    n_out : int
        Output features, stored as ``units`` (Keras' name).
    activation : {"relu", "sigmoid", "tanh", "softmax", "linear"} or None
    use_bias : bool
    kernel_initializer : str or callable, default "glorot_uniform"
        A Keras name resolved by :func:`dlcourse.initializers.get` (``"he_normal"``, ...).
    kernel_regularizer : float or None
        L2 factor :math:`\lambda`: adds :math:`\lambda \sum W^2` to the loss, as
        ``keras.regularizers.L2(l2)``, and :math:`2\lambda W` to the kernel gradient.
    seed : None, int or numpy Generator
        For the kernel initializer; the bias starts at zero.
    dtype : str or numpy dtype
        Parameters and computation (inputs are cast, as Keras autocasts).
    name : str, optional

    Shapes
    ------
    input ``(batch, n_in)`` (or ``(..., n_in)``) -> output ``(batch, units)`` (or ``(..., units)``).
    Parameters ``kernel`` ``(n_in, units)`` and ``bias`` ``(units,)``.
    """

    def __init__(self, n_in, n_out, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 kernel_regularizer=None, seed=None, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        self.n_in = check_positive_int(n_in, "Dense", "n_in")
        self.units = check_positive_int(n_out, "Dense", "n_out")
        self._act = activations.get(activation)
        self.activation = None if activation is None else self._act.name
        self.use_bias = bool(use_bias)
        self.kernel_regularizer = check_l2_factor(kernel_regularizer, "Dense")
        init = initializers.get(kernel_initializer)
        self.params["kernel"] = init((self.n_in, self.units), seed=as_rng(seed, "Dense"), dtype=self.dtype)
        if self.use_bias:
            self.params["bias"] = initializers.zeros((self.units,), dtype=self.dtype)

    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite float array of the layer's dtype with ``n_in`` features on the last axis."""
        x = super().check_input(x)
        if x.ndim < 2 or x.shape[-1] != self.n_in:
            raise ValueError(f"Dense.forward: expected an array of shape (batch, {self.n_in}), got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        z = x @ self.params["kernel"]
        if self.use_bias:
            z += self.params["bias"]
        a = self._act.forward(z)
        self._cache = (x, a)  # backward needs x for dW and a for f'(z)
        return a

    def backward(self, grad_out) -> np.ndarray:
        x, a = self._require_cache()
        g = self._check_grad_out(grad_out, a.shape, self.dtype)
        return self.backward_logits(self._act.backward(a, g))

    def backward_logits(self, dz) -> np.ndarray:
        """Backward through the linear part only, given dLoss/dz for z = xW + b.

        ``Sequential`` calls this when the loss hands over dLoss/dz directly (softmax or
        sigmoid followed by cross-entropy, where dLoss/dz = p - y): the activation's
        Jacobian is then never formed. Inside ``fit`` the first layer returns None: its
        input is the data, whose gradient nobody uses.
        """
        x, a = self._require_cache()
        dz = self._check_grad_out(dz, a.shape, self.dtype)
        kernel = self.params["kernel"]
        # an (..., n_in) input has one sample per leading position; for (batch, n_in) these are views
        x2, dz2 = x.reshape(-1, self.n_in), dz.reshape(-1, self.units)
        self.grads["kernel"] = x2.T @ dz2
        if self.kernel_regularizer:
            self.grads["kernel"] += 2 * self.kernel_regularizer * kernel  # d(lambda * sum W^2)/dW
        if self.use_bias:
            self.grads["bias"] = dz2.sum(axis=0)
        return dz @ kernel.T if needs_input_gradient(self) else None

    def regularization_loss(self) -> float:
        if not self.kernel_regularizer:
            return 0.0
        k = self.params["kernel"]
        return float(self.kernel_regularizer * np.sum(k * k))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        input_shape = tuple(input_shape)
        if len(input_shape) < 1 or input_shape[-1] != self.n_in:
            raise ValueError(f"Dense.compute_output_shape: expected an input shape (..., {self.n_in}), got {input_shape}")
        return input_shape[:-1] + (self.units,)

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.units}, activation={self.activation!r})"


class Flatten(Layer):
    """Reshape ``(batch, d1, d2, ...)`` to ``(batch, d1*d2*...)``; backward reshapes back.

    No parameters; keeps the input's float dtype. ``dtype`` only applies to the (empty)
    parameter set and is accepted for a uniform constructor.
    """

    keeps_input_dtype = True

    def __init__(self, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)

    def check_input(self, x) -> np.ndarray:
        x = super().check_input(x)
        if x.ndim < 1:
            raise ValueError(f"Flatten.forward: expected an array with a batch axis (batch, ...), got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))

    def backward(self, grad_out) -> np.ndarray:
        shape = self._require_cache()
        g = self._check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:], dtype=np.int64))))
        return g.reshape(shape)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (int(np.prod(tuple(input_shape), dtype=np.int64)),)


class Dropout(Layer):
    r"""Inverted dropout (Srivastava et al. 2014), as Keras' ``Dropout``.

    In training each entry is kept with probability :math:`1 - r` and the kept ones
    are scaled by :math:`1/(1-r)`, so the expected output equals the input and nothing
    needs rescaling at inference, where the layer is the identity.

    Parameters
    ----------
    rate : float in [0, 1)
        Fraction of entries dropped.
    seed : None, int or numpy Generator
        For the masks (a fresh mask every training forward).
    """

    keeps_input_dtype = True

    def __init__(self, rate, seed=None, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout: expected rate as a float in [0, 1), got {type(rate).__name__}")
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: expected rate in [0, 1), got {rate}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = as_rng(seed, "Dropout")

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        if not training or self.rate == 0:
            self._cache = (x.shape, None)
            return x
        # keep an entry with probability 1 - rate and scale it by 1/(1 - rate), so E[output] = x;
        # the mask holds both factors, so backward is one multiplication too
        keep = self._rng.random(x.shape, dtype=x.dtype) >= self.rate
        mask = keep.astype(x.dtype) * (1.0 / (1.0 - self.rate))
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_out) -> np.ndarray:
        shape, mask = self._require_cache()
        g = self._check_grad_out(grad_out, shape)
        return g if mask is None else g * mask

    def __repr__(self) -> str:
        return f"Dropout(rate={self.rate})"


class Activation(Layer):
    """Apply an activation by Keras' name: ``Activation("relu")`` etc.

    No parameters; keeps the input's float dtype. Backward uses the cached output
    (see :mod:`dlcourse.activations`).
    """

    keeps_input_dtype = True

    def __init__(self, activation, dtype="float32", name=None):
        super().__init__(name=name, dtype=dtype)
        self._act = activations.get(activation)
        self.activation = self._act.name

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        a = self._act.forward(x)
        self._cache = a  # f'(z) is written in terms of the output a = f(z)
        return a

    def backward(self, grad_out) -> np.ndarray:
        a = self._require_cache()
        g = self._check_grad_out(grad_out, a.shape)
        return self._act.backward(a, g)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.activation!r})"


class ReLU(Activation):
    """:math:`\\max(0, x)` as a layer (Keras' ``ReLU()``); gradient 0 at 0."""

    def __init__(self, dtype="float32", name=None):
        super().__init__("relu", dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "ReLU()"


class Sigmoid(Activation):
    """The logistic sigmoid as a layer (Keras: ``Activation("sigmoid")``)."""

    def __init__(self, dtype="float32", name=None):
        super().__init__("sigmoid", dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Sigmoid()"


class Tanh(Activation):
    """tanh as a layer (Keras: ``Activation("tanh")``)."""

    def __init__(self, dtype="float32", name=None):
        super().__init__("tanh", dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Tanh()"


class Softmax(Activation):
    """Softmax along ``axis`` as a layer (Keras' ``Softmax(axis=-1)``)."""

    def __init__(self, axis: int = -1, dtype="float32", name=None):
        super().__init__("softmax", dtype=dtype, name=name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Softmax: expected axis as an int, got {type(axis).__name__}")
        self.axis = int(axis)

    def check_input(self, x) -> np.ndarray:
        x = super().check_input(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"Softmax.forward: expected an array with axis {self.axis}, got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        a = activations.softmax(x, axis=self.axis)
        self._cache = a
        return a

    def backward(self, grad_out) -> np.ndarray:
        a = self._require_cache()
        g = self._check_grad_out(grad_out, a.shape)
        return activations.softmax_backward(a, g, axis=self.axis)

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"
