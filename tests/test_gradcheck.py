"""dlcourse.gradcheck itself: it must pass right gradients and *fail* wrong ones, saying which array.

Every other test file trusts ``check_layer``/``check_model`` to catch a wrong backward pass, so
here each is fed a deliberately broken layer (float64, as the checks require) and must raise
``GradientCheckError`` naming the array and the relative error.
"""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.gradcheck import GradientCheckError, check_layer, check_model, numerical_gradient, relative_error
from dlcourse.layers import Dense, ReLU
from dlcourse.losses import MeanSquaredError


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


class _KernelGradOff(Dense):
    """Dense whose kernel gradient is 1 % too large: a subtle bug the check must still see."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.grads["kernel"] = self.grads["kernel"] * 1.01
        return dx


class _InputGradSkipsActivation(Dense):
    """Dense whose input gradient forgets the activation's derivative (a classic slip)."""

    def backward(self, grad_out):
        super().backward(grad_out)
        return grad_out @ self.params["kernel"].T


def test_right_gradients_pass_with_tiny_errors():
    errors = check_layer(Dense(4, 3, "tanh", seed=0, dtype="float64"), _x((5, 4)))
    assert set(errors) == {"input", "kernel", "bias"}
    assert max(errors.values()) < 1e-8  # central differences in float64 are far better than the 1e-6 bar


def test_wrong_parameter_gradient_is_caught_and_named():
    with pytest.raises(GradientCheckError, match=r"check_layer\(_KernelGradOff\) kernel: relative error \S+ exceeds 1e-06"):
        check_layer(_KernelGradOff(4, 3, "tanh", seed=0, dtype="float64"), _x((5, 4)))


def test_wrong_input_gradient_is_caught_and_named():
    with pytest.raises(GradientCheckError, match=r"check_layer\(_InputGradSkipsActivation\) input: relative error .*"
                                                 r"worst entry \(\d+, \d+\): analytic .* vs numerical"):
        check_layer(_InputGradSkipsActivation(4, 3, "tanh", seed=0, dtype="float64"), _x((5, 4)))


def test_check_model_names_the_failing_layer_and_parameter():
    x, y = _x((6, 4)), _x((6, 2), seed=1)
    good = [Dense(4, 3, "tanh", seed=0, dtype="float64"), Dense(3, 2, seed=1, dtype="float64")]
    assert max(check_model(good, MeanSquaredError(), x, y).values()) < 1e-6
    bad = [Dense(4, 3, "tanh", seed=0, dtype="float64"), _KernelGradOff(3, 2, seed=1, dtype="float64")]
    with pytest.raises(GradientCheckError, match=r"check_model 1\.__kernel_grad_off\.kernel: relative error"):
        check_model(bad, MeanSquaredError(), x, y)


def test_relu_kinks_are_skipped_but_too_many_are_refused():
    x = _x((4, 5))
    x[0, :2] = 0.0  # 2 of 20 entries exactly on the kink: skipped, the rest is checked
    assert check_layer(ReLU(), x, max_kink_fraction=0.2)["input"] < 1e-6
    with pytest.raises(GradientCheckError, match=r"input: 20 of 20 entries sit on a kink"):
        check_layer(ReLU(), np.zeros((4, 5)))


def test_float32_is_refused():
    with pytest.raises(TypeError, match=r"numerical_gradient: expected a float64 array, got float32"):
        numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))
    with pytest.raises(TypeError, match=r"check_layer\(Dense\): expected float64 parameters, got kernel as float32"):
        check_layer(Dense(2, 2, seed=0), _x((3, 2)))


def test_numerical_gradient_and_relative_error_by_hand():
    w = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(numerical_gradient(lambda: float(np.sum(w ** 3)), w), 3 * w ** 2, rtol=1e-8)
    np.testing.assert_array_equal(w, [1.0, -2.0, 3.0])  # perturbed in place, then restored
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2)
