"""``dlcourse.bench``'s fourth row: a larger MLP, and how close dlcourse comes to NumPy's own matmul speed.

An MLP 784-256-256-10 (Adam, batch 128, 3 epochs) on 8,192 generated float32 examples.
Almost all of its arithmetic is matrix products, so NumPy's throughput on exactly those
products, measured in the same run, is the limit for any NumPy implementation; the
fraction of it that ``fit`` reaches says how much time goes to everything else.

Adam's update is the largest part of everything else: about a dozen passes over every
parameter per step, memory-bound, against matrix products that run near the CPU's peak.
So the row also times the update alone, as the course prints it and written for speed
rather than for reading (in place, in cache-sized blocks: no NumPy code does it in fewer
passes), and reports the ceiling each puts on the fraction: matmul time / (matmul time +
update time), as if nothing else in a step cost anything.
"""
from __future__ import annotations

import time

import numpy as np

__all__ = ["bench_scale", "adam_in_place"]


def _step_matmuls(dims, batch_size: int) -> list[tuple[tuple, tuple]]:
    """The matrix products of one training step, as (left shape, right shape) pairs.

    Per Dense layer: forward ``x @ W``, backward ``x.T @ dz`` (the kernel gradient) and
    ``dz @ W.T`` (the input gradient, which the first layer does not need).
    """
    pairs = []
    for i, (n_in, n_out) in enumerate(zip(dims[:-1], dims[1:])):
        pairs += [((batch_size, n_in), (n_in, n_out)), ((n_in, batch_size), (batch_size, n_out))]
        if i > 0:
            pairs.append(((batch_size, n_out), (n_out, n_in)))
    return pairs


def _numpy_matmul_seconds(pairs, steps: int, rng) -> float:
    """Median time of one step's matrix products in plain NumPy (float32), the limit for NumPy code."""
    operands = [(rng.standard_normal(a).astype(np.float32), rng.standard_normal(b).astype(np.float32))
                for a, b in pairs]
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        for a, b in operands:
            a @ b
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def adam_in_place(w, g, m, v, alpha: float, beta_1=0.9, beta_2=0.999, epsilon=1e-7, block: int = 32768) -> None:
    """``optimizers.Adam._update``'s arithmetic written for speed, not for reading: ``w``, ``m``, ``v`` in place.

    Each line works in place (``out=``) on a block small enough to stay in cache, so no
    full-size temporary is made: the fastest form of the update we know in NumPy (and
    not the code the course prints). ``alpha`` is Adam's step size, bias corrections folded in.
    """
    tmp = np.empty(min(block, w.size), w.dtype)
    for start in range(0, w.size, block):
        part = slice(start, start + block)
        ws, gs, ms, vs = w[part], g[part], m[part], v[part]
        t = tmp[:ws.size]
        np.subtract(gs, ms, out=t)  # m += (1 - beta_1)(g - m)
        t *= 1 - beta_1
        ms += t
        np.multiply(gs, gs, out=t)  # v += (1 - beta_2)(g^2 - v)
        t -= vs
        t *= 1 - beta_2
        vs += t
        np.sqrt(vs, out=t)          # w -= alpha m / (sqrt(v) + epsilon)
        t += epsilon
        np.divide(ms, t, out=t)
        t *= alpha
        ws -= t


def _adam_step_seconds(n_params: int, steps: int, rng) -> tuple[float, float]:
    """Median times of one Adam step over ``n_params`` float32 parameters: the printed update, and ``adam_in_place``.

    The printed one is ``optimizers.Adam._update`` on the flat vector, as ``apply_gradients``
    calls it (without the gather and the checks around it).
    """
    from .optimizers import Adam

    w = rng.standard_normal(n_params).astype(np.float32)
    g = (1e-2 * rng.standard_normal(n_params)).astype(np.float32)
    m, v = np.zeros(n_params, np.float32), np.zeros(n_params, np.float32)
    printed, fastest = [], []
    for _ in range(steps):
        t0 = time.perf_counter()
        Adam()._update(w, g, 1e-3, m, v)
        t1 = time.perf_counter()
        adam_in_place(w, g, m, v, alpha=1e-3)
        fastest.append(time.perf_counter() - t1)
        printed.append(t1 - t0)
    return float(np.median(printed)), float(np.median(fastest))


def bench_scale(n: int = 8192, dims=(784, 256, 256, 10), batch_size: int = 128, epochs: int = 3) -> dict:
    """Fit a larger MLP in dlcourse and Keras; dlcourse's GFLOP/s against NumPy's matmul GFLOP/s.

    Returns
    -------
    dict with ``dlcourse_fit_s``, ``keras_fit_s``, ``ratio``, ``flops`` (matrix-product
    FLOPs of the whole fit, 2 m k n per product), ``dlcourse_gflops``, ``numpy_gflops``,
    ``fraction`` (their quotient), the settings and ``pass`` (fraction >= target).
    """
    from .layers import Dense
    from .model import Sequential
    from .tfsetup import load_tensorflow

    tf, keras = load_tensorflow(seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, dims[0])).astype(np.float32)
    y = (x @ rng.standard_normal((dims[0], dims[-1])).astype(np.float32)).argmax(1)  # a linear teacher's labels
    steps = epochs * -(-n // batch_size)
    pairs = _step_matmuls(dims, batch_size)
    flops = steps * sum(2 * a[0] * a[1] * b[1] for a, b in pairs)

    model = Sequential([Dense(a, b, "relu" if i < len(dims) - 2 else "softmax", seed=i)
                        for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]))])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=batch_size, seed=0, verbose=0)
    d_time = time.perf_counter() - t0

    kmodel = keras.Sequential([keras.Input((dims[0],))] + [
        keras.layers.Dense(b, activation="relu" if i < len(dims) - 2 else "softmax")
        for i, b in enumerate(dims[1:])])
    kmodel.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    kmodel.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    k_time = time.perf_counter() - t0
    keras.backend.clear_session()

    limit_step = _numpy_matmul_seconds(pairs, min(steps, 50), rng)
    printed_adam, fastest_adam = _adam_step_seconds(sum(a * b + b for a, b in zip(dims[:-1], dims[1:])),
                                                    min(steps, 50), rng)
    res = {"n": n, "dims": tuple(dims), "batch_size": batch_size, "epochs": epochs, "steps": steps, "flops": flops,
           "dlcourse_fit_s": d_time, "keras_fit_s": k_time, "ratio": d_time / k_time,
           "dlcourse_gflops": flops / d_time / 1e9, "numpy_gflops": flops / (steps * limit_step) / 1e9}
    res["fraction"] = res["dlcourse_gflops"] / res["numpy_gflops"]
    res["matmul_step_ms"] = 1e3 * limit_step
    res["printed_adam_step_ms"], res["fastest_adam_step_ms"] = 1e3 * printed_adam, 1e3 * fastest_adam
    res["printed_adam_ceiling"] = limit_step / (limit_step + printed_adam)
    res["numpy_adam_ceiling"] = limit_step / (limit_step + fastest_adam)
    res["pass"] = res["fraction"] >= _target()
    return res


def _target() -> float:
    from .bench import TARGETS

    return TARGETS["scale_fraction"]
