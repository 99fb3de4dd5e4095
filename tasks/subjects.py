"""The subject store: nominals (people), their warning markers and links to internal records, kept apart.

It is its own DuckDB file (`var/subjects/subjects.duckdb` unless `--subjects` or `$TASKING_SUBJECTS` says
otherwise), never the warehouse, so nothing that reads or packages the warehouse (products, data packs,
problem profiles) can reach it. Its folder is created 0700 and the file 0600 for the user running tasking; a
store whose file or folder is readable by others is refused until its permissions are tightened.

The file is encrypted at rest (Fernet: AES-128-CBC with an HMAC-SHA256, from the `cryptography` package) with a
key from `$TASKING_SUBJECTS_KEY` (make one with `tasking subjects new-key`), so no process without the key (a
DuckDB shell, a backup reader, a copy of the file) can read a nominal: reads happen inside tasking, which
audits them (tasks/subject_store.py: sessions on a decrypted copy in memory, written back encrypted).

Every read of a nominal goes through `read_subject`, which first writes an `access_log` row saying who asked,
why, when, and as which operating-system user, chains it (tasking/chain.py, stream `subjects-access`), writes
the store back encrypted, and only then returns the record; a read with no name or no stated purpose is refused
(and logged as refused). `verify` checks the chain and that every access_log row matches its chained event, so
deleted or edited audit rows are found. Subject profiles are drafted from one such read and kept,
versioned and hashed, in the store's own `profiles/` folder, outside the product store.
"""
from __future__ import annotations

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
from tasking import chain
from tasks.subject_store import (  # noqa: F401  (KEY_ENV, ENCRYPTED_HEADER, new_key: re-exported)
    ENCRYPTED_HEADER, KEY_ENV, SubjectAccessError, encrypted_session, new_key, persist)

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
ALTER TABLE profile_version ADD COLUMN IF NOT EXISTS status VARCHAR DEFAULT 'DRAFT';
ALTER TABLE profile_version ADD COLUMN IF NOT EXISTS decided_by VARCHAR;
ALTER TABLE profile_version ADD COLUMN IF NOT EXISTS decided_at TIMESTAMPTZ;
CREATE TABLE IF NOT EXISTS event_log (
    stream VARCHAR NOT NULL, seq BIGINT NOT NULL, event_at TIMESTAMPTZ NOT NULL, actor VARCHAR NOT NULL,
    os_user VARCHAR NOT NULL, payload_json VARCHAR NOT NULL, prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE TABLE IF NOT EXISTS event_chain_head (stream VARCHAR PRIMARY KEY, seq BIGINT NOT NULL, hash VARCHAR NOT NULL);
"""
ACCESS_STREAM = "subjects-access"


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
    """Open (creating when absent) the encrypted subject store with owner-only permissions (tasks/subject_store.py).

    Yields a DuckDB connection on the decrypted copy, written back encrypted when the session ends.
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
        with encrypted_session(target) as (con, was_plain):
            con.execute(SCHEMA)
            if was_plain:
                _chain_existing_access(con)
            yield con
    finally:
        os.umask(previous_umask)


def profiles_dir(path: str | os.PathLike | None = None) -> Path:
    """Where drafted subject profiles are kept: beside the store, never in the product store."""
    return subjects_path(path).parent / "profiles"


def _access_payload(row: dict) -> dict:
    return {"access_id": int(row["access_id"]), "nominal_id": row["nominal_id"], "action": row["action"],
            "requested_by": row["requested_by"], "purpose": row["purpose"], "outcome": row["outcome"],
            "os_user": row["os_user"]}


def _audit(con, nominal_id: str | None, action: str, requested_by: str | None, purpose: str | None, outcome: str) -> int:
    user = chain.os_user()
    access_id = con.execute(
        "INSERT INTO access_log (accessed_at, nominal_id, action, requested_by, purpose, os_user, outcome)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING access_id",
        [datetime.now(timezone.utc), nominal_id, action, requested_by, purpose, user, outcome],
    ).fetchall()[0][0]
    chain.append_event(con, ACCESS_STREAM, requested_by or "?", _access_payload(
        {"access_id": access_id, "nominal_id": nominal_id, "action": action, "requested_by": requested_by,
         "purpose": purpose, "outcome": outcome, "os_user": user}))
    return access_id


def _chain_existing_access(con) -> None:
    """A store from before encryption: its existing access rows become the start of the chain (once)."""
    if chain.head(con, ACCESS_STREAM) is not None:
        return
    for row in con.execute("SELECT * FROM access_log ORDER BY access_id").df().to_dict("records"):
        row = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in row.items()}
        chain.append_event(con, ACCESS_STREAM, row["requested_by"] or "?", _access_payload(row))


def verify(subjects_file=None) -> list[str]:
    """Problems with the access log: a broken chain, or access_log rows missing, edited or added beside it."""
    with connect(subjects_file) as con:
        problems = chain.verify_chain(con, ACCESS_STREAM)
        chained = {e["payload"].get("access_id"): e for e in chain.read_events(con, ACCESS_STREAM)}
        rows = con.execute("SELECT * FROM access_log ORDER BY access_id").df().to_dict("records")
    stored = {}
    for row in rows:
        row = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v) for k, v in row.items()}
        stored[int(row["access_id"])] = row
    for access_id, event in chained.items():
        row = stored.get(access_id)
        if row is None:
            problems.append(f"access {access_id}: deleted from access_log (its chained event remains)")
        elif _access_payload(row) != event["payload"]:
            problems.append(f"access {access_id}: edited in access_log (it differs from its chained event)")
    for access_id in sorted(set(stored) - set(chained)):
        problems.append(f"access {access_id}: in access_log but not in the chained log (added outside tasking)")
    return problems


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
    persist(con)  # the audit row is on disk, encrypted, before any of the record leaves the store
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
