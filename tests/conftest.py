"""Shared pytest fixtures, and one setting for the notebooks that ``make test`` runs beside these tests.

A kernel that dies before it answers its first ``kernel_info`` request has run no cell: with two
test workers starting kernels at the same moment, one can lose the race for a port and exit
(measured here once in 29 starts). nbval's kernel start is therefore retried once for exactly that
failure; every cell is still executed and compared as nbval does, and a kernel that dies later, or
twice, fails. (This file is loaded by every worker of ``make test``, which collects ``tests`` before
``book``; it lives here because a second ``conftest.py`` under ``book/`` would clash with this one
under ``--doctest-modules``.)
"""
import nbval.kernel
import pytest

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_new_kernel_retrying_a_dead_start(*args, **kwargs):
    try:
        return _start_new_kernel(*args, **kwargs)
    except RuntimeError as exc:
        if "before replying to kernel_info" not in str(exc):
            raise
        return _start_new_kernel(*args, **kwargs)


nbval.kernel.start_new_kernel = _start_new_kernel_retrying_a_dead_start


@pytest.fixture(scope="session")
def tf_keras():
    """``(tf, keras)`` imported once per session, quietly, with every seed set to 0."""
    from dlcourse.tfsetup import load_tensorflow

    return load_tensorflow(seed=0)
