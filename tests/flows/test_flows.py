"""End to end under a temporary Prefect server: the monthly ingest over real files served by a local stand-in
for data.police.uk, the product flows drafting for review, and a failed run showing in `tasking health`."""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import yaml
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.exceptions import ParameterTypeError
from typer.testing import CliRunner

from flows.health import health_flow
from tasks.health import EXIT_CODES, Unhealthy
from flows.monthly_ingest import monthly_ingest_flow
from flows.products import tactical_assessment_flow
from cli.main import app
from tasks.ingest import ingest_paths

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA
from police_server import FakePoliceUk, build_archive, published_files, serve


def write_config(folder: Path, **overrides) -> Path:
    settings = {
        "forces": ["city-of-london"],
        "warehouse": "warehouse.duckdb",
        "product_store": "products",
        "police_api": {"base_url": "http://127.0.0.1:9", "max_retries": 0, "download_dir": "downloads"},
        "ingest": {"refresh_months": 2},
        "health": {"html": "health/health.html"},
    }
    for key, value in overrides.items():
        settings[key] = {**settings[key], **value} if isinstance(value, dict) else value
    path = folder / "tasking.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def query(warehouse_file: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def csv_row_count(path: Path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def artifact_markdown(key: str) -> list[str]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return [artifact.data for artifact in found]


@pytest.fixture
def police_uk(tmp_path):
    files = published_files(CITY_OF_LONDON, ["2024-06", "2024-07", "2024-08"]) + published_files(NORTHUMBRIA, ["2022-09"])
    state = FakePoliceUk(last_updated="2024-08-01")
    state.add_archive(build_archive(tmp_path / "built" / "2024-08.zip", files))
    with serve(state) as running:
        yield running


def test_monthly_ingest_fetches_the_new_month_for_configured_forces_and_records_itself(police_uk, tmp_path):
    config = write_config(tmp_path, police_api={"base_url": police_uk.base_url})
    warehouse_file = tmp_path / "warehouse.duckdb"

    first = monthly_ingest_flow(config_path=str(config))
    assert first["published"] == "2024-08" and first["fetched"] == 2 and first["loaded"] == 2

    loaded = dict(query(warehouse_file, "SELECT strftime(month, '%Y-%m'), count(*) FROM street_crime"
                                        " WHERE force = 'city-of-london' GROUP BY ALL"))
    assert loaded == {m: csv_row_count(CITY_OF_LONDON / f"{m}-city-of-london-street.csv") for m in ("2024-07", "2024-08")}
    assert query(warehouse_file, "SELECT count(*) FROM street_crime WHERE force <> 'city-of-london'") == [(0,)]
    # Every batch went through the quality gate.
    assert query(warehouse_file, "SELECT count(DISTINCT batch_id) FROM validation_result WHERE run = 'gate'") == [(2,)]
    assert query(warehouse_file, "SELECT force, strftime(latest_month, '%Y-%m') FROM publication_check ORDER BY force NULLS FIRST") == [
        (None, "2024-08"), ("city-of-london", "2024-08")]

    # Published month unchanged and already held: the next run fetches nothing and changes nothing.
    second = monthly_ingest_flow(config_path=str(config))
    assert second == {"published": "2024-08", "fetched": 0}
    assert police_uk.hits("/data/archive/") == 1
    assert query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0] == sum(loaded.values())

    runs = query(warehouse_file, "SELECT flow_name, state, recorded_by_flow, recorded_by_hook, summary FROM flow_run ORDER BY started_at")
    assert [r[:4] for r in runs] == [("monthly-ingest", "COMPLETED", True, True)] * 2
    assert runs[0][4].startswith("2024-08: 2 files from 2024-08.zip 2 loaded")
    assert runs[1][4] == "nothing to fetch: every configured force holds what 2024-08 published for it"
    summaries = artifact_markdown("monthly-ingest")
    assert any("2024-08-city-of-london-street.csv | loaded | street | city-of-london | 2024-08" in md for md in summaries)


def test_a_truncated_download_fails_the_run_ingests_nothing_and_shows_in_health(police_uk, tmp_path):
    police_uk.cut_archives_short = True
    config = write_config(tmp_path, police_api={"base_url": police_uk.base_url})
    warehouse_file = tmp_path / "warehouse.duckdb"

    state = monthly_ingest_flow(config_path=str(config), return_state=True)
    assert state.is_failed()
    assert query(warehouse_file, "SELECT count(*) FROM street_crime") == [(0,)]
    assert not list((tmp_path / "downloads").glob("*.zip"))
    (run,) = query(warehouse_file, "SELECT flow_name, state, error, recorded_by_flow, recorded_by_hook FROM flow_run")
    assert run[:2] == ("monthly-ingest", "FAILED") and run[3:] == (True, True)
    assert run[2].startswith("DownloadRejected: ") and "transfer cut short" in run[2]

    result = CliRunner().invoke(app, ["health", "--config", str(config)], env={"COLUMNS": "200"})
    assert result.exit_code == EXIT_CODES["runs"], result.output
    assert "needs attention (runs) monthly-ingest: last run failed: DownloadRejected" in result.output
    assert "needs attention (data) city-of-london: street due " in result.output and "never loaded" in result.output
    page = (tmp_path / "health" / "health.html").read_text(encoding="utf-8")
    assert '<td class="bad">FAILED</td>' in page


