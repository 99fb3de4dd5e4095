"""Readers for data.police.uk street, outcomes and stop-and-search files as published.

A file is found by its published name, `YYYY-MM-<force>-<kind>.csv`, whether given alone, inside a month
folder, inside a folder of month folders, or inside an archive zip laid out as `YYYY-MM/YYYY-MM-<force>-<kind>.csv`.
The reader checks the header exactly, then lets DuckDB parse and type the rows in one pass (CRLF, a UTF-8
BOM, empty Crime IDs and `On or near ` locations are taken as published).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Iterator

KINDS = ("street", "outcomes", "stop-and-search")

# Published headers, in order; the value is (warehouse column, DuckDB type read from the CSV).
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "street": [
        ("Crime ID", "crime_id", "VARCHAR"),
        ("Month", "month", "VARCHAR"),
        ("Reported by", "reported_by", "VARCHAR"),
        ("Falls within", "falls_within", "VARCHAR"),
        ("Longitude", "longitude", "DOUBLE"),
        ("Latitude", "latitude", "DOUBLE"),
        ("Location", "location", "VARCHAR"),
        ("LSOA code", "lsoa_code", "VARCHAR"),
        ("LSOA name", "lsoa_name", "VARCHAR"),
        ("Crime type", "crime_type", "VARCHAR"),
        ("Last outcome category", "last_outcome_category", "VARCHAR"),
        ("Context", "context", "VARCHAR"),
    ],
    "outcomes": [
        ("Crime ID", "crime_id", "VARCHAR"),
        ("Month", "month", "VARCHAR"),
        ("Reported by", "reported_by", "VARCHAR"),
        ("Falls within", "falls_within", "VARCHAR"),
        ("Longitude", "longitude", "DOUBLE"),
        ("Latitude", "latitude", "DOUBLE"),
        ("Location", "location", "VARCHAR"),
        ("LSOA code", "lsoa_code", "VARCHAR"),
        ("LSOA name", "lsoa_name", "VARCHAR"),
        ("Outcome type", "outcome_type", "VARCHAR"),
    ],
    "stop-and-search": [
        ("Type", "type", "VARCHAR"),
        ("Date", "date", "TIMESTAMPTZ"),
        ("Part of a policing operation", "part_of_a_policing_operation", "BOOLEAN"),
        ("Policing operation", "policing_operation", "VARCHAR"),
        ("Latitude", "latitude", "DOUBLE"),
        ("Longitude", "longitude", "DOUBLE"),
        ("Gender", "gender", "VARCHAR"),
        ("Age range", "age_range", "VARCHAR"),
        ("Self-defined ethnicity", "self_defined_ethnicity", "VARCHAR"),
        ("Officer-defined ethnicity", "officer_defined_ethnicity", "VARCHAR"),
        ("Legislation", "legislation", "VARCHAR"),
        ("Object of search", "object_of_search", "VARCHAR"),
        ("Outcome", "outcome", "VARCHAR"),
        ("Outcome linked to object of search", "outcome_linked_to_object_of_search", "BOOLEAN"),
        ("Removal of more than just outer clothing", "removal_of_more_than_just_outer_clothing", "BOOLEAN"),
    ],
}

# Warehouse table per kind.
TABLES = {"street": "street_crime", "outcomes": "outcome", "stop-and-search": "stop_search"}

_FILE_NAME = re.compile(r"^(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)\.csv$")


class SourceError(Exception):
    """A file that cannot be read as published; the message names the file and the problem."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class PoliceFile:
    """One published CSV: on disk (`member` is None) or a member of an archive zip."""

    kind: str
    force: str
    month: date
    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        """How people and the ingest log refer to it: the path, or `archive.zip!member`."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def table(self) -> str:
        return TABLES[self.kind]


def parse_file_name(name: str) -> tuple[str, str, date] | None:
    """(kind, force slug, month) from a published file name, or None when the name is not one."""
    match = _FILE_NAME.match(PurePosixPath(name).name)
    if not match:
        return None
    year, month = match.group("month").split("-")
    return match.group("kind"), match.group("force"), date(int(year), int(month), 1)


def _unsafe_member(member: str) -> bool:
    posix = PurePosixPath(member.replace("\\", "/"))
    return member.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member) is not None or ".." in posix.parts


def discover(paths: list[str | Path]) -> tuple[list[PoliceFile], list[SourceError]]:
    """Every published file under the given paths (files, folders, zips), plus the problems found on the way.

    Problems do not stop discovery: a zip with one unsafe member still yields its other members.
    """
    found: list[PoliceFile] = []
    problems: list[SourceError] = []

    def add_csv(path: Path) -> None:
        parsed = parse_file_name(path.name)
        if parsed is None:
            problems.append(SourceError(str(path), "not a data.police.uk file name (expected YYYY-MM-<force>-<street|outcomes|stop-and-search>.csv)"))
            return
        found.append(PoliceFile(*parsed, path=path))

    def add_zip(path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, OSError) as error:
            problems.append(SourceError(str(path), f"not a readable zip archive ({error})"))
            return
        for info in members:
            if info.is_dir():
                continue
            if _unsafe_member(info.filename):
                problems.append(SourceError(f"{path}!{info.filename}", "zip entry has an absolute path or '..'; refused"))
                continue
            parsed = parse_file_name(info.filename)
            if parsed is not None:
                found.append(PoliceFile(*parsed, path=path, member=info.filename))

    for given in paths:
        path = Path(given)
        if not path.exists():
            problems.append(SourceError(str(path), "no such file or folder"))
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() == ".zip":
                    add_zip(child)
                elif child.is_file() and parse_file_name(child.name):
                    add_csv(child)
        elif path.suffix.lower() == ".zip":
            add_zip(path)
        else:
            add_csv(path)
    return sorted(found, key=lambda f: (f.kind, f.force, f.month, f.name)), problems


@contextmanager
def local_copy(source: PoliceFile) -> Iterator[Path]:
    """A path DuckDB can read: the file itself, or a zip member extracted to a temporary file."""
    if source.member is None:
        yield source.path
        return
    with tempfile.TemporaryDirectory(prefix="tasking-zip-") as tmp:
        target = Path(tmp) / PurePosixPath(source.member).name
        try:
            with zipfile.ZipFile(source.path) as archive, archive.open(source.member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise SourceError(source.name, f"cannot extract from the archive ({error})") from error
        yield target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_header(path: Path, where: str) -> list[str]:
    """The header row, decoded as UTF-8 (BOM allowed); raises SourceError for an empty or undecodable file."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if not head.strip():
        raise SourceError(where, "file is empty")
    first_line = head.split(b"\n", 1)[0]
    try:
        text = codecs.decode(first_line, "utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(where, f"header is not UTF-8 ({error.reason} at byte {error.start})") from error
    return next(csv.reader(io.StringIO(text.rstrip("\r"))), [])


def check_header(path: Path, source: PoliceFile) -> None:
    expected = [published for published, _, _ in COLUMNS[source.kind]]
    header = read_header(path, source.name)
    if header != expected:
        missing = [c for c in expected if c not in header]
        extra = [c for c in header if c not in expected]
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if extra:
            detail.append(f"unexpected {extra}")
        if not detail:
            detail.append("columns out of order")
        raise SourceError(source.name, f"wrong header for a {source.kind} file: {'; '.join(detail)}")


def read_csv_sql(kind: str) -> str:
    """A SELECT over `read_csv($path)` giving the warehouse's columns for `kind`.

    Types are enforced by the CSV reader itself, so a stray value fails the file with its line number
    instead of silently becoming NULL; `strict_mode` makes a short (truncated) row an error.
    """
    spec = COLUMNS[kind]
    columns = "{" + ", ".join(f"'{published}': '{ctype}'" for published, _, ctype in spec) + "}"
    selects = []
    for published, column, _ in spec:
        if column == "month":
            selects.append(f"CAST(strptime(\"{published}\", '%Y-%m') AS DATE) AS month")
        else:
            selects.append(f'"{published}" AS {column}')
    return (
        f"SELECT {', '.join(selects)} FROM read_csv($path, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = false, columns = {columns})"
    )
