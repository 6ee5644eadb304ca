"""The contract every layer keeps.

A layer is a pair of functions, ``forward`` and ``backward`` (cs231n style): ``forward``
computes the output and caches what the backward pass will need; ``backward`` takes
dLoss/d(output) and returns dLoss/d(input), filling ``self.grads`` for the layer's
parameters on the way. Parameters live in ``self.params``, a dict whose insertion order
is Keras' weight order, so ``get_weights``/``set_weights`` exchange weights with the
matching Keras layer in one call.
"""
from __future__ import annotations

import contextvars
import re

import numpy as np

from .._checks import _describe, all_finite, as_float_array, check_finite, check_float_dtype

__all__ = ["Layer", "to_snake_case", "require_finite", "fit_training_step", "needs_input_gradient"]

# Set inside Sequential.fit's training steps, for the thread (and task) that runs fit alone.
# 1. fit checks the whole dataset before the first update, then watches the loss and every
#    update for NaN/inf (that is how it reports divergence), so the layers skip their own finite
#    tests of each intermediate array, which only repeat it. Dtype, shape and rank checks always run.
# 2. The first layer's input is the data: its gradient would be thrown away, so a layer whose
#    input gradient costs a matrix product (Dense) does not compute it. Keras never asks its
#    tape for it either; PyTorch's autograd.Function has ``ctx.needs_input_grad`` for the same.
_FIT_WATCHES_FINITENESS = contextvars.ContextVar("fit_watches_finiteness", default=False)
_INPUT_IS_DATA = contextvars.ContextVar("input_is_data", default=None)


class fit_training_step:
    """``with fit_training_step(first_layer):`` one training step of ``Sequential.fit`` (see above).

    A class rather than a generator: it is entered at every step.
    """

    def __init__(self, first_layer):
        self.first_layer = first_layer

    def __enter__(self):
        self._tokens = _FIT_WATCHES_FINITENESS.set(True), _INPUT_IS_DATA.set(self.first_layer)

    def __exit__(self, *exc_info):
        _FIT_WATCHES_FINITENESS.reset(self._tokens[0])
        _INPUT_IS_DATA.reset(self._tokens[1])


def needs_input_gradient(layer) -> bool:
    """Whether ``layer.backward`` must return dLoss/d(input): always, except for the first
    layer inside ``Sequential.fit``'s training steps, whose input is the data."""
    return _INPUT_IS_DATA.get() is not layer


def _test_finite(x: np.ndarray) -> bool:
    """Whether ``x`` needs a NaN/inf test here: a float array, outside fit's training steps."""
    return x.dtype.kind == "f" and not _FIT_WATCHES_FINITENESS.get()


