"""The strategic assessment for the ST&CG: long-term trends, seasonality, harm-ranked priorities, place and
deprivation, and the draft intelligence requirement. Composes sections only."""
from __future__ import annotations

from datetime import date

from tasks import indicators
from tasks.draft import (ProductResult, author_name, latest_street_month, period_text, require_street_month,
                         scope_params)
from tasks.indicators import Scope
from tasks.indicators.scope import add_months, parse_month
from tasks.products import pipeline
from tasks.products.common import as_int, tor_rows
from tasks.products.engine import ProductContext
from tasks.products.sections import (analyst_input, breaks, compstat, current_picture, deprivation, emerging_hotspots,
                                     first_page, forecasts, gaps, lsoa_emerging_hotspots, out_of_force, outcomes, priorities,
                                     recommendations, seasonality, similar_forces, stop_search)

SECTIONS = [
    ("current_picture", current_picture.strategic),
    ("compstat", compstat.strategic),                 # the first page's CompStat view and its changes
    ("seasonality", seasonality.strategic),
    ("priorities", priorities.section),
    ("forecasts", forecasts.strategic),
    ("emerging_hotspots", emerging_hotspots.section),
    ("lsoa_emerging_hotspots", lsoa_emerging_hotspots.section),
    ("deprivation", deprivation.section),
    ("similar_forces", similar_forces.strategic),
    ("outcomes", outcomes.section),
    ("stop_search", stop_search.section),
    ("breaks", breaks.section),
    ("out_of_force", out_of_force.section),  # feeds the gaps
    ("gaps", gaps.section),  # before the requirement, which lists the data gaps
    ("requirement", analyst_input.requirement),
    ("horizon", analyst_input.horizon),
    ("organisational_position", analyst_input.organisational_position),
    ("recommendations", recommendations.section),
    ("first_page", first_page.section),               # last: ranks every section's changes; printed first
]


def plan(warehouse_file, force: str, months: int = 36, period_end: str | date | None = None,
         marking: str = "OFFICIAL", store_dir=None, author: str | None = None,
         requested_by: str = "Chair, Strategic Tasking and Coordination Group") -> pipeline.ProductPlan:
    if months < 12:
        raise ValueError("a strategic assessment needs at least 12 months (--months)")
    latest = parse_month(period_end) if period_end else latest_street_month(warehouse_file, force)
    require_street_month(warehouse_file, force, latest)
    first = add_months(latest, -(months - 1))
    year = Scope(force, add_months(latest, -11), latest)

    def frame(ctx: ProductContext) -> dict:
        held, requested = ctx.fact("current_picture", "held"), ctx.fact("current_picture", "requested")
        top = ctx.fact("priorities", "top")
        return {
            "tor": tor_rows([
                ("Requested by", requested_by),
                ("Purpose", "Describe the current and long-term issues for the force to inform the control strategy "
                            "and the intelligence requirement."),
                ("Area", f"The whole force area ({force})"),
                ("Period", f"{period_text(first, latest)}; priorities over the last 12 months"),
                ("Questions", "What are the long-term trends and seasonal patterns? Which issues cause most harm? Where "
                              "is crime concentrated and how does it relate to deprivation? What should the control "
                              "strategy and intelligence requirement contain?"),
                ("Analyst input required", "PESTELO horizon scanning; organisational position; partner information."),
            ]),
            "recommendation_params": scope_params(year),
            "methods": [
                "Trends: the last 12 months against the 12 before, the two observed counts compared by the exact "
                "conditional binomial test with a 95% interval for the rate ratio, one-sided p adjusted across crime "
                "types (Benjamini-Hochberg false discovery rate); significant below 0.01; a type whose series changed "
                "level between the two years is not compared.",
                "Seasonality: mean crimes per calendar month over every month held, as an index (100 = average month).",
                "Priority matrix: harm, volume and the 12-month trend each scored 1-5; score = 2 x harm + volume + trend "
                "(harm counts twice; one month's figures play no part); organisational position left for people "
                "(MoRiLE-style, with this project's documented scales and weights, docs/indicators.md).",
                "Deprivation: crime rates per 1,000 residents by IMD 2019 decile and a Spearman correlation across LSOAs, "
                "only where at least 30 LSOAs with residents are in scope.",
            ],
            "approximations": indicators.method_notes() + [indicators.HARM_APPROXIMATION],
            "key_figures": {"period_end": latest.strftime("%Y-%m"), "months_held": len(held),
                            "priorities": top["crime_type"].tolist(),
                            "total_12_months": as_int(ctx.fact("current_picture", "total")["crimes"])},
            "data_period": (period_text(parse_month(held[0]), latest)
                            + (f" ({len(held)} of {requested} months requested held)" if len(held) < requested else "")
                            if held else "none held"),
            "handling": "For the ST&CG and intelligence staff. Built only from published open data; the marking "
                        "reflects the analysis and recommendations it contains.",
        }

    return pipeline.ProductPlan(
        warehouse_file=warehouse_file, kind="strategic", force=force, scope=year,
        title=f"Strategic assessment: {period_text(first, latest)}", marking=marking, author=author_name(author),
        requested_by=requested_by,
        terms_of_reference="Strategic assessment for the ST&CG: control strategy and intelligence requirement",
        period_start=first, period_end=latest, window=(first, latest), focus=(year.period_from, latest),
        registry_scope={"period_end": latest.strftime("%Y-%m"), "months": months},
        period_label=latest.strftime("%Y-%m"), store_dir=store_dir, sections=list(SECTIONS), frame=frame,
        latest=latest, options={"focus_types": lambda ctx: ctx.fact("priorities", "top")["crime_type"].tolist()})


def build_strategic_assessment(
    warehouse_file,
    force: str,
    months: int = 36,
    period_end: str | date | None = None,
    marking: str = "OFFICIAL",
    store_dir=None,
    author: str | None = None,
    requested_by: str = "Chair, Strategic Tasking and Coordination Group",
    force_new: bool = False,
) -> ProductResult:
    """The strategic assessment for the ST&CG over `months` months to `period_end` (default the latest held).
    With no new inputs since the latest version, returns it as an UnchangedResult unless `force_new`."""
    return pipeline.build(plan(warehouse_file, force, months, period_end, marking, store_dir, author, requested_by), force_new=force_new)
