"""Current picture and trend: the volume of crime in scope, its change, and a monthly trend chart.

`tactical`: the assessment month against the previous month and the same month a year earlier.
`strategic`: the last 12 months against the 12 before, over a long monthly trend.
`profile_context`: the problem in context (area against force, change, harm).
"""
from __future__ import annotations

import pandas as pd

from tasks import charts
from tasks.draft import month_label, period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months, parse_month
from tasks.products.common import (ALL_CRIME, month_axis, pct_change, previous_months, series, types_phrase,
                                   year_verdict)
from tasks.stats import thresholds as T
from tasks.products.engine import Figure, Gap, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number, p_text, p_value, percent, signed


TWO_SAMPLE_NOTE = ("Against the year earlier: the two observed counts compared by the exact conditional binomial test "
                   "(rate ratio with its 95% interval; p one-sided for a rise, adjusted across the crime types by "
                   "Benjamini-Hochberg false discovery rate; 'All crime' unadjusted). Shaded: a significant rise "
                   "(adjusted p < 0.01). 'break': the series changed level between the two periods (see Intelligence "
                   "gaps), so the two counts are not compared. Blank where the year-earlier period is not held.")


def _type_rows(change: pd.DataFrame) -> pd.DataFrame:
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    return pd.concat([by_type, change[change["crime_type"] == ALL_CRIME]])


def _ratio_cell(r) -> str:
    if pd.isna(r.rate_ratio_vs_year_earlier):
        return "–"
    if not r.comparable:
        return "break"
    if r.rate_ratio_vs_year_earlier == float("inf"):
        return "none before"
    return (f"{number(r.rate_ratio_vs_year_earlier, 2)} ({number(r.rate_ratio_ci_low, 2)}-"
            f"{number(r.rate_ratio_ci_high, 2)})")


def _p_cell(r, kind: str) -> str:
    if not r.comparable:
        return "–"
    column = f"p_{kind}_adjusted_vs_year_earlier" if r.crime_type != ALL_CRIME else f"p_{kind}_vs_year_earlier"
    return p_value(getattr(r, column))


def _rows(change: pd.DataFrame, head, kinds=("rise",)) -> list[list[str]]:
    """Table rows: `head(r)` cells, then the rate ratio and the adjusted p for each kind (rise, fall)."""
    return [head(r) + [_ratio_cell(r)] + [_p_cell(r, k) for k in kinds] for r in _type_rows(change).itertuples(index=False)]


