"""Load reference files into the warehouse: IoD 2019 deprivation and population, the LSOA 2011 -> 2021 lookup
(upserted by LSOA after the quality gate), and boundary files (tasks.ingest_boundaries). Each file is one batch
with its own `ingest_log` row, as published police files are (tasks.ingest)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sources.files import open_regular
from sources.police_uk import SourceError, sha256_of
from tasking import warehouse
from tasks.ingest import BatchResult, IngestReport, batch_attempt, quarantine, staged_name
from tasks.validate import GateVerdict


def default_reference_gate() -> Callable | None:
    """The quality gate for reference files (tasks.validate.gate_reference), loaded lazily like `default_gate`."""
    try:
        from tasks.validate import gate_reference
    except ImportError:
        return None
    return gate_reference


def ingest_reference_file(con, path: Path, gate: Callable | None = None) -> BatchResult:
    """Upsert one IoD 2019 or LSOA lookup file; IoD files fill their own columns of `lsoa`, keyed by LSOA.

    The file is staged, offered to `gate(con, staged_table, kind, batch_id)`, and merged only if it passes;
    a rejected file is kept in `quarantine.batch_<id>` and nothing of it reaches `lsoa` or `lsoa_lookup`.
    """
    from sources.reference import identify, read_sql

    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
    result = BatchResult(name=str(path), status="failed")
    sha = None
    with batch_attempt(con, result, str(path), batch_id):
        open_regular(path, str(path)).close()  # refuses a missing file, a symbolic link, a FIFO (sources/files.py)
        sha = sha256_of(path)
        kind = identify(path)
        result.kind = kind.kind
        last = con.execute(
            "SELECT sha256 FROM ingest_log WHERE kind = ? AND status IN ('loaded', 'replaced', 'unchanged')"
            " ORDER BY batch_id DESC LIMIT 1",
            [kind.kind],
        ).fetchone()
        if last and last[0] == sha:
            result.status = "unchanged"
        else:
            columns = [column for _, column, _ in kind.columns]
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in kind.key)
            staged = staged_name(con, batch_id)
            con.execute(f"CREATE TABLE {staged} AS {read_sql(kind)}", {"path": str(path)})
            result.rows = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
            if result.rows == 0:
                raise SourceError(str(path), "has a header but no rows")
            verdict = gate(con, staged, kind.kind, batch_id) if gate else GateVerdict(True)
            if not verdict.passed:
                quarantine(con, staged, batch_id)
                result.status = "quarantined"
                result.error = f"{path}: quarantined by the quality gate: {verdict.summary}"
            else:
                with warehouse.transaction(con):
                    con.execute(
                        f"INSERT INTO {kind.table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {staged}"
                        f" ON CONFLICT ({', '.join(kind.key)}) DO UPDATE SET {updates}"
                    )
                result.status = "replaced" if last else "loaded"
    result.seconds = time.perf_counter() - clock
    log_reference_batch(con, batch_id, result, sha, started)
    return result


def log_reference_batch(con, batch_id: int, result: BatchResult, sha: str | None, started: datetime) -> None:
    """One `ingest_log` row for a reference file (no force, no month), whatever happened to it."""
    con.execute(
        "INSERT INTO ingest_log (batch_id, path, sha256, kind, rows, status, error, started_at, finished_at, seconds)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, result.name, sha, result.kind, result.rows, result.status, result.error, started,
         datetime.now(timezone.utc), result.seconds],
    )


def ingest_reference_paths(paths: list[str | Path], warehouse_file: str | Path | None = None, *,
                           gate: Callable | None | str = "default") -> IngestReport:
    """Load reference files (folders are searched for .csv and .csv.gz files, and for boundary files:
    .json, .geojson, .shp, .gpkg, which tasks.ingest_boundaries loads)."""
    from sources.boundaries import BOUNDARY_SUFFIXES, is_boundary_file
    from tasks.ingest_boundaries import ingest_boundary_file

    files: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            files += sorted(p for p in given.rglob("*") if p.is_file()
                            and p.name.lower().endswith((".csv", ".csv.gz") + BOUNDARY_SUFFIXES))
        else:
            files.append(given)
    report = IngestReport()
    chosen_gate = default_reference_gate() if gate == "default" else gate
    with warehouse.connect(warehouse_file) as con:
        for path in files:
            load = ingest_boundary_file if is_boundary_file(path) else ingest_reference_file
            report.batches.append(load(con, path, chosen_gate))
    return report
