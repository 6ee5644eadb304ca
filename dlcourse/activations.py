"""Activation functions and their derivatives, stable for any finite input.

An activation is applied elementwise (softmax: along one axis) to a layer's
pre-activation ``z``. Each one here comes with its derivative, written as the
chapter writes it, and every formula is arranged so that ``|z| = 1e4`` gives no
overflow, no NaN and no warning:

- ``sigmoid`` never evaluates ``exp`` of a positive number, only ``exp(-|z|)``;
- ``softmax`` subtracts the row maximum before ``exp`` (the result is unchanged,
  because softmax is invariant to adding a constant to every entry);
- underflow of ``exp(-|z|)`` to 0 is the correctly rounded answer, so it is
  allowed silently (``np.errstate(under="ignore")``) instead of warned about.

Outputs keep the input's floating dtype (float32 stays float32). Integer inputs are
cast to float32.

Layers use :func:`get`, which returns an :class:`ActivationFn`: the function and its
backward pass written in terms of the *output* ``a = f(z)``, which is all a layer needs
to cache (sigmoid' = a(1 - a), tanh' = 1 - a^2, relu' = [a > 0]). That is also how
TensorFlow computes these gradients, so the two agree to rounding.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ._checks import as_float_array

__all__ = [
    "sigmoid", "tanh", "relu", "softmax", "linear",
    "sigmoid_grad", "tanh_grad", "relu_grad", "linear_grad", "softmax_backward",
    "ActivationFn", "get",
]


def _float(z, where: str) -> np.ndarray:
    # Fast path first: activations sit inside every training step.
    if isinstance(z, np.ndarray) and z.dtype.kind == "f":
        return z
    return as_float_array(z, where)


# -- the functions -----------------------------------------------------------
def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, elementwise.

    Computed from :math:`e = e^{-|z|} \in (0, 1]` as :math:`1/(1+e)` for
    :math:`z \ge 0` and :math:`e/(1+e)` for :math:`z < 0` (the same value), so ``exp``
    never overflows.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and float dtype as ``z``, values in [0, 1]
    """
    z = _float(z, "sigmoid")
    with np.errstate(under="ignore"):  # exp(-|z|) -> 0 for large |z| is the correctly rounded answer
        e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow, unlike exp(-z) for z << 0
        return np.where(z >= 0, 1.0, e) / (1.0 + e)  # 1/(1+e^-z) for z >= 0, e^z/(1+e^z) for z < 0


def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`, elementwise.

    NumPy's ``tanh`` is already stable (it saturates to +-1). Shape and dtype of ``z``.
    """
    return np.tanh(_float(z, "tanh"))


def relu(z):
    r"""Rectified linear unit :math:`\mathrm{relu}(z) = \max(0, z)`, elementwise. Shape and dtype of ``z``."""
    z = _float(z, "relu")
    return np.maximum(z, 0, dtype=z.dtype)


def linear(z):
    r"""The identity :math:`f(z) = z` (Keras' ``"linear"``, a Dense layer without activation)."""
    return _float(z, "linear")


def softmax(z, axis: int = -1):
    r"""Softmax along ``axis``: :math:`s_i = e^{z_i} / \sum_j e^{z_j}`.

    Computed as :math:`e^{z_i - m} / \sum_j e^{z_j - m}` with :math:`m = \max_j z_j`:
    the largest exponent is :math:`e^0 = 1`, so nothing overflows and the sum is >= 1.

    Parameters
    ----------
    z : array_like, e.g. ``(batch, classes)``
    axis : int
        The axis that sums to 1 (Keras' default, -1: the last).

    Returns
    -------
    ndarray, same shape and float dtype as ``z``
    """
    z = _float(z, "softmax")
    _check_axis(z, axis, "softmax")
    with np.errstate(under="ignore"):  # a tiny probability rounding to 0 is not an error
        e = np.exp(z - z.max(axis=axis, keepdims=True))  # shifted so the largest exponent is e^0 = 1
    return e / e.sum(axis=axis, keepdims=True)


# -- derivatives ------------------------------------------------------------
def sigmoid_grad(z):
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z)) = e^{-|z|} / (1 + e^{-|z|})^2`, elementwise.

    The second form is symmetric in ``z`` and never overflows. Shape and dtype of ``z``.
    """
    z = _float(z, "sigmoid_grad")
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return e / ((1.0 + e) * (1.0 + e))


def tanh_grad(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`, elementwise. Shape and dtype of ``z``."""
    t = np.tanh(_float(z, "tanh_grad"))
    return 1.0 - t * t


