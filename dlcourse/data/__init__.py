"""Offline data for the course: bundled and generated data sets, splitting, batching, files.

Nothing here touches the network at import time or when a notebook runs: the real
data sets are the ones scikit-learn ships inside its wheel, the rest are generated.
The modules, one concept each:

- ``datasets``       ``load_digits`` (8x8 handwritten digits), ``load_diabetes`` (regression)
- ``synthetic``      ``make_xor``, ``make_spirals``, ``make_moons``, ``make_sequence_task``
- ``sequences``      ``make_recall_first``, ``make_adding_problem`` (long-range dependencies)
- ``preprocessing``  ``train_test_split``, ``Standardizer``, ``one_hot``, ``minibatches``
- ``idx``            ``read_idx``: the IDX file format MNIST is distributed in
- ``download``       ``download``: fetch a file once, verify its sha256, write it atomically

Conventions: features are float32 (``dtype=`` to change), class labels are int64 of
shape ``(n,)`` (what ``SparseCategoricalCrossentropy`` takes), and binary targets meant
for one sigmoid output are float32 of shape ``(n, 1)``.
"""
from __future__ import annotations

from .datasets import load_diabetes, load_digits
from .download import ChecksumMismatchError, DownloadError, download, sha256_of
from .idx import read_idx
from .preprocessing import Standardizer, minibatches, one_hot, train_test_split
from .sequences import make_adding_problem, make_recall_first
from .synthetic import make_moons, make_sequence_task, make_spirals, make_xor

__all__ = [
    "load_digits", "load_diabetes",
    "make_xor", "make_spirals", "make_moons", "make_sequence_task", "make_adding_problem", "make_recall_first",
    "train_test_split", "Standardizer", "one_hot", "minibatches",
    "read_idx", "download", "sha256_of", "DownloadError", "ChecksumMismatchError",
]
