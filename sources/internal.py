"""A force's own incident/crime extracts: the canonical schema and the YAML column mapping that reads one.

Records systems export under their own column names, date formats and offence codes. A mapping file (YAML,
see docs/internal-data.md) names, for each canonical field, the export column that holds it, the date-time
format, the values meaning true and false, the force's offence names mapped onto the 14 published
data.police.uk categories, and the force area. `read_extract` applies it and returns canonical rows, or raises
one SourceError naming the file and the problem: a mapped column missing from the file, a date-time that does
not match the format, coordinates outside the force area. Nothing is stored here; tasks/ingest_internal.py
stores what this returns.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sources.files import ReadyFile, SourceError, prepare, short_error

# The 14 categories data.police.uk publishes; every internal record maps onto one of them.
PUBLISHED_CATEGORIES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
    "Vehicle crime", "Violence and sexual offences",
)


@dataclass(frozen=True)
class CanonicalField:
    name: str
    sql_type: str
    required: bool
    meaning: str


# The canonical schema, in table order. `crime_type` is derived from `offence` through the mapping, and of the
# two coordinate pairs one is mapped and the other derived, so neither is read from the export directly.
CANONICAL_FIELDS = (
    CanonicalField("reference", "VARCHAR", True, "the force's unique crime or incident reference"),
    CanonicalField("recorded_at", "TIMESTAMP", True, "when the record was created (local time)"),
    CanonicalField("occurred_from", "TIMESTAMP", True, "earliest time the offence can have happened (local time)"),
    CanonicalField("occurred_to", "TIMESTAMP", False, "latest time it can have happened; empty when exact"),
    CanonicalField("offence", "VARCHAR", True, "the force's own offence name or code"),
    CanonicalField("crime_type", "VARCHAR", True, "one of the 14 data.police.uk categories, from `offence_categories`"),
    CanonicalField("location_text", "VARCHAR", False, "the address or place as recorded"),
    CanonicalField("easting", "DOUBLE", False, "British National Grid (EPSG:27700) metres"),
    CanonicalField("northing", "DOUBLE", False, "British National Grid (EPSG:27700) metres"),
    CanonicalField("latitude", "DOUBLE", False, "WGS84 degrees"),
    CanonicalField("longitude", "DOUBLE", False, "WGS84 degrees"),
    CanonicalField("lsoa_code", "VARCHAR", False, "2011 or 2021 LSOA code"),
    CanonicalField("outcome", "VARCHAR", False, "latest outcome as recorded"),
    CanonicalField("domestic", "BOOLEAN", False, "domestic abuse flag"),
    CanonicalField("repeat_victim", "BOOLEAN", False, "repeat victim flag"),
)
CANONICAL_COLUMNS = tuple(f.name for f in CANONICAL_FIELDS)
TIMESTAMP_FIELDS = ("recorded_at", "occurred_from", "occurred_to")
BOOLEAN_FIELDS = ("domestic", "repeat_victim")
# Fields a mapping may name an export column for (crime_type comes from offence_categories instead).
MAPPABLE_FIELDS = tuple(name for name in CANONICAL_COLUMNS if name != "crime_type")
REQUIRED_MAPPED = ("reference", "recorded_at", "occurred_from", "offence")


class ForceArea(BaseModel):
    """A British National Grid box every located record must fall inside."""

    model_config = ConfigDict(extra="forbid")
    min_easting: float
    max_easting: float
    min_northing: float
    max_northing: float

    @model_validator(mode="after")
    def _ordered(self) -> "ForceArea":
        if self.min_easting >= self.max_easting or self.min_northing >= self.max_northing:
            raise ValueError("force_area minimums must be below maximums")
        return self

    def contains(self, easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
        return (easting >= self.min_easting) & (easting <= self.max_easting) & (northing >= self.min_northing) & (northing <= self.max_northing)


class ExtractMapping(BaseModel):
    """How one records system's export maps onto the canonical schema."""

    model_config = ConfigDict(extra="forbid")
    force: str = Field(pattern=r"^[a-z0-9-]+$")
    system: str = ""
    synthetic: bool = False
    delimiter: str = ","
    encoding: Literal["utf-8", "utf-16", "latin-1"] = "utf-8"
    datetime_format: str
    columns: dict[str, str]
    true_values: list[str] = ["Y", "YES", "TRUE", "1"]
    false_values: list[str] = ["N", "NO", "FALSE", "0", ""]
    offence_categories: dict[str, str]
    force_area: ForceArea

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(f"unknown canonical fields {unknown}; known: {list(MAPPABLE_FIELDS)}")
        missing = [name for name in REQUIRED_MAPPED if name not in columns]
        if missing:
            raise ValueError(f"required canonical fields not mapped: {missing}")
        has_grid = "easting" in columns and "northing" in columns
        has_degrees = "latitude" in columns and "longitude" in columns
        if not (has_grid or has_degrees):
            raise ValueError("map either easting and northing, or latitude and longitude")
        if len({"easting", "northing"} & set(columns)) == 1 or len({"latitude", "longitude"} & set(columns)) == 1:
            raise ValueError("coordinates come in pairs: map both easting and northing, or both latitude and longitude")
        return columns

    @field_validator("offence_categories")
    @classmethod
    def _published(cls, categories: dict[str, str]) -> dict[str, str]:
        wrong = sorted({c for c in categories.values() if c not in PUBLISHED_CATEGORIES})
        if wrong:
            raise ValueError(f"offence_categories maps onto {wrong}, which are not data.police.uk categories")
        return categories

    @property
    def coordinates(self) -> str:
        """Which pair the export carries: 'grid' (easting/northing) or 'degrees' (latitude/longitude)."""
        return "grid" if "easting" in self.columns else "degrees"

    @property
    def sha256(self) -> str:
        """Identity of the mapping's content (not its comments or layout)."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_mapping(path: str | Path) -> ExtractMapping:
    """Read and check a mapping file; raises SourceError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SourceError(str(path), f"cannot read the mapping ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise SourceError(str(path), f"not valid YAML ({error})") from error
    if not isinstance(data, dict):
        raise SourceError(str(path), "a mapping file must be a YAML mapping of settings")
    try:
        return ExtractMapping.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'mapping'}: {e['msg']}" for e in error.errors())
        raise SourceError(str(path), f"invalid mapping: {problems}") from error


