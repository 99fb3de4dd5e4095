"""Readers for the reference files: English Indices of Deprivation 2019 (Files 1, 2 and 6) and the
LSOA 2011 -> 2021 lookup with Census 2021 persons.

Each file is recognised by its header, not its name. The IoD files are published with a UTF-8 BOM, CRLF,
no final newline and numbers such as `"29,199"`; every column is read as text and numbers are parsed after
removing the thousands separators, so a stray value fails the file rather than becoming NULL.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from sources.police_uk import SourceError


@dataclass(frozen=True)
class ReferenceKind:
    kind: str
    table: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str, str], ...]  # (published header, warehouse column, type)


_LSOA_ID = (
    ("LSOA code (2011)", "lsoa11_code", "VARCHAR"),
    ("LSOA name (2011)", "lsoa11_name", "VARCHAR"),
    ("Local Authority District code (2019)", "lad19_code", "VARCHAR"),
    ("Local Authority District name (2019)", "lad19_name", "VARCHAR"),
)


def _domain(title: str, column: str) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
    return (
        (f"{title} Rank (where 1 is most deprived)", f"{column}_rank", "INTEGER"),
        (f"{title} Decile (where 1 is most deprived 10% of LSOAs)", f"{column}_decile", "INTEGER"),
    )


REFERENCE_KINDS = (
    ReferenceKind("iod-imd", "lsoa", ("lsoa11_code",), _LSOA_ID + (
        ("Index of Multiple Deprivation (IMD) Rank", "imd_rank", "INTEGER"),
        ("Index of Multiple Deprivation (IMD) Decile", "imd_decile", "INTEGER"),
    )),
    ReferenceKind("iod-domains", "lsoa", ("lsoa11_code",), _LSOA_ID
        + _domain("Index of Multiple Deprivation (IMD)", "imd")
        + _domain("Income", "income")
        + _domain("Employment", "employment")
        + _domain("Education, Skills and Training", "education")
        + _domain("Health Deprivation and Disability", "health")
        + _domain("Crime", "crime")
        + _domain("Barriers to Housing and Services", "housing")
        + _domain("Living Environment", "living_environment")),
    ReferenceKind("iod-population", "lsoa", ("lsoa11_code",), _LSOA_ID + (
        ("Total population: mid 2015 (excluding prisoners)", "population_total", "INTEGER"),
        ("Dependent Children aged 0-15: mid 2015 (excluding prisoners)", "population_0_15", "INTEGER"),
        ("Population aged 16-59: mid 2015 (excluding prisoners)", "population_16_59", "INTEGER"),
        ("Older population aged 60 and over: mid 2015 (excluding prisoners)", "population_60_plus", "INTEGER"),
        ("Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)",
         "population_working_age", "INTEGER"),
    )),
    ReferenceKind("lsoa-lookup", "lsoa_lookup", ("lsoa11_code", "lsoa21_code"), (
        ("LSOA11CD", "lsoa11_code", "VARCHAR"),
        ("LSOA21CD", "lsoa21_code", "VARCHAR"),
        ("LinkCode", "link_code", "VARCHAR"),
        ("TotPersons", "persons_2021", "INTEGER"),
        ("LSOA11Denom", "lsoa11_denominator", "INTEGER"),
        ("LSOA21Denom", "lsoa21_denominator", "INTEGER"),
        ("Prop11of21", "prop_11_of_21", "DOUBLE"),
        ("Prop21of11", "prop_21_of_11", "DOUBLE"),
        ("Category", "category", "VARCHAR"),
    )),
)


def read_reference_header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except (OSError, EOFError) as error:
        raise SourceError(str(path), f"cannot read ({error})") from error
    if not head.strip():
        raise SourceError(str(path), "file is empty")
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(str(path), f"header is not UTF-8 ({error.reason} at byte {error.start})") from error
    return next(csv.reader(io.StringIO(text)), [])


def identify(path: Path) -> ReferenceKind:
    """Which reference file this is, from its exact header; a clear error when it is none of them."""
    header = read_reference_header(path)
    for kind in REFERENCE_KINDS:
        if header == [published for published, _, _ in kind.columns]:
            return kind
    raise SourceError(
        str(path),
        "header matches none of IoD 2019 File 1, File 2, File 6 or the LSOA 2011->2021 lookup "
        f"(first columns: {header[:5]})",
    )


def read_sql(kind: ReferenceKind) -> str:
    """SELECT over `read_csv($path)` returning the warehouse columns, numbers cleaned of thousands separators."""
    columns = "{" + ", ".join(f"'{published}': 'VARCHAR'" for published, _, _ in kind.columns) + "}"
    selects = []
    for published, column, ctype in kind.columns:
        if ctype == "VARCHAR":
            selects.append(f'"{published}" AS {column}')
        else:
            selects.append(f'CAST(replace("{published}", \',\', \'\') AS {ctype}) AS {column}')
    return (
        f"SELECT {', '.join(selects)} FROM read_csv($path, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, columns = {columns})"
    )
