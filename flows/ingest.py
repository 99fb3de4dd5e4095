"""Ingest flow: published data.police.uk files and reference files into the warehouse."""
from __future__ import annotations

from typing import Callable

from prefect import flow

from flows.engine import in_prefect_run, step
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.warehouse import warehouse_path
from tasks.ingest import BatchResult, IngestReport, ingest_paths, ingest_reference_paths

ingest_police_files = step(ingest_paths, name="ingest-police-files")
ingest_reference_files = step(ingest_reference_paths, name="ingest-reference-files")


def publish_batches(report: IngestReport, key: str) -> None:
    """Inside a Prefect run: one row per file as a table artifact (outside one, the CLI prints the report)."""
    if not in_prefect_run():
        return
    from prefect.artifacts import create_table_artifact

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


def publish_quality_summary(warehouse: str | None) -> None:
    """Inside a Prefect run: the quality summary as artifacts."""
    if not in_prefect_run():
        return
    from flows.validate import publish_quality
    from tasks.validate import quality_summary

    publish_quality(quality_summary(warehouse))


@flow(name="ingest", **RECORDING_HOOKS)
def ingest_flow(paths: list[str], warehouse: str | None = None, reference_paths: list[str] | None = None,
                on_progress: Callable[[BatchResult, int, int], None] | None = None) -> IngestReport:
    with recorded_run(warehouse_path(warehouse)) as run:
        report = IngestReport()
        if reference_paths:
            report.batches += ingest_reference_files(reference_paths, warehouse).batches
        if paths:
            report.batches += ingest_police_files(paths, warehouse, on_progress=on_progress).batches
        publish_batches(report, "ingest-summary")
        publish_quality_summary(warehouse)
        run.summary = f"{len(report.batches)} files, {len(report.failed)} failed or quarantined"
        return report
