"""Emerging hot spots of LSOAs: each LSOA of the area classed over the months held (new, intensifying,
persistent, ...) by the same rules as the 250 m grid cells (tasks.stats.emerging.classify_emerging), from its
monthly Getis-Ord Gi* z-scores on the queen-contiguity neighbours of tasks.indicators.lsoa_gistar.

The weights are built once for the area; Gi* for every month is then one sparse matrix product (the analytic
z of esda's G_Local with star=True on binary weights, which tests/test_lsoa_gistar.py checks against the
formula): z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))), with w_ii = 1. Every LSOA of the
area is in every month (zero where it had no crime), so the study area is fixed as in a space-time cube. A month
with the same count in every LSOA has no z (counted as 0: not hot). As for the grid, a month is hot at z >=
HOT_SPOT_Z (the 95% normal value, no multiple-testing correction, as ArcGIS's Emerging Hot Spot Analysis).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tasks.indicators.geography import area_geography
from tasks.indicators.lsoa_gistar import queen_weights
from tasks.indicators.scope import IndicatorSession, Scope, session
from tasks.stats import thresholds as T
from tasks.stats.emerging import classify_emerging

COLUMNS = ["lsoa_code", "lsoa_name", "local_authority", "pattern", "months", "hot_months", "hot_share", "last_hot",
           "cold_months", "trend", "trend_p", "last_z", "crimes"]

# Crimes per LSOA and month (a 2021 code counted in its 2011 parent when the polygons held are 2011).
MONTHLY_COUNTS_SQL = """
SELECT CASE WHEN $as_2011 THEN coalesce(r.iod_lsoa11_code, c.lsoa_code) ELSE c.lsoa_code END AS lsoa_code,
       strftime(c.month, '%Y-%m') AS month, count(*) AS crimes
FROM scoped_street c LEFT JOIN lsoa_resolved r ON r.lsoa_code = c.lsoa_code
WHERE c.month BETWEEN $period_from AND $period_to AND c.lsoa_code IS NOT NULL
GROUP BY ALL
"""
# The local authority (LAD 2019 name) of an LSOA code, 2021 or 2011.
AUTHORITIES_SQL = """
SELECT code, any_value(lad19_name) AS local_authority FROM (
    SELECT lsoa_code AS code, lad19_name FROM lsoa_resolved
    UNION ALL SELECT iod_lsoa11_code AS code, lad19_name FROM lsoa_resolved WHERE iod_lsoa11_code IS NOT NULL)
GROUP BY code
"""


def gi_star_by_month(weights, counts: np.ndarray) -> np.ndarray:
    """Gi* z-scores (n LSOAs x T months) for counts (n x T) on binary libpysal `weights` (self added, star)."""
    import scipy.sparse

    x = np.asarray(counts, dtype=float)
    n = x.shape[0]
    w = (weights.sparse.astype(float) + scipy.sparse.identity(n, format="csr"))
    w.data[:] = 1.0  # binary, whatever the transform held
    w_i = np.asarray(w.sum(axis=1)).ravel()
    xbar, s = x.mean(axis=0), x.std(axis=0)
    spread = np.sqrt(np.clip(n * w_i - w_i * w_i, 0, None) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (w @ x - np.outer(w_i, xbar)) / np.outer(spread, s)
    z[:, s == 0] = np.nan
    z[spread == 0, :] = np.nan
    return z


def classify_lsoas(codes, names, polygons, counts: pd.DataFrame, authorities: dict | None = None) -> pd.DataFrame:
    """One class per LSOA. `counts`: crimes, one row per LSOA (index: code) and one column per month (oldest
    first); LSOAs or months missing count as zero crimes. Columns: COLUMNS, ordered as classify_emerging."""
    codes = list(codes)
    if len(codes) < 3:
        raise ValueError(f"LSOA emerging hot spots need at least 3 LSOAs, got {len(codes)}")
    months = sorted(counts.columns)
    matrix = counts.reindex(index=codes, columns=months).fillna(0).to_numpy(float)
    z = np.nan_to_num(gi_star_by_month(queen_weights(polygons), matrix), nan=0.0)
    long = pd.DataFrame({
        "lsoa_code": np.repeat(codes, len(months)), "month": np.tile(months, len(codes)),
        "gi_z": z.ravel(), "crimes": matrix.ravel().astype(np.int64)})
    classified = classify_emerging(long, keys=("lsoa_code",))
    classified["lsoa_name"] = classified["lsoa_code"].map(dict(zip(codes, names)))
    classified["local_authority"] = classified["lsoa_code"].map(authorities or {}).fillna("")
    return classified[COLUMNS]


def lsoa_emerging_in(s: IndicatorSession) -> pd.DataFrame:
    """Classes of the session's area's LSOAs over its period; empty (COLUMNS) without LSOA polygons held or
    with fewer than EMERGING_MIN_MONTHS months of crime."""
    geography = area_geography(s)
    if geography.lsoas.empty or len(geography.lsoas) < 3:
        return pd.DataFrame(columns=COLUMNS)
    lsoas = geography.lsoas.reset_index(drop=True)
    as_2011 = bool(s.con.execute("SELECT count(*) FROM boundary WHERE kind = 'lsoa11' AND code = ?",
                                 [lsoas["code"].iloc[0]]).fetchone()[0])
    monthly = s.df(MONTHLY_COUNTS_SQL, {"as_2011": as_2011, **s.period_params()})
    if monthly["month"].nunique() < T.EMERGING_MIN_MONTHS:
        return pd.DataFrame(columns=COLUMNS)
    counts = monthly.pivot_table(index="lsoa_code", columns="month", values="crimes", aggfunc="sum")
    authorities = s.df(AUTHORITIES_SQL).set_index("code")["local_authority"].to_dict()
    return classify_lsoas(lsoas["code"], lsoas["name"], lsoas["geometry"], counts, authorities)


def lsoa_emerging(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Emerging hot spot class of every LSOA of the area over the scope's period (see the module docstring)."""
    with session(warehouse_file, scope) as s:
        return lsoa_emerging_in(s)
