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
