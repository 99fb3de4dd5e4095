"""Outcome and stop-and-search indicators."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tasks.indicators.scope import IndicatorSession, Scope, session
from tasks.indicators.volume import ALL_CRIME

OUTCOME_GROUPS_FILE = Path(__file__).resolve().parent / "outcome_groups.csv"
NO_OUTCOME = "no outcome recorded"
UNMAPPED = "other or unavailable"

# Crimes of the period (crimes without an ID, i.e. anti-social behaviour, have no outcomes). An ID repeated in
# a published month is one crime. The latest outcome is the one in the latest outcomes month; two outcomes in
# the same month are decided by the later outcome name so the choice is reproducible. Built once per session
# as a temp table that the outcome indicators aggregate in SQL.
CRIME_OUTCOME_SQL = """
CREATE OR REPLACE TEMP TABLE crime_outcome AS
WITH crimes AS (
    SELECT crime_id, min(month) AS month, any_value(crime_type) AS crime_type,
           max(last_outcome_category) AS last_outcome_category
    FROM scoped_street
    WHERE month BETWEEN $period_from AND $period_to AND crime_id IS NOT NULL
    GROUP BY crime_id
),
latest AS (
    SELECT crime_id, arg_max(outcome_type, (month, outcome_type)) AS outcome, max(month) AS outcome_month
    FROM outcome WHERE force = $force AND crime_id IN (SELECT crime_id FROM crimes)
    GROUP BY crime_id
),
resolved AS (
    SELECT c.crime_id, c.month, c.crime_type,
           coalesce(l.outcome, c.last_outcome_category) AS outcome,
           CASE WHEN l.outcome IS NOT NULL THEN 'outcomes file'
                WHEN c.last_outcome_category IS NOT NULL THEN 'last outcome category' END AS outcome_source,
           l.outcome_month,
           CASE WHEN l.outcome_month IS NOT NULL
                THEN (year(l.outcome_month) - year(c.month)) * 12 + month(l.outcome_month) - month(c.month) END AS months_to_outcome
    FROM crimes c LEFT JOIN latest l USING (crime_id)
)
SELECT r.*, CASE WHEN r.outcome IS NULL THEN $no_outcome ELSE coalesce(g.outcome_group, $unmapped) END AS outcome_group
FROM resolved r LEFT JOIN outcome_group_map g ON g.outcome = r.outcome
"""

LATEST_OUTCOMES_SQL = """
SELECT crime_id, strftime(month, '%Y-%m') AS month, crime_type, outcome, outcome_source,
       strftime(outcome_month, '%Y-%m') AS outcome_month, months_to_outcome, outcome_group
FROM crime_outcome ORDER BY crime_outcome.month, crime_id
"""

OUTCOME_SHARES_SQL = """
SELECT coalesce(crime_type, $all_crime) AS crime_type, outcome_group, count(*) AS crimes
FROM crime_outcome GROUP BY GROUPING SETS ((crime_type, outcome_group), (outcome_group))
"""

OUTCOME_TIMING_SQL = """
SELECT outcome_group, count(*) AS crimes, avg(months_to_outcome) AS mean_months,
       median(months_to_outcome) AS median_months, quantile_cont(months_to_outcome, 0.9) AS p90_months
FROM crime_outcome WHERE months_to_outcome IS NOT NULL GROUP BY outcome_group ORDER BY outcome_group
"""


def outcome_groups() -> dict[str, str]:
    groups = pd.read_csv(OUTCOME_GROUPS_FILE)
    return dict(zip(groups["outcome"], groups["outcome_group"]))


def _prepare_crime_outcome(s: IndicatorSession) -> None:
    if s.memo.get("crime_outcome") is None:
        s.con.register("outcome_group_map", pd.read_csv(OUTCOME_GROUPS_FILE))
        s.con.execute(CRIME_OUTCOME_SQL, {**s.period_params(), "force": s.scope.force, "no_outcome": NO_OUTCOME,
                                          "unmapped": UNMAPPED})
        s.memo["crime_outcome"] = pd.DataFrame()  # marks the temp table as built


def _latest_outcomes(s: IndicatorSession) -> pd.DataFrame:
    _prepare_crime_outcome(s)
    frame = s.df(LATEST_OUTCOMES_SQL)
    frame["months_to_outcome"] = frame["months_to_outcome"].astype("Int64")
    return frame


def latest_outcomes(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """The latest known outcome of each crime (with a Crime ID) of the period.

    From the outcomes files when any is held for the crime, else the street file's last outcome category.
    Columns: crime_id, month, crime_type, outcome, outcome_source ('outcomes file' | 'last outcome category' |
    None), outcome_month, months_to_outcome (outcome month minus crime month, outcomes files only),
    outcome_group (see outcome_groups.csv; 'no outcome recorded' when none is known).
    """
    with session(warehouse_file, scope) as s:
        return _latest_outcomes(s)


def _outcome_shares(s: IndicatorSession) -> pd.DataFrame:
    _prepare_crime_outcome(s)
    counts = s.df(OUTCOME_SHARES_SQL, {"all_crime": ALL_CRIME})
    counts["share"] = counts["crimes"] / counts.groupby("crime_type")["crimes"].transform("sum")
    return counts.sort_values(["crime_type", "crimes", "outcome_group"], ascending=[True, False, True]).reset_index(drop=True)


def outcome_shares(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Share of crimes by outcome group, per crime type and for 'All crime'.

    Columns: crime_type, outcome_group, crimes, share (of that crime type's crimes with a Crime ID).
    """
    with session(warehouse_file, scope) as s:
        return _outcome_shares(s)


