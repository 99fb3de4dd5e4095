"""Against the control strategy (tactical assessment, first): for each priority the ST&CG adopted, its latest month
against the 12 before (exceedance), against the same month a year earlier (trend), where it is concentrated (hot
spots: the busiest LSOAs), and the intelligence requirement it set. Priorities come from the tasking-loop records
(tasks/tasking_loop/strategy.py), read on the build's connection."""
from __future__ import annotations

import json

import pandas as pd

from tasks.draft import month_label
from tasks.indicators import Scope
from tasks.indicators.scope import add_months, parse_month
from tasks.products.common import ALL_CRIME, area_place, harm_days_by_type
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.render import number, p_text, p_value
from tasks.stats import thresholds
from tasks.stats.breaks import breaks_between
from tasks.stats.tests import compare_counts, exceedance, exceedance_flag

HOT_SPOTS = 3

ADOPTED_SQL = """
SELECT priority_id, label, crime_types_json, area, intelligence_requirement, strategic_version_id, adopted_by, adopted_at
FROM control_priority WHERE force = $force AND status = 'adopted' ORDER BY priority_id
"""


def adopted_priorities(session: IndicatorSession, force: str) -> pd.DataFrame:
    """The force's adopted priorities; none when the warehouse predates the tasking-loop records."""
    held = session.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'control_priority'")
    if not int(held["n"].iloc[0]):
        return pd.DataFrame(columns=["priority_id", "label", "crime_types_json", "area", "intelligence_requirement",
                                     "strategic_version_id", "adopted_by", "adopted_at"])
    return session.df(ADOPTED_SQL, {"force": force})


