r"""LSTM: the long short-term memory layer (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

A SimpleRNN squeezes everything through :math:`h_t = \tanh(\dots)`, so gradients flowing
back through many steps are multiplied by many tanh slopes and fade. An LSTM adds a
*cell state* :math:`c_t` that is updated additively, with gates deciding what to forget,
what to write and what to show. With :math:`z_t = x_t W + h_{t-1} U + b` split into four
blocks in Keras' order i, f, c, o:

.. math::
   i_t = \sigma(z_i), \quad f_t = \sigma(z_f), \quad \tilde c_t = \tanh(z_c), \quad o_t = \sigma(z_o)

   c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t, \qquad h_t = o_t \odot \tanh(c_t), \qquad h_0 = c_0 = 0

Along the cell state the backward pass multiplies by :math:`f_t` only, so a forget gate
near 1 carries the gradient across many steps: that is why ``unit_forget_bias=True``
starts the forget-gate bias at 1 (Jozefowicz et al. 2015), as Keras does.

This module also holds what LSTM and GRU share (``GatedRecurrent``: argument checks,
input checks, output shapes) and ``check_flag``, which BatchNormalization uses too. Weights
are set all or nothing by ``Layer.set_weights``.
"""
from __future__ import annotations

import numpy as np

from .. import initializers
from .._checks import as_rng, check_ndim, check_positive_int
from ..activations import sigmoid
from .base import Layer

__all__ = ["LSTM", "lstm_step_forward", "lstm_step_backward", "GatedRecurrent", "check_flag"]


def check_flag(value, where: str, name: str) -> bool:
    """Return ``value`` as a bool if it is True or False, else raise ``TypeError`` (no truthy strings)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: expected {name} to be True or False, got {type(value).__name__}")
    return bool(value)


class GatedRecurrent(Layer):
    """What LSTM and GRU share: sequence input checks and output shapes.

    Subclasses set ``self.params`` and implement ``forward``/``backward``.
    """

    def __init__(self, n_in, units, return_sequences, seed, dtype, name):
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        self.n_in = check_positive_int(n_in, where, "n_in")
        self.units = check_positive_int(units, where, "units")
        self.return_sequences = check_flag(return_sequences, where, "return_sequences")
        # One generator for every random initializer, so one seed fixes the whole layer.
        self._rng = as_rng(seed, where)

    def _init(self, identifier, shape, what):
        where = type(self).__name__
        try:
            init = initializers.get(identifier)
        except ValueError as exc:
            raise ValueError(f"{where}: {what}: {exc}") from None
        w = np.asarray(init(shape, seed=self._rng, dtype=self.dtype), dtype=self.dtype)
        if w.shape != shape:
            raise ValueError(f"{where}: expected {what} to return an array of shape {shape}, got {w.shape}")
        return w

    def check_input(self, x) -> np.ndarray:
        """Return ``x`` as a finite ``(batch, time, n_in)`` array in the layer's dtype, or raise."""
        where = f"{type(self).__name__}.forward"
        x = super().check_input(x)  # a finite float array in the layer's dtype
        check_ndim(x, 3, where, "(batch, time, features)")
        if x.shape[-1] != self.n_in:
            raise ValueError(f"{where}: expected {self.n_in} features per time step (n_in), "
                             f"got shape {x.shape} with {x.shape[-1]}")
        if x.shape[1] == 0:
            raise ValueError(f"{where}: expected at least one time step, got shape {x.shape}")
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(time, n_in)`` -> ``(time, units)`` with ``return_sequences``, else ``(units,)``."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] != self.n_in:
            raise ValueError(f"{type(self).__name__}.compute_output_shape: expected an input shape "
                             f"(time, {self.n_in}), got {input_shape}")
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def _grad_per_step(self, grad_out, x) -> np.ndarray:
        """Check ``grad_out`` and return dL/dh_t from the output for every step, ``(batch, time, units)``.

        Without ``return_sequences`` only the last state is an output, so the other steps
        receive nothing directly (only through the recurrence).
        """
        batch, steps, _ = x.shape
        shape = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        g = self._check_grad_out(grad_out, shape, self.dtype)
        if self.return_sequences:
            return g
        per_step = np.zeros((batch, steps, self.units), dtype=self.dtype)
        per_step[:, -1] = g
        return per_step


def lstm_step_forward(zx, h_prev, c_prev, U):
    """One LSTM step.

    Parameters
    ----------
    zx : ndarray, shape (batch, 4 * units)
        The input projection ``x_t W + b`` of this step.
    h_prev, c_prev : ndarray, shape (batch, units)
        Hidden and cell state of the previous step.
    U : ndarray, shape (units, 4 * units)
        The recurrent kernel.

    Returns
    -------
    h, c : ndarray, shape (batch, units)
    cache : tuple, what ``lstm_step_backward`` needs
    """
    i, f, g, o = np.split(zx + h_prev @ U, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (h_prev, c_prev, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, cache, U):
    """Backward through one LSTM step.

    Parameters
    ----------
    dh, dc : ndarray, shape (batch, units)
        dL/dh_t (from the output and from step t+1) and dL/dc_t (from step t+1).
    cache : tuple from ``lstm_step_forward``
    U : ndarray, shape (units, 4 * units)

    Returns
    -------
    dz : ndarray, shape (batch, 4 * units), dL/dz_t for the gates' pre-activations
    dh_prev, dc_prev : ndarray, shape (batch, units)
    """
    h_prev, c_prev, i, f, g, o, tanh_c = cache
    do = dh * tanh_c
    dc = dc + dh * o * (1 - tanh_c * tanh_c)  # c_t reaches the loss directly and through h_t
    di, df, dg = dc * g, dc * c_prev, dc * i
    # sigma' = sigma (1 - sigma) and tanh' = 1 - tanh^2, written with the gates' outputs
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=-1)
    return dz, dz @ U.T, dc * f


