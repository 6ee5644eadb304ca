"""Property-based bad-input tests for every layer, set_weights and the size helpers (hypothesis).

Each property draws a bad input (NaN/inf at random places in forward inputs and upstream
gradients, a bad array somewhere in a set_weights list, a bad dimension in a shape) and asserts
the clear error: the class and method, what was expected, what was given. The set_weights
property also asserts that nothing was assigned: the parameters are bitwise what they were.
Every property is seeded (``derandomize=True``), so a run tries the same inputs each time.
"""
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dlcourse import initializers
from dlcourse.layers import (AveragePool2D, Conv2D, Dense, Dropout, Embedding, Flatten, MaxPool2D, ReLU,
                             Sigmoid, SimpleRNN, Softmax, Tanh)
from dlcourse.layers.base import to_snake_case
from dlcourse.layers.conv import conv_output_size, same_padding

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

# name -> (make the layer, shape of a valid float input); ids for Embedding are handled separately
LAYERS = {
    "Dense": (lambda: Dense(4, 3, "tanh", seed=0), (5, 4)),
    "Dropout": (lambda: Dropout(0.5, seed=0), (5, 4)),
    "Flatten": (lambda: Flatten(), (2, 3, 4)),
    "ReLU": (lambda: ReLU(), (5, 4)),
    "Sigmoid": (lambda: Sigmoid(), (5, 4)),
    "Tanh": (lambda: Tanh(), (5, 4)),
    "Softmax": (lambda: Softmax(), (5, 4)),
    "Conv2D": (lambda: Conv2D(2, 3, 3, padding="same", seed=0), (2, 5, 5, 2)),
    "MaxPool2D": (lambda: MaxPool2D(2), (2, 4, 4, 3)),
    "AveragePool2D": (lambda: AveragePool2D(2, padding="same"), (2, 5, 5, 3)),
    "SimpleRNN": (lambda: SimpleRNN(3, 4, return_sequences=True, seed=0), (2, 6, 3)),
}
WITH_PARAMS = {
    "Dense": lambda: Dense(4, 3, seed=0),
    "Dense_no_bias": lambda: Dense(4, 3, use_bias=False, seed=0),
    "Conv2D": lambda: Conv2D(2, 3, 3, seed=0),
    "SimpleRNN": lambda: SimpleRNN(3, 4, seed=0),
    "Embedding": lambda: Embedding(6, 2, seed=0),
    "Dense_float64": lambda: Dense(4, 3, seed=0, dtype="float64"),
}
NON_FINITE = st.sampled_from([np.nan, np.inf, -np.inf])


@st.composite
def poisoned(draw, shape, dtype=np.float32):
    """A valid random array of ``shape`` with 1..size entries replaced by NaN/inf; returns (array, count)."""
    size = int(np.prod(shape))
    x = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape).astype(dtype)
    where = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=size, unique=True))
    flat = x.reshape(-1)
    for i in where:
        flat[i] = draw(NON_FINITE)
    return x, len(where)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(LAYERS)), training=st.booleans())
def test_forward_rejects_non_finite_input_with_its_count(data, name, training):
    make, shape = LAYERS[name]
    x, bad = data.draw(poisoned(shape))
    layer = make()
    message = rf"{name}\.forward: expected finite values, got {bad} NaN/inf entries in an array of shape {re.escape(str(shape))}"
    with pytest.raises(ValueError, match=message):
        layer.forward(x, training=training)
    with pytest.raises(ValueError, match=message):
        layer.check_input(x)  # what Sequential.fit calls on the whole data set


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(LAYERS) + ["Embedding"]))
def test_backward_rejects_non_finite_grad_out(data, name):
    if name == "Embedding":
        layer, x = Embedding(6, 2, seed=0), np.array([[0, 5, 2], [1, 1, 3]])
    else:
        make, shape = LAYERS[name]
        layer, x = make(), np.random.default_rng(0).normal(size=shape).astype(np.float32)
    out = layer.forward(x, training=True)
    g, bad = data.draw(poisoned(out.shape))
    message = (rf"{name}\.backward: grad_out: expected finite values, got {bad} NaN/inf entries "
               rf"in an array of shape {re.escape(str(out.shape))}")
    before = {k: v.copy() for k, v in layer.params.items()}
    with pytest.raises(ValueError, match=message):
        layer.backward(g)
    assert all(np.array_equal(before[k], v) for k, v in layer.params.items())


