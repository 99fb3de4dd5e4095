"""Repeat locations: published points with crime in every one of the last three months."""
from __future__ import annotations

from tasks.draft import month_label, period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months
from tasks.products.common import TOP_N, findable_place, harm_days_at, is_generic_point, place_name
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number

MONTHS = 3


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    repeat_scope = scope.shifted(add_months(latest, -(MONTHS - 1)), latest)
    repeats = session.indicator("repeat_locations", repeat_scope, min_months=MONTHS)
    top = repeats.sort_values(["crimes"], ascending=False).head(TOP_N)
    table = Table(
        "repeat_locations",
        f"Locations with crime in each of the three months {period_text(repeat_scope.period_from, latest)}",
        [("Location", "text"), ("LSOA", "text"), ("Crimes (3 months)", "num"), ("Months", "num")],
        [[place_name(r.location), r.lsoa_code, number(r.crimes), number(r.months_with_crime)]
         for r in top.itertuples(index=False)],
        Lineage("tasks.indicators.repeat_locations", {**scope_params(repeat_scope), "min_months": MONTHS}, repeats,
                "repeat_locations"),
        note="A location named after a kind of place (\"On or near Supermarket\", \"Parking Area\") is an anonymisation "
             "map point, not a particular premises.")
    paragraphs = [f"{number(len(repeats))} published locations had crime in each of the three months to "
                  f"{month_label(latest)}; the ten with most crime are listed."]
    recommendations = []
    # A snap point named after a kind of place is not a premises anyone can visit: the street is named instead.
    # A boolean Series, not a list: an empty list would select no columns rather than no rows.
    named = repeats[~repeats["location"].map(is_generic_point).astype(bool)].sort_values("crimes", ascending=False)
    if not named.empty:
        first = named.iloc[0]
        place = findable_place(session, scope.force, first["lsoa_code"], scope.crime_types, repeat_scope.period_from,
                               latest, prefer=first["location"])
        recommendations.append(Recommendation(
            issue="Persistent repeat location", place=place, purpose="prevention",
            action=f"Start problem-solving (SARA) at {place} with the premises owners and managers there, the busiest "
                   "repeat location with a street name.",
            evidence=f"{number(first['crimes'])} crimes over three months, every month ({ref('repeat_locations')}).",
            harm=harm_days_at(session, scope.force, first["crimes"], first["lsoa_code"], scope.crime_types,
                              repeat_scope.period_from, latest, location=first["location"])))
    return SectionResult("Repeat locations", paragraphs, [table], recommendations=recommendations)
