"""The warehouse's schema migrations."""
from __future__ import annotations

from tasking import warehouse


def test_reopening_migrates_nothing_twice(warehouse_file):
    with warehouse.connect(warehouse_file) as con:
        version = warehouse.schema_version(con)
    with warehouse.connect(warehouse_file) as con:
        assert warehouse.schema_version(con) == version == max(v for v, _, _ in warehouse.migrations())
        assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(warehouse.migrations())


def test_a_migration_landing_after_a_higher_numbered_one_is_still_applied(tmp_path, monkeypatch, warehouse_file):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_base.sql").write_text("CREATE TABLE a (x INTEGER);")
    (migrations / "003_later.sql").write_text("CREATE TABLE c (x INTEGER);")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", migrations)
    with warehouse.connect(warehouse_file) as con:
        assert warehouse.schema_version(con) == 3
    (migrations / "002_late.sql").write_text("CREATE TABLE b (x INTEGER);")
    with warehouse.connect(warehouse_file) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'b'").fetchone()[0] == 1
        assert [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()] == [1, 2, 3]


def test_a_failing_migration_leaves_no_trace(tmp_path, monkeypatch, warehouse_file):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "001_base.sql").write_text("CREATE TABLE a (x INTEGER);")
    (migrations / "002_broken.sql").write_text("CREATE TABLE b (x INTEGER); SELECT * FROM no_such_table;")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", migrations)
    try:
        with warehouse.connect(warehouse_file):
            raise AssertionError("the broken migration should have raised")
    except Exception as error:
        assert "no_such_table" in str(error)
    import duckdb

    with duckdb.connect(str(warehouse_file)) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'b'").fetchone()[0] == 0


# ------------------------------------------------------------------------------------------- waiting for the lock

import subprocess
import sys
import textwrap
import time

import pytest

HOLD_SCRIPT = textwrap.dedent("""
    import sys, time
    from tasking import warehouse
    with warehouse.connect(sys.argv[1]) as con:
        con.execute("CREATE TABLE IF NOT EXISTS marker (x INTEGER)")
        con.execute("INSERT INTO marker VALUES (2)")
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def hold_warehouse(path, seconds: float) -> subprocess.Popen:
    """Another process holding the warehouse for writing (as an ingest does) for `seconds`."""
    process = subprocess.Popen([sys.executable, "-c", HOLD_SCRIPT, str(path), str(seconds)], stdout=subprocess.PIPE,
                               text=True, cwd=str(warehouse.MIGRATIONS_DIR.parent.parent))
    assert process.stdout.readline().strip() == "holding"
    return process


@pytest.fixture
def seeded(warehouse_file):
    with warehouse.connect(warehouse_file) as con:
        con.execute("CREATE TABLE marker (x INTEGER)")
        con.execute("INSERT INTO marker VALUES (1)")
    return warehouse_file


def test_a_writer_waits_for_another_writer_and_then_proceeds(seeded, monkeypatch):
    holder = hold_warehouse(seeded, 1.5)
    told = []
    monkeypatch.setattr(warehouse, "on_wait", told.append)
    started = time.monotonic()
    with warehouse.connect(seeded) as con:
        assert time.monotonic() - started > 0.5
        assert sorted(r[0] for r in con.execute("SELECT x FROM marker").fetchall()) == [1, 2]
    holder.wait()
    assert told and "waiting up to" in told[0] and str(seeded) in told[0] and f"PID {holder.pid}" in told[0]


def test_a_writer_that_waits_too_long_gets_warehouse_busy_naming_the_file_and_holder(seeded, monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV, "0.3")
    holder = hold_warehouse(seeded, 3)
    try:
        with pytest.raises(warehouse.WarehouseBusy) as raised:
            with warehouse.connect(seeded):
                pass
        message = str(raised.value)
        assert str(seeded) in message and f"PID {holder.pid}" in message and "another tasking process" in message
        assert "Could not set lock" not in message and warehouse.LOCK_WAIT_ENV in message
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_gets_the_last_committed_snapshot_while_a_writer_holds_the_file(seeded, monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV, "0")
    holder = hold_warehouse(seeded, 3)
    try:
        told = []
        monkeypatch.setattr(warehouse, "on_wait", told.append)
        # The holder's uncommitted-to-snapshot row (2) is not visible; the state before it is, whole.
        assert warehouse.query_df(seeded, "SELECT x FROM marker")["x"].tolist() == [1]
        assert "snapshot" in told[0]
    finally:
        holder.kill()
        holder.wait()


def test_after_the_writer_finishes_readers_see_its_changes(seeded):
    hold_warehouse(seeded, 0.1).wait()
    assert sorted(warehouse.query_df(seeded, "SELECT x FROM marker")["x"]) == [1, 2]
    with warehouse.connect(warehouse.snapshot_path(seeded), read_only=True) as con:
        assert sorted(r[0] for r in con.execute("SELECT x FROM marker").fetchall()) == [1, 2]


def test_a_reader_with_no_snapshot_waits_then_reads(seeded, monkeypatch):
    warehouse.snapshot_path(seeded).unlink()
    holder = hold_warehouse(seeded, 1.0)
    with warehouse.connect(seeded, read_only=True) as con:
        assert sorted(r[0] for r in con.execute("SELECT x FROM marker").fetchall()) == [1, 2]
    holder.wait()


def test_a_bad_wait_setting_is_named(monkeypatch):
    monkeypatch.setenv(warehouse.LOCK_WAIT_ENV, "soon")
    with pytest.raises(ValueError, match="TASKING_WAREHOUSE_WAIT='soon'"):
        warehouse.lock_wait_seconds()


def test_a_read_only_session_leaves_the_file_and_snapshot_alone(seeded):
    snapshot = warehouse.snapshot_path(seeded)
    before = (seeded.stat().st_mtime_ns, snapshot.stat().st_mtime_ns)
    warehouse.query_df(seeded, "SELECT * FROM marker")
    with warehouse.connect(seeded):
        pass
    assert (seeded.stat().st_mtime_ns, snapshot.stat().st_mtime_ns) == before


def test_a_temporary_snapshot_left_by_a_killed_writer_is_removed(seeded):
    stale = seeded.with_name(f".{seeded.name}.snapshot.999999.tmp")
    stale.write_bytes(b"partial")
    with warehouse.connect(seeded):
        pass
    assert not stale.exists()


def test_a_read_only_open_inside_a_process_already_writing_joins_it(seeded):
    with warehouse.connect(seeded) as writer:
        writer.execute("INSERT INTO marker VALUES (3)")
        with warehouse.connect(seeded, read_only=True) as reader:
            assert sorted(r[0] for r in reader.execute("SELECT x FROM marker").fetchall()) == [1, 3]


def test_a_read_of_a_warehouse_behind_the_code_migrates_it_first(seeded):
    import duckdb

    with duckdb.connect(str(seeded)) as con:  # as if written by the release before migration 031
        con.execute("DELETE FROM schema_version WHERE version = 31")
        for column in ("heartbeat_at", "pid", "host"):
            con.execute(f"ALTER TABLE flow_run DROP COLUMN {column}")
    assert warehouse.query_df(seeded, "SELECT heartbeat_at FROM flow_run").empty
    with warehouse.reading(seeded) as con:
        assert warehouse.schema_is_current(con)
