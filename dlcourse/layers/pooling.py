"""2-D max and average pooling (channels-last), with Keras' arguments and TensorFlow's rules.

A pooling window of ``pool_size`` slides over height and width with ``strides`` (default: the
pool size, so windows tile the image) and summarises each channel separately:

    max:      out[n, y, x, c] = max_{i, j}  xp[n, y*sh + i, x*sw + j, c]
    average:  out[n, y, x, c] = mean_{i, j} xp[n, y*sh + i, x*sw + j, c]

Output sizes and "same" padding follow the convolution's formulas (``conv_output_size``).
With "same", padded positions never win a max (they count as -inf) and are left out of an
average (TensorFlow divides by the number of real pixels in the window, not by ``ph*pw``).

Backward:
- max: each output's gradient goes to the input pixel that was the maximum. On ties
  TensorFlow picks the *first* maximum in row-major (top-to-bottom, left-to-right) window
  order; so do we. Overlapping windows add up their contributions.
- average: each output's gradient is shared equally by the pixels its window averaged.

Both loop over the ``ph*pw`` offsets inside a window, never over pixels: every step is one
vectorised operation on a strided slice of the whole batch.
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from .base import Layer
from .conv import _check_input, _check_padding, _pad, _pair, conv_output_size, same_padding

__all__ = ["MaxPool2D", "AveragePool2D"]


class _Pool2D(Layer):
    """Shared geometry and validation for the two pooling layers.

    Parameter-free: the output keeps the input's float dtype; ``dtype`` is accepted only
    for a constructor like every other layer's.
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", dtype="float32", name=None):
        where = type(self).__name__
        super().__init__(name=name, dtype=dtype)
        self.pool_size = _pair(pool_size, where, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, where, "strides")
        self.padding = _check_padding(padding, where)

    def _geometry(self, h: int, w: int, where: str):
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        ho, wo = conv_output_size(h, ph, sh, self.padding), conv_output_size(w, pw, sw, self.padding)
        if ho < 1 or wo < 1:
            raise ValueError(f"{where}: expected an input at least as large as pool_size {self.pool_size} "
                             f"with padding 'valid', got height x width {(h, w)}")
        if self.padding == "same":
            return ho, wo, (same_padding(h, ph, sh), same_padding(w, pw, sw))
        return ho, wo, ((0, 0), (0, 0))

    def compute_output_shape(self, input_shape):
        where = f"{type(self).__name__}.compute_output_shape"
        if len(input_shape) != 3:
            raise ValueError(f"{where}: expected (height, width, channels), got {tuple(input_shape)}")
        h, w, c = input_shape
        ho, wo, _ = self._geometry(h, w, where)
        return ho, wo, c

    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite (batch, H, W, C) float array (its dtype kept) at least one window large."""
        where = f"{type(self).__name__}.forward"
        x = _check_input(x, where)  # parameter-free: keep the input's float dtype
        self._geometry(x.shape[1], x.shape[2], where)  # raises if no window fits
        return x

    def _windows(self, ho: int, wo: int):
        """Yield, for each offset ``(i, j)`` inside a window in row-major order, the index that
        selects that offset in all ``ho x wo`` windows at once: a (batch, ho, wo, C) strided view."""
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        for i in range(ph):
            for j in range(pw):
                yield slice(None), slice(i, i + (ho - 1) * sh + 1, sh), slice(j, j + (wo - 1) * sw + 1, sw)


class MaxPool2D(_Pool2D):
    """Max pooling, Keras' ``layers.MaxPooling2D``.

    Parameters
    ----------
    pool_size : int or (int, int), default 2
    strides : int, (int, int) or None
        None means ``pool_size`` (non-overlapping windows), as in Keras.
    padding : {"valid", "same"}, default "valid"
    dtype : accepted for a uniform constructor; the output keeps the input's float dtype
    name : str, optional

    Shapes
    ------
    Input ``(batch, H, W, C)`` -> output ``(batch, H_out, W_out, C)``, in the input's float dtype.
    """

    keras_class = "MaxPooling2D"

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        ho, wo, pads = self._geometry(x.shape[1], x.shape[2], "MaxPool2D.forward")
        xp = _pad(x, pads, -np.inf)  # a padded cell never wins
        # the maximum over the window's offsets (i, j); each offset is one strided view of all windows
        out = reduce(np.maximum, (xp[s] for s in self._windows(ho, wo)))
        self._cache = (xp, x.shape, pads, out)
        return out

    def backward(self, grad_out) -> np.ndarray:
        xp, x_shape, pads, out = self._require_cache()
        g = self._check_grad_out(grad_out, out.shape, out.dtype)
        dxp = np.zeros(xp.shape, dtype=out.dtype)
        unclaimed = np.ones(out.shape, dtype=bool)  # windows whose max has not been routed yet
        for s in self._windows(out.shape[1], out.shape[2]):
            # first maximum in row-major window order takes the gradient (TensorFlow's tie rule)
            hit = (xp[s] == out) & unclaimed
            unclaimed &= ~hit
            dxp[s] += np.where(hit, g, 0)
        (top, _), (left, _) = pads
        return dxp[:, top:top + x_shape[1], left:left + x_shape[2]]


class AveragePool2D(_Pool2D):
    """Average pooling, Keras' ``layers.AveragePooling2D``; same arguments as ``MaxPool2D``.

    With ``padding="same"`` each window is divided by its number of real (unpadded) pixels,
    exactly as TensorFlow does.
    """

    def _counts(self, x_shape, ho, wo, pads, dtype):
        """Pixels per window that are real input: ``ph*pw`` for "valid", fewer at "same" borders."""
        if self.padding == "valid":
            return None
        ones = _pad(np.ones((1, x_shape[1], x_shape[2], 1), dtype=dtype), pads, 0)
        counts = np.zeros((1, ho, wo, 1), dtype=dtype)
        for s in self._windows(ho, wo):
            counts += ones[s]
        return counts

    keras_class = "AveragePooling2D"

    def forward(self, x, training: bool = False) -> np.ndarray:
        x = self.check_input(x)
        ho, wo, pads = self._geometry(x.shape[1], x.shape[2], "AveragePool2D.forward")
        xp = _pad(x, pads, 0)
        counts = self._counts(x.shape, ho, wo, pads, x.dtype)
        # the window's sum over its offsets (i, j), divided by the number of real pixels in it
        out = sum(xp[s] for s in self._windows(ho, wo))
        out = out / (self.pool_size[0] * self.pool_size[1] if counts is None else counts)
        self._cache = (xp.shape, x.shape, pads, counts, out.shape, x.dtype)
        return out

    def backward(self, grad_out) -> np.ndarray:
        xp_shape, x_shape, pads, counts, out_shape, dtype = self._require_cache()
        g = self._check_grad_out(grad_out, out_shape, dtype)
        share = g / (self.pool_size[0] * self.pool_size[1] if counts is None else counts)
        dxp = np.zeros(xp_shape, dtype=dtype)
        for s in self._windows(out_shape[1], out_shape[2]):
            dxp[s] += share
        (top, _), (left, _) = pads
        return dxp[:, top:top + x_shape[1], left:left + x_shape[2]]
