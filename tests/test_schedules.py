"""Learning-rate schedules: the same rate as keras.optimizers.schedules at every step, and the same training.

1. Each schedule's value at steps 0..149 equals Keras' (which computes in float32: rtol 1e-5;
   near its end the cosine loses digits to cancellation in float32).
2. Each schedule drives Adam and AdamW, and the warmup cosine drives every optimizer, for 100
   steps on one gradient sequence, ours on NumPy arrays and Keras' on tf.Variables: the
   learning rate the optimizer reports before every step and the parameters after every step
   agree. This also proves that both evaluate the schedule at ``iterations`` (0 at the first step).

Tolerance for the parameters after up to 100 float32 steps: rtol 1e-5 with an absolute
tolerance of 1e-5 times the largest parameter (a norm-wise relative error of 1e-5). Entries
that have crossed near zero need that floor: Keras computes Adam's 1 - beta_2**t in float32,
where 0.999 is 0.99900001, so its steps are ~6e-6 relative smaller than the exact formula's
(which we compute, in float64 scalars), and that error accumulates over the steps as an
absolute, not a relative, error.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.optimizers import SGD, Adam, AdamW, RMSprop
from dlcourse.optimizers.schedules import CosineDecay, ExponentialDecay, LearningRateSchedule, PiecewiseConstantDecay
from dlcourse.tfsetup import load_tensorflow

SHAPES = [(3, 4), (4,)]
STEPS = 100


def assert_close_float32(ours, keras_value, err_msg=""):
    np.testing.assert_allclose(ours, keras_value, rtol=1e-5, atol=1e-5 * np.max(np.abs(keras_value)),
                               err_msg=err_msg)


@pytest.fixture(scope="module")
def tfk():
    return load_tensorflow(seed=0)


# (class name, keyword arguments shared by ours and Keras')
SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.05, decay_steps=10, decay_rate=0.8)),
    ("ExponentialDecay", dict(initial_learning_rate=0.05, decay_steps=7, decay_rate=0.5, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=80)),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=60, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=70, warmup_target=0.05, warmup_steps=20)),
    ("CosineDecay", dict(initial_learning_rate=0.01, decay_steps=50, alpha=0.2, warmup_target=0.05,
                         warmup_steps=0)),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 40, 75], values=[0.05, 0.02, 0.01, 0.002])),
]
SCHEDULE_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULES)]


def ours_and_keras(keras, name, kwargs):
    import dlcourse.optimizers.schedules as ours

    return getattr(ours, name)(**kwargs), getattr(keras.optimizers.schedules, name)(**kwargs)


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=SCHEDULE_IDS)
def test_same_rate_as_keras_at_every_step(tfk, name, kwargs):
    _, keras = tfk
    ours, theirs = ours_and_keras(keras, name, kwargs)
    steps = np.arange(150)
    expected = np.array([float(theirs(int(s))) for s in steps])
    np.testing.assert_allclose([ours(int(s)) for s in steps], expected, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(ours(steps), expected, rtol=1e-5, atol=1e-9)   # an array of steps at once
    assert isinstance(ours(3), float)


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=SCHEDULE_IDS)
def test_config_rebuilds_the_same_schedule_here_and_in_keras(tfk, name, kwargs):
    _, keras = tfk
    ours, _ = ours_and_keras(keras, name, kwargs)
    config = ours.get_config()
    again = type(ours).from_config(config)
    in_keras = getattr(keras.optimizers.schedules, name).from_config(config)
    for step in (0, 5, 33, 99, 200):
        assert again(step) == ours(step)
        assert float(in_keras(step)) == pytest.approx(ours(step), rel=1e-5, abs=1e-9)


# (our class, Keras class name, keyword arguments besides the learning rate)
OPTIMIZERS = {
    "SGD": (SGD, "SGD", dict(momentum=0.9)),
    "SGD-nesterov-decay": (SGD, "SGD", dict(momentum=0.5, nesterov=True, weight_decay=0.1)),
    "RMSprop": (RMSprop, "RMSprop", dict(rho=0.8)),
    "Adam": (Adam, "Adam", {}),
    "AdamW": (AdamW, "AdamW", dict(weight_decay=0.5)),
}
# The base class evaluates the schedule for every optimizer alike: every schedule runs with
# Adam (where the rate meets the bias correction) and with AdamW (where it also scales the
# decay), and every optimizer runs with the warmup cosine.
RUNS = ([(i, "Adam") for i in range(len(SCHEDULES))] + [(i, "AdamW") for i in range(len(SCHEDULES))]
        + [(4, name) for name in OPTIMIZERS if not name.startswith("Adam")])


def run_against_keras(tfk, ours_cls, keras_name, kwargs, steps=STEPS, seed=7, dtype="float32"):
    """Feed one gradient sequence to our optimizer and to Keras'; yield both after every step."""
    tf, keras = tfk
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    variables = [tf.Variable(p.copy()) for p in params]
    ours, theirs = ours_cls(**kwargs[0]), getattr(keras.optimizers, keras_name)(**kwargs[1])
    keras_step = tf.function(lambda grads: theirs.apply_gradients(zip(grads, variables)))  # eager is slow
    for step in range(steps):
        rate_before = (ours.learning_rate, float(theirs.learning_rate))
        grads = [(rng.normal(size=s) * 10.0 ** rng.integers(-2, 1)).astype(dtype) for s in SHAPES]
        ours.apply_gradients(zip(grads, params))
        keras_step([tf.constant(g) for g in grads])
        yield step, ours, theirs, rate_before, params, [v.numpy() for v in variables]


