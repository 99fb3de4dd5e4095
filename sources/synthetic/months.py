"""Months for the SYNTHETIC generator: parsing 'YYYY-MM' and 'YYYY-MM..YYYY-MM' (with the reason for anything
else), month indices and their text, the expected street rows of each crime type in each month (share x
seasonality x trend x days in month), and the last Sunday of a month.
"""
from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta

import numpy as np

from sources.synthetic.model import CRIME_TYPES, TYPE_MODEL


_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(text: str, context: str) -> int:
    """Month index (year * 12 + month - 1) of 'YYYY-MM'; ValueError naming the bad part otherwise."""
    match = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{context}: {text!r} is not a month written YYYY-MM (e.g. 2021-09)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{context}: {text!r} has month {month:02d}; months run 01 to 12")
    if not 2000 <= year <= 2100:
        raise ValueError(f"{context}: {text!r} has year {year}; expected 2000..2100")
    return year * 12 + month - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def check_range(start: str, end: str, context: str) -> tuple[int, int]:
    first, last = _parse_month(start, context), _parse_month(end, context)
    if first > last:
        raise ValueError(f"{context}: the range runs backwards ({month_text(first)} is after {month_text(last)}); "
                         f"write the earlier month first, e.g. {month_text(last)}..{month_text(first)}")
    return first, last


def parse_month_range(text: str) -> tuple[str, str]:
    """'2021-09..2024-08' -> ('2021-09', '2024-08'); a single 'YYYY-MM' means that one month.

    Raises ValueError with the reason for anything else (not a month, month outside 01..12, reversed range).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"month range {text!r}: expected YYYY-MM..YYYY-MM, e.g. 2021-09..2024-08")
    parts = text.strip().split("..")
    if len(parts) > 2:
        raise ValueError(f"month range {text!r}: expected YYYY-MM..YYYY-MM with one '..', e.g. 2021-09..2024-08")
    start, end = (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    first, last = check_range(start, end, f"month range {text!r}")
    return month_text(first), month_text(last)



def expected_counts(rows_per_month: int, month_indices: list[int]) -> np.ndarray:
    """(months, types) expected street rows: share x seasonality x trend x days in month."""
    n = len(month_indices)
    middle = (n - 1) / 2
    out = np.empty((n, len(CRIME_TYPES)))
    for m, index in enumerate(month_indices):
        year, month = index // 12, index % 12 + 1
        days = calendar.monthrange(year, month)[1] / (365.25 / 12)
        for c, crime in enumerate(CRIME_TYPES):
            share, amplitude, peak, trend, _ = TYPE_MODEL[crime]
            season = 1.0 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)
            growth = (1.0 + trend) ** ((m - middle) / 12)
            out[m, c] = rows_per_month * share * season * growth * days
    return out


def last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 6) % 7)