def relu_grad(z):
    r""":math:`\mathrm{relu}'(z) = 1` if :math:`z > 0` else 0, elementwise.

    At the kink :math:`z = 0` the derivative does not exist; like TensorFlow/Keras we
    use 0 there. Shape and dtype of ``z``.
    """
    z = _float(z, "relu_grad")
    return (z > 0).astype(z.dtype)


def linear_grad(z):
    r""":math:`f'(z) = 1`, elementwise. Shape and dtype of ``z``."""
    z = _float(z, "linear_grad")
    return np.ones_like(z)


def softmax_backward(s, grad_out, axis: int = -1):
    r"""Backpropagate through softmax: the Jacobian-vector product :math:`J^\top g`.

    The Jacobian of softmax is :math:`\partial s_i/\partial z_j = s_i(\delta_{ij} - s_j)`,
    so for an upstream gradient :math:`g = \partial L/\partial s`

    .. math:: \frac{\partial L}{\partial z_j} = s_j \Big(g_j - \sum_i g_i s_i\Big),

    computed without ever forming the (classes x classes) Jacobian.

    Parameters
    ----------
    s : ndarray
        The softmax *output*, e.g. ``(batch, classes)``.
    grad_out : ndarray, same shape as ``s``
        dL/ds.
    axis : int
        The softmax axis.

    Returns
    -------
    ndarray, dL/dz, same shape as ``s``
    """
    s = _float(s, "softmax_backward")
    g = _float(grad_out, "softmax_backward")
    if g.shape != s.shape:
        raise ValueError(f"softmax_backward: expected grad_out of shape {s.shape} (the softmax output's), got {g.shape}")
    _check_axis(s, axis, "softmax_backward")
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def _check_axis(z: np.ndarray, axis: int, where: str) -> None:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{where}: expected axis as an int, got {type(axis).__name__}")
    if z.ndim == 0:
        raise ValueError(f"{where}: expected an array with at least one axis, got a scalar")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"{where}: expected an axis in [{-z.ndim}, {z.ndim - 1}] for an array of shape {z.shape}, got axis={axis}")


# -- lookup by name, for layers ---------------------------------------------
class ActivationFn(NamedTuple):
    """An activation as a layer uses it.

    Attributes
    ----------
    name : str
        Keras' name (``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"softmax"``, ``"linear"``).
    forward : callable ``z -> a``
    backward : callable ``(a, grad_a) -> grad_z``
        dL/dz from the cached *output* ``a`` and the upstream gradient dL/da.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _relu_backward(a, g):
    return g * (a > 0)  # a > 0 exactly where z > 0; relu'(0) = 0 as in TensorFlow


def _sigmoid_backward(a, g):
    return g * a * (1 - a)


def _tanh_backward(a, g):
    return g * (1 - a * a)


def _linear_backward(a, g):
    return g


_BY_NAME = {
    "relu": ActivationFn("relu", relu, _relu_backward),
    "sigmoid": ActivationFn("sigmoid", sigmoid, _sigmoid_backward),
    "tanh": ActivationFn("tanh", tanh, _tanh_backward),
    "softmax": ActivationFn("softmax", softmax, softmax_backward),
    "linear": ActivationFn("linear", linear, _linear_backward),
}


def get(name) -> ActivationFn:
    """Look up an activation by Keras' name; ``None`` means ``"linear"``.

    Parameters
    ----------
    name : {"relu", "sigmoid", "tanh", "softmax", "linear"}, None or an ActivationFn

    Returns
    -------
    ActivationFn

    Raises
    ------
    ValueError
        For an unknown name. ``TypeError`` for anything that is not a string.
    """
    if name is None:
        return _BY_NAME["linear"]
    if isinstance(name, ActivationFn):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activations.get: expected an activation name (str) or None, got {type(name).__name__}")
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(repr(k) for k in _BY_NAME)
        raise ValueError(f"activations.get: expected one of {known} or None, got {name!r}") from None
