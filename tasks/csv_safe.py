"""CSV files a person will open in a spreadsheet, written so that no cell runs as a formula.

A spreadsheet runs a cell that starts with `= + - @` (or a tab or carriage return) as a formula: the OWASP
"CSV injection" rule. Data packs and indicator exports carry published and analyst text (street names,
outcome categories, notes) that could start with one, so such cells are prefixed with `'`. Plain numbers
written as text ("-3", "+12.5%") cannot be formulas and are left alone; Parquet files keep values exactly.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?%?$")


def neutral(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell (and column name) a spreadsheet would run as a formula prefixed with `'`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutral)
    out.columns = [neutral(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    neutralise_formulas(frame).to_csv(path, index=False)
