"""Place indicators: LSOA counts and rates, concentration (top 5%/10% shares, Gini), repeat locations, and
deprivation (rates by IoD decile, correlation with IMD rank)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from tasks.indicators.scope import IndicatorSession, Scope, session

IOD_DOMAINS = ("imd", "income", "employment", "education", "health", "crime", "housing", "living_environment")

# The LSOAs reported on: those of the area's population plus any other LSOA holding crime in the period
# (for a bbox or polygon there is no population list, so only LSOAs with crime). For a whole force or a local
# authority, a crime published with a 2021 code counts in the 2011 LSOA it lies in (its parent; for a merged
# LSOA, the parent contributing most of it), so IoD 2019 deciles and 2011 residents apply without counting
# anyone twice; `published_codes` lists the codes folded in. An LSOA list, bbox or polygon keeps the published
# codes (a 2021 code then has its apportioned residents).
LSOA_COUNTS_SQL = """
WITH counts AS (
    SELECT CASE WHEN $fold_to_2011 THEN coalesce(r.iod_lsoa11_code, s.lsoa_code) ELSE s.lsoa_code END AS lsoa_code,
           count(*) AS crimes, any_value(s.lsoa_name) AS published_name,
           string_agg(DISTINCT s.lsoa_code, ',' ORDER BY s.lsoa_code) AS published_codes
    FROM scoped_street s LEFT JOIN lsoa_resolved r ON r.lsoa_code = s.lsoa_code
    WHERE s.month BETWEEN $period_from AND $period_to AND s.lsoa_code IS NOT NULL
    GROUP BY 1
),
units AS (SELECT lsoa_code FROM area_lsoa UNION SELECT lsoa_code FROM counts)
SELECT u.lsoa_code, coalesce(r.lsoa_name, c.published_name) AS lsoa_name, r.lad19_code, r.lad19_name,
       coalesce(c.crimes, 0) AS crimes, r.population, r.population_basis,
       u.lsoa_code IN (SELECT lsoa_code FROM area_lsoa) AS in_area_population, c.published_codes,
       r.imd_rank, r.imd_decile, r.income_decile, r.employment_decile, r.education_decile, r.health_decile,
       r.crime_decile, r.housing_decile, r.living_environment_decile
FROM units u LEFT JOIN counts c USING (lsoa_code) LEFT JOIN lsoa_resolved r USING (lsoa_code)
ORDER BY crimes DESC, u.lsoa_code
"""

LOCATION_COUNTS_SQL = """
SELECT longitude, latitude, any_value(location) AS location, any_value(lsoa_code) AS lsoa_code,
       count(*) AS crimes, count(DISTINCT month) AS months_with_crime,
       strftime(min(month), '%Y-%m') AS first_month, strftime(max(month), '%Y-%m') AS last_month
FROM scoped_street
WHERE month BETWEEN $period_from AND $period_to AND longitude IS NOT NULL
GROUP BY longitude, latitude
ORDER BY months_with_crime DESC, crimes DESC, longitude, latitude
"""


def _lsoa_counts(s: IndicatorSession) -> pd.DataFrame:
    return s.shared("lsoa_counts", _compute_lsoa_counts)


def _compute_lsoa_counts(s: IndicatorSession) -> pd.DataFrame:
    fold = s.scope.area_kind in ("force", "local_authority")
    frame = s.df(LSOA_COUNTS_SQL, {**s.period_params(), "fold_to_2011": fold})
    frame["rate_per_1000"] = np.where(frame["population"] > 0, frame["crimes"] * 1000.0 / frame["population"], np.nan)
    first = ["lsoa_code", "lsoa_name", "lad19_code", "lad19_name", "crimes", "population", "rate_per_1000",
             "population_basis", "in_area_population"]
    return frame[first + [c for c in frame.columns if c not in first]]


def lsoa_counts(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Crimes and rate per 1,000 residents per LSOA over the period, with IoD 2019 deciles.

    Rows: every LSOA of the area's population (zero-crime ones included) plus any other LSOA holding crime in
    scope. For a whole force or local authority, crimes published with a 2021 code are counted in their 2011
    LSOA (see LSOA_COUNTS_SQL). Columns: lsoa_code, lsoa_name, lad19_code, lad19_name, crimes, population
    (mid-2015; NaN when the code is unknown to the reference data), rate_per_1000, population_basis,
    in_area_population (bool), published_codes (the published codes counted in the row), imd_rank, imd_decile, income_decile, employment_decile, education_decile, health_decile, crime_decile,
    housing_decile, living_environment_decile. Ordered by crimes, most first.
    """
    with session(warehouse_file, scope) as s:
        return _lsoa_counts(s)


def _location_counts(s: IndicatorSession) -> pd.DataFrame:
    return s.shared("location_counts", lambda session: session.df(LOCATION_COUNTS_SQL, session.period_params()))


def repeat_locations(warehouse_file: str | Path | None, scope: Scope, min_months: int = 2) -> pd.DataFrame:
    """Published points with crime in at least `min_months` different months of the period.

    Columns: longitude, latitude, location, lsoa_code, crimes, months_with_crime, first_month, last_month;
    most months first.
    """
    with session(warehouse_file, scope) as s:
        frame = _location_counts(s)
    return frame[frame["months_with_crime"] >= min_months].reset_index(drop=True)


