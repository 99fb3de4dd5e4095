"""What a force's own records add to the products: the last 14 and 28 days against a baseline (tactical
assessment), and time analysis (hour x weekday) and near repeats (problem profile).

Each `*_section` function adds one section to a product Draft when the warehouse holds internal records for
the force, and does nothing otherwise, so products built from published data alone are unchanged. Counts are
SQL in DuckDB over `internal_incident`; the Poisson test is the one the published-data sections use.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import poisson

from sources.internal import PUBLISHED_CATEGORIES
from tasking import warehouse

ALL_CRIME = "All crime"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EXCEPTIONAL_P = 0.01
ELEVATED_P = 0.05

HELD_SQL = """
SELECT count(*) AS records, min(CAST(recorded_at AS DATE)) AS first_day, max(CAST(recorded_at AS DATE)) AS last_day,
       bool_or(synthetic) AS synthetic
FROM internal_incident WHERE force = $force
"""

# Records per crime type in the last `days` days to `as_at` (by recorded date: recent offences not yet
# recorded would otherwise look like a fall), and in the `baseline_days` before that window.
RECENT_WINDOWS_SQL = """
WITH windows AS (SELECT unnest($windows) AS days),
dated AS (SELECT crime_type, CAST(recorded_at AS DATE) AS day FROM internal_incident WHERE force = $force)
SELECT w.days, coalesce(d.crime_type, 'All crime') AS crime_type,
       count(*) FILTER (WHERE d.day > CAST($as_at AS DATE) - w.days AND d.day <= CAST($as_at AS DATE)) AS recent,
       count(*) FILTER (WHERE d.day > CAST($as_at AS DATE) - w.days - $baseline_days
                          AND d.day <= CAST($as_at AS DATE) - w.days) AS baseline
FROM dated d CROSS JOIN windows w
GROUP BY GROUPING SETS ((w.days, d.crime_type), (w.days))
HAVING recent > 0 OR baseline > 0
ORDER BY w.days, crime_type
"""

# A problem profile's records: its force, crime types, dates and area. The area condition is chosen by the kind
# of area (the same kinds as tasks.indicators.Scope); its values are always parameters.
SCOPED_SQL = """
SELECT reference, occurred_from, occurred_to, crime_type, easting, northing, latitude, longitude, lsoa_code
FROM internal_incident
WHERE force = $force AND crime_type IN (SELECT unnest($crime_types))
  AND occurred_from >= CAST($start AS TIMESTAMP) AND occurred_from < CAST($end AS TIMESTAMP) + INTERVAL 1 DAY
  AND {area}
"""
AREA_CONDITIONS = {
    "force": "TRUE",
    "lsoa": "lsoa_code IN (SELECT unnest($lsoa_codes))",
    "local_authority": (
        "lsoa_code IN (SELECT lsoa11_code FROM lsoa WHERE lad19_code = $local_authority OR lower(lad19_name) = lower($local_authority)"
        " UNION SELECT k.lsoa21_code FROM lsoa_lookup k JOIN lsoa l ON l.lsoa11_code = k.lsoa11_code"
        " WHERE l.lad19_code = $local_authority OR lower(l.lad19_name) = lower($local_authority))"),
    "bbox": "longitude BETWEEN $min_lon AND $max_lon AND latitude BETWEEN $min_lat AND $max_lat",
    "polygon": "longitude IS NOT NULL",  # narrowed to the polygon with shapely below
}

# Aoristic hour x weekday counts: a record whose occurrence is known only to a window spreads one crime evenly
# over the clock hours the window touches; windows longer than $max_window_hours say nothing about time of day.
HOUR_WEEKDAY_SQL = """
WITH spans AS (
    SELECT date_trunc('hour', occurred_from) AS first_hour,
           date_trunc('hour', greatest(coalesce(occurred_to, occurred_from), occurred_from)) AS last_hour
    FROM scoped_records
),
sized AS (SELECT *, date_diff('hour', first_hour, last_hour) + 1 AS hours FROM spans),
spread AS (
    SELECT unnest(generate_series(first_hour, last_hour, INTERVAL 1 HOUR)) AS hour_start, 1.0 / hours AS weight
    FROM sized WHERE hours <= $max_window_hours
)
SELECT isodow(hour_start) AS weekday, hour(hour_start) AS hour, sum(weight) AS crimes,
       (SELECT count(*) FROM sized) AS records, (SELECT count(*) FROM sized WHERE hours > $max_window_hours) AS untimed
