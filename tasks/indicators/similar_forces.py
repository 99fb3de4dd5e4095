"""A force against its most similar forces held in the warehouse: crimes per 1,000 residents by crime type
against the group's range.

Profile of every force with street crime in the warehouse (all from the reference data, reproducible):
- residents: the mid-2015 residents of its own area, the LSOAs of the local authorities in which its published
  crimes touch at least half of the 2011 LSOAs (the rule every indicator uses, scope.FORCE_AUTHORITIES_SQL);
- density: residents per km² of those LSOAs' polygons (or of its Police Force Area when no LSOA polygons are
  held; unknown when neither is);
- deprivation: the share of its residents living in the 20% most deprived LSOAs of England (IMD deciles 1-2).

Similarity: each measure (log residents, log density, deprivation share) standardised across the forces held;
the most similar forces are the GROUP_SIZE nearest by Euclidean distance over the measures known for both
(ties broken by force slug). A published grouping (HMICFRS most similar groups, say) may be given instead as a
CSV with columns `force,similar_force`.

Rates: crimes of each type in a month / residents x 1,000, summed over the period's months. The group average
for a month is the mean over the group's forces that hold that month, so a force missing a month is left out of
that month's average (and the notes say so); the group range (lowest, highest) is over the forces that hold
every month of the period. The force is flagged an outlier for a crime type when its rate is above the group's
highest or below its lowest.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tasking import warehouse
from tasks.indicators.scope import LSOA_RESOLVED_SQL, parse_month

GROUP_SIZE = 7          # HMICFRS most similar groups hold up to seven forces besides the force itself
DEPRIVED_DECILES = 2    # "most deprived 20%": IMD deciles 1 and 2

# One row per force held: its residents, deprivation share and area. Needs the temp table lsoa_resolved. The
# force's own LSOAs follow scope.FORCE_AUTHORITIES_SQL, written for every force at once (one pass over the crimes).
PROFILES_SQL = f"""
WITH l11 AS (SELECT lsoa_code, lad19_code, population, imd_decile FROM lsoa_resolved WHERE population_basis LIKE '2011%'),
touched AS (
    SELECT DISTINCT c.force, coalesce(p.iod_lsoa11_code, c.lsoa_code) AS lsoa_code
    FROM street_crime c LEFT JOIN lsoa_resolved p ON p.lsoa_code = c.lsoa_code
),
lad_size AS (SELECT lad19_code, count(*) AS n FROM l11 GROUP BY 1),
force_lad AS (
    SELECT t.force, l.lad19_code FROM touched t JOIN l11 l USING (lsoa_code) JOIN lad_size s USING (lad19_code)
    GROUP BY t.force, l.lad19_code, s.n HAVING count(*) >= 0.5 * s.n
),
own AS (SELECT fl.force, l.lsoa_code, l.population, l.imd_decile FROM force_lad fl JOIN l11 l USING (lad19_code)),
polygons AS (SELECT o.force, sum(b.area_km2) AS area_km2 FROM own o JOIN boundary b ON b.kind = 'lsoa11' AND b.code = o.lsoa_code GROUP BY 1),
force_areas AS (SELECT force, any_value(area_km2) AS area_km2 FROM boundary WHERE kind = 'pfa' AND force IS NOT NULL GROUP BY 1),
forces AS (SELECT DISTINCT force FROM street_crime)
SELECT f.force, count(o.lsoa_code) AS lsoas, sum(o.population) AS residents,
       sum(o.population) FILTER (WHERE o.imd_decile <= {DEPRIVED_DECILES}) / nullif(sum(o.population), 0) AS deprived_share,
       coalesce(p.area_km2, a.area_km2) AS area_km2,
       CASE WHEN p.area_km2 IS NOT NULL THEN 'LSOA polygons' WHEN a.area_km2 IS NOT NULL THEN 'force area' END AS area_basis
