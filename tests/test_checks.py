"""dlcourse._checks with odd input: every helper answers with *our* error, never NumPy's.

Each helper is called by every module, so its contract is tested once, here: on any input it
either returns (valid input, unchanged behavior) or raises ``TypeError``/``ValueError`` whose
message starts with the caller's ``where``. The property-based tests draw the odd input with
hypothesis (ragged lists, None, strings, nested tuples, complex numbers, object arrays, ...).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlcourse import _checks

WHERE = "Layer.forward"

# Anything a learner might pass by mistake: scalars, strings, None, and lists/tuples of them (often ragged).
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.integers(2**1024, 2**1030),
                    st.floats(), st.text(max_size=3),
                    st.complex_numbers(max_magnitude=1e3))
anything = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner), max_leaves=8)
ragged = st.lists(st.lists(st.integers(0, 9), max_size=3), min_size=2, max_size=4).filter(
    lambda rows: len({len(r) for r in rows}) > 1)


def ours_or_returns(helper, *args, **kwargs):
    """Call ``helper``; a raised error must be a TypeError/ValueError naming ``WHERE``."""
    try:
        return helper(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        assert str(exc).startswith(f"{WHERE}:"), f"{type(exc).__name__} not in our style: {exc}"
        return exc


@settings(max_examples=150, deadline=None)
@given(anything)
@example([[1, 2], [3]])
@example(None)
@example(["a", 1])
def test_every_helper_answers_odd_input_with_our_error(value):
    arr = value if isinstance(value, np.ndarray) else None
    ours_or_returns(_checks.as_array, value, WHERE)
    ours_or_returns(_checks.as_float_array, value, WHERE)
    ours_or_returns(_checks.check_finite, value, WHERE)
    ours_or_returns(_checks.check_int_array, value, WHERE, low=0, high=5)
    ours_or_returns(_checks.check_ndim, value if arr is None else arr, 2, WHERE)
    ours_or_returns(_checks.check_positive_int, value, WHERE, "units")
    ours_or_returns(_checks.check_positive_float, value, WHERE, "learning_rate")
    ours_or_returns(_checks.check_l2_factor, value, WHERE)
    ours_or_returns(_checks.as_rng, value, WHERE)
    if isinstance(value, (str, type(None))) or not isinstance(value, (list, tuple)):
        ours_or_returns(_checks.check_float_dtype, value, WHERE)


@settings(max_examples=60, deadline=None)
@given(ragged)
def test_check_int_array_refuses_ragged_lists(rows):
    with pytest.raises(TypeError, match=rf"^{WHERE}: expected integer ids/labels, got list \(.*inhomogeneous"):
        _checks.check_int_array(rows, WHERE, low=0, high=10)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.lists(st.text(min_size=1, max_size=2), min_size=1, max_size=4),
                 st.lists(st.none(), min_size=1, max_size=3)))
def test_check_finite_refuses_non_numeric_arrays(values):
    with pytest.raises(TypeError, match=rf"^{WHERE}: expected a numeric array, got array of shape"):
        _checks.check_finite(np.array(values), WHERE)


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=8).filter(lambda s: _is_not_a_dtype(s)))
def test_check_float_dtype_refuses_unknown_names(name):
    with pytest.raises(TypeError, match=rf"^{WHERE}: expected a floating dtype such as 'float32', got "):
        _checks.check_float_dtype(name, WHERE)


def _is_not_a_dtype(name: str) -> bool:
    try:
        np.dtype(name)
    except (TypeError, ValueError, SyntaxError):  # NumPy parses a name with a comma as a Python expression
        return True
    return False


@pytest.mark.parametrize("name", [",", ",,", ",f4"])
def test_check_float_dtype_refuses_comma_strings_with_our_error(name):
    # np.dtype(",") raises SyntaxError from its parser of comma-separated field lists
    with pytest.raises(TypeError, match=rf"^{WHERE}: expected a floating dtype such as 'float32', got "):
        _checks.check_float_dtype(name, WHERE)


@settings(max_examples=40, deadline=None)
@given(st.integers(max_value=-1))
def test_as_rng_refuses_negative_seeds_by_name(seed):
    with pytest.raises(ValueError, match=rf"^{WHERE}: expected seed to be an int >= 0, got {seed}$"):
        _checks.as_rng(seed, WHERE)
    with pytest.raises(ValueError, match=rf"^seed: expected seed to be an int >= 0, got {seed}$"):
        _checks.as_rng(seed)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf")), st.just(-np.inf)))
def test_check_positive_float_refuses_non_positive_and_non_finite(value):
    with pytest.raises(ValueError, match=rf"^{WHERE}: expected learning_rate to be a finite number > 0, got "):
        _checks.check_positive_float(value, WHERE, "learning_rate")


def test_check_ndim_refuses_a_list_instead_of_an_array():
    with pytest.raises(TypeError, match=rf"^{WHERE}: expected a 2-D array, got list$"):
        _checks.check_ndim([[1.0, 2.0]], 2, WHERE)


def test_valid_input_behaves_as_before():
    x32 = np.ones((2, 3), np.float32)
    assert _checks.as_float_array(x32, WHERE) is x32
    assert _checks.as_float_array(np.arange(3), WHERE).dtype == np.float32
    np.testing.assert_array_equal(_checks.check_int_array([0.0, 2.0, 4.0], WHERE, low=0, high=5), [0, 2, 4])
    assert _checks.check_positive_int(np.int64(3), WHERE, "units") == 3
    assert _checks.check_positive_float(np.float32(0.5), WHERE, "learning_rate") == 0.5
    assert _checks.check_float_dtype(None, WHERE) == np.float32 and _checks.check_float_dtype("float64", WHERE) == np.float64
    assert _checks.check_l2_factor(0, WHERE) == 0.0 and _checks.check_l2_factor(None, WHERE) is None
    rng = np.random.default_rng(0)
    assert _checks.as_rng(rng, WHERE) is rng
    assert _checks.as_rng(0, WHERE).integers(1000) == np.random.default_rng(0).integers(1000)
    _checks.check_finite(np.array([1.0, 2.0j]), WHERE)  # complex is numeric, and finite
    _checks.check_ndim(x32, 2, WHERE)
    with pytest.raises(ValueError, match=rf"^{WHERE}: expected finite values, got 1 NaN/inf entries"):
        _checks.check_finite([1.0, np.nan], WHERE)  # a list is fine: converted, then checked


@settings(max_examples=30, deadline=None)
@given(st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=2), st.booleans()))
def test_load_tensorflow_refuses_bad_seeds_before_importing(seed):
    from dlcourse.tfsetup import load_tensorflow
    with pytest.raises((TypeError, ValueError), match=r"^load_tensorflow: expected seed to be None or an int >= 0, got "):
        load_tensorflow(seed)


@settings(max_examples=60, deadline=None)
@given(dtype=st.sampled_from([np.float32, np.float64]), n=st.integers(0, 300), where=st.integers(0, 299),
       bad=st.sampled_from([None, np.nan, np.inf, -np.inf]), huge=st.booleans(), strided=st.booleans())
def test_all_finite_finds_any_nan_or_inf_and_stays_silent_on_huge_finite_values(dtype, n, where, bad, huge, strided):
    """True exactly when no entry is NaN/inf, for huge entries whose squares overflow too, and without a warning."""
    x = np.ones(2 * n, dtype)[::2] if strided else np.ones(n, dtype)
    if huge and n:
        x[-1] = np.finfo(dtype).max  # its square overflows: the fast test fails, the exact one answers
    if bad is not None and n:
        x[where % n] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _checks.all_finite(x) == bool(np.isfinite(x).all())
        assert _checks.all_finite(x.reshape(1, -1, 1)) == bool(np.isfinite(x).all())
