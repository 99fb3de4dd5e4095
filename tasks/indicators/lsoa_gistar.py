"""Getis-Ord Gi* over the area's LSOAs, neighbours by queen contiguity of their boundary polygons, with the false
discovery rate controlled across all LSOAs: the LSOA-level companion of the 250 m grid method (grid.py).

Neighbours: two LSOAs are neighbours when their polygons share a boundary or a corner (queen contiguity). The
published ONS polygons are generalised independently enough that neighbours overlap or leave slivers by
fractions of a metre, so exact "touches" finds no neighbours at all; they are found as polygons within
CONTIGUITY_TOLERANCE_M of each other (libpysal fuzzy contiguity). The statistic is esda's G_Local with
star=True (each LSOA in its own neighbourhood) on binary weights; z is its analytic z-score, p its two-sided
normal p-value; p_sim a conditional-permutation pseudo p-value (seeded, so reproducible). The classes are
decided on Benjamini-Hochberg adjusted p-values (q) at GI_FDR_ALPHA, so among the LSOAs called hot or cold the
expected share of false calls is at most that level.

Counts: crimes of the period in each LSOA of the area; a 2021 code counts in its 2011 parent when only 2011
polygons are held (as the LSOA tables do). Crimes published in LSOAs outside the area are left out.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from tasks.indicators.geography import area_geography
from tasks.indicators.scope import IndicatorSession, Scope, session
from tasks.stats import thresholds
from tasks.stats.tests import adjust, adjustment_label

CONTIGUITY_TOLERANCE_M = 2.0  # geometry tolerance, not a statistical threshold (see the module docstring)
GI_FDR_ALPHA = thresholds.ALPHA
PERMUTATIONS = 999
PERMUTATION_SEED = 20240801
METHOD = (f"Getis-Ord Gi* (esda G_Local, star=True, binary queen-contiguity weights from LSOA polygons within "
          f"{CONTIGUITY_TOLERANCE_M:g} m), two-sided normal p-values adjusted by "
          f"{adjustment_label(thresholds.MULTIPLE_COMPARISONS)} at {GI_FDR_ALPHA:g}; permutation p from {PERMUTATIONS} "
          "conditional permutations")

COLUMNS = ["lsoa_code", "lsoa_name", "crimes", "neighbours", "gi_z", "p_value", "q_value", "p_sim", "gi_class",
           "gi_class_unadjusted"]

# Crimes of the period per LSOA code as held in the polygons (the 2011 parent when the polygon is 2011).
COUNTS_SQL = """
SELECT CASE WHEN $as_2011 THEN coalesce(r.iod_lsoa11_code, c.lsoa_code) ELSE c.lsoa_code END AS lsoa_code,
       count(*) AS crimes
FROM scoped_street c LEFT JOIN lsoa_resolved r ON r.lsoa_code = c.lsoa_code
WHERE c.month BETWEEN $period_from AND $period_to AND c.lsoa_code IS NOT NULL
GROUP BY 1
"""


def queen_weights(polygons):
    """libpysal binary weights: neighbours share a boundary or corner (within CONTIGUITY_TOLERANCE_M)."""
    import geopandas
    import libpysal

    frame = geopandas.GeoDataFrame({"geometry": list(polygons)}, geometry="geometry", crs="EPSG:27700")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; they are reported in `neighbours`
        weights = libpysal.weights.fuzzy_contiguity(frame, buffering=True, buffer=CONTIGUITY_TOLERANCE_M)
    weights.transform = "B"
    return weights


def fdr_adjust(p_values) -> np.ndarray:
    """Adjusted p-values (q-values) by the project's multiple-comparison method (tasks.stats: Benjamini-Hochberg)."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return np.asarray(adjust(p.tolist(), thresholds.MULTIPLE_COMPARISONS, GI_FDR_ALPHA)[1], dtype=float)


def gi_star_table(codes, names, polygons, crimes) -> pd.DataFrame:
    """Gi* per polygon for the given counts (see the module docstring); strongest hot spots first."""
    import esda

    crimes = np.asarray(crimes, dtype=float)
    n = len(crimes)
    frame = pd.DataFrame({"lsoa_code": list(codes), "lsoa_name": list(names), "crimes": crimes.astype(np.int64)})
    if n < 3 or crimes.std() == 0:
        # No variation (or too few LSOAs) to test: every LSOA is reported, none is called hot or cold.
        frame = frame.assign(neighbours=0, gi_z=np.nan, p_value=np.nan, q_value=np.nan, p_sim=np.nan,
                             gi_class="not tested", gi_class_unadjusted="not tested")
        return frame[COLUMNS]
    weights = queen_weights(polygons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = esda.G_Local(crimes, weights, transform="B", star=True, permutations=PERMUTATIONS,
                             seed=PERMUTATION_SEED, n_jobs=1)
    z = np.asarray(local.Zs, dtype=float)
    p = 2.0 * stats.norm.sf(np.abs(z))
    q = fdr_adjust(p)
    frame["neighbours"] = [weights.cardinalities[i] for i in range(n)]
    frame["gi_z"], frame["p_value"], frame["q_value"] = z, p, q
    frame["p_sim"] = np.asarray(local.p_sim, dtype=float)
    frame["gi_class"] = _classes(z, q)
    frame["gi_class_unadjusted"] = _classes(z, p)
    return frame.sort_values("gi_z", ascending=False, na_position="last").reset_index(drop=True)[COLUMNS]


def _classes(z: np.ndarray, p: np.ndarray) -> list[str]:
    return ["hot spot" if zi > 0 and pi < GI_FDR_ALPHA else "cold spot" if zi < 0 and pi < GI_FDR_ALPHA
            else "not significant" for zi, pi in zip(z, p)]


def lsoa_gi_star_in(s: IndicatorSession) -> pd.DataFrame:
    geography = area_geography(s)
    if geography.lsoas.empty:
        return pd.DataFrame(columns=COLUMNS)
    lsoas = geography.lsoas.reset_index(drop=True)
    as_2011 = bool(s.con.execute("SELECT count(*) FROM boundary WHERE kind = 'lsoa11' AND code = ?",
                                 [lsoas["code"].iloc[0]]).fetchone()[0])
    counts = s.df(COUNTS_SQL, {"as_2011": as_2011, **s.period_params()}).set_index("lsoa_code")["crimes"]
    crimes = lsoas["code"].map(counts).fillna(0).to_numpy()
    return gi_star_table(lsoas["code"], lsoas["name"], lsoas["geometry"], crimes)


def lsoa_gi_star(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Gi* per LSOA of the area over the period (empty when no LSOA polygons are held for it).

    Columns: lsoa_code, lsoa_name, crimes, neighbours (queen neighbours, excluding itself), gi_z, p_value
    (two-sided, normal), q_value (Benjamini-Hochberg), p_sim (permutation), gi_class ('hot spot', 'cold
    spot', 'not significant' on q at GI_FDR_ALPHA; 'not tested' without variation), gi_class_unadjusted (the
    same on p, for comparison). Strongest hot spots first.
    """
    with session(warehouse_file, scope) as s:
        return lsoa_gi_star_in(s)
