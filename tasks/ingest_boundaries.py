"""Load boundary files (LSOA 2011/2021 polygons, Police Force Areas) into the warehouse's `boundary` table.

Like every reference file: read (sources.boundaries, reprojected to EPSG:27700), staged with each geometry's
validity, offered to the quality gate (expectations/boundary.json: codes well formed, no duplicate codes,
valid polygons), and merged only if it passes; a rejected file is kept in `quarantine.batch_<id>` and nothing
of it reaches `boundary`. A file whose sha256 matches the last load of that kind is "unchanged".
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sources.boundaries import read_boundary_file, staging_frame
from sources.police_uk import SourceError, sha256_of
from tasking import warehouse
from tasks.ingest import BatchResult, GateVerdict, batch_attempt, staged_name
from tasks.ingest_reference import log_reference_batch

SUITE = "boundary"
MERGE_SQL = """
INSERT INTO boundary (kind, code, name, force, geometry, area_km2, source_file, source_sha256, batch_id, ingested_at)
SELECT kind, code, name, force, geometry, area_km2, $source_file, $sha, $batch_id, $ingested_at FROM {staged}
ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name, force = excluded.force, geometry = excluded.geometry,
    area_km2 = excluded.area_km2, source_file = excluded.source_file, source_sha256 = excluded.source_sha256,
    batch_id = excluded.batch_id, ingested_at = excluded.ingested_at
"""


def ingest_boundary_file(con, path: Path, gate: Callable | None = None) -> BatchResult:
    """Upsert one boundary file; never raises for bad input (the result's error names the file and problem).

    `gate(con, staged_table, "boundary", batch_id)` decides whether the staged polygons may be merged."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
    result = BatchResult(name=str(path), status="failed", kind="boundary")
    sha = None
    with batch_attempt(con, result, str(path), batch_id):
        if not path.is_file():
            raise SourceError(str(path), "no such file")
        sha = sha256_of(path)
        boundaries = read_boundary_file(path)
        result.kind = f"boundary-{boundaries.kind}"
        result.rows = len(boundaries.frame)
        last = con.execute(
            "SELECT sha256 FROM ingest_log WHERE kind = ? AND sha256 = ? AND status IN ('loaded', 'replaced', 'unchanged')"
            " ORDER BY batch_id DESC LIMIT 1", [result.kind, sha]).fetchone()
        if last:
            result.status = "unchanged"
        else:
            staged = staged_name(con, batch_id)
            frame = staging_frame(boundaries)
            con.register("boundary_staging_frame", frame)
            try:
                con.execute(f"CREATE TABLE {staged} AS SELECT * FROM boundary_staging_frame")
            finally:
                con.unregister("boundary_staging_frame")
            verdict = gate(con, staged, SUITE, batch_id) if gate else GateVerdict(True)
            if not verdict.passed:
                # Kept for inspection beside its validation results, as every rejected batch is.
                con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
                con.execute(f"CREATE TABLE quarantine.batch_{batch_id} AS SELECT * EXCLUDE (geometry) FROM {staged}")
                result.status = "quarantined"
                result.error = f"{path}: quarantined by the quality gate: {verdict.summary}"
            else:
                # "replaced": a version of this file was loaded before (as for every other reference file).
                existing = con.execute(
                    "SELECT count(*) FROM ingest_log WHERE path = ? AND kind = ? AND status IN ('loaded', 'replaced')",
                    [str(path), result.kind]).fetchone()[0]
                with warehouse.transaction(con):
                    con.execute(MERGE_SQL.format(staged=staged), {
                        "source_file": str(path), "sha": sha, "batch_id": batch_id, "ingested_at": started})
                result.status = "replaced" if existing else "loaded"
    result.seconds = time.perf_counter() - clock
    log_reference_batch(con, batch_id, result, sha, started)
    return result
