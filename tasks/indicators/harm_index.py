"""Harm-weighted volumes and the priority matrix (MoRiLE-style candidates for a control strategy).

The weight of each data.police.uk crime type is derived at load time from `harm_weights.csv` (kept as data):
a type with one component takes that component's Cambridge Crime Harm Index days; a type with several
(Violence and sexual offences) takes their average weighted by national offence counts. docs/harm.md gives
the sources and the approximation; HARM_APPROXIMATION must be printed by every product using harm.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.indicators.scope import IndicatorSession, Scope, session
from tasks.indicators.volume import ALL_CRIME, _period_change
from tasks.stats import thresholds as T

HARM_WEIGHTS_FILE = Path(__file__).resolve().parent / "harm_weights.csv"

HARM_APPROXIMATION = (
    "Harm weights are approximations. Each data.police.uk crime type is weighted in days of imprisonment from the "
    "Cambridge Crime Harm Index (sentencing-guideline starting points; Sherman, Neyroud and Neyroud 2016), using "
    "the median CCHI value of the matching Home Office offence subgroup. A crime type covering several subgroups "
    "takes one subgroup's value (Burglary: residential; Criminal damage and arson: criminal damage; Drugs: "
    "possession) or, for Violence and sexual offences, the average of its subgroups weighted by national offence "
    "counts. The mix of offences within a type in this area may differ, so harm totals indicate relative harm "
    "between crime types, not measured harm. Anti-social behaviour is not a notifiable offence and carries no "
    "harm weight. See docs/harm.md."
)

# Documented scales and weights (docs/indicators.md). A share band gives 1..5 points; the trend comes from the
# two-sample test of the whole period against the same period a year earlier (adjusted across crime types),
# never from a percentage change or from one month. Harm counts twice: volume and trend alone cannot lift a
# low-harm type above a high-harm one of similar size.
SHARE_BANDS = ((0.20, 5), (0.10, 4), (0.05, 3), (0.02, 2))  # share >= bound -> points; below all -> 1
TREND_P = T.EXCEPTIONAL_P, T.ALPHA
WEIGHTS = {"harm_score": 2, "volume_score": 1, "trend_score": 1}  # priority_score = sum of weight x score (4-20)


@lru_cache(maxsize=4)
def _components(path: str) -> pd.DataFrame:
    frame = pd.read_csv(path)
    required = {"crime_type", "component", "cchi_days", "national_offences"}
    missing = required - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if frame["cchi_days"].isna().any() or (frame["cchi_days"] < 0).any():
        raise ValueError(f"{path}: every component needs a non-negative cchi_days")
    counted = frame.groupby("crime_type")["component"].transform("size") > 1
    if frame.loc[counted, "national_offences"].isna().any():
        raise ValueError(f"{path}: a crime type with several components needs national_offences for each")
    return frame


def harm_weights(path: str | Path = HARM_WEIGHTS_FILE) -> pd.DataFrame:
    """One weight per crime type. Columns: crime_type, harm_weight_days, components (how it was made)."""
    frame = _components(str(path))
    rows = []
    for crime_type, group in frame.groupby("crime_type", sort=True):
        if len(group) == 1:
            weight = float(group["cchi_days"].iloc[0])
            how = f"{group['component'].iloc[0]}: {weight:g} days"
        else:
            offences = group["national_offences"].astype(float)
            weight = float((group["cchi_days"] * offences).sum() / offences.sum())
            how = "offence-weighted mean of " + "; ".join(
                f"{c} {d:g} days x {int(n):,}" for c, d, n in zip(group["component"], group["cchi_days"], offences))
        rows.append({"crime_type": crime_type, "harm_weight_days": weight, "components": how})
    return pd.DataFrame(rows)


HARM_SQL = """
SELECT crime_type, count(*) AS crimes FROM scoped_street
WHERE month BETWEEN $period_from AND $period_to GROUP BY crime_type
"""


def _harm(s: IndicatorSession) -> pd.DataFrame:
    counts = s.df(HARM_SQL, s.period_params())
    frame = pd.DataFrame({"crime_type": s.crime_types()}).merge(counts, on="crime_type", how="left")
    frame["crimes"] = frame["crimes"].fillna(0).astype("int64")
    frame = frame.merge(harm_weights(), on="crime_type", how="left")
    frame["harm_days"] = frame["crimes"] * frame["harm_weight_days"]
    total_harm = frame["harm_days"].sum()
    total_crimes = frame["crimes"].sum()
    frame["harm_share"] = frame["harm_days"] / total_harm if total_harm else np.nan
    frame["crime_share"] = frame["crimes"] / total_crimes if total_crimes else np.nan
    frame = frame.sort_values(["harm_days", "crime_type"], ascending=[False, True], na_position="last").reset_index(drop=True)
    return frame[["crime_type", "crimes", "harm_weight_days", "harm_days", "harm_share", "crime_share", "components"]]


def harm(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Harm-weighted volume per crime type over the period (print HARM_APPROXIMATION with it).

    Columns: crime_type, crimes, harm_weight_days (CCHI days per crime; NaN for a type with no weight, such
    as the pre-2013 'Violent crime'), harm_days (crimes x weight), harm_share (of all harm days in scope),
    crime_share (of all crimes in scope), components (how the weight was derived). Most harm first.
    """
    with session(warehouse_file, scope) as s:
        return _harm(s)


