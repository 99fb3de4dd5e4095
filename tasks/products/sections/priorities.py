"""Harm-ranked priorities: the candidate control strategy from the priority matrix (harm, volume, trend,
exceedance; docs/indicators.md), with one recommendation per top priority."""
from __future__ import annotations

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.common import priority_band
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
        [("Rank", "num"), ("Crime type", "text"), ("Crimes", "num"), ("Harm share", "num"), ("Harm", "num"),
         ("Volume", "num"), ("Trend", "num"), ("Exceedance", "num"), ("Score", "num"), ("Organisational position", "text")],
        [[r.rank, r.crime_type, number(r.crimes), percent(r.harm_share), r.harm_score, r.volume_score, r.trend_score,
          r.exceedance_score, r.priority_score, "for the analyst"] for r in ranked.itertuples(index=False)],
        Lineage("tasks.indicators.priority_matrix", params, priorities, "priority_matrix"),
        flags=(ranked["rank"] <= TOP_PRIORITIES).tolist(),
        note="Each component is scored 1-5 (docs/indicators.md): harm and volume by share bands, trend by a Poisson test "
             "against the previous 12 months, exceedance by the latest month against its 12-month baseline. The score "
             "is their sum (4-20). Organisational position (capacity, capability, confidence) is for people to add.")
    top = ranked.head(TOP_PRIORITIES)
    lines = ["The candidate priorities for the control strategy, ranked on harm, volume, trend and exceedance, are "
             + "; ".join(f"{r.rank}. {r.crime_type} (score {r.priority_score}, {percent(r.harm_share)} of harm, "
                         f"{percent(r.crime_share)} of crimes)" for r in top.itertuples(index=False)) + "."]
    findings = [lines[0]]
    year_held = ctx.fact("current_picture", "year_held", 12)
    if year_held < 12:
        lines.append(f"Only {year_held} of the last 12 months are held: the matrix ranks what those months show, "
                     "and the trend component has no year-earlier data to test.")
    recommendations = [Recommendation(
        issue=f"Control strategy priority {r.rank}: {r.crime_type.lower()}", purpose="prevention",
        action=f"Adopt {r.crime_type.lower()} as a control strategy priority with a named strategic lead, a partnership "
               "prevention plan and an intelligence requirement (offenders, repeat victims, locations, methods).",
        evidence=f"Rank {r.rank}, score {r.priority_score}: {number(r.crimes)} crimes, {percent(r.harm_share)} of harm, "
                 f"trend score {r.trend_score} ({ref('priorities')}).",
        harm=float(r.harm_share) * 1e6 if r.harm_share == r.harm_share else 0.0) for r in top.itertuples(index=False)]
    return SectionResult(
        "Harm-ranked priorities: the candidate control strategy", lines, [figure, table], findings=findings,
        recommendations=recommendations,
        analyst_input="Score the organisational position (capacity, capability, confidence) for each candidate "
                      "priority and confirm or amend the ranking; the matrix scores only what the data show.",
        facts={"top": top})
