"""Recommendations: every section's draft recommendations, one per issue, most harmful issue first, with no
action repeated. Reads the other sections' results; never changes them."""
from __future__ import annotations

from tasks.indicators import Scope
from tasks.products.engine import IndicatorSession, ProductContext, Recommendation, SectionResult

PURPOSE_ORDER = {"enforcement": 0, "prevention": 1, "intelligence": 2, "reassurance": 3}


def rank(recommendations: list[Recommendation]) -> list[Recommendation]:
    """One per issue (and place), the most harmful first; ties keep section order. An action already given for
    another issue is dropped, so no text repeats. Two issues at one place stay two recommendations: each serves
    exactly one purpose."""
    kept: dict[tuple[str, str | None], Recommendation] = {}
    order: list[tuple[str, str | None]] = []
    for r in recommendations:
        key = (r.issue.lower(), (r.place or "").lower())
        if key not in kept:
            kept[key] = r
            order.append(key)
        elif r.harm > kept[key].harm:
            kept[key] = r
    ranked = sorted((kept[k] for k in order), key=lambda r: -r.harm)  # sorted() is stable: ties keep section order
    seen_actions, final = set(), []
    for r in ranked:
        if r.action.lower() in seen_actions:
            continue
        seen_actions.add(r.action.lower())
        final.append(r)
    return final


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    everything = [r for result in ctx.results.values() for r in result.recommendations]
    if not everything and ctx.options.get("no_recommendation"):
        everything = [ctx.options["no_recommendation"](ctx)]
    return SectionResult("Draft recommendations", recommendations=rank(everything), body=False)
