"""A problem profile: the requester's terms of reference first, then the problem in context and VOLT (location,
time, victims and offenders), outcomes and stop and search. Composes sections only."""
from __future__ import annotations

from datetime import date
from functools import partial

from tasks import indicators
from tasks.draft import ProductResult, author_name, period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months
from tasks.products import pipeline
from tasks.products.common import capitalised, tor_rows, types_phrase
from tasks.products.engine import IndicatorSession, ProductContext
from tasks.products.sections import (analyst_input, breaks, current_picture, force_records, gaps, hotspots, outcomes,
                                     recommendations, seasonality, stop_search)


def sections_for(scope: Scope) -> list[tuple[str, object]]:
    near = [(f"near_repeats_{t}", partial(force_records.near_repeats, crime_type=t))
            for t in force_records.near_repeat_types(scope)]
    return [
        ("context", current_picture.profile_context),
        ("location", hotspots.profile_location),
        ("time", seasonality.profile_time),
        ("force_timing", force_records.timing),
        *near,
        ("outcomes", outcomes.section),
        ("victims_offenders", analyst_input.victims_offenders),
        ("stop_search", stop_search.section),
        ("breaks", breaks.section),
        ("gaps", gaps.section),
        ("recommendations", recommendations.section),
    ]


def plan(warehouse_file, force: str, *, area: str | None, crime_types, period_from, period_to, requested_by: str,
         terms_of_reference: str, marking: str = "OFFICIAL-SENSITIVE", store_dir=None,
         author: str | None = None) -> pipeline.ProductPlan:
    if not requested_by or not requested_by.strip():
        raise ValueError("a problem profile needs the name of whoever requested it (--requested-by)")
    if not terms_of_reference or not terms_of_reference.strip():
        raise ValueError("a problem profile needs its terms of reference agreed first (--tor)")
    scope = Scope.from_area_text(force, period_from, period_to, area, tuple(crime_types))
    with IndicatorSession(warehouse_file) as session:
        in_scope = int(session.indicator("monthly_volumes", scope)["crimes"].sum())
    if not in_scope:
        raise ValueError(f"no street crimes of {', '.join(scope.crime_types) or 'any type'} in {scope.area_label} from "
                         f"{scope.period_from:%Y-%m} to {scope.period_to:%Y-%m}: nothing to profile (check the force, "
                         "area, crime type names and months)")
    types_label = types_phrase(list(scope.crime_types))
    label = period_text(scope.period_from, scope.period_to)

    def frame(ctx: ProductContext) -> dict:
        return {
            "tor": tor_rows([
                ("Requested by", requested_by),
                ("Terms of reference (as agreed)", terms_of_reference),
                ("Problem", f"{capitalised(types_label)} in {scope.area_label}"),
                ("Period", label),
                ("Structure", "General to specific: the problem in context, then location, time, victims and offenders "
                              "(VOLT), outcomes and stop and search, then recommendations and gaps."),
                ("Data pack", "CSV and Parquet of the rows and every indicator used sit in data/ beside this PDF."),
            ]),
            "recommendation_params": scope_params(scope),
            "methods": [
                "Scope: the street crimes of the force in the area and crime types asked for, over the period; the "
                "previous period and a year earlier for comparison (exact conditional binomial test of the two counts, "
                "with a 95% interval for the rate ratio; significant below 0.01; not compared across a break).",
                "Location: kernel density (quartic), Getis-Ord Gi* hot spots with the busiest cells at least two cells "
                "apart, repeat locations (crime in two or more months), LSOA counts and rates.",
                "Time: monthly counts and a month-of-year index over every month held.",
                "Harm: Cambridge Crime Harm Index days per crime type (approximate, see below).",
            ],
            "approximations": indicators.method_notes() + [indicators.HARM_APPROXIMATION],
            "key_figures": {"period_from": scope.period_from.strftime("%Y-%m"),
                            "period_to": scope.period_to.strftime("%Y-%m"), "area": scope.area_label,
                            "crimes": ctx.fact("context", "area_total"), "force_crimes": ctx.fact("context", "force_total")},
            "data_period": f"{label} (with the 12 months before for comparison)",
            "handling": "OFFICIAL-SENSITIVE by default: a profile names places and can direct operations. Share only "
                        "with those who need it for the purpose in the terms of reference.",
        }

    return pipeline.ProductPlan(
        warehouse_file=warehouse_file, kind="problem_profile", force=force, scope=scope,
        title=f"Problem profile: {capitalised(types_label)}, {scope.area_label}", marking=marking,
        author=author_name(author), requested_by=requested_by, terms_of_reference=terms_of_reference,
        period_start=scope.period_from, period_end=scope.period_to,
        window=(add_months(scope.period_from, -12), scope.period_to), focus=(scope.period_from, scope.period_to),
        registry_scope={"area": area or "", "crime_types": sorted(scope.crime_types),
                        "from": scope.period_from.strftime("%Y-%m"), "to": scope.period_to.strftime("%Y-%m")},
        period_label=scope.period_to.strftime("%Y-%m"), store_dir=store_dir, sections=sections_for(scope),
        frame=frame, latest=scope.period_to)


def build_problem_profile(
    warehouse_file,
    force: str,
    *,
    area: str | None,
    crime_types: tuple[str, ...] | list[str],
    period_from: str | date,
    period_to: str | date,
    requested_by: str,
    terms_of_reference: str,
    marking: str = "OFFICIAL-SENSITIVE",
    store_dir=None,
    author: str | None = None,
    force_new: bool = False,
) -> ProductResult:
    """A problem profile of `crime_types` in `area` (the indicators' area syntax: lsoa:, la:, bbox:, wkt:, or none
    for the whole force) over `period_from`..`period_to`, with the requester's terms of reference first and a data
    pack (CSV and Parquet of the rows and indicators used) beside the PDF. With no new inputs since the latest
    version, returns it as an UnchangedResult unless `force_new`."""
    return pipeline.build(plan(warehouse_file, force, area=area, crime_types=crime_types, period_from=period_from,
                               period_to=period_to, requested_by=requested_by, terms_of_reference=terms_of_reference,
                               marking=marking, store_dir=store_dir, author=author), force_new=force_new)