FROM forces f LEFT JOIN own o USING (force) LEFT JOIN polygons p USING (force) LEFT JOIN force_areas a USING (force)
GROUP BY f.force, p.area_km2, a.area_km2 ORDER BY f.force
"""
NO_BOUNDARY_TABLE = "CREATE TEMP TABLE boundary (kind VARCHAR, code VARCHAR, force VARCHAR, area_km2 DOUBLE)"

# Crimes per force, month and crime type in the period, and the months each force holds (a month loaded with
# no rows is held).
COUNTS_SQL = """
SELECT force, month, crime_type, count(*) AS crimes FROM street_crime
WHERE force IN (SELECT unnest($forces)) AND month BETWEEN $period_from AND $period_to GROUP BY ALL
"""
MONTHS_HELD_SQL = """
SELECT DISTINCT force, month FROM street_crime WHERE force IN (SELECT unnest($forces)) AND month BETWEEN $period_from AND $period_to
UNION SELECT force, month FROM ingest_log WHERE kind = 'street' AND status IN ('loaded', 'replaced', 'unchanged')
  AND force IN (SELECT unnest($forces)) AND month BETWEEN $period_from AND $period_to
"""

TABLE_COLUMNS = ["crime_type", "force_crimes", "force_rate", "group_mean", "group_low", "group_high",
                 "group_forces_in_range", "flag"]


@dataclass
class SimilarForces:
    force: str
    period_from: date
    period_to: date
    profiles: pd.DataFrame                      # every force held: residents, density, deprived_share, distance
    group: list[str]                            # the most similar forces, nearest first
    table: pd.DataFrame                         # TABLE_COLUMNS, one row per crime type
    notes: list[str] = field(default_factory=list)
    basis: str = "similarity"                   # 'similarity' | 'grouping file <name>'


def force_profiles(con) -> pd.DataFrame:
    """Residents, area, density and deprivation share of every force with street crime (see the module)."""
    con.execute(LSOA_RESOLVED_SQL)
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'boundary'").fetchone()[0]:
        con.execute(NO_BOUNDARY_TABLE)  # a warehouse from before the boundary migration: no areas, no densities
    profiles = con.execute(PROFILES_SQL).df()
    profiles["density"] = profiles["residents"] / profiles["area_km2"]
    return profiles


def similarity_distances(profiles: pd.DataFrame, force: str) -> pd.Series:
    """Euclidean distance from `force` over the standardised measures both forces have (NaN if none)."""
    measures = pd.DataFrame({"log_residents": np.log(profiles["residents"].to_numpy(float)),
                             "log_density": np.log(profiles["density"].to_numpy(float)),
                             "deprived_share": profiles["deprived_share"].to_numpy(float)},
                            index=profiles["force"].to_numpy())
    spread = measures.std(ddof=0).replace(0, np.nan)
    z = (measures - measures.mean()) / spread
    own = z.loc[force]
    usable = z.columns[own.notna()]
    difference = (z[usable] - own[usable]) ** 2
    known = difference.notna().sum(axis=1)
    return np.sqrt(difference.sum(axis=1, min_count=1) * len(usable) / known.replace(0, np.nan))


def read_grouping(path: str | Path, force: str) -> list[str]:
    """The forces listed as similar to `force` in a `force,similar_force` CSV; a clear error naming the file."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error})") from error
    if not rows or not {"force", "similar_force"} <= set(rows[0]):
        raise ValueError(f"{path}: expected a CSV with columns force,similar_force")
    return [row["similar_force"].strip() for row in rows if row["force"].strip() == force and row["similar_force"].strip()]


