"""Where a TT&CG action goes: the LSOA with the most crimes of a type in the force's recent months."""
from __future__ import annotations

from tasking import warehouse
from tasks.tasking_loop.records import LoopError

BUSIEST_LSOA_SQL = """
SELECT lsoa_code, any_value(lsoa_name) AS lsoa_name, count(*) AS crimes
FROM street_crime
WHERE force = ? AND crime_type = ? AND lsoa_code IS NOT NULL
  AND month > (SELECT max(month) FROM street_crime WHERE force = ?) - INTERVAL (?) MONTH
GROUP BY lsoa_code
ORDER BY crimes DESC, lsoa_code
LIMIT 1
"""


def busiest_lsoa(warehouse_file, force: str, crime_type: str, months: int = 6) -> tuple[str, str]:
    """(LSOA code, LSOA name) with the most `crime_type` crimes in the force's latest `months` months held."""
    with warehouse.reading(warehouse_file) as con:
        row = con.execute(BUSIEST_LSOA_SQL, [force, crime_type, force, months]).fetchone()
    if row is None:
        raise LoopError(f"{force}: no {crime_type} with an LSOA in the latest {months} months held")
    return row[0], row[1] or row[0]
