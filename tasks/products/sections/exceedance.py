"""Emerging and exceptional issues: each crime type's latest month against the expectation from its baseline,
separated from the season by the same month a year earlier, with where each exceptional type was recorded."""
from __future__ import annotations

import pandas as pd

from tasks import charts
from tasks.draft import month_label, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months
from tasks.products.common import ALL_CRIME, capitalised, findable_place, harm_weight, types_phrase
from tasks.products.engine import (Figure, Gap, IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult,
                                   Table, ref)
from tasks.render import number, p_text, p_value, percent
from tasks.stats import thresholds as T
from tasks.stats.tests import adjustment_label


def _model(r) -> str:
    if pd.isna(r.p_value):
        return "–"
    return f"NB ({number(r.dispersion, 1)})" if r.overdispersed else "Poisson"


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    params = scope_params(scope)
    exceed = session.indicator("exceedance", scope)
    change = session.indicator("period_change", scope)
    year_p = change.set_index("crime_type")["p_rise_vs_year_earlier"]
    year_before = month_label(add_months(latest, -12))
    exceed_types = exceed[exceed["crime_type"] != ALL_CRIME]
    exceptional = exceed_types[exceed_types["flag"] == "exceptional"].sort_values("p_value")
    elevated = exceed_types[exceed_types["flag"] == "elevated"].sort_values("p_value")
    baseline_usable = bool(exceed["flag"].ne("insufficient baseline").any())
    # Exceptional against the 12-month mean but not above the same month last year is most likely the season.
    above_year = exceptional["crime_type"].map(year_p)
    emerging = exceptional[~(above_year >= T.ALPHA)]
    seasonal = exceptional[above_year >= T.ALPHA]
    paragraphs, findings, recommendations, gaps, items = [], [], [], [], []
    if not baseline_usable:
        months_held = int(exceed["baseline_months_held"].iloc[0])
        paragraphs.append(
            f"The warehouse holds {months_held} of the 12 months before {month_label(latest)} for this force, so no "
            f"crime type can be tested against a 12-month baseline. The changes in {ref('current_change')} are "
            "descriptive only and are not evidence of a rise or fall.")
        findings.append(f"Exceedance could not be tested: only {months_held} of 12 baseline months are held.")
        recommendations.append(Recommendation(
            issue="No baseline to test against", purpose="intelligence",
            action="Load the 12 months before the assessment month so emerging issues can be tested.",
            evidence=f"{months_held} of 12 baseline months held ({exceed['baseline_from'].iloc[0]} to "
                     f"{exceed['baseline_to'].iloc[0]}).", harm=0.0))
        gaps.append(Gap("Baseline months not held",
                        f"{months_held} of the 12 months {exceed['baseline_from'].iloc[0]} to "
                        f"{exceed['baseline_to'].iloc[0]} are in the warehouse",
                        "Emerging and exceptional issues cannot be tested; month-on-month changes are descriptive only."))
    else:
        if exceptional.empty:
            paragraphs.append(f"No crime type was exceptionally high force-wide in {month_label(latest)} (adjusted "
                              f"p < {T.EXCEPTIONAL_P:g} against the monthly mean of the previous 12 months).")
            findings.append(f"No crime type was exceptionally high force-wide in {month_label(latest)}.")
        for r in emerging.itertuples(index=False):
            year_text = (f", and above {year_before} ({p_text(year_p[r.crime_type])})" if pd.notna(year_p[r.crime_type])
                         else f"; {year_before} is not held, so the season cannot be ruled out")
            text = (f"{r.crime_type}: {number(r.observed)} recorded against an expected {number(r.expected, 1)} "
                    f"(12-month mean, adjusted {p_text(r.p_adjusted)}): exceptional force-wide{year_text}.")
            paragraphs.append(text)
            findings.append(text)
        if not seasonal.empty:
            names = seasonal["crime_type"].tolist()
            text = (f"{capitalised(types_phrase(names))} {'is' if len(names) == 1 else 'are'} exceptional against the "
                    f"12-month mean but not above {year_before} ({ref('exceedance')}): consistent with the seasonal "
                    "pattern rather than a new problem.")
            paragraphs.append(text)
            findings.append(text)
            recommendations.append(Recommendation(
                issue=f"Seasonal peak in {types_phrase(names)}", purpose="intelligence",
                action=f"Plan resourcing for the seasonal peak in {types_phrase(names)}; no new problem is indicated.",
                evidence="; ".join(f"{r.crime_type} {number(r.observed)} vs {number(r.expected, 1)} expected, vs "
                                   f"{year_before} {p_text(year_p[r.crime_type])}"
                                   for r in seasonal.itertuples(index=False)) + f" ({ref('exceedance')}).",
                harm=0.0))
        for r in elevated.itertuples(index=False):
            paragraphs.append(f"{r.crime_type}: {number(r.observed)} against an expected {number(r.expected, 1)} "
                              f"(adjusted {p_text(r.p_adjusted)}): elevated, below the exceptional threshold; monitor.")
        broken = exceed_types[exceed_types["flag"] == "break in baseline"]
        for r in broken.itertuples(index=False):
            paragraphs.append(f"{r.crime_type}: {number(r.observed)} recorded, not tested against its baseline because "
                              f"the series changed level: {r.break_note}. Read its count with that change in mind.")
        shown = exceed_types.sort_values("p_value").head(14)
        items.append(Figure(
            "exceedance_chart", f"Crimes in {month_label(latest)} against the expectation from the previous 12 months",
            lambda path: charts.observed_vs_expected(
                path, shown["crime_type"].tolist(), shown["observed"].astype(float).tolist(),
                shown["expected"].astype(float).tolist(), (shown["flag"] == "exceptional").tolist(),
                title="Recorded and expected crimes by type"),
            Lineage("tasks.indicators.exceedance", {**params, "latest_months": 1, "baseline_months": 12},
                    None, "exceedance")))
    by_type_p = exceed[exceed["crime_type"] != ALL_CRIME].sort_values(["p_value", "crime_type"], na_position="last")
    ordered = pd.concat([by_type_p, exceed[exceed["crime_type"] == ALL_CRIME]])
    tested = ordered["flag"].isin(["exceptional", "elevated", "within expected range"])
    # Without a baseline the table would be a column of dashes: the paragraph says so, the data pack keeps it.
    table = None if not baseline_usable else Table(
        "exceedance",
        f"Exceedance test, {month_label(latest)} against the monthly mean of the previous 12 months",
        [("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"), ("Upper 95%", "num"), ("Model", "text"),
         ("p, adjusted", "num"), ("Assessment", "text"), (f"vs {add_months(latest, -12):%b %Y}: p (rise)", "num")],
        [[r.crime_type, number(r.observed), number(r.expected, 1), number(r.upper_95), _model(r),
          p_value(r.p_adjusted) if ok else "–", r.flag.replace("within expected range", "within range"),
          p_value(year_p.get(r.crime_type))] for r, ok in zip(ordered.itertuples(index=False), tested)],
        Lineage("tasks.indicators.exceedance; tasks.indicators.period_change",
                {**params, "latest_months": 1, "baseline_months": 12}, exceed, "exceedance"),
        flags=(ordered["flag"] == "exceptional").tolist(),
        note=f"Expected: the monthly mean of the previous 12 months. Model: Poisson, or negative binomial (NB) when the "
             f"12 baseline months vary more than Poisson allows (index-of-dispersion test). p: one-sided, adjusted "
             f"across the crime types ({adjustment_label()}; 'All crime' unadjusted; the adjustment often gives several "
             f"rows the same value). Exceptional: adjusted "
             f"p < {T.EXCEPTIONAL_P:g}; elevated: < {T.ELEVATED_P:g}; counts under {T.MIN_COUNT_TO_FLAG} are never "
             "flagged. 'break in baseline': the series changed level inside the baseline (see Intelligence gaps), so "
             "it is not tested. The last column compares the month with the same month a year earlier (exact "
             "two-sample test), which separates seasonal peaks from new rises.")
    if table is not None:
        items.append(table)
    for r in emerging.head(2).itertuples(index=False):
        focus = Scope(scope.force, latest, latest, crime_types=(r.crime_type,))
        where = session.indicator("lsoa_counts", focus)
        where = where[where["crimes"] > 0].head(5)
        key = f"where_{r.crime_type.lower().replace(' ', '_')}"
        items.append(Table(
            key, f"{r.crime_type}, {month_label(latest)}: where it was recorded (top LSOAs)",
            [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Share of type", "num"), ("IMD decile", "num")],
            [[w.lsoa_code, w.lsoa_name, number(w.crimes), percent(w.crimes / r.observed) if r.observed else "–",
              number(w.imd_decile)] for w in where.itertuples(index=False)],
            Lineage("tasks.indicators.lsoa_counts", scope_params(focus), where,
                    f"lsoa_counts_{r.crime_type.lower().replace(' ', '_')}")))
        if where.empty:
            continue
        top = where.iloc[0]
        place = findable_place(session, scope.force, top["lsoa_code"], [r.crime_type], latest, latest)
        recommendations.append(Recommendation(
            issue=f"Force-wide rise in {r.crime_type.lower()}", place=place, purpose="enforcement",
            action=f"Direct patrols and proactive enforcement for {r.crime_type.lower()} to {place}, the LSOA with "
                   f"most of them ({number(top['crimes'])} of {number(r.observed)}), and brief the other LSOAs in "
                   f"{ref(key)}.",
            evidence=f"{number(r.observed)} against {number(r.expected, 1)} expected, adjusted {p_text(r.p_adjusted)} "
                     f"(exceptional force-wide, {ref('exceedance')}).",
            harm=harm_weight(r.crime_type) * float(r.observed)))
    methods = [f"Exceedance: each crime type's latest month against the monthly mean of the previous 12 months, "
               f"Poisson or, when the baseline is over-dispersed, negative binomial (tasks.stats.exceedance); p-values "
               f"adjusted across crime types ({adjustment_label()}); exceptional below {T.EXCEPTIONAL_P:g}, elevated "
               f"below {T.ELEVATED_P:g}; a series with a break in its baseline is not tested. Against the same month a "
               "year earlier: exact conditional binomial test of the two counts with a 95% interval for the rate ratio."]
    return SectionResult(
        "Emerging and exceptional issues", paragraphs, items, findings=findings, recommendations=recommendations,
        gaps=gaps, methods=methods, data={} if baseline_usable else {"exceedance": exceed},
        facts={"baseline_usable": baseline_usable, "exceptional": exceptional["crime_type"].tolist(),
               "elevated": elevated["crime_type"].tolist(), "emerging": emerging["crime_type"].tolist(),
               "exceed": exceed})
