"""Intelligence gaps: what is missing from the data behind this product and what that does to it.

Every section states its own gaps (a baseline not held, months missing); this section adds the gaps every
product shares (incomplete months, rejected files, unchecked files, crimes without a location or outside the
area, reference data, lag, what police-recorded data never hold) and returns the full list, in section order.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from tasks.draft import data_lag_months, month_label
from tasks.indicators import Scope
from tasks.products.common import sentence
from tasks.products.engine import Gap, IndicatorSession, ProductContext, SectionResult
from tasks.render import number, percent

REFERENCE_EFFECTS = {
    "iod-population": "no residents, so no rates per 1,000",
    "iod-imd": "no Index of Multiple Deprivation, so no deprivation analysis",
    "iod-domains": "no deprivation domains",
    "lsoa-lookup": "2021 LSOA codes cannot be matched to the 2011 reference data",
}


def outcome_gaps(coverage: pd.DataFrame, first: date, last: date) -> list[Gap]:
    """Whether outcomes come from outcomes files or only from the street files' last outcome category (the
    outcomes section gives figures either way, so "no outcomes data" would contradict it)."""
    held = coverage.set_index("kind").loc["outcomes"]
    street_only = ("The outcomes given are the street files' last outcome category: the latest outcome when each "
                   "month was published. Outcomes reached after that (most charges come months later) are missing, so "
                   "charge and summons shares are understated.")
    if pd.isna(held["first_month"]):
        return [Gap("No outcomes files", "The warehouse holds no outcomes files for this force; outcomes are "
                    "available only from the street files", street_only)]
    last_held = pd.Timestamp(held["last_month"]).date()
    if last_held < last:
        return [Gap("Outcomes files end early", f"Outcomes files are held to {month_label(last_held)}; crimes after "
                    "that have outcomes from the street files only", street_only)]
    return []


# Scope-true counts: the crimes of the product's own types and period published with no location (they cannot
# be placed in or out of any area), and those published at points just outside an area's own points (snapping
# can move a crime across a boundary, so some of them may belong to the area and some of the area's may not).
NO_LOCATION_SQL = """
SELECT count(*) AS crimes, count(*) FILTER (WHERE longitude IS NULL OR latitude IS NULL) AS no_location
FROM street_crime
WHERE force = $force AND month BETWEEN $period_from AND $period_to
  AND (len($crime_types) = 0 OR crime_type IN (SELECT unnest($crime_types)))
"""
NEAR_BOUNDARY_SQL = """
WITH inside AS (
    SELECT DISTINCT longitude, latitude FROM scoped_street
    WHERE month BETWEEN $period_from AND $period_to AND longitude IS NOT NULL
),
box AS (SELECT min(longitude) - 0.01 AS x0, max(longitude) + 0.01 AS x1, min(latitude) - 0.01 AS y0,
               max(latitude) + 0.01 AS y1 FROM inside),
outside AS (
    SELECT c.longitude, c.latitude, count(*) AS crimes FROM street_crime c, box
    WHERE c.force = $force AND c.month BETWEEN $period_from AND $period_to
      AND (len($crime_types) = 0 OR c.crime_type IN (SELECT unnest($crime_types)))
      AND c.longitude BETWEEN box.x0 AND box.x1 AND c.latitude BETWEEN box.y0 AND box.y1
      AND NOT EXISTS (SELECT 1 FROM inside i WHERE i.longitude = c.longitude AND i.latitude = c.latitude)
    GROUP BY ALL
)
SELECT coalesce(sum(crimes), 0) AS near_outside FROM outside o
WHERE EXISTS (SELECT 1 FROM inside i
              WHERE abs(i.latitude - o.latitude) * 111320 < $metres
                AND abs(i.longitude - o.longitude) * 111320 * cos(radians(o.latitude)) < $metres)
"""
BOUNDARY_METRES = 200  # about the spacing of snap points in a built-up area: how far snapping can move a crime


def scope_location_gaps(session, scope: Scope, lsoas: pd.DataFrame | None) -> list[Gap]:
    """Crimes of the scope's types and period with no location, and (for an area) just outside it; for the
    whole force, crimes snapped into LSOAs outside the force's own local authorities."""
    from tasks.draft import period_text

    params = {"force": scope.force, "period_from": scope.period_from, "period_to": scope.period_to,
              "crime_types": list(scope.crime_types)}
    label = period_text(scope.period_from, scope.period_to)
    what = "of the types in scope" if scope.crime_types else ""
    gaps = []
    counts = session.df(NO_LOCATION_SQL, params).iloc[0]
    if counts["crimes"]:
        where = ("cannot be placed in or out of the area and are in none of its figures" if scope.area_kind != "force"
                 else "count in force totals but cannot be mapped or placed in an LSOA, hotspot or repeat location")
        gaps.append(Gap("Crimes with no location",
                        f"{number(counts['no_location'])} of the force's {number(counts['crimes'])} street crimes "
                        f"{what} in {label} ({percent(counts['no_location'] / counts['crimes'])}) were published without "
                        "coordinates".replace("  ", " "), f"They {where}."))
    if scope.area_kind == "force":
        if lsoas is not None and not lsoas.empty and lsoas["in_area_population"].astype(bool).any():
            outside = lsoas.loc[~lsoas["in_area_population"].astype(bool), "crimes"].sum()
            total = lsoas["crimes"].sum()
            if total:
                gaps.append(Gap("Crimes snapped outside the force area",
                                f"{number(outside)} of {number(total)} located crimes {what} in {label} "
                                f"({percent(outside / total)}) fall in LSOAs outside the force's own local "
                                "authorities".replace("  ", " "),
                                "Published locations are snapped to map points that can cross boundaries; these "
                                "crimes are counted but have no residents in the rate base."))
    else:
        session.scoped(scope)  # the area's own rows, for the points inside it
        near = int(session.df(NEAR_BOUNDARY_SQL, {**params, "metres": BOUNDARY_METRES}).iloc[0]["near_outside"])
        gaps.append(Gap("Crimes just outside the area",
                        f"{number(near)} crimes {what} in {label} were published at points outside the area but within "
                        f"{BOUNDARY_METRES} m of its own published points".replace("  ", " "),
                        "Snapping to anonymous map points can move a crime across the boundary: some of these may have "
                        "happened in the area (and some counted in it may not). They are in none of its figures."))
    return gaps


