"""Internal-extract flow: a force's own records-system extracts, read through their column mapping, into the
warehouse (idempotent and quality-gated, see docs/internal-data.md). Meant for the daily extract."""
from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import _publish
from flows.recording import RECORDING_HOOKS, recorded_run
from tasks.ingest import IngestReport
from tasks.ingest_internal import ingest_internal_paths

ingest_internal_extracts = task(ingest_internal_paths, name="ingest-internal-extracts", cache_policy=NO_CACHE)


@flow(name="internal-ingest", **RECORDING_HOOKS)
def internal_ingest_flow(paths: list[str], mapping: str, warehouse: str | None = None) -> IngestReport:
    with recorded_run() as run:
        report = ingest_internal_extracts(paths, mapping, warehouse)
        _publish(report, "internal-ingest-summary")
        run.summary = f"{len(report.batches)} extracts, {len(report.failed)} failed or quarantined"
        return report
