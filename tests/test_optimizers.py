"""Optimizers: the same gradient sequence gives the same parameters as keras.optimizers, step by step.

Each case runs 8 steps on three parameters of different shapes, feeding identical
gradients to our optimizer (NumPy arrays) and to Keras' (tf.Variables), and compares
every parameter after every step.

Tolerances: float32 rtol 1e-5, atol 1e-6 (parameters are O(1); both sides compute in
float32 but in a different order, and we form Adam's step-size scalar in float64).
float64 rtol 1e-12, atol 1e-14. Keras keeps the learning rate in a float32 variable and
turns Python-float hyperparameters (momentum, beta_1, beta_2) into float32 tensors
before casting them to the parameter's dtype, so in float64 Keras really uses
float32(0.9) = 0.899999976... The float64 cases therefore use hyperparameters that
float32 represents exactly (0.875, 1 - 2**-10, powers of two); other values differ by
that float32 rounding, ~1e-8 relative, which is Keras' artefact, not a different rule.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse import optimizers
from dlcourse.optimizers import SGD, Adam, AdamW, RMSprop
from dlcourse.tfsetup import load_tensorflow

SHAPES = [(3, 4), (4,), (2, 2, 3)]
STEPS = 8
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


# (our class, keras class name, keyword arguments shared by both)
CASES = {
    "float32": [
        (SGD, "SGD", {}),
        (SGD, "SGD", dict(learning_rate=0.05, momentum=0.9)),
        (SGD, "SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
        (SGD, "SGD", dict(learning_rate=0.1, momentum=0.5, nesterov=True)),
        (RMSprop, "RMSprop", {}),
        (RMSprop, "RMSprop", dict(learning_rate=0.01, rho=0.5, epsilon=1e-3)),
        (Adam, "Adam", {}),
        (Adam, "Adam", dict(learning_rate=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-4)),
        (SGD, "SGD", dict(learning_rate=0.05, weight_decay=0.2)),
        (SGD, "SGD", dict(learning_rate=0.05, momentum=0.9, weight_decay=0.2)),
        (RMSprop, "RMSprop", dict(learning_rate=0.01, weight_decay=0.5)),
        (Adam, "Adam", dict(learning_rate=0.01, weight_decay=0.5)),
    ],
    "float64": [
        (SGD, "SGD", dict(learning_rate=2.0**-6)),
        (SGD, "SGD", dict(learning_rate=2.0**-5, momentum=0.875)),
        (SGD, "SGD", dict(learning_rate=2.0**-5, momentum=0.875, nesterov=True)),
        (RMSprop, "RMSprop", dict(learning_rate=2.0**-10, rho=0.875)),
        (RMSprop, "RMSprop", dict(learning_rate=2.0**-7, rho=0.5, epsilon=2.0**-10)),
        (Adam, "Adam", dict(learning_rate=2.0**-10, beta_1=0.875, beta_2=1 - 2.0**-10)),
        (Adam, "Adam", dict(learning_rate=2.0**-7, beta_1=0.5, beta_2=0.75, epsilon=2.0**-14)),
        (SGD, "SGD", dict(learning_rate=2.0**-5, momentum=0.875, nesterov=True, weight_decay=0.25)),
        (RMSprop, "RMSprop", dict(learning_rate=2.0**-7, rho=0.5, weight_decay=2.0**-3)),
        (Adam, "Adam", dict(learning_rate=2.0**-7, beta_1=0.5, beta_2=0.75, weight_decay=0.5)),
    ],
}
PARAMS = [(dtype, *case) for dtype, cases in CASES.items() for case in cases]


@pytest.mark.parametrize("dtype,ours_cls,keras_name,kwargs", PARAMS,
                         ids=[f"{d}-{c.__name__}-{k}" for d, c, _, k in PARAMS])
def test_same_parameters_as_keras_after_every_step(tfk, dtype, ours_cls, keras_name, kwargs):
    tf, keras = tfk
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    variables = [tf.Variable(p.copy()) for p in params]
    ours = ours_cls(**kwargs)
    theirs = getattr(keras.optimizers, keras_name)(**kwargs)
    ids_before = [id(p) for p in params]
    for step in range(STEPS):
        # Gradients of varied scale so that RMSprop/Adam's normalisation matters.
        grads = [(rng.normal(size=s) * 10.0 ** rng.integers(-2, 2)).astype(dtype) for s in SHAPES]
        ours.apply_gradients(zip(grads, params))
        theirs.apply_gradients(zip([tf.constant(g) for g in grads], variables))
        for i, (p, v) in enumerate(zip(params, variables)):
            np.testing.assert_allclose(p, v.numpy(), err_msg=f"step {step + 1}, parameter {i}", **TOL[dtype])
    assert ours.iterations == int(theirs.iterations.numpy()) == STEPS
    assert [id(p) for p in params] == ids_before  # updated in place, never rebound
    assert all(p.dtype == np.dtype(dtype) for p in params)


def test_learning_rate_can_change_between_steps_like_keras(tfk):
    tf, keras = tfk
    rng = np.random.default_rng(1)
    p = rng.normal(size=(5,))
    v = tf.Variable(p.copy())
    kwargs = dict(learning_rate=2.0**-8, beta_1=0.875, beta_2=1 - 2.0**-10)  # exact in float32, see top
    ours, theirs = Adam(**kwargs), keras.optimizers.Adam(**kwargs)
    for step in range(6):
        if step == 3:
            ours.learning_rate = theirs.learning_rate = 2.0**-4
        g = rng.normal(size=(5,))
        ours.apply_gradients([(g, p)])
        theirs.apply_gradients([(tf.constant(g), v)])
    np.testing.assert_allclose(p, v.numpy(), rtol=1e-12, atol=1e-14)


def test_plain_sgd_step_by_hand():
    p = np.array([1.0, -2.0])
    SGD(learning_rate=0.5).apply_gradients([(np.array([2.0, 4.0]), p)])
    np.testing.assert_array_equal(p, [0.0, -4.0])


def test_state_is_per_parameter():
    a, b = np.zeros(3), np.zeros(3)
    opt = SGD(learning_rate=1.0, momentum=0.5)
    for _ in range(2):
        opt.apply_gradients([(np.ones(3), a)])
    opt.apply_gradients([(np.ones(3), b)])
    # a: m = -1, then -1.5 -> a = -2.5; b has its own fresh velocity: m = -1 -> b = -1.
    np.testing.assert_array_equal(a, -2.5)
    np.testing.assert_array_equal(b, -1.0)
    assert opt.iterations == 3


def test_state_follows_each_parameter_when_the_set_of_parameters_changes():
    # SGD with momentum does not depend on the step count, so feeding a and b in changing
    # groups must equal two optimizers that each see only one of them.
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=4)
    a_alone, b_alone = a.copy(), b.copy()
    opt, opt_a, opt_b = (SGD(learning_rate=0.1, momentum=0.9) for _ in range(3))
    for group in (["a", "b"], ["a"], ["b", "a"], ["b"], ["a", "b"]):
        grads = {"a": rng.normal(size=a.shape), "b": rng.normal(size=b.shape)}
        opt.apply_gradients([(grads[name], {"a": a, "b": b}[name]) for name in group])
        if "a" in group:
            opt_a.apply_gradients([(grads["a"], a_alone)])
        if "b" in group:
            opt_b.apply_gradients([(grads["b"], b_alone)])
    np.testing.assert_allclose(a, a_alone, rtol=1e-15)
    np.testing.assert_allclose(b, b_alone, rtol=1e-15)


def test_order_of_the_pairs_does_not_matter():
    rng = np.random.default_rng(6)
    start = [rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(2, 2)).astype(np.float32)]
    fixed, shuffled = [p.copy() for p in start], [p.copy() for p in start]
    opt_fixed, opt_shuffled = Adam(learning_rate=0.05), Adam(learning_rate=0.05)
    for step in range(6):
        grads = [rng.normal(size=p.shape).astype(p.dtype) for p in start]
        opt_fixed.apply_gradients(zip(grads, fixed))
        order = rng.permutation(3)
        opt_shuffled.apply_gradients([(grads[i], shuffled[i]) for i in order])
    for p, q in zip(fixed, shuffled):
        np.testing.assert_array_equal(p, q)
        assert p.dtype == q.dtype   # float32 and float64 parameters in one call keep their dtypes


def test_float64_gradient_for_float32_parameter_is_cast():
    p = np.ones(4, dtype=np.float32)
    Adam().apply_gradients([(np.full(4, 0.5), p)])
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, 1.0 - 1e-3, rtol=1e-6)  # Adam's first step is ~lr * sign(g)


def test_get():
    assert isinstance(optimizers.get("adam"), Adam)
    assert isinstance(optimizers.get("SGD"), SGD) and optimizers.get("sgd").learning_rate == 0.01
    assert isinstance(optimizers.get("rmsprop"), RMSprop)
    assert isinstance(optimizers.get("AdamW"), AdamW)
    opt = RMSprop(0.1)
    assert optimizers.get(opt) is opt


def test_defaults_match_keras(tfk):
    _, keras = tfk
    for ours, theirs in [(SGD(), keras.optimizers.SGD()), (RMSprop(), keras.optimizers.RMSprop()),
                         (Adam(), keras.optimizers.Adam()), (AdamW(), keras.optimizers.AdamW())]:
        assert "weight_decay" in ours.get_config()
        config = theirs.get_config()
        for key, value in ours.get_config().items():
            assert config[key] == pytest.approx(value), (type(ours).__name__, key)


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize("make,exc,match", [
    (lambda: SGD(learning_rate=-0.1), ValueError, r"SGD: expected learning_rate >= 0.0, got -0.1"),
    (lambda: Adam(learning_rate=float("nan")), ValueError, r"Adam: expected learning_rate >= 0.0, got nan"),
    (lambda: SGD(learning_rate="0.1"), TypeError, r"SGD: expected learning_rate to be a real number, got str"),
    (lambda: SGD(momentum=1.5), ValueError, r"SGD: expected momentum in \[0.0, 1.0\), got 1.5"),
    (lambda: SGD(momentum=1.0), ValueError, r"SGD: expected momentum in \[0.0, 1.0\), got 1.0"),
    (lambda: SGD(momentum=-0.1), ValueError, r"SGD: expected momentum in \[0.0, 1.0\), got -0.1"),
    (lambda: SGD(nesterov="yes"), TypeError, r"SGD: expected nesterov to be True or False, got str"),
    (lambda: RMSprop(rho=1.0), ValueError, r"RMSprop: expected rho in \[0.0, 1.0\), got 1.0"),
    (lambda: RMSprop(epsilon=0.0), ValueError, r"RMSprop: expected epsilon > 0"),
    (lambda: Adam(beta_1=1.0), ValueError, r"Adam: expected beta_1 in \[0.0, 1.0\), got 1.0"),
    (lambda: Adam(beta_2=-0.5), ValueError, r"Adam: expected beta_2 in \[0.0, 1.0\), got -0.5"),
    (lambda: optimizers.get("adagrad"), ValueError, r"optimizers.get: expected one of \['adam', 'adamw', 'rmsprop', 'sgd'\], got 'adagrad'"),
    (lambda: optimizers.get(3), TypeError, r"optimizers.get: expected an optimizer name or an Optimizer instance, got int"),
])
def test_bad_hyperparameters(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_setting_a_negative_learning_rate_later_is_rejected():
    opt = Adam()
    with pytest.raises(ValueError, match=r"Adam: expected learning_rate >= 0.0, got -1.0"):
        opt.learning_rate = -1.0


@pytest.mark.parametrize("opt_cls", [SGD, RMSprop, Adam])
@pytest.mark.parametrize("grad,param,exc,match", [
    (np.ones((3, 2)), np.ones((2, 3)), ValueError,
     r"apply_gradients: expected a gradient of shape \(2, 3\) \(its parameter's\), got \(3, 2\)"),
    (np.array([1.0, np.nan, 2.0]), np.ones(3), ValueError,
     r"apply_gradients \(gradient for the parameter of shape \(3,\)\): expected finite values, got 1 NaN/inf"),
    (np.array([np.inf, 1.0]), np.ones(2), ValueError, r"expected finite values, got 1 NaN/inf"),
    (None, np.ones(2), TypeError, r"apply_gradients: expected a gradient array for the parameter of shape \(2,\), got None"),
    (np.ones(2), [1.0, 2.0], TypeError,
     r"apply_gradients: expected each parameter to be a float numpy array \(updated in place\), got list"),
    (np.ones(2), np.ones(2, dtype=np.int64), TypeError,
     r"expected each parameter to be a float numpy array \(updated in place\), got array of shape \(2,\) and dtype int64"),
    (np.array(["a", "b"]), np.ones(2), TypeError, r"apply_gradients: expected a real-valued gradient, got dtype <U1"),
])
def test_bad_gradients_and_parameters(opt_cls, grad, param, exc, match):
    opt = opt_cls()
    with pytest.raises(exc, match=f"{opt_cls.__name__}.{match}" if match.startswith("apply") else match):
        opt.apply_gradients([(grad, param)])
    assert opt.iterations == 0


def test_a_non_finite_gradient_is_also_a_floating_point_error():
    # fit reports divergence by catching FloatingPointError; a NaN gradient is how it shows
    with pytest.raises(FloatingPointError, match=r"Adam.apply_gradients \(gradient for the parameter of shape "
                                                 r"\(2,\)\): expected finite values, got 1 NaN/inf"):
        Adam().apply_gradients([(np.array([np.nan, 1.0]), np.ones(2))])
    assert issubclass(optimizers.NonFiniteGradientError, ValueError)


def test_a_bad_gradient_leaves_every_parameter_untouched():
    # all pairs are checked before any update: the valid first pair must not be half-applied
    a, b = np.ones(3), np.ones(2)
    for opt in (SGD(momentum=0.9), RMSprop(), Adam()):
        with pytest.raises(ValueError, match="expected finite values"):
            opt.apply_gradients([(np.ones(3), a), (np.array([np.nan, 1.0]), b)])
        np.testing.assert_array_equal(a, 1.0)
        np.testing.assert_array_equal(b, 1.0)
        assert opt.iterations == 0


def test_large_finite_gradients_are_not_mistaken_for_non_finite():
    # g . g overflows to inf in float32 though every entry is finite: must not be rejected.
    p = np.zeros(4, dtype=np.float32)
    SGD(learning_rate=1e-38).apply_gradients([(np.full(4, 3e38, dtype=np.float32), p)])
    assert np.all(np.isfinite(p)) and np.all(p < 0)


@pytest.mark.parametrize("opt_class", [SGD, Adam, RMSprop, AdamW])
def test_parameters_of_any_memory_layout_are_updated_in_place_like_contiguous_ones(opt_class):
    """The step gathers parameters into one vector and writes it back: a strided view and a
    Fortran-ordered array must come out exactly as a contiguous copy of them does."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 6)).astype(np.float32)
    odd = [base[:, ::2], np.asfortranarray(rng.standard_normal((3, 5)).astype(np.float32)),
           rng.standard_normal(7).astype(np.float32)]
    plain = [np.ascontiguousarray(p) for p in odd]
    start = [p.copy() for p in plain]
    opt_odd, opt_plain = opt_class(learning_rate=0.1), opt_class(learning_rate=0.1)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape).astype(np.float32) for p in odd]
        opt_odd.apply_gradients(zip(grads, odd))
        opt_plain.apply_gradients(zip(grads, plain))
    for a, b in zip(odd, plain):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, start.pop(0))  # the steps did change it
    assert odd[0].base is base  # still a view: the update went into base itself