FROM spread GROUP BY ALL
"""

SOURCES_SQL = """
SELECT source_file, source_sha256, count(*) AS records, min(CAST(recorded_at AS DATE)) AS first_day,
       max(CAST(recorded_at AS DATE)) AS last_day
FROM internal_incident WHERE force = $force GROUP BY ALL ORDER BY first_day, source_file
"""


def held(warehouse_file, force: str) -> dict:
    """How many internal records the warehouse holds for the force, their first and last recorded day."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'internal_incident'").fetchone()[0]
        if not exists:
            return {"records": 0, "first_day": None, "last_day": None, "synthetic": False}
        row = con.execute(HELD_SQL, {"force": force}).df().iloc[0].to_dict()
    row["records"] = int(row["records"])
    for key in ("first_day", "last_day"):
        row[key] = None if pd.isna(row[key]) else pd.Timestamp(row[key]).date()
    row["synthetic"] = bool(row["synthetic"]) if not pd.isna(row["synthetic"]) else False
    return row


def last_complete_day(status: dict) -> date:
    """The day before the last recorded day: an extract is taken part-way through its last day."""
    return status["last_day"] - timedelta(days=1)


def recent_windows(warehouse_file, force: str, as_at: date | None = None, windows: Sequence[int] = (14, 28),
                   baseline_days: int = 336) -> pd.DataFrame:
    """Per window and crime type: recorded in the window, the baseline mean for a window of that length, and the
    Poisson probability of a count at least this high; `flag` is exceptional, elevated, within or
    'insufficient baseline' (fewer than four windows' worth of baseline days held)."""
    status = held(warehouse_file, force)
    if not status["records"]:
        return pd.DataFrame(columns=["days", "crime_type", "recent", "baseline", "baseline_days_held", "expected", "p_value", "flag"])
    as_at = as_at or last_complete_day(status)
    frame = warehouse.query_df(warehouse_file, RECENT_WINDOWS_SQL, {
        "force": force, "as_at": as_at, "windows": [int(w) for w in windows], "baseline_days": int(baseline_days)})
    baseline_start = {w: as_at - timedelta(days=w + baseline_days - 1) for w in windows}
    frame["baseline_days_held"] = [
        max(0, (as_at - timedelta(days=int(w)) - max(baseline_start[int(w)], status["first_day"])).days + 1)
        for w in frame["days"]]
    frame["expected"] = np.where(frame["baseline_days_held"] > 0,
                                 frame["baseline"] * frame["days"] / frame["baseline_days_held"].clip(lower=1), np.nan)
    frame["p_value"] = [poisson.sf(k - 1, mu) if mu > 0 else (0.0 if k > 0 else 1.0) if mu == mu else np.nan
                        for k, mu in zip(frame["recent"], frame["expected"])]
    enough = frame["baseline_days_held"] >= 4 * frame["days"]
    frame["flag"] = np.select(
        [~enough, frame["p_value"] < EXCEPTIONAL_P, frame["p_value"] < ELEVATED_P],
        ["insufficient baseline", "exceptional", "elevated"], "within expected range")
    frame["as_at"] = as_at
    return frame


