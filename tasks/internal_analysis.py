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