@pytest.fixture(scope="module")
def loaded_city(tmp_path_factory):
    """A warehouse holding the City of London's 36 real months (loaded without the gate, for speed)."""
    folder = tmp_path_factory.mktemp("city")
    report = ingest_paths([CITY_OF_LONDON], folder / "warehouse.duckdb", gate=None)
    assert report.ok and len(report.batches) == 36
    return folder


def test_tactical_flow_drafts_for_review_and_health_lists_it(loaded_city):
    config = write_config(loaded_city)
    versions = tactical_assessment_flow(config_path=str(config))
    assert len(versions) == 1 and versions[0].startswith("TA-city-of-london-2024-08-")
    (draft,) = query(loaded_city / "warehouse.duckdb",
                     "SELECT status, marking, store_path FROM product_version WHERE version_id = ?", versions)
    assert draft[:2] == ("DRAFT", "OFFICIAL")  # assessments default to OFFICIAL (issue 6); profiles to OFFICIAL-SENSITIVE
    assert (Path(draft[2]) / "product.pdf").is_file()
    assert any(versions[0] in table for table in artifact_markdown("tactical-assessment"))

    # The next scheduled run finds no new data: it records that and drafts nothing; force_new drafts on purpose.
    assert tactical_assessment_flow(config_path=str(config)) == versions
    (summary,) = query(loaded_city / "warehouse.duckdb", "SELECT summary FROM flow_run WHERE flow_name = "
                       "'tactical-assessment' ORDER BY started_at DESC LIMIT 1")
    assert summary[0].startswith(f"unchanged {versions[0]} (no new data since {versions[0]} (DRAFT)")
    assert query(loaded_city / "warehouse.duckdb", "SELECT count(*) FROM product_version") == [(1,)]
    again = tactical_assessment_flow(config_path=str(config), force_new=True)
    assert again != versions and again[0].endswith("-v2")

    # Nothing failed or quarantined; the real data ends 2024-08, so today it is stale, and the run ends Failed.
    with pytest.raises(Unhealthy) as unhealthy:
        health_flow(config_path=str(config))
    assert {p.category for p in unhealthy.value.report.problems} == {"data"}
    assert "city-of-london: street" in str(unhealthy.value) and "months behind" in str(unhealthy.value)
    page = (loaded_city / "health" / "health.html").read_text(encoding="utf-8")
    assert versions[0] in page  # awaiting review


def test_a_problem_profile_is_asked_for_by_an_agreed_tor_id_only(loaded_city):
    """The `profile-from-tor` deployment's flow through Prefect: a malformed id is refused on its parameters, an
    unagreed ToR fails the run before any work, an agreed one drafts the profile."""
    from flows.profiles import profile_from_tor_flow
    from tasks.tasking_loop import LoopError, tor

    config, warehouse = write_config(loaded_city), loaded_city / "warehouse.duckdb"
    made = tor.propose(warehouse, proposed_by="Analyst Jones", force="city-of-london", product_kind="problem_profile",
                       title="Theft from the person around Bank", requester="DI Smith", author="Analyst Jones",
                       area="bbox:-0.10,51.51,-0.08,51.52", types=["Theft from the person"], period_from="2024-03",
                       period_to="2024-08", questions=["Where and when is it concentrated?"])
    with pytest.raises(ParameterTypeError, match="tor_id"):
        profile_from_tor_flow(tor_id="Theft from the person around Bank", config_path=str(config))
    with pytest.raises(LoopError, match="is proposed, not agreed"):
        profile_from_tor_flow(tor_id=made.tor_id, config_path=str(config))
    tor.agree(warehouse, made.tor_id, "DI Smith")
    built = profile_from_tor_flow(tor_id=made.tor_id, config_path=str(config))
    (row,) = query(warehouse, "SELECT p.kind, v.status FROM product_version v JOIN product p USING (product_id)"
                              " WHERE v.version_id = ?", [built["version_id"]])
    assert row == ("problem_profile", "DRAFT") and (built["profile_id"], built["version"]) == ("PRF-0001", 1)
    # The malformed id never started a body, so only the state hook recorded it.
    assert query(warehouse, "SELECT state, recorded_by_flow, recorded_by_hook FROM flow_run"
                            " WHERE flow_name = 'profile-from-tor' ORDER BY started_at") == [
        ("FAILED", False, True), ("FAILED", True, True), ("COMPLETED", True, True)]