def _flags(change: pd.DataFrame) -> list[bool]:
    rows = _type_rows(change)
    adjusted = rows["p_rise_adjusted_vs_year_earlier"].where(rows["crime_type"] != ALL_CRIME, rows["p_rise_vs_year_earlier"])
    return [bool(c) and pd.notna(p) and p < T.EXCEPTIONAL_P for c, p in zip(rows["comparable"], adjusted)]


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    previous_month = add_months(latest, -1)
    trend_from = add_months(latest, -12)
    params = scope_params(scope)
    change = session.indicator("period_change", scope)
    trend = session.indicator("monthly_volumes", scope.shifted(trend_from, latest))
    total = change.set_index("crime_type").loc[ALL_CRIME]
    line = (f"{number(total['crimes'])} crimes and ASB incidents were recorded in {month_label(latest)}"
            + (f", {signed(total['change_vs_previous'])} ({pct_change(total['crimes'], total['previous_crimes'])}) "
               f"on {month_label(previous_month)}" if pd.notna(total["previous_crimes"]) else "")
            + (f" and {signed(total['change_vs_year_earlier'])} on {month_label(add_months(latest, -12))}: "
               f"{year_verdict(total, adjusted=False)}" if pd.notna(total["year_earlier_crimes"]) else "")
            + ".")
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    change_table = Table(
        "current_change",
        f"Crimes by type, {month_label(latest)}, against the previous month and a year earlier",
        [("Crime type", "text"), (month_label(latest), "num"), (month_label(previous_month), "num"), ("Change", "num"),
         ("A year earlier", "num"), ("Rate ratio (95% CI)", "num"), ("p (rise), adjusted", "num")],
        _rows(change, lambda r: [r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
                                 number(r.year_earlier_crimes)]),
        Lineage("tasks.indicators.period_change", params, change, "period_change"),
        flags=_flags(change),
        note=TWO_SAMPLE_NOTE)
    top_types = by_type["crime_type"].head(4).tolist()
    held = sorted(trend.loc[trend["crimes"].notna(), "month"].unique())
    requested_months = trend["month"].nunique()
    # Chart from the first month held: a year of empty axis before three months of data says nothing.
    shown = trend[trend["month"] >= held[0]] if held else trend
    axis = sorted(set(month_axis(shown)))
    lines = {ALL_CRIME: series(shown.groupby("month", sort=True)["crimes"].sum(min_count=1))}
    for crime_type in top_types:
        lines[crime_type] = series(shown[shown["crime_type"] == crime_type].sort_values("month")["crimes"])
    trend_figure = Figure(
        "current_trend",
        f"Monthly crimes, {period_text(axis[0], latest)}: all crime and the four largest types",
        lambda path: charts.monthly_trend(path, axis, lines, title="Crimes recorded per month",
                                          shade_from=latest, shade_label=month_label(latest)),
        Lineage("tasks.indicators.monthly_volumes", scope_params(scope.shifted(trend_from, latest)), trend,
                "monthly_volumes"),
        note="Gaps in a line are months the warehouse does not hold.")
    data_period = period_text(parse_month(held[0]), latest) if held else month_label(latest)
    if len(held) < requested_months:
        data_period += f" ({len(held)} of the {requested_months} months requested are held)"
    return SectionResult(
        "Current picture", [line, f"The largest volumes were {types_phrase(top_types)}."],
        [trend_figure, change_table], findings=[line],
        facts={"total": total, "by_type": by_type, "top_types": top_types, "data_period": data_period,
               "year_p": change.set_index("crime_type")["p_rise_vs_year_earlier"]})


