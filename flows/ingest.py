"""Ingest flow: published data.police.uk files and reference files into the warehouse."""
from __future__ import annotations

from typing import Callable

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.validate import publish_quality, summarise_quality
from flows.recording import RECORDING_HOOKS, recorded_run
from tasks.ingest import BatchResult, IngestReport, ingest_paths, ingest_reference_paths

# Progress callbacks and reports are not inputs worth caching on.
ingest_police_files = task(ingest_paths, name="ingest-police-files", cache_policy=NO_CACHE)
ingest_reference_files = task(ingest_reference_paths, name="ingest-reference-files", cache_policy=NO_CACHE)


def _publish(report: IngestReport, key: str) -> None:
    create_table_artifact(
        key=key,
        table=[
            {"file": b.name, "status": b.status, "kind": b.kind, "force": b.force, "month": b.month, "rows": b.rows,
             "rows_added": b.rows_added, "rows_removed": b.rows_removed, "outcomes_changed": b.outcomes_changed,
             "error": b.error}
            for b in report.batches
        ],
        description=f"{len(report.batches)} files: {len(report.failed)} failed or quarantined",
    )


@flow(name="ingest", **RECORDING_HOOKS)
def ingest_flow(paths: list[str], warehouse: str | None = None, reference_paths: list[str] | None = None,
                on_progress: Callable[[BatchResult, int, int], None] | None = None) -> IngestReport:
    with recorded_run() as run:
        report = IngestReport()
        if reference_paths:
            report.batches += ingest_reference_files(reference_paths, warehouse).batches
        if paths:
            report.batches += ingest_police_files(paths, warehouse, on_progress=on_progress).batches
        _publish(report, "ingest-summary")
        publish_quality(summarise_quality(warehouse))
        run.summary = f"{len(report.batches)} files, {len(report.failed)} failed or quarantined"
        return report
