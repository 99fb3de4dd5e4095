"""Seasonality: the month-of-year index over every month held. `strategic`: per type for the largest types;
`profile_time`: VOLT's T for a problem profile (month only in published data)."""
from __future__ import annotations

from datetime import date

import numpy as np

from tasks import charts, internal_analysis
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.common import MONTH_NAMES, types_phrase
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number

MIN_MONTHS = 24  # two of each calendar month at least before an index means anything


def strategic(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    whole = scope.shifted(ctx.first, ctx.latest)
    held = ctx.fact("current_picture", "held", [])
    if len(held) < MIN_MONTHS:
        return SectionResult("Seasonality", [
            f"Seasonality needs at least two years of months; {len(held)} are held, so it is not assessed here."])
    season = session.indicator("seasonality", whole)
    season_types = ctx.fact("current_picture", "top_types", [])[:4]
    # Every calendar month on the axis; a month not held is a gap in the line.
    lines = {t: season[season["crime_type"] == t].set_index("month_of_year")["seasonal_index"].reindex(range(1, 13))
             .to_numpy(float) for t in season_types}
    years_held = int(season["months_held"].min()) if not season.empty else 0
    figure = Figure(
        "seasonality_chart", "Seasonal index by calendar month for the four largest crime types (100 = an average month)",
        lambda path: charts.seasonality(path, list(range(1, 13)), lines, title="Seasonality"),
        Lineage("tasks.indicators.seasonality", scope_params(whole), None, "seasonality"),
        note=f"Each calendar month is averaged over the {years_held} or more years held for it.")
    peaks = []
    for crime_type, group in season.groupby("crime_type"):
        if group["seasonal_index"].notna().any():
            top = group.loc[group["seasonal_index"].idxmax()]
            low = group.loc[group["seasonal_index"].idxmin()]
            peaks.append((crime_type, int(top["month_of_year"]), top["seasonal_index"], int(low["month_of_year"]),
                          low["seasonal_index"]))
    table = Table(
        "seasonality", "Peak and lowest calendar month per crime type",
        [("Crime type", "text"), ("Peak month", "text"), ("Index", "num"), ("Lowest month", "text"), ("Index", "num")],
        [[t, MONTH_NAMES[pm], number(pi), MONTH_NAMES[lm], number(li)] for t, pm, pi, lm, li in
         sorted(peaks, key=lambda p: -p[2])],
        Lineage("tasks.indicators.seasonality", scope_params(whole), season, "seasonality"))
    lines_text = [f"Seasonality is measured over {len(held)} months held; with {years_held} of each calendar month "
                  "at least, an index describes past years and is a guide, not a forecast."]
    strongest = sorted(peaks, key=lambda p: -p[2])[:3]
    if strongest:
        lines_text.append("The most seasonal types peak in " + "; ".join(
            f"{MONTH_NAMES[pm]} ({t.lower()}, index {number(pi)})" for t, pm, pi, _, _ in strongest) + ".")
    return SectionResult("Seasonality", lines_text, [figure, table])


def profile_time(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    label = period_text(scope.period_from, scope.period_to)
    season = session.indicator("seasonality", scope)
    season_all = season.groupby("month_of_year").agg(crimes=("crimes", "sum"), months_held=("months_held", "max")).reset_index()
    overall = season_all["crimes"].sum() / season_all["months_held"].sum() if season_all["months_held"].sum() else np.nan
    season_all["index"] = (season_all["crimes"] / season_all["months_held"]) * 100.0 / overall if overall else np.nan
    force_records = internal_analysis.held(session.warehouse_file, scope.force)["records"] > 0
    has_figure = ctx.fact("context", "has_trend_figure", False)
    lines = [(f"Month by month in {label}: see {ref('context_trend')}. " if has_figure else "")
             + "The published data give the month only: day of week and time of day "
             + ("come from the force's own records (below)." if force_records
                else "cannot be analysed from them and need force systems.")]
    items = []
    months_for_season = int(season_all["months_held"].sum()) if not season_all.empty else 0
    if months_for_season < MIN_MONTHS:
        lines.append(f"Seasonality needs at least two years of months; {months_for_season} are held for the force, "
                     "so it is not assessed.")
    elif season_all["index"].notna().any():
        top = season_all.loc[season_all["index"].idxmax()]
        lines.append(f"Across every month held for the force, the crimes in scope peak in "
                     f"{date(2000, int(top['month_of_year']), 1):%B} (index {number(top['index'])}; 100 = average month).")
        types_label = types_phrase(list(scope.crime_types))
        items.append(Figure(
            "profile_seasonality", "Seasonal index of the crimes in scope by calendar month (100 = an average month)",
            lambda path: charts.seasonality(path, season_all["month_of_year"].tolist(),
                                            {types_label: season_all["index"].tolist()}, title="Seasonality"),
            Lineage("tasks.indicators.seasonality", {**scope_params(scope), "combined": "sum over the types in scope"},
                    season, "seasonality"),
            note="Built from the seasonality indicator's counts per type, summed over the types in scope."))
    return SectionResult("Time (VOLT: T)", lines, items, facts={"force_records": force_records})
