"""Sections from the force's own records (issue 8), present only when the warehouse holds them:
the last 14 and 28 days (tactical), when it happens (hour x weekday) and near repeats (problem profile)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Sequence

import pandas as pd

from sources.internal import PUBLISHED_CATEGORIES
from tasking import warehouse
from tasks import internal_analysis as ia
from tasks.indicators import Scope
from tasks.indicators.scope import parse_month
from tasks.products.common import harm_weight
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table
from tasks.render import number, p_value

WINDOWS = (14, 28)
BASELINE_DAYS = 336
NEAR_REPEAT_ITERATIONS = 99


def _sources_table(warehouse_file, force: str, key: str) -> Table:
    files = warehouse.query_df(warehouse_file, ia.SOURCES_SQL, {"force": force})
    return Table(
        key, "Force extracts used, with the sha256 of each as loaded",
        [("Extract", "text"), ("Records", "num"), ("Recorded", "text"), ("sha256", "mono")],
        [[Path(r.source_file).name, number(r.records), f"{r.first_day:%Y-%m-%d}..{r.last_day:%Y-%m-%d}", r.source_sha256]
         for r in files.itertuples(index=False)],
        Lineage("warehouse internal_incident lineage (source_file, source_sha256)", {"force": force}))


def recent(session: IndicatorSession, scope: Scope, ctx: ProductContext, windows: Sequence[int] = WINDOWS,
           baseline_days: int = BASELINE_DAYS) -> SectionResult:
    """'The last 14 and 28 days (force records)': counts against the baseline mean, flagged by Poisson test."""
    title = f"The last {' and '.join(str(w) for w in windows)} days (force records)"
    status = ia.held(session.warehouse_file, scope.force)
    if not status["records"]:
        return SectionResult(title, shown=False)
    as_at = ia.last_complete_day(status)
    frame = ia.recent_windows(session.warehouse_file, scope.force, as_at, windows, baseline_days)
    params = {"force": scope.force, "as_at": as_at.isoformat(), "windows_days": list(windows), "baseline_days": baseline_days}
    paragraphs = [
        f"The force's own records, recorded up to {as_at:%d %B %Y} (the last complete day), are current where published "
        f"data are months old. Each crime type's count in the last {' and '.join(str(w) for w in windows)} days is "
        f"tested against the mean for a period of that length over the {baseline_days} days before it (Poisson; "
        f"exceptional p < {ia.EXCEPTIONAL_P}, elevated p < {ia.ELEVATED_P}). Dates are recording dates."
        + (" These records are SYNTHETIC." if status["synthetic"] else "")]
    items, findings, recommendations = [], [], []
    for days in windows:
        part = frame[frame["days"] == days].sort_values(["p_value", "crime_type"], na_position="last")
        flagged = part[(part["crime_type"] != ia.ALL_CRIME) & part["flag"].isin(["exceptional", "elevated"])]
        for r in flagged.itertuples(index=False):
            text = (f"Last {days} days: {r.crime_type} {number(r.recent)} recorded against {number(r.expected, 1)} "
                    f"expected (p = {p_value(r.p_value)}), {r.flag}.")
            paragraphs.append(text)
            if r.flag == "exceptional":
                findings.append(text)
                recommendations.append(Recommendation(
                    issue=f"Recent rise in {r.crime_type.lower()} (force records)", purpose="enforcement",
                    action=f"Review current deployments against the rise in {r.crime_type.lower()} in the last "
                           f"{days} days.", evidence=text,
                    harm=harm_weight(r.crime_type) * float(r.recent)))
        items.append(Table(
            f"internal_last_{days}_days",
            f"Last {days} days to {as_at:%d %B %Y} against the mean of the previous {baseline_days} days (force records)",
            [("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"), ("Baseline days held", "num"),
             ("p (rise)", "num"), ("Assessment", "text")],
            [[r.crime_type, number(r.recent), number(r.expected, 1), number(r.baseline_days_held), p_value(r.p_value), r.flag]
             for r in part.itertuples(index=False)],
            Lineage("tasks.internal_analysis.recent_windows", {**params, "window_days": days}, part,
                    f"internal_last_{days}_days"),
            flags=(part["flag"] == "exceptional").tolist()))
    if len(paragraphs) == 1:
        paragraphs.append(f"No crime type is above its expected level in the last {' or '.join(str(w) for w in windows)} days.")
    items.append(_sources_table(session.warehouse_file, scope.force, "internal_sources_recent"))
    return SectionResult(title, paragraphs, items, findings=findings, recommendations=recommendations)


def _window(scope: Scope) -> tuple[date, date]:
    start = parse_month(scope.period_from)
    return start, (pd.Timestamp(parse_month(scope.period_to)) + pd.offsets.MonthEnd(0)).date()


def _area(scope: Scope):
    return scope if scope.area_kind != "force" else None


def timing(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """'When it happens': hour x weekday (aoristic) of the crimes in scope, from the force's records."""
    title = "When it happens (force records)"
    if not ia.held(session.warehouse_file, scope.force)["records"]:
        return SectionResult(title, shown=False)
    crime_types = list(scope.crime_types) or list(PUBLISHED_CATEGORIES)
    start, end = _window(scope)
    grid, records, untimed = ia.hour_weekday(session.warehouse_file, scope.force, crime_types, start, end, _area(scope))
    if not records:
        return SectionResult(title, shown=False)
    types_text = ", ".join(crime_types) if len(crime_types) < len(PUBLISHED_CATEGORIES) else "All crime"
    params = {"force": scope.force, "crime_types": crime_types, "from": start.isoformat(), "to": end.isoformat(),
              "area": scope.area_label}
    busiest_day = grid.sum(axis=1).idxmax()
    busiest_hour = int(grid.sum(axis=0).idxmax())
    peak = grid.stack().idxmax()
    text = (f"{types_text}: the busiest day is {busiest_day} and the busiest hour {busiest_hour:02d}:00-"
            f"{busiest_hour:02d}:59; the busiest hour of the week is {peak[0]} {int(peak[1]):02d}:00 "
            f"({number(grid.stack().max(), 1)} crimes).")
    figure = Figure(
        "hour_weekday", f"{types_text} by hour and day of the week, {start:%d %B %Y} to {end:%d %B %Y} (force records)",
        lambda path: ia.draw_hour_weekday(path, grid, title=f"{types_text}: crimes by hour and weekday"),
        Lineage("tasks.internal_analysis.hour_weekday", {**params, "max_window_hours": 24}),
        note=f"Aoristic counts: a record known to have happened within a window of several hours is spread evenly "
             f"over them. {untimed} of {records} records had windows over 24 hours and are not shown.")
    return SectionResult(title, [text], [figure], findings=[text], facts={"records": records})


