"""The contract every layer keeps.

A layer is a pair of functions, ``forward`` and ``backward`` (cs231n style): ``forward``
computes the output and caches what the backward pass will need; ``backward`` takes
dLoss/d(output) and returns dLoss/d(input), filling ``self.grads`` for the layer's
parameters on the way. Parameters live in ``self.params``, a dict whose insertion order
is Keras' weight order, so ``get_weights``/``set_weights`` exchange weights with the
matching Keras layer in one call.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_float_dtype

__all__ = ["Layer"]


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

    def __init__(self, name: str | None = None, dtype=np.float32):
        self.name = name or type(self).__name__.lower()
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
        """Validate a whole input array for this layer without computing anything.

        ``Sequential.fit`` calls it on all of ``x`` (and the validation inputs) before the
        first update, so a bad value in the last row is reported before any weight
        changes. Layers whose inputs have rules beyond "a numeric array" (Embedding's
        ids) override it; ``forward`` applies the same checks.
        """
        return np.asarray(x)

    def _require_cache(self):
        """Return what ``forward`` cached, or explain that ``backward`` came first."""
        if self._cache is None:
            raise ValueError(f"{type(self).__name__}.backward: expected a forward() call first, got none")
        return self._cache

    def _check_grad_out(self, grad_out, expected_shape) -> np.ndarray:
        """Check that the upstream gradient is numeric and has the shape of this layer's last output."""
        g = np.asarray(grad_out)
        if g.dtype.kind not in "fiu":
            raise TypeError(f"{type(self).__name__}.backward: expected a real-valued grad_out, got dtype {g.dtype}")
        if g.shape != tuple(expected_shape):
            raise ValueError(
                f"{type(self).__name__}.backward: expected grad_out of shape {tuple(expected_shape)} "
                f"(the last output's shape), got {g.shape}"
            )
        return g

    # -- shapes, for summary() and the Keras bridge ------------------------
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Output shape *without* the batch axis for an input of ``input_shape`` (no batch axis)."""
        return tuple(input_shape)

    def regularization_loss(self) -> float:
        """Penalty this layer adds to the training loss (L2 on kernels); 0 by default."""
        return 0.0

    def count_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    # -- weights in Keras' order -------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters, in Keras' order and shapes."""
        return [p.copy() for p in self.params.values()]

    def set_weights(self, weights) -> None:
        """Copy ``weights`` (Keras' order and shapes) into the parameters, in place."""
        weights = list(weights)
        where = f"{type(self).__name__}.set_weights"
        if len(weights) != len(self.params):
            raise ValueError(f"{where}: expected {len(self.params)} arrays ({', '.join(self.params)}), got {len(weights)}")
        for (key, p), w in zip(self.params.items(), weights):
            w = np.asarray(w)
            if w.shape != p.shape:
                raise ValueError(f"{where}: expected {key} of shape {p.shape}, got {w.shape}")
            p[...] = w

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"