def scoped_records(warehouse_file, force: str, crime_types: Sequence[str], start: date, end: date,
                   area=None) -> pd.DataFrame:
    """Internal records of the crime types between two dates (inclusive), inside `area`: a
    tasks.indicators.Scope whose area (LSOAs, local authority, bbox or polygon) applies, or None for the force."""
    kind = area.area_kind if area is not None else "force"
    sql = SCOPED_SQL.format(area=AREA_CONDITIONS[kind])
    params = {"force": force, "crime_types": list(crime_types), "start": start, "end": end}
    if kind == "lsoa":
        params["lsoa_codes"] = list(area.lsoa_codes)
    elif kind == "local_authority":
        params["local_authority"] = area.local_authority
    elif kind == "bbox":
        params.update(zip(("min_lon", "min_lat", "max_lon", "max_lat"), area.bbox))
    records = warehouse.query_df(warehouse_file, sql, params)
    if kind == "polygon" and len(records):
        import shapely

        inside = shapely.contains_xy(area._polygon, records["longitude"].to_numpy(float), records["latitude"].to_numpy(float))
        records = records[np.asarray(inside, dtype=bool)].reset_index(drop=True)
    return records


def hour_weekday(warehouse_file, force: str, crime_types: Sequence[str], start: date, end: date, area=None,
                 max_window_hours: int = 24) -> tuple[pd.DataFrame, int, int]:
    """A 7 x 24 table (Mon..Sun by hour 0..23) of aoristic crime counts, the records considered, and how many
    had an occurrence window too long to place in time."""
    import duckdb

    records = scoped_records(warehouse_file, force, crime_types, start, end, area)
    with duckdb.connect() as con:
        con.register("scoped_records", records[["occurred_from", "occurred_to"]])
        rows = con.execute(HOUR_WEEKDAY_SQL, {"max_window_hours": max_window_hours}).df()
    grid = pd.DataFrame(0.0, index=list(WEEKDAYS), columns=range(24))
    for r in rows.itertuples(index=False):
        grid.iloc[int(r.weekday) - 1, int(r.hour)] = float(r.crimes)
    untimed = int(rows["untimed"].iloc[0]) if len(rows) else 0
    return grid, len(records), untimed


def draw_hour_weekday(path: Path, grid: pd.DataFrame, *, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="Blues", interpolation="nearest")
    ax.set_yticks(range(7), list(grid.index))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("Hour of day (start of the clock hour)")
    ax.set_title(title, loc="left")
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label="crimes")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


def _sources_table(draft, warehouse_file, force: str) -> dict:
    from tasks.render import number

    files = warehouse.query_df(warehouse_file, SOURCES_SQL, {"force": force})
    return draft.table(
        "Force extracts used, with the sha256 of each as loaded",
        [("Extract", "text"), ("Records", "num"), ("Recorded", "text"), ("sha256", "mono")],
        [[Path(r.source_file).name, number(r.records), f"{r.first_day:%Y-%m-%d}..{r.last_day:%Y-%m-%d}", r.source_sha256]
         for r in files.itertuples(index=False)],
        indicator="warehouse internal_incident lineage (source_file, source_sha256)", params={"force": force})