def _bad_weight(draw, shape, dtype):
    """One array that must not replace a parameter of ``shape``/``dtype``, with the error it must raise."""
    kind = draw(st.sampled_from(["nan", "inf", "overflow", "none", "complex", "string", "shape", "ragged"]))
    good = np.ones(shape)
    if kind in ("nan", "inf", "none", "overflow"):
        if kind == "overflow" and dtype == np.float64:
            kind = "inf"  # 1e39 fits in float64; use a value that does not
        bad = good.astype(object) if kind == "none" else good.copy()
        value = {"nan": np.nan, "inf": -np.inf, "none": None, "overflow": 1e39}[kind]
        bad.reshape(-1)[draw(st.integers(0, good.size - 1))] = value
        if kind == "none":
            return bad.tolist(), TypeError, "as a real-valued numeric array, got array of shape .* and dtype object"
        return bad, ValueError, r"with finite values in float\d\d, got 1 NaN/inf entries \(after the cast\)"
    if kind == "complex":
        return good + 1j, TypeError, "as a real-valued numeric array, got array .* dtype complex128"
    if kind == "string":
        return good.astype(str), TypeError, "as a real-valued numeric array, got array .* dtype <U"
    if kind == "shape":
        wrong = shape[:-1] + (shape[-1] + draw(st.integers(1, 3)),)
        return np.ones(wrong), ValueError, rf"of shape {re.escape(str(shape))}, got {re.escape(str(wrong))}"
    return [[1.0], [1.0, 2.0]], TypeError, "as a numeric array, got list"


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(WITH_PARAMS)))
def test_set_weights_checks_every_array_before_assigning_any(data, name):
    layer = WITH_PARAMS[name]()
    before = layer.get_weights()
    keys = list(layer.params)
    position = data.draw(st.integers(0, len(keys) - 1))
    p = layer.params[keys[position]]
    bad, exc, message = _bad_weight(data.draw, p.shape, p.dtype)
    # every other array is a valid new value, so a half-applied update would show
    weights = [w + 1.0 for w in before]
    weights[position] = bad
    with pytest.raises(exc, match=rf"{type(layer).__name__}\.set_weights: expected {keys[position]} {message}"):
        layer.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))


@pytest.mark.parametrize("weights,exc,message", [
    (np.ones((4, 3)), TypeError, r"Dense.set_weights: expected a list of arrays \(kernel, bias\), got array of shape"),
    ([np.ones((4, 3))], ValueError, r"Dense.set_weights: expected 2 arrays \(kernel, bias\), got 1"),
    ("kernel", TypeError, r"Dense.set_weights: expected a list of arrays \(kernel, bias\), got str"),
])
def test_set_weights_rejects_a_bad_list(weights, exc, message):
    layer = Dense(4, 3, seed=0)
    before = layer.get_weights()
    with pytest.raises(exc, match=message):
        layer.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))


def test_set_weights_still_casts_and_copies():
    layer = Dense(2, 1, seed=0)
    kernel = layer.params["kernel"]
    layer.set_weights([np.array([[1], [2]]), [0.5]])  # ints and lists are fine
    assert layer.params["kernel"] is kernel and kernel.dtype == np.float32
    assert kernel.tolist() == [[1.0], [2.0]] and layer.params["bias"].tolist() == [0.5]


BAD_DIMS = st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=2), st.none(),
                     st.booleans())