@pytest.mark.parametrize("schedule_index,opt_name", RUNS, ids=[f"{SCHEDULE_IDS[i]}-{o}" for i, o in RUNS])
def test_optimizer_follows_the_schedule_like_keras(tfk, schedule_index, opt_name):
    name, kwargs = SCHEDULES[schedule_index]
    ours_cls, keras_name, opt_kwargs = OPTIMIZERS[opt_name]
    ours_schedule, keras_schedule = ours_and_keras(tfk[1], name, kwargs)
    run = run_against_keras(tfk, ours_cls, keras_name, ({"learning_rate": ours_schedule, **opt_kwargs},
                                                        {"learning_rate": keras_schedule, **opt_kwargs}))
    for step, ours, theirs, (our_rate, keras_rate), params, values in run:
        assert our_rate == pytest.approx(keras_rate, rel=1e-5, abs=1e-9), step
        assert our_rate == ours_schedule(step)   # evaluated at iterations, before the step
        for i, (p, v) in enumerate(zip(params, values)):
            assert_close_float32(p, v, err_msg=f"step {step + 1}, parameter {i}")
    assert ours.iterations == int(theirs.iterations.numpy()) == STEPS


def test_rates_by_hand():
    assert ExponentialDecay(1.0, 2, 0.5)(3) == pytest.approx(0.5**1.5)
    assert ExponentialDecay(1.0, 2, 0.5, staircase=True)(3) == 0.5
    assert CosineDecay(2.0, 10)(5) == pytest.approx(1.0)
    assert CosineDecay(2.0, 10, alpha=0.25)(10) == pytest.approx(0.5) == CosineDecay(2.0, 10, alpha=0.25)(1e6)
    warm = CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    assert [warm(s) for s in (0, 1, 2, 4, 14, 20)] == pytest.approx([0.0, 0.25, 0.5, 1.0, 0.0, 0.0])
    piecewise = PiecewiseConstantDecay([5, 10], [3.0, 2.0, 1.0])
    assert [piecewise(s) for s in (0, 5, 6, 10, 11, 1000)] == [3.0, 3.0, 2.0, 2.0, 1.0, 1.0]


def test_a_schedule_replaces_the_settable_learning_rate():
    opt = SGD(learning_rate=PiecewiseConstantDecay([1], [0.5, 0.25]))
    w = np.zeros(1)
    for _ in range(3):
        opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_array_equal(w, [-(0.5 + 0.5 + 0.25)])   # steps 0 and 1 use 0.5, step 2 uses 0.25
    with pytest.raises(TypeError, match=r"SGD: expected a LearningRateSchedule, since this optimizer was built "
                                        r"with one \(its rate is not settable, as in Keras\), got float"):
        opt.learning_rate = 0.1
    opt.learning_rate = ExponentialDecay(1.0, 1, 0.5)            # another schedule is fine
    assert opt.learning_rate == 0.5**3
    assert isinstance(opt.get_config()["learning_rate"], LearningRateSchedule)


