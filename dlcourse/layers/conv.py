"""2-D convolution (channels-last, NHWC) with Keras' weight layout and TensorFlow's padding rule.

The formula. For an input ``x`` of shape ``(batch, H, W, C)`` padded to ``xp`` and a kernel
``K`` of shape ``(kh, kw, C, F)`` (Keras' layout), output pixel ``(y, x)`` of filter ``f`` is

    out[n, y, x, f] = sum_{i, j, c} xp[n, y*sh + i, x*sw + j, c] * K[i, j, c, f] + b[f]

(a cross-correlation, as in every deep-learning library). The output size along one axis is

    valid:  floor((n - k) / s) + 1        same:  ceil(n / s)

and for "same" TensorFlow pads ``max((out - 1)*s + k - n, 0)`` zeros in total, putting the
extra one (when the total is odd) at the bottom/right.

How it is made fast. Each output pixel needs one ``kh*kw*C`` patch of the input. A strided
*view* (``sliding_window_view``) exposes all patches without copying; one reshape copies them
into a ``(pixels, kh*kw*C)`` matrix ("im2col") and a single matrix product with the kernel
reshaped to ``(kh*kw*C, F)`` does all the arithmetic in BLAS. Backward:

- kernel gradient: ``cols.T @ grad_out``, one product with the matrix kept from forward;
- input gradient: each output pixel sent its gradient back to the ``kh x kw`` input pixels
  of its window, through ``K[i, j]``. One product ``K @ grad_out`` computes every window's
  contribution for all ``kh*kw`` offsets at once; adding them back where they belong
  ("col2im") is then ``kh*kw`` shifted additions. The trick that makes those additions
  fast: on the *flattened* padded grid, "``i`` rows down and ``j`` columns right" is one
  constant shift ``i*Wp + j``, so each addition is a single contiguous slice, with no
  per-pixel loop and no large patch matrix of ``grad_out``.

Forward and backward are three BLAS products plus a few memory-bound copies and additions.
NumPy's BLAS (OpenBLAS) splits each product across all cores; when other programs keep the
cores busy, those threads wait for one another and the products get several times slower.
On a shared machine, ``threadpoolctl.threadpool_limits(1)`` (or ``OPENBLAS_NUM_THREADS=1``)
around your training loop avoids that; this module does not change thread settings for you.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import initializers
from .._checks import as_float_array, as_rng, check_l2_factor, check_ndim, check_positive_int
from .base import Layer, require_finite

__all__ = ["Conv2D", "conv2d", "conv_output_size", "same_padding"]

_PADDINGS = ("valid", "same")
_ACTIVATIONS = (None, "linear", "relu")


# -- the formulas the chapter teaches ----------------------------------------------------------

def _check_padding(padding, where: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
        raise ValueError(f"{where}: expected padding 'valid' or 'same', got {padding!r}")
    return padding.lower()


def _pair(v, where: str, what: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(2, 1) -> (2, 1)``; anything else raises."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{where}: expected {what} as an int or a pair (rows, cols), got {v!r}")
        return check_positive_int(v[0], where, what), check_positive_int(v[1], where, what)
    v = check_positive_int(v, where, what)
    return v, v


def _sizes(where: str, **sizes) -> list[int]:
    """The named lengths, kernel sizes and strides as ints >= 1, or a clear error naming the bad one."""
    return [check_positive_int(v, where, name) for name, v in sizes.items()]


def conv_output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Output length along one axis: ``floor((n - k)/s) + 1`` for "valid", ``ceil(n/s)`` for "same".

    Parameters
    ----------
    n : int
        Input length (height or width).
    k : int
        Kernel (or pooling window) length.
    stride : int
    padding : {"valid", "same"}

    Returns
    -------
    int
        0 when a "valid" window does not fit in the input at all.

    Examples
    --------
    >>> conv_output_size(28, 3), conv_output_size(28, 3, stride=2, padding="same")
    (26, 14)
    """
    n, k, stride = _sizes("conv_output_size", n=n, k=k, stride=stride)
    if _check_padding(padding, "conv_output_size") == "same":
        return -(-n // stride)  # ceil(n / stride)
    return max((n - k) // stride + 1, 0)


def same_padding(n: int, k: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding ``(before, after)`` along one axis; the odd extra goes *after*.

    Examples
    --------
    >>> same_padding(5, 4, 1)
    (1, 2)
    """
    n, k, stride = _sizes("same_padding", n=n, k=k, stride=stride)
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def _pads(h: int, w: int, kh: int, kw: int, sh: int, sw: int, padding: str):
    if padding == "same":
        return same_padding(h, kh, sh), same_padding(w, kw, sw)
    return (0, 0), (0, 0)


def _im2col(xp: np.ndarray, kh: int, kw: int, sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """All ``kh x kw`` patches of the padded ``xp`` (N, Hp, Wp, C) as a ``(N*ho*wo, kh*kw*C)`` matrix.

    Columns are ordered ``(i, j, c)``, the order of ``kernel.reshape(kh*kw*C, F)``.
    """
    n, c = xp.shape[0], xp.shape[3]
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))  # (N, Hp-kh+1, Wp-kw+1, C, kh, kw), a view
    win = win[:, ::sh, ::sw][:, :ho, :wo]
    # the one copy: channels last so each patch row matches the kernel's (i, j, c) order
    return win.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, kh * kw * c)


def _check_input(x, where: str, dtype=None) -> np.ndarray:
    """``x`` as a finite 4-D float array (batch, height, width, channels), cast to ``dtype`` if given."""
    x = as_float_array(x, where, dtype=dtype)
    check_ndim(x, 4, where, "(batch, height, width, channels)")
    return require_finite(x, where)


def _geometry(x_shape, kernel_shape, strides, padding, where: str):
    """Output size and padding, or a clear error when the kernel does not fit."""
    _, h, w, _ = x_shape
    kh, kw = kernel_shape[:2]
    sh, sw = strides
    ho, wo = conv_output_size(h, kh, sh, padding), conv_output_size(w, kw, sw, padding)
    if ho < 1 or wo < 1:
        raise ValueError(
            f"{where}: expected an input at least as large as the kernel {(kh, kw)} with padding 'valid', "
            f"got height x width {(h, w)}"
        )
    return ho, wo, _pads(h, w, kh, kw, sh, sw, padding)


def _pad(x: np.ndarray, pads, fill: float = 0.0) -> np.ndarray:
    """``x`` (N, H, W, C) with ``pads = ((top, bottom), (left, right))`` rows/columns of ``fill`` added."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    # a filled buffer + one slice assignment: about twice as fast as np.pad, which is general-purpose Python
    shape = (n, h + top + bottom, w + left + right, c)
    xp = np.zeros(shape, dtype=x.dtype) if fill == 0 else np.full(shape, fill, dtype=x.dtype)
    xp[:, top:top + h, left:left + w] = x
    return xp


def conv2d(x, kernel, strides=1, padding: str = "valid") -> np.ndarray:
    """The convolution formula, without bias or activation: what ``tf.nn.conv2d`` computes.

    Parameters
    ----------
    x : ndarray, shape (batch, H, W, C)
    kernel : ndarray, shape (kh, kw, C, F)
    strides : int or (int, int)
    padding : {"valid", "same"}

    Returns
    -------
    ndarray, shape (batch, H_out, W_out, F), in the dtype of ``x``
    """
    where = "conv2d"
    x = _check_input(x, where)
    kernel = as_float_array(kernel, where, dtype=x.dtype)
    check_ndim(kernel, 4, where, "kernel (kh, kw, c_in, filters)")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{where}: expected the kernel's c_in ({kernel.shape[2]}) to equal the input's channels, "
                         f"got input shape {x.shape}")
    strides = _pair(strides, where, "strides")
    padding = _check_padding(padding, where)
    ho, wo, pads = _geometry(x.shape, kernel.shape, strides, padding, where)
    kh, kw, c, f = kernel.shape
    cols = _im2col(_pad(x, pads), kh, kw, *strides, ho, wo)
    return (cols @ kernel.reshape(kh * kw * c, f)).reshape(x.shape[0], ho, wo, f)


def conv2d_input_grad(grad_out: np.ndarray, kernel: np.ndarray, input_hw, strides, pads) -> np.ndarray:
    """dLoss/dx of ``conv2d``: every window's gradient added back onto its input pixels.

    Forward, the window whose top-left corner is padded pixel ``(r, q)`` added
    ``xp[r + i, q + j] @ K[i, j]`` to its output, so backward
    ``dxp[r + i, q + j] += grad_out[window] @ K[i, j].T`` for every offset ``(i, j)``.
    """
    n, ho, wo, f = grad_out.shape
    kh, kw, c, _ = kernel.shape
    h, w = input_hw
    sh, sw = strides
    (top, bottom), (left, right) = pads
    hp, wp = h + top + bottom, w + left + right
    # each window's gradient at its top-left corner on the padded grid (zeros elsewhere)
    grid = np.zeros((n, hp, wp, f), dtype=grad_out.dtype)
    grid[:, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw] = grad_out
    size = grid.size // f  # pixels of the flattened padded grid
    # one product for all offsets: rows (i, j, c), one column per grid pixel. Channels first,
    # so each offset's block is (c, size) with long contiguous rows for the additions below.
    contrib = (kernel.reshape(kh * kw * c, f) @ grid.reshape(size, f).T).reshape(kh, kw, c, size)
    # "i rows down, j columns right" on the flattened grid is the shift i*wp + j. Nonzero entries
    # sit at window corners and a window never reaches past the grid's right or bottom edge, so
    # nothing nonzero wraps into the next row or image.
    dxp = contrib[0, 0]  # offset (0, 0) needs no shift: accumulate into its block, no new buffer
    for i in range(kh):
        for j in range(kw):
            shift = i * wp + j
            if shift:
                dxp[:, shift:] += contrib[i, j, :, :size - shift]
    # back to channels-last, drop the padding; one copy makes the result C-contiguous
    dxp = dxp.T.reshape(n, hp, wp, c)
    return np.ascontiguousarray(dxp[:, top:top + h, left:left + w])


# -- the layer ------------------------------------------------------------------------------

class Conv2D(Layer):
    """2-D convolution layer, Keras' ``layers.Conv2D`` with explicit forward/backward.

    Parameters
    ----------
    c_in : int
        Input channels (Keras infers it; we take it so the kernel exists at construction).
    c_out : int
        Output channels, stored as ``filters`` (Keras' name).
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
    padding : {"valid", "same"}, default "valid"
        "same" follows TensorFlow exactly: output ``ceil(n / s)``, odd padding extra at bottom/right.
    activation : None, "linear" or "relu"
        Fused ReLU, as ``Conv2D(..., activation="relu")`` in Keras. Other activations: put an
        activation layer (``Sigmoid``, ``Tanh``, ...) after the convolution.
    use_bias : bool, default True
    kernel_regularizer : float or None
        L2 factor ``l2``: adds ``l2 * sum(kernel**2)`` to the loss (Keras' ``regularizers.L2(l2)``).
    kernel_initializer : str or callable, default "glorot_uniform"
        A Keras name resolved by :func:`dlcourse.initializers.get`; the fans of a
        ``(kh, kw, c_in, filters)`` kernel are ``kh*kw*c_in`` and ``kh*kw*filters``, as in Keras.
    seed : None, int or numpy Generator
        For the kernel initializer; the bias starts at zero.
    dtype : str or dtype, default "float32"
        Parameters and computation dtype; inputs are cast to it.
    name : str, optional

    Attributes
    ----------
    params : {"kernel": (kh, kw, c_in, filters), "bias": (filters,)}
    grads : same keys and shapes, after ``backward``
    """

    def __init__(self, c_in, c_out, kernel_size, strides=1, padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", kernel_regularizer=None, seed=None,
                 dtype="float32", name=None):
        where = "Conv2D"
        super().__init__(name=name, dtype=dtype)
        self.c_in = check_positive_int(c_in, where, "c_in")
        self.filters = check_positive_int(c_out, where, "c_out")
        self.kernel_size = _pair(kernel_size, where, "kernel_size")
        self.strides = _pair(strides, where, "strides")
        self.padding = _check_padding(padding, where)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: expected activation None, 'linear' or 'relu' (add an activation layer "
                             f"for others), got {activation!r}")
        self.activation = None if activation == "linear" else activation
        self.use_bias = bool(use_bias)
        self.kernel_regularizer = check_l2_factor(kernel_regularizer, where)
        init = initializers.get(kernel_initializer)
        self.params["kernel"] = init((*self.kernel_size, self.c_in, self.filters), seed=as_rng(seed, where),
                                     dtype=self.dtype)
        if self.use_bias:
            self.params["bias"] = initializers.zeros((self.filters,), dtype=self.dtype)

    # -- shapes ----------------------------------------------------------------------------
    def compute_output_shape(self, input_shape):
        where = f"{type(self).__name__}.compute_output_shape"
        if len(input_shape) != 3:
            raise ValueError(f"{where}: expected (height, width, channels), got {tuple(input_shape)}")
        h, w, c = input_shape
        if c != self.c_in:
            raise ValueError(f"{where}: expected {self.c_in} input channels, got {c}")
        ho, wo, _ = _geometry((1, h, w, c), self.kernel_size, self.strides, self.padding, where)
        return ho, wo, self.filters

    def regularization_loss(self) -> float:
        if not self.kernel_regularizer:
            return 0.0
        k = self.params["kernel"]
        return float(self.kernel_regularizer * np.vdot(k, k))

    # -- the two passes ----------------------------------------------------------------------
    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite (batch, H, W, c_in) array of the layer's dtype, large enough for the kernel."""
        where = f"{type(self).__name__}.forward"
        x = _check_input(x, where, dtype=self.dtype)
        if x.shape[3] != self.c_in:
            raise ValueError(f"{where}: expected {self.c_in} input channels (the last axis), got shape {x.shape}")
        _geometry(x.shape, self.kernel_size, self.strides, self.padding, where)  # raises if the kernel does not fit
        return x

    def forward(self, x, training: bool = False) -> np.ndarray:
        """``x`` (batch, H, W, c_in) -> (batch, H_out, W_out, filters)."""
        x = self.check_input(x)
        ho, wo, pads = _geometry(x.shape, self.kernel_size, self.strides, self.padding, "Conv2D.forward")
        # one row per output pixel holding its kh*kw*c_in patch: the sum over (i, j, c) is then a matrix product
        cols = _im2col(_pad(x, pads), *self.kernel_size, *self.strides, ho, wo)
        out = cols @ self.params["kernel"].reshape(-1, self.filters)
        if self.use_bias:
            out += self.params["bias"]
        if self.activation == "relu":
            out = np.maximum(out, 0)
        out = out.reshape(x.shape[0], ho, wo, self.filters)
        self._cache = (cols, x.shape, pads, out)
        return out

    def backward(self, grad_out) -> np.ndarray:
        """dLoss/d(output) (batch, H_out, W_out, filters) -> dLoss/dx (batch, H, W, c_in); fills ``grads``."""
        cols, x_shape, pads, out = self._require_cache()
        g = self._check_grad_out(grad_out, out.shape, self.dtype)
        if self.activation == "relu":
            g = g * (out > 0)  # TF's ReLU gradient: 0 where the output is 0
        kernel = self.params["kernel"]
        # dK[i, j, c, f] = sum over pixels of patch[(i, j, c)] * g[f]: one product with forward's patch matrix
        self.grads["kernel"] = (cols.T @ g.reshape(-1, self.filters)).reshape(kernel.shape)
        if self.kernel_regularizer:
            self.grads["kernel"] += 2 * self.kernel_regularizer * kernel  # d(l2 * sum K^2)/dK
        if self.use_bias:
            self.grads["bias"] = _sum_over_pixels(g)
        return conv2d_input_grad(g, kernel, x_shape[1:3], self.strides, pads)


def _sum_over_pixels(g: np.ndarray) -> np.ndarray:
    """``g.sum(axis=(0, 1, 2))`` for a (batch, H, W, F) gradient: the bias gradient.

    Summed in two steps: first over (batch*rows), whose entries are long contiguous (width*filters)
    rows that NumPy adds as vectors, then over the width. About 5x faster than summing rows only
    ``filters`` long, and unlike ``ones @ g`` (multithreaded BLAS) it does not stall on busy cores.
    """
    n, ho, wo, f = g.shape
    return g.reshape(n * ho, wo * f).sum(axis=0).reshape(wo, f).sum(axis=0)
