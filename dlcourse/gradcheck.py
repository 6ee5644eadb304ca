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

from ._checks import as_array, as_rng, check_finite, check_positive_float

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_model", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with the numerical one."""


def _finite_float64(x, where: str, name: str) -> np.ndarray:
    x = as_array(x, f"{where}: {name}", "a numeric array")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected {name} as a real-valued numeric array, got dtype {x.dtype}")
    check_finite(x, f"{where}: {name}")
    return x.astype(np.float64, copy=False)


def relative_error(a, b) -> float:
    """``||a - b|| / (||a|| + ||b||)``; 0 when both are zero.

    ``a`` and ``b`` must have the same shape (broadcasting would compare the wrong
    entries) and be finite (a NaN would make every comparison with a tolerance false).
    """
    a, b = _finite_float64(a, "relative_error", "a"), _finite_float64(b, "relative_error", "b")
    if a.shape != b.shape:
        raise ValueError(f"relative_error: expected a and b of the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6, return_kinks: bool = False):
    """Central-difference gradient of the scalar function ``f()`` w.r.t. the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored, so ``f`` may close
    over it (e.g. a layer's kernel). With ``return_kinks`` also returns a boolean mask
    of the entries where the one-sided slopes disagree (a kink was crossed).
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: expected f as a function of no arguments returning a scalar, got {type(f).__name__}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected x as a float64 NumPy array (it is perturbed in place), "
                        f"got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"{where}: expected a float64 array, got {x.dtype} (float32 rounding exceeds any useful tolerance)")
    h = check_positive_float(h, where, "h")
    grad = np.zeros_like(x)
    kinks = np.zeros(x.shape, dtype=bool)
    f0 = f()
    if np.ndim(f0) != 0:
        raise TypeError(f"{where}: expected f() to return a scalar, got {type(f0).__name__} of shape {np.shape(f0)}")
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


def _check_gradients_finite(name: str, analytic, numeric) -> np.ndarray:
    """The analytic gradient as an array of the numeric one's shape, all finite; or ``GradientCheckError``."""
    if analytic is None or np.shape(analytic) != numeric.shape:
        got = "None" if analytic is None else f"shape {np.shape(analytic)}"
        raise GradientCheckError(f"{name}: expected an analytic gradient of shape {numeric.shape}, got {got}")
    analytic = np.asarray(analytic)
    # NaN compares false with everything, so "error > tol" alone would let a NaN gradient pass.
    for kind, g in (("analytic", analytic), ("numerical", numeric)):
        finite = np.isfinite(g)
        if not finite.all():
            first = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise GradientCheckError(
                f"{name}: the {kind} gradient has {int(finite.size - finite.sum())} NaN/inf entries "
                f"(the first at {first}: {g[first]}); a gradient check needs finite values"
            )
    return analytic


def _compare(name: str, analytic, numeric, kinks, tol: float, max_kink_fraction: float) -> float:
    analytic = _check_gradients_finite(name, analytic, numeric)
    if kinks.mean() > max_kink_fraction:
        raise GradientCheckError(
            f"{name}: {kinks.sum()} of {kinks.size} entries sit on a kink (> {max_kink_fraction:.0%}); "
            "move the inputs away from zero to check this layer"
        )
    smooth = ~kinks
    err = relative_error(analytic[smooth], numeric[smooth])
    if err > tol:
        flat = np.argmax(np.where(smooth, np.abs(analytic - numeric), -1))
        worst = tuple(int(i) for i in np.unravel_index(flat, numeric.shape))  # (4, 1), not (np.int64(4), ...)
        raise GradientCheckError(
            f"{name}: relative error {err:.2e} exceeds {tol:.0e}; worst entry {worst}: "
            f"analytic {analytic[worst]:.6g} vs numerical {numeric[worst]:.6g}"
        )
    return err


def _check_options(where: str, tol, h, max_kink_fraction) -> None:
    check_positive_float(tol, where, "tol")
    check_positive_float(h, where, "h")
    if isinstance(max_kink_fraction, bool) or not isinstance(max_kink_fraction, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: expected max_kink_fraction as a number in [0, 1], "
                        f"got {type(max_kink_fraction).__name__}")
    if not 0 <= max_kink_fraction <= 1:
        raise ValueError(f"{where}: expected max_kink_fraction in [0, 1], got {max_kink_fraction}")


def _check_layers(layers, where: str, numbered: bool) -> None:
    """Every layer a dlcourse layer with float64 parameters (``kernel``, or ``0.dense.kernel`` if ``numbered``)."""
    for i, layer in enumerate(layers):
        if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads", "regularization_loss")):
            raise TypeError(f"{where}: expected dlcourse layers (forward, backward, params, grads), "
                            f"got {type(layer).__name__}")
        for key, p in layer.params.items():
            if p.dtype != np.float64:
                name = f"{i}.{layer.name}.{key}" if numbered else key
                raise TypeError(f"{where}: expected float64 parameters, got {name} as {p.dtype}; "
                                "build the layer with dtype='float64'")


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
    _check_layers([layer], where, numbered=False)
    _check_options(where, tol, h, max_kink_fraction)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{where}: expected training as a bool, got {type(training).__name__}")
    rng = as_rng(seed, where)
    x = np.array(as_array(x, where, "an input array"), copy=True)
    if x.dtype.kind == "f":
        if x.dtype != np.float64:
            raise TypeError(f"{where}: expected a float64 input, got {x.dtype}")
        check_finite(x, f"{where}: x")
    out = layer.forward(x, training=training)
    r = rng.standard_normal(out.shape)

    def f():
        # backward() adds the regularizer's gradient to grads, so the checked scalar includes it
        return float(np.sum(layer.forward(x, training=training) * r)) + layer.regularization_loss()

    grad_in = layer.backward(r)  # the cache is from the forward pass above
    analytic = {key: layer.grads[key].copy() for key in layer.params}
    errors = {}
    if x.dtype.kind == "f":
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
    where = "check_model"
    if loss is None:
        raise ValueError(f"{where}: expected a loss (or a compiled model), got None")
    if not (callable(loss) and hasattr(loss, "gradient")):
        raise TypeError(f"{where}: expected a dlcourse loss (callable, with .gradient), got {type(loss).__name__}")
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"{where}: expected a non-empty list of layers or a Sequential, got {type(layers).__name__}")
    _check_layers(layers, where, numbered=True)
    _check_options(where, tol, h, max_kink_fraction)
    x, y = as_array(x, where, "an input array x"), as_array(y, where, "a target array y")
    for name, arr in (("x", x), ("y", y)):
        if arr.dtype.kind == "f":
            check_finite(arr, f"{where}: {name}")

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
            num, kinks = numerical_gradient(f, p, h, return_kinks=True)
            errors[name] = _compare(f"check_model {name}", analytic[key], num, kinks, tol, max_kink_fraction)
    return errors
