"""draw_softmax_cross_entropy shows the numbers dlcourse computes: softmax, the loss, the gradient p - y."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlcourse import activations, losses  # noqa: E402
from dlcourse.diagrams._style import find, texts  # noqa: E402
from dlcourse.diagrams.loss import draw_softmax_cross_entropy  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


Z = np.array([1.2, -0.3, 0.5, 2.0])


def _number(text):
    return float(text.rsplit("= ", 1)[1])


def test_numbers_are_softmax_loss_and_gradient():
    fig = draw_softmax_cross_entropy(Z, label=2)
    p = np.exp(Z - Z.max()) / np.exp(Z - Z.max()).sum()
    probs = texts(fig, "prob-")
    assert [_number(probs[f"prob-{k}-text"]) for k in range(4)] == [round(v, 2) for v in p]
    assert _number(texts(fig, "loss-text")["loss-text"]) == round(-np.log(p[2]), 2)
    y = np.eye(4)[2]
    grads = texts(fig, "grad-")
    assert [_number(grads[f"grad-{k}"]) for k in range(4)] == [round(v, 2) for v in p - y]
    assert [_number(texts(fig, f"logit-{k}-text")[f"logit-{k}-text"]) for k in range(4)] == list(Z)


def test_the_library_agrees_and_the_true_class_is_highlighted():
    fig = draw_softmax_cross_entropy(Z, label=1)
    loss = losses.CategoricalCrossentropy(from_logits=True)(np.eye(4)[[1]], Z[None])
    assert texts(fig, "loss-text")["loss-text"].endswith(f"= {float(loss):.2f}")
    assert texts(fig, "prob-1-text")["prob-1-text"].endswith(f"{activations.softmax(Z[None])[0, 1]:.2f}")
    colors = {k: find(fig, f"prob-{k}")[0].get_facecolor() for k in range(4)}
    assert colors[1] != colors[0] and colors[0] == colors[2] == colors[3]
    assert len(find(fig, "edge-loss")) == 1 and len([k for k in range(4) if find(fig, f"logit-{k}")]) == 4


def test_deterministic():
    pngs = []
    for _ in range(2):
        buf = io.BytesIO()
        draw_softmax_cross_entropy(Z, label=0).savefig(buf, format="png", dpi=40)
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="expected at least 2 logits, got 1"):
        draw_softmax_cross_entropy([1.0], 0)
    with pytest.raises(ValueError, match=r"expected label in 0\.\.3, got 4"):
        draw_softmax_cross_entropy(Z, 4)
    with pytest.raises(TypeError, match="expected label as an int class index, got float"):
        draw_softmax_cross_entropy(Z, 1.0)
    with pytest.raises(ValueError, match="expected logits as a 1-D array"):
        draw_softmax_cross_entropy(np.ones((2, 2)), 0)


def test_loss_names_the_true_class_c_as_the_chapter_does():
    assert texts(draw_softmax_cross_entropy(Z, label=3), "loss-text")["loss-text"].startswith(r"$\ell = -\log p_c$, $c$ = 3")
