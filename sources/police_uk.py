"""Readers for data.police.uk street, outcomes and stop-and-search files as published.

A file is found by its published name, `YYYY-MM-<force>-<kind>.csv`, whether given alone, inside a month
folder, inside a folder of month folders, or inside an archive zip laid out as `YYYY-MM/YYYY-MM-<force>-<kind>.csv`.
Symbolic links are refused, and two inputs for the same (kind, force, month) in one run are both refused as a
conflict. Each file is opened through sources/files.py (encoding, line endings, control characters, size,
ratio and row caps; docs/ingest-limits.md); the reader checks the header exactly, then lets DuckDB parse and
type the rows in one pass (CRLF, a UTF-8 BOM, empty Crime IDs and `On or near ` locations are taken as published).
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import zipfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Iterator

from sources.files import (Limits, ReadyFile, SourceError, clean_stale_scratch, extract_member, is_symlink_member,
                           open_regular, prepare)

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

    Problems do not stop discovery: a zip with one unsafe member still yields its other members. Symbolic links
    are refused (a folder named on the command line may itself be one); the same file reached twice counts
    once; two different inputs for the same (kind, force, month) are both refused, each error naming the other.
    Discovery starts a run, so it also removes the scratch folders that killed runs left (sources/files.py).
    """
    clean_stale_scratch()
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
            with open_regular(path, str(path)) as raw, zipfile.ZipFile(raw) as archive:
                members = archive.infolist()
        except SourceError as error:
            problems.append(error)
            return
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
            if parsed is not None and is_symlink_member(info):
                problems.append(SourceError(f"{path}!{info.filename}", "is a symbolic link inside the archive; refused"))
            elif parsed is not None:
                found.append(PoliceFile(*parsed, path=path, member=info.filename))

    def add_file(path: Path, named: bool) -> None:
        """A file met in a folder (`named` False: only published names and zips count) or named by the user."""
        is_zip = path.suffix.lower() == ".zip"
        if not (named or is_zip or parse_file_name(path.name)):
            return
        if path.is_symlink():
            problems.append(SourceError(str(path), "is a symbolic link; refused (give the file itself)"))
        elif not path.is_file():
            problems.append(SourceError(str(path), "is not a regular file; refused"))
        elif is_zip:
            add_zip(path)
        else:
            add_csv(path)

    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            problems.append(SourceError(str(path), "no such file or folder"))
        elif path.is_dir():
            for folder, subfolders, files in os.walk(path, followlinks=False):
                for name in sorted(subfolders):
                    if (Path(folder) / name).is_symlink():
                        problems.append(SourceError(str(Path(folder) / name), "is a symbolic link to a folder; refused"))
                subfolders.sort()
                for name in sorted(files):
                    add_file(Path(folder) / name, named=False)
        else:
            add_file(path, named=True)
    unique, conflicts = _refuse_conflicts(found)
    return sorted(unique, key=lambda f: (f.kind, f.force, f.month, f.name)), problems + conflicts


def _identity(source: PoliceFile) -> tuple[str, str | None]:
    return str(source.path.resolve()), source.member


def _refuse_conflicts(found: list[PoliceFile]) -> tuple[list[PoliceFile], list[SourceError]]:
    """Drop repeats of the same input; refuse every input of a (kind, force, month) given by two or more."""
    by_key: dict[tuple[str, str, date], dict[tuple[str, str | None], PoliceFile]] = defaultdict(dict)
    for source in found:
        by_key[(source.kind, source.force, source.month)].setdefault(_identity(source), source)
    unique: list[PoliceFile] = []
    conflicts: list[SourceError] = []
    for (kind, force, month), inputs in by_key.items():
        if len(inputs) == 1:
            unique += inputs.values()
            continue
        names = sorted(source.name for source in inputs.values())
        for name in names:
            others = ", ".join(other for other in names if other != name)
            conflicts.append(SourceError(name, f"conflict: {kind} {force} {month:%Y-%m} is also given by {others}; "
                                               "neither was loaded (give one of them)"))
    return unique, conflicts


@contextmanager
def open_source(source: PoliceFile, limits: Limits | None = None) -> Iterator[ReadyFile]:
    """The file ready for DuckDB (sources/files.py): a zip member extracted under the caps, the text checked and
    normalised where needed; refuses a file whose header is another kind's (a street file named as outcomes)."""
    if source.member is None:
        with prepare(source.path, source.name, limits) as ready:
            refuse_other_kind(ready.path, source)
            yield ready
        return
    with extract_member(source.path, source.member, source.name, limits) as extracted:
        with prepare(extracted, source.name, limits) as ready:
            refuse_other_kind(ready.path, source)
            yield ready


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
    first_line = re.split(rb"\r|\n", head, maxsplit=1)[0]  # CR-only line endings are valid CSV too
    try:
        text = codecs.decode(first_line, "utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(where, f"header is not UTF-8 ({error.reason} at byte {error.start})") from error
    return next(csv.reader(io.StringIO(text)), [])


# Columns only one kind has: a header with another kind's and none of its own is a misnamed file.
SIGNATURE_COLUMNS = {"street": ("Crime type", "Last outcome category"), "outcomes": ("Outcome type",),
                     "stop-and-search": ("Object of search", "Legislation")}


def refuse_other_kind(path: Path, source: PoliceFile) -> None:
    """One clear error for a file that is another kind's (a street file named as outcomes), before any gate sees
    it: its header is exactly another kind's published header, or has that kind's own columns and none of the
    named kind's."""
    header = read_header(path, source.name)
    if any(column in header for column in SIGNATURE_COLUMNS[source.kind]):
        return
    for kind, spec in COLUMNS.items():
        if kind == source.kind:
            continue
        if header == [published for published, _, _ in spec]:
            raise SourceError(source.name, f"the header is the published {kind} header but the name says "
                                           f"{source.kind}; rename it")
        if all(column in header for column in SIGNATURE_COLUMNS[kind]):
            raise SourceError(source.name, f"the header is a {kind} header (it has {', '.join(SIGNATURE_COLUMNS[kind])}; "
                                           f"no {', '.join(SIGNATURE_COLUMNS[source.kind])}) but the name says "
                                           f"{source.kind}; rename it")


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