def strategic(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """`scope`: the last 12 months; the trend runs from ctx.first."""
    latest, first = ctx.latest, ctx.first
    whole = scope.shifted(first, latest)
    volumes = session.indicator("monthly_volumes", whole)
    change = session.indicator("period_change", scope)
    held = sorted(volumes.loc[volumes["crimes"].notna(), "month"].unique())
    requested = volumes["month"].nunique()
    monthly_total = volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    top_types = volumes.groupby("crime_type")["crimes"].sum().sort_values(ascending=False).head(5).index.tolist()
    axis = [parse_month(m) for m in monthly_total.index]
    lines = {ALL_CRIME: series(monthly_total)}
    for crime_type in top_types:
        lines[crime_type] = series(volumes[volumes["crime_type"] == crime_type].sort_values("month")["crimes"])
    trend_figure = Figure(
        "long_trend", f"Monthly crimes, {period_text(first, latest)}: all crime and the five largest types",
        lambda path: charts.monthly_trend(path, axis, lines, title="Crimes recorded per month"),
        Lineage("tasks.indicators.monthly_volumes", scope_params(whole), volumes, "monthly_volumes"),
        note="Gaps in a line are months the warehouse does not hold.")
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    total = change.set_index("crime_type").loc[ALL_CRIME]
    change_table = Table(
        "year_change",
        f"Crimes by type, the last 12 months ({period_text(scope.period_from, latest)}) against the 12 months before",
        [("Crime type", "text"), ("Last 12 months", "num"), ("Previous 12", "num"), ("Change", "num"), ("Change %", "num"),
         ("Rate ratio (95% CI)", "num"), ("p (rise), adjusted", "num"), ("p (fall), adjusted", "num")],
        _rows(change, lambda r: [r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
                                 pct_change(r.crimes, r.previous_crimes)], kinds=("rise", "fall")),
        Lineage("tasks.indicators.period_change", scope_params(scope), change, "period_change"),
        flags=_flags(change), note=TWO_SAMPLE_NOTE.replace("the year earlier", "the previous 12 months"))
    trend_lines = []
    year_held = sum(1 for m in held if parse_month(m) >= scope.period_from)
    if pd.isna(total["crimes"]):
        trend_lines.append(f"Only {year_held} of the last 12 months are held, so no 12-month totals or changes can be "
                           f"given; {ref('long_trend')} shows the months held.")
    elif pd.notna(total["previous_crimes"]):
        trend_lines.append(f"{number(total['crimes'])} crimes and ASB incidents were recorded in the last 12 months, "
                           f"{signed(total['change_vs_previous'])} ({pct_change(total['crimes'], total['previous_crimes'])}) "
                           "on the 12 months before.")
    else:
        trend_lines.append(f"{number(total['crimes'])} crimes and ASB incidents were recorded in the last 12 months; the 12 "
                           "months before are not fully held, so no change can be stated.")
    comparable = by_type[by_type["comparable"].astype(bool)]
    rising = comparable[comparable["p_rise_adjusted_vs_year_earlier"] < T.EXCEPTIONAL_P]
    falling = comparable[comparable["p_fall_adjusted_vs_year_earlier"] < T.EXCEPTIONAL_P]
    for label_, frame in (("rises", rising), ("falls", falling)):
        if not frame.empty:
            trend_lines.append(f"Significant {label_} (exact two-sample test, adjusted p < {T.EXCEPTIONAL_P:g}): " + "; ".join(
                f"{r.crime_type} {signed(r.change_vs_previous)} ({pct_change(r.crimes, r.previous_crimes)}; rate ratio "
                f"{number(r.rate_ratio_vs_year_earlier, 2)}, 95% CI {number(r.rate_ratio_ci_low, 2)} to "
                f"{number(r.rate_ratio_ci_high, 2)})" for r in frame.itertuples(index=False)) + ".")
    broken = by_type[~by_type["comparable"].astype(bool)]
    if not broken.empty:
        trend_lines.append("Not compared with the previous 12 months because the series changed level in between "
                           "(see Intelligence gaps): " + "; ".join(
                               f"{r.crime_type} ({r.break_note})" for r in broken.itertuples(index=False)) + ".")
    gaps = []
    if len(held) < requested:
        gaps.append(Gap("Months not held", f"{len(held)} of the {requested} months requested are in the warehouse",
                        "Trends and seasonality rest on fewer years than intended."))
    return SectionResult(
        "Current picture and long-term trends", trend_lines,
        [trend_figure, change_table] if pd.notna(total["crimes"]) else [trend_figure], findings=list(trend_lines),
        gaps=gaps,
        facts={"held": held, "requested": requested, "top_types": top_types, "total": total, "year_held": year_held})


def profile_context(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """The problem in context (general to specific): the area against the whole force, change, harm."""
    force = scope.force
    params = scope_params(scope)
    label = period_text(scope.period_from, scope.period_to)
    types_label = types_phrase(list(scope.crime_types))
    volumes = session.indicator("monthly_volumes", scope)
    change = session.indicator("period_change", scope)
    exceed = session.indicator("exceedance", scope)
    harm = session.indicator("harm", scope)
    force_scope = Scope(force, scope.period_from, scope.period_to, crime_types=scope.crime_types)
    force_volumes = session.indicator("monthly_volumes", force_scope)
    total = change.set_index("crime_type").loc[ALL_CRIME]
    area_total = int(volumes["crimes"].sum())
    force_total = int(force_volumes["crimes"].sum())
    area_series = volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    force_series = force_volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    axis = [parse_month(m) for m in area_series.index]
    whole_force = scope.area_kind == "force"
    lines = [
        f"{number(area_total)} crimes of the types in scope ({types_label}) were recorded in {scope.area_label} in {label}"
        + ("." if whole_force else f": {percent(area_total / force_total) if force_total else '–'} of the force's "
                                   f"{number(force_total)}."),
    ]
    if pd.notna(total["previous_crimes"]):
        lines.append(f"That is {signed(total['change_vs_previous'])} ({pct_change(total['crimes'], total['previous_crimes'])}) "
                     f"on {previous_months(scope.months)}.")
    if pd.notna(total["year_earlier_crimes"]):
        lines.append(f"Against the same months a year earlier ({number(total['year_earlier_crimes'])}) this is "
                     f"{year_verdict(total, adjusted=False)}.".replace("this is not comparable", "it is not comparable"))
    findings = list(lines)
    chart_lines = {scope.area_label: series(area_series)}
    if not whole_force:
        chart_lines[f"whole force ({force})"] = series(force_series)
    items = []
    # A line chart of one or two months says nothing the sentences do not.
    if scope.months >= 3:
        items.append(Figure(
            "context_trend",
            f"Monthly crimes of the types in scope, {label}" + ("" if whole_force else ": the area against the whole force"),
            lambda path: charts.monthly_trend(path, axis, chart_lines, title="Crimes recorded per month"),
            Lineage("tasks.indicators.monthly_volumes",
                    params if whole_force else {**params, "compared_with": "whole force, same types"}, volumes,
                    "monthly_volumes")))
    items.append(Table(
        "context_change",
        f"Crimes in scope by type, {label}, against {previous_months(scope.months)} and a year earlier",
        [("Crime type", "text"), ("This period", "num"), ("Previous period", "num"), ("Change", "num"),
         ("A year earlier", "num"), ("Rate ratio (95% CI)", "num"), ("p (rise), adjusted", "num"),
         ("p (fall), adjusted", "num")],
        _rows(change, lambda r: [r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
                                 number(r.year_earlier_crimes)], kinds=("rise", "fall")),
        Lineage("tasks.indicators.period_change", params, change, "period_change"), flags=_flags(change),
        note=TWO_SAMPLE_NOTE))
    exceed_row = exceed.set_index("crime_type").loc[ALL_CRIME]
    if exceed_row["flag"] in ("exceptional", "elevated"):
        lines.append(f"The latest month, {exceed_row['latest_to']}, is {exceed_row['flag']}: {number(exceed_row['observed'])} "
                     f"against an expected {number(exceed_row['expected'], 1)} ({p_text(exceed_row['p_value'])}).")
        findings.append(lines[-1])
    elif exceed_row["flag"] == "break in baseline":
        lines.append(f"The latest month, {exceed_row['latest_to']}, is not tested against its baseline: "
                     f"{exceed_row['break_note']}.")
    items.append(Table(
        "context_harm",
        f"Harm of the crimes in scope, {label} (Cambridge Crime Harm Index days, approximate)",
        [("Crime type", "text"), ("Crimes", "num"), ("Weight (days)", "num"), ("Harm (days)", "num"), ("Share of harm", "num")],
        [[r.crime_type, number(r.crimes), number(r.harm_weight_days, 1), number(r.harm_days), percent(r.harm_share)]
         for r in harm.itertuples(index=False)],
        Lineage("tasks.indicators.harm", params, harm, "harm")))
    return SectionResult(
        "The problem in context", lines, items, findings=findings,
        data={"monthly_volumes_force": force_volumes, "exceedance": exceed, "rows_used": rows_used(session, scope)},
        facts={"area_total": area_total, "force_total": force_total, "has_trend_figure": scope.months >= 3,
               "harm": harm})


ROWS_USED_SQL = "SELECT * FROM scoped_street WHERE month BETWEEN $period_from AND $period_to ORDER BY month, crime_id"


def rows_used(session: IndicatorSession, scope: Scope) -> pd.DataFrame:
    """The street rows in scope over the period, for the data pack."""
    s = session.scoped(scope)
    return s.df(ROWS_USED_SQL, s.period_params())
