"""Stop and search: volume, arrest and further-action rates, and the find rate, by object and ethnicity."""
from __future__ import annotations

from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, percent


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    search = session.indicator("stop_search", scope)
    label = period_text(scope.period_from, scope.period_to)
    params = scope_params(scope)
    everything = search[search["dimension"] == "all"]
    if everything.empty or not int(everything["searches"].iloc[0]):
        return SectionResult("Stop and search", [f"The warehouse holds no stop and search records for {label}."])
    a = everything.iloc[0]
    paragraph = (f"{number(a['searches'])} stop and searches in {label}: {percent(a['arrest_rate'])} led to arrest and "
                 f"{percent(a['any_action_rate'])} to any further action. The find rate (a positive outcome linked to "
                 f"the object of the search) was {percent(a['find_rate'])} ({number(a['finds'])} of "
                 f"{number(a['searches'])}); {percent(a['linked_to_object_rate'])} were recorded as linked to the "
                 "object, but most of those ended in no further action, so that share is not a find rate.")
    items = []
    for dimension, caption in (("object_of_search", "object of search"),
                               ("officer_defined_ethnicity", "officer-defined ethnicity")):
        part = search[search["dimension"] == dimension].sort_values("searches", ascending=False)
        items.append(Table(
            f"stop_search_{dimension}", f"Stop and search by {caption}, {label}",
            [(caption.capitalize(), "text"), ("Searches", "num"), ("Share", "num"), ("Arrest rate", "num"),
             ("Any action", "num"), ("Find rate", "num")],
            [[r.value, number(r.searches), percent(r.share), percent(r.arrest_rate), percent(r.any_action_rate),
              percent(r.find_rate)] for r in part.itertuples(index=False)],
            Lineage("tasks.indicators.stop_search", {**params, "dimension": dimension},
                    search if dimension == "object_of_search" else None, "stop_search"),
            note="Every rate is a share of the searches in its row (the denominator: Searches). Find rate: an outcome "
                 "other than no further action AND linked to the object of the search."))
    # A problem profile is about its crime types: community scrutiny of searches is a standing matter for the
    # tactical and strategic groups, not an answer to the profile's terms of reference.
    recommendations = [] if ctx.kind == "problem_profile" else [Recommendation(
        issue="Stop and search scrutiny", purpose="reassurance",
        action="Share the stop and search figures with the community scrutiny panel, with the find and arrest rates by "
               "object of search and by officer-defined ethnicity.",
        evidence=f"{number(a['searches'])} searches, find rate {percent(a['find_rate'])}, arrest rate "
                 f"{percent(a['arrest_rate'])} ({label}, "
                 f"{ref('stop_search_object_of_search')}).", harm=0.0)]
    return SectionResult("Stop and search", [
        paragraph,
        "Searches are counted where the published record falls; ethnicity is as recorded by the officer. Rates are "
        "descriptive: comparing groups fairly needs the population available to be searched, which published data "
        "do not give."], items, findings=[paragraph], recommendations=recommendations, facts={"search": search})
