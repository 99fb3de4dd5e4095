"""The scheduled tactical assessment built one force per process gives the same products as built one after
another (the strategic flow fans out through the same code, flows.fanout)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from flows.engine import run_flow, step
from flows.fanout import fan_out
from flows.products import tactical_assessment_flow

from several_forces import FORCES, build_warehouse, data_packs, write_config


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """Run the flows without Prefect (as `tasking` does with no PREFECT_API_URL), even inside a test harness."""
    monkeypatch.setenv("TASKING_ORCHESTRATE", "never")


@pytest.fixture(scope="module")
def warehouse_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forces")
    build_warehouse(folder)
    return folder


def test_fanned_out_tactical_assessments_match_the_sequential_ones(warehouse_folder):
    sequential = run_flow(tactical_assessment_flow, config_path=str(write_config(warehouse_folder, "sequential")), workers=1)
    # force_new: the same warehouse gives the same inputs, which would otherwise leave the products unchanged.
    fanned = run_flow(tactical_assessment_flow, config_path=str(write_config(warehouse_folder, "fanned")), workers=2,
                      force_new=True)
    assert [v.split("-v")[0] for v in sequential] == [v.split("-v")[0] for v in fanned]
    assert len(fanned) == len(FORCES) and all(f"TA-{force}-" in v for force, v in zip(FORCES, fanned))
    packs = data_packs(warehouse_folder / "fanned")
    assert len(packs) >= 4 * len(FORCES)  # every product has its data pack
    assert packs == data_packs(warehouse_folder / "sequential")
    with duckdb.connect(str(warehouse_folder / "warehouse.duckdb"), read_only=True) as con:
        registered = con.execute("SELECT version_id, status FROM product_version ORDER BY ALL").fetchall()
        runs = con.execute("SELECT state FROM flow_run WHERE flow_name = 'tactical-assessment'").fetchall()
    assert registered == sorted((v, "DRAFT") for v in sequential + fanned)
    assert runs == [("COMPLETED",), ("COMPLETED",)]



def where_and_square(x: int) -> tuple[int, int]:
    time.sleep(0.2)  # long enough that the pool process takes calls while this process builds its own
    if x < 0:
        raise ValueError(f"no square for {x}")
    return os.getpid(), x * x


def test_fan_out_runs_on_a_named_dask_scheduler_or_local_processes_in_order():
    from distributed import LocalCluster

    square = step(where_and_square, name="square")
    calls = [{"x": x} for x in range(5)]
    pool = fan_out(square, calls, workers=2)
    # Two builders: this process (its imports already paid) and one pool process, each taking the next call.
    assert [value for _, value in pool] == [0, 1, 4, 9, 16] and len({pid for pid, _ in pool}) == 2
    assert os.getpid() in {pid for pid, _ in pool}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = fan_out(square, calls, address=cluster.scheduler_address)
    assert [value for _, value in on_dask] == [0, 1, 4, 9, 16] and os.getpid() not in {pid for pid, _ in on_dask}
    assert fan_out(square, calls[:1], workers=2) == [(os.getpid(), 0)]  # one call runs here


def where_and_duckdb_threads(path: str) -> tuple[int, int]:
    from tasking import warehouse

    time.sleep(0.2)
    with warehouse.connect(path, read_only=True) as con:
        return os.getpid(), int(con.execute("SELECT current_setting('threads')").fetchone()[0])


def test_every_builder_of_a_fan_out_runs_duckdb_on_one_thread_and_this_process_gets_its_default_back(tmp_path):
    from tasking import warehouse

    path = str(tmp_path / "w.duckdb")
    with warehouse.connect(path):
        pass
    threads = step(where_and_duckdb_threads, name="threads")
    built = fan_out(threads, [{"path": path}] * 4, workers=2)
    assert len({pid for pid, _ in built}) == 2 and {n for _, n in built} == {1}
    assert warehouse.threads_per_connection is None
    assert threads.plain(path)[1] == duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]


def test_a_failed_call_gives_its_error_in_its_place_and_the_others_their_results():
    square = step(where_and_square, name="square")
    calls = [{"x": x} for x in (1, -2, 3, 4)]
    outcomes = fan_out(square, calls, workers=2, return_exceptions=True)
    assert [o[1] for o in outcomes if not isinstance(o, Exception)] == [1, 9, 16]
    assert isinstance(outcomes[1], ValueError) and "no square for -2" in str(outcomes[1])
    with pytest.raises(ValueError, match="no square for -2"):
        fan_out(square, calls, workers=2)


def test_a_builder_only_reads_the_warehouse_and_the_flow_registers_what_it_rendered(warehouse_folder, monkeypatch):
    from flows.product_steps import register_step
    from flows.products import tactical_for_force
    from tasking import warehouse
    from tasks.draft import RenderedDraft

    path = warehouse_folder / "warehouse.duckdb"
    opened_to_write = []
    real_connect = warehouse.connect

    def connect(target=None, *, read_only=False, **options):
        opened_to_write.append(not read_only)
        return real_connect(target, read_only=read_only, **options)

    monkeypatch.setattr(warehouse, "connect", connect)
    before = (path.stat().st_mtime_ns, warehouse.snapshot_path(path).stat().st_mtime_ns)
    rendered = tactical_for_force(path, FORCES[0], store_dir=warehouse_folder / "read-only", force_new=True)
    assert isinstance(rendered, RenderedDraft) and opened_to_write and not any(opened_to_write)
    assert (path.stat().st_mtime_ns, warehouse.snapshot_path(path).stat().st_mtime_ns) == before  # no write, no copy
    assert rendered.slot.work.is_dir() and not rendered.slot.folder.exists()  # staged, not yet in the store

    [result] = register_step(path, [rendered])
    assert opened_to_write.count(True) == 1  # the one write: every version registered at once
    assert (result.folder / "product.pdf").is_file() and not rendered.slot.work.exists()
    with duckdb.connect(str(warehouse.snapshot_path(path)), read_only=True) as con:  # readers see it at once
        assert con.execute("SELECT status FROM product_version WHERE version_id = ?",
                           [result.version_id]).fetchall() == [("DRAFT",)]


def test_a_staging_folder_a_live_worker_renders_for_this_process_is_left_alone_by_its_tidy(tmp_path, monkeypatch):
    import subprocess
    import sys

    from tasks import product_store

    product = tmp_path / "TA-durham-2024-08-abcdef"
    monkeypatch.setattr(product_store, "REGISTRAR_PID", os.getpid() + 1)  # as in a worker, rendering for another
    named = product_store.staging_folder(product / "v1")
    assert named.name.startswith(f".v1.staging-{os.getpid() + 1}-r{os.getpid()}-")
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # this process registers; the worker still renders into the folder
        staging = product / f".v1.staging-{os.getpid()}-r{worker.pid}-abcd1234"
        staging.mkdir(parents=True)
        (staging / "product.html").write_text("half", encoding="utf-8")
        assert product_store.tidy({product}, {}) == [] and (staging / "product.html").is_file()
    finally:
        worker.kill()
        worker.wait()
    # The worker gone and the folder not being registered here: what a killed fan-out left, removed.
    assert product_store.tidy({product}, {}) and not staging.exists()
