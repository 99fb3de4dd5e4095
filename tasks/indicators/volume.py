"""Volume indicators: monthly counts and rates, change between periods, exceedance, seasonality.

Counting is SQL over the session's `scoped_street`; every test, threshold and break search is `tasks.stats`:
two observed counts are compared with the exact conditional test (`compare_counts`, with a rate-ratio interval),
a month against its baseline with `exceedance` (Poisson, or negative binomial when the baseline is over-dispersed),
p-values across crime types are adjusted (`adjust`), and a comparison whose months span a level shift or recording
break (`breaks_between`) is never called significant or exceptional.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from tasks.indicators.scope import IndicatorSession, Scope, add_months, session
from tasks.stats import thresholds as T
from tasks.stats.breaks import breaks_between
from tasks.stats.tests import adjust, compare_counts, exceedance_flag
from tasks.stats.tests import exceedance as exceedance_test

ALL_CRIME = "All crime"
EXCEPTIONAL_P = T.EXCEPTIONAL_P
ELEVATED_P = T.ELEVATED_P
BASELINE_MONTHS = 12

MONTHLY_VOLUMES_SQL = """
WITH months AS (
    SELECT CAST(unnest(generate_series(CAST($period_from AS DATE), CAST($period_to AS DATE), INTERVAL 1 MONTH)) AS DATE) AS month
),
types AS (SELECT unnest($crime_types) AS crime_type),
counts AS (
    SELECT month, crime_type, count(*) AS crimes FROM scoped_street
    WHERE month BETWEEN $period_from AND $period_to GROUP BY ALL
)
SELECT m.month, t.crime_type,
       CASE WHEN m.month IN (SELECT month FROM force_months) THEN coalesce(c.crimes, 0) END AS crimes,
       CAST($population AS DOUBLE) AS population
FROM months m CROSS JOIN types t LEFT JOIN counts c USING (month, crime_type)
ORDER BY m.month, t.crime_type
"""

WINDOW_COUNTS_SQL = """
WITH types AS (SELECT unnest($crime_types) AS crime_type),
counts AS (
    SELECT crime_type,
           count(*) FILTER (WHERE month BETWEEN $a_from AND $a_to) AS a,
           count(*) FILTER (WHERE month BETWEEN $b_from AND $b_to) AS b,
           count(*) FILTER (WHERE month BETWEEN $c_from AND $c_to) AS c
    FROM scoped_street GROUP BY crime_type
)
SELECT t.crime_type, coalesce(a, 0) AS a, coalesce(b, 0) AS b, coalesce(c, 0) AS c
FROM types t LEFT JOIN counts USING (crime_type) ORDER BY t.crime_type
"""

# Crimes per held month and crime type up to a month (zeros where none), for baselines and break searches.
MONTHLY_SERIES_SQL = """
WITH types AS (SELECT unnest($crime_types) AS crime_type),
counts AS (SELECT month, crime_type, count(*) AS crimes FROM scoped_street WHERE month <= $last GROUP BY ALL)
SELECT h.month, t.crime_type, coalesce(c.crimes, 0) AS crimes
FROM force_months h CROSS JOIN types t LEFT JOIN counts c USING (month, crime_type)
WHERE h.month <= $last ORDER BY h.month, t.crime_type
"""

SEASONALITY_SQL = """
WITH types AS (SELECT unnest($crime_types) AS crime_type),
counts AS (SELECT month, crime_type, count(*) AS crimes FROM scoped_street GROUP BY ALL),
grid AS (
    SELECT h.month, t.crime_type, coalesce(c.crimes, 0) AS crimes
    FROM force_months h CROSS JOIN types t LEFT JOIN counts c USING (month, crime_type)
),
by_month AS (
    SELECT crime_type, month(month) AS month_of_year, count(*) AS months_held, sum(crimes) AS crimes,
           avg(crimes) AS mean_crimes
    FROM grid GROUP BY ALL
)
SELECT *, sum(crimes) OVER (PARTITION BY crime_type) / sum(months_held) OVER (PARTITION BY crime_type) AS overall_mean
FROM by_month ORDER BY crime_type, month_of_year
"""


def poisson_upper_p(observed, expected):
    """P(X >= observed) for X ~ Poisson(expected): how surprising a count this high is (1 when observed is 0)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore"):
        p = stats.poisson.sf(observed - 1, expected)
    p = np.where(observed <= 0, 1.0, p)
    return np.where(np.isnan(expected), np.nan, p)


