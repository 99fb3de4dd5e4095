"""Commands started together on one warehouse: ingest + assess + review list + approve.

Each runs in its own process, as four analysts' terminals would. Nothing may be lost (every month loaded, the
product registered with its folder, the approval recorded) and every command either completes or ends with
one clear line naming what it waited for: never a DuckDB lock traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path


from shared_paths import CITY_OF_LONDON
from tasks import review, reviewers
from tasks.ingest import ingest_paths
from test_faults import assert_invariants

ROOT = Path(__file__).resolve().parent.parent
MONTHS = sorted(CITY_OF_LONDON.glob("*-street.csv"))
INGEST = ("import sys; from tasks.ingest import ingest_paths; "
          "report = ingest_paths(sys.argv[2:], sys.argv[1]); "
          "print('loaded', report.count('loaded')); sys.exit(0 if report.ok else 1)")


def start(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_ingest_assess_list_and_approve_started_together(tmp_path):
    warehouse_file, store = tmp_path / "warehouse.duckdb", tmp_path / "store"
    assert ingest_paths(MONTHS[:13], warehouse_file, gate=None).ok
    reviewers.add(warehouse_file, "DI Smith", "intelligence-manager", added_by="head of intelligence")
    slot = review.reserve_version(warehouse_file, kind="strategic", force="city-of-london", scope={"months": 12},
                                  period_label="2022-09", title="Strategic assessment", store_dir=store)
    with review.writing(slot) as folder:
        (folder / "product.html").write_text("<p>draft</p>")
    review.record_version(warehouse_file, slot, marking="OFFICIAL", author="analyst", period_start=date(2021, 10, 1),
                          period_end=date(2022, 9, 1))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "TASKING_WAREHOUSE": str(warehouse_file),
           "TASKING_PRODUCTS": str(store), "COLUMNS": "200"}
    env.pop("PREFECT_API_URL", None)
    cli = ["-m", "cli.main"]
    processes = {
        "ingest": start(["-c", INGEST, str(warehouse_file), *map(str, MONTHS[13:16])], env),
        "assess": start([*cli, "assess", "tactical", "--force", "city-of-london"], env),
        "list": start([*cli, "review", "list"], env),
        "approve": start([*cli, "review", "approve", slot.version_id, "--reviewer", "DI Smith"], env),
    }
    outputs = {name: (p.wait(timeout=600), p.stdout.read()) for name, p in processes.items()}
    for name, (code, output) in outputs.items():
        assert "Traceback" not in output and "Could not set lock" not in output, f"{name}:\n{output}"
        assert code == 0, f"{name} exited {code}:\n{output}"
    assert "loaded 3" in outputs["ingest"][1]

    listed = review.list_versions(warehouse_file)
    statuses = dict(zip(listed["version_id"], listed["status"]))
    assert statuses[slot.version_id] == "APPROVED"
    assert [s for v, s in statuses.items() if v.startswith("TA-city-of-london")] == ["DRAFT"]
    import duckdb
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        months = con.execute("SELECT count(DISTINCT month) FROM street_crime").fetchone()[0]
    assert months == 16
    assert_invariants(warehouse_file, store)


def test_a_command_that_waits_too_long_ends_with_one_line_naming_the_holder(tmp_path):
    from test_warehouse import hold_warehouse

    warehouse_file = tmp_path / "warehouse.duckdb"
    reviewers.add(warehouse_file, "DI Smith", "intelligence-manager", added_by="x")
    holder = hold_warehouse(warehouse_file, 20)
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TASKING_WAREHOUSE_WAIT": "1", "COLUMNS": "300"}
        done = subprocess.run([sys.executable, "-m", "cli.main", "review", "reviewer", "add", "DS X", "--role",
                               "senior-analyst", "--by", "y", "--warehouse", str(warehouse_file)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and "Could not set lock" not in done.stderr
    assert f"waiting up to 1 s for {warehouse_file}" in done.stderr
    assert f"{warehouse_file}: the warehouse is in use by another tasking process (PID {holder.pid}" in done.stderr
