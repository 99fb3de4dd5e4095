"""The central store, findable: every product version with its kind, force, status, period, title and the ToR
it was built from, filtered. `tasking products` prints it; the ops page can call `list_products` too.

Subject profiles live in the restricted subject store and are not listed here (their access is audited there).
"""
from __future__ import annotations

import pandas as pd

from tasking import warehouse
from tasks.indicators.scope import parse_month

KINDS = ("tactical", "strategic", "problem_profile")
STATUSES = ("DRAFT", "APPROVED", "REJECTED")

CATALOGUE_SQL = """
SELECT v.version_id, p.product_id, p.kind, p.force, v.version, v.status, p.title, v.period_start, v.period_end,
       v.marking, v.author, p.requested_by, v.created_at, v.decided_by, v.decided_at,
       r.tor_id, r.profile_id, r.status AS profile_status, r.close_reason, v.store_path
FROM product_version v
JOIN product p USING (product_id)
LEFT JOIN profile_record_version prv ON prv.version_id = v.version_id
LEFT JOIN profile_record r ON r.profile_id = prv.profile_id
WHERE (CAST($kind AS VARCHAR) IS NULL OR p.kind = $kind)
  AND (CAST($force AS VARCHAR) IS NULL OR p.force = $force)
  AND (CAST($status AS VARCHAR) IS NULL OR v.status = $status)
  AND (CAST($month AS DATE) IS NULL OR $month BETWEEN v.period_start AND v.period_end)
  AND (CAST($tor_id AS VARCHAR) IS NULL OR r.tor_id = $tor_id)
  AND (CAST($text AS VARCHAR) IS NULL OR p.title ILIKE '%' || $text || '%')
ORDER BY v.created_at DESC, v.version_id
"""


class CatalogueError(ValueError):
    """A filter that cannot be applied; the message names it."""


def list_products(warehouse_file, *, kind: str | None = None, force: str | None = None, status: str | None = None,
                  period: str | None = None, tor_id: str | None = None, text: str | None = None) -> pd.DataFrame:
    """Product versions in the central store, newest first. `period` ('YYYY-MM') keeps the versions whose period
    covers that month; `text` matches the title without regard to case."""
    if kind is not None and kind not in KINDS:
        raise CatalogueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    status = status.upper() if status else None
    if status is not None and status not in STATUSES:
        raise CatalogueError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    try:
        month = parse_month(period) if period else None
    except ValueError as error:
        raise CatalogueError(f"period: {error}") from None
    with warehouse.reading(warehouse_file) as con:
        return con.execute(CATALOGUE_SQL, {"kind": kind, "force": force, "status": status, "month": month,
                                           "tor_id": tor_id, "text": text.strip() if text else None}).df()