def to_snake_case(name: str) -> str:
    """Keras' rule for default layer names (``keras/src/utils/naming.py``).

    Examples
    --------
    >>> to_snake_case("SimpleRNN"), to_snake_case("MaxPooling2D"), to_snake_case("ReLU")
    ('simple_rnn', 'max_pooling2d', 're_lu')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def require_finite(x: np.ndarray, where: str) -> np.ndarray:
    """Return ``x`` if it holds no NaN/inf; otherwise raise ``ValueError`` counting the bad entries.

    The message is that of ``Sequential.fit`` (``_checks.check_finite``); the test is
    ``_checks.all_finite``, one dot product in the common case. Integer and boolean
    arrays are always finite; inside fit's training steps fit tests instead (see above).
    """
    if _test_finite(x) and not all_finite(x):
        check_finite(x, where)
    return x


class Layer:
    """Base class: holds parameters, gradients and the forward/backward contract.

    Attributes
    ----------
    params : dict[str, ndarray]
        Trainable arrays in Keras' order (e.g. ``kernel`` then ``bias``). Optimizers
        update these arrays in place, so a layer never rebinds them.
    grads : dict[str, ndarray]
        dLoss/dparam with the same keys and shapes, filled by ``backward``.
    trainable : bool
        When False, ``Sequential`` does not hand this layer's params to the optimizer.
    """

    #: Keras' class name when ours differs (``MaxPool2D`` is Keras' ``MaxPooling2D``): the
    #: default name is its snake case, as Keras names its layers (``max_pooling2d``).
    keras_class: str | None = None
    #: Parameter-free layers compute in their input's float dtype instead of casting to ``dtype``.
    keeps_input_dtype = False

    def __init__(self, name: str | None = None, dtype=np.float32):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: expected name as a str or None, got {type(name).__name__}")
        self.name = name or to_snake_case(self.keras_class or type(self).__name__)
        self.dtype = check_float_dtype(dtype, type(self).__name__)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.trainable = True
        self._cache = None

    # -- the two passes ---------------------------------------------------
    def forward(self, x, training: bool = False) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x, training: bool = False) -> np.ndarray:
        return self.forward(x, training=training)

    def check_input(self, x) -> np.ndarray:
        """Validate a whole input array for this layer and return it as the array ``forward`` uses.

        A real numeric array (ints become floats), cast to the layer's dtype (parameter-free
        layers keep a float input's dtype), with no NaN/inf. Layers add their own rules
        (width, rank, ids) by overriding this and calling it first. ``Sequential.fit`` calls it on
        all of ``x`` before the first update, so a bad value in the last row is reported before
        any weight changes; ``forward`` starts with it.
        """
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype):  # training passes such arrays as they are
            where = f"{type(self).__name__}.forward"
            x = as_float_array(x, where, dtype=None if self.keeps_input_dtype else self.dtype)
        if _test_finite(x) and not all_finite(x):  # messages are built only on failure: this runs every step
            check_finite(x, f"{type(self).__name__}.forward")
        return x

    def _require_cache(self):
        """Return what ``forward`` cached, or explain that ``backward`` came first."""
        if self._cache is None:
            raise ValueError(f"{type(self).__name__}.backward: expected a forward() call first, got none")
        return self._cache

    def _check_grad_out(self, grad_out, expected_shape, dtype=None) -> np.ndarray:
        """Return the upstream gradient as a finite float array of ``dtype`` and the last output's shape.

        ``dtype=None`` keeps a float gradient's dtype (ints become float32). A float array of
        the right dtype, what backpropagation passes down, is taken as it is: every step
        runs this once per layer.
        """
        g = grad_out
        if type(g) is not np.ndarray or g.dtype.kind != "f" or (dtype is not None and g.dtype != dtype):
            g = np.asarray(g)
            if g.dtype.kind not in "fiu":
                raise TypeError(f"{type(self).__name__}.backward: expected a real-valued grad_out, got dtype {g.dtype}")
            g = g.astype(dtype if dtype is not None else g.dtype if g.dtype.kind == "f" else np.float32)
        if g.shape != tuple(expected_shape):
            raise ValueError(f"{type(self).__name__}.backward: expected grad_out of shape {tuple(expected_shape)} "
                             f"(the last output's shape), got {g.shape}")
        if _test_finite(g) and not all_finite(g):
            check_finite(g, f"{type(self).__name__}.backward: grad_out")
        return g

    # -- shapes, for summary() and the Keras bridge ------------------------
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Output shape *without* the batch axis for an input of ``input_shape`` (no batch axis)."""
        return tuple(input_shape)

    def regularization_loss(self) -> float:
        """Penalty this layer adds to the training loss (L2 on kernels); 0 by default."""
        return 0.0

    def count_params(self) -> int:
        return int(sum(w.size for w in self._weights().values()))

    # -- weights in Keras' order -------------------------------------------
    def _weights(self) -> dict[str, np.ndarray]:
        """Every weight array by name, in Keras' order: the parameters, and any state Keras also
        counts as a weight (BatchNormalization's moving statistics)."""
        return self.params

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras' order and shapes."""
        return [w.copy() for w in self._weights().values()]

    def set_weights(self, weights) -> None:
        """Copy ``weights`` (Keras' order and shapes) into the parameters, in place, all or nothing.

        Every array is checked first (count, shape, real numeric, finite after the cast to the
        layer's dtype, so ``1e39`` is refused in float32 where it would become inf); only
        then is any parameter overwritten.
        """
        where = f"{type(self).__name__}.set_weights"
        targets = self._weights()
        if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
            raise TypeError(f"{where}: expected a list of arrays ({', '.join(targets)}), got {_describe(weights)}")
        if len(weights) != len(targets):
            raise ValueError(f"{where}: expected {len(targets)} arrays ({', '.join(targets)}), got {len(weights)}")
        checked = [self._check_weight(key, p, w, where) for (key, p), w in zip(targets.items(), weights)]
        for p, w in zip(targets.values(), checked):
            p[...] = w

    @staticmethod
    def _check_weight(key: str, p: np.ndarray, w, where: str) -> np.ndarray:
        """``w`` cast to ``p``'s dtype if it can replace parameter ``key`` exactly; raise otherwise."""
        try:
            arr = np.asarray(w)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise TypeError(f"{where}: expected {key} as a numeric array, got {type(w).__name__} ({exc})") from None
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"{where}: expected {key} as a real-valued numeric array, got {_describe(arr)}")
        if arr.shape != p.shape:
            raise ValueError(f"{where}: expected {key} of shape {p.shape}, got {arr.shape}")
        with np.errstate(over="ignore"):
            arr = arr.astype(p.dtype)
        if not np.all(np.isfinite(arr)):
            bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
            raise ValueError(f"{where}: expected {key} with finite values in {p.dtype}, got {bad} NaN/inf "
                             f"entries (after the cast) in an array of shape {arr.shape}")
        return arr

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"
