"""The one place a product is numbered and laid out: the first page a chair reads (when the product has one:
sections/first_page.py, its tables numbered first), then the sections in order, tables and figures numbered
through the body, cross-references (`engine.ref`) filled in, then the recommendations, the intelligence gaps and
sources and methods; key findings open with the first page's ranked changes. Runs inside `tasks.draft.publish`'s build step, so every table lands in the lineage appendix and every
frame in the data pack."""
from __future__ import annotations

import re
from dataclasses import replace

from tasks.draft import Draft, sources_section
from tasks.products.engine import Gap, Recommendation, SectionResult, Table
from tasks.products.pipeline import Gathered, ProductPlan

_REF = re.compile("\u27e6([^\u27e7]+)\u27e7")
PURPOSE_LABEL = {"prevention": "Prevention", "intelligence": "Intelligence", "enforcement": "Enforcement",
                 "reassurance": "Reassurance"}
RECOMMENDATIONS_KEY, GAPS_KEY, FIRST_PAGE_KEY = "recommendations", "gaps", "first_page"


class Resolver:
    """Table and figure numbers by key, assigned in body order before anything is drawn (a caption may name a
    table that follows it)."""

    def __init__(self, sections: list[SectionResult]):
        self.refs: dict[str, str] = {}
        tables = figures = 0
        for section in sections:
            for item in section.items:
                if item.key in self.refs:
                    raise ValueError(f"two tables or figures share the key {item.key!r}")
                if isinstance(item, Table):
                    tables += 1
                    self.refs[item.key] = f"Table {tables}"
                else:
                    figures += 1
                    self.refs[item.key] = f"Figure {figures}"
        self.refs[RECOMMENDATIONS_KEY] = f"Table {tables + 1}"
        self.refs[GAPS_KEY] = f"Table {tables + 2}"

    def __call__(self, text):
        if not isinstance(text, str):
            return text

        def replace(match):
            key = match.group(1)
            if key not in self.refs:
                raise KeyError(f"reference to unknown table or figure {key!r} in {text[:80]!r}")
            return self.refs[key]

        return _REF.sub(replace, text)


def final_recommendations(gathered: Gathered) -> list[Recommendation]:
    """The recommendations section's list when the product has one, else every section's in order."""
    results = gathered.ctx.results
    if RECOMMENDATIONS_KEY in results:
        return list(results[RECOMMENDATIONS_KEY].recommendations)
    return [r for result in results.values() for r in result.recommendations]


def final_gaps(gathered: Gathered) -> list[Gap]:
    results = gathered.ctx.results
    if GAPS_KEY in results:
        return list(results[GAPS_KEY].gaps)
    return [g for result in results.values() for g in result.gaps]


def _place_table(draft: Draft, item, resolve: Resolver, expected_ref: str) -> dict:
    lineage = item.lineage
    if isinstance(item, Table):
        placed = draft.table(
            resolve(item.caption), item.columns, [[resolve(c) for c in row] for row in item.rows],
            indicator=lineage.indicator, params=lineage.params, note=resolve(item.note), empty=resolve(item.empty),
            flags=item.flags, data=lineage.data, data_name=lineage.data_name, css=item.css)
    else:
        placed = draft.figure(resolve(item.caption), item.draw, indicator=lineage.indicator, params=lineage.params,
                              note=resolve(item.note), data_name=lineage.data_name)
        if lineage.data is not None and lineage.data_name:
            draft.save_data(lineage.data, lineage.data_name)
    if placed["ref"] != expected_ref:  # the draft numbers as it goes; it must agree with the resolver
        raise RuntimeError(f"{item.key}: numbered {placed['ref']}, expected {expected_ref}")
    return placed


def recommendations_table(draft: Draft, recommendations: list[Recommendation], params: dict) -> dict:
    return draft.table(
        "Draft recommendations for the group, one per issue, most harmful issue first",
        [("#", "num"), ("Issue and place", "text"), ("Draft recommendation", "text"), ("Serves", "text"),
         ("Evidence", "text")],
        [[str(n), r.issue + (f": {r.place}" if r.place else ""), r.action, PURPOSE_LABEL[r.purpose], r.evidence]
         for n, r in enumerate(recommendations, start=1)],
        indicator="tasks.products.sections.recommendations (from the tables cited in each evidence)", params=params,
        empty="The figures support no specific recommendation this period.")


