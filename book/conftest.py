"""pytest settings for the notebooks (``pytest --nbval book``).

A kernel that dies before it answers its first ``kernel_info`` request has run no cell: with
two test workers starting kernels at the same moment, one can lose the race for a port and
exit (measured here once in 29 starts). Such a start is retried once; every cell is still
executed and compared exactly as nbval does, and a kernel that dies later, or twice, fails.
"""
from __future__ import annotations

import nbval.kernel

_start_new_kernel = nbval.kernel.start_new_kernel


def _start_new_kernel_retrying_a_dead_start(*args, **kwargs):
    try:
        return _start_new_kernel(*args, **kwargs)
    except RuntimeError as exc:
        if "before replying to kernel_info" not in str(exc):
            raise
        return _start_new_kernel(*args, **kwargs)


nbval.kernel.start_new_kernel = _start_new_kernel_retrying_a_dead_start
