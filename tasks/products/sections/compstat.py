"""CompStat-style comparisons beside the monthly view, for the first page: the latest month against the same month
last year, (the last six months and) the year to date against the same months last year, and, when the force's
own records are held, the last 28 days against the 28 before and the same 28 days last year.

Prints nothing in the body (`body=False`): the first page (sections/first_page.py) shows its table, and every
adjusted-significant comparison becomes a `Change` the first page ranks by harm.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd

from tasks.indicators import Scope
from tasks.indicators import compstat as indicator
from tasks.indicators.scope import add_months
from tasks.products.common import ALL_CRIME, harm_weight
from tasks.products.engine import Change, Gap, IndicatorSession, Lineage, ProductContext, SectionResult, Table
from tasks.render import number
from tasks.stats import probability
from tasks.stats import thresholds as T
from tasks.stats.tests import adjustment_label

KEY = "compstat"
RISE, FALL = "\u25b2", "\u25bc"
MONTHLY_ONLY = ("Published data is monthly: a view of the last 28 days needs the force's own records (exact dates), "
                "which are not held for this force.")


def change_confidence(p_adjusted: float) -> str:
    """How sure a reader can be that a change is real rather than chance variation, in the PHIA yardstick's words:
    the probability is taken as 1 - the adjusted p-value (with Benjamini-Hochberg, the q-value: the expected share
    of calls like this one that are false)."""
    if p_adjusted is None or math.isnan(p_adjusted):
        return "not tested"
    return probability.phrase(min(1.0, max(0.0, 1.0 - float(p_adjusted))))


def change_cell(now, before, compared: bool, significant: bool, ratio: float, recording_break: bool = False) -> str:
    """'+80% ▲' (▲/▼: a significant rise/fall), '+3 (none before)', '+900% (break)' across a likely recording
    break, or '–' when not compared."""
    if not compared:
        return "–"
    if before == 0:
        text = "none either year" if now == 0 else f"+{number(now)} (none before)"
    else:
        change = (now - before) * 100.0 / before
        text = f"{change:+.1f}%" if abs(change) < 1 else f"{change:+.0f}%"
    if recording_break:
        return text + " (break)"
    return text + (f" {RISE if ratio > 1 else FALL}" if significant else "")


def _harm(frame: pd.DataFrame) -> pd.Series:
    """CCHI days of each row's difference (now - before); 'All crime' the sum over its comparison's types."""
    per_type = [harm_weight(t) * (n - b) if t != ALL_CRIME else float("nan")
                for t, n, b in zip(frame["crime_type"], frame["now"], frame["before"])]
    harm = pd.Series(per_type, index=frame.index, dtype=float)
    totals = harm.groupby(frame["measure"]).sum()
    return harm.where(frame["crime_type"] != ALL_CRIME, frame["measure"].map(totals))


def caveat(row) -> str | None:
    """What a reader must know about one comparison: months left out, a change of level in between."""
    parts = []
    if row.missing:
        parts.append(f"{row.months_compared} of {row.months_asked} months compared: {row.missing} not held"
                     if row.months_asked else row.missing)
    if row.break_note:
        parts.append(f"the series changed level in between ({row.break_note}): a sustained change; check recording "
                     "before acting")
    return "; ".join(parts) or None


def changes(frame: pd.DataFrame) -> list[Change]:
    """Every adjusted-significant comparison as a Change (like units: the same months or days in both years)."""
    found = []
    for r in frame[frame["compared"] & frame["significant"]].itertuples(index=False):
        found.append(Change(
            subject=r.crime_type, measure=r.label, observed=float(r.now), expected=float(r.before),
            ratio=float(r.rate_ratio), ci_low=float(r.ci_low), ci_high=float(r.ci_high),
            p_adjusted=float(r.p_adjusted), significant=True, harm_days=float(r.harm_days),
            confidence=change_confidence(r.p_adjusted), caveat=caveat(r), ref_key=KEY))
    return found


def table(frame: pd.DataFrame, latest, as_at, params: dict, days_view: bool = True) -> Table:
    """One row per crime type, largest this month first, 'All crime' last; the comparisons side by side."""
    by = {m: part.set_index("crime_type") for m, part in frame.groupby("measure", sort=False)}
    month = by["month"]
    order = month.drop(ALL_CRIME).sort_values(["now", "before"], ascending=False).index.tolist() + [ALL_CRIME]
    year_to_date = f"Jan-{latest:%b %Y}" if latest.month > 1 else f"{latest:%b %Y}"
    blocks = [("month", f"{latest:%b %Y}", f"{latest:%b} {latest.year - 1}")]
    if "half_year" in by:
        first = add_months(latest, -5)
        blocks.append(("half_year", f"{first:%b}-{latest:%b %Y}" if first.year == latest.year
                       else f"{first:%b %y}-{latest:%b %y}", "Year before"))
    blocks.append(("year_to_date", year_to_date, f"{year_to_date[:-4]}{latest.year - 1}"))
    if "days_previous" in by:
        blocks.append(("days_previous", f"28 days to {as_at:%d %b}", "28 days before"))
        blocks.append(("days_year", None, "Same 28 days a year before"))
    columns, cells = [("Crime type", "text")], {t: [t] for t in order}
    for measure, now_label, before_label in blocks:
        part = by[measure]
        columns += ([(now_label, "num")] if now_label else []) + [(before_label, "num"), ("Change", "num")]
        for crime_type in order:
            r = part.loc[crime_type] if crime_type in part.index else None
            if r is None:
                cells[crime_type] += (["–"] if now_label else []) + ["–", "–"]
                continue
            now_cell = [number(r["now"])] if now_label else []
            before = number(r["before"]) if r["compared"] else "–"
            cells[crime_type] += now_cell + [before, change_cell(r["now"], r["before"], bool(r["compared"]),
                                                                 bool(r["significant"]), r["rate_ratio"],
                                                                 bool(r["recording_break"]))]
    missing = sorted({(m, r.missing) for m, r in zip(frame["measure"], frame.itertuples(index=False)) if r.missing})
    notes = [f"{RISE}/{FALL}: a significant rise/fall (exact two-sample test of the two counts, two-sided, p adjusted "
             f"across the crime types by {adjustment_label()}, 'All crime' unadjusted; significant below "
             f"{T.EXCEPTIONAL_P:g}). Months are compared like for like: a month counts only when it and the same month "
             "a year earlier are both held. (break): the series has a likely recording break between the two periods "
             "(see Intelligence gaps), so the difference is not called a change."]
    for measure, text in dict.fromkeys(missing):
        label = frame.loc[frame["measure"] == measure, "label"].iloc[0]
        notes.append(f"{label}: left out as not held: {text}.")
    if as_at is None and days_view:
        notes.append(MONTHLY_ONLY)
    elif as_at is not None:
        notes.append("28 days: the force's own records by recording date; the same 28 days a year before are 52 weeks "
                     "earlier (the same weekdays).")
    periods = ["the latest month"] + (["the last six months"] if "half_year" in by else []) + ["the year to date"]
    caption = (f"CompStat view: {', '.join(periods[:-1])} and {periods[-1]} against the same months a year earlier"
               + ("; the last 28 days against the 28 before and a year before" if as_at else ""))
    return Table(KEY, caption, columns, [cells[t] for t in order],
                 Lineage("tasks.indicators.compstat", params, frame, "compstat"), note=" ".join(notes),
                 css="compstat")


def _section(session: IndicatorSession, scope: Scope, ctx: ProductContext, half_year: bool,
             days_view: bool) -> SectionResult:
    """`half_year`: add the last six months; `days_view`: add the last 28 days when force records are held."""
    latest = ctx.latest
    month_scope = scope.shifted(latest, latest)
    frame = session.memo((KEY, month_scope, half_year), lambda: indicator.monthly_comparisons(
        session.scoped(month_scope), latest, half_year))
    held = indicator.records_held(session.con, scope.force) if days_view else None
    as_at, gaps = None, []
    if held is not None:
        as_at = held[1] - timedelta(days=1)  # the last complete day: an extract is taken part-way through a day
        days = indicator.day_comparisons(session.con, scope.force, held[0], as_at, sorted(frame["crime_type"].unique()))
        frame = pd.concat([frame, days], ignore_index=True)
    elif days_view:
        gaps.append(Gap("No force records for the last 28 days", "The force's own records (exact dates) are not loaded",
                        "The first page compares published months only; the latest published month is weeks or months "
                        "old by the time the group meets."))
    frame = frame.assign(harm_days=_harm(frame))
    params = {"force": scope.force, "latest": latest.strftime("%Y-%m"), "area": scope.area_label,
              "measures": list(dict.fromkeys(frame["measure"])), **({"as_at": as_at.isoformat()} if as_at else {})}
    method = ("CompStat view: the latest month, " + ("the last six months, " if half_year else "")
              + "and the calendar year to date, each against the same months a year earlier, compared like for like "
              "(a month counts only when it and its partner a year earlier are both held; the months left out are "
              "named)" + ("; with the force's own records, the last 28 days against the 28 before and the same 28 days "
                          "52 weeks earlier" if days_view else "") + ". Two counts compared by the exact conditional binomial test (two-sided) with a 95% "
              f"interval for the rate ratio; p adjusted across the crime types ({adjustment_label()}); significant "
              f"below {T.EXCEPTIONAL_P:g}. How sure: 1 - the adjusted p-value, in the words of the PHIA probability "
              "yardstick.")
    return SectionResult(
        "CompStat view", items=[table(frame, latest, as_at, params, days_view)], changes=changes(frame), gaps=gaps,
        methods=[method], body=False, facts={"frame": frame, "as_at": as_at, "days_view": days_view})


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """This fortnight: the latest month and the year to date, and the last 28 days from force records."""
    return _section(session, scope, ctx, half_year=False, days_view=True)


def strategic(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """This half-year: the latest month, the last six months and the year to date (28 days are tactical)."""
    return _section(session, scope, ctx, half_year=True, days_view=False)
