"""dlcourse.initializers against Keras 3: formulas, large-sample statistics, Keras' own samples, errors.

Tolerances come from the sample size. For ``n`` independent draws of standard deviation
``sigma``, the sample mean has standard error ``sigma / sqrt(n)`` and the sample variance
``sigma**2 * sqrt((kurtosis - 1) / n)`` (kurtosis 1.8 for a uniform, about 2.4 for a normal
truncated at 2 sigma; we use 1.5 for both sides of the bound). Every check allows 6 standard
errors: a correct initializer fails one with probability about 2e-9, while a wrong scale (the
smallest one Keras' table uses differs by a factor 2 in variance) misses by hundreds of them.
The samples are seeded, so the tests are deterministic.

Against Keras: a two-sample Kolmogorov-Smirnov statistic between our draws and
``keras.initializers.<Name>(seed=0)`` draws of the same shape, compared with its critical value
at significance 1e-6, ``sqrt(-ln(1e-6 / 2) * (n + m) / (2 n m))``.
"""
import numpy as np
import pytest

from dlcourse import initializers as I
from dlcourse.layers.conv import Conv2D
from dlcourse.layers.core import Dense
from dlcourse.layers.recurrent import SimpleRNN

TRUNC = 0.87962566103423978
DENSE, CONV = (400, 300), (3, 3, 64, 128)  # 120,000 and 73,728 draws

# name -> (scale, mode, distribution), Keras' VarianceScaling arguments
VARIANCE_SCALING = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
KERAS_CLASS = {"glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform",
               "he_normal": "HeNormal", "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal",
               "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
               "truncated_normal": "TruncatedNormal"}


def _keras_variance(shape, scale, mode):
    """Keras' formula, written out independently of our code: scale / max(1, n)."""
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return scale / max(1.0, n)


def _ks_statistic(a, b):
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                         - np.searchsorted(b, grid, side="right") / b.size))


def _ks_critical(n, m, alpha=1e-6):
    return np.sqrt(-np.log(alpha / 2) * (n + m) / (2 * n * m))


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name", VARIANCE_SCALING)
def test_variance_scaling_statistics_match_keras_formula(name, shape):
    scale, mode, distribution = VARIANCE_SCALING[name]
    variance = _keras_variance(shape, scale, mode)
    w = I.get(name)(shape, seed=np.random.default_rng(0), dtype=np.float64)
    n = w.size
    assert w.shape == shape and w.dtype == np.float64
    assert abs(w.mean()) < 6 * np.sqrt(variance / n)
    assert abs(w.var() / variance - 1) < 6 * np.sqrt(1.5 / n)
    if distribution == "uniform":
        bound = np.sqrt(3 * variance)
    else:  # truncated at two standard deviations of the *untruncated* normal
        bound = 2 * np.sqrt(variance) / TRUNC
    assert np.abs(w).max() <= bound
    # the tails reach the bound: P(no draw in the outer 1%) is about exp(-n * density * 0.01 * bound)
    assert np.abs(w).max() > 0.99 * bound


@pytest.mark.parametrize("shape,fans", [((5,), (5, 5)), ((7, 3), (7, 3)), ((3, 3, 16, 32), (144, 288)),
                                        ((2, 3, 4, 5, 6), (120, 144)), ((), (1, 1))])
def test_compute_fans_is_keras_rule(tf_keras, shape, fans):
    from keras.src.initializers.random_initializers import compute_fans as keras_fans

    assert I.compute_fans(shape) == fans == keras_fans(shape)


def test_fans_decide_the_scale_for_dense_and_conv_kernels():
    """he_normal on (3, 3, 16, 32) uses fan_in 144; on (144, 32) the same fan_in gives the same variance."""
    conv = I.he_normal((3, 3, 16, 32), seed=0, dtype=np.float64)
    dense = I.he_normal((144, 32), seed=0, dtype=np.float64)
    assert np.array_equal(conv.ravel(), dense.ravel())  # same draws, same scale
    fan_out = I.variance_scaling((3, 3, 16, 32), seed=0, dtype=np.float64, scale=2.0, mode="fan_out")
    assert np.allclose(fan_out.ravel(), dense.ravel() * np.sqrt(144 / 288), rtol=1e-12)


@pytest.mark.parametrize("name", [*VARIANCE_SCALING, "random_normal", "random_uniform", "truncated_normal"])
def test_samples_match_keras_in_distribution(tf_keras, name):
    _, keras = tf_keras
    shape = CONV if name.startswith("he") else DENSE
    ours = I.get(name)(shape, seed=np.random.default_rng(1))
    theirs = np.asarray(getattr(keras.initializers, KERAS_CLASS[name])(seed=0)(shape))
    assert ours.dtype == theirs.dtype == np.float32
    assert _ks_statistic(ours, theirs) < _ks_critical(ours.size, theirs.size)


def test_ks_check_tells_he_from_glorot(tf_keras):
    """The distribution test has power: he_normal vs Keras' GlorotNormal on the same shape fails it."""
    _, keras = tf_keras
    ours = I.he_normal(DENSE, seed=1)
    theirs = np.asarray(keras.initializers.GlorotNormal(seed=0)(DENSE))
    assert _ks_statistic(ours, theirs) > 5 * _ks_critical(ours.size, theirs.size)


def test_orthogonal_rows_or_columns_are_orthonormal():
    for shape in [(6, 4), (4, 6), (3, 3, 2, 5)]:
        q = I.orthogonal(shape, seed=0, dtype=np.float64).reshape(-1, shape[-1])
        small = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        assert np.allclose(small, np.eye(small.shape[0]), atol=1e-12)
    assert np.allclose(I.orthogonal((5, 5), seed=0, gain=2.0, dtype=np.float64),
                       2 * I.orthogonal((5, 5), seed=0, dtype=np.float64), rtol=1e-12)