def _outcome_timing(s: IndicatorSession) -> pd.DataFrame:
    _prepare_crime_outcome(s)
    return s.df(OUTCOME_TIMING_SQL)


def outcome_timing(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Months from crime to its latest outcome, for crimes whose outcome comes from an outcomes file.

    Columns: outcome_group, crimes, mean_months, median_months, p90_months (linear interpolation).
    """
    with session(warehouse_file, scope) as s:
        return _outcome_timing(s)


STOP_SEARCH_BREAKDOWN_SQL = """
WITH searches AS (
    SELECT *,
           outcome IN ('Arrest', 'Suspect arrested') AS is_arrest,
           outcome IS NOT NULL AND outcome NOT IN ('A no further action disposal', 'Nothing found - no further action',
                                                   'No further action') AS is_action,
           coalesce(outcome_linked_to_object_of_search, FALSE) AS is_linked
    FROM {table} WHERE month BETWEEN $period_from AND $period_to
),
long AS (
    SELECT 'all' AS dimension, 'all searches' AS value, * FROM searches
    UNION ALL SELECT 'legislation', coalesce(legislation, '(not recorded)'), * FROM searches
    UNION ALL SELECT 'object_of_search', coalesce(object_of_search, '(not recorded)'), * FROM searches
    UNION ALL SELECT 'age_range', coalesce(age_range, '(not recorded)'), * FROM searches
    UNION ALL SELECT 'gender', coalesce(gender, '(not recorded)'), * FROM searches
    UNION ALL SELECT 'officer_defined_ethnicity', coalesce(officer_defined_ethnicity, '(not recorded)'), * FROM searches
    UNION ALL SELECT 'type', coalesce(type, '(not recorded)'), * FROM searches
)
SELECT dimension, value, count(*) AS searches,
       count(*) FILTER (WHERE is_arrest) AS arrests,
       count(*) FILTER (WHERE is_action) AS any_action,
       count(*) FILTER (WHERE is_linked) AS linked_to_object,
       count(*) FILTER (WHERE is_action AND is_linked) AS finds,
       count(*) FILTER (WHERE latitude IS NULL OR longitude IS NULL) AS no_location
FROM long GROUP BY dimension, value
ORDER BY dimension, searches DESC, value
"""


def _stop_search(s: IndicatorSession) -> pd.DataFrame:
    table = s.scoped_stop_search()
    frame = s.df(STOP_SEARCH_BREAKDOWN_SQL.format(table=table), s.period_params())
    totals = frame.groupby("dimension")["searches"].transform("sum")
    frame["share"] = frame["searches"] / totals
    for column, rate in (("arrests", "arrest_rate"), ("any_action", "any_action_rate"),
                         ("linked_to_object", "linked_to_object_rate"), ("finds", "find_rate"),
                         ("no_location", "no_location_share")):
        frame[rate] = frame[column] / frame["searches"]
    return frame


def stop_search(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Stop and search over the period: totals and breakdowns, each with its outcome rates.

    One row per (dimension, value); dimension is 'all' (one row, value 'all searches'), 'legislation',
    'object_of_search', 'age_range', 'gender', 'officer_defined_ethnicity' or 'type'. Columns: dimension,
    value, searches, arrests (outcome 'Arrest'), any_action (any outcome other than no further action),
    linked_to_object (outcome linked to the object of search, whatever the outcome), finds (a positive outcome,
    i.e. anything but no further action, AND linked to the object: the find rate's numerator), no_location (no published coordinates), share
    (of the dimension's searches), arrest_rate, any_action_rate, linked_to_object_rate, find_rate, no_location_share.
    Crime types do not apply. For LSOA and local-authority areas see IndicatorSession.scoped_stop_search;
    searches with no location fall outside any area but the whole force.
    """
    with session(warehouse_file, scope) as s:
        return _stop_search(s)