def tactical_recent_section(draft, warehouse_file, force: str, key_findings: list[str], recommendations: list[dict],
                            windows: Sequence[int] = (14, 28), baseline_days: int = 336) -> dict | None:
    """'The last 14 and 28 days (force records)': counts against the baseline mean, flagged by Poisson test."""
    from tasks.render import number, p_value

    status = held(warehouse_file, force)
    if not status["records"]:
        return None
    as_at = last_complete_day(status)
    frame = recent_windows(warehouse_file, force, as_at, windows, baseline_days)
    params = {"force": force, "as_at": as_at.isoformat(), "windows_days": list(windows), "baseline_days": baseline_days}
    paragraphs = [
        f"The force's own records, recorded up to {as_at:%d %B %Y} (the last complete day), are current where published data are months "
        f"old. Each crime type's count in the last {' and '.join(str(w) for w in windows)} days is tested against "
        f"the mean for a period of that length over the {baseline_days} days before it (Poisson; exceptional "
        f"p < {EXCEPTIONAL_P}, elevated p < {ELEVATED_P}). Dates are recording dates."
        + (" These records are SYNTHETIC." if status["synthetic"] else "")]
    items = []
    for days in windows:
        part = frame[frame["days"] == days].sort_values(["p_value", "crime_type"], na_position="last")
        flagged = part[(part["crime_type"] != ALL_CRIME) & part["flag"].isin(["exceptional", "elevated"])]
        for r in flagged.itertuples(index=False):
            sentence = (f"Last {days} days: {r.crime_type} {number(r.recent)} recorded against {number(r.expected, 1)} "
                        f"expected (p = {p_value(r.p_value)}), {r.flag}.")
            paragraphs.append(sentence)
            if r.flag == "exceptional":
                key_findings.append(sentence)
                recommendations.append({"area": "Enforcement", "text": f"Review current deployments against the rise in "
                                        f"{r.crime_type.lower()} in the last {days} days.", "basis": sentence})
        items.append(draft.table(
            f"Last {days} days to {as_at:%d %B %Y} against the mean of the previous {baseline_days} days (force records)",
            [("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"), ("Baseline days held", "num"),
             ("p (rise)", "num"), ("Assessment", "text")],
            [[r.crime_type, number(r.recent), number(r.expected, 1), number(r.baseline_days_held), p_value(r.p_value), r.flag]
             for r in part.itertuples(index=False)],
            flags=(part["flag"] == "exceptional").tolist(),
            indicator="tasks.internal_analysis.recent_windows", params={**params, "window_days": days},
            data=part, data_name=f"internal_last_{days}_days"))
    if len(paragraphs) == 1:
        paragraphs.append(f"No crime type is above its expected level in the last {' or '.join(str(w) for w in windows)} days.")
    items.append(_sources_table(draft, warehouse_file, force))
    return draft.section(f"The last {' and '.join(str(w) for w in windows)} days (force records)", paragraphs, items)


def problem_profile_sections(draft, warehouse_file, scope, key_findings: list[str], recommendations: list[dict],
                             iterations: int = 99) -> list[dict]:
    """The force-records sections of a problem profile over its scope (tasks.indicators.Scope: force, months,
    crime types, area); none when the warehouse holds no internal records for the force. Near repeats are tested
    for each of up to three crime types in scope, or for burglary when the scope names none."""
    from tasks.indicators.scope import parse_month

    crime_types = list(scope.crime_types) or list(PUBLISHED_CATEGORIES)
    near_types = list(scope.crime_types)[:3] or ["Burglary"]
    start = parse_month(scope.period_from)
    end = (pd.Timestamp(parse_month(scope.period_to)) + pd.offsets.MonthEnd(0)).date()
    return problem_profile_time_and_near_repeat_sections(
        draft, warehouse_file, scope.force, crime_types, start, end, key_findings, recommendations,
        area=scope if scope.area_kind != "force" else None, iterations=iterations, near_repeat_types=near_types)


