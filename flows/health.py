"""Health flow: the ops health report, written as an HTML page and published as a Prefect markdown artifact."""
from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from tasks.health import health_markdown, health_report, write_health_html

health_report_task = task(health_report, name="health-report", cache_policy=NO_CACHE)
write_html_task = task(write_health_html, name="write-health-html", cache_policy=NO_CACHE)


@flow(name="health", **RECORDING_HOOKS)
def health_flow(config_path: str = "tasking.yaml") -> list[str]:
    """Report the pipeline's health; returns the problems found (empty when all is well)."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        report = health_report_task(config.warehouse_file, forces=config.forces, local_forces=config.extra_forces,
                                    failure_window_days=config.health.failure_window_days)
        page = write_html_task(report, config.health_html)
        create_markdown_artifact(key="health", markdown=health_markdown(report),
                                 description=f"{len(report.problems)} problems; page {page}")
        run.summary = f"{len(report.problems)} problems; page written to {page}"
        return report.problems