def gini(counts) -> float:
    """Gini coefficient of counts over units (0 = even, towards 1 = all in one unit); NaN when all are 0."""
    values = np.sort(np.asarray(counts, dtype=float))
    n = len(values)
    total = values.sum()
    if n == 0 or total == 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * values).sum()) / (n * total) - (n + 1.0) / n)


def top_share(counts, fraction: float) -> float:
    """Share of the total held by the top ceil(fraction x units) units."""
    values = np.sort(np.asarray(counts, dtype=float))[::-1]
    total = values.sum()
    if len(values) == 0 or total == 0:
        return float("nan")
    return float(values[: math.ceil(fraction * len(values))].sum() / total)


def _area_lsoas(s: IndicatorSession) -> pd.DataFrame:
    """The LSOAs an area-level LSOA statistic is taken over: those of the area's population when it has one
    (crimes snapped into neighbouring LSOAs are left out), else every LSOA with crime (bbox, polygon)."""
    lsoas = _lsoa_counts(s)
    if lsoas["in_area_population"].any():
        return lsoas[lsoas["in_area_population"]]
    return lsoas


def _concentration(s: IndicatorSession) -> pd.DataFrame:
    lsoas = _area_lsoas(s)
    locations = _location_counts(s)
    rows = []
    for unit, counts, basis in (
        ("lsoa", lsoas["crimes"], "LSOAs of the area's population, zero-crime ones included (bbox/polygon: LSOAs with crime)"),
        ("location", locations["crimes"], "published map points with at least one crime (points with none are not published)"),
    ):
        rows.append({
            "unit": unit, "units": len(counts), "units_with_crime": int((counts > 0).sum()), "crimes": int(counts.sum()),
            "top_5pct_units": math.ceil(0.05 * len(counts)), "top_5pct_share": top_share(counts, 0.05),
            "top_10pct_units": math.ceil(0.10 * len(counts)), "top_10pct_share": top_share(counts, 0.10),
            "gini": gini(counts), "units_basis": basis,
        })
    return pd.DataFrame(rows)


def concentration(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """How concentrated crime is across LSOAs and across published locations over the period.

    One row per unit ('lsoa', 'location'). Columns: unit, units, units_with_crime, crimes, top_5pct_units
    (ceil(5% of units)), top_5pct_share (their share of crimes), top_10pct_units, top_10pct_share, gini,
    units_basis (which units are counted). Crimes with no location are not in either row; the LSOA row leaves
    out crimes snapped into LSOAs outside the area's population (see _area_lsoas), so its crimes can be fewer.
    """
    with session(warehouse_file, scope) as s:
        return _concentration(s)


def _deprivation(s: IndicatorSession) -> pd.DataFrame:
    lsoas = _area_lsoas(s)
    lsoas = lsoas[lsoas["population"] > 0]
    rows = []
    for domain in IOD_DOMAINS:
        column = f"{domain}_decile"
        for decile, group in lsoas.groupby(column):
            crimes = int(group["crimes"].sum())
            population = float(group["population"].sum())
            rows.append({"domain": domain, "decile": int(decile), "lsoas": len(group), "crimes": crimes,
                         "population": population, "rate_per_1000": crimes * 1000.0 / population})
    return pd.DataFrame(rows, columns=["domain", "decile", "lsoas", "crimes", "population", "rate_per_1000"])


def deprivation(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Crime rate per 1,000 residents by IoD 2019 decile (1 = most deprived 10% of England's LSOAs), for the
    IMD and each of the seven domains, over the LSOAs of the area's population (bbox/polygon: the LSOAs with
    crime) that have residents.

    Columns: domain (imd, income, employment, education, health, crime, housing, living_environment), decile,
    lsoas, crimes, population, rate_per_1000 (sum of crimes x 1000 / sum of residents in that decile).
    """
    with session(warehouse_file, scope) as s:
        return _deprivation(s)


def _deprivation_correlation(s: IndicatorSession) -> pd.DataFrame:
    lsoas = _area_lsoas(s)
    lsoas = lsoas[(lsoas["population"] > 0) & lsoas["imd_rank"].notna()]
    n = len(lsoas)
    if n < 3:
        return pd.DataFrame([{"lsoas": n, "spearman_rho": np.nan, "spearman_p": np.nan, "pearson_r": np.nan, "pearson_p": np.nan}])
    rank = lsoas["imd_rank"].to_numpy(dtype=float)
    rate = lsoas["rate_per_1000"].to_numpy(dtype=float)
    spearman = stats.spearmanr(rank, rate)
    pearson = stats.pearsonr(rank, rate)
    return pd.DataFrame([{"lsoas": n, "spearman_rho": float(spearman.statistic), "spearman_p": float(spearman.pvalue),
                          "pearson_r": float(pearson.statistic), "pearson_p": float(pearson.pvalue)}])


def deprivation_correlation(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Correlation of LSOA crime rate with IMD rank over the same LSOAs as `deprivation` (rank 1 = most
    deprived, so a negative rho means more crime where deprivation is higher). One row. Columns: lsoas, spearman_rho, spearman_p, pearson_r, pearson_p.
    """
    with session(warehouse_file, scope) as s:
        return _deprivation_correlation(s)
