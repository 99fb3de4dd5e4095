"""The fortnightly tactical assessment for the TT&CG: the latest complete month against its baseline.
Composes sections only; every figure and judgement is in tasks/products/sections/."""
from __future__ import annotations

from datetime import date

from tasks import indicators, internal_analysis
from tasks.draft import (ProductResult, author_name, latest_street_month, month_label, require_street_month,
                         scope_params)
from tasks.indicators import Scope
from tasks.indicators.scope import add_months, parse_month
from tasks.products import pipeline
from tasks.products.common import tor_rows
from tasks.products.engine import ProductContext, Recommendation
from tasks.products.sections import (breaks, compstat, control_strategy, current_picture, emerging_hotspots, exceedance,
                                     first_page, force_records, forecasts, gaps, hotspots, last_meeting, local_emerging,
                                     lsoa_emerging_hotspots, lsoa_hotspots, out_of_force, outcomes, recommendations,
                                     repeat_locations, stop_search, what_changed)

SECTIONS = [
    ("control_strategy", control_strategy.tactical),  # the adopted priorities first (tasking loop)
    ("last_meeting", last_meeting.tactical),          # then what the last TT&CG set, and its measured change
    ("current_picture", current_picture.tactical),
    ("compstat", compstat.tactical),                  # the first page's CompStat view and its changes
    ("exceedance", exceedance.tactical),
    ("local_emerging", local_emerging.section),
    ("forecasts", forecasts.tactical),
    ("hotspots", hotspots.tactical),
    ("emerging_hotspots", emerging_hotspots.section),
    ("lsoa_emerging_hotspots", lsoa_emerging_hotspots.section),
    ("lsoa_hotspots", lsoa_hotspots.section),
    ("repeat_locations", repeat_locations.tactical),
    ("outcomes", outcomes.section),
    ("stop_search", stop_search.section),
    ("force_records", force_records.recent),
    ("what_changed", what_changed.tactical),
    ("breaks", breaks.section),
    ("out_of_force", out_of_force.section),  # feeds the gaps
    ("gaps", gaps.section),
    ("recommendations", recommendations.section),
    ("first_page", first_page.section),               # last: ranks every section's changes; printed first
]


def _focus_types(ctx: ProductContext) -> list[str]:
    """Outcomes break out the types the assessment singled out: local issues, then exceptional, then elevated."""
    local = ctx.fact("local_emerging", "local")
    found = ([] if local is None else local["crime_type"].tolist()) + ctx.fact("exceedance", "emerging", []) \
        + ctx.fact("exceedance", "elevated", [])
    return list(dict.fromkeys(found))


def _no_recommendation(ctx: ProductContext) -> Recommendation:
    exceed = ctx.fact("exceedance", "exceed")
    return Recommendation(
        issue="Nothing above its expected level", purpose="intelligence",
        action="No crime type exceeds its expected level: maintain current deployments and review at the next meeting.",
        evidence=f"All {len(exceed) - 1} crime types within the expected range (see the exceedance test).")


def plan(warehouse_file, force: str, period_end: str | date | None = None, marking: str = "OFFICIAL",
         store_dir=None, author: str | None = None,
         requested_by: str = "Chair, Tactical Tasking and Coordination Group") -> pipeline.ProductPlan:
    latest = parse_month(period_end) if period_end else latest_street_month(warehouse_file, force)
    require_street_month(warehouse_file, force, latest)
    trend_from = add_months(latest, -12)
    scope = Scope(force, latest, latest)

    def frame(ctx: ProductContext) -> dict:
        records = internal_analysis.held(warehouse_file, force)["records"]
        return {
            "tor": tor_rows([
                ("Requested by", requested_by),
                ("Purpose", "Identify short-term issues for the TT&CG to consider: emerging and exceptional crime, "
                            "hotspots, repeat locations, and options for prevention, intelligence, enforcement and "
                            "reassurance."),
                ("Area", f"The whole force area ({force})"),
                ("Period assessed", f"{month_label(latest)} (the latest month held), against the previous 12 months"),
                ("Questions", "What is higher than expected? Where is it concentrated? What has changed since the last "
                              "assessment? What should the group consider doing?"),
                ("Out of scope", "Named individuals (subject profiles), force-internal data not yet loaded, partner data."),
            ]),
            "recommendation_params": scope_params(scope),
            "methods": [
                "Hotspots: counts per published location and per LSOA for the month; concentration as the share of "
                "located crime in the busiest 10% of LSOAs and the Gini coefficient.",
                "Repeat locations: published locations with at least one crime in each of the last three months.",
            ],
            "approximations": indicators.method_notes(),
            "key_figures": what_changed.tactical_key_figures(ctx),
            "data_period": f"{ctx.fact('current_picture', 'data_period')}; assessment month {month_label(latest)}",
            "handling": "For the TT&CG and intelligence staff. Built from published open data"
                        + (" and the force's own records" if records else " only")
                        + "; the marking reflects the analysis and recommendations it contains.",
        }

    return pipeline.ProductPlan(
        warehouse_file=warehouse_file, kind="tactical", force=force, scope=scope,
        title=f"Tactical assessment: {month_label(latest)}", marking=marking, author=author_name(author),
        requested_by=requested_by, terms_of_reference="Fortnightly tactical assessment for the TT&CG",
        period_start=latest, period_end=latest, window=(trend_from, latest), focus=(latest, latest),
        registry_scope={"period_end": latest.strftime("%Y-%m")}, period_label=latest.strftime("%Y-%m"),
        store_dir=store_dir, sections=list(SECTIONS), frame=frame, latest=latest,
        options={"focus_types": _focus_types, "no_recommendation": _no_recommendation})


def build_tactical_assessment(
    warehouse_file,
    force: str,
    period_end: str | date | None = None,
    marking: str = "OFFICIAL",
    store_dir=None,
    author: str | None = None,
    requested_by: str = "Chair, Tactical Tasking and Coordination Group",
    force_new: bool = False,
) -> ProductResult:
    """The fortnightly tactical assessment for the TT&CG: the latest complete month against its baseline.

    period_end: the month assessed ('YYYY-MM'); default the latest month of street crime held for the force.
    When the latest version was built from the same inputs, nothing is drafted and that version comes back as an
    UnchangedResult (its `reason` says so); `force_new` drafts a new version anyway.
    """
    return pipeline.build(plan(warehouse_file, force, period_end, marking, store_dir, author, requested_by), force_new=force_new)
