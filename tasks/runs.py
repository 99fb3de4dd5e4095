"""The warehouse's own record of flow runs (table `flow_run`, migration 004).

A run is written twice over: by the flow when it starts and ends, and by Prefect's state hooks when it reaches
its final state. Both upsert the same row by run id, so either alone is enough to show the run, and the hook,
which sees Prefect's final state, has the last word on it.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import duckdb

from tasking import warehouse

FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
FAILED_STATES = ("FAILED", "CRASHED")
# Another process (a worker's flow, `tasking health`) may hold the warehouse for a few seconds.
LOCK_RETRIES = 12


def _with_warehouse(warehouse_file, work) -> None:
    delay = 0.25
    for attempt in range(LOCK_RETRIES):
        try:
            with warehouse.connect(warehouse_file) as con:
                work(con)
            return
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _json(parameters: dict | None) -> str | None:
    return None if parameters is None else json.dumps(parameters, default=str, sort_keys=True)


def record_start(warehouse_file, run_id: str, flow_name: str, deployment: str | None, parameters: dict | None,
                 started_at: datetime | None = None) -> None:
    started_at = started_at or datetime.now(timezone.utc)

    def work(con):
        con.execute(
            "INSERT INTO flow_run (run_id, flow_name, deployment, state, started_at, parameters_json, recorded_by_flow)"
            " VALUES (?, ?, ?, 'RUNNING', ?, ?, true)"
            " ON CONFLICT (run_id) DO UPDATE SET recorded_by_flow = true,"
            " deployment = coalesce(flow_run.deployment, excluded.deployment)",
            [run_id, flow_name, deployment, started_at, _json(parameters)],
        )

    _with_warehouse(warehouse_file, work)


def record_end(
    warehouse_file,
    run_id: str,
    state: str,
    *,
    by: str,
    flow_name: str,
    deployment: str | None = None,
    parameters: dict | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    summary: str | None = None,
    error: str | None = None,
) -> None:
    """Record a run's final state; `by` is 'flow' or 'hook'. A hook's state wins; the first error and summary stay."""
    state = state.upper()
    if state not in FINAL_STATES:
        raise ValueError(f"not a final state: {state}")
    if by not in ("flow", "hook"):
        raise ValueError("by must be 'flow' or 'hook'")
    finished_at = finished_at or datetime.now(timezone.utc)
    flag = "recorded_by_flow" if by == "flow" else "recorded_by_hook"
    state_rule = "excluded.state" if by == "hook" else "CASE WHEN flow_run.recorded_by_hook THEN flow_run.state ELSE excluded.state END"

    def work(con):
        con.execute(
            f"INSERT INTO flow_run (run_id, flow_name, deployment, state, started_at, finished_at, seconds, parameters_json,"
            f" summary, error, {flag}) VALUES ($run_id, $flow_name, $deployment, $state, $started, $finished,"
            " date_diff('millisecond', $started, $finished) / 1000.0, $parameters, $summary, $error, true)"
            f" ON CONFLICT (run_id) DO UPDATE SET state = {state_rule},"
            " finished_at = coalesce(flow_run.finished_at, excluded.finished_at),"
            " seconds = coalesce(flow_run.seconds, date_diff('millisecond', flow_run.started_at, excluded.finished_at) / 1000.0),"
            " deployment = coalesce(flow_run.deployment, excluded.deployment),"
            " summary = coalesce(flow_run.summary, excluded.summary),"
            " error = coalesce(flow_run.error, excluded.error),"
            f" {flag} = true",
            {"run_id": run_id, "flow_name": flow_name, "deployment": deployment, "state": state,
             "started": started_at or finished_at, "finished": finished_at, "parameters": _json(parameters),
             "summary": summary, "error": error},
        )

    _with_warehouse(warehouse_file, work)


def runs(warehouse_file=None):
    """Every recorded run, newest first (a DataFrame)."""
    return warehouse.query_df(warehouse_file, "SELECT * FROM flow_run ORDER BY started_at DESC")