def _to_grid():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _to_degrees():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


@dataclass
class Extract:
    """An export read through its mapping: canonical rows (plus `line`, the file line each came from)."""

    path: Path
    sha256: str
    mapping: ExtractMapping
    rows: pd.DataFrame

    @property
    def name(self) -> str:
        return str(self.path)

    # The ingest log and the quality gate address a batch by kind, force and month, like a published file.
    kind = "internal"
    month = None

    @property
    def force(self) -> str:
        return self.mapping.force


def _select_sql(mapping: ExtractMapping) -> str:
    """Canonical columns from the export's text columns; every value arrives as text and is parsed here."""
    def col(field: str) -> str:
        return '"' + mapping.columns[field].replace('"', '""') + '"'

    selects = ["row_number() OVER () + 1 AS line"]
    for field in MAPPABLE_FIELDS:
        if field not in mapping.columns:
            selects.append(f"NULL AS {field}")
        elif field in TIMESTAMP_FIELDS:
            selects.append(f"nullif(trim({col(field)}), '') AS {field}_text")
            selects.append(f"try_strptime(nullif(trim({col(field)}), ''), $datetime_format) AS {field}")
        elif field in BOOLEAN_FIELDS:
            value = f"upper(coalesce(trim({col(field)}), ''))"
            selects.append(f"{value} AS {field}_text")
            selects.append(f"CASE WHEN list_contains($true_values, {value}) THEN true"
                           f" WHEN list_contains($false_values, {value}) THEN false END AS {field}")
        elif field in ("easting", "northing", "latitude", "longitude"):
            selects.append(f"nullif(trim({col(field)}), '') AS {field}_text")
            selects.append(f"try_cast(nullif(trim({col(field)}), '') AS DOUBLE) AS {field}")
        else:
            selects.append(f"nullif(trim({col(field)}), '') AS {field}")
    return f"SELECT {', '.join(selects)} FROM read_csv($path, header = true, all_varchar = true, auto_detect = false," \
           f" delim = $delimiter, encoding = $encoding, quote = '\"', escape = '\"', strict_mode = true, null_padding = false, columns = $columns)"


def _read_header(ready: ReadyFile, where: str, mapping: ExtractMapping) -> list[str]:
    """The export's header from the file made ready as UTF-8 (any line ending)."""
    with open(ready.path, "rb") as handle:
        head = handle.read(64 * 1024)
    try:
        text = re.split(r"\r|\n", head.decode("utf-8-sig", errors="strict"), maxsplit=1)[0]
    except UnicodeDecodeError as error:
        raise SourceError(where, f"header is not {mapping.encoding} ({error.reason} at byte {error.start})") from error
    return next(csv.reader(io.StringIO(text), delimiter=mapping.delimiter), [])


def _shown(value) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None or pd.isna(value):
        return "empty"
    return f"{float(value):.10g}"


def _first_bad(rows: pd.DataFrame, bad: pd.Series, show: list[str]) -> str:
    first = rows.loc[bad].iloc[0]
    shown = ", ".join(f"{c}={_shown(first[c])}" for c in show)
    return f"{int(bad.sum())} rows; the first at line {int(first['line'])} ({shown})"


