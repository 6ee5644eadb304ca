"""AdamW: the same parameters as keras.optimizers.AdamW over 100 steps, and what "decoupled" means.

Parity runs feed one gradient sequence to ours (NumPy) and to Keras' (tf.Variable) and compare
the parameters after every step; tolerances are explained in tests/test_schedules.py (float32),
and float64 uses hyperparameters that float32 represents exactly (see tests/test_optimizers.py).
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse import optimizers
from dlcourse.optimizers import Adam, AdamW
from dlcourse.tfsetup import load_tensorflow
from test_schedules import STEPS, assert_close_float32, run_against_keras


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


@pytest.mark.parametrize("kwargs", [
    {},
    dict(learning_rate=0.01, weight_decay=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-5),
    dict(learning_rate=0.01, weight_decay=2.0),   # strong decay: 2% a step, the parameters shrink ~5x
], ids=["defaults", "custom", "strong-decay"])
def test_same_parameters_as_keras_over_100_float32_steps(tfk, kwargs):
    for step, ours, theirs, _, params, values in run_against_keras(tfk, AdamW, "AdamW", (kwargs, kwargs)):
        for i, (p, v) in enumerate(zip(params, values)):
            assert_close_float32(p, v, err_msg=f"step {step + 1}, parameter {i}")
    assert ours.iterations == int(theirs.iterations.numpy()) == STEPS


def test_same_parameters_as_keras_over_100_float64_steps(tfk):
    kwargs = dict(learning_rate=2.0**-7, weight_decay=2.0**-3, beta_1=0.875, beta_2=1 - 2.0**-10,
                  epsilon=2.0**-14)
    for step, _, _, _, params, values in run_against_keras(tfk, AdamW, "AdamW", (kwargs, kwargs), dtype="float64"):
        for i, (p, v) in enumerate(zip(params, values)):
            np.testing.assert_allclose(p, v, rtol=1e-12, atol=1e-14, err_msg=f"step {step + 1}, parameter {i}")


def test_defaults_match_keras(tfk):
    _, keras = tfk
    ours, config = optimizers.get("adamw"), keras.optimizers.AdamW().get_config()
    assert isinstance(ours, AdamW)
    for key, value in ours.get_config().items():
        assert config[key] == pytest.approx(value), key
    assert ours.weight_decay == 0.004


def test_with_a_zero_gradient_only_the_decay_acts():
    w = np.array([2.0, -1.0])
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.apply_gradients([(np.zeros(2), w)])
    np.testing.assert_allclose(w, np.array([2.0, -1.0]) * (1 - 0.1 * 0.5) ** 3, rtol=1e-15)


def test_decoupled_decay_is_not_an_l2_gradient():
    # Adam normalizes an L2 term wd * w in the gradient away: its first step is ~lr whatever
    # wd is. AdamW shrinks w by the fraction lr * wd, outside the normalization.
    lr, wd = 0.01, 0.1
    w_decoupled, w_l2 = np.array([10.0]), np.array([10.0])
    AdamW(learning_rate=lr, weight_decay=wd).apply_gradients([(np.zeros(1), w_decoupled)])
    Adam(learning_rate=lr).apply_gradients([(wd * w_l2, w_l2)])
    np.testing.assert_allclose(10.0 - w_decoupled, lr * wd * 10.0, rtol=1e-12)   # 0.01
    np.testing.assert_allclose(10.0 - w_l2, lr, rtol=1e-5)                        # 0.01 too, but for any wd
    w_l2_big = np.array([10.0])
    Adam(learning_rate=lr).apply_gradients([(100 * wd * w_l2_big, w_l2_big)])
    np.testing.assert_allclose(10.0 - w_l2_big, lr, rtol=1e-5)                    # 100x the decay, same step


def test_adam_with_weight_decay_is_adamw():
    rng = np.random.default_rng(3)
    a = rng.normal(size=5)
    b = a.copy()
    adam, adamw = Adam(learning_rate=0.02, weight_decay=0.3), AdamW(learning_rate=0.02, weight_decay=0.3)
    for _ in range(10):
        g = rng.normal(size=5)
        adam.apply_gradients([(g, a)])
        adamw.apply_gradients([(g, b)])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(weight_decay=None), ValueError, r"AdamW: expected weight_decay to be a float >= 0, got None"),
    (dict(weight_decay=-0.1), ValueError, r"AdamW: expected weight_decay >= 0.0, got -0.1"),
    (dict(weight_decay=float("nan")), ValueError, r"AdamW: expected weight_decay >= 0.0, got nan"),
    (dict(weight_decay="0.1"), TypeError, r"AdamW: expected weight_decay to be a real number, got str"),
    (dict(epsilon=0.0), ValueError, r"AdamW: expected epsilon > 0 \(it keeps the division finite\), got 0.0"),
    (dict(beta_2=1.0), ValueError, r"AdamW: expected beta_2 in \[0.0, 1.0\), got 1.0"),
])
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        AdamW(**kwargs)
