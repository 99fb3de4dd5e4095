"""Local emerging issues: LSOA x crime type pairs far above their own previous 12 months.

The indicators test whole scopes (one crime type over the whole area); a problem confined to a few streets is
diluted at force level (the demo's station-quarter robberies are "elevated" force-wide but ten times the usual
count where they happen). This scans every LSOA and crime type over the indicators' scoped rows.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from tasks.draft import month_label, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months
from tasks.indicators.volume import breaks_note, monthly_series
from tasks.products.common import TOP_N, findable_place, harm_weight, place_name
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, p_text, p_value
from tasks.stats import thresholds as T
from tasks.stats.tests import adjust, adjustment_label, compare_counts, exceedance

LOCAL_SCAN_SQL = """
WITH by_location AS (
    SELECT lsoa_code, crime_type, location, count(*) AS crimes FROM scoped_street
    WHERE month = $latest AND lsoa_code IS NOT NULL GROUP BY ALL
),
counts AS (
    SELECT lsoa_code, any_value(lsoa_name) AS lsoa_name, crime_type,
           count(*) FILTER (WHERE month = $latest) AS observed,
           count(*) FILTER (WHERE month BETWEEN $base_from AND $base_to) AS baseline_crimes,
           count(*) FILTER (WHERE month = $base_from) AS year_earlier
    FROM scoped_street WHERE lsoa_code IS NOT NULL AND month BETWEEN $base_from AND $latest GROUP BY ALL
)
SELECT c.*, (SELECT count(*) FROM counts WHERE observed >= $min_count) AS tests,
       (SELECT arg_max(location, crimes) FROM by_location b WHERE b.lsoa_code = c.lsoa_code AND b.crime_type = c.crime_type) AS top_location,
       (SELECT max(crimes) FROM by_location b WHERE b.lsoa_code = c.lsoa_code AND b.crime_type = c.crime_type) AS top_location_crimes
FROM counts c WHERE observed >= $min_count
"""
# The 13 monthly counts (baseline and latest) of each tested LSOA and crime type, zeros where none.
LOCAL_MONTHS_SQL = """
WITH pairs AS (SELECT DISTINCT lsoa_code, crime_type FROM scoped_street
               WHERE month = $latest AND lsoa_code IS NOT NULL GROUP BY ALL HAVING count(*) >= $min_count),
counts AS (SELECT lsoa_code, crime_type, month, count(*) AS crimes FROM scoped_street
           WHERE month BETWEEN $base_from AND $latest GROUP BY ALL)
