r"""SimpleRNN: the Elman recurrent layer and backpropagation through time.

A recurrent layer reads a sequence one step at a time and carries a hidden state
from step to step (Elman 1990):

.. math:: h_t = \tanh(x_t W + h_{t-1} U + b), \qquad h_0 = 0

The same ``W``, ``U`` and ``b`` are used at every step. Backpropagation through time
(BPTT; Werbos 1990) is ordinary backpropagation applied to the loop unrolled over time:
walking the steps backwards, the gradient reaching ``h_t`` is what the loss sends there
directly plus what flows back from ``h_{t+1}`` through ``U``. Because the weights are
shared, their gradients are sums over all time steps.
"""
from __future__ import annotations

import numpy as np

from .. import initializers
from .._checks import as_rng, check_ndim, check_positive_int
from .base import Layer

__all__ = ["SimpleRNN"]


class SimpleRNN(Layer):
    """Fully connected recurrent layer with tanh, as ``keras.layers.SimpleRNN``.

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
        Keras names resolved by :func:`dlcourse.initializers.get`; ``bias`` starts at zero.
    seed : None, int or numpy.random.Generator
        One generator for both initializers (kernel first), so one seed fixes the layer.
    dtype : float dtype, default "float32"
        Parameters and computation; inputs are cast to it, as Keras autocasts.
    name : str, optional

    Attributes
    ----------
    params : dict
        ``kernel`` ``(n_in, units)`` = W, ``recurrent_kernel`` ``(units, units)`` = U,
        ``bias`` ``(units,)`` = b, in Keras' order.
    """

    def __init__(self, n_in: int, units: int, return_sequences: bool = False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", seed=None, dtype="float32", name: str | None = None):
        super().__init__(name=name, dtype=dtype)
        where = "SimpleRNN"
        self.n_in = check_positive_int(n_in, where, "n_in")
        self.units = check_positive_int(units, where, "units")
        if not isinstance(return_sequences, (bool, np.bool_)):
            raise TypeError(f"{where}: expected return_sequences to be True or False, "
                            f"got {type(return_sequences).__name__}")
        self.return_sequences = bool(return_sequences)
        kernel_init = initializers.get(kernel_initializer)
        recurrent_init = initializers.get(recurrent_initializer)
        # One generator for both random initializers, so one seed fixes the whole layer.
        rng = as_rng(seed, where)
        self.params = {
            "kernel": kernel_init((self.n_in, self.units), seed=rng, dtype=self.dtype),
            "recurrent_kernel": recurrent_init((self.units, self.units), seed=rng, dtype=self.dtype),
            "bias": initializers.zeros((self.units,), dtype=self.dtype),
        }

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(time, n_in)`` -> ``(time, units)`` with ``return_sequences``, else ``(units,)``."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] != self.n_in:
            raise ValueError(f"SimpleRNN.compute_output_shape: expected an input shape (time, {self.n_in}), "
                             f"got {input_shape}")
        time = input_shape[0]
        return (time, self.units) if self.return_sequences else (self.units,)

    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite (batch, time >= 1, n_in) array of the layer's dtype."""
        where = "SimpleRNN.forward"
        x = super().check_input(x)
        check_ndim(x, 3, where, "(batch, time, features)")
        if x.shape[2] != self.n_in:
            raise ValueError(f"{where}: expected {self.n_in} features per time step (n_in), "
                             f"got shape {x.shape} with {x.shape[2]}")
        if x.shape[1] == 0:
            raise ValueError(f"{where}: expected at least one time step, got shape {x.shape}")
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Run the recurrence over the time axis.

        Parameters
        ----------
        x : array, shape (batch, time, n_in)

        Returns
        -------
        ndarray, shape (batch, time, units) if ``return_sequences`` else (batch, units)
        """
        x = self.check_input(x)
        W, U, b = self.params["kernel"], self.params["recurrent_kernel"], self.params["bias"]
        batch, steps, _ = x.shape
        # x_t W + b does not depend on the state: one product does it for every step; only the recurrence loops
        xw = x @ W + b
        # hs[:, t + 1] holds h_t; hs[:, 0] is h_0 = 0, which the backward pass also needs
        hs = np.zeros((batch, steps + 1, self.units), dtype=self.dtype)
        for t in range(steps):
            hs[:, t + 1] = np.tanh(xw[:, t] + hs[:, t] @ U)
        self._cache = (x, hs)
        return hs[:, 1:].copy() if self.return_sequences else hs[:, -1].copy()

    def backward(self, grad_out) -> np.ndarray:
        """Backpropagation through time.

        Walking from the last step to the first, with ``a_t = x_t W + h_{t-1} U + b``:

        - ``dh_t = dL/dh_t (from the output, if any) + da_{t+1} U^T``
        - ``da_t = dh_t * (1 - h_t^2)``            (tanh' written with the output)
        - ``dx_t = da_t W^T``
        - ``dW = sum_t x_t^T da_t``, ``dU = sum_t h_{t-1}^T da_t``, ``db = sum_t sum_batch da_t``

        Parameters
        ----------
        grad_out : array, shape of the last output

        Returns
        -------
        ndarray, shape (batch, time, n_in): dLoss/dx
        """
        x, hs = self._require_cache()
        batch, steps, _ = x.shape
        out_shape = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        g = self._check_grad_out(grad_out, out_shape, self.dtype)
        U = self.params["recurrent_kernel"]
        # dL/dh_t straight from the output: at every step with return_sequences, else only at the last
        if self.return_sequences:
            dh_out = g
        else:
            dh_out = np.zeros((batch, steps, self.units), dtype=self.dtype)
            dh_out[:, -1] = g
        da = np.empty((batch, steps, self.units), dtype=self.dtype)
        dh_next = np.zeros((batch, self.units), dtype=self.dtype)  # nothing flows in after the last step
        for t in reversed(range(steps)):
            h_t = hs[:, t + 1]
            da[:, t] = (dh_next + dh_out[:, t]) * (1.0 - h_t * h_t)
            dh_next = da[:, t] @ U.T
        # The shared weights' gradients are sums over steps (and the batch): one matrix
        # product over the flattened (batch * time) axis does all of them at once.
        flat_da = da.reshape(-1, self.units)
        self.grads = {
            "kernel": x.reshape(-1, self.n_in).T @ flat_da,
            "recurrent_kernel": hs[:, :-1].reshape(-1, self.units).T @ flat_da,
            "bias": flat_da.sum(axis=0),
        }
        return da @ self.params["kernel"].T
