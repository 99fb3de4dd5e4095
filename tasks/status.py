"""What the warehouse holds: loaded months per kind and force, the gaps inside each range, reference tables."""
from __future__ import annotations

import pandas as pd

from tasking import warehouse

LOADED_MONTHS_SQL = """
SELECT 'street' AS kind, force, month, count(*) AS rows FROM street_crime GROUP BY ALL
UNION ALL SELECT 'outcomes', force, month, count(*) FROM outcome GROUP BY ALL
UNION ALL SELECT 'stop-and-search', force, month, count(*) FROM stop_search GROUP BY ALL
ORDER BY kind, force, month
"""

# Months absent between the first and last loaded month of each kind and force.
MONTH_GAPS_SQL = """
WITH loaded AS ({loaded}),
spans AS (SELECT kind, force, min(month) AS first, max(month) AS last FROM loaded GROUP BY ALL),
expected AS (
    SELECT kind, force, CAST(unnest(generate_series(first, last, INTERVAL 1 MONTH)) AS DATE) AS month FROM spans
)
SELECT e.kind, e.force, e.month FROM expected e ANTI JOIN loaded l USING (kind, force, month) ORDER BY ALL
"""


def loaded_months(warehouse_file=None) -> pd.DataFrame:
    return warehouse.query_df(warehouse_file, LOADED_MONTHS_SQL)


def month_gaps(months: pd.DataFrame | None = None, warehouse_file=None) -> dict[tuple[str, str], list[str]]:
    """{(kind, force): ["YYYY-MM", ...]} for months missing inside each loaded range."""
    gaps = warehouse.query_df(warehouse_file, MONTH_GAPS_SQL.format(loaded=LOADED_MONTHS_SQL.replace("ORDER BY kind, force, month", "")))
    found: dict[tuple[str, str], list[str]] = {}
    for row in gaps.itertuples(index=False):
        found.setdefault((row.kind, row.force), []).append(pd.Timestamp(row.month).strftime("%Y-%m"))
    return found


def reference_counts(warehouse_file=None) -> dict[str, int]:
    counts = warehouse.query_df(
        warehouse_file,
        "SELECT 'lsoa (IoD 2019)' AS name, count(*) AS n FROM lsoa UNION ALL SELECT 'lsoa_lookup', count(*) FROM lsoa_lookup"
        " UNION ALL SELECT 'boundary ' || kind, count(*) FROM boundary GROUP BY kind",
    )
    return dict(zip(counts["name"], counts["n"]))
