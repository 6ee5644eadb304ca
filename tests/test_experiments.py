"""over_seeds: the statistics are NumPy's, per entry for array results, and bad input fails clearly."""
from __future__ import annotations

import numpy as np
import pytest

from dlcourse.experiments import SeedResult, over_seeds


def test_scalar_results_give_mean_and_sample_std_as_floats():
    result = over_seeds(lambda seed: float(seed) ** 2, seeds=[1, 2, 3, 4])
    assert isinstance(result, SeedResult)
    assert result.seeds == (1, 2, 3, 4)
    np.testing.assert_array_equal(result.values, [1.0, 4.0, 9.0, 16.0])
    assert isinstance(result.mean, float) and isinstance(result.std, float)
    assert result.mean == 7.5
    # ddof=1: sqrt(sum((v - 7.5)^2) / 3)
    assert result.std == pytest.approx(np.sqrt((6.5**2 + 3.5**2 + 1.5**2 + 8.5**2) / 3), rel=1e-12)


def test_array_results_are_summarized_per_entry():
    # one run returns one accuracy per setting; the statistics must not mix settings
    result = over_seeds(lambda seed: [seed, -seed, 5.0], seeds=range(4))
    assert result.values.shape == (4, 3)
    np.testing.assert_allclose(result.mean, [1.5, -1.5, 5.0])
    np.testing.assert_allclose(result.std, [np.std([0, 1, 2, 3], ddof=1)] * 2 + [0.0])


def test_default_is_five_seeds_each_run_once_in_order():
    calls = []
    result = over_seeds(lambda seed: calls.append(seed) or 0.0)
    assert calls == [0, 1, 2, 3, 4]
    assert result.seeds == (0, 1, 2, 3, 4)


def test_numpy_integer_seeds_are_accepted_and_stored_as_int():
    result = over_seeds(lambda seed: seed, seeds=np.arange(3))
    assert result.seeds == (0, 1, 2) and all(type(s) is int for s in result.seeds)


def test_format_prints_mean_and_spread():
    assert str(over_seeds(lambda s: s, seeds=[0, 2])) == "1 ± 1.41 (mean ± sd over 2 seeds)"
    assert over_seeds(lambda s: [s, 2 * s], seeds=[0, 2]).format(".1f") == \
        "[1.0 ± 1.4, 2.0 ± 2.8] (mean ± sd over 2 seeds)"


@pytest.mark.parametrize("fn, seeds, error, message", [
    (42, range(3), TypeError, "expected fn to be a callable fn(seed), got int"),
    (lambda s: s, 5, TypeError, "expected seeds as an iterable of ints, got int"),
    (lambda s: s, [0, 1.5], TypeError, "expected every seed to be an int, got float 1.5"),
    (lambda s: s, [True, False], TypeError, "expected every seed to be an int, got bool"),
    (lambda s: s, [3], ValueError, "expected at least 2 seeds (a standard deviation needs two runs), got 1"),
    (lambda s: s, [1, 2, 1], ValueError, "expected distinct seeds (a repeated seed repeats the same run), got [1, 2, 1]"),
    (lambda s: "0.9", range(2), TypeError, "fn(seed=0): expected a number or an array of numbers, got str"),
    (lambda s: None, range(2), TypeError, "fn(seed=0): expected a number or an array of numbers, got NoneType"),
    (lambda s: [[1.0], [2.0, 3.0]], range(2), TypeError, "fn(seed=0): expected a number or an array of numbers, got list"),
    (lambda s: [0.0] * (s + 1), range(2), ValueError,
     "fn(seed=1): expected a result of shape (1,) like the first seed's, got shape (2,)"),
    (lambda s: np.nan if s == 1 else 0.5, range(3), ValueError, "fn(seed=1): expected finite values, got nan"),
])
def test_bad_input_raises_a_clear_error(fn, seeds, error, message):
    with pytest.raises(error) as info:
        over_seeds(fn, seeds=seeds)
    assert str(info.value).startswith("over_seeds")
    assert message in str(info.value)


def test_a_failing_seed_stops_before_later_seeds_run():
    calls = []

    def fn(seed):
        calls.append(seed)
        return np.inf if seed == 1 else 0.0

    with pytest.raises(ValueError, match="seed=1"):
        over_seeds(fn, seeds=range(4))
    assert calls == [0, 1]
