"""Tests on crime counts: two observed counts compared, a count against a baseline (Poisson or negative binomial),
and multiple-comparison adjustment. Named `tests` for statistical tests; the unit tests are tests/test_stats_*.py.

All thresholds come from tasks.stats.thresholds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from tasks.stats import thresholds as T


@dataclass(frozen=True)
class CountComparison:
    now: int
    before: int
    rate_ratio: float        # (now / before) / exposure_ratio; inf when before is 0, nan when both are 0
    ci_low: float            # CONFIDENCE interval for the rate ratio (Clopper-Pearson, exact)
    ci_high: float
    p_value: float           # two-sided unless `alternative` said otherwise
    method: str


@dataclass(frozen=True)
class Exceedance:
    count: int
    expected: float          # baseline mean
    upper_95: float          # smallest count with P(X <= it) >= 0.95 under the baseline distribution
    p_value: float           # P(X >= count), one-sided: is the count higher than the baseline explains?
    dispersion: float        # baseline variance / mean (1 for Poisson); nan with fewer than 2 months
    overdispersed: bool
    method: str


COMPARE_METHOD = ("exact conditional binomial test of two Poisson counts (given their total), with a "
                  "Clopper-Pearson {level:.0%} interval for the rate ratio")


def compare_counts(now: int, before: int, exposure_ratio: float = 1.0,
                   alternative: str = "two-sided") -> CountComparison:
    """Compare two observed counts (e.g. this month and the same month a year earlier) as two Poisson counts.

    Given the total n = now + before, `now` is Binomial(n, p) with p = R*E / (R*E + 1), R the rate ratio and E the
    exposure ratio (exposure of `now` over exposure of `before`: months, or population). Under R = 1,
    p0 = E / (1 + E). The p-value is scipy's exact binomial test; the interval for R maps the Clopper-Pearson
    interval for p through R = p / ((1 - p) E).
    """
    if now < 0 or before < 0 or int(now) != now or int(before) != before:
        raise ValueError(f"compare_counts needs two non-negative whole counts, got now={now!r}, before={before!r}")
    if not exposure_ratio > 0 or not math.isfinite(exposure_ratio):
        raise ValueError(f"compare_counts needs a positive exposure ratio, got {exposure_ratio!r}")
    now, before = int(now), int(before)
    method = COMPARE_METHOD.format(level=T.CONFIDENCE)
    total = now + before
    if total == 0:
        return CountComparison(now, before, math.nan, 0.0, math.inf, 1.0, method + "; no crimes in either period")
    p0 = exposure_ratio / (1.0 + exposure_ratio)
    result = stats.binomtest(now, total, p0, alternative=alternative)
    ci = result.proportion_ci(confidence_level=T.CONFIDENCE, method="exact")

    def ratio(p: float) -> float:
        return math.inf if p >= 1.0 else p / ((1.0 - p) * exposure_ratio)

    rate_ratio = math.inf if before == 0 else (now / before) / exposure_ratio
    return CountComparison(now, before, rate_ratio, ratio(ci.low), ratio(ci.high), float(result.pvalue), method)


def dispersion_test(baseline: Sequence[float]) -> tuple[float, float]:
    """Index-of-dispersion test: D = sum((x - mean)^2) / mean ~ chi-squared(n - 1) under Poisson.
    Returns (variance / mean, one-sided p-value for over-dispersion); (nan, nan) when it cannot be computed."""
    x = np.asarray(baseline, dtype=float)
    if x.size < 2 or x.mean() <= 0:
        return math.nan, math.nan
    mean = x.mean()
    statistic = ((x - mean) ** 2).sum() / mean
    return float(x.var(ddof=1) / mean), float(stats.chi2.sf(statistic, x.size - 1))


def exceedance(count: int, baseline: Sequence[float]) -> Exceedance:
    """How surprising `count` is against a baseline of monthly counts.

    Poisson with the baseline mean, unless the index-of-dispersion test finds the baseline over-dispersed (at
    DISPERSION_ALPHA, with at least MIN_BASELINE_FOR_DISPERSION months): then a negative binomial with the
    baseline mean and variance (method of moments: size = mean^2 / (variance - mean)).
    """
    x = np.asarray([v for v in baseline if v is not None and not (isinstance(v, float) and math.isnan(v))], dtype=float)
    if x.size == 0:
        raise ValueError("exceedance needs at least one baseline month")
    if count < 0:
        raise ValueError(f"exceedance needs a non-negative count, got {count!r}")
    mean = float(x.mean())
    if mean == 0:
        mean = T.ZERO_BASELINE_COUNT / x.size
    dispersion, dispersion_p = dispersion_test(x)
    overdispersed = (x.size >= T.MIN_BASELINE_FOR_DISPERSION and not math.isnan(dispersion_p)
                     and dispersion_p < T.DISPERSION_ALPHA and dispersion > 1.0)
    if overdispersed:
        variance = float(x.var(ddof=1))
        size = mean * mean / (variance - mean)
        distribution = stats.nbinom(size, size / (size + mean))
        method = (f"negative binomial (method of moments, variance/mean {dispersion:.1f}) over a {x.size}-month "
                  f"baseline, over-dispersed by the index-of-dispersion test (p = {dispersion_p:.3g})")
    else:
        distribution = stats.poisson(mean)
        tested = "" if math.isnan(dispersion_p) else f"; not over-dispersed by the index-of-dispersion test (p = {dispersion_p:.3g})"
        if x.size < T.MIN_BASELINE_FOR_DISPERSION and not math.isnan(dispersion_p):
            tested = f"; baseline too short (< {T.MIN_BASELINE_FOR_DISPERSION} months) to test dispersion"
        method = f"Poisson with the mean of a {x.size}-month baseline{tested}"
    p_value = 1.0 if count <= 0 else float(distribution.sf(count - 1))
    upper = float(distribution.ppf(T.CONFIDENCE))
    return Exceedance(int(count), mean, upper, p_value, dispersion, bool(overdispersed), method)


def exceedance_flag(p_value: float | None, count: int | None = None, baseline_break: bool = False) -> str:
    """The call a product makes from an (adjusted) exceedance p-value: 'exceptional', 'elevated',
    'within expected range', 'insufficient baseline', or 'break in baseline' when the baseline holds a level
    shift or recording break (a changed series is never called exceptional)."""
    if baseline_break:
        return "break in baseline"
    if p_value is None or (isinstance(p_value, float) and math.isnan(p_value)):
        return "insufficient baseline"
    if count is not None and count < T.MIN_COUNT_TO_FLAG:
        return "within expected range"
    if p_value < T.EXCEPTIONAL_P:
        return "exceptional"
    if p_value < T.ELEVATED_P:
        return "elevated"
    return "within expected range"


ADJUST_LABELS = {
    "fdr_bh": "Benjamini-Hochberg false discovery rate",
    "holm": "Holm step-down (family-wise error)",
    "bonferroni": "Bonferroni (family-wise error)",
}


def adjustment_label(method: str = T.MULTIPLE_COMPARISONS) -> str:
    """The method's name for a product's methods text."""
    if method not in ADJUST_LABELS:
        raise ValueError(f"unknown multiple-comparison method {method!r}; use one of {sorted(ADJUST_LABELS)}")
    return ADJUST_LABELS[method]


def adjust(p_values: Sequence[float], method: str = T.MULTIPLE_COMPARISONS,
           alpha: float = T.ALPHA) -> tuple[list[bool], list[float]]:
    """Adjust a family of p-values (crime types, or areas) for multiple comparisons (statsmodels multipletests).

    Returns (reject at `alpha`, adjusted p-values) in the input order. Missing p-values (None/NaN) are left out of
    the family and come back as (False, nan). Method names: 'fdr_bh' (default), 'holm', 'bonferroni'; the label
    for methods text is adjustment_label(method).
    """
    from statsmodels.stats.multitest import multipletests

    adjustment_label(method)
    values = [math.nan if v is None else float(v) for v in p_values]
    present = [i for i, v in enumerate(values) if not math.isnan(v)]
    reject = [False] * len(values)
    adjusted = [math.nan] * len(values)
    if present:
        r, p, _, _ = multipletests([values[i] for i in present], alpha=alpha, method=method)
        for i, ri, pi in zip(present, r, p):
            reject[i], adjusted[i] = bool(ri), float(pi)
    return reject, adjusted
