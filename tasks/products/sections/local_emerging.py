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
from tasks.indicators.volume import poisson_upper_p
from tasks.products.common import TOP_N, findable_place, harm_weight, place_name
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, p_text, p_value

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
LOCAL_MIN_COUNT = 5
LOCAL_FAMILY_P = 0.01
LOCAL_YEAR_P = 0.05
COLUMNS = ["lsoa_code", "lsoa_name", "crime_type", "observed", "baseline_crimes", "year_earlier", "expected", "p_value",
           "p_vs_year_earlier", "threshold", "top_location", "top_location_crimes", "tests"]


def scan(session: IndicatorSession, force: str, latest: date) -> pd.DataFrame:
    """LSOA x crime type pairs whose latest-month count is exceptional against their own previous 12 months and
    above the same month a year earlier.

    expected = (baseline crimes + 0.5) / 12 (the half avoids a zero expectation); p = P(X >= observed),
    X ~ Poisson(expected); only pairs with at least 5 crimes in the month are tested, and one is flagged when
    p < 0.01 / (number of pairs tested) (Bonferroni: hundreds of pairs are tested at once) and the count is also
    above the same month a year earlier (p_vs_year_earlier < 0.05 against year_earlier + 0.5), so a summer peak
    of anti-social behaviour is not reported as a new problem. Empty when the 12 baseline months are not all held.
    """
    base_from, base_to = add_months(latest, -12), add_months(latest, -1)
    s = session.scoped(Scope(force, base_from, latest))
    if s.months_held(base_from, base_to) < 12 or s.months_held(latest, latest) < 1:
        return pd.DataFrame(columns=COLUMNS)
    frame = s.df(LOCAL_SCAN_SQL, {"latest": latest, "base_from": base_from, "base_to": base_to,
                                  "min_count": LOCAL_MIN_COUNT})
    frame["expected"] = (frame["baseline_crimes"] + 0.5) / 12.0
    frame["p_value"] = poisson_upper_p(frame["observed"].to_numpy(float), frame["expected"].to_numpy(float))
    frame["p_vs_year_earlier"] = poisson_upper_p(frame["observed"].to_numpy(float),
                                                 frame["year_earlier"].to_numpy(float) + 0.5)
    frame["threshold"] = LOCAL_FAMILY_P / frame["tests"].clip(lower=1)
    flagged = frame[(frame["p_value"] < frame["threshold"]) & (frame["p_vs_year_earlier"] < LOCAL_YEAR_P)]
    flagged = flagged.sort_values(["p_value", "observed"], ascending=[True, False])
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
         ("p", "num"), (year_before, "num"), ("Busiest location", "text")],
        [[r.lsoa_code, r.lsoa_name, r.crime_type, number(r.observed), number(r.expected, 1), p_value(r.p_value),
          number(r.year_earlier), f"{place_name(r.top_location)} ({number(r.top_location_crimes)})"]
         for r in local.head(TOP_N).itertuples(index=False)],
        Lineage("tasks.products.sections.local_emerging.scan (Poisson per LSOA and crime type, Bonferroni)",
                {**scope_params(scope), "baseline_months": 12, "min_count": LOCAL_MIN_COUNT, "family_p": LOCAL_FAMILY_P,
                 "year_earlier_p": LOCAL_YEAR_P, "tests": int(local["tests"].iloc[0]) if not local.empty else 0},
                local, "local_emerging_issues"),
        note=f"Every LSOA and crime type pair with at least {LOCAL_MIN_COUNT} crimes in the month is tested; listed "
             "when p is below 0.01 divided by the number of pairs tested (Bonferroni), against (baseline + 0.5) / 12, "
             f"and the count is also above {year_before} (p < 0.05).",
        empty="No LSOA and crime type pair is exceptional once the number of pairs tested is allowed for.")
    paragraphs, findings, recommendations = [], [], []
    for r in local.head(5).itertuples(index=False):
        text = (f"Local emerging issue: {r.crime_type.lower()} in {r.lsoa_name} ({r.lsoa_code}), "
                f"{number(r.observed)} in {month_label(latest)} against an expected {number(r.expected, 1)} from "
                f"its own previous 12 months ({p_text(r.p_value)}); {number(r.top_location_crimes)} of them "
                f"{place_name(r.top_location)}.".replace(" of them On or near", " of them on or near"))
        paragraphs.append(text)
        findings.append(text)
    for r in local.head(3).itertuples(index=False):
        place = findable_place(session, scope.force, r.lsoa_code, [r.crime_type], latest, latest)
        recommendations.append(Recommendation(
            issue=f"Local rise in {r.crime_type.lower()}", place=place, purpose="enforcement",
            action=f"Direct visible patrols and proactive operations against {r.crime_type.lower()} to {place} for the "
                   "coming fortnight, with problem-solving by the neighbourhood team.",
            evidence=f"{number(r.observed)} in {month_label(latest)} against {number(r.expected, 1)} expected "
                     f"({p_text(r.p_value)}, Bonferroni over {number(r.tests)} pairs) ({ref('local_emerging')}).",
            harm=harm_weight(r.crime_type) * float(r.observed)))
    if local.empty:
        paragraphs.append("No LSOA and crime type pair is exceptional once the number of pairs tested is allowed for.")
    return SectionResult("Local emerging issues", paragraphs, [table], findings=findings,
                         recommendations=recommendations, facts={"local": local})