def share_points(share: float) -> int:
    if share is None or np.isnan(share):
        return 1
    for bound, points in SHARE_BANDS:
        if share >= bound:
            return points
    return 1


def trend_points(p_rise: float, p_fall: float, comparable: bool = True) -> int:
    """5 rising at p < 0.01, 4 rising at p < 0.05, 3 no significant change (or no year-earlier data, or a break
    in the series between the two periods), 2 falling at p < 0.05, 1 falling at p < 0.01 (adjusted p-values of
    the two-sample test of the period against a year earlier)."""
    if not comparable:
        return 3
    strong, weak = TREND_P
    if p_rise is not None and not np.isnan(p_rise):
        if p_rise < strong:
            return 5
        if p_rise < weak:
            return 4
    if p_fall is not None and not np.isnan(p_fall):
        if p_fall < strong:
            return 1
        if p_fall < weak:
            return 2
    return 3


def _priority_matrix(s: IndicatorSession) -> pd.DataFrame:
    harm_frame = _harm(s)
    change = _period_change(s)
    frame = harm_frame[["crime_type", "crimes", "crime_share", "harm_weight_days", "harm_days", "harm_share"]].merge(
        change[["crime_type", "year_earlier_crimes", "rate_ratio_vs_year_earlier", "p_rise_adjusted_vs_year_earlier",
                "p_fall_adjusted_vs_year_earlier", "comparable", "break_note"]],
        on="crime_type", how="left",
    )
    frame = frame[frame["crime_type"] != ALL_CRIME].copy()
    frame["comparable"] = frame["comparable"].fillna(True).astype(bool)
    frame["break_note"] = frame["break_note"].fillna("")
    frame["harm_score"] = [share_points(v) for v in frame["harm_share"]]
    frame["volume_score"] = [share_points(v) for v in frame["crime_share"]]
    frame["trend_score"] = [trend_points(r, f, c) for r, f, c in zip(
        frame["p_rise_adjusted_vs_year_earlier"], frame["p_fall_adjusted_vs_year_earlier"], frame["comparable"])]
    frame["priority_score"] = sum(weight * frame[column] for column, weight in WEIGHTS.items())
    frame["organisational_position"] = pd.Series([pd.NA] * len(frame), dtype="string", index=frame.index)
    frame = frame.sort_values(["priority_score", "harm_days", "crime_type"], ascending=[False, False, True],
                              na_position="last").reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def priority_matrix(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Per crime type, harm, volume and the trend over the whole period (against the same period a year earlier)
    scored 1-5 on the scales in docs/indicators.md and ranked by 2 x harm + volume + trend (4-20), every component
    visible; organisational_position is empty for the analyst. One month's exceedance plays no part.

    Columns: rank, crime_type, crimes, crime_share, harm_weight_days, harm_days, harm_share,
    year_earlier_crimes, rate_ratio_vs_year_earlier, p_rise_adjusted_vs_year_earlier,
    p_fall_adjusted_vs_year_earlier, comparable, break_note, harm_score, volume_score, trend_score,
    priority_score, organisational_position.
    """
    with session(warehouse_file, scope) as s:
        return _priority_matrix(s)