class LSTM(GatedRecurrent):
    r"""Long short-term memory layer, as ``keras.layers.LSTM`` (tanh, sigmoid gates, with bias).

    Parameters
    ----------
    n_in : int
        Features per time step (the last input axis).
    units : int
        Size of the hidden state ``h_t`` and the cell state ``c_t``.
    return_sequences : bool, default False
        If True, output every ``h_t``, shape ``(batch, time, units)``; otherwise only the
        last one, ``(batch, units)``.
    kernel_initializer : str or callable, default "glorot_uniform"
    recurrent_initializer : str or callable, default "orthogonal"
        Keras names (see ``dlcourse.initializers.get``), called as ``init(shape, seed=rng, dtype=dtype)``.
    unit_forget_bias : bool, default True
        Start the forget-gate block of ``bias`` at 1 (the rest at 0), as Keras.
    seed : None, int or numpy.random.Generator
    dtype : float dtype, default "float32"
        Parameters and computation; inputs are cast to it, as Keras autocasts.
    name : str, optional

    Attributes
    ----------
    params : dict
        ``kernel`` ``(n_in, 4 units)`` = W, ``recurrent_kernel`` ``(units, 4 units)`` = U,
        ``bias`` ``(4 units,)`` = b; each split into blocks i, f, c, o along its last axis.

    Examples
    --------
    >>> layer = LSTM(3, 2, seed=0)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 8), (2, 8), (8,)]
    >>> layer.params["bias"]
    array([0., 0., 1., 1., 0., 0., 0., 0.], dtype=float32)
    >>> layer.forward(np.ones((5, 4, 3))).shape
    (5, 2)
    """

    def __init__(self, n_in: int, units: int, return_sequences: bool = False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 unit_forget_bias: bool = True, seed=None, dtype="float32", name: str | None = None):
        super().__init__(n_in, units, return_sequences, seed, dtype, name)
        self.unit_forget_bias = check_flag(unit_forget_bias, "LSTM", "unit_forget_bias")
        u = self.units
        bias = np.zeros((4 * u,), dtype=self.dtype)
        if self.unit_forget_bias:
            bias[u:2 * u] = 1.0
        self.params = {
            "kernel": self._init(kernel_initializer, (self.n_in, 4 * u), "kernel_initializer"),
            "recurrent_kernel": self._init(recurrent_initializer, (u, 4 * u), "recurrent_initializer"),
            "bias": bias,
        }

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Run the LSTM over the time axis.

        Parameters
        ----------
        x : array, shape (batch, time, n_in)

        Returns
        -------
        ndarray, shape (batch, time, units) if ``return_sequences`` else (batch, units)
        """
        x = self.check_input(x)
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        zx = x @ W + b  # the input projection does not depend on the state: all steps at once
        h = np.zeros((x.shape[0], self.units), dtype=self.dtype)
        c = np.zeros_like(h)
        hs, caches = [], []
        for t in range(x.shape[1]):
            h, c, cache = lstm_step_forward(zx[:, t], h, c, U)
            hs.append(h)
            caches.append(cache)
        self._cache = (x, caches)
        return np.stack(hs, axis=1) if self.return_sequences else h

    def backward(self, grad_out) -> np.ndarray:
        """Backpropagation through time, walking the steps from last to first.

        The gradient reaching ``h_t`` is what the output sends there plus what step t+1
        sends back through ``U``; the gradient reaching ``c_t`` is what step t+1 sends back
        through ``f_{t+1}``. The shared weights' gradients are sums over steps:
        ``dW = sum_t x_t^T dz_t``, ``dU = sum_t h_{t-1}^T dz_t``, ``db = sum_t sum_batch dz_t``.

        Parameters
        ----------
        grad_out : array, shape of the last output

        Returns
        -------
        ndarray, shape (batch, time, n_in): dLoss/dx
        """
        x, caches = self._require_cache()
        g = self._grad_per_step(grad_out, x)
        U = self.params["recurrent_kernel"]
        dz = np.empty((*x.shape[:2], 4 * self.units), dtype=self.dtype)
        dh_next = np.zeros((x.shape[0], self.units), dtype=self.dtype)  # nothing flows in after the last step
        dc_next = np.zeros_like(dh_next)
        for t in reversed(range(x.shape[1])):
            dz[:, t], dh_next, dc_next = lstm_step_backward(g[:, t] + dh_next, dc_next, caches[t], U)
        h_prev = np.stack([cache[0] for cache in caches], axis=1)
        # One matrix product over the flattened (batch * time) axis sums over steps and batch.
        flat_dz = dz.reshape(-1, 4 * self.units)
        self.grads = {
            "kernel": x.reshape(-1, self.n_in).T @ flat_dz,
            "recurrent_kernel": h_prev.reshape(-1, self.units).T @ flat_dz,
            "bias": flat_dz.sum(axis=0),
        }
        return dz @ self.params["kernel"].T