def assess_priority(session: IndicatorSession, force: str, priority: dict, latest) -> dict:
    """One priority's figures for the month: count, 12-month expectation and test, a year earlier, hot spots."""
    area = None if priority["area"] is None or pd.isna(priority["area"]) else priority["area"]
    types = tuple(json.loads(priority["crime_types_json"]))
    history = Scope.from_area_text(force, add_months(latest, -12), latest, area, types)
    volumes = session.indicator("monthly_volumes", history)
    monthly = volumes.groupby("month")["crimes"].sum(min_count=1)
    now = monthly.get(f"{latest:%Y-%m}")
    baseline = [float(v) for m, v in monthly.items() if m < f"{latest:%Y-%m}" and pd.notna(v)]
    year_earlier = monthly.get(f"{add_months(latest, -12):%Y-%m}")
    out = {"priority_id": priority["priority_id"], "label": priority["label"], "types": types,
           "place": area_place(session, force, area, latest), "requirement": priority["intelligence_requirement"],
           "count": None if now is None or pd.isna(now) else int(now), "baseline_months": len(baseline),
           "expected": None, "p": None, "flag": "insufficient baseline", "year_earlier": None, "year_p": None,
           "year_method": "", "exceedance_method": "", "hot_spots": [], "hot_spot_codes": [], "harm_days": 0.0}
    if out["count"] is None:
        out["flag"] = "month not held"
        return out
    month = volumes[(volumes["month"] == f"{latest:%Y-%m}") & (volumes["crime_type"] != ALL_CRIME)]
    out["harm_days"] = harm_days_by_type(zip(month["crime_type"], month["crimes"].fillna(0)))
    if baseline:
        test = exceedance(out["count"], baseline)
        # A level shift or recording break inside the 13 months makes the baseline the wrong yardstick.
        held = monthly.dropna()
        series = pd.Series(held.to_numpy(dtype=float), index=[parse_month(m) for m in held.index])
        broke = len(held) == len(monthly) and bool(breaks_between(series, add_months(latest, -11), latest))
        out.update(expected=test.expected, p=test.p_value, exceedance_method=test.method,
                   flag=(exceedance_flag(test.p_value, out["count"], baseline_break=broke)
                         if len(baseline) >= thresholds.MIN_BASELINE_MONTHS else "insufficient baseline"))
    if year_earlier is not None and pd.notna(year_earlier):
        compared = compare_counts(out["count"], int(year_earlier))
        out.update(year_earlier=int(year_earlier), year_p=compared.p_value, year_method=compared.method)
    month_scope = Scope.from_area_text(force, latest, latest, area, types)
    places = session.indicator("lsoa_counts", month_scope)
    places = places[places["crimes"] > 0].sort_values(["crimes", "lsoa_code"], ascending=[False, True]).head(HOT_SPOTS)
    out["hot_spots"] = [f"{r.lsoa_code} {r.lsoa_name} ({number(r.crimes)})" for r in places.itertuples(index=False)]
    out["hot_spot_codes"] = [f"{r.lsoa_code} ({number(r.crimes)})" for r in places.itertuples(index=False)]
    return out


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    priorities = adopted_priorities(session, scope.force)
    title = "Against the control strategy"
    if priorities.empty:
        return SectionResult(title, paragraphs=[
            "No control strategy is recorded for this force: once the ST&CG has approved a strategic assessment and "
            "adopted its priorities (`tasking strategy adopt`), this assessment reports against each of them first."])
    assessed = [assess_priority(session, scope.force, row, latest) for row in priorities.to_dict("records")]
    paragraphs = [f"The ST&CG adopted {len(assessed)} priorit{'y' if len(assessed) == 1 else 'ies'} from "
                  f"{', '.join(sorted(set(priorities['strategic_version_id'])))}. Each is reported here first: "
                  f"{month_label(latest)} against the monthly mean of the 12 months before, and against the same month "
                  f"a year earlier ({ref('control_strategy')})."]
    findings, recommendations = [], []
    for a in assessed:
        where = f" in {a['place']}" if not a["place"].startswith("whole force") else ""
        if a["count"] is None:
            paragraphs.append(f"{a['label']}{where}: {month_label(latest)} is not held for this force.")
            continue
        text = f"{a['label']}{where}: {number(a['count'])} in {month_label(latest)}"
        if a["expected"] is not None:
            text += f" against an expected {number(a['expected'], 1)} ({p_text(a['p'])}, {a['flag']})"
        if a["year_earlier"] is not None:
            text += f"; {number(a['year_earlier'])} a year earlier ({p_text(a['year_p'])})"
        if a["hot_spots"]:
            text += f"; busiest: {'; '.join(a['hot_spots'])}"
        paragraphs.append(text + f". Intelligence requirement: {a['requirement']}")
        if a["flag"] in ("exceptional", "elevated"):
            findings.append(f"Control strategy priority {a['label']}{where} is {a['flag']} in {month_label(latest)} "
                            f"({number(a['count'])} against {number(a['expected'], 1)} expected).")
            recommendations.append(Recommendation(
                issue=f"Priority {a['label']} {a['flag']}", purpose="intelligence",
                action=f"Task collection against the intelligence requirement for {a['label']}: {a['requirement']}",
                evidence=f"{number(a['count'])} against {number(a['expected'], 1)} expected, {p_text(a['p'])} "
                         f"({ref('control_strategy')}).", place=a["hot_spots"][0] if a["hot_spots"] else None,
                harm=a["harm_days"]))
    frame = pd.DataFrame([{k: (", ".join(v) if isinstance(v, (list, tuple)) else v) for k, v in a.items()}
                          for a in assessed])
    table = Table(
        "control_strategy", f"Adopted priorities in {month_label(latest)}: exceedance, trend and hot spots",
        [("Priority", "text"), ("Place", "text"), ("Recorded", "num"), ("Expected", "num"), ("p", "num"),
         ("Assessment", "text"), ("Year earlier", "num"), ("p (year)", "num"), ("Busiest LSOAs", "text")],
        [[a["label"], a["place"], number(a["count"]), number(a["expected"], 1), p_value(a["p"]), a["flag"],
          number(a["year_earlier"]), p_value(a["year_p"]), "; ".join(a["hot_spot_codes"]) or "–"]
         for a in assessed],
        Lineage("tasks.products.sections.control_strategy (control_priority; tasks.indicators.monthly_volumes, "
                "lsoa_counts; tasks.stats.tests.exceedance, compare_counts)",
                {"force": scope.force, "month": f"{latest:%Y-%m}", "baseline_months": 12}, frame, "control_strategy"),
        flags=[a["flag"] == "exceptional" for a in assessed],
        note="Expected: the monthly mean of the 12 months before (Poisson, or negative binomial when the baseline "
             "varies more than Poisson allows); year earlier: exact test of two Poisson counts.")
    methods = sorted({a["exceedance_method"] for a in assessed if a["exceedance_method"]}
                     | {a["year_method"] for a in assessed if a["year_method"]})
    return SectionResult(title, paragraphs=paragraphs, items=[table], findings=findings,
                         recommendations=recommendations,
                         methods=["Control strategy: " + m for m in methods],
                         facts={"priorities": assessed})
