"""Validation flow: re-run the expectation suites over stored data and publish the quality summary as artifacts."""
from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.recording import RECORDING_HOOKS, recorded_run
from tasks.validate import QualitySummary, StoredCheck, quality_summary, records, revalidate, write_quality_page

revalidate_stored = task(revalidate, name="revalidate-stored", cache_policy=NO_CACHE)
summarise_quality = task(quality_summary, name="quality-summary", cache_policy=NO_CACHE)
write_results_page = task(write_quality_page, name="write-quality-page", cache_policy=NO_CACHE)


def publish_quality(summary: QualitySummary) -> None:
    """Two table artifacts: pass rates per suite (with quarantined batches counted) and the incomplete force-months."""
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


@flow(name="validate", **RECORDING_HOOKS)
def validate_flow(warehouse: str | None = None) -> list[StoredCheck]:
    with recorded_run() as run:
        checks = revalidate_stored(warehouse)
        publish_quality(summarise_quality(warehouse))
        write_results_page(warehouse)
        run.summary = f"{len(checks)} stored batches re-validated"
        return checks
