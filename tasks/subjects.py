"""The subject store: nominals (people), their warning markers and links to internal records, kept apart.

It is its own DuckDB file (`var/subjects/subjects.duckdb` unless `--subjects` or `$TASKING_SUBJECTS` says
otherwise), never the warehouse, so nothing that reads or packages the warehouse (products, data packs,
problem profiles) can reach it. Its folder is created 0700 and the file 0600 for the user running tasking; a
store whose file or folder is readable by others is refused until its permissions are tightened.

Every read of a nominal goes through `read_subject`, which first writes an `access_log` row saying who asked,
why, when, and as which operating-system user, and only then returns the record; a read with no name or no
stated purpose is refused (and logged as refused). Subject profiles are drafted from one such read and kept,
versioned and hashed, in the store's own `profiles/` folder, outside the product store.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

DEFAULT_SUBJECTS = Path("var") / "subjects" / "subjects.duckdb"
MIN_PURPOSE_CHARACTERS = 15
ROLES = ("SUSPECT", "OFFENDER", "VICTIM", "WITNESS")

SCHEMA = """
CREATE TABLE IF NOT EXISTS nominal (
    nominal_id VARCHAR PRIMARY KEY,
    surname VARCHAR NOT NULL,
    forenames VARCHAR,
    date_of_birth DATE,
    sex VARCHAR,
    aliases VARCHAR[],
    address_text VARCHAR,
    synthetic BOOLEAN NOT NULL,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS warning_marker (
    nominal_id VARCHAR NOT NULL,
    marker VARCHAR NOT NULL,
    recorded DATE,
    detail VARCHAR
);
CREATE TABLE IF NOT EXISTS nominal_link (
    nominal_id VARCHAR NOT NULL,
    force VARCHAR NOT NULL,
    reference VARCHAR NOT NULL,    -- internal_incident.reference in the warehouse
    role VARCHAR NOT NULL          -- SUSPECT | OFFENDER | VICTIM | WITNESS
);
CREATE SEQUENCE IF NOT EXISTS access_id;
CREATE TABLE IF NOT EXISTS access_log (
    access_id BIGINT PRIMARY KEY DEFAULT nextval('access_id'),
    accessed_at TIMESTAMPTZ NOT NULL,
    nominal_id VARCHAR,
    action VARCHAR NOT NULL,       -- read | profile | load
    requested_by VARCHAR,
    purpose VARCHAR,
    os_user VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL       -- granted | not_found | refused
);
CREATE TABLE IF NOT EXISTS profile_version (
    profile_id VARCHAR PRIMARY KEY,   -- SP-<nominal>-v<version>
    nominal_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    access_id BIGINT NOT NULL,        -- the audited read the profile was drafted from
    requested_by VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL,
    marking VARCHAR NOT NULL,
    folder VARCHAR NOT NULL,
    pdf_sha256 VARCHAR NOT NULL,
    html_sha256 VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (nominal_id, version)
);
"""


class SubjectAccessError(Exception):
    """A read or store operation that is not allowed; the message says which and why."""


def subjects_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--subjects`, else `$TASKING_SUBJECTS`, else `var/subjects/subjects.duckdb` under the working directory."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("TASKING_SUBJECTS")
    return Path(from_env) if from_env else DEFAULT_SUBJECTS


def _too_open(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


@contextmanager
def connect(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating when absent) the subject store with owner-only permissions.

    The umask is held at 077 while the store is open, so DuckDB's write-ahead log is owner-only too.
    """
    target = subjects_path(path)
    previous_umask = os.umask(0o077)
    try:
        if not target.parent.exists():
            target.parent.mkdir(parents=True, mode=0o700)
        if target.exists() and _too_open(target):
            raise SubjectAccessError(
                f"{target}: the subject store is readable by other users (mode {stat.filemode(target.stat().st_mode)}); "
                f"restrict it with `chmod 600 {target}` before use")
        con = duckdb.connect(str(target))
        try:
            os.chmod(target, 0o600)
            con.execute(SCHEMA)
            yield con
        finally:
            con.close()
    finally:
        os.umask(previous_umask)


def profiles_dir(path: str | os.PathLike | None = None) -> Path:
    """Where drafted subject profiles are kept: beside the store, never in the product store."""
    return subjects_path(path).parent / "profiles"


def _audit(con, nominal_id: str | None, action: str, requested_by: str | None, purpose: str | None, outcome: str) -> int:
    return con.execute(
        "INSERT INTO access_log (accessed_at, nominal_id, action, requested_by, purpose, os_user, outcome)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING access_id",
        [datetime.now(timezone.utc), nominal_id, action, requested_by, purpose, getpass.getuser(), outcome],
    ).fetchall()[0][0]


def load_nominals(json_file: str | Path, subjects_file: str | os.PathLike | None = None, *, loaded_by: str) -> int:
    """Load (replace by nominal id) nominals, markers and links from a JSON file; returns how many were loaded."""
    json_file = Path(json_file)
    raw = json_file.read_bytes()
    try:
        document = json.loads(raw)
        people = document["nominals"]
        synthetic = bool(document.get("synthetic", False))
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise SubjectAccessError(f"{json_file}: not a nominals file (expected JSON with a 'nominals' list): {error}") from error
    for person in people:
        for link in person.get("links", []):
            if link.get("role") not in ROLES:
                raise SubjectAccessError(f"{json_file}: nominal {person.get('nominal_id')} has a link with role "
                                         f"{link.get('role')!r}; roles are {ROLES}")
    sha = hashlib.sha256(raw).hexdigest()
    now = datetime.now(timezone.utc)
    with connect(subjects_file) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            ids = [p["nominal_id"] for p in people]
            for table in ("warning_marker", "nominal_link", "nominal"):
                con.execute(f"DELETE FROM {table} WHERE nominal_id IN (SELECT unnest(?))", [ids])
            con.executemany(
                "INSERT INTO nominal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [[p["nominal_id"], p["surname"], p.get("forenames"), p.get("date_of_birth"), p.get("sex"),
                  p.get("aliases", []), p.get("address_text"), synthetic, str(json_file), sha, now] for p in people])
            markers = [[p["nominal_id"], m["marker"], m.get("recorded"), m.get("detail")] for p in people for m in p.get("warning_markers", [])]
            if markers:
                con.executemany("INSERT INTO warning_marker VALUES (?, ?, ?, ?)", markers)
            links = [[p["nominal_id"], link["force"], link["reference"], link["role"]] for p in people for link in p.get("links", [])]
            if links:
                con.executemany("INSERT INTO nominal_link VALUES (?, ?, ?, ?)", links)
            _audit(con, None, "load", loaded_by, f"loaded {len(people)} nominals from {json_file.name}", "granted")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return len(people)


