"""Smoke test of dlcourse.bench with tiny sizes: it runs and reports the right keys.

No timing assertions: performance is measured by ``python -m dlcourse.bench``, not by tests.
"""
from __future__ import annotations

import math

import pytest

from dlcourse import bench


def _finite_positive(*values):
    return all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values)


def test_bench_mlp_tiny():
    res = bench.bench_mlp(epochs=1, repeats=1, hidden=8)
    for key in ("dlcourse_fit_s", "keras_fit_s", "ratio", "dlcourse_accuracy", "keras_accuracy",
                "accuracy_gap", "pass_ratio", "pass_accuracy", "pass", "n_train", "n_test"):
        assert key in res, key
    assert _finite_positive(res["dlcourse_fit_s"], res["keras_fit_s"], res["ratio"])
    assert res["n_train"] == 1437 and res["n_test"] == 360  # the 80/20 split of 1797 digits
    assert 0.0 <= res["dlcourse_accuracy"] <= 1.0 and 0.0 <= res["keras_accuracy"] <= 1.0
    assert res["accuracy_gap"] == pytest.approx(abs(res["dlcourse_accuracy"] - res["keras_accuracy"]))
    assert res["pass"] == (res["pass_ratio"] and res["pass_accuracy"])
    assert len(res["dlcourse_times"]) == 3 and len(res["keras_times"]) == 1  # three dlcourse fits per Keras fit
    assert res["dlcourse_fit_s"] == pytest.approx(sorted(res["dlcourse_times"])[1])
    assert res["ratio_of_fastest"] == pytest.approx(min(res["dlcourse_times"]) / min(res["keras_times"]))


def test_bench_conv_tiny_computes_the_same_gradients():
    res = bench.bench_conv(shape=(2, 6, 6, 3), filters=4, iterations=2, warmup=1)
    for key in ("dlcourse_ms", "tf_ms", "ratio", "max_rel_diff", "pass", "shape", "onednn"):
        assert key in res, key
    assert _finite_positive(res["dlcourse_ms"], res["tf_ms"], res["ratio"])
    assert res["max_rel_diff"] < 1e-5  # the timed work is the same computation (float32)


def test_bench_import_in_fresh_process():
    res = bench.bench_import(repeats=1)
    assert _finite_positive(res["seconds"], res["first_use_seconds"])
    assert res["imports_tensorflow"] is False


def test_run_benchmarks_and_report():
    results = bench.run_benchmarks(quick=True, which=("import",))
    assert set(results) == {"import", "environment"}
    text = bench.format_report(results)
    assert "import dlcourse" in text and ("PASS" in text or "MISS" in text)
    with pytest.raises(ValueError, match="run_benchmarks: expected benchmarks among"):
        bench.run_benchmarks(which=("gpu",))


def test_report_formats_every_section():
    fake = {
        "mlp": {"batch_size": 32, "epochs": 20, "n_train": 1437, "n_test": 360, "repeats": 3,
                "dlcourse_fit_s": 0.1, "keras_fit_s": 2.0, "dlcourse_accuracy": 0.97, "keras_accuracy": 0.972,
                "ratio": 0.05, "ratio_of_fastest": 0.045, "accuracy_gap": 0.002, "pass_ratio": True,
                "pass_accuracy": True},
        "conv": {"shape": (64, 28, 28, 8), "filters": 16, "kernel_size": 3, "padding": "same", "iterations": 40,
                 "onednn": "default (on)", "dlcourse_ms": 9.0, "tf_ms": 3.5, "max_rel_diff": 1e-7,
                 "ratio": 9.0 / 3.5, "pass": True},
        "import": {"repeats": 3, "seconds": 0.01, "first_use_seconds": 0.3, "imports_tensorflow": False, "pass": True},
    }
    text = bench.format_report(fake)
    assert "ratio 0.050" in text and "ratio 2.57" in text and "0.010 s" in text
    assert "medians of 9 dlcourse and 3 Keras fits" in text and "(fastest fits: 0.045)" in text
    assert text.count("PASS") == 4 and "MISS" not in text


def test_bench_scale_tiny_counts_the_step_flops():
    dims, batch, n = (12, 8, 6, 3), 16, 40
    res = bench.bench_scale(n=n, dims=dims, batch_size=batch, epochs=2)
    for key in ("dlcourse_fit_s", "keras_fit_s", "ratio", "flops", "dlcourse_gflops", "numpy_gflops", "fraction",
                "pass", "steps"):
        assert key in res, key
    assert res["steps"] == 2 * 3  # ceil(40 / 16) batches per epoch
    # per step: forward x @ W and kernel gradient x.T @ dz for every layer, input gradient dz @ W.T above the first
    per_step = sum(2 * 2 * batch * a * b for a, b in zip(dims[:-1], dims[1:])) + 2 * batch * (8 * 6 + 6 * 3)
    assert res["flops"] == res["steps"] * per_step
    assert _finite_positive(res["dlcourse_fit_s"], res["keras_fit_s"], res["dlcourse_gflops"], res["numpy_gflops"])
    assert res["dlcourse_gflops"] == pytest.approx(res["flops"] / res["dlcourse_fit_s"] / 1e9)
    assert res["fraction"] == pytest.approx(res["dlcourse_gflops"] / res["numpy_gflops"])
    assert res["pass"] == (res["fraction"] >= bench.TARGETS["scale_fraction"])
    assert _finite_positive(res["matmul_step_ms"], res["printed_adam_step_ms"], res["fastest_adam_step_ms"])
    for ceiling, update in [("printed_adam_ceiling", "printed_adam_step_ms"),
                            ("numpy_adam_ceiling", "fastest_adam_step_ms")]:
        assert res[ceiling] == pytest.approx(res["matmul_step_ms"] / (res["matmul_step_ms"] + res[update]))


@pytest.mark.parametrize("n", [5, 70_000])  # one block, and several with a short last one
def test_the_ceilings_adam_does_the_work_of_the_printed_update(n):
    """The update the ceiling is measured on computes what Adam._update computes (so it is no less work)."""
    import numpy as np

    from dlcourse._bench_scale import adam_in_place
    from dlcourse.optimizers import Adam

    rng = np.random.default_rng(0)
    w, g, m = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
    v = rng.random(n).astype(np.float32)
    new_w, (new_m, new_v) = Adam()._update(w, g, 1e-3, m, v)
    adam_in_place(w, g, m, v, alpha=1e-3)
    for fast, printed in [(m, new_m), (v, new_v), (w, new_w)]:  # the same operations in the same order
        np.testing.assert_array_equal(fast, printed)


def test_report_formats_the_scale_row():
    fake = {"scale": {"dims": (784, 256, 256, 10), "batch_size": 128, "epochs": 3, "n": 8192, "flops": 29.6e9,
                      "dlcourse_fit_s": 0.8, "keras_fit_s": 1.6, "ratio": 0.5, "dlcourse_gflops": 37.0,
                      "numpy_gflops": 50.0, "fraction": 0.74, "pass": True, "matmul_step_ms": 0.9,
                      "printed_adam_step_ms": 1.35, "fastest_adam_step_ms": 0.6, "printed_adam_ceiling": 0.4,
                      "numpy_adam_ceiling": 0.6}}
    text = bench.format_report(fake)
    assert "MLP 784-256-256-10" in text and "8,192 generated examples" in text and "29.6 GFLOP" in text
    assert "reaches 0.74 of it" in text and text.count("PASS") == 1
    assert "take 0.90 ms and Adam's update alone 1.35 ms as printed, 0.60 ms written for speed" in text
    assert "ceilings on the fraction 0.40 and 0.60" in text
