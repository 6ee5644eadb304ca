"""Property-based tests of dlcourse.gradcheck: a gradient check never passes what it cannot verify.

NaN compares false with everything, so ``error > tol`` alone lets a NaN gradient through as
``{'input': nan}``. Here hypothesis puts a NaN or an infinity at random entries of the analytic
gradient (input, kernel or bias) or of the forward output (which spoils the numerical gradient),
and the check must fail naming the array; and it draws bad arguments (tol, h, seed, x,
max_kink_fraction, training), which must raise our TypeError/ValueError before any work.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.gradcheck import GradientCheckError, check_layer, check_model, numerical_gradient, relative_error
from dlcourse.layers import Dense
from dlcourse.losses import MeanSquaredError

X = np.random.default_rng(0).normal(size=(5, 4))
Y = np.random.default_rng(1).normal(size=(5, 3))
SHAPES = {"input": (5, 4), "kernel": (4, 3), "bias": (3,)}
non_finite = st.sampled_from([np.nan, np.inf, -np.inf])


def spoiled(array_name: str, position: tuple, value: float, where: str = "backward"):
    """A float64 tanh Dense layer whose ``array_name`` gradient (or forward output) holds ``value`` at ``position``."""

    class Spoiled(Dense):
        def forward(self, x, training=False):
            out = super().forward(x, training)
            if where == "forward":
                out = out.copy()
                out[position] = value
            return out

        def backward(self, grad_out):
            dx = super().backward(grad_out)
            if where == "backward" and array_name == "input":
                dx = dx.copy()
                dx[position] = value
            elif where == "backward":
                self.grads[array_name] = self.grads[array_name].copy()
                self.grads[array_name][position] = value
            return dx

    return Spoiled(4, 3, "tanh", seed=0, dtype="float64")


@st.composite
def entry(draw):
    name = draw(st.sampled_from(sorted(SHAPES)))
    position = tuple(draw(st.integers(0, n - 1)) for n in SHAPES[name])
    return name, position


@settings(max_examples=60, deadline=None)
@given(entry(), non_finite)
def test_non_finite_analytic_gradient_fails_check_layer_naming_the_array(spot, value):
    name, position = spot
    with pytest.raises(GradientCheckError, match=rf"^check_layer\(Spoiled\) {name}: the analytic gradient has 1 NaN/inf "
                                                 rf"entries \(the first at \({', '.join(map(str, position))},?\)"):
        check_layer(spoiled(name, position, value), X)


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.integers(0, 4), st.integers(0, 2)), non_finite)
def test_non_finite_forward_output_fails_with_the_numerical_gradient_named(position, value):
    # The analytic gradient stays finite (backward does not know); the central differences see the NaN/inf.
    with pytest.raises(GradientCheckError, match=r"^check_layer\(Spoiled\) input: the numerical gradient has \d+ NaN/inf"):
        check_layer(spoiled("input", position, value, where="forward"), X)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["kernel", "bias"]), st.data(), non_finite)
def test_non_finite_gradient_fails_check_model_naming_layer_and_parameter(name, data, value):
    position = tuple(data.draw(st.integers(0, n - 1)) for n in SHAPES[name])
    layers = [Dense(4, 4, "tanh", seed=2, dtype="float64"), spoiled(name, position, value)]
    with pytest.raises(GradientCheckError, match=rf"^check_model 1\.spoiled\.{name}: the analytic gradient has 1 NaN/inf"):
        check_model(layers, MeanSquaredError(), X, Y)


bad_positive = st.one_of(st.floats(max_value=0.0), st.sampled_from([np.nan, np.inf]), st.none(), st.text(max_size=3),
                         st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["tol", "h"]), bad_positive)
def test_bad_tol_and_h_are_refused_before_any_work(name, value):
    layer = Dense(4, 3, "tanh", seed=0, dtype="float64")
    kernel = layer.params["kernel"].copy()
    with pytest.raises((TypeError, ValueError), match=rf"^check_layer\(Dense\): expected {name} to be a"):
        check_layer(layer, X, **{name: value})
    with pytest.raises((TypeError, ValueError), match=rf"^check_model: expected {name} to be a"):
        check_model([layer], MeanSquaredError(), X, Y, **{name: value})
    np.testing.assert_array_equal(layer.params["kernel"], kernel)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats().filter(lambda v: not 0 <= v <= 1), st.text(max_size=2), st.none(), st.booleans()))
def test_bad_max_kink_fraction_is_refused(value):
    with pytest.raises((TypeError, ValueError), match=r"^check_layer\(Dense\): expected max_kink_fraction"):
        check_layer(Dense(4, 3, seed=0, dtype="float64"), X, max_kink_fraction=value)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2)))
def test_bad_seed_is_refused_by_name(seed):
    with pytest.raises((TypeError, ValueError), match=r"^check_layer\(Dense\): expected seed"):
        check_layer(Dense(4, 3, seed=0, dtype="float64"), X, seed=seed)


@settings(max_examples=40, deadline=None)
@given(st.one_of(
    st.lists(st.lists(st.floats(-1, 1), min_size=1, max_size=4), min_size=2, max_size=4).filter(
        lambda rows: len({len(r) for r in rows}) > 1),                       # ragged
    st.tuples(st.integers(0, 4), st.integers(0, 3), non_finite),             # a NaN/inf entry in x
    st.sampled_from(["float32", "float16"]),                                 # too coarse for central differences
))
def test_bad_x_is_refused_before_the_forward_pass(bad):
    if isinstance(bad, list):
        x, text = bad, r"check_layer\(Dense\): expected an input array, got list"
    elif isinstance(bad, tuple):
        x = X.copy()
        x[bad[:2]] = bad[2]
        text = r"check_layer\(Dense\): x: expected finite values, got 1 NaN/inf entries"
    else:
        x, text = X.astype(bad), rf"check_layer\(Dense\): expected a float64 input, got {bad}"
    with pytest.raises((TypeError, ValueError), match="^" + text):
        check_layer(Dense(4, 3, seed=0, dtype="float64"), x)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.integers(), st.text(max_size=2), st.none()))
def test_bad_training_flag_is_refused(value):
    with pytest.raises(TypeError, match=r"^check_layer\(Dense\): expected training as a bool"):
        check_layer(Dense(4, 3, seed=0, dtype="float64"), X, training=value)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.one_of(st.none(), non_finite))
def test_relative_error_refuses_mismatched_shapes_and_non_finite_values(n, m, value):
    a = np.ones(n)
    if value is None and n != m:
        with pytest.raises(ValueError, match=rf"^relative_error: expected a and b of the same shape, got \({n},\) and \({m},\)"):
            relative_error(a, np.ones(m))
    elif value is not None:
        b = np.ones(n)
        b[m % n] = value
        with pytest.raises(ValueError, match=r"^relative_error: b: expected finite values, got 1 NaN/inf entries"):
            relative_error(a, b)
    else:
        assert relative_error(a, np.ones(m)) == 0.0


@settings(max_examples=30, deadline=None)
@given(bad_positive)
def test_numerical_gradient_refuses_bad_h(h):
    w = np.ones(3)
    with pytest.raises((TypeError, ValueError), match=r"^numerical_gradient: expected h to be a"):
        numerical_gradient(lambda: float(np.sum(w ** 2)), w, h=h)


def test_numerical_gradient_refuses_non_arrays_and_non_scalar_functions():
    with pytest.raises(TypeError, match=r"^numerical_gradient: expected x as a float64 NumPy array .*, got list"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"^numerical_gradient: expected f as a function"):
        numerical_gradient(3.0, np.ones(2))
    w = np.ones(3)
    with pytest.raises(TypeError, match=r"^numerical_gradient: expected f\(\) to return a scalar, got ndarray of shape \(3,\)"):
        numerical_gradient(lambda: w ** 2, w)
