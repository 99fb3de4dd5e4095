"""Sections the data cannot write: they say so and leave a box for the analyst (victims and offenders, the
intelligence requirement's sources, horizon scanning, organisational position)."""
from __future__ import annotations

from tasks.draft import scope_params
from tasks.indicators import Scope
from tasks.products.engine import Gap, IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref

# Gaps that become lines of the intelligence requirement: data the force can ask for.
REQUIREMENT_GAPS = ("Incomplete data", "No ", "Months not held", "Batch")
BREAK_GAPS = ("Likely recording break: ", "Change in level: ")


def victims_offenders(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    force_records = ctx.fact("time", "force_records", False)
    gap = (Gap("Victim and offender", "Not in published data", "VOLT headings V and O are left for the analyst.")
           if force_records else
           Gap("Victim, offender and time of day", "Not in published data",
               "VOLT headings V and O and time-of-day analysis are left for the analyst."))
    return SectionResult(
        "Victims and offenders (VOLT: V and O)",
        ["Published data carry no victim or offender details, so this profile cannot describe who is harmed or who "
         f"offends. The outcomes ({ref('outcomes')}) show how far investigations identify suspects."
         if "outcomes" in ctx.results and ctx.results["outcomes"].items else
         "Published data carry no victim or offender details, so this profile cannot describe who is harmed or who "
         "offends."],
        analyst_input="Add victim and offender analysis from force systems: repeat victims, known and suspected "
                      "offenders, links between them, and any organised crime group mapping.",
        gaps=[gap],
        recommendations=[Recommendation(
            issue="Victims and offenders unknown", purpose="intelligence",
            action="Fill the victim and offender gaps from force systems before the profile is finalised.",
            evidence="Published data hold no victim or offender details (Intelligence gaps).")])


def requirement(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """The draft intelligence requirement: the top priorities and the data gaps the force can fill."""
    rows = []
    top = ctx.fact("priorities", "top")
    for r in ([] if top is None else top.itertuples(index=False)):
        rows.append([r.crime_type, "Who offends, against whom, where and when; links to organised crime; emerging methods.",
                     "Force crime and intelligence systems; partner data; victim and offender management.",
                     f"Priority rank {r.rank} (score {r.priority_score})"])
    gaps = ctx.results["gaps"].gaps if "gaps" in ctx.results else []
    changed = sorted({g.gap.split(": ", 1)[1] for g in gaps if g.gap.startswith(BREAK_GAPS)})
    if changed:
        rows.append(["Changes in recording", "Why the series of " + ", ".join(t.lower() for t in changed) + " changed level "
                     "(recording practice, classification, data supply or real change): see Intelligence gaps for when.",
                     "Force crime registrar and performance team", "Trends across these changes are not assessed"])
    for gap in gaps:
        if gap.gap.startswith(REQUIREMENT_GAPS):
            rows.append([gap.gap, gap.missing, "data.police.uk re-publication or the force's own extract",
                         "Intelligence gap (see Intelligence gaps)"])
    table = Table(
        "requirement", "Intelligence requirement (draft): what the force needs to know, and where it may be found",
        [("Subject", "text"), ("What we need to know", "text"), ("Sources to task", "text"), ("Why", "text")], rows,
        Lineage("tasks.indicators.priority_matrix (top 3) and the intelligence gaps", scope_params(scope)))
    return SectionResult("Intelligence requirement", [
        "A draft intelligence requirement follows from the candidate priorities and the gaps in this assessment."], [table])


def horizon(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    return SectionResult("Horizon scanning (PESTELO)", [
        "Political, economic, social, technological, environmental, legal and organisational factors likely to affect "
        "crime and demand over the next three years cannot be derived from recorded crime."],
        analyst_input="Add the PESTELO horizon scan: for each factor, the expected change, its likely effect on the "
                      "priorities above, and the source.")


def organisational_position(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    return SectionResult("Organisational position and areas for development", [
        "Capacity, capability and confidence to tackle each priority, and the areas for development, are judgements for "
        "the force."], analyst_input="Add the organisational position for each candidate priority and the areas for "
                                     "development identified with departments and partners.")
