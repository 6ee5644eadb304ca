r"""GRU: the gated recurrent unit (Cho et al. 2014), in Keras 3's default form ``reset_after=True``.

A GRU keeps one state and two gates: the update gate :math:`z_t` mixes the old state with
a candidate :math:`\tilde h_t`, and the reset gate :math:`r_t` decides how much of the old state
the candidate sees. The kernel, recurrent kernel and both bias rows are split into blocks
in Keras' order z, r, h. With ``reset_after=True`` (Keras 3's default, the cuDNN form)
the reset gate multiplies the recurrent projection *after* the matrix product, and the
recurrent bias has its own row:

.. math::
   z_t = \sigma(x_t W_z + b_z + h_{t-1} U_z + \hat b_z), \qquad
   r_t = \sigma(x_t W_r + b_r + h_{t-1} U_r + \hat b_r)

   \tilde h_t = \tanh\big(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + \hat b_h)\big)

   h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t, \qquad h_0 = 0

``bias`` has shape ``(2, 3 units)``: row 0 is the input bias ``b``, row 1 the recurrent
bias :math:`\hat b`. Along the state the backward pass multiplies by :math:`z_t`, the
GRU's counterpart of the LSTM's forget gate.
"""
from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .lstm import GatedRecurrent

__all__ = ["GRU", "gru_step_forward", "gru_step_backward"]


def gru_step_forward(zx, h_prev, U, b_rec):
    """One GRU step (``reset_after=True``).

    Parameters
    ----------
    zx : ndarray, shape (batch, 3 * units)
        The input projection ``x_t W + b`` of this step (bias row 0).
    h_prev : ndarray, shape (batch, units)
    U : ndarray, shape (units, 3 * units)
    b_rec : ndarray, shape (3 * units,)
        The recurrent bias (bias row 1).

    Returns
    -------
    h : ndarray, shape (batch, units)
    cache : tuple, what ``gru_step_backward`` needs
    """
    xz, xr, xh = np.split(zx, 3, axis=-1)
    hz, hr, hh = np.split(h_prev @ U + b_rec, 3, axis=-1)
    z = sigmoid(xz + hz)
    r = sigmoid(xr + hr)
    n = np.tanh(xh + r * hh)  # reset after the product: r scales h_{t-1} U_h + b_h-hat
    h = z * h_prev + (1 - z) * n
    return h, (h_prev, z, r, n, hh)


def gru_step_backward(dh, cache, U):
    """Backward through one GRU step.

    Parameters
    ----------
    dh : ndarray, shape (batch, units)
        dL/dh_t, from the output and from step t+1.
    cache : tuple from ``gru_step_forward``
    U : ndarray, shape (units, 3 * units)

    Returns
    -------
    dzx : ndarray, shape (batch, 3 * units), dL/d(x_t W + b)
    dzh : ndarray, shape (batch, 3 * units), dL/d(h_{t-1} U + b-hat)
    dh_prev : ndarray, shape (batch, units)
    """
    h_prev, z, r, n, hh = cache
    dn = dh * (1 - z) * (1 - n * n)             # through the mix, then the candidate's tanh
    dz = dh * (h_prev - n) * z * (1 - z)        # sigma' = sigma (1 - sigma)
    dr = dn * hh * r * (1 - r)
    dzx = np.concatenate([dz, dr, dn], axis=-1)
    dzh = np.concatenate([dz, dr, dn * r], axis=-1)  # the candidate sees h_{t-1} U_h only through r
    return dzx, dzh, dh * z + dzh @ U.T           # h_{t-1} reaches h_t directly and through U


class GRU(GatedRecurrent):
    r"""Gated recurrent unit layer, as ``keras.layers.GRU`` (tanh, sigmoid gates, ``reset_after=True``).

    Parameters
    ----------
    n_in : int
        Features per time step (the last input axis).
    units : int
        Size of the hidden state ``h_t``.
    return_sequences : bool, default False
        If True, output every ``h_t``, shape ``(batch, time, units)``; otherwise only the
        last one, ``(batch, units)``.
    kernel_initializer : str or callable, default "glorot_uniform"
    recurrent_initializer : str or callable, default "orthogonal"
        Keras names (see ``dlcourse.initializers.get``); ``bias`` starts at zero.
    seed : None, int or numpy.random.Generator
    dtype : float dtype, default "float32"
    name : str, optional

    Attributes
    ----------
    params : dict
        ``kernel`` ``(n_in, 3 units)`` = W, ``recurrent_kernel`` ``(units, 3 units)`` = U,
        ``bias`` ``(2, 3 units)`` = (b, b-hat); each split into blocks z, r, h along its last axis.

    Examples
    --------
    >>> layer = GRU(3, 2, return_sequences=True, seed=0)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 6), (2, 6), (2, 6)]
    >>> layer.forward(np.ones((5, 4, 3))).shape
    (5, 4, 2)
    """

    reset_after = True  # the only form implemented: Keras 3's default

    def __init__(self, n_in: int, units: int, return_sequences: bool = False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 seed=None, dtype="float32", name: str | None = None):
        super().__init__(n_in, units, return_sequences, seed, dtype, name)
        u = self.units
        self.params = {
            "kernel": self._init(kernel_initializer, (self.n_in, 3 * u), "kernel_initializer"),
            "recurrent_kernel": self._init(recurrent_initializer, (u, 3 * u), "recurrent_initializer"),
            "bias": np.zeros((2, 3 * u), dtype=self.dtype),
        }

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Run the GRU over the time axis.

        Parameters
        ----------
        x : array, shape (batch, time, n_in)

        Returns
        -------
        ndarray, shape (batch, time, units) if ``return_sequences`` else (batch, units)
        """
        x = self.check_input(x)
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        zx = x @ W + b[0]  # the input projection does not depend on the state: all steps at once
        h = np.zeros((x.shape[0], self.units), dtype=self.dtype)
        hs, caches = [], []
        for t in range(x.shape[1]):
            h, cache = gru_step_forward(zx[:, t], h, U, b[1])
            hs.append(h)
            caches.append(cache)
        self._cache = (x, caches)
        return np.stack(hs, axis=1) if self.return_sequences else h

    def backward(self, grad_out) -> np.ndarray:
        """Backpropagation through time, walking the steps from last to first.

        The gradient reaching ``h_t`` is what the output sends there plus what step t+1
        sends back. The shared weights' gradients are sums over steps:
        ``dW = sum_t x_t^T dzx_t``, ``dU = sum_t h_{t-1}^T dzh_t``,
        ``db = (sum dzx_t, sum dzh_t)`` over steps and batch.

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
        dzx = np.empty((*x.shape[:2], 3 * self.units), dtype=self.dtype)
        dzh = np.empty_like(dzx)
        dh_next = np.zeros((x.shape[0], self.units), dtype=self.dtype)  # nothing flows in after the last step
        for t in reversed(range(x.shape[1])):
            dzx[:, t], dzh[:, t], dh_next = gru_step_backward(g[:, t] + dh_next, caches[t], U)
        h_prev = np.stack([cache[0] for cache in caches], axis=1)
        # One matrix product over the flattened (batch * time) axis sums over steps and batch.
        flat_x, flat_h = dzx.reshape(-1, 3 * self.units), dzh.reshape(-1, 3 * self.units)
        self.grads = {
            "kernel": x.reshape(-1, self.n_in).T @ flat_x,
            "recurrent_kernel": h_prev.reshape(-1, self.units).T @ flat_h,
            "bias": np.stack([flat_x.sum(axis=0), flat_h.sum(axis=0)]),
        }
        return dzx @ self.params["kernel"].T
