"""Outcomes: the latest known outcome of the period's crimes, for all crime and the types in focus."""
from __future__ import annotations

import pandas as pd

from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.common import ALL_CRIME, types_phrase
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, percent

NO_SUSPECT_SHARE = 0.4  # a share of crimes closed with no suspect at which the group should look at investigations


def focus_types(ctx: ProductContext, scope: Scope) -> list[str]:
    """The crime types the outcomes table breaks out: those the product singled out, else those in scope."""
    chosen = ctx.options.get("focus_types")
    if chosen is not None:
        return list(chosen(ctx))[:3]
    return list(scope.crime_types)[:3]


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    shares = session.indicator("outcome_shares", scope)
    label = period_text(scope.period_from, scope.period_to)
    if shares.empty:
        return SectionResult("Outcomes", [f"No crimes with a Crime ID in {label}, so no outcomes to report."])
    focus = focus_types(ctx, scope)
    wanted = [ALL_CRIME] + [t for t in focus if t in set(shares["crime_type"])]
    groups = shares[shares["crime_type"] == ALL_CRIME].sort_values("crimes", ascending=False)["outcome_group"].tolist()
    pivot = shares.pivot_table(index="outcome_group", columns="crime_type", values="share", aggfunc="sum")
    totals = shares.groupby("crime_type")["crimes"].sum()
    rows = [[group] + [percent(pivot.at[group, t]) if t in pivot.columns and pd.notna(pivot.at[group, t]) else "–"
                       for t in wanted] for group in groups]
    rows.append(["Crimes with a Crime ID (the denominator)"] + [number(totals.get(t)) for t in wanted])
    table = Table(
        "outcomes", f"Latest known outcome of crimes recorded in {label}, share by outcome group",
        [("Outcome group", "text")] + [(t, "num") for t in wanted], rows,
        Lineage("tasks.indicators.outcome_shares", scope_params(scope), shares, "outcome_shares"),
        note="Shares of the crimes with a Crime ID recorded in the period (anti-social behaviour has none). From the "
             "outcomes files where held, otherwise the street file's last outcome category. Recent crimes are mostly "
             "still under investigation: shares change as later files are published.")
    whole = shares[shares["crime_type"] == ALL_CRIME].set_index("outcome_group")
    charged = whole["share"].get("charged or summonsed", 0.0)
    no_suspect = whole["share"].get("no suspect identified", 0.0)
    paragraph = (f"Of {number(totals.get(ALL_CRIME))} crimes with a Crime ID recorded in {label}, "
                 f"{percent(charged)} have so far led to a charge or summons and {percent(no_suspect)} were closed "
                 "with no suspect identified.")
    recommendations = []
    if no_suspect >= NO_SUSPECT_SHARE:
        unsolved = shares[(shares["outcome_group"] == "no suspect identified") & (shares["crime_type"] != ALL_CRIME)]
        most = unsolved.sort_values("crimes", ascending=False)["crime_type"].head(3).tolist()
        phrase = types_phrase(focus or most)
        recommendations.append(Recommendation(
            issue="Crimes closed with no suspect identified", purpose="intelligence",
            action=f"Review the intelligence available to investigations of {phrase} closed with no suspect identified "
                   "(forensic, CCTV, informant and partner sources).",
            evidence=f"{percent(no_suspect)} of {number(totals.get(ALL_CRIME))} crimes with a Crime ID in {label} closed "
                     f"with no suspect identified ({ref('outcomes')}).", harm=0.0))
    return SectionResult("Outcomes", [paragraph], [table], findings=[paragraph], recommendations=recommendations,
                         facts={"shares": shares})
