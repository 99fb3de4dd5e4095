"""Health flow: the ops page (HTML), a markdown artifact, and a Failed run when anything needs attention.

An unhealthy run also emits the Prefect event `tasking.health.unhealthy` (its payload lists the problems), which
the automation `tasking ops setup` creates turns into a notification.
"""
from __future__ import annotations

from flows.engine import flow, in_prefect_run, log, step
from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from tasks.health import HealthReport, Unhealthy, report_for_config
from tasks.health_page import health_markdown, write_health_html

UNHEALTHY_EVENT = "tasking.health.unhealthy"

read_health = step(report_for_config, name="health-report")
write_page = step(write_health_html, name="write-health-page")


def announce(report: HealthReport, page) -> None:
    """Inside a Prefect run: the report as an artifact, and the unhealthy event when there are problems."""
    if not in_prefect_run():
        return
    from prefect.artifacts import create_markdown_artifact
    from prefect.events import emit_event

    create_markdown_artifact(key="health", markdown=health_markdown(report, page),
                             description=f"{len(report.problems)} problem(s), exit code {report.exit_code}")
    if report.problems:
        emit_event(event=UNHEALTHY_EVENT, resource={"prefect.resource.id": f"tasking.warehouse.{report.warehouse}",
                                                    "prefect.resource.name": report.warehouse},
                   payload={"problems": [str(p) for p in report.problems], "exit_code": report.exit_code,
                            "page": str(page)})


@flow(name="health", **RECORDING_HOOKS)
def health_flow(config_path: str = "tasking.yaml", warehouse: str | None = None, html: str | None = None) -> HealthReport:
    """Report the pipeline's health; ends Failed (raising Unhealthy, which carries the report) when anything needs
    attention. `warehouse` and `html` default to the config's."""
    config = load_settings(config_path)
    warehouse_file = warehouse or config.warehouse_file
    with recorded_run(warehouse_file) as run:
        report = read_health(config, warehouse_file)
        page = write_page(report, html or config.health_html)
        log().info("health: %d problem(s), exit code %d; page %s", len(report.problems), report.exit_code, page)
        announce(report, page)
        run.summary = f"{len(report.problems)} problem(s); page {page}"
        if report.problems:
            raise Unhealthy(report)
        return report
