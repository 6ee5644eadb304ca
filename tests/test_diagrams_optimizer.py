"""draw_optimizer_step: the arrows add up to the step the optimizer really takes, from its real state."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.diagrams._style import texts  # noqa: E402
from dlcourse.diagrams.optimizer import draw_optimizer_step, step_parts  # noqa: E402
from dlcourse.optimizers import SGD, Adam, AdamW, RMSprop  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


G = [np.array([1.0, -2.0]), np.array([0.5, 0.3]), np.array([-1.5, 0.8])]


def _warm(make, steps=2):
    """An optimizer that has already taken ``steps`` steps on ``theta``, and the next gradient."""
    opt, theta = make(), np.array([1.0, 2.0])
    for g in G[:steps]:
        opt.apply_gradients([(g, theta)])
    return opt, theta, G[steps]


MAKERS = [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9), lambda: SGD(0.1, momentum=0.9, nesterov=True),
          lambda: Adam(0.1), lambda: RMSprop(0.1)]


@pytest.mark.parametrize("make", MAKERS)
def test_parts_sum_to_the_real_next_step_and_change_nothing(make):
    opt, theta, g = _warm(make)
    before, iterations = theta.copy(), opt.iterations
    parts = step_parts(opt, theta, g)
    fig = draw_optimizer_step(opt, theta, g)
    np.testing.assert_array_equal(theta, before)
    assert opt.iterations == iterations
    drawn_next = fig.findobj(lambda a: a.get_gid() == "theta-next")[0].get_offsets()[0]
    opt.apply_gradients([(g, theta)])
    np.testing.assert_allclose(before + sum(v for _, v in parts), theta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(drawn_next, theta, rtol=1e-12)


def test_momentum_parts_are_the_old_velocity_and_the_gradient_step():
    opt, theta, g = _warm(lambda: SGD(0.1, momentum=0.9))
    velocity = 0.9 * (-0.1 * G[0]) - 0.1 * G[1]          # Keras' m after two steps
    (l0, v0), (l1, v1) = step_parts(opt, theta, g)
    assert (l0, l1) == ("μm", "-ηg")
    np.testing.assert_allclose(v0, 0.9 * velocity)
    np.testing.assert_allclose(v1, -0.1 * g)
    fig = draw_optimizer_step(opt, theta, g)
    assert texts(fig, "part-") == {"part-0-label": r"$\mu m$", "part-1-label": r"$-\eta g$"}
    start, end = fig.findobj(lambda a: a.get_gid() == "part-1")[0]._posA_posB
    np.testing.assert_allclose(np.subtract(end, start), -0.1 * g)


def test_adam_draws_its_step_and_the_plain_gradient_step_for_comparison():
    opt, theta, g = _warm(lambda: Adam(0.1))
    fig = draw_optimizer_step(opt, theta, g, surface=lambda a, b: a**2 + 3 * b**2, extent=(-1, 2, 0, 3))
    assert texts(fig, "part-0-label") == {"part-0-label": "Adam step"}
    start, end = fig.findobj(lambda a: a.get_gid() == "gradient-direction")[0]._posA_posB
    np.testing.assert_allclose(np.subtract(end, start), -0.1 * g)
    assert fig.findobj(lambda a: a.get_gid() == "contours")


def test_fresh_optimizer_uses_zero_state_and_drawing_is_deterministic():
    theta, g = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    (_, v0), _ = step_parts(SGD(0.1, momentum=0.9), theta, g)
    np.testing.assert_array_equal(v0, [0.0, 0.0])
    pngs = []
    for _ in range(2):
        buf = io.BytesIO()
        draw_optimizer_step(SGD(0.1, momentum=0.5), theta, g).savefig(buf, format="png", dpi=40)
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]


def test_rejects_bad_input():
    theta = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match="step_parts: expected a dlcourse optimizer, got str"):
        step_parts("sgd", theta, [1.0, 2.0])
    with pytest.raises(ValueError, match="expected an optimizer without weight decay, got weight_decay=0.1"):
        step_parts(AdamW(weight_decay=0.1), theta, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"expected grad of theta's shape \(2,\), got shape \(3,\)"):
        step_parts(SGD(), theta, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="expected theta as the NumPy array the optimizer updates, got list"):
        step_parts(SGD(), [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"draw_optimizer_step: expected theta of shape \(2,\)"):
        draw_optimizer_step(SGD(), np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="expected extent as"):
        draw_optimizer_step(SGD(), theta, [1.0, 1.0], extent=(1, 0, 0, 1))
    with pytest.raises(TypeError, match="expected surface as a callable"):
        draw_optimizer_step(SGD(), theta, [1.0, 1.0], surface=3)


def test_labels_use_the_chapters_symbol():
    fig = draw_optimizer_step(SGD(0.1), np.array([1.0, 2.0]), np.array([1.0, 1.0]), symbol="w")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "$w_0$ (parameter units)" and ax.get_ylabel() == "$w_1$ (parameter units)"
    assert {t.get_text() for t in ax.texts} >= {"$w^{(t)}$", "$w^{(t+1)}$"}
    with pytest.raises(TypeError, match="expected symbol as a non-empty TeX string, got 3"):
        draw_optimizer_step(SGD(0.1), np.array([1.0, 2.0]), np.array([1.0, 1.0]), symbol=3)