def test_random_normal_and_truncated_normal_defaults_are_keras():
    w = I.random_normal((500, 400), seed=0, dtype=np.float64)
    assert abs(w.std() / 0.05 - 1) < 6 * np.sqrt(0.5 / w.size)  # normal: kurtosis 3
    t = I.truncated_normal((500, 400), seed=0, dtype=np.float64, mean=1.0, stddev=0.1)
    assert 0.8 <= t.min() and t.max() <= 1.2
    assert abs(t.std() / (0.1 * TRUNC) - 1) < 6 * np.sqrt(1.5 / t.size)


def test_seeded_draws_repeat_and_zeros_ones_ignore_seed():
    for name in I._BY_NAME:
        init = I.get(name)
        a, b = init((4, 3), seed=7, dtype="float64"), init((4, 3), seed=np.random.default_rng(7), dtype="float64")
        assert np.array_equal(a, b) and a.dtype == np.float64
    assert np.array_equal(I.get("zeros")((2, 3), seed=1), np.zeros((2, 3), np.float32))
    assert np.array_equal(I.get("ones")((2,), seed=1, dtype="float64"), np.ones(2))


def test_glorot_uniform_limit_is_the_textbook_formula():
    w = I.glorot_uniform((30, 20), seed=0, dtype=np.float64)
    limit = np.sqrt(6 / 50)
    assert np.abs(w).max() <= limit
    expected = np.random.default_rng(0).uniform(-limit, limit, size=(30, 20))
    assert np.array_equal(w, expected)  # seeded numbers are those of the original implementation


# -- layers resolve kernel_initializer by name -------------------------------------------------

@pytest.mark.parametrize("make,shape", [
    (lambda **kw: Dense(144, 32, **kw), (144, 32)),
    (lambda **kw: Conv2D(16, 32, 3, **kw), (3, 3, 16, 32)),
    (lambda **kw: SimpleRNN(144, 32, **kw), (144, 32)),
])
def test_layers_take_kernel_initializer_by_keras_name(make, shape):
    default = make(seed=3).params["kernel"]
    assert np.array_equal(default, I.glorot_uniform(shape, seed=np.random.default_rng(3)))
    he = make(seed=3, kernel_initializer="he_normal").params["kernel"]
    assert np.array_equal(he, I.he_normal(shape, seed=np.random.default_rng(3)))
    with pytest.raises(ValueError, match=r"initializers.get: expected one of .*got 'he_norml'"):
        make(kernel_initializer="he_norml")


def test_simple_rnn_recurrent_initializer():
    default = SimpleRNN(4, 5, seed=2)
    rng = np.random.default_rng(2)
    I.glorot_uniform((4, 5), seed=rng)
    assert np.array_equal(default.params["recurrent_kernel"], I.orthogonal((5, 5), seed=rng))
    rnn = SimpleRNN(4, 5, seed=2, recurrent_initializer="zeros")
    assert not rnn.params["recurrent_kernel"].any()


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,exc,message", [
    ((0, 3), ValueError, r"he_normal: expected every dimension >= 1, got 0 in shape \(0, 3\)"),
    ((4, -2), ValueError, r"he_normal: expected every dimension >= 1, got -2 in shape \(4, -2\)"),
    ((2.0, 3), TypeError, r"he_normal: expected a shape of ints, got float 2.0 in shape \(2.0, 3\)"),
    ((True, 3), TypeError, r"he_normal: expected a shape of ints, got bool True"),
    ("3,3", TypeError, r"he_normal: expected a shape as a tuple of ints, got str '3,3'"),
    (None, TypeError, r"he_normal: expected a shape as a tuple of ints, got NoneType None"),
    ((10**6, 10**6), ValueError, r"he_normal: expected a shape of at most 4 GiB, got shape \(1000000, 1000000\) "
                                 r"needing 4,000,000,000,000 bytes \(3,725.3 GiB\) of float32"),
])
def test_bad_shapes_raise_clear_errors(shape, exc, message):
    with pytest.raises(exc, match=message):
        I.he_normal(shape)


@pytest.mark.parametrize("name", I._BY_NAME)
def test_every_initializer_rejects_a_zero_dimension_and_a_terabyte(name):
    init = I.get(name)
    with pytest.raises(ValueError, match=rf"{name}: expected every dimension >= 1, got 0"):
        init((3, 0), seed=0)
    with pytest.raises(ValueError, match=rf"{name}: expected a shape of at most 4 GiB"):
        init((2**20, 2**20), seed=0)


def test_bad_seed_dtype_mode_name():
    with pytest.raises(TypeError, match="glorot_normal: expected seed as None, an int or a numpy.random.Generator, got str"):
        I.glorot_normal((2, 2), seed="0")
    with pytest.raises(TypeError, match="he_uniform: expected a floating dtype such as 'float32', got int32"):
        I.he_uniform((2, 2), dtype="int32")
    with pytest.raises(ValueError, match="variance_scaling: expected mode 'fan_in', 'fan_out' or 'fan_avg', got 'avg'"):
        I.variance_scaling((2, 2), mode="avg")
    with pytest.raises(ValueError, match="variance_scaling: expected distribution 'uniform' or 'truncated_normal'"):
        I.variance_scaling((2, 2), distribution="cauchy")
    with pytest.raises(ValueError, match="orthogonal: expected a shape with at least 2 dimensions, got \\(4,\\)"):
        I.orthogonal((4,))
    with pytest.raises(ValueError, match="initializers.get: expected one of 'glorot_uniform', .* got 'GlorotUniform'"):
        I.get("GlorotUniform")
    with pytest.raises(TypeError, match="initializers.get: expected an initializer name \\(str\\) or a callable, got int"):
        I.get(3)
