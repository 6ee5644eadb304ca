"""Numerical gradient checks: is ``backward`` the derivative of ``forward``?

The central difference (f(x + h) - f(x - h)) / 2h approximates a derivative with
error O(h^2), so in float64 with h = 1e-6 an analytic gradient that is right agrees
to about 1e-9 and one that is wrong is off by far more than 1e-6. Everything here
therefore insists on float64: in float32 rounding alone exceeds the tolerance.

A ReLU (or max-pooling) has a kink: where a perturbation crosses it, the central
difference averages two different slopes and is simply not the derivative. We detect
those coordinates from the data instead of hard-coding which layers have kinks: at a
smooth point the one-sided slopes (f(x+h) - f(x))/h and (f(x) - f(x-h))/h agree to
O(h), at a kink they differ by O(1). Such coordinates are skipped and counted.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_rng

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_model", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)``; 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6, return_kinks: bool = False):
    """Central-difference gradient of the scalar function ``f()`` w.r.t. the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored, so ``f`` may close
    over it (e.g. a layer's kernel). With ``return_kinks`` also returns a boolean mask
    of the entries where the one-sided slopes disagree (a kink was crossed).
    """
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient: expected a float64 array, got {x.dtype} (float32 rounding exceeds any useful tolerance)")
    grad = np.zeros_like(x)
    kinks = np.zeros(x.shape, dtype=bool)
    f0 = f()
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
        right, left = (f_plus - f0) / h, (f0 - f_minus) / h
        kinks[i] = abs(right - left) > 1e-3 * (abs(right) + abs(left)) + 1e-5
    return (grad, kinks) if return_kinks else grad


def _compare(name: str, analytic, numeric, kinks, tol: float, max_kink_fraction: float) -> float:
    if kinks.mean() > max_kink_fraction:
        raise GradientCheckError(
            f"{name}: {kinks.sum()} of {kinks.size} entries sit on a kink (> {max_kink_fraction:.0%}); "
            "move the inputs away from zero to check this layer"
        )
    smooth = ~kinks
    err = relative_error(np.asarray(analytic)[smooth], numeric[smooth])
    if err > tol:
        flat = np.argmax(np.where(smooth, np.abs(analytic - numeric), -1))
        worst = tuple(int(i) for i in np.unravel_index(flat, numeric.shape))  # (4, 1), not (np.int64(4), ...)
        raise GradientCheckError(
            f"{name}: relative error {err:.2e} exceeds {tol:.0e}; worst entry {worst}: "
            f"analytic {np.asarray(analytic)[worst]:.6g} vs numerical {numeric[worst]:.6g}"
        )
    return err


def check_layer(layer, x, seed=0, tol: float = 1e-6, h: float = 1e-6, training: bool = False,
                max_kink_fraction: float = 0.1) -> dict[str, float]:
    """Assert that ``layer.backward`` matches central differences for the input and every parameter.

    The scalar checked is ``sum(forward(x) * R) + regularization_loss()`` for a fixed random ``R``, whose
    gradient w.r.t. the output is ``R``: every output entry gets a different weight,
    so a transposed or mis-summed gradient cannot pass by symmetry.

    Returns
    -------
    dict
        Relative error per checked array (``"input"`` and each parameter name).

    Raises
    ------
    GradientCheckError
        Naming the array that failed, the relative error and the worst entry.
    """
    where = f"check_layer({type(layer).__name__})"
    for key, p in layer.params.items():
        if p.dtype != np.float64:
            raise TypeError(f"{where}: expected float64 parameters, got {key} as {p.dtype}; build the layer with dtype='float64'")
    x = np.array(x, copy=True)
    out = layer.forward(x, training=training)
    r = as_rng(seed).standard_normal(out.shape)

    def f():
        # backward() adds the regularizer's gradient to grads, so the checked scalar includes it
        return float(np.sum(layer.forward(x, training=training) * r)) + layer.regularization_loss()

    grad_in = layer.backward(r)  # the cache is from the forward pass above
    analytic = {key: layer.grads[key].copy() for key in layer.params}
    errors = {}
    if x.dtype.kind == "f":
        if x.dtype != np.float64:
            raise TypeError(f"{where}: expected a float64 input, got {x.dtype}")
        num, kinks = numerical_gradient(f, x, h, return_kinks=True)
        errors["input"] = _compare(f"{where} input", grad_in, num, kinks, tol, max_kink_fraction)
    for key, p in layer.params.items():
        num, kinks = numerical_gradient(f, p, h, return_kinks=True)
        errors[key] = _compare(f"{where} {key}", analytic[key], num, kinks, tol, max_kink_fraction)
    return errors


def check_model(layers, loss, x, y, tol: float = 1e-6, h: float = 1e-6, max_kink_fraction: float = 0.1) -> dict[str, float]:
    """Assert that backpropagation through a stack of layers and a loss matches central differences.

    Parameters
    ----------
    layers : list of Layer, or a ``Sequential`` (its ``.layers`` and compiled ``.loss`` are used)
    loss : a ``dlcourse.losses`` loss, or None to take the model's compiled loss
    x, y : inputs ``(batch, ...)`` in float64 and targets

    Returns the relative error per parameter, keyed ``"<layer index>.<layer name>.<param>"``.
    """
    if hasattr(layers, "layers"):
        loss = loss if loss is not None else getattr(layers, "loss", None)
        layers = layers.layers
    if loss is None:
        raise ValueError("check_model: expected a loss (or a compiled model), got None")

    def forward():
        a = x
        for layer in layers:
            a = layer.forward(a, training=False)
        return a

    def f():
        return float(loss(y, forward())) + sum(layer.regularization_loss() for layer in layers)

    grad = loss.gradient(y, forward())
    for layer in reversed(layers):
        grad = layer.backward(grad)
    errors = {}
    for i, layer in enumerate(layers):
        analytic = {key: layer.grads[key].copy() for key in layer.params}
        for key, p in layer.params.items():
            name = f"{i}.{layer.name}.{key}"
            if p.dtype != np.float64:
                raise TypeError(f"check_model: expected float64 parameters, got {name} as {p.dtype}")
            num, kinks = numerical_gradient(f, p, h, return_kinks=True)
            errors[name] = _compare(f"check_model {name}", analytic[key], num, kinks, tol, max_kink_fraction)
    return errors
