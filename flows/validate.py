"""Validation flow: re-run the expectation suites over stored data, keep the results in the GX Data Docs, and
publish the quality summary (tables) and the Data Docs links (markdown) as artifacts. A run in which a stored
batch fails a critical expectation ends Failed (StoredDataFailed carries the checks)."""
from __future__ import annotations

from flows.engine import flow, in_prefect_run, log, step
from flows.recording import RECORDING_HOOKS, recorded_run
from tasks.data_docs import DocsBuild, build, markdown_links
from tasks.validate import QualitySummary, StoredCheck, quality_summary, records, revalidate, write_quality_page

revalidate_stored = step(revalidate, name="revalidate-stored")
summarise_quality = step(quality_summary, name="quality-summary")
write_results_page = step(write_quality_page, name="write-quality-page")
build_data_docs = step(build, name="build-data-docs")


class StoredDataFailed(Exception):
    """Stored batches fail a critical expectation; carries every check of the run."""

    def __init__(self, checks: list[StoredCheck]):
        failing = [c for c in checks if c.run.critical_failures]
        super().__init__(f"{len(failing)} stored batch(es) fail a critical expectation: " + "; ".join(
            f"{c.kind} {c.force or ''} {c.month:%Y-%m} ({c.run.summary()})" if c.month else f"{c.kind} ({c.run.summary()})"
            for c in failing[:10]))
        self.checks = checks


def publish_quality(summary: QualitySummary, docs: DocsBuild | None = None) -> None:
    """Inside a Prefect run: pass rates per suite (with quarantined batches counted), the incomplete force-months,
    and the Data Docs of this run as links. Outside one: nothing (the CLI prints the same)."""
    if not in_prefect_run():
        return
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    quarantined = summary.quarantined["kind"].value_counts().to_dict() if not summary.quarantined.empty else {}
    create_table_artifact(
        key="quality-summary",
        table=[{**row, "quarantined": quarantined.get(row["suite"], 0)} for row in records(summary.pass_rates)],
        description=f"Quality gate: {len(summary.quarantined)} batch(es) quarantined, "
                    f"{len(summary.incomplete)} incomplete force-month(s)",
    )
    gaps = summary.incomplete.assign(month=summary.incomplete["month"].astype(str).str[:7])
    create_table_artifact(
        key="quality-gaps",
        table=records(gaps) or [{"status": "complete", "reason": "every loaded force-month is complete"}],
        description="Force-months missing or below half the trailing 12-month median: state them as intelligence gaps",
    )
    if docs is not None:
        create_markdown_artifact(key="data-docs", markdown=markdown_links(docs),
                                 description=f"GX Data Docs: {len(docs.pages)} validation result(s) of this run")


@flow(name="validate", **RECORDING_HOOKS)
def validate_flow(warehouse: str | None = None, html: str | None = None) -> list[StoredCheck]:
    """Re-validate every stored month and reference table; ends Failed when one fails a critical expectation."""
    with recorded_run() as run:
        checks = revalidate_stored(warehouse)
        failing = [c for c in checks if c.run.critical_failures]
        log().info("re-validated %d stored batches: %d fail a critical expectation, %d have warnings", len(checks),
                   len(failing), sum(1 for c in checks if c.run.warnings))
        docs = build_data_docs(warehouse)
        log().info("Data Docs: %s", docs.index)
        publish_quality(summarise_quality(warehouse), docs)
        page = write_results_page(warehouse, html)
        log().info("results page written to %s", page)
        run.summary = f"{len(checks)} stored batches re-validated, {len(failing)} failing; Data Docs rebuilt"
        if failing:
            raise StoredDataFailed(checks)
        return checks
