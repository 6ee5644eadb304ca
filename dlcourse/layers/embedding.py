"""Embedding: a trainable lookup table from integer ids to vectors.

Row ``i`` of the table is the vector for token ``i``. The forward pass is indexing,
``E[ids]``; it equals multiplying a one-hot row by ``E``, without building the one-hot
matrix. The backward pass therefore sends each output gradient to the row it came from,
and an id that occurs several times in a batch collects the *sum* of its gradients:
``np.add.at`` accumulates, where ``grad[ids] += g`` would keep only one of the repeats.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_int_array, check_positive_int
from ..initializers import random_uniform
from .base import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Map integer ids to dense vectors, as ``keras.layers.Embedding(input_dim, output_dim)``.

    Parameters
    ----------
    vocab_size : int
        Number of distinct ids (Keras' ``input_dim``); valid ids are ``0 .. vocab_size - 1``.
    dim : int
        Length of each vector (Keras' ``output_dim``).
    seed : None, int or numpy.random.Generator
        For the initializer, uniform(-0.05, 0.05) as Keras' default.
    dtype : float dtype, default "float32"
    name : str, optional

    Attributes
    ----------
    params : dict
        ``embeddings``: ``(vocab_size, dim)``, Keras' name and layout.

    Notes
    -----
    Ids are not differentiable, so ``backward`` returns ``None`` for the input gradient
    (TensorFlow likewise returns no gradient for integer inputs). An Embedding is
    therefore the first layer of a model. Whole-number floats such as ``3.0`` are
    accepted as ids (they arrive that way from CSV files); fractional floats raise
    ``TypeError``, ids outside ``[0, vocab_size)`` raise ``ValueError``.
    """

    def __init__(self, vocab_size: int, dim: int, seed=None, dtype="float32", name: str | None = None):
        super().__init__(name=name, dtype=dtype)
        where = "Embedding"
        self.vocab_size = check_positive_int(vocab_size, where, "vocab_size")
        self.dim = check_positive_int(dim, where, "dim")
        self.params = {
            "embeddings": random_uniform((self.vocab_size, self.dim), seed=as_rng(seed, where), dtype=self.dtype),
        }

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``ids shape`` -> ``ids shape + (dim,)``."""
        return tuple(input_shape) + (self.dim,)

    def check_input(self, x) -> np.ndarray:
        """Return ``x`` as integer ids in ``[0, vocab_size)``, or raise naming the bad ids."""
        return check_int_array(x, "Embedding.forward", low=0, high=self.vocab_size)

    def forward(self, x, training: bool = False) -> np.ndarray:
        """Look up the vectors of ``x``.

        Parameters
        ----------
        x : integer array of any shape, values in ``[0, vocab_size)``

        Returns
        -------
        ndarray, shape ``x.shape + (dim,)``
        """
        ids = self.check_input(x)
        self._cache = ids
        return self.params["embeddings"][ids]

    def backward(self, grad_out) -> None:
        """Accumulate dLoss/dE into ``grads["embeddings"]``; return ``None`` (ids have no gradient).

        Parameters
        ----------
        grad_out : array, shape ``ids.shape + (dim,)``
        """
        ids = self._require_cache()
        g = self._check_grad_out(grad_out, ids.shape + (self.dim,), self.dtype)
        grad = np.zeros_like(self.params["embeddings"])
        # Unbuffered: every occurrence of a repeated id adds its own gradient.
        np.add.at(grad, ids.reshape(-1), g.reshape(-1, self.dim))
        self.grads = {"embeddings": grad}
        return None
