"""CompStat-style comparisons for a chair's first page: the latest month against the same month last year, the
last six months and the year to date against the same months last year (published monthly data), and the last
28 days against the 28 before and the same 28 days last year (the force's own records, exact dates).

Every comparison is like for like: a month is compared only when it and its partner a year earlier are both held,
and the months left out are named (`missing`), so one month missing from a release never silences a comparison.
Two observed counts are compared by tasks.stats.compare_counts (exact conditional test, rate-ratio interval),
two-sided; p-values are adjusted across the crime types within each comparison (tasks.stats.adjust; 'All crime'
unadjusted); `significant` is an adjusted p below tasks.stats.thresholds.EXCEPTIONAL_P, the level every product
uses for a significant change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from tasks.indicators.scope import IndicatorSession, add_months
from tasks.indicators.volume import monthly_series
from tasks.stats import thresholds as T
from tasks.stats.breaks import RECORDING_BREAK, Break, detect_breaks
from tasks.stats.tests import adjust, compare_counts

ALL_CRIME = "All crime"
DAYS = 28
YEAR_DAYS = 364  # 52 weeks: the same 28 days last year start on the same weekday

# Crimes per held month and crime type in a range of months (zeros where a held month has none of a type).
MONTHLY_COUNTS_SQL = """
WITH types AS (SELECT unnest($crime_types) AS crime_type),
counts AS (
    SELECT month, crime_type, count(*) AS crimes FROM scoped_street
    WHERE month BETWEEN $first AND $last GROUP BY ALL
)
SELECT h.month, t.crime_type, coalesce(c.crimes, 0) AS crimes
FROM force_months h CROSS JOIN types t LEFT JOIN counts c USING (month, crime_type)
WHERE h.month BETWEEN $first AND $last
ORDER BY h.month, t.crime_type
"""

# The force's own records per crime type in three windows of days (recording dates).
DAY_WINDOWS_SQL = """
SELECT crime_type,
       count(*) FILTER (WHERE CAST(recorded_at AS DATE) BETWEEN $now_from AND $now_to) AS now,
       count(*) FILTER (WHERE CAST(recorded_at AS DATE) BETWEEN $previous_from AND $previous_to) AS previous,
       count(*) FILTER (WHERE CAST(recorded_at AS DATE) BETWEEN $year_earlier_from AND $year_earlier_to) AS year_earlier
FROM internal_incident WHERE force = $force
GROUP BY crime_type ORDER BY crime_type
"""

RECORDS_HELD_SQL = """
SELECT min(CAST(recorded_at AS DATE)) AS first_day, max(CAST(recorded_at AS DATE)) AS last_day
FROM internal_incident WHERE force = $force
"""


@dataclass(frozen=True)
class Measure:
    """One comparison: `key` names it in the frame, `label` says it to a reader, `months` are the months compared
    (each against the same month a year earlier)."""

    key: str
    label: str
    months: tuple[date, ...]


def month_name(month: date) -> str:
    return month.strftime("%B %Y")


def span_name(first: date, last: date) -> str:
    if first == last:
        return month_name(last)
    return f"{first:%B}-{last:%B %Y}" if first.year == last.year else f"{first:%B %Y}-{last:%B %Y}"


def monthly_measures(latest: date, half_year: bool = False) -> list[Measure]:
    """The latest month, (the last six months,) and the calendar year to date, each against a year earlier."""
    measures = [Measure("month", f"{month_name(latest)} against {month_name(add_months(latest, -12))}", (latest,))]
    if half_year:
        first = add_months(latest, -5)
        measures.append(Measure("half_year", f"{span_name(first, latest)} against the same months a year earlier",
                                tuple(add_months(first, i) for i in range(6))))
    january = date(latest.year, 1, 1)
    measures.append(Measure("year_to_date", f"Year to date ({span_name(january, latest)}) against the same months of "
                                            f"{latest.year - 1}",
                            tuple(date(latest.year, m, 1) for m in range(1, latest.month + 1))))
    return measures


def _test(frame: pd.DataFrame) -> pd.DataFrame:
    """Rate ratio, interval and two-sided p for each row's (now, before); p adjusted across the crime types."""
    frame = frame.copy()
    columns = {"rate_ratio": [], "ci_low": [], "ci_high": [], "p_value": []}
    for now, before, compared in zip(frame["now"], frame["before"], frame["compared"]):
        if not compared:
            for values in columns.values():
                values.append(float("nan"))
            continue
        result = compare_counts(int(now), int(before))
        for name, value in zip(columns, (result.rate_ratio, result.ci_low, result.ci_high, result.p_value)):
            columns[name].append(value)
    for name, values in columns.items():
        frame[name] = values
    types = frame["crime_type"] != ALL_CRIME
    frame["p_adjusted"] = frame["p_value"]
    frame.loc[types, "p_adjusted"] = adjust(frame.loc[types, "p_value"].tolist())[1]
    # A comparison across a likely recording break compares two recordings, not two levels of crime.
    frame["significant"] = (frame["p_adjusted"] < T.EXCEPTIONAL_P) & ~frame["recording_break"]
    return frame


def _breaks_in(found: list[Break], first: date, last: date) -> list[Break]:
    """Breaks whose new level starts after `first` and by `last`: the two periods straddle them."""
    return [b for b in found if first < b.month <= last]


def _missing_text(missing: list[date]) -> str:
    return ", ".join(month_name(m) for m in missing)


