"""Load a force's own extracts into `internal_incident`: read through the mapping, stage, gate, then upsert.

Each extract file is one batch in `ingest_log` (kind `internal`), and `internal_extract_batch` records the mapping
it was read through. An extract whose sha256 was loaded before through the same mapping content is reported
"unchanged" and writes nothing (read through a changed mapping, it is new content and is merged again). Otherwise it is read through its mapping (sources/internal.py: any
missing column, malformed date-time or out-of-area coordinate fails the whole file, nothing stored), staged,
offered to the quality gate with the `internal` suite, and merged in one transaction: rows whose reference is
already held for the force are replaced by the new extract's version, others are added, so overlapping daily
extracts neither double nor lose records.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from sources.files import open_regular
from sources.internal import CANONICAL_COLUMNS, Extract, load_mapping, read_extract
from sources.police_uk import SourceError, sha256_of
from tasking import warehouse
from tasks.ingest import (LOADED_STATUSES, BatchResult, Gate, GateVerdict, IngestReport, log_batch, quarantine, batch_attempt,
                          default_gate, staged_name)

KIND = "internal"


def _already_loaded(con, sha: str, mapping_sha: str) -> int | None:
    """Rows of the earlier load of an identical extract through an identical mapping, or None when new."""
    row = con.execute(
        f"SELECT l.rows FROM ingest_log l JOIN internal_extract_batch b USING (batch_id)"
        f" WHERE l.kind = ? AND l.sha256 = ? AND b.mapping_sha256 = ? AND l.status IN {LOADED_STATUSES}"
        " ORDER BY l.batch_id LIMIT 1",
        [KIND, sha, mapping_sha],
    ).fetchall()
    return row[0][0] if row else None


def _stage(con, extract: Extract, batch_id: int, loaded_at: datetime) -> str:
    staged = staged_name(con, batch_id)
    frame = extract.rows[list(CANONICAL_COLUMNS)]
    con.register("extract_rows", frame)
    try:
        con.execute(
            f"CREATE TABLE {staged} AS SELECT {', '.join(CANONICAL_COLUMNS)}, $force AS force, $synthetic AS synthetic,"
            f" CAST($batch_id AS BIGINT) AS batch_id, $source_file AS source_file, $sha AS source_sha256,"
            f" CAST($loaded_at AS TIMESTAMPTZ) AS ingested_at FROM extract_rows",
            {"force": extract.force, "synthetic": extract.mapping.synthetic, "batch_id": batch_id,
             "source_file": extract.name, "sha": extract.sha256, "loaded_at": loaded_at},
        )
    finally:
        con.unregister("extract_rows")
    return staged


def _merge(con, force: str, staged: str, batch_id: int, mapping_file, mapping_sha: str) -> tuple[int, int, int]:
    """Upsert the staged rows by (force, reference); returns (rows, references added, outcomes changed)."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO internal_extract_batch VALUES (?, ?, ?)", [batch_id, str(mapping_file), mapping_sha])
        added = con.execute(
            f"SELECT count(*) FROM {staged} s WHERE NOT EXISTS"
            " (SELECT 1 FROM internal_incident i WHERE i.force = ? AND i.reference = s.reference)", [force]
        ).fetchone()[0]
        outcomes_changed = con.execute(
            f"SELECT count(*) FROM {staged} s JOIN internal_incident i ON i.force = ? AND i.reference = s.reference"
            " WHERE i.outcome IS DISTINCT FROM s.outcome", [force]
        ).fetchone()[0]
        con.execute(f"DELETE FROM internal_incident WHERE force = ? AND reference IN (SELECT reference FROM {staged})", [force])
        con.execute(f"INSERT INTO internal_incident BY NAME SELECT * FROM {staged}")
        rows = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return rows, added, outcomes_changed


class _Unread:
    """Stands in for an extract that could not be read, so the failure is still logged under its name."""

    kind = KIND
    month = None

    def __init__(self, path: Path, force: str | None):
        self.name = str(path)
        self.force = force


def ingest_extract(con, path: Path, mapping, gate: Gate | None = None, mapping_file: str | Path = "") -> BatchResult:
    """Load one extract; never raises for bad input, returns a result saying what happened."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
    result = BatchResult(name=str(path), status="failed", kind=KIND, force=mapping.force)
    logged_as = _Unread(path, mapping.force)
    sha = None
    with batch_attempt(con, result, str(path), batch_id):
        open_regular(Path(path), str(path)).close()  # refuses a missing file, a symbolic link, a FIFO
        sha = sha256_of(Path(path))
        earlier_rows = _already_loaded(con, sha, mapping.sha256)
        if earlier_rows is not None:
            result.status = "unchanged"
            result.rows = earlier_rows
        else:
            extract = read_extract(path, mapping)
            staged = _stage(con, extract, batch_id, started)
            result.rows = len(extract.rows)
            verdict = gate(con, staged, extract, batch_id) if gate else GateVerdict(True)
            if not verdict.passed:
                quarantine(con, staged, batch_id)
                result.status = "quarantined"
                result.error = f"{path}: quarantined by the quality gate: {verdict.summary}"
            else:
                result.rows, result.rows_added, result.outcomes_changed = _merge(con, mapping.force, staged, batch_id,
                                                                                 mapping_file, mapping.sha256)
                result.rows_removed = 0
                result.status = "loaded"
    result.seconds = time.perf_counter() - clock
    log_batch(con, batch_id, result, sha, logged_as, started)
    return result


def ingest_internal_paths(paths: list[str | Path], mapping_file: str | Path, warehouse_file: str | Path | None = None,
                          *, gate: Gate | None | str = "default") -> IngestReport:
    """Ingest every extract (files, or folders searched for .csv) through one mapping file."""
    report = IngestReport()
    files: list[Path] = []
    for given in map(Path, paths):
        files += sorted(p for p in given.rglob("*.csv") if p.is_file()) if given.is_dir() else [given]
    chosen_gate = default_gate() if gate == "default" else gate
    with warehouse.connect(warehouse_file) as con:
        try:
            mapping = load_mapping(mapping_file)
        except SourceError as error:
            batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
            result = BatchResult(name=str(mapping_file), status="failed", kind=KIND, error=str(error))
            log_batch(con, batch_id, result, None, _Unread(Path(mapping_file), None), datetime.now(timezone.utc))
            report.batches.append(result)
            return report
        for path in files:
            report.batches.append(ingest_extract(con, path, mapping, chosen_gate, mapping_file))
    return report