COMPLETENESS_CHECK = "tasks.validate.completeness"


def completeness_gaps(session, force: str, first: date, last: date) -> tuple[list[list[str]], str, set[int]]:
    """Missing or partial force-months in the window from the quality checks' `completeness` view (the same rows
    as tasks.validate.completeness, read on the build's session): (rows of [what, status, reason], the check used,
    ids of the rejected batches those rows explain)."""
    from tasks.validate import COMPLETENESS_COLUMNS

    frame = session.df(f"SELECT {', '.join(COMPLETENESS_COLUMNS)} FROM completeness WHERE force = $force "
                       "AND month BETWEEN $first AND $last ORDER BY kind, force, month",
                       {"force": force, "first": first, "last": last})
    rows = [[f"{r.kind} {pd.Timestamp(r.month):%Y-%m}", r.status, r.reason] for r in frame.itertuples(index=False)]
    explained = {int(b) for b in frame["rejected_batch_id"] if pd.notna(b)}
    return rows, COMPLETENESS_CHECK, explained


def common_gaps(session, force: str, first: date, last: date, sources,
                lsoas: pd.DataFrame | None = None) -> tuple[list[Gap], str]:
    """Gaps every product states about its data: incomplete months, rejected batches, unchecked files, reference
    data, outcomes and stop and search coverage, lag, and what police-recorded data never hold."""
    gaps: list[Gap] = []
    incomplete, check, explained = completeness_gaps(session, force, first, last)
    for what, status, detail in incomplete:
        gaps.append(Gap(f"Incomplete data: {what}", f"{status}: {detail}",
                        "Counts for that month are understated or absent; comparisons that include it are unreliable."))
    for r in sources.rejected.itertuples(index=False):
        if r.batch_id in explained:  # already stated as that month's gap
            continue
        gaps.append(Gap(f"File {r.status}: {r.kind} {r.month}", f"{Path(str(r.path)).name}: {r.error}",
                        "The earlier version of this month is used; the rejected file's rows are in no figure here."
                        if r.earlier_version_used else "Its rows are not in the warehouse and not in any figure here."))
    if sources.validation is None or sources.validation.empty:
        gaps.append(Gap("Quality checks not evidenced", "No quality-gate results are recorded for the files used",
                        "Completeness and validity of the rows rest on the publisher; read the figures with that caution."))
    missing_reference = [kind for kind in REFERENCE_EFFECTS if kind not in set(sources.reference["kind"])]
    if missing_reference:
        gaps.append(Gap("Reference data not loaded", "Not loaded: " + ", ".join(missing_reference),
                        sentence("; ".join(REFERENCE_EFFECTS[k] for k in missing_reference))))
    gaps += outcome_gaps(sources.coverage, first, last)
    held = sources.coverage.set_index("kind")
    if pd.isna(held.loc["stop and search", "first_month"]):
        gaps.append(Gap("No stop and search data", "The warehouse holds no stop and search files for this force",
                        "Stop and search cannot be described."))
    lag = data_lag_months(last)
    gaps.append(Gap("Publication lag", f"The latest month used is {month_label(last)}, {lag} months before this product "
                    "was drafted; data.police.uk publishes each month about two months after it ends",
                    "Anything that happened since is not in these figures: add current force and partner information."))
    gaps.append(Gap("Police-recorded crime only", "The data are crimes and ASB as recorded and published by the police; "
                    "unreported crime, victim and offender details, times of day and modus operandi are not published",
                    "Victim and offender analysis and time-of-day patterns need force systems (RMS, command and control)."))
    return gaps, check


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """Earlier sections' gaps first, then the shared ones, over the product's window (ctx.first..ctx.latest)."""
    lsoas = session.indicator("lsoa_counts", scope)
    shared, check = common_gaps(session, ctx.force, ctx.first, scope.period_to, ctx.sources)
    earlier = [g for result in ctx.results.values() for g in result.gaps]
    located = scope_location_gaps(session, scope, lsoas)
    return SectionResult("Intelligence gaps", gaps=earlier + located + shared, body=False,
                         facts={"check": check})
