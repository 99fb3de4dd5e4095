"""Against a real Prefect server started here on 127.0.0.1 (one for this module): alerts set up as code fire on a
webhook, a CLI run is recorded in the server and a failed ingest ends Failed there, `tasking health` exits with
its documented codes, and a run left Late with no worker (and a paused deployment) is seen and alerted on."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tasking import warehouse
from tasks.alerts import AUTOMATIONS
from tasks.health import EXIT_CODES
from tasks.ingest import ingest_paths

from prefect_server import prefect_server, wait_for, webhook_receiver
from shared_paths import CITY_OF_LONDON


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    # Workers left by an earlier test's server (e.g. a test harness in this process) would keep sending there.
    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)
    home = tmp_path_factory.mktemp("prefect-home")
    with prefect_server(home) as url, temporary_settings(updates={PREFECT_API_URL: url}), \
            pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_API_URL", url)
        yield url
        # Send what this module's runs still queue for the server while it is up: a log or event sent after it
        # stops would print "Error logging to API" into whichever test runs next in this process.
        APILogWorker.drain_all(timeout=30)
        EventsWorker.drain_all(timeout=30)


@pytest.fixture(scope="module")
def hook():
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def project(tmp_path_factory, hook) -> Path:
    """A config with street data two months old by its own lag rule (healthy), and alerts to the test webhook."""
    folder = tmp_path_factory.mktemp("project")
    write_config(folder, hook.url, lag=40)
    report = ingest_paths([CITY_OF_LONDON / f"2024-0{m}-city-of-london-street.csv" for m in (7, 8)],
                          folder / "warehouse.duckdb", gate=None)
    assert report.ok
    return folder / "tasking.yaml"


def write_config(folder: Path, webhook_url: str, lag: int) -> Path:
    path = folder / "tasking.yaml"
    path.write_text(yaml.safe_dump({
        "forces": ["city-of-london"], "warehouse": "warehouse.duckdb", "product_store": "products",
        "ingest": {"kinds": ["street"]},
        "health": {"html": "health/health.html", "publication_lag_months": {"street": lag}, "review_max_age_days": 14},
        "alerts": {"webhook_url": webhook_url},
    }), encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def flow_runs(flow_name: str):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))


def test_ops_setup_creates_the_alerts_once_and_updates_them_after(server, project):
    first = invoke("ops", "setup", "--config", str(project))
    assert first.exit_code == 0, first.output
    assert first.output.count("created") == len(AUTOMATIONS)
    second = invoke("ops", "setup", "--config", str(project))
    assert second.exit_code == 0 and second.output.count("updated") == len(AUTOMATIONS), second.output

    from prefect import get_client

    with get_client(sync_client=True) as client:
        names = [a.name for a in client.read_automations()]
    assert sorted(names) == sorted(spec.name for spec in AUTOMATIONS)


def test_a_cli_ingest_whose_files_all_fail_is_a_failed_run_in_prefect_and_alerts(server, project, hook, tmp_path):
    bad = tmp_path / "2024-08-city-of-london-street.csv"
    bad.write_text("Crime ID,Month\nx,2024-08\n", encoding="utf-8")
    invoke("ops", "setup", "--config", str(project))

    result = invoke("ingest", str(bad), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1, result.output
    runs = flow_runs("ingest")
    assert [run.state.type.value for run in runs] == ["FAILED"]
    assert "1 of 1 files failed" in runs[0].state.message
    alert = wait_for(lambda: hook.matching("ingest run Failed"), 60, "the failed-run notification")
    assert bad.name in alert[0]["body"] and alert[0]["source"] == "tasking"


def test_health_exit_codes_and_a_late_run_with_no_worker(server, project, hook):
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    invoke("ops", "setup", "--config", str(project))
    healthy = invoke("health", "--config", str(project))
    assert healthy.exit_code == 0, healthy.output
    assert "No problems found." in healthy.output
    assert [run.state.type.value for run in flow_runs("health")] == ["COMPLETED"]  # the CLI run is in the server

    with warehouse.connect(project.parent / "warehouse.duckdb") as con:
        created = datetime.now(timezone.utc) - timedelta(days=20)
        con.execute("INSERT INTO product VALUES ('TA-x', 'tactical', 'city-of-london', '{}', 'Tactical assessment',"
                    " NULL, NULL, ?)", [created])
        con.execute("INSERT INTO product_version (version_id, product_id, version, status, marking, author, store_path,"
                    " content_sha256, manifest_json, created_at) VALUES ('TA-x-v1', 'TA-x', 1, 'DRAFT', 'OFFICIAL', 'a',"
                    " 's', 'h', '{}', ?)", [created])
    overdue = invoke("health", "--config", str(project))
    assert overdue.exit_code == EXIT_CODES["reviews"], overdue.output
    assert "TA-x-v1 (tactical, city-of-london) has waited 20 days for review (limit 14)" in overdue.output

    write_config(project.parent, hook.url, lag=2)  # now 2024-08 is long overdue
    stale = invoke("health", "--config", str(project))
    assert stale.exit_code == EXIT_CODES["data"], stale.output
    assert "city-of-london: street" in stale.output and "months behind" in stale.output

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="tasking", type="process"))
        flow_id = client.create_flow_from_name("health")
        deployment_id = client.create_deployment(flow_id=flow_id, name="health", work_pool_name="tasking",
                                                 entrypoint="flows/health.py:health_flow")
        scheduled = client.create_flow_run_from_deployment(deployment_id)
        wait_for(lambda: client.read_flow_run(scheduled.id).state.name == "Late", 60, "Prefect to mark the run Late")
        client.pause_deployment(deployment_id)

    late = invoke("health", "--config", str(project))
    assert late.exit_code == EXIT_CODES["runs"], late.output  # runs outrank data and reviews
    assert f"health: last run {scheduled.name} late" in late.output
    assert "health: work pool tasking not ready: no worker is polling it" in late.output
    assert "health: deployment paused: its schedule makes no runs" in late.output
    page = (project.parent / "health" / "health.html").read_text(encoding="utf-8")
    assert "LATE" in page and "open in Prefect" in page

    alert = wait_for(lambda: hook.matching("health run Late"), 60, "the late-run notification")
    assert "Check a worker polls its work pool" in alert[0]["body"]
    unhealthy = wait_for(lambda: [m for m in hook.matching("tasking health found") if "late" in m["body"]], 60,
                         "the unhealthy-health notification")
    assert "exit code 3" in unhealthy[0]["subject"]
