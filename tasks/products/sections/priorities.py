"""Harm-ranked priorities: the candidate control strategy from the priority matrix (harm, volume, trend,
exceedance; docs/indicators.md), with one recommendation per top priority."""
from __future__ import annotations

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.common import priority_band, types_phrase
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, percent

TOP_PRIORITIES = 3


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    params = scope_params(scope)
    priorities = session.indicator("priority_matrix", scope)
    ranked = priorities.sort_values("rank")
    figure = Figure(
        "priority_chart",
        "Priority matrix: harm share against volume share per crime type, numbered by rank and coloured by score band",
        lambda path: charts.priority_matrix(
            path, ranked["crime_type"].tolist(), (ranked["harm_share"].fillna(0) * 100).tolist(),
            (ranked["crime_share"].fillna(0) * 100).tolist(), [priority_band(s) for s in ranked["priority_score"]],
            title="Harm and volume, last 12 months", xlabel="share of crimes (%, square-root scale)",
            ylabel="share of harm (%, square-root scale)"),
        Lineage("tasks.indicators.priority_matrix", params, None, "priority_matrix"))
    table = Table(
        "priorities",
        f"Priority matrix, {period_text(scope.period_from, scope.period_to)}: candidate control strategy priorities",
        [("Rank", "num"), ("Crime type", "text"), ("Crimes", "num"), ("Harm share", "num"), ("Harm score (weight 2)", "num"),
         ("Volume", "num"), ("12-month trend", "num"), ("Score", "num"), ("Organisational position", "text")],
        [[r.rank, r.crime_type, number(r.crimes), percent(r.harm_share), r.harm_score, r.volume_score,
          f"{r.trend_score}" + ("*" if not r.comparable else ""), r.priority_score, "for the analyst"]
         for r in ranked.itertuples(index=False)],
        Lineage("tasks.indicators.priority_matrix", params, priorities, "priority_matrix"),
        flags=(ranked["rank"] <= TOP_PRIORITIES).tolist(),
        note="Each component is scored 1-5 (docs/indicators.md): harm and volume by their share bands, the trend by the "
             "exact two-sample test of the 12 months against the 12 before (one-sided, adjusted across crime types). "
             "Score = 2 x harm + volume + trend (4-20): harm counts twice, and one month's figures play no part. "
             "* a level shift or recording break between the two periods: the trend is not scored (3). "
             "Organisational position (capacity, capability, confidence) is for people to add.")
    top = ranked.head(TOP_PRIORITIES)
    lines = ["The candidate priorities for the control strategy, ranked on harm (counted twice), volume and the "
             "12-month trend, are "
             + "; ".join(f"{r.rank}. {r.crime_type} (score {r.priority_score}, {percent(r.harm_share)} of harm, "
                         f"{percent(r.crime_share)} of crimes)" for r in top.itertuples(index=False)) + "."]
    findings = [lines[0]]
    year_held = ctx.fact("current_picture", "year_held", 12)
    if year_held < 12:
        lines.append(f"Only {year_held} of the last 12 months are held: the matrix ranks what those months show, "
                     "and the trend component has no year-earlier data to test.")
    names = [r.crime_type.lower() for r in top.itertuples(index=False)]
    recommendations = [Recommendation(
        issue="Control strategy priorities", purpose="prevention",
        action=f"Adopt {types_phrase(names)} as the control strategy priorities, each with a named strategic lead and "
               "a partnership plan; confirm or amend the ranking with the organisational position.",
        evidence="; ".join(f"{r.crime_type}: rank {r.rank}, score {r.priority_score}, {percent(r.harm_share)} of harm"
                           for r in top.itertuples(index=False)) + f" ({ref('priorities')}).",
        harm=float(top["harm_days"].fillna(0).sum()))] if not top.empty else []
    rising = ranked[(ranked["trend_score"] == 5) & ~ranked["crime_type"].isin(top["crime_type"])]
    if not rising.empty:
        recommendations.append(Recommendation(
            issue="Significant rises outside the priorities", purpose="intelligence",
            action=f"Set an intelligence requirement on the rise in {types_phrase([t.lower() for t in rising['crime_type']])}: "
                   "where, when and who, and whether it reflects more offending or more recording.",
            evidence="; ".join(f"{r.crime_type} rate ratio {number(r.rate_ratio_vs_year_earlier, 2)} on the previous 12 "
                               "months, trend score 5" for r in rising.itertuples(index=False)) + f" ({ref('priorities')}).",
            harm=float(rising["harm_days"].fillna(0).sum())))
    broken = ranked[~ranked["comparable"].astype(bool)]
    if not broken.empty:
        lines.append("Not scored for trend because the series changed level between the two years (see Intelligence "
                     "gaps): " + "; ".join(f"{r.crime_type} ({r.break_note})" for r in broken.itertuples(index=False)) + ".")
    return SectionResult(
        "Harm-ranked priorities: the candidate control strategy", lines, [figure, table], findings=findings,
        recommendations=recommendations,
        analyst_input="Score the organisational position (capacity, capability, confidence) for each candidate "
                      "priority and confirm or amend the ranking; the matrix scores only what the data show.",
        facts={"top": top})
