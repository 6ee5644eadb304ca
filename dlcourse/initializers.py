r"""Weight initializers with Keras' names, defaults, scaling and fan computation.

Most of them are one rule, Keras' ``VarianceScaling``: draw weights with variance

.. math:: \sigma^2 = \frac{\text{scale}}{n}, \qquad
          n = \text{fan\_in},\ \text{fan\_out} \text{ or } \frac{\text{fan\_in} + \text{fan\_out}}{2}

either from a uniform distribution U(-l, l) with :math:`l = \sqrt{3\sigma^2}` (its variance is
:math:`l^2/3`) or from a normal distribution truncated at two standard deviations. Cutting the
tails shrinks the variance by the factor 0.87962566103423978², so Keras draws from a normal of
standard deviation :math:`\sigma / 0.8796...` and the *truncated* samples have variance
:math:`\sigma^2` exactly.

======================  =====  ========  ==================
name                    scale  mode      distribution
======================  =====  ========  ==================
``glorot_uniform``      1      fan_avg   uniform
``glorot_normal``       1      fan_avg   truncated normal
``he_uniform``          2      fan_in    uniform
``he_normal``           2      fan_in    truncated normal
``lecun_uniform``       1      fan_in    uniform
``lecun_normal``        1      fan_in    truncated normal
======================  =====  ========  ==================

For a convolution kernel of shape ``(kh, kw, c_in, c_out)`` the fans are ``kh*kw*c_in`` and
``kh*kw*c_out``, exactly as Keras computes them, so our initial weights have the same
distribution as Keras' (not the same numbers: the random generators differ).

Every initializer is called as ``init(shape, seed=rng, dtype=dtype)``; :func:`get` finds one
by its Keras name.

Examples
--------
>>> w = get("he_normal")((3, 3, 16, 32), seed=0)
>>> w.shape, w.dtype
((3, 3, 16, 32), dtype('float32'))
>>> compute_fans((3, 3, 16, 32))
(144, 288)
>>> bool(abs(w).max() <= 2 * np.sqrt(2 / 144) / 0.87962566103423978)
True
"""
from __future__ import annotations

import numpy as np

from ._checks import as_rng, check_float_dtype

__all__ = [
    "compute_fans", "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal", "orthogonal", "random_uniform", "random_normal", "truncated_normal",
    "zeros", "ones", "get",
]

# The standard deviation of a standard normal truncated to [-2, 2] (Keras' constant).
TRUNCATED_STDDEV = 0.87962566103423978
# No layer of this course needs more; a bigger request is a typo, not a model.
MAX_BYTES = 2**32


def _check_shape(shape, where: str, dtype=np.float32) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive ints, or raise naming the bad dimension or the size."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if isinstance(dims, (str, bytes)) or not hasattr(dims, "__iter__"):
        raise TypeError(f"{where}: expected a shape as a tuple of ints, got {type(shape).__name__} {shape!r}")
    dims = tuple(dims)
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{where}: expected a shape of ints, got {type(d).__name__} {d!r} in shape {dims!r}")
        if d < 1:
            raise ValueError(f"{where}: expected every dimension >= 1, got {d} in shape {dims!r}")
    dims = tuple(int(d) for d in dims)
    nbytes = int(np.prod(dims, dtype=object)) * np.dtype(dtype).itemsize
    if nbytes > MAX_BYTES:
        raise ValueError(f"{where}: expected a shape of at most {MAX_BYTES // 2**30} GiB, got shape {dims} "
                         f"needing {nbytes:,} bytes ({nbytes / 2**30:,.1f} GiB) of {np.dtype(dtype)}")
    return dims


def _check_args(shape, seed, dtype, where: str):
    """One validation call for every initializer: shape, generator and float dtype."""
    dtype = check_float_dtype(dtype, where)
    return _check_shape(shape, where, dtype), as_rng(seed, where), dtype


def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a kernel shape, following Keras.

    ``(n,)`` -> ``(n, n)``; ``(n_in, n_out)`` -> ``(n_in, n_out)``; a convolution kernel
    ``(..., c_in, c_out)`` -> ``(c_in * receptive, c_out * receptive)`` with ``receptive`` the
    product of the spatial dimensions; a scalar ``()`` -> ``(1, 1)``.
    """
    shape = _check_shape(shape, "compute_fans")
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2], dtype=np.int64))
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated(shape, rng, mean, stddev) -> np.ndarray:
    """N(mean, stddev²) with every draw beyond two standard deviations redrawn."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2
    while outside.any():  # about 4.6% of the draws each round, so a few rounds suffice
        z[outside] = rng.standard_normal(np.count_nonzero(outside))
        outside = np.abs(z) > 2
    return mean + stddev * z


def truncated_normal(shape, seed=None, dtype=np.float32, mean=0.0, stddev=0.05) -> np.ndarray:
    """N(mean, stddev²) truncated at two standard deviations, as Keras' ``TruncatedNormal`` (same defaults)."""
    shape, rng, dtype = _check_args(shape, seed, dtype, "truncated_normal")
    return _truncated(shape, rng, mean, stddev).astype(dtype)


