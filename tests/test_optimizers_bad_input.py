"""Property-based tests (hypothesis): no input makes an optimizer write NaN/inf or half a step.

1. Finite gradients of any float32 size with any learning rate: a step either leaves every
   parameter and every state array finite, or raises FloatingPointError naming the parameter
   and changes nothing, neither the parameters nor the moments nor ``iterations``: replaying
   only the steps that succeeded on a twin optimizer gives bit-identical parameters.
2. A read-only parameter anywhere in the list: ValueError before any parameter is written.
3. Every hyperparameter value, NaN and infinities included: accepted exactly when it is in
   range, otherwise a ValueError (TypeError for a non-number).

Example counts: 300 + 60 + 6 x 200 + 100 = 1,660 inputs per run, plus the explicit
``@example``s (the cases of issue 11).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from dlcourse.optimizers import SGD, Adam, AdamW, RMSprop

FLOAT32_MAX = float(np.finfo(np.float32).max)
MAKERS = {
    "SGD": lambda lr: SGD(learning_rate=lr),
    "SGD-momentum": lambda lr: SGD(learning_rate=lr, momentum=0.9),
    "SGD-nesterov": lambda lr: SGD(learning_rate=lr, momentum=0.5, nesterov=True),
    "RMSprop": lambda lr: RMSprop(learning_rate=lr),
    "Adam": lambda lr: Adam(learning_rate=lr),
    "AdamW": lambda lr: AdamW(learning_rate=lr, weight_decay=0.5),
}
SHAPES = [(3,), (2, 2)]


def state_arrays(opt):
    """Every state array the optimizer holds (white-box: the state must stay finite too)."""
    return [x for group in opt._groups.values() for x in group.state]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(MAKERS)),
       log_lr=st.floats(-6, math.log10(FLOAT32_MAX)),
       exponents=st.lists(st.lists(st.integers(-8, 38), min_size=2, max_size=2), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
@example(kind="Adam", log_lr=-3, exponents=[[20, 0], [0, 0]], seed=0)       # 1e20 used to poison Adam with NaN
@example(kind="RMSprop", log_lr=-3, exponents=[[20, 0], [0, 0]], seed=0)    # ... and freeze RMSprop (v = inf)
@example(kind="SGD", log_lr=38.5, exponents=[[1, 1]], seed=0)               # lr 3e38 times 10 overflows float32
def test_a_step_is_finite_or_raises_and_changes_nothing(kind, log_lr, exponents, seed):
    rng = np.random.default_rng(seed)
    lr = min(10.0**log_lr, FLOAT32_MAX)
    opt, twin = MAKERS[kind](lr), MAKERS[kind](lr)
    params = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    twin_params = [p.copy() for p in params]
    for scales in exponents:
        # finite float32 gradients: a normal sample times 10**k, clipped into float32's range
        grads = [np.clip(rng.normal(size=s) * 10.0**k, -FLOAT32_MAX, FLOAT32_MAX).astype(np.float32)
                 for s, k in zip(SHAPES, scales)]
        before = [p.copy() for p in params]
        try:
            opt.apply_gradients(zip(grads, params))
        except FloatingPointError as err:
            assert "no parameter, optimizer state or iteration count was changed" in str(err)
            assert f"{kind.split('-')[0]}.apply_gradients: expected the update to keep parameter" in str(err)
            for p, b in zip(params, before):
                np.testing.assert_array_equal(p, b)
        else:
            twin.apply_gradients(zip(grads, twin_params))
            assert all(np.isfinite(p).all() for p in params)
            assert all(np.isfinite(x).all() for x in state_arrays(opt))
    assert opt.iterations == twin.iterations
    for p, q in zip(params, twin_params):   # the failed steps left no trace in parameters or state
        np.testing.assert_array_equal(p, q)
    # and in the state: one more step does the same on both (even if it fails: a state near
    # float32's limit may legitimately overflow)
    calm = [np.full(s, 0.5, dtype=np.float32) for s in SHAPES]
    opt.learning_rate = twin.learning_rate = 1e-3
    assert outcome(opt, calm, params) == outcome(twin, calm, twin_params)
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p, q)


def outcome(opt, grads, params):
    """``None`` if a step succeeds, else the message of its FloatingPointError."""
    try:
        opt.apply_gradients(zip(grads, params))
    except FloatingPointError as err:
        return str(err)
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(MAKERS)), n=st.integers(2, 5), data=st.data())
def test_a_read_only_parameter_anywhere_changes_nothing(kind, n, data):
    read_only = data.draw(st.integers(0, n - 1), label="read_only")
    opt = MAKERS[kind](0.1)
    params = [np.full(i + 1, float(i)) for i in range(n)]
    params[read_only].flags.writeable = False
    with pytest.raises(ValueError, match=rf"expected each parameter to be writeable \(it is updated in place\), "
                                         rf"got a read-only array for parameter {read_only} of shape "
                                         rf"\({read_only + 1},\)"):
        opt.apply_gradients([(np.ones_like(p), p) for p in params])
    for i, p in enumerate(params):
        np.testing.assert_array_equal(p, float(i))
    assert opt.iterations == 0


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_parameter_made_read_only_between_steps_changes_nothing(kind):
    # the parameters' type, dtype and distinctness are checked once per set of parameters,
    # but writeability is a flag that can change, so it is checked at every step
    opt = MAKERS[kind](0.1)
    params = [np.ones(2), np.ones(3)]
    opt.apply_gradients([(np.ones_like(p), p) for p in params])
    before, state_before = [p.copy() for p in params], [x.copy() for x in state_arrays(opt)]
    params[1].flags.writeable = False
    with pytest.raises(ValueError, match=r"got a read-only array for parameter 1 of shape \(3,\)"):
        opt.apply_gradients([(np.ones_like(p), p) for p in params])
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)
    for x, b in zip(state_arrays(opt), state_before):
        np.testing.assert_array_equal(x, b)
    assert opt.iterations == 1


def test_the_same_parameter_twice_is_rejected():
    w = np.ones(3)
    opt = Adam()
    with pytest.raises(ValueError, match=r"Adam.apply_gradients: expected each parameter once, got the array of "
                                         r"parameter 1 \(shape \(3,\)\) a second time"):
        opt.apply_gradients([(np.ones(3), w), (np.ones(3), w)])
    np.testing.assert_array_equal(w, 1.0)


def test_the_cases_of_issue_11():
    p = np.zeros(3, dtype=np.float32)
    with pytest.raises(FloatingPointError, match=r"SGD.apply_gradients: expected the update to keep parameter 0 "
                                                 r"of shape \(3,\) finite, got 3 NaN/inf entries in its new value"):
        SGD(learning_rate=3e38).apply_gradients([(np.full(3, 10.0, dtype=np.float32), p)])
    np.testing.assert_array_equal(p, 0.0)
    with pytest.raises(ValueError, match=r"SGD: expected learning_rate <= 3.4028235e\+38 \(the largest float32"):
        SGD(learning_rate=1e39)
    with pytest.raises(ValueError, match=r"Adam: expected epsilon > 0 \(it keeps the division finite\), got 0.0"):
        Adam(epsilon=0)
    opt, a, b = Adam(), np.ones(2, dtype=np.float32), np.ones(3, dtype=np.float32)
    opt.apply_gradients([(np.ones(2, dtype=np.float32), a), (np.ones(3, dtype=np.float32), b)])
    a_before, b_before = a.copy(), b.copy()
    with pytest.raises(FloatingPointError, match=r"parameter 1 of shape \(3,\) finite, got 1 NaN/inf entries "
                                                 r"in its new second moment v"):
        opt.apply_gradients([(np.ones(2, dtype=np.float32), a), (np.array([1e20, 1, 1], dtype=np.float32), b)])
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)
    assert opt.iterations == 1


# (constructor, hyperparameter, is this float value valid?)
RANGES = [
    (lambda v: SGD(learning_rate=v), lambda v: 0 <= v <= FLOAT32_MAX),
    (lambda v: SGD(momentum=v), lambda v: 0 <= v < 1),
    (lambda v: RMSprop(rho=v), lambda v: 0 <= v < 1),
    (lambda v: RMSprop(epsilon=v), lambda v: 0 < v < math.inf),
    (lambda v: Adam(beta_1=v), lambda v: 0 <= v < 1),
    (lambda v: AdamW(weight_decay=v), lambda v: 0 <= v < math.inf),
]


@pytest.mark.parametrize("make,valid", RANGES, ids=["lr", "momentum", "rho", "epsilon", "beta_1", "weight_decay"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([0.0, -0.0, 1.0, 1e-300, 1 - 2**-53, FLOAT32_MAX, 1e39])))
def test_hyperparameters_are_accepted_exactly_in_range(make, valid, value):
    if valid(value):
        make(value)
    else:
        with pytest.raises(ValueError, match=r"expected \w+ (>|<=|in|>=)"):
            make(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(st.text(max_size=3), st.booleans(), st.none(), st.lists(st.floats(), max_size=2)))
def test_hyperparameters_of_the_wrong_type_raise_type_error(value):
    for make in (lambda: Adam(beta_2=value), lambda: RMSprop(rho=value), lambda: SGD(momentum=value)):
        with pytest.raises(TypeError, match=r"expected \w+ to be a real number, got"):
            make()
