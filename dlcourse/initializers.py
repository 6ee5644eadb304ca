"""Weight initializers with Keras' defaults and Keras' fan computation.

``glorot_uniform`` draws from U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))
(Glorot & Bengio 2010). For a convolution kernel of shape ``(kh, kw, c_in, c_out)`` the
fans are ``kh*kw*c_in`` and ``kh*kw*c_out``, exactly as Keras computes them, so our
initial weights have the same distribution as Keras' (not the same numbers: the
random generators differ).
"""
from __future__ import annotations

import numpy as np

from ._checks import as_rng

__all__ = ["compute_fans", "glorot_uniform", "orthogonal", "zeros", "random_uniform", "get"]


def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a kernel shape, following Keras."""
    shape = tuple(shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(shape, seed=None, dtype=np.float32) -> np.ndarray:
    """Glorot/Xavier uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(seed).uniform(-limit, limit, size=shape).astype(dtype)


def orthogonal(shape, seed=None, dtype=np.float32, gain=1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix, as Keras' ``Orthogonal`` initializer (Saxe et al. 2014)."""
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    a = as_rng(seed).normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q[:rows, :cols]).reshape(shape).astype(dtype)


def random_uniform(shape, seed=None, dtype=np.float32, minval=-0.05, maxval=0.05) -> np.ndarray:
    """U(minval, maxval); Keras' default for ``Embedding``."""
    return as_rng(seed).uniform(minval, maxval, size=shape).astype(dtype)


def zeros(shape, dtype=np.float32) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


_BY_NAME = {"glorot_uniform": glorot_uniform, "orthogonal": orthogonal,
            "random_uniform": random_uniform, "zeros": zeros}


def get(identifier):
    """Return the initializer for a Keras name (``"glorot_uniform"``, ...) or a callable unchanged.

    Every initializer is called as ``init(shape, seed=rng, dtype=dtype)``; ``zeros`` ignores the seed.
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        init = _BY_NAME[identifier]
        if init is zeros:
            return lambda shape, seed=None, dtype=np.float32: zeros(shape, dtype=dtype)
        return init
    raise ValueError(f"initializers.get: expected one of {sorted(_BY_NAME)} or a callable, got {identifier!r}")
