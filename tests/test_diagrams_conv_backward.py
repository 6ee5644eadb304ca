"""draw_conv_backward: the picture must show what Conv2D.backward computes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.diagrams import texts  # noqa: E402
from dlcourse.diagrams.conv_backward import draw_conv_backward, full_grid  # noqa: E402
from dlcourse.layers import Conv2D, Dense  # noqa: E402


@pytest.mark.parametrize("strides, padding", [(1, "valid"), (2, "valid"), (1, "same"), (2, "same")])
def test_every_drawn_input_gradient_is_conv2d_backward(strides, padding):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 6))
    conv = Conv2D(1, 1, 3, strides=strides, padding=padding, seed=1, dtype="float64")
    out = conv.forward(x[None, :, :, None])
    g = rng.normal(size=out.shape[1:3])
    dx = conv.backward(g[None, :, :, None])[0, :, :, 0]
    fig = draw_conv_backward(x, conv, g, position=(2, 3))
    shown = texts(fig, "dx-") | {"dx-2-3-text": texts(fig, "output-cell-text")["output-cell-text"]}
    assert len(shown) == x.size
    for (r, c), v in np.ndenumerate(dx):
        assert shown[f"dx-{r}-{c}-text"] == f"{v:.2f}"
    plt.close(fig)


def test_window_times_flipped_kernel_is_the_highlighted_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 4))
    conv = Conv2D(1, 1, 2, strides=2, seed=3, dtype="float64")
    g = rng.normal(size=(2, 2))
    fig = draw_conv_backward(x, conv, g, position=(3, 1))
    flipped = conv.params["kernel"][::-1, ::-1, 0, 0]
    drawn = texts(fig, "flipped-")
    assert all(drawn[f"flipped-{i}-{j}-text"] == f"{v:.2f}" for (i, j), v in np.ndenumerate(flipped))
    grid = full_grid(g, (2, 2), (2, 2), (4, 4))
    window = fig.axes[0].findobj(lambda a: a.get_gid() == "window")[0]
    r0, c0 = int(-window.get_y() - 2), int(window.get_x())
    assert (r0, c0) == (3, 1)
    expected = np.sum(grid[r0:r0 + 2, c0:c0 + 2] * flipped)
    assert texts(fig, "output-cell-text")["output-cell-text"] == f"{expected:.2f}"
    # the upstream entries sit one stride apart; everything else is a zero
    assert len(texts(fig, "grad-")) == g.size and len(texts(fig, "zero-")) == grid.size - g.size
    plt.close(fig)


def test_drawing_leaves_the_layer_cache_and_gradients_alone():
    conv = Conv2D(1, 1, 2, seed=0, dtype="float64")
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    conv.forward(x)
    dx_before = conv.backward(np.ones((1, 2, 2, 1)))
    before = conv.grads["kernel"].copy()
    plt.close(draw_conv_backward(np.zeros((4, 4)), conv, np.full((3, 3), 5.0)))  # another input size
    np.testing.assert_array_equal(conv.grads["kernel"], before)
    np.testing.assert_array_equal(conv.backward(np.ones((1, 2, 2, 1))), dx_before)  # still the 3x3 forward's cache
    np.testing.assert_array_equal(conv.grads["kernel"], before)


def test_full_grid_places_the_gradient_one_stride_apart():
    grid = full_grid(np.array([[1.0, 2.0]]), (1, 3), (1, 2), (1, 5))
    np.testing.assert_array_equal(grid, [[0, 0, 1, 0, 2, 0, 0]])


def test_bad_input_is_rejected():
    conv = Conv2D(1, 1, 2, seed=0)
    with pytest.raises(TypeError, match="Conv2D"):
        draw_conv_backward(np.zeros((3, 3)), Dense(2, 2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one input channel"):
        draw_conv_backward(np.zeros((3, 3)), Conv2D(2, 1, 2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="output's shape"):
        draw_conv_backward(np.zeros((3, 3)), conv, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="position"):
        draw_conv_backward(np.zeros((3, 3)), conv, np.zeros((2, 2)), position=(3, 0))
    with pytest.raises(ValueError, match="does not fit"):
        full_grid(np.zeros((3, 3)), (2, 2), (1, 1), (3, 3))
    with pytest.raises(ValueError, match="finite"):
        draw_conv_backward(np.zeros((3, 3)), conv, np.full((2, 2), np.nan))
