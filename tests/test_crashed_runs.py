"""Runs whose process died are marked CRASHED (for `tasking health`), live ones are left RUNNING."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from tasking import warehouse
from tasks import runs

ROOT = Path(__file__).resolve().parent.parent
START_AND_HANG = ("import sys, time; from tasks import runs; "
                  "runs.record_start(sys.argv[1], 'killed-run', 'ingest', None, {}); print('started', flush=True); time.sleep(60)")


def state(warehouse_file, run_id):
    with warehouse.connect(warehouse_file, read_only=True) as con:
        return con.execute("SELECT state, error FROM flow_run WHERE run_id = ?", [run_id]).fetchone()


def test_a_run_killed_with_sigkill_is_marked_crashed(warehouse_file):
    process = subprocess.Popen([sys.executable, "-c", START_AND_HANG, str(warehouse_file)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "started"
    process.send_signal(signal.SIGKILL)
    process.wait()
    runs.record_start(warehouse_file, "live-run", "ingest", None, {})
    try:
        marked = runs.mark_crashed_runs(warehouse_file)
        assert [m["run_id"] for m in marked] == ["killed-run"]
        assert f"PID {process.pid}" in marked[0]["reason"] and "is gone" in marked[0]["reason"]
        crashed, error = state(warehouse_file, "killed-run")
        assert crashed == "CRASHED" and error.startswith("crashed: its process")
        assert state(warehouse_file, "live-run")[0] == "RUNNING"
        assert runs.mark_crashed_runs(warehouse_file) == []  # marking is done once
    finally:
        runs.stop_heartbeat("live-run")


def test_a_run_with_no_heartbeat_for_too_long_is_marked_crashed(warehouse_file):
    runs.record_start(warehouse_file, "elsewhere", "tactical", "tactical-assessment/fortnightly", {})
    runs.stop_heartbeat("elsewhere")
    with duckdb.connect(str(warehouse_file)) as con:  # a run on another host: its pid says nothing here
        con.execute("UPDATE flow_run SET host = 'worker-2' WHERE run_id = 'elsewhere'")
    later = datetime.now(timezone.utc) + timedelta(seconds=runs.STALE_AFTER_SECONDS - 60)
    assert runs.mark_crashed_runs(warehouse_file, now=later) == []
    much_later = datetime.now(timezone.utc) + timedelta(seconds=runs.STALE_AFTER_SECONDS + 60)
    [marked] = runs.mark_crashed_runs(warehouse_file, now=much_later)
    assert marked["deployment"] == "tactical-assessment/fortnightly" and "no heartbeat since" in marked["reason"]
    assert state(warehouse_file, "elsewhere")[0] == "CRASHED"


def test_the_heartbeat_moves_while_the_run_lives_and_stops_at_its_end(warehouse_file):
    runs.record_start(warehouse_file, "beating", "ingest", None, {})
    runs.stop_heartbeat("beating")
    runs.start_heartbeat(warehouse_file, "beating", every=0.1)
    with warehouse.connect(warehouse_file, read_only=True) as con:
        first = con.execute("SELECT heartbeat_at FROM flow_run").fetchone()[0]
    time.sleep(0.6)
    with warehouse.connect(warehouse_file, read_only=True) as con:
        second = con.execute("SELECT heartbeat_at FROM flow_run").fetchone()[0]
    assert second > first
    runs.record_end(warehouse_file, "beating", "COMPLETED", by="flow", flow_name="ingest")
    assert "beating" not in runs._heartbeats
    assert state(warehouse_file, "beating")[0] == "COMPLETED"
