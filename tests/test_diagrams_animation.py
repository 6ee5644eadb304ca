"""The animations: offline HTML (no outside URL), stable ids, frames drawn from the layer's own forward pass."""
from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse.diagrams import conv_animation, descent_animation  # noqa: E402
from dlcourse.diagrams.animation import to_offline_html  # noqa: E402
from dlcourse.layers import Conv2D  # noqa: E402

X = np.arange(16, dtype=np.float32).reshape(4, 4) / 10


def _frames(html):
    return re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]*)"', html.replace("\\\n", ""))


@pytest.fixture(scope="module")
def conv_players():
    conv = Conv2D(1, 1, 3, seed=0)
    return conv, conv_animation(X, conv, name="slide"), conv_animation(X, conv, name="slide")


def test_conv_animation_has_one_frame_per_output_cell_and_is_deterministic(conv_players):
    conv, first, second = conv_players
    out = conv.forward(X[None, :, :, None])
    assert first.frames == out.shape[1] * out.shape[2] == 4
    assert len(_frames(first.html)) == 4
    assert first.html == second.html  # same HTML on every run: nbval can compare it
    assert repr(first) == f"JSAnimation('slide', 4 frames, {first.size / 1e6:.2f} MB)"
    assert first._repr_html_() is first.html


def test_conv_animation_frames_differ_and_are_pngs(conv_players):
    _, player, _ = conv_players
    frames = [base64.b64decode(f) for f in _frames(player.html)]
    assert all(f.startswith(b"\x89PNG") for f in frames)
    assert len(set(frames)) == len(frames)  # the window moves on every frame


def test_player_is_offline_with_stable_ids_and_text_buttons(conv_players):
    _, player, _ = conv_players
    html = player.html
    assert not re.search(r"https?://", html), re.findall(r"https?://\S+", html)[:3]
    assert "font-awesome" not in html and '<i class="fa' not in html
    assert 'id="_anim_imgslide"' in html and "animslide = new Animation" in html
    assert not re.search(r"[0-9a-f]{32}", html)  # no random uuid left
    for title in ("Play", "Pause", "Next frame", "First frame"):
        assert f'title="{title}"' in html


def test_descent_animation_draws_each_path_up_to_the_step():
    paths = {"small": np.linspace([0, 0], [0.5, 0.5], 11), "large": np.linspace([0, 0], [1, -1], 11)}
    player = descent_animation(lambda a, b: a ** 2 + 4 * b ** 2 + 0.1, paths, (-2, 2, -2, 2), minimum=(0, 0),
                               frames=6, name="gd")
    assert player.frames == 6 and 'id="_anim_imggd"' in player.html
    assert not re.search(r"https?://", player.html)
    frames = [base64.b64decode(f) for f in _frames(player.html)]
    assert len(set(frames)) == 6


def test_animations_reject_bad_input():
    conv = Conv2D(1, 1, 3, seed=0)
    with pytest.raises(ValueError, match="conv_animation: expected name to be an identifier"):
        conv_animation(X, conv, name="conv-slide")
    with pytest.raises(ValueError, match="draw_conv: expected a Conv2D with c_in=1"):
        conv_animation(X, Conv2D(2, 1, 3, seed=0))
    with pytest.raises(ValueError, match=r"descent_animation: expected every path of the same shape \(steps \+ 1, 2\)"):
        descent_animation(lambda a, b: a + b, {"a": np.zeros((3, 2)), "b": np.zeros((4, 2))}, (0, 1, 0, 1))
    with pytest.raises(ValueError, match="descent_animation: expected xmin < xmax"):
        descent_animation(lambda a, b: a + b, {"a": np.zeros((3, 2))}, (1, 0, 0, 1))
    with pytest.raises(ValueError, match="descent_animation: expected loss to return finite values"):
        descent_animation(lambda a, b: np.where(a > 0, np.inf, b), {"a": np.zeros((3, 2))}, (-1, 1, -1, 1))
    with pytest.raises(TypeError, match="descent_animation: expected paths as a non-empty dict"):
        descent_animation(lambda a, b: a + b, [np.zeros((3, 2))], (0, 1, 0, 1))
    plt.close("all")


def test_a_changed_matplotlib_template_is_reported_not_shipped():
    class Fake:
        _fig = plt.figure()

        def to_jshtml(self, fps, default_mode):
            return '<div class="animation"><img id="_anim_imgabc"></div>'
    with pytest.raises(RuntimeError, match="to_offline_html: matplotlib's to_jshtml template changed"):
        to_offline_html(Fake(), "x")
