"""Import TensorFlow and Keras quietly and reproducibly.

TensorFlow 2.21 writes C++ log lines to file descriptor 2 when it is imported (the
oneDNN notice, "All log messages before absl::InitializeLog() ..."), even with
``TF_CPP_MIN_LOG_LEVEL`` set. In a notebook those lines land in the stored outputs
and make them differ from run to run. ``load_tensorflow`` is the one place in the
course that imports TensorFlow: it raises the log level and points descriptor 2 at
/dev/null for the duration of the import only, so genuine errors later still show.

This module never imports TensorFlow at import time; ``import dlcourse`` stays light.
"""
from __future__ import annotations

import contextlib
import numbers
import os
import sys

__all__ = ["load_tensorflow", "silenced_stderr"]


@contextlib.contextmanager
def silenced_stderr():
    """Send everything written to file descriptor 2 (C and Python) to /dev/null."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_tensorflow(seed: int | None = None):
    """Return ``(tf, keras)``, imported without log noise; seed everything if ``seed`` is given.

    ``keras.utils.set_random_seed`` seeds Python's ``random``, NumPy's global generator
    and TensorFlow at once; with ``verbose=0`` that makes notebook outputs bit-identical
    from run to run.
    """
    # Checked before the slow import; NumPy's seeding error would name neither this function nor the argument.
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"load_tensorflow: expected seed to be None or an int >= 0, got {type(seed).__name__}")
    if seed is not None and seed < 0:
        raise ValueError(f"load_tensorflow: expected seed to be None or an int >= 0, got {seed}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules:
        with silenced_stderr():
            import tensorflow as tf  # noqa: F401
            import keras  # noqa: F401
            tf.get_logger().setLevel("ERROR")
    import keras
    import tensorflow as tf

    if seed is not None:
        keras.utils.set_random_seed(seed)
    return tf, keras
