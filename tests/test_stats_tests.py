"""tasks.stats.tests: two-count comparison, exceedance (Poisson / negative binomial), multiple comparisons.
Checked against scipy and statsmodels, on real City of London counts where counts are compared."""
from __future__ import annotations

import csv
import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from tasks.stats import thresholds as T
from tasks.stats.tests import adjust, adjustment_label, compare_counts, exceedance, exceedance_flag

from shared_paths import CITY_OF_LONDON


@pytest.fixture(scope="module")
def city_counts() -> Counter:
    """(month, crime type) -> crimes, read from the published street files with the csv module."""
    counts: Counter = Counter()
    for path in sorted(CITY_OF_LONDON.glob("*-street.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                counts[(row["Month"], row["Crime type"])] += 1
    assert counts, f"no street files under {CITY_OF_LONDON}"
    return counts


def _clopper_pearson_ratio(now: int, before: int, exposure: float, level: float) -> tuple[float, float]:
    n = now + before
    alpha = 1 - level
    low = 0.0 if now == 0 else stats.beta.ppf(alpha / 2, now, n - now + 1)
    high = 1.0 if now == n else stats.beta.ppf(1 - alpha / 2, now + 1, n - now)
    to_ratio = lambda p: math.inf if p >= 1 else p / ((1 - p) * exposure)  # noqa: E731
    return to_ratio(low), to_ratio(high)


@pytest.mark.parametrize("crime_type", ["Shoplifting", "Theft from the person", "Robbery", "Anti-social behaviour"])
def test_compare_counts_matches_scipy_on_real_counts(city_counts, crime_type):
    months = sorted({m for m, _ in city_counts})
    latest, year_before = months[-1], months[-13]
    now, before = city_counts[(latest, crime_type)], city_counts[(year_before, crime_type)]
    result = compare_counts(now, before)
    expected = stats.binomtest(now, now + before, 0.5)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    low, high = _clopper_pearson_ratio(now, before, 1.0, T.CONFIDENCE)
    assert result.ci_low == pytest.approx(low, rel=1e-9)
    assert result.ci_high == pytest.approx(high, rel=1e-9)
    assert result.rate_ratio == pytest.approx(now / before)
    assert result.ci_low <= result.rate_ratio <= result.ci_high
    # The interval and the test agree: 1 lies outside the 95% interval exactly when p < 0.05.
    assert (result.p_value < 0.05) == (not result.ci_low <= 1.0 <= result.ci_high) or abs(result.p_value - 0.05) < 0.01


def test_compare_counts_with_exposure_ratio(city_counts):
    """Three months against the twelve before them: exposure ratio 3/12."""
    months = sorted({m for m, _ in city_counts})
    now = sum(city_counts[(m, "Shoplifting")] for m in months[-3:])
    before = sum(city_counts[(m, "Shoplifting")] for m in months[-15:-3])
    result = compare_counts(now, before, exposure_ratio=3 / 12)
    assert result.p_value == pytest.approx(stats.binomtest(now, now + before, (3 / 12) / (1 + 3 / 12)).pvalue, abs=1e-12)
    assert result.rate_ratio == pytest.approx((now / 3) / (before / 12))
    low, high = _clopper_pearson_ratio(now, before, 3 / 12, T.CONFIDENCE)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)


def test_compare_counts_a_rise_from_one_count_is_not_significant():
    """12 against 6 looks like a doubling; as two observed counts it is not significant at 5%."""
    result = compare_counts(12, 6)
    assert result.rate_ratio == 2.0
    assert result.p_value > 0.05
    assert result.ci_low < 1.0 < result.ci_high
    assert "conditional binomial" in result.method


def test_compare_counts_edges():
    none = compare_counts(0, 0)
    assert none.p_value == 1.0 and math.isnan(none.rate_ratio)
    from_zero = compare_counts(9, 0)
    assert from_zero.rate_ratio == math.inf and from_zero.ci_high == math.inf and from_zero.ci_low > 0
    to_zero = compare_counts(0, 9)
    assert to_zero.rate_ratio == 0 and to_zero.ci_low == 0
    with pytest.raises(ValueError, match="non-negative whole counts"):
        compare_counts(-1, 3)
    with pytest.raises(ValueError, match="positive exposure ratio"):
        compare_counts(1, 3, exposure_ratio=0)


def test_exceedance_poisson_when_baseline_is_not_overdispersed():
    baseline = [20, 22, 18, 21, 19, 20, 23, 17, 20, 21, 19, 20]
    result = exceedance(32, baseline)
    assert not result.overdispersed
    assert result.expected == pytest.approx(20.0)
    assert result.p_value == pytest.approx(stats.poisson.sf(31, 20.0))
    assert result.upper_95 == stats.poisson.ppf(0.95, 20.0)
    assert result.method.startswith("Poisson") and "index-of-dispersion" in result.method


def test_exceedance_negative_binomial_when_baseline_is_overdispersed():
    baseline = [10, 35, 18, 42, 12, 30, 8, 40, 22, 15, 38, 20]
    mean, var = np.mean(baseline), np.var(baseline, ddof=1)
    result = exceedance(45, baseline)
    assert result.overdispersed
    assert result.dispersion == pytest.approx(var / mean)
    size = mean ** 2 / (var - mean)
    assert result.p_value == pytest.approx(stats.nbinom.sf(44, size, size / (size + mean)))
    # The over-dispersed baseline makes 45 far less surprising than a Poisson with the same mean would.
    assert result.p_value > 20 * stats.poisson.sf(44, mean)
    assert result.upper_95 > stats.poisson.ppf(0.95, mean)
    assert "negative binomial" in result.method and "index-of-dispersion" in result.method


def test_exceedance_overdispersion_detected_at_the_nominal_rate():
    """Poisson baselines are called over-dispersed about DISPERSION_ALPHA of the time; strongly NB ones mostly."""
    rng = np.random.default_rng(11)
    poisson_calls = np.mean([exceedance(30, rng.poisson(30, 12)).overdispersed for _ in range(400)])
    assert poisson_calls < 2 * T.DISPERSION_ALPHA
    nb_calls = np.mean([exceedance(30, rng.negative_binomial(4, 4 / 34, 12)).overdispersed for _ in range(200)])
    assert nb_calls > 0.9


def test_exceedance_edges():
    assert exceedance(0, [3, 4]).p_value == 1.0
    zeros = exceedance(1, [0] * 12)
    assert zeros.expected == pytest.approx(T.ZERO_BASELINE_COUNT / 12) and 0 < zeros.p_value < 0.1
    with pytest.raises(ValueError, match="at least one baseline month"):
        exceedance(3, [])


def test_exceedance_flag_uses_thresholds():
    assert exceedance_flag(0.001, 40) == "exceptional"
    assert exceedance_flag(0.03, 40) == "elevated"
    assert exceedance_flag(0.2, 40) == "within expected range"
    assert exceedance_flag(0.001, T.MIN_COUNT_TO_FLAG - 1) == "within expected range"
    assert exceedance_flag(0.001, 40, baseline_break=True) == "break in baseline"
    assert exceedance_flag(float("nan")) == "insufficient baseline"


@pytest.mark.parametrize("method", ["fdr_bh", "holm"])
def test_adjust_matches_statsmodels(method):
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.5, 0.9, 0.012, 0.02, 0.3, 0.049]
    reject, adjusted = adjust(p, method=method)
    expected_reject, expected_adjusted, _, _ = multipletests(p, alpha=T.ALPHA, method=method)
    assert reject == list(expected_reject)
    assert adjusted == pytest.approx(list(expected_adjusted))
    assert 0 < sum(reject) < len(p)


def test_adjust_default_is_benjamini_hochberg_and_skips_missing():
    reject, adjusted = adjust([0.01, None, float("nan"), 0.04])
    expected = multipletests([0.01, 0.04], method="fdr_bh")[1]
    assert adjusted[0] == pytest.approx(expected[0]) and adjusted[3] == pytest.approx(expected[1])
    assert math.isnan(adjusted[1]) and math.isnan(adjusted[2]) and reject[1] is False
    assert adjustment_label() == "Benjamini-Hochberg false discovery rate"
    with pytest.raises(ValueError, match="unknown multiple-comparison method"):
        adjust([0.1], method="sidak-ish")