def near_repeats(session: IndicatorSession, scope: Scope, ctx: ProductContext, crime_type: str,
                 iterations: int = NEAR_REPEAT_ITERATIONS) -> SectionResult:
    """'Near repeats: <type>': the Knox test on the force's located records of one crime type in scope."""
    from tasks.near_repeat import KnoxBands, finding, knox_test, to_seconds

    title = f"Near repeats: {crime_type} (force records)"
    if not ia.held(session.warehouse_file, scope.force)["records"]:
        return SectionResult(title, shown=False)
    start, end = _window(scope)
    events = ia.scoped_records(session.warehouse_file, scope.force, [crime_type], start, end,
                               _area(scope)).dropna(subset=["easting", "northing"])
    if len(events) < 2:
        return SectionResult(title, shown=False)
    bands = KnoxBands()
    result = knox_test(events["easting"].to_numpy(), events["northing"].to_numpy(), to_seconds(events["occurred_from"]),
                       bands, iterations=iterations, seed=0)
    table = result.table()
    finite = table[~table["spatial_band"].str.endswith("inf) m")]
    summary = finding(result, 0.05)
    paragraph = " ".join(summary.sentences(crime_type)) + (
        f" (Knox test on {number(result.events)} located records, {iterations} permutations, p < 0.05.)")
    recommendations = []
    if summary.near_metres is not None:
        recommendations.append(Recommendation(
            issue=f"Near repeats of {crime_type.lower()}", purpose="prevention",
            action=f"After each {crime_type.lower()}, offer crime-prevention visits and target hardening to homes within "
                   f"{summary.near_metres:g} m for {summary.near_days:g} days.", evidence=paragraph,
            harm=harm_weight(crime_type) * float(result.events)))
    if summary.same_location_days is not None:
        recommendations.append(Recommendation(
            issue=f"Repeat victimisation by {crime_type.lower()}", purpose="prevention",
            action=f"Treat each {crime_type.lower()} victim as at risk of a repeat for {summary.same_location_days:g} "
                   "days: prioritise security upgrades at the same address.", evidence=paragraph,
            harm=harm_weight(crime_type) * float(result.events)))
    params = {"force": scope.force, "crime_type": crime_type, "from": start.isoformat(), "to": end.isoformat(),
              "area": scope.area_label, "iterations": iterations, "metric": result.metric,
              "spatial_breaks_m": list(bands.spatial_breaks), "temporal_breaks_days": list(bands.temporal_breaks_days)}
    slug = crime_type.lower().replace(" ", "_")
    near_table = Table(
        f"near_repeat_{slug}",
        f"{crime_type}: near-repeat (Knox) test, {start:%d %B %Y} to {end:%d %B %Y} (force records)",
        [("Distance", "text"), ("Time apart", "text"), ("Pairs", "num"), ("Expected", "num"), ("Ratio", "num"), ("p", "num")],
        [[r.spatial_band, r.temporal_band, number(r.observed), number(r.expected, 1), number(r.knox_ratio, 2),
          p_value(r.p_value)] for r in finite.itertuples(index=False)],
        Lineage("tasks.near_repeat.knox_test on tasks.internal_analysis.scoped_records", params, table,
                f"near_repeat_{slug}"),
        flags=((finite["p_value"] < 0.05) & (finite["knox_ratio"] > 1)).tolist(),
        note="Bands are [lower, upper): a pair exactly 100 m apart is in [100, 200). Manhattan distance. "
             "Highlighted: more pairs than chance at p < 0.05. See docs/near-repeat.md.")
    return SectionResult(title, [paragraph], [near_table], findings=[paragraph] if not summary.cells.empty else [],
                         recommendations=recommendations)


def near_repeat_types(scope: Scope) -> list[str]:
    """Near repeats are tested for each of up to three crime types in scope, or for burglary when it names none."""
    return list(scope.crime_types)[:3] or ["Burglary"]