def test_repr_shows_the_arguments():
    assert repr(ExponentialDecay(0.1, 10, 0.5)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=10.0, decay_rate=0.5, staircase=False)")
    assert repr(Adam(ExponentialDecay(0.1, 10, 0.5))).startswith("Adam(learning_rate=ExponentialDecay(")


@pytest.mark.parametrize("make,exc,match", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), ValueError,
     r"ExponentialDecay: expected decay_steps > 0 \(the steps over which the rate decays\), got 0.0"),
    (lambda: ExponentialDecay(0.1, -5, 0.5), ValueError, r"ExponentialDecay: expected decay_steps > 0"),
    (lambda: ExponentialDecay(0.1, 10, 0.0), ValueError, r"ExponentialDecay: expected decay_rate > 0"),
    (lambda: ExponentialDecay(-0.1, 10, 0.5), ValueError,
     r"ExponentialDecay: expected learning_rate >= 0.0, got -0.1"),
    (lambda: ExponentialDecay(0.1, "10", 0.5), TypeError,
     r"ExponentialDecay: expected decay_steps to be a real number, got str"),
    (lambda: ExponentialDecay(0.1, 10, 0.5, staircase=1), TypeError,
     r"ExponentialDecay: expected staircase to be True or False, got int"),
    (lambda: CosineDecay(0.1, 0), ValueError, r"CosineDecay: expected decay_steps > 0"),
    (lambda: CosineDecay(0.1, 10, alpha=1.5), ValueError, r"CosineDecay: expected alpha in \[0.0, 1.0\], got 1.5"),
    (lambda: CosineDecay(0.1, 10, warmup_target=float("inf")), ValueError,
     r"CosineDecay: expected warmup_target >= 0.0, got inf"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), ValueError,
     r"CosineDecay: expected warmup_steps to be an int >= 0, got -1"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=2.5), TypeError,
     r"CosineDecay: expected warmup_steps to be an int >= 0, got float 2.5"),
    (lambda: PiecewiseConstantDecay([10, 5], [0.1, 0.2, 0.3]), ValueError,
     r"PiecewiseConstantDecay: expected finite, strictly increasing boundaries, got \[10, 5\]"),
    (lambda: PiecewiseConstantDecay([5, 5], [0.1, 0.2, 0.3]), ValueError, r"strictly increasing boundaries"),
    (lambda: PiecewiseConstantDecay([5, 10], [0.1, 0.2]), ValueError,
     r"PiecewiseConstantDecay: expected at least one boundary and one value more than boundaries, "
     r"got 2 boundaries and 2 values"),
    (lambda: PiecewiseConstantDecay([], [0.1]), ValueError, r"got 0 boundaries and 1 values"),
    (lambda: PiecewiseConstantDecay([5], [0.1, -0.2]), ValueError,
     r"PiecewiseConstantDecay: expected learning_rate >= 0.0, got -0.2"),
    (lambda: PiecewiseConstantDecay(5, [0.1, 0.2]), TypeError,
     r"PiecewiseConstantDecay: expected boundaries to be a list of numbers, got int"),
    (lambda: PiecewiseConstantDecay(["a"], [0.1, 0.2]), TypeError,
     r"PiecewiseConstantDecay: expected each boundary to be a real number, got str"),
    (lambda: ExponentialDecay(0.1, 10, 0.5)(-1), ValueError,
     r"ExponentialDecay: expected step >= 0 \(the optimizer's iterations\), got -1"),
    (lambda: CosineDecay(0.1, 10)(float("nan")), ValueError, r"CosineDecay: expected step >= 0"),
    (lambda: CosineDecay(0.1, 10)("3"), TypeError,
     r"CosineDecay: expected step to be a number or an array of numbers, got str"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
