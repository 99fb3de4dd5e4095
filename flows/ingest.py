"""Ingest flow: published data.police.uk files and reference files into the warehouse.

A run in which any file failed or was quarantined ends Failed (IngestFailed carries the report, so the CLI
still prints every file); the files that passed stay loaded. The run's GX results are rendered into the Data
Docs and linked from an artifact.
"""
from __future__ import annotations

from typing import Callable

from flows.engine import flow, in_prefect_run, log, step
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.warehouse import warehouse_path
from tasks.ingest import BatchResult, IngestReport, ingest_paths
from tasks.ingest_reference import ingest_reference_paths

ingest_police_files = step(ingest_paths, name="ingest-police-files")
ingest_reference_files = step(ingest_reference_paths, name="ingest-reference-files")


class IngestFailed(Exception):
    """Some files failed or were quarantined; the rest were loaded. Carries the run's report."""

    def __init__(self, report: IngestReport):
        super().__init__(f"{len(report.failed)} of {len(report.batches)} files failed or were quarantined: "
                         + "; ".join(b.error or b.name for b in report.failed[:10]))
        self.report = report


def log_report(report: IngestReport) -> None:
    counts = {s: report.count(s) for s in ("loaded", "replaced", "unchanged", "quarantined", "failed")}
    log().info("%d files: %s", len(report.batches), ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none found")
    for batch in report.failed:
        log().warning("%s %s: %s", batch.status, batch.name, batch.error)


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
    """The run's GX results rendered into the Data Docs; inside a Prefect run, the quality summary and the Data
    Docs links as artifacts (and so the index too: outside one it is rebuilt when next opened, tasks.data_docs)."""
    from flows.validate import build_data_docs, publish_quality

    docs = build_data_docs(warehouse, index=in_prefect_run())
    if not in_prefect_run():
        return
    from tasks.validate import quality_summary

    publish_quality(quality_summary(warehouse), docs)


@flow(name="ingest", **RECORDING_HOOKS)
def ingest_flow(paths: list[str], warehouse: str | None = None, reference_paths: list[str] | None = None,
                on_progress: Callable[[BatchResult, int, int], None] | None = None) -> IngestReport:
    with recorded_run(warehouse_path(warehouse)) as run:
        report = IngestReport()
        if reference_paths:
            report.batches += ingest_reference_files(reference_paths, warehouse).batches
        if paths:
            report.batches += ingest_police_files(paths, warehouse, on_progress=on_progress).batches
        log_report(report)
        publish_batches(report, "ingest-summary")
        publish_quality_summary(warehouse)
        run.summary = f"{len(report.batches)} files, {len(report.failed)} failed or quarantined"
        if not report.ok:
            raise IngestFailed(report)
        return report