def problem_profile_time_and_near_repeat_sections(draft, warehouse_file, force: str, crime_types: Sequence[str],
                                                  start: date, end: date, key_findings: list[str],
                                                  recommendations: list[dict], area=None, iterations: int = 99,
                                                  near_repeat_types: Sequence[str] | None = None) -> list[dict]:
    """'When it happens' (hour x weekday, aoristic) and 'Near repeats' (Knox) from the force's records in the
    profile's area (`area`: its tasks.indicators.Scope, or None for the whole force)."""
    from tasks.near_repeat import KnoxBands, _number, finding, knox_test, to_seconds
    from tasks.render import number, p_value

    status = held(warehouse_file, force)
    if not status["records"]:
        return []
    sections = []
    grid, records, untimed = hour_weekday(warehouse_file, force, crime_types, start, end, area)
    types_text = ", ".join(crime_types) if len(crime_types) < len(PUBLISHED_CATEGORIES) else "All crime"
    params = {"force": force, "crime_types": list(crime_types), "from": start.isoformat(), "to": end.isoformat(),
              "area": area.area_label if area is not None else "whole force"}
    if records:
        busiest_day = grid.sum(axis=1).idxmax()
        busiest_hour = int(grid.sum(axis=0).idxmax())
        peak = grid.stack().idxmax()
        timing = (f"{types_text}: the busiest day is {busiest_day} and the busiest hour {busiest_hour:02d}:00-"
                  f"{busiest_hour:02d}:59; the busiest hour of the week is {peak[0]} {int(peak[1]):02d}:00 "
                  f"({number(grid.stack().max(), 1)} crimes).")
        key_findings.append(timing)
        figure = draft.figure(
            f"{types_text} by hour and day of the week, {start:%d %B %Y} to {end:%d %B %Y} (force records)",
            lambda path: draw_hour_weekday(path, grid, title=f"{types_text}: crimes by hour and weekday"),
            indicator="tasks.internal_analysis.hour_weekday", params={**params, "max_window_hours": 24},
            note=f"Aoristic counts: a record known to have happened within a window of several hours is spread evenly "
                 f"over them. {untimed} of {records} records had windows over 24 hours and are not shown.")
        sections.append(draft.section("When it happens (force records)", [timing], [figure]))
    bands = KnoxBands()
    for crime_type in (near_repeat_types if near_repeat_types is not None else crime_types):
        events = scoped_records(warehouse_file, force, [crime_type], start, end, area).dropna(subset=["easting", "northing"])
        if len(events) < 2:
            continue
        result = knox_test(events["easting"].to_numpy(), events["northing"].to_numpy(), to_seconds(events["occurred_from"]),
                           bands, iterations=iterations, seed=0)
        table = result.table()
        finite = table[~table["spatial_band"].str.endswith("inf) m")]
        summary = finding(result, 0.05)
        paragraph = " ".join(summary.sentences(crime_type)) + (
            f" (Knox test on {number(result.events)} located records, {iterations} permutations, p < 0.05.)")
        if not summary.cells.empty:
            key_findings.append(paragraph)
        if summary.near_metres is not None:
            recommendations.append({"area": "Prevention", "text": f"After each {crime_type.lower()}, offer crime-prevention "
                                    f"visits and target hardening to homes within {_number(summary.near_metres)} m for "
                                    f"{_number(summary.near_days)} days.", "basis": paragraph})
        if summary.same_location_days is not None:
            recommendations.append({"area": "Prevention", "text": f"Treat each {crime_type.lower()} victim as at risk of a "
                                    f"repeat for {_number(summary.same_location_days)} days: prioritise security "
                                    "upgrades at the same address.", "basis": paragraph})
        near_table = draft.table(
            f"{crime_type}: near-repeat (Knox) test, {start:%d %B %Y} to {end:%d %B %Y} (force records)",
            [("Distance", "text"), ("Time apart", "text"), ("Pairs", "num"), ("Expected", "num"), ("Ratio", "num"),
             ("p", "num")],
            [[r.spatial_band, r.temporal_band, number(r.observed), number(r.expected, 1),
              number(r.knox_ratio, 2), p_value(r.p_value)] for r in finite.itertuples(index=False)],
            flags=((finite["p_value"] < 0.05) & (finite["knox_ratio"] > 1)).tolist(),
            indicator="tasks.near_repeat.knox_test on tasks.internal_analysis.scoped_records",
            params={**params, "crime_type": crime_type, "iterations": iterations, "metric": result.metric,
                    "spatial_breaks_m": list(bands.spatial_breaks), "temporal_breaks_days": list(bands.temporal_breaks_days)},
            data=table, data_name=f"near_repeat_{crime_type.lower().replace(' ', '_')}",
            note="Bands are [lower, upper): a pair exactly 100 m apart is in [100, 200). Manhattan distance. "
                 "Highlighted: more pairs than chance at p < 0.05. See docs/near-repeat.md.")
        sections.append(draft.section(f"Near repeats: {crime_type} (force records)", [paragraph], [near_table]))
    return sections
