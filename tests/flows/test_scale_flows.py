"""Through Prefect: `tasking ingest` recorded in the Prefect server, and the scheduled tactical assessment
fanned out on a local Dask cluster (prefect-dask) giving the products of a sequential build."""
from __future__ import annotations

from pathlib import Path

import duckdb
from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from typer.testing import CliRunner

from cli.main import app
from flows.engine import run_flow
from flows.products import tactical_assessment_flow
from sources.synthetic import generate

from several_forces import FORCES, build_warehouse, data_packs, write_config
from prefect_server import wait_for


def prefect_runs(flow_name: str) -> list:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))


def test_cli_ingest_with_a_prefect_api_is_recorded_in_the_server(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKING_ORCHESTRATE", "always")
    data = generate(tmp_path / "data", force="demo-shire", months=("2024-08", "2024-08"), seed=3, rows_per_month=300,
                    reference=False)
    before = {run.id for run in prefect_runs("ingest")}
    result = CliRunner().invoke(app, ["ingest", str(data.out_dir), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 0, result.output
    (run,) = [run for run in prefect_runs("ingest") if run.id not in before]
    assert run.state.is_completed()
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT run_id, state FROM flow_run").fetchall() == [(str(run.id), "COMPLETED")]


def test_tactical_assessments_fanned_out_on_dask_match_the_sequential_ones(tmp_path, monkeypatch):
    build_warehouse(tmp_path)
    monkeypatch.setenv("TASKING_ORCHESTRATE", "never")
    run_flow(tactical_assessment_flow, config_path=str(write_config(tmp_path, "sequential")), workers=1)
    monkeypatch.setenv("TASKING_ORCHESTRATE", "always")
    # Other test files on this worker run tactical-assessment flows through the same test server, and the server
    # lists runs by id (random): this test's run is the one that was not there before.
    before = {run.id for run in prefect_runs("tactical-assessment")}
    monkeypatch.chdir(tmp_path)  # the Dask runner reads fan_out from ./tasking.yaml: two local workers
    Path("tasking.yaml").write_text(write_config(tmp_path, "dask", workers=2).read_text(encoding="utf-8"))
    # force_new: the same warehouse gives the same inputs, which would otherwise leave the products unchanged.
    on_dask = run_flow(tactical_assessment_flow, config_path=str(tmp_path / "tasking.yaml"), force_new=True)
    assert len(on_dask) == len(FORCES)
    assert data_packs(tmp_path / "dask") == data_packs(tmp_path / "sequential")
    (run,) = [run for run in prefect_runs("tactical-assessment") if run.id not in before]
    assert run.state.is_completed()

    def builds():  # task runs on Dask workers reach the server as events, so they may land a moment later
        with get_client(sync_client=True) as client:
            found = [t for t in client.read_task_runs() if t.flow_run_id == run.id and t.name.startswith("build-tactical")]
        return found if len(found) == len(FORCES) else None

    wait_for(builds, 60, f"one build-tactical task run per force ({len(FORCES)})")