def poisson_lower_p(observed, expected):
    """P(X <= observed) for X ~ Poisson(expected)."""
    with np.errstate(invalid="ignore"):
        return stats.poisson.cdf(np.asarray(observed, dtype=float), np.asarray(expected, dtype=float))


def _rate(crimes, population):
    if population is None or population == 0:
        return np.nan
    return crimes * 1000.0 / population


def _monthly_volumes(s: IndicatorSession) -> pd.DataFrame:
    population = s.area_population()
    frame = s.df(MONTHLY_VOLUMES_SQL, {**s.period_params(), "crime_types": s.crime_types(), "population": population})
    frame["crimes"] = frame["crimes"].astype("Int64")
    frame["rate_per_1000"] = frame["crimes"].astype("Float64") * 1000.0 / frame["population"] if population else np.nan
    frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    return frame[["month", "crime_type", "crimes", "population", "rate_per_1000"]]


def monthly_volumes(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Crimes per month and crime type over the scope's period, with the rate per 1,000 residents.

    Columns: month ('YYYY-MM'), crime_type, crimes (Int64; <NA> when the warehouse holds no street data for
    the force that month, 0 when it does and none occurred), population (area residents, NaN for bbox/polygon),
    rate_per_1000 (crimes * 1000 / population). Every month of the period x every crime type is present.
    """
    with session(warehouse_file, scope) as s:
        return _monthly_volumes(s)


def monthly_series(s: IndicatorSession, last: date) -> dict[str, pd.Series]:
    """Per crime type (and 'All crime'), counts for the unbroken run of held months ending at `last` (index:
    month dates). A month the warehouse does not hold ends the run: it is unknown, not zero."""
    frame = s.shared(f"monthly_series_{last}", lambda session: session.df(
        MONTHLY_SERIES_SQL, {"crime_types": session.crime_types(), "last": last}))
    months = sorted(pd.to_datetime(frame["month"]).dt.date.unique())
    run: list[date] = []
    for month in reversed(months):
        if run and month != add_months(run[-1], -1):
            break
        run.append(month)
    keep = frame[pd.to_datetime(frame["month"]).dt.date.isin(set(run))]
    wide = keep.pivot_table(index="month", columns="crime_type", values="crimes", aggfunc="sum").sort_index()
    wide.index = pd.to_datetime(wide.index)
    series = {crime_type: wide[crime_type] for crime_type in wide.columns}
    series[ALL_CRIME] = wide.sum(axis=1)
    return series


def breaks_note(series: pd.Series | None, first: date, last: date) -> str:
    """The breaks whose new level starts in (first, last]: a comparison across them compares two recordings, not
    two levels of crime. Empty when none (or the series is too short to search)."""
    if series is None or series.empty:
        return ""
    found = breaks_between(series, add_months(first, 1), last)
    return "; ".join(b.describe() for b in found)


def _window_counts(s: IndicatorSession, windows: list[tuple[date, date]]) -> pd.DataFrame:
    params = {"crime_types": s.crime_types()}
    for key, (first, last) in zip("abc", windows):
        params[f"{key}_from"], params[f"{key}_to"] = first, last
    frame = s.df(WINDOW_COUNTS_SQL, params)
    total = pd.DataFrame({"crime_type": [ALL_CRIME], **{k: [int(frame[k].sum())] for k in "abc"}})
    return pd.concat([frame, total], ignore_index=True)


def _period_change(s: IndicatorSession) -> pd.DataFrame:
    scope = s.scope
    windows = [(scope.period_from, scope.period_to), scope.previous_period, scope.year_earlier_period]
    frame = _window_counts(s, windows)
    complete = [s.months_held(first, last) == scope.months for first, last in windows]
    population = s.area_population()

    def counts_if_held(values: pd.Series, held: bool) -> pd.Series:
        return values.astype("Int64") if held else pd.Series(pd.NA, index=values.index, dtype="Int64")

    out = pd.DataFrame({"crime_type": frame["crime_type"]})
    out["crimes"] = counts_if_held(frame["a"], complete[0])
    out["rate_per_1000"] = [_rate(v, population) if complete[0] else np.nan for v in frame["a"]]
    for name, key, held in (("previous", "b", complete[1]), ("year_earlier", "c", complete[2])):
        base = counts_if_held(frame[key], held)
        out[f"{name}_crimes"] = base
        out[f"change_vs_{name}"] = out["crimes"] - base
        denominator = base.astype("Float64").mask(base == 0)
        out[f"pct_change_vs_{name}"] = (out["crimes"] - base).astype("Float64") * 100.0 / denominator
    year_first = scope.year_earlier_period[0]
    series = monthly_series(s, scope.period_to)
    for column in ("rate_ratio_vs_year_earlier", "rate_ratio_ci_low", "rate_ratio_ci_high", "p_vs_year_earlier",
                   "p_rise_vs_year_earlier", "p_fall_vs_year_earlier"):
        out[column] = np.nan
    out["break_note"] = ""
    for i, r in out.iterrows():
        if pd.isna(r["crimes"]) or pd.isna(r["year_earlier_crimes"]):
            continue
        now, before = int(r["crimes"]), int(r["year_earlier_crimes"])
        both = compare_counts(now, before)
        out.at[i, "rate_ratio_vs_year_earlier"] = both.rate_ratio
        out.at[i, "rate_ratio_ci_low"], out.at[i, "rate_ratio_ci_high"] = both.ci_low, both.ci_high
        out.at[i, "p_vs_year_earlier"] = both.p_value
        out.at[i, "p_rise_vs_year_earlier"] = compare_counts(now, before, alternative="greater").p_value
        out.at[i, "p_fall_vs_year_earlier"] = compare_counts(now, before, alternative="less").p_value
        out.at[i, "break_note"] = breaks_note(series.get(r["crime_type"]), year_first, scope.period_to)
    out["comparable"] = out["break_note"] == ""
    types = out["crime_type"] != ALL_CRIME
    for column in ("p_rise_vs_year_earlier", "p_fall_vs_year_earlier"):
        adjusted = out[column].copy()
        adjusted[types] = adjust(out.loc[types, column].tolist())[1]
        out[column.replace("_vs_", "_adjusted_vs_")] = adjusted
    out["test_method"] = f"{compare_counts(1, 1).method}; one-sided p adjusted across crime types ({T.MULTIPLE_COMPARISONS})"
    return out


def period_change(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Crimes in the period against the previous period of equal length and the same period a year earlier.

    One row per crime type plus an 'All crime' row. Columns: crime_type, crimes, rate_per_1000,
    previous_crimes, change_vs_previous, pct_change_vs_previous, year_earlier_crimes, change_vs_year_earlier,
    pct_change_vs_year_earlier; against the year earlier, two observed counts compared by the exact conditional
    binomial test (tasks.stats.compare_counts): rate_ratio_vs_year_earlier with its 95% interval rate_ratio_ci_low
    and rate_ratio_ci_high, p_vs_year_earlier (two-sided), p_rise_vs_year_earlier and p_fall_vs_year_earlier
    (one-sided), p_rise_adjusted_vs_year_earlier and p_fall_adjusted_vs_year_earlier (adjusted across the crime
    types, tasks.stats.thresholds.MULTIPLE_COMPARISONS; 'All crime' unadjusted), break_note (level shifts or
    recording breaks whose new level starts after the year-earlier period began: the counts are then not
    comparable), comparable, test_method. A window the warehouse does not hold in full gives <NA>, never 0;
    a percentage against 0 is <NA>.
    """
    with session(warehouse_file, scope) as s:
        return _period_change(s)


def _exceedance(s: IndicatorSession, latest_months: int) -> pd.DataFrame:
    scope = s.scope
    latest_from = add_months(scope.period_to, -(latest_months - 1))
    baseline = (add_months(latest_from, -BASELINE_MONTHS), add_months(latest_from, -1))
    frame = _window_counts(s, [(latest_from, scope.period_to), baseline, baseline])
    latest_held = s.months_held(latest_from, scope.period_to) == latest_months
    baseline_held = s.months_held(*baseline)
    out = pd.DataFrame({
        "crime_type": frame["crime_type"],
        "latest_from": latest_from.strftime("%Y-%m"),
        "latest_to": scope.period_to.strftime("%Y-%m"),
        "observed": frame["a"].astype("Int64") if latest_held else pd.Series(pd.NA, index=frame.index, dtype="Int64"),
        "baseline_from": baseline[0].strftime("%Y-%m"),
        "baseline_to": baseline[1].strftime("%Y-%m"),
        "baseline_months_held": baseline_held,
        "baseline_crimes": frame["b"].astype("Int64"),
    })
    usable = latest_held and baseline_held == BASELINE_MONTHS
    out["baseline_monthly_mean"] = frame["b"] / BASELINE_MONTHS if usable else np.nan
    out["expected"] = out["baseline_monthly_mean"] * latest_months
    for column in ("p_value", "upper_95", "dispersion"):
        out[column] = np.nan
    out["overdispersed"], out["method"], out["break_note"] = False, "", ""
    if usable:
        series = monthly_series(s, scope.period_to)
        for i, r in out.iterrows():
            monthly = series.get(r["crime_type"])
            window = monthly[(monthly.index >= pd.Timestamp(baseline[0])) & (monthly.index <= pd.Timestamp(baseline[1]))]
            values = window.to_numpy(dtype=float)
            # A window of k months is tested against the sums of k-month blocks of the baseline.
            blocks = values.reshape(-1, latest_months).sum(axis=1) if len(values) % latest_months == 0 else values * latest_months
            result = exceedance_test(int(frame["a"].iloc[i]), blocks)
            out.at[i, "p_value"], out.at[i, "upper_95"] = result.p_value, result.upper_95
            out.at[i, "dispersion"], out.at[i, "overdispersed"], out.at[i, "method"] = (
                result.dispersion, result.overdispersed, result.method)
            out.at[i, "break_note"] = breaks_note(monthly, baseline[0], scope.period_to)
    types = out["crime_type"] != ALL_CRIME
    out["p_adjusted"] = out["p_value"]
    if usable:
        out.loc[types, "p_adjusted"] = adjust(out.loc[types, "p_value"].tolist())[1]
    out["flag"] = [exceedance_flag(p, None if pd.isna(n) else int(n), bool(note))
                   for p, n, note in zip(out["p_adjusted"], out["observed"], out["break_note"])]
    return out


def exceedance(warehouse_file: str | Path | None, scope: Scope, latest_months: int = 1) -> pd.DataFrame:
    """Is the latest month (or months) higher than the trailing 12-month baseline would explain?

    The latest window is the last `latest_months` months of the scope's period; the baseline is the 12 months
    before it. expected = baseline monthly mean x latest_months; p_value = P(X >= observed) under
    tasks.stats.exceedance (Poisson, or negative binomial when the baseline months vary more than Poisson:
    `overdispersed`, `dispersion`, `method`); p_adjusted across the crime types (MULTIPLE_COMPARISONS; 'All crime'
    unadjusted). flag (tasks.stats.exceedance_flag on p_adjusted): 'exceptional' (< EXCEPTIONAL_P), 'elevated'
    (< ELEVATED_P), 'within expected range' (also any count under MIN_COUNT_TO_FLAG), 'break in baseline' when
    the series has a level shift or recording break from inside the baseline to the latest month (break_note
    says what and when), or 'insufficient baseline' when any of the 12 baseline months (or a latest month) is
    not held. One row per crime type plus 'All crime'. Columns: crime_type, latest_from, latest_to, observed,
    baseline_from, baseline_to, baseline_months_held, baseline_crimes, baseline_monthly_mean, expected,
    p_value, upper_95, dispersion, overdispersed, method, break_note, p_adjusted, flag.
    """
    if latest_months < 1:
        raise ValueError("latest_months must be at least 1")
    with session(warehouse_file, scope) as s:
        return _exceedance(s, latest_months)


def _seasonality(s: IndicatorSession) -> pd.DataFrame:
    frame = s.df(SEASONALITY_SQL, {"crime_types": s.crime_types()})
    frame["seasonal_index"] = np.where(frame["overall_mean"] > 0, frame["mean_crimes"] * 100.0 / frame["overall_mean"], np.nan)
    frame["crimes"] = frame["crimes"].astype("int64")
    return frame[["crime_type", "month_of_year", "months_held", "crimes", "mean_crimes", "overall_mean", "seasonal_index"]]


def seasonality(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Month-of-year index per crime type over every month the warehouse holds for the force (not only the
    period), so a 36-month history gives each calendar month three years.

    Columns: crime_type, month_of_year (1-12), months_held (how many of that calendar month are held), crimes
    (their total), mean_crimes (crimes / months_held), overall_mean (all crimes of the type / all months held),
    seasonal_index (100 x mean_crimes / overall_mean; 100 = an average month; NaN when the type has no crimes).
    """
    with session(warehouse_file, scope) as s:
        return _seasonality(s)