def read_extract(path: str | Path, mapping: ExtractMapping) -> Extract:
    """Read one export through its mapping into canonical rows; raises SourceError for the whole file.

    The file is opened through sources/files.py first (symbolic links, caps, encoding, line endings and control
    characters as for published files, docs/ingest-limits.md), in the mapping's declared encoding."""
    path = Path(path)
    with prepare(path, str(path), encoding=mapping.encoding, delimiter=mapping.delimiter) as ready:
        return _read_ready(path, ready, mapping)


def _read_ready(path: Path, ready: ReadyFile, mapping: ExtractMapping) -> Extract:
    where = str(path)
    header = _read_header(ready, where, mapping)
    missing = [f"{field} -> {column!r}" for field, column in mapping.columns.items() if column not in header]
    if missing:
        raise SourceError(where, f"the mapping names columns the file does not have: {', '.join(missing)}; the file's columns are {header}")
    if len(set(header)) != len(header):
        raise SourceError(where, f"the header repeats a column name: {header}")
    params = {
        "path": str(ready.path), "delimiter": mapping.delimiter, "encoding": "utf-8", "datetime_format": mapping.datetime_format,
        "true_values": [v.upper() for v in mapping.true_values], "false_values": [v.upper() for v in mapping.false_values],
        "columns": {name: "VARCHAR" for name in header},
    }
    sql = _select_sql(mapping)
    con = duckdb.connect()
    try:
        rows = con.execute(sql, params).df()
    except duckdb.Error as error:
        raise SourceError(where, f"cannot be read as a {mapping.delimiter!r}-delimited export: {short_error(error)}") from error
    finally:
        con.close()
    if rows.empty:
        raise SourceError(where, "has a header but no records")

    for field in TIMESTAMP_FIELDS:
        if field in mapping.columns:
            bad = rows[f"{field}_text"].notna() & rows[field].isna()
            if bad.any():
                raise SourceError(where, f"{field} (column {mapping.columns[field]!r}) does not match the date-time format "
                                         f"{mapping.datetime_format!r} in {_first_bad(rows, bad, [f'{field}_text'])}")
    for field in BOOLEAN_FIELDS:
        if field in mapping.columns:
            bad = rows[field].isna()
            if bad.any():
                raise SourceError(where, f"{field} (column {mapping.columns[field]!r}) is neither a true value "
                                         f"{mapping.true_values} nor a false value {mapping.false_values} in "
                                         f"{_first_bad(rows, bad, [f'{field}_text'])}")
    for field in ("easting", "northing", "latitude", "longitude"):
        if field in mapping.columns:
            bad = rows[f"{field}_text"].notna() & rows[field].isna()
            if bad.any():
                raise SourceError(where, f"{field} (column {mapping.columns[field]!r}) is not a number in "
                                         f"{_first_bad(rows, bad, [f'{field}_text'])}")

    pair = ("easting", "northing") if mapping.coordinates == "grid" else ("latitude", "longitude")
    half = rows[pair[0]].isna() != rows[pair[1]].isna()
    if half.any():
        raise SourceError(where, f"a record has one coordinate without the other ({pair[0]} and {pair[1]} must both be "
                                 f"given or both be empty) in {_first_bad(rows, half, ['reference', *pair])}")
    _fill_coordinates(rows, mapping)
    located = rows["easting"].notna() & rows["northing"].notna()
    inside = mapping.force_area.contains(rows["easting"].to_numpy(float, na_value=np.nan), rows["northing"].to_numpy(float, na_value=np.nan))
    outside = located & ~pd.Series(inside, index=rows.index)
    if outside.any():
        area = mapping.force_area
        raise SourceError(where, f"coordinates outside the force area (easting {area.min_easting:.0f}..{area.max_easting:.0f}, "
                                 f"northing {area.min_northing:.0f}..{area.max_northing:.0f}) in "
                                 f"{_first_bad(rows, outside, ['reference', 'easting', 'northing'])}")

    rows["crime_type"] = rows["offence"].map(mapping.offence_categories)
    canonical = rows[["line", *CANONICAL_COLUMNS]].copy()
    return Extract(path=path, sha256=ready.sha256, mapping=mapping, rows=canonical)


def _fill_coordinates(rows: pd.DataFrame, mapping: ExtractMapping) -> None:
    """Derive the coordinate pair the export does not carry, so every located row has both."""
    if mapping.coordinates == "grid":
        east = rows["easting"].to_numpy(float, na_value=np.nan)
        north = rows["northing"].to_numpy(float, na_value=np.nan)
        lon, lat = _to_degrees().transform(east, north)
        rows["longitude"], rows["latitude"] = lon, lat
    else:
        lon = rows["longitude"].to_numpy(float, na_value=np.nan)
        lat = rows["latitude"].to_numpy(float, na_value=np.nan)
        east, north = _to_grid().transform(lon, lat)
        rows["easting"], rows["northing"] = east, north
    for column in ("easting", "northing", "latitude", "longitude"):
        values = rows[column].to_numpy(float, na_value=np.nan)
        rows[column] = np.where(np.isfinite(values), values, np.nan)