@dataclass
class SubjectRecord:
    nominal: dict
    warning_markers: pd.DataFrame
    links: pd.DataFrame
    access_id: int


def _check_request(requested_by: str, purpose: str) -> str | None:
    if not requested_by or not requested_by.strip():
        return "a read of a subject needs the name of the person requesting it"
    if not purpose or len(purpose.strip()) < MIN_PURPOSE_CHARACTERS:
        return (f"a read of a subject needs its purpose stated (at least {MIN_PURPOSE_CHARACTERS} characters): "
                "why the information is needed and for which operation or intelligence requirement")
    return None


def _read(con, nominal_id: str, requested_by: str, purpose: str, action: str) -> SubjectRecord:
    problem = _check_request(requested_by, purpose)
    if problem:
        _audit(con, nominal_id, action, requested_by or None, purpose or None, "refused")
        raise SubjectAccessError(f"refused: {problem}")
    found = con.execute("SELECT * FROM nominal WHERE nominal_id = ?", [nominal_id]).df()
    access_id = _audit(con, nominal_id, action, requested_by.strip(), purpose.strip(), "granted" if len(found) else "not_found")
    if found.empty:
        raise SubjectAccessError(f"no nominal {nominal_id!r} in the subject store (the attempt is logged as access {access_id})")
    markers = con.execute("SELECT marker, recorded, detail FROM warning_marker WHERE nominal_id = ? ORDER BY recorded, marker",
                          [nominal_id]).df()
    links = con.execute("SELECT force, reference, role FROM nominal_link WHERE nominal_id = ? ORDER BY reference",
                        [nominal_id]).df()
    return SubjectRecord(_plain(found.iloc[0].to_dict()), markers, links, access_id)


def _plain(nominal: dict) -> dict:
    """Python values instead of pandas ones: lists for arrays, None for missing, dates for timestamps."""
    plain = {}
    for key, value in nominal.items():
        if key == "aliases":
            plain[key] = [] if value is None else [str(v) for v in value]
        elif value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
            plain[key] = None
        elif key == "date_of_birth":
            plain[key] = pd.Timestamp(value).date()
        else:
            plain[key] = value
    return plain


def read_subject(subjects_file, nominal_id: str, requested_by: str, purpose: str) -> SubjectRecord:
    """One nominal with markers and links, after writing the audit row for this read."""
    with connect(subjects_file) as con:
        return _read(con, nominal_id, requested_by, purpose, "read")


def access_log(subjects_file=None, nominal_id: str | None = None) -> pd.DataFrame:
    with connect(subjects_file) as con:
        return con.execute("SELECT * FROM access_log WHERE $nominal IS NULL OR nominal_id = $nominal ORDER BY access_id",
                           {"nominal": nominal_id}).df()
