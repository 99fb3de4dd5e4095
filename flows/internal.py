"""Internal-extract flow: a force's own records-system extracts, read through their column mapping, into the
warehouse (idempotent and quality-gated, see docs/internal-data.md). Meant for the daily extract."""
from __future__ import annotations

from flows.engine import flow, step
from flows.ingest import publish_batches
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.warehouse import warehouse_path
from tasks.ingest import IngestReport
from tasks.ingest_internal import ingest_internal_paths

ingest_internal_extracts = step(ingest_internal_paths, name="ingest-internal-extracts")


@flow(name="internal-ingest", **RECORDING_HOOKS)
def internal_ingest_flow(paths: list[str], mapping: str, warehouse: str | None = None) -> IngestReport:
    with recorded_run(warehouse_path(warehouse)) as run:
        report = ingest_internal_extracts(paths, mapping, warehouse)
        publish_batches(report, "internal-ingest-summary")
        run.summary = f"{len(report.batches)} extracts, {len(report.failed)} failed or quarantined"
        return report
