"""A flow declared where Prefect was not loaded (a DeferredFlow, as the CLI's flows are) runs through Prefect
when orchestrated: a Prefect flow run, recorded by its body and by the state hook like any other."""
from __future__ import annotations

from pathlib import Path

import duckdb

from flows.engine import DeferredFlow, run_flow, step
from flows.recording import RECORDING_HOOKS, recorded_run


def double(value: int) -> int:
    return 2 * value


doubled = step(double, name="double")


def deferred_body(warehouse: str, value: int = 1) -> int:
    with recorded_run(Path(warehouse)) as run:
        result = doubled(value)
        run.summary = f"doubled {value}"
        return result


def test_a_deferred_flow_runs_through_prefect_and_is_recorded(warehouse_file, monkeypatch):
    monkeypatch.setenv("TASKING_ORCHESTRATE", "always")
    deferred = DeferredFlow(deferred_body, {"name": "deferred-engine-test", **RECORDING_HOOKS})
    assert run_flow(deferred, warehouse=str(warehouse_file), value=21) == 42
    assert doubled._task is not None  # the step ran as a Prefect task inside the Prefect run
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        ((run_id, flow_name, state, by_flow, by_hook, summary),) = con.execute(
            "SELECT run_id, flow_name, state, recorded_by_flow, recorded_by_hook, summary FROM flow_run").fetchall()
    assert not run_id.startswith("local-")  # Prefect's flow run id
    assert (flow_name, state, by_flow, by_hook, summary) == ("deferred-engine-test", "COMPLETED", True, True, "doubled 21")