def _scaled(where, shape, seed, dtype, scale, mode, distribution) -> np.ndarray:
    """The VarianceScaling rule; ``where`` names the public initializer in error messages."""
    shape, rng, dtype = _check_args(shape, seed, dtype, where)
    fan_in, fan_out = compute_fans(shape)
    fans = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
    if mode not in fans:
        raise ValueError(f"{where}: expected mode 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
    n = max(1.0, fans[mode])
    if distribution == "uniform":  # U(-l, l) has variance l**2 / 3
        limit = np.sqrt(3.0 * scale / n)
        return rng.uniform(-limit, limit, size=shape).astype(dtype)
    if distribution == "truncated_normal":
        return _truncated(shape, rng, 0.0, np.sqrt(scale / n) / TRUNCATED_STDDEV).astype(dtype)
    raise ValueError(f"{where}: expected distribution 'uniform' or 'truncated_normal', got {distribution!r}")


def variance_scaling(shape, seed=None, dtype=np.float32, scale=1.0, mode="fan_in",
                     distribution="truncated_normal") -> np.ndarray:
    """Keras' ``VarianceScaling``: variance ``scale / n`` with ``n`` chosen by ``mode`` (see the module)."""
    return _scaled("variance_scaling", shape, seed, dtype, scale, mode, distribution)


def glorot_uniform(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier uniform (Glorot & Bengio 2010): U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    return _scaled("glorot_uniform", shape, seed, dtype, 1.0, "fan_avg", "uniform")


def glorot_normal(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier normal: truncated normal with variance 2 / (fan_in + fan_out)."""
    return _scaled("glorot_normal", shape, seed, dtype, 1.0, "fan_avg", "truncated_normal")


def he_uniform(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """He uniform (He et al. 2015), for ReLU layers: U(-l, l), l = sqrt(6 / fan_in)."""
    return _scaled("he_uniform", shape, seed, dtype, 2.0, "fan_in", "uniform")


def he_normal(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """He normal, for ReLU layers: truncated normal with variance 2 / fan_in."""
    return _scaled("he_normal", shape, seed, dtype, 2.0, "fan_in", "truncated_normal")


def lecun_uniform(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """LeCun uniform (LeCun et al. 1998): U(-l, l), l = sqrt(3 / fan_in)."""
    return _scaled("lecun_uniform", shape, seed, dtype, 1.0, "fan_in", "uniform")


def lecun_normal(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """LeCun normal, for SELU networks: truncated normal with variance 1 / fan_in."""
    return _scaled("lecun_normal", shape, seed, dtype, 1.0, "fan_in", "truncated_normal")


def orthogonal(shape, seed=None, dtype=np.float32, gain=1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix, as Keras' ``Orthogonal`` initializer (Saxe et al. 2014).

    The shape is read as a matrix ``(prod(shape[:-1]), shape[-1])``; its rows (or columns, when
    there are fewer of them) are orthonormal, times ``gain``.
    """
    shape, rng, dtype = _check_args(shape, seed, dtype, "orthogonal")
    if len(shape) < 2:
        raise ValueError(f"orthogonal: expected a shape with at least 2 dimensions, got {shape}")
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).reshape(shape).astype(dtype)


def random_uniform(shape, seed=None, dtype=np.float32, minval=-0.05, maxval=0.05) -> np.ndarray:
    """U(minval, maxval); Keras' default for ``Embedding``."""
    shape, rng, dtype = _check_args(shape, seed, dtype, "random_uniform")
    return rng.uniform(minval, maxval, size=shape).astype(dtype)


def random_normal(shape, seed=None, dtype=np.float32, mean=0.0, stddev=0.05) -> np.ndarray:
    """N(mean, stddev²), untruncated, as Keras' ``RandomNormal`` (same defaults)."""
    shape, rng, dtype = _check_args(shape, seed, dtype, "random_normal")
    return rng.normal(mean, stddev, size=shape).astype(dtype)


def zeros(shape, dtype=np.float32, seed=None) -> np.ndarray:
    """All zeros, Keras' ``initializers.Zeros`` (the default bias initializer).

    Parameters
    ----------
    shape : tuple of int
    dtype : floating dtype, default float32
    seed : ignored
        Accepted so that every initializer is called the same way.

    Returns
    -------
    ndarray of ``shape``, all zeros
    """
    return np.zeros(_check_shape(shape, "zeros", check_float_dtype(dtype, "zeros")), dtype=dtype)


def ones(shape, dtype=np.float32, seed=None) -> np.ndarray:
    """All ones (e.g. a normalization layer's scale); ``seed`` is accepted and ignored."""
    return np.ones(_check_shape(shape, "ones", check_float_dtype(dtype, "ones")), dtype=dtype)


_BY_NAME = {f.__name__: f for f in (
    glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
    orthogonal, random_uniform, random_normal, truncated_normal, zeros, ones,
)}


def get(identifier):
    """Return the initializer for a Keras name (``"glorot_uniform"``, ``"he_normal"``, ...) or a callable unchanged.

    Every initializer is called as ``init(shape, seed=rng, dtype=dtype)``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones). ``TypeError`` for anything
        that is neither a string nor a callable.

    Examples
    --------
    >>> get("zeros")((2,), seed=0, dtype="float64")
    array([0., 0.])
    """
    if callable(identifier):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"initializers.get: expected an initializer name (str) or a callable, "
                        f"got {type(identifier).__name__}")
    if identifier not in _BY_NAME:
        raise ValueError(f"initializers.get: expected one of {', '.join(map(repr, _BY_NAME))} or a callable, "
                         f"got {identifier!r}")
    return _BY_NAME[identifier]