@SETTINGS
@given(name=st.sampled_from(sorted(initializers._BY_NAME)), good=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       bad=BAD_DIMS, data=st.data())
def test_initializers_name_a_bad_dimension(name, good, bad, data):
    shape = list(good)
    shape.insert(data.draw(st.integers(0, len(good))), bad)
    exc = ValueError if isinstance(bad, int) and not isinstance(bad, bool) else TypeError
    with pytest.raises(exc, match=rf"^{name}: expected (every dimension >= 1|a shape of ints), got .* in shape"):
        initializers.get(name)(tuple(shape), seed=0)


@SETTINGS
@given(name=st.sampled_from(sorted(initializers._BY_NAME)),
       dims=st.lists(st.integers(2**11, 2**20), min_size=2, max_size=4).filter(lambda d: np.prod(d, dtype=object) > 2**30))
def test_initializers_refuse_huge_shapes_naming_the_size(name, dims):
    nbytes = int(np.prod(dims, dtype=object)) * 4
    with pytest.raises(ValueError, match=rf"^{name}: expected a shape of at most 4 GiB, got shape .* needing {nbytes:,} bytes"):
        initializers.get(name)(tuple(dims), seed=0)


@SETTINGS
@given(func=st.sampled_from([same_padding, conv_output_size]), which=st.integers(0, 2), bad=BAD_DIMS)
def test_size_helpers_name_a_bad_argument(func, which, bad):
    args = [5, 3, 2]
    args[which] = bad
    name = ["n", "k", "stride"][which]
    exc = ValueError if isinstance(bad, int) and not isinstance(bad, bool) else TypeError
    with pytest.raises(exc, match=rf"^{func.__name__}: expected {name} to be an int >= 1, got"):
        func(*args)


# -- default names: Keras' snake case -------------------------------------------------------

KERAS_NAMES = {Dense: "Dense", Conv2D: "Conv2D", MaxPool2D: "MaxPooling2D", AveragePool2D: "AveragePooling2D",
               SimpleRNN: "SimpleRNN", Embedding: "Embedding", Flatten: "Flatten", Dropout: "Dropout", ReLU: "ReLU",
               Softmax: "Softmax"}


def test_default_names_are_keras_default_names(tf_keras):
    _, keras = tf_keras
    from keras.src.utils.naming import to_snake_case as keras_snake_case

    ours = {Dense: Dense(2, 2), Conv2D: Conv2D(1, 1, 1), MaxPool2D: MaxPool2D(), AveragePool2D: AveragePool2D(),
            SimpleRNN: SimpleRNN(1, 1), Embedding: Embedding(2, 2), Flatten: Flatten(), Dropout: Dropout(0.1),
            ReLU: ReLU(), Softmax: Softmax()}
    theirs = {Dense: keras.layers.Dense(2), Conv2D: keras.layers.Conv2D(1, 1), MaxPool2D: keras.layers.MaxPooling2D(2),
              AveragePool2D: keras.layers.AveragePooling2D(2), SimpleRNN: keras.layers.SimpleRNN(1),
              Embedding: keras.layers.Embedding(2, 2), Flatten: keras.layers.Flatten(), Dropout: keras.layers.Dropout(0.1),
              ReLU: keras.layers.ReLU(), Softmax: keras.layers.Softmax()}
    for cls, layer in ours.items():
        assert layer.name == keras_snake_case(KERAS_NAMES[cls]) == to_snake_case(KERAS_NAMES[cls])
        assert re.fullmatch(rf"{layer.name}(_\d+)?", theirs[cls].name), (layer.name, theirs[cls].name)
    assert [SimpleRNN(1, 1).name, MaxPool2D().name, ReLU().name] == ["simple_rnn", "max_pooling2d", "re_lu"]
    assert [Sigmoid().name, Tanh().name, Dense(1, 1, name="out").name] == ["sigmoid", "tanh", "out"]
    with pytest.raises(TypeError, match="Dense: expected name as a str or None, got int"):
        Dense(1, 1, name=3)
