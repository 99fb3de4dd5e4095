"""The force against its most similar forces held in the warehouse (strategic assessment): crimes per 1,000
residents by crime type against the group's range (tasks.indicators.similar_forces)."""
from __future__ import annotations

import pandas as pd

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.similar_forces import DEPRIVED_DECILES, GROUP_SIZE, compare_with_similar
from tasks.products.engine import Figure, Gap, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number, percent

TITLE = "Comparison with similar forces"


def strategic(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """Over the scope's period (the strategic assessment's last 12 months). Options: `similar_group_size`,
    `similar_grouping_file` (a published `force,similar_force` CSV)."""
    comparison = session.memo(("similar_forces", scope.force, scope.period_from, scope.period_to), lambda: compare_with_similar(
        session.con, scope.force, scope.period_from, scope.period_to,
        ctx.options.get("similar_group_size", GROUP_SIZE), ctx.options.get("similar_grouping_file")))
    label = period_text(scope.period_from, scope.period_to)
    if not comparison.group:
        return SectionResult(TITLE, shown=False, gaps=[Gap(
            "No similar forces held", "The warehouse holds street crime for this force only (or none of the forces "
            "in the grouping file)", "The force's rates cannot be set against forces like it; load other forces' "
            "data.police.uk files to compare.")])
    profiles = comparison.profiles.set_index("force")
    members = [comparison.force] + comparison.group
    params = {**scope_params(scope), "group": comparison.group, "basis": comparison.basis}
    profile_table = Table(
        "similar_profiles", "The force and its most similar forces: residents, density and deprivation",
        [("Force", "text"), ("Residents (mid-2015)", "num"), ("Residents per km²", "num"),
         (f"Residents in the {DEPRIVED_DECILES * 10}% most deprived LSOAs", "num"), ("Distance", "num")],
        [[f, number(profiles.at[f, "residents"]), number(profiles.at[f, "density"]),
          percent(profiles.at[f, "deprived_share"]), number(profiles.at[f, "distance"], 2)] for f in members],
        Lineage("tasks.indicators.similar_forces (profiles)", params, comparison.profiles, "similar_force_profiles"),
        note="Distance: Euclidean over the standardised log residents, log density and deprivation share of every "
             "force held (0 = the force itself)." if comparison.basis == "similarity" else
             f"Group as given in {comparison.basis.removeprefix('grouping file ')}.")
    table = comparison.table
    flagged = table["flag"] != ""
    rate_table = Table(
        "similar_rates", f"Crimes per 1,000 residents by type, {label}: the force against its similar forces",
        [("Crime type", "text"), ("Crimes", "num"), ("Rate", "num"), ("Similar forces' average", "num"),
         ("Their range", "text"), ("Against the range", "text")],
        [[r.crime_type, number(r.force_crimes), number(r.force_rate, 2), number(r.group_mean, 2),
          f"{number(r.group_low, 2)} to {number(r.group_high, 2)}" if pd.notna(r.group_low) else "–", r.flag]
         for r in table.itertuples(index=False)],
        Lineage("tasks.indicators.similar_forces", params, table, "similar_force_rates"), flags=flagged.tolist(),
        note="Average: for each month the mean rate of the similar forces holding that month, summed over the period. "
             "Range: lowest and highest rate among the similar forces holding every month.")
    figure = Figure(
        "similar_chart", f"Crimes per 1,000 residents by type against the similar forces' range ({ref('similar_rates')})",
        lambda path: charts.rate_against_group(path, table["crime_type"], table["force_rate"], table["group_low"],
                                               table["group_high"], table["group_mean"], flagged.tolist(),
                                               title=f"{scope.force} against its similar forces, {label}"),
        Lineage("tasks.indicators.similar_forces", params, table, "similar_force_rates"))
    above = table[table["flag"] == "above the group range"]
    below = table[table["flag"] == "below the group range"]
    paragraphs = [
        f"Compared with {len(comparison.group)} similar forces held in the warehouse ({', '.join(comparison.group)}; "
        + ("the nearest on residents, density and deprivation" if comparison.basis == "similarity" else comparison.basis)
        + f"), {ref('similar_profiles')}."]
    findings = []
    if not above.empty:
        paragraphs.append("Above every similar force: " + "; ".join(
            f"{r.crime_type} ({number(r.force_rate, 2)} per 1,000 against at most {number(r.group_high, 2)})"
            for r in above.itertuples(index=False)) + f" ({ref('similar_rates')}).")
        findings.append(paragraphs[-1])
    if not below.empty:
        paragraphs.append("Below every similar force: " + ", ".join(below["crime_type"]) + ".")
    if above.empty and below.empty:
        paragraphs.append("For every crime type the force's rate lies within its similar forces' range.")
    paragraphs += comparison.notes
    gaps = [Gap("Similar forces missing months", note, "Their averages for those months rest on fewer forces.")
            for note in comparison.notes if "left out of the group average" in note]
    return SectionResult(TITLE, paragraphs, [profile_table, rate_table, figure], findings=findings, gaps=gaps,
                         methods=[_method(comparison)],
                         facts={"group": comparison.group, "outliers": above["crime_type"].tolist()})


def _method(comparison) -> str:
    group = (f"the {len(comparison.group)} forces held nearest to it on residents, density and deprivation (each "
             "standardised across the forces held; Euclidean distance)" if comparison.basis == "similarity"
             else f"the forces listed in {comparison.basis.removeprefix('grouping file ')}")
    return (f"Similar forces: {group}. Rates per 1,000 mid-2015 residents by crime type; the group average takes, "
            "month by month, only the forces holding that month; an outlier lies outside the group's range "
            "(docs/geography.md).")
