"""Long-range sequence tasks: shapes, labels that really come from the far step, seeds, bad input."""
import numpy as np
import pytest

from dlcourse.data.sequences import make_adding_problem, make_recall_first


def test_recall_first_label_is_the_first_symbol_and_later_steps_are_distractors():
    x, y = make_recall_first(n=500, length=12, vocab=3, seed=0)
    assert x.shape == (500, 12, 3) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.sum(axis=-1), 1.0)                 # one-hot at every step
    np.testing.assert_array_equal(x[:, 0].argmax(axis=1), y)
    assert set(np.unique(y)) == {0, 1, 2}
    # the last step says nothing about the label: agreement near chance (1/3), not 1
    agree = np.mean(x[:, -1].argmax(axis=1) == y)
    assert 0.2 < agree < 0.47


def test_recall_first_is_seeded():
    a, b = make_recall_first(50, 7, seed=1), make_recall_first(50, 7, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], make_recall_first(50, 7, seed=2)[0])
    assert make_recall_first(5, 1, seed=0)[0].shape == (5, 1, 4)        # length 1: the label is the only step
    assert make_recall_first(5, 3, dtype="float64")[0].dtype == np.float64


def test_adding_problem_markers_and_target():
    x, y = make_adding_problem(n=400, length=9, seed=0)
    assert x.shape == (400, 9, 2) and y.shape == (400, 1) and y.dtype == np.float32
    marks = x[..., 1]
    np.testing.assert_array_equal(marks.sum(axis=1), 2.0)
    np.testing.assert_array_equal(marks[:, :4].sum(axis=1), 1.0)        # one in the first half (steps 0..3)
    np.testing.assert_array_equal(marks[:, 4:].sum(axis=1), 1.0)        # one in the second half
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(axis=1), rtol=1e-6)
    assert np.all((x[..., 0] >= 0) & (x[..., 0] < 1))
    # the baseline "always predict 1" has mean squared error near 1/6
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.03
    np.testing.assert_array_equal(make_adding_problem(400, 9, seed=0)[0], x)
    assert make_adding_problem(3, 2, seed=0)[0][..., 1].tolist() == [[1.0, 1.0]] * 3


@pytest.mark.parametrize("call, exc, text", [
    (lambda: make_recall_first(0), ValueError, "make_recall_first: expected n to be an int >= 1, got 0"),
    (lambda: make_recall_first(5, length=0), ValueError, "make_recall_first: expected length to be an int >= 1"),
    (lambda: make_recall_first(5, vocab=1), ValueError, "make_recall_first: expected vocab to be an int >= 2"),
    (lambda: make_recall_first(5.0), TypeError, "make_recall_first: expected n to be an int"),
    (lambda: make_recall_first(5, seed="0"), TypeError, "make_recall_first: expected seed"),
    (lambda: make_recall_first(5, dtype="int32"), TypeError, "make_recall_first"),
    (lambda: make_adding_problem(5, length=1), ValueError, "make_adding_problem: expected length to be an int >= 2"),
    (lambda: make_adding_problem(-1), ValueError, "make_adding_problem: expected n to be an int >= 1"),
    (lambda: make_adding_problem(5, length=True), TypeError, "make_adding_problem: expected length to be an int"),
])
def test_generators_reject_bad_arguments(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
