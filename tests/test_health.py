"""The run table and the health report as plain functions (no Prefect): who records what, freshness per force,
reviews waiting, and failures inside the window only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from tasking import warehouse
from tasks.fetch import check_publication, extract_force_months
from tasks.health import EXIT_CODES, health_report
from tasks.health_page import render_health_html
from tasks.ingest import ingest_paths
from tasks.runs import record_end, record_start
from tasking.config import load_config

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA
from police_server import FakePoliceUk, build_archive, published_files, serve

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def rows(warehouse_file, sql, params=None):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_flow_then_hook_keeps_the_flow_error_and_the_hook_state(warehouse_file):
    started = NOW - timedelta(seconds=90)
    record_start(warehouse_file, "run-1", "monthly-ingest", "monthly-ingest", {"config_path": "tasking.yaml"}, started)
    assert rows(warehouse_file, "SELECT state, recorded_by_flow, recorded_by_hook FROM flow_run") == [("RUNNING", True, False)]
    record_end(warehouse_file, "run-1", "FAILED", by="flow", flow_name="monthly-ingest", finished_at=NOW,
               error="DownloadRejected: cut short")
    record_end(warehouse_file, "run-1", "Crashed", by="hook", flow_name="monthly-ingest", finished_at=NOW + timedelta(seconds=5),
               error="process killed")
    assert rows(warehouse_file, "SELECT state, seconds, error, recorded_by_flow, recorded_by_hook, parameters_json FROM flow_run") == [
        ("CRASHED", 90.0, "DownloadRejected: cut short", True, True, '{"config_path": "tasking.yaml"}')]


def test_a_run_only_its_hook_saw_is_recorded_and_a_later_flow_record_does_not_overrule_it(warehouse_file):
    record_end(warehouse_file, "run-2", "FAILED", by="hook", flow_name="problem-profile", deployment="problem-profile",
               started_at=NOW, finished_at=NOW, error="Validation of flow parameters failed")
    record_end(warehouse_file, "run-2", "COMPLETED", by="flow", flow_name="problem-profile", finished_at=NOW)
    assert rows(warehouse_file, "SELECT deployment, state, recorded_by_flow, recorded_by_hook FROM flow_run") == [
        ("problem-profile", "FAILED", True, True)]
    with pytest.raises(ValueError, match="not a final state"):
        record_end(warehouse_file, "run-3", "RUNNING", by="flow", flow_name="x")


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tasking.yaml"
    path.write_text("forces: [city-of-london, northumbria, kent]\nextra_forces: [demo-shire]\nwarehouse: w.duckdb\n"
                    "police_api: {download_dir: downloads}\ningest: {kinds: [street], refresh_months: 2}\n", encoding="utf-8")
    return load_config(path)


def test_freshness_compares_each_forces_latest_loaded_month_with_what_the_archive_held(config, tmp_path):
    archive = build_archive(tmp_path / "2024-08.zip", published_files(CITY_OF_LONDON, ["2024-07", "2024-08"])
                            + published_files(NORTHUMBRIA, ["2022-08", "2022-09"]))
    extracted = extract_force_months(config, archive)
    # Each force's own newest two months, street only (the config's kinds), even for a force publishing late.
    assert [p.name for p in extracted] == ["2022-08-northumbria-street.csv", "2022-09-northumbria-street.csv",
                                           "2024-07-city-of-london-street.csv", "2024-08-city-of-london-street.csv"]
    assert all(p.parent.parent == config.download_dir / "extracted" for p in extracted)
    ingest_paths([extracted[0], extracted[2]], config.warehouse_file, gate=None)
    with warehouse.connect(config.warehouse_file) as con:
        con.execute("INSERT INTO publication_check VALUES (?, NULL, DATE '2024-09-01', 'crime-last-updated')", [NOW])

    # Mid-October 2024: with a two-month lag, July is due by date; data.police.uk already holds later months.
    report = health_report(config.warehouse_file, forces=config.forces, local_forces=config.extra_forces,
                           sources=["street"], publication_lag_months={"street": 2},
                           now=datetime(2024, 10, 15, tzinfo=timezone.utc))
    freshness = {r.force: (f"{r.latest_loaded:%Y-%m}" if r.latest_loaded else None, f"{r.due:%Y-%m}" if r.due else None,
                           r.status) for r in report.freshness.itertuples(index=False)}
    assert freshness == {
        "city-of-london": ("2024-07", "2024-08", "1 month behind"),  # its archive holds 2024-08: due at once
        "northumbria": ("2022-08", "2024-07", "23 months behind; data.police.uk holds up to 2022-09"),
        "kent": (None, "2024-09", "never loaded"),                   # the site says 2024-09
        "demo-shire": (None, None, "never loaded"),                  # local only: never judged stale
    }
    assert [(p.category, p.message) for p in report.problems] == [
        ("data", "city-of-london: street due 2024-08, 1 month behind"),
        ("data", "kent: street due 2024-09, never loaded"),
        ("data", "northumbria: street due 2024-07, 23 months behind; data.police.uk holds up to 2022-09"),
    ]
    assert report.exit_code == EXIT_CODES["data"]
    # Two years on, with nothing new loaded, July 2024 is long overdue whatever data.police.uk was last seen to hold.
    later = health_report(config.warehouse_file, forces=["city-of-london"], sources=["street"], now=NOW)
    row = later.freshness.set_index("force").loc["city-of-london"]
    assert (f"{row.due:%Y-%m}", row.status) == ("2026-08", "25 months behind; data.police.uk holds up to 2024-08")


def test_reviews_waiting_and_failures_inside_the_window(config):
    wh = config.warehouse_file
    with warehouse.connect(wh) as con:
        con.execute("INSERT INTO product VALUES ('TA-x', 'tactical', 'city-of-london', '{}', 'Tactical assessment', NULL, NULL, ?)",
                    [NOW - timedelta(days=9)])
        for version, status, age in ((1, "REJECTED", 9), (2, "DRAFT", 4)):
            con.execute("INSERT INTO product_version (version_id, product_id, version, status, marking, author, store_path,"
                        " content_sha256, manifest_json, created_at) VALUES (?, 'TA-x', ?, ?, 'OFFICIAL', 'a', 's', 'h', '{}', ?)",
                        [f"TA-x-v{version}", version, status, NOW - timedelta(days=age)])
    record_end(wh, "old", "FAILED", by="flow", flow_name="health", started_at=NOW - timedelta(days=40),
               finished_at=NOW - timedelta(days=40), error="long ago")
    record_end(wh, "recent", "FAILED", by="flow", flow_name="tactical-assessment", started_at=NOW - timedelta(days=2),
               finished_at=NOW - timedelta(days=2), error="no street data")
    record_end(wh, "latest", "COMPLETED", by="flow", flow_name="tactical-assessment", started_at=NOW - timedelta(days=1),
               finished_at=NOW - timedelta(days=1))

    report = health_report(wh, forces=config.forces, failure_window_days=30, review_max_age_days=3, now=NOW)
    assert report.awaiting_review[["version_id", "age_days"]].values.tolist() == [["TA-x-v2", 4]]
    assert "TA-x-v2 (tactical, city-of-london) has waited 4 days for review (limit 3)" in map(str, report.problems)
    assert report.failures[["name", "error"]].values.tolist() == [["tactical-assessment", "no street data"]]
    last = {r.deployment: r.state for r in report.last_runs.itertuples(index=False)}
    assert last["tactical-assessment"] == "COMPLETED" and last["health"] == "FAILED"
    assert last["monthly-ingest"] == "NEVER RUN"  # listed from prefect.yaml
    assert "health: last run failed: long ago" in map(str, report.problems)
    assert report.exit_code == EXIT_CODES["runs"]  # the most urgent category wins
    page = render_health_html(report)
    assert "TA-x-v2" in page and '<td class="bad">FAILED</td>' in page and '<td class="bad">overdue</td>' in page
    assert "NEVER RUN" in page


def test_a_force_holding_all_its_archive_had_is_not_fetched_again(config, tmp_path):
    archive = build_archive(tmp_path / "2024-08.zip", published_files(CITY_OF_LONDON, ["2024-07", "2024-08"])
                            + published_files(NORTHUMBRIA, ["2022-08", "2022-09"]))
    with serve(FakePoliceUk(last_updated="2024-08-01")) as server:
        settings = config.model_copy(update={"police_api": config.police_api.model_copy(update={"base_url": server.base_url})})
        before = check_publication(settings)
        assert before.behind == ["city-of-london", "northumbria", "kent"]  # never fetched: all expected at 2024-08
        ingest_paths(extract_force_months(settings, archive), settings.warehouse_file, gate=None)
        after = check_publication(settings)
    # Northumbria's files in the 2024-08 archive stop at 2022-09, and it holds 2022-09: only Kent, absent, is behind.
    assert after.expected("northumbria").isoformat() == "2022-09-01"
    assert after.behind == ["kent"]


def test_a_run_is_recorded_in_the_warehouse_its_parameters_name(tmp_path, monkeypatch):
    from flows.recording import warehouse_for

    monkeypatch.delenv("TASKING_WAREHOUSE", raising=False)
    (tmp_path / "tasking.yaml").write_text("forces: [kent]\nwarehouse: from-config.duckdb\n", encoding="utf-8")
    assert warehouse_for({"warehouse": str(tmp_path / "given.duckdb")}) == tmp_path / "given.duckdb"
    assert warehouse_for({"config_path": str(tmp_path / "tasking.yaml")}) == tmp_path / "from-config.duckdb"
    # A config that cannot be read still lets the failure be recorded, in the default warehouse.
    assert warehouse_for({"config_path": str(tmp_path / "absent.yaml")}) == warehouse.DEFAULT_WAREHOUSE


@pytest.mark.parametrize("command", [["status"], ["validate"], ["near-repeat", "--force", "x"],
                                     ["indicators", "--force", "x", "--from", "2024-01", "--to", "2024-02"],
                                     ["assess", "tactical", "--force", "x"]])
def test_read_commands_refuse_a_path_with_no_warehouse_and_create_none(tmp_path, command):
    from typer.testing import CliRunner

    from cli.main import app

    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    result = CliRunner().invoke(app, [*command, "--warehouse", str(missing)], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert f"{missing}: no warehouse here" in result.output
    assert not missing.exists() and not missing.parent.exists()


def test_health_refuses_a_config_whose_warehouse_is_missing(config):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["health", "--config", str(config.source)], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and f"{config.warehouse_file}: no warehouse here" in result.output
    assert not config.warehouse_file.exists()


def test_a_health_run_that_found_problems_is_not_itself_a_failure(config):
    wh = config.warehouse_file
    record_end(wh, "h-1", "FAILED", by="flow", flow_name="health", started_at=NOW - timedelta(hours=1),
               finished_at=NOW - timedelta(hours=1), error="Unhealthy: 1 problem(s): kent: street due 2026-08, never loaded")
    report = health_report(wh, forces=["kent"], sources=["street"], now=NOW)
    assert [p.category for p in report.problems] == ["data"]  # only the data problem it reported, not a failed run
    assert report.failures.empty