SELECT p.lsoa_code, p.crime_type, h.month, coalesce(c.crimes, 0) AS crimes
FROM pairs p CROSS JOIN (SELECT month FROM force_months WHERE month BETWEEN $base_from AND $latest) h
LEFT JOIN counts c USING (lsoa_code, crime_type, month)
ORDER BY p.lsoa_code, p.crime_type, h.month
"""
COLUMNS = ["lsoa_code", "lsoa_name", "crime_type", "observed", "baseline_crimes", "year_earlier", "expected", "p_value",
           "p_adjusted", "p_vs_year_earlier", "overdispersed", "break_note", "top_location", "top_location_crimes",
           "tests"]


def scan(session: IndicatorSession, force: str, latest: date) -> pd.DataFrame:
    """LSOA x crime type pairs whose latest-month count is exceptional against their own previous 12 months and
    above the same month a year earlier.

    Only pairs with at least MIN_COUNT_TO_FLAG crimes in the month are tested (tasks.stats.thresholds). Each is
    tested against its own 12 baseline months (tasks.stats.exceedance: Poisson, or negative binomial when those
    months are over-dispersed), the p-values adjusted across every pair tested (MULTIPLE_COMPARISONS: hundreds of
    pairs are tested at once), and a pair is flagged when the adjusted p is below EXCEPTIONAL_P, the count is also
    above the same month a year earlier (exact two-sample test, one-sided p < ALPHA, so a summer peak of
    anti-social behaviour is not reported as a new problem), and its 13 months hold no level shift or recording
    break (break_note). Empty when the 12 baseline months are not all held.
    """
    base_from, base_to = add_months(latest, -12), add_months(latest, -1)
    s = session.scoped(Scope(force, base_from, latest))
    if s.months_held(base_from, base_to) < 12 or s.months_held(latest, latest) < 1:
        return pd.DataFrame(columns=COLUMNS)
    params = {"latest": latest, "base_from": base_from, "base_to": base_to, "min_count": T.MIN_COUNT_TO_FLAG}
    frame = s.df(LOCAL_SCAN_SQL, params)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    months = s.df(LOCAL_MONTHS_SQL, {k: v for k, v in params.items() if k != "base_to"})
    months["month"] = pd.to_datetime(months["month"])
    by_pair = {key: group.set_index("month")["crimes"] for key, group in months.groupby(["lsoa_code", "crime_type"])}
    p_values, year_p, dispersed, expected = [], [], [], []
    for r in frame.itertuples(index=False):
        monthly = by_pair[(r.lsoa_code, r.crime_type)]
        baseline = monthly[monthly.index < pd.Timestamp(latest)].to_numpy(dtype=float)
        result = exceedance(int(r.observed), baseline)
        p_values.append(result.p_value)
        dispersed.append(result.overdispersed)
        expected.append(result.expected)
        year_p.append(compare_counts(int(r.observed), int(r.year_earlier), alternative="greater").p_value)
    frame["expected"], frame["p_value"], frame["overdispersed"] = expected, p_values, dispersed
    frame["p_adjusted"] = adjust(p_values)[1]
    frame["p_vs_year_earlier"] = year_p
    frame = frame[(frame["p_adjusted"] < T.EXCEPTIONAL_P) & (frame["p_vs_year_earlier"] < T.ALPHA)].copy()
    # A pair whose own series, or its crime type's series force-wide, changed level inside the baseline is a
    # recording change, not an emerging issue (small local counts rarely show a force-wide recording break).
    force_series = monthly_series(s, latest)
    type_note = {t: breaks_note(force_series.get(t), base_from, latest) for t in frame["crime_type"].unique()}
    frame["break_note"] = [breaks_note(by_pair[(r.lsoa_code, r.crime_type)], base_from, latest)
                           or (f"{r.crime_type} force-wide: {type_note[r.crime_type]}" if type_note[r.crime_type] else "")
                           for r in frame.itertuples(index=False)]
    flagged = frame[frame["break_note"] == ""].sort_values(["p_adjusted", "observed"], ascending=[True, False])
    return flagged.reset_index(drop=True)[COLUMNS]


def local_emerging_issues(warehouse_file, force: str, latest: date) -> pd.DataFrame:
    """`scan` on its own session (for callers outside a product build)."""
    with IndicatorSession(warehouse_file) as session:
        return scan(session, force, latest)


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    if not ctx.fact("exceedance", "baseline_usable", False):
        return SectionResult("Local emerging issues", shown=False)
    local = session.memo(("local_scan", scope.force, latest), lambda: scan(session, scope.force, latest))
    year_before = month_label(add_months(latest, -12))
    table = Table(
        "local_emerging",
        f"Local emerging issues, {month_label(latest)}: LSOA and crime type pairs far above their own previous 12 months",
        [("LSOA", "text"), ("Name", "text"), ("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"),
         ("p, adjusted", "num"), (year_before, "num"), ("Busiest location", "text")],
        [[r.lsoa_code, r.lsoa_name, r.crime_type, number(r.observed), number(r.expected, 1), p_value(r.p_adjusted),
          number(r.year_earlier), f"{place_name(r.top_location)} ({number(r.top_location_crimes)})"]
         for r in local.head(TOP_N).itertuples(index=False)],
        Lineage("tasks.products.sections.local_emerging.scan (tasks.stats.exceedance per LSOA and crime type, "
                f"{T.MULTIPLE_COMPARISONS} across pairs)",
                {**scope_params(scope), "baseline_months": 12, "min_count": T.MIN_COUNT_TO_FLAG,
                 "adjusted_p_below": T.EXCEPTIONAL_P, "year_earlier_p_below": T.ALPHA,
                 "tests": int(local["tests"].iloc[0]) if not local.empty else 0},
                local, "local_emerging_issues"),
        note=f"Every LSOA and crime type pair with at least {T.MIN_COUNT_TO_FLAG} crimes in the month is tested against "
             "its own previous 12 months (Poisson, or negative binomial when those months are over-dispersed); listed "
             f"when the p-value adjusted across all pairs tested ({adjustment_label()}) is below {T.EXCEPTIONAL_P:g}, "
             f"the count is also above {year_before} (exact two-sample test, p < {T.ALPHA:g}) and the pair's own "
             "series, and its crime type's series force-wide, have no level shift or recording break in those 13 months. "
             "Expected: the pair's baseline mean.",
        empty="No LSOA and crime type pair is exceptional once the number of pairs tested is allowed for.")
    paragraphs, findings, recommendations = [], [], []
    for r in local.head(5).itertuples(index=False):
        text = (f"Local emerging issue: {r.crime_type.lower()} in {r.lsoa_name} ({r.lsoa_code}), "
                f"{number(r.observed)} in {month_label(latest)} against an expected {number(r.expected, 1)} from "
                f"its own previous 12 months (adjusted {p_text(r.p_adjusted)}); {number(r.top_location_crimes)} of them "
                f"{place_name(r.top_location)}.".replace(" of them On or near", " of them on or near"))
        paragraphs.append(text)
        findings.append(text)
    for r in local.head(3).itertuples(index=False):
        place = findable_place(session, scope.force, r.lsoa_code, [r.crime_type], latest, latest, prefer=r.top_location)
        recommendations.append(Recommendation(
            issue=f"Local rise in {r.crime_type.lower()}", place=place, purpose="enforcement",
            action=f"Direct visible patrols and proactive operations against {r.crime_type.lower()} to {place} for the "
                   "coming fortnight, with problem-solving by the neighbourhood team.",
            evidence=f"{number(r.observed)} in {month_label(latest)} against {number(r.expected, 1)} expected "
                     f"(adjusted {p_text(r.p_adjusted)} over {number(r.tests)} pairs tested) ({ref('local_emerging')}).",
            harm=harm_weight(r.crime_type) * float(r.observed)))
    if local.empty:
        paragraphs.append("No LSOA and crime type pair is exceptional once the number of pairs tested is allowed for.")
    return SectionResult("Local emerging issues", paragraphs, [table], findings=findings,
                         recommendations=recommendations, facts={"local": local})