def monthly_comparisons(s: IndicatorSession, latest: date, half_year: bool = False) -> pd.DataFrame:
    """One row per comparison (monthly_measures) and crime type, plus 'All crime'.

    Columns: measure, label, crime_type, now, before (sums over the months compared), months_compared,
    months_asked, missing (the months left out because they or their partner a year earlier are not held, e.g.
    'March 2023'), compared (False when no month pair is held), break_note (level shifts and likely recording
    breaks whose new level starts between the earliest month compared and the latest, tasks.stats.breaks),
    recording_break (one of them is a likely recording break: then never significant), rate_ratio, ci_low,
    ci_high, p_value (two-sided), p_adjusted, significant, method.
    """
    measures = monthly_measures(latest, half_year)
    first = add_months(min(m for measure in measures for m in measure.months), -12)
    counts = s.df(MONTHLY_COUNTS_SQL, {"crime_types": s.crime_types(), "first": first, "last": latest})
    counts["month"] = pd.to_datetime(counts["month"]).dt.date
    held = set(pd.to_datetime(s.df("SELECT month FROM force_months")["month"]).dt.date)
    types = list(s.crime_types())
    wide = counts.pivot_table(index="month", columns="crime_type", values="crimes", aggfunc="sum").reindex(columns=types)
    found = {crime_type: detect_breaks(series) for crime_type, series in monthly_series(s, latest).items()}
    rows = []
    for measure in measures:
        pairs = [(m, add_months(m, -12)) for m in measure.months]
        kept = [(m, y) for m, y in pairs if m in held and y in held]
        missing = [m for pair in pairs if pair not in kept for m in pair if m not in held]
        for crime_type in types + [ALL_CRIME]:
            between = _breaks_in(found.get(crime_type, []), min(y for _, y in kept), latest) if kept else []
            def total(months):
                block = wide.reindex(list(months)).fillna(0)
                return int(block.to_numpy().sum() if crime_type == ALL_CRIME else block[crime_type].sum())

            rows.append({"measure": measure.key, "label": measure.label, "crime_type": crime_type,
                         "now": total([m for m, _ in kept]), "before": total([y for _, y in kept]),
                         "months_compared": len(kept), "months_asked": len(pairs),
                         "missing": _missing_text(sorted(set(missing))), "compared": bool(kept),
                         "break_note": "; ".join(b.describe() for b in between),
                         "recording_break": any(b.kind == RECORDING_BREAK for b in between)})
    frame = pd.DataFrame(rows, columns=["measure", "label", "crime_type", "now", "before", "months_compared",
                                        "months_asked", "missing", "compared", "break_note", "recording_break"])
    out = pd.concat([_test(part) for _, part in frame.groupby("measure", sort=False)], ignore_index=True)
    out["method"] = compare_counts(1, 1).method + f"; two-sided p adjusted across crime types ({T.MULTIPLE_COMPARISONS})"
    return out


def records_held(con, force: str) -> tuple[date, date] | None:
    """First and last recording day of the force's own records, or None when none are held."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'internal_incident'").fetchone()[0]
    if not exists:
        return None
    first, last = con.execute(RECORDS_HELD_SQL, {"force": force}).fetchone()
    return None if first is None else (first, last)


def day_windows(as_at: date) -> dict[str, tuple[date, date]]:
    """The last 28 days to `as_at`, the 28 before them, and the same 28 days 52 weeks earlier."""
    now_from = as_at - timedelta(days=DAYS - 1)
    return {"now": (now_from, as_at), "previous": (now_from - timedelta(days=DAYS), now_from - timedelta(days=1)),
            "year_earlier": (now_from - timedelta(days=YEAR_DAYS), as_at - timedelta(days=YEAR_DAYS))}


def day_comparisons(con, force: str, first_day: date, as_at: date, crime_types: list[str]) -> pd.DataFrame:
    """The force's own records: the last 28 days to `as_at` against the 28 before ('days_previous') and the same
    28 days last year ('days_year'), per crime type and 'All crime', with the columns of monthly_comparisons.
    A window that starts before the first recorded day is not compared (compared False, missing says why)."""
    windows = day_windows(as_at)
    params = {"force": force}
    for name, (start, end) in windows.items():
        params[f"{name}_from"], params[f"{name}_to"] = start, end
    counts = con.execute(DAY_WINDOWS_SQL, params).df().set_index("crime_type")
    counts = counts.reindex(sorted((set(crime_types) | set(counts.index)) - {ALL_CRIME}), fill_value=0)
    now_text = f"the 28 days to {as_at:%d %B %Y}"
    rows = []
    for key, window, label in (
            ("days_previous", "previous", f"The 28 days to {as_at:%d %B %Y} against the 28 days before"),
            ("days_year", "year_earlier", f"The 28 days to {as_at:%d %B %Y} against the same 28 days last year")):
        start, end = windows[window]
        held = start >= first_day
        missing = "" if held else f"records start {first_day:%d %B %Y}, after {start:%d %B %Y}"
        for crime_type in list(counts.index) + [ALL_CRIME]:
            source = counts.sum() if crime_type == ALL_CRIME else counts.loc[crime_type]
            rows.append({"measure": key, "label": label, "crime_type": crime_type, "now": int(source["now"]),
                         "before": int(source[window]) if held else 0, "months_compared": 0, "months_asked": 0,
                         "missing": missing, "compared": held, "window": now_text, "break_note": "",
                         "recording_break": False})
    frame = pd.DataFrame(rows)
    out = pd.concat([_test(part) for _, part in frame.groupby("measure", sort=False)], ignore_index=True)
    out["method"] = compare_counts(1, 1).method + f"; two-sided p adjusted across crime types ({T.MULTIPLE_COMPARISONS})"
    return out.drop(columns=["window"])