def gaps_table(draft: Draft, gaps: list[Gap], params: dict, check: str) -> dict:
    return draft.table(
        "Intelligence gaps and their effect on this product",
        [("Gap", "text"), ("What is missing", "text"), ("Effect on this product", "text")],
        [[g.gap, g.missing, g.effect] for g in gaps],
        indicator=f"{check}; ingest_log; street_crime coverage", params=params,
        empty="No gaps found in the data for this period.")


def first_page(draft: Draft, first: SectionResult, resolve: Resolver, recommendations: list[Recommendation]) -> dict:
    """The first page's context, its tables numbered before the body's: heading, paragraphs, the changes table,
    the top recommendations (the first of the final list) and how many more there are, then the views beside them
    (the CompStat table)."""
    placed = [(item.key, _place_table(draft, item, resolve, resolve.refs[item.key])) for item in first.items]
    views = set(first.facts.get("views", []))  # printed after the recommendations
    actions = recommendations[:len(first.facts.get("actions", []))]
    return {"heading": resolve(first.title), "paragraphs": [resolve(p) for p in first.paragraphs],
            "changes": [item for key, item in placed if key not in views],
            "views": [item for key, item in placed if key in views],
            "actions": [{"purpose": PURPOSE_LABEL[r.purpose], "action": r.action,
                         "issue": r.issue + (f": {r.place}" if r.place else "")} for r in actions],
            "more": len(recommendations) - len(actions), "recommendations_ref": resolve.refs[RECOMMENDATIONS_KEY]}


def key_findings(results: dict[str, SectionResult], resolve: Resolver) -> list[str]:
    """The first page's findings (every adjusted-significant change, in harm order) first, then every other
    section's in section order; a sentence said twice is kept once."""
    first = results.get(FIRST_PAGE_KEY)
    lines = list(first.findings) if first is not None else []
    lines += [f for name, r in results.items() if name != FIRST_PAGE_KEY for f in r.findings]
    return list(dict.fromkeys(resolve(f) for f in lines))


def compose(draft: Draft, plan: ProductPlan, gathered: Gathered) -> dict:
    """The page context for `tasks.draft.publish`: the first page (when the product has one), numbered sections,
    findings, recommendations, gaps, sources."""
    ctx = gathered.ctx
    shown = [r for r in ctx.results.values() if r.body and r.shown]
    first = ctx.results.get(FIRST_PAGE_KEY)
    resolve = Resolver(([first] if first is not None else []) + shown)
    for result in ctx.results.values():
        for name, frame in result.data.items():
            draft.save_data(frame, name)
    recommendations = [replace(r, issue=resolve(r.issue), action=resolve(r.action), evidence=resolve(r.evidence),
                               place=resolve(r.place) if r.place else None)
                       for r in final_recommendations(gathered)]
    front = first_page(draft, first, resolve, recommendations) if first is not None else None
    for result in shown:
        items = [_place_table(draft, item, resolve, resolve.refs[item.key]) for item in result.items]
        draft.section(resolve(result.title), [resolve(p) for p in result.paragraphs], items,
                      analyst_input=resolve(result.analyst_input))
    frame = plan.frame(ctx)
    gaps = [Gap(resolve(g.gap), resolve(g.missing), resolve(g.effect)) for g in final_gaps(gathered)]
    scope_params = {"force": plan.force, "from": plan.window[0], "to": plan.window[1]}
    recs = recommendations_table(draft, recommendations, frame.pop("recommendation_params", scope_params))
    gaps_placed = gaps_table(draft, gaps, scope_params, ctx.fact(GAPS_KEY, "check", "tasks.validate.completeness"))
    assert (recs["ref"], gaps_placed["ref"]) == (resolve.refs[RECOMMENDATIONS_KEY], resolve.refs[GAPS_KEY])
    methods = list(frame.pop("methods")) + [m for r in ctx.results.values() for m in r.methods]
    return {
        "first_page": front,
        "tor": frame.pop("tor"),
        "key_findings": key_findings(ctx.results, resolve),
        "recommendations": recs,
        "gaps": gaps_placed,
        "sources": sources_section(draft, plan.force, ctx.sources, [resolve(m) for m in dict.fromkeys(methods)],
                                   frame.pop("approximations"), plan.window[0], plan.window[1]),
        "key_figures": {**frame.pop("key_figures"), "inputs_fingerprint": gathered.fingerprint},
        "data_period": frame.pop("data_period"),
        "handling": frame.pop("handling"),
    }