def similar_forces(warehouse_file: str | Path | None, force: str, period_from, period_to,
                   group_size: int = GROUP_SIZE, grouping_file: str | Path | None = None) -> SimilarForces:
    """The force's rates per 1,000 residents by crime type over the period against its most similar forces."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        return compare_with_similar(con, force, period_from, period_to, group_size, grouping_file)


def compare_with_similar(con, force: str, period_from, period_to, group_size: int = GROUP_SIZE,
                         grouping_file: str | Path | None = None) -> SimilarForces:
    """`similar_forces` over an open (read-only) connection."""
    first, last = parse_month(period_from), parse_month(period_to)
    profiles = force_profiles(con)
    if force not in set(profiles["force"]):
        raise ValueError(f"force {force!r}: no street crime in the warehouse")
    profiles["distance"] = similarity_distances(profiles, force).reindex(profiles["force"]).to_numpy()
    notes: list[str] = []
    if grouping_file:
        listed = read_grouping(grouping_file, force)
        group = [f for f in listed if f in set(profiles["force"]) and f != force]
        missing = [f for f in listed if f not in set(profiles["force"])]
        if missing:
            notes.append(f"Not in the warehouse, so not compared: {', '.join(missing)} (listed in {Path(grouping_file).name}).")
        basis = f"grouping file {Path(grouping_file).name}"
    else:
        ranked = profiles[(profiles["force"] != force) & profiles["distance"].notna() & (profiles["residents"] > 0)]
        group = ranked.sort_values(["distance", "force"])["force"].head(group_size).tolist()
        basis = "similarity"
    params = {"forces": [force] + group, "period_from": first, "period_to": last}
    counts = con.execute(COUNTS_SQL, params).df()
    held = con.execute(MONTHS_HELD_SQL, params).df()
    table, month_notes = _rate_table(force, group, profiles.set_index("force")["residents"], counts, held, first, last)
    return SimilarForces(force, first, last, profiles, group, table, notes + month_notes, basis)


def _rate_table(force: str, group: list[str], residents: pd.Series, counts: pd.DataFrame, held: pd.DataFrame,
                first: date, last: date) -> tuple[pd.DataFrame, list[str]]:
    months = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="MS")
    expected = len(months)
    held = held.assign(month=pd.to_datetime(held["month"]))
    holds = {f: set(held.loc[held["force"] == f, "month"]) for f in [force] + group}
    counts = counts.assign(month=pd.to_datetime(counts["month"]))
    types = sorted(set(counts["crime_type"]))
    # rate[f][type][month]: crimes per 1,000 residents in that month, only for months the force holds
    monthly = (counts.pivot_table(index=["force", "crime_type"], columns="month", values="crimes", aggfunc="sum")
               .reindex(columns=months).fillna(0))
    notes = []
    rows = []
    complete = [f for f in group if len(holds[f]) == expected]
    for f in group:
        absent = [m for m in months if m not in holds[f]]
        if absent:
            notes.append(f"{f} holds no street crime for {', '.join(m.strftime('%Y-%m') for m in absent)}: it is left out "
                         "of the group average for those months and out of the group range.")
    own_absent = [m for m in months if m not in holds[force]]
    if own_absent:
        notes.append(f"{force} itself holds no street crime for {', '.join(m.strftime('%Y-%m') for m in own_absent)}: "
                     "its rates cover the months it holds only.")
    for crime_type in types:
        def rates(f):
            if (f, crime_type) in monthly.index:
                values = monthly.loc[(f, crime_type)]
            else:
                values = pd.Series(0.0, index=months)
            return values / residents[f] * 1000.0

        own = rates(force)
        own_rate = float(sum(own[m] for m in months if m in holds[force]))
        per_month = []
        for m in months:
            present = [rates(f)[m] for f in group if m in holds[f]]
            per_month.append(np.mean(present) if present else np.nan)
        group_mean = float(np.nansum(per_month)) if group and not np.all(np.isnan(per_month)) else np.nan
        totals = [float(rates(f).sum()) for f in complete]
        low, high = (min(totals), max(totals)) if totals else (np.nan, np.nan)
        flag = ("above the group range" if totals and own_rate > high else
                "below the group range" if totals and own_rate < low else "")
        crimes = int(monthly.loc[(force, crime_type)].sum()) if (force, crime_type) in monthly.index else 0
        rows.append([crime_type, crimes, own_rate, group_mean, low, high, len(complete), flag])
    return pd.DataFrame(rows, columns=TABLE_COLUMNS), notes

