"""The warehouse's own record of flow runs (table `flow_run`, migration 004).

A run is written twice over: by the flow when it starts and ends, and by Prefect's state hooks when it reaches
its final state. Both upsert the same row by run id, so either alone is enough to show the run, and the hook,
which sees Prefect's final state, has the last word on it.

A run also records its process (pid, host) and a heartbeat: a background thread started by `record_start`
touches `heartbeat_at` every HEARTBEAT_SECONDS until `record_end`. `mark_crashed_runs` (called by health) marks
CRASHED every RUNNING run whose process is gone from this host, or whose heartbeat is older than
STALE_AFTER_SECONDS (a run on another host, or from before heartbeats).
"""
from __future__ import annotations

import json
import os
import socket
import threading
from datetime import datetime, timedelta, timezone

import duckdb

from tasking import warehouse
from tasking.processes import process_alive

FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
FAILED_STATES = ("FAILED", "CRASHED")
HEARTBEAT_SECONDS = 60.0
# Heartbeats are skipped while another process holds the warehouse (a long ingest), so allow several misses.
STALE_AFTER_SECONDS = 15 * 60.0
_heartbeats: dict[str, tuple[threading.Event, threading.Thread]] = {}


def _with_warehouse(warehouse_file, work) -> None:
    # Another process (a worker's flow, `tasking health`) may hold the warehouse: connect waits for it.
    with warehouse.connect(warehouse_file) as con:
        work(con)


def _json(parameters: dict | None) -> str | None:
    return None if parameters is None else json.dumps(parameters, default=str, sort_keys=True)


def record_start(warehouse_file, run_id: str, flow_name: str, deployment: str | None, parameters: dict | None,
                 started_at: datetime | None = None) -> None:
    started_at = started_at or datetime.now(timezone.utc)

    def work(con):
        con.execute(
            "INSERT INTO flow_run (run_id, flow_name, deployment, state, started_at, parameters_json, recorded_by_flow,"
            " heartbeat_at, pid, host) VALUES (?, ?, ?, 'RUNNING', ?, ?, true, ?, ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET recorded_by_flow = true,"
            " deployment = coalesce(flow_run.deployment, excluded.deployment),"
            " heartbeat_at = excluded.heartbeat_at, pid = excluded.pid, host = excluded.host",
            [run_id, flow_name, deployment, started_at, _json(parameters), datetime.now(timezone.utc), os.getpid(),
             socket.gethostname()],
        )

    _with_warehouse(warehouse_file, work)
    start_heartbeat(warehouse_file, run_id)


def beat(warehouse_file, run_id: str) -> bool:
    """Touch the run's heartbeat once, without waiting for the warehouse; False when it was busy."""
    try:
        with warehouse.connect(warehouse_file, wait=0, snapshot=False) as con:
            con.execute("UPDATE flow_run SET heartbeat_at = ? WHERE run_id = ? AND state = 'RUNNING'",
                        [datetime.now(timezone.utc), run_id])
        return True
    except (warehouse.WarehouseBusy, duckdb.Error):
        return False


def start_heartbeat(warehouse_file, run_id: str, every: float | None = None) -> threading.Event:
    """A daemon thread beating for `run_id` until `stop_heartbeat(run_id)` (or the process ends)."""
    stop = threading.Event()
    interval = HEARTBEAT_SECONDS if every is None else every

    def loop() -> None:
        while not stop.wait(interval):
            beat(warehouse_file, run_id)

    thread = threading.Thread(target=loop, name=f"heartbeat-{run_id}", daemon=True)
    _heartbeats[run_id] = (stop, thread)
    thread.start()
    return stop


def stop_heartbeat(run_id: str) -> None:
    """Stop the run's heartbeat and wait for a beat in progress to close its connection."""
    found = _heartbeats.pop(run_id, None)
    if found is not None:
        found[0].set()
        found[1].join(timeout=30)


def _process_gone(pid, host) -> bool:
    if pid is None or host != socket.gethostname():
        return False
    return not process_alive(pid)


def mark_crashed_runs(warehouse_file=None, *, stale_after: float = STALE_AFTER_SECONDS,
                      now: datetime | None = None) -> list[dict]:
    """Mark CRASHED every RUNNING run that died (its process is gone, or no heartbeat for `stale_after` s).

    Returns the runs marked (run_id, flow_name, deployment, started_at, last_heartbeat, reason), for health to
    report. Safe to call from any command: a live run is never touched.
    """
    if not warehouse.warehouse_path(warehouse_file).exists():
        return []
    now = now or datetime.now(timezone.utc)
    marked: list[dict] = []

    def work(con):
        running = con.execute(
            "SELECT run_id, flow_name, deployment, started_at, coalesce(heartbeat_at, started_at) AS last_beat, pid, host"
            " FROM flow_run WHERE state = 'RUNNING'").fetchall()
        for run_id, flow_name, deployment, started_at, last_beat, pid, host in running:
            if _process_gone(pid, host):
                reason = f"its process (PID {pid} on {host}) is gone; last heartbeat {last_beat:%Y-%m-%d %H:%M:%S}"
            elif now - last_beat > timedelta(seconds=stale_after):
                reason = f"no heartbeat since {last_beat:%Y-%m-%d %H:%M:%S} UTC ({int((now - last_beat).total_seconds() // 60)} min)"
            else:
                continue
            con.execute(
                "UPDATE flow_run SET state = 'CRASHED', finished_at = ?, seconds = date_diff('millisecond', started_at, ?) / 1000.0,"
                " error = coalesce(error, ?) WHERE run_id = ? AND state = 'RUNNING'",
                [last_beat, last_beat, f"crashed: {reason}", run_id])
            marked.append({"run_id": run_id, "flow_name": flow_name, "deployment": deployment, "started_at": started_at,
                           "last_heartbeat": last_beat, "reason": reason})

    _with_warehouse(warehouse_file, work)
    return marked


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

    stop_heartbeat(run_id)
    _with_warehouse(warehouse_file, work)


def runs(warehouse_file=None):
    """Every recorded run, newest first (a DataFrame)."""
    return warehouse.query_df(warehouse_file, "SELECT * FROM flow_run ORDER BY started_at DESC")
