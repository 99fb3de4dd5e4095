"""The one owner of the DuckDB warehouse: where it lives, how to open it, and its schema.

Schema changes are numbered SQL files in `tasking/migrations/` (`NNN_name.sql`). Opening a warehouse applies
every migration not yet recorded in its `schema_version` table, in number order, each in its own transaction, so an existing
warehouse is upgraded in place and a new one is built from scratch by the same path.

Tasks receive the warehouse *path* (hashable, cacheable), never a connection, and open it here.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

DEFAULT_WAREHOUSE = Path("var") / "warehouse.duckdb"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--warehouse`, else `$TASKING_WAREHOUSE`, else `var/warehouse.duckdb` under the working directory."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("TASKING_WAREHOUSE")
    return Path(from_env) if from_env else DEFAULT_WAREHOUSE


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) for every migration file, in version order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"{path}: migration files must be named NNN_name.sql")
        found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"{MIGRATIONS_DIR}: two migrations share a version number: {versions}")
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations; returns the resulting schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    # Skip by what was applied, not by the highest number: migrations numbered apart may land out of order.
    applied = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    current = max(applied, default=0)
    for version, name, sql in migrations():
        if version in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = max(current, version)
    return current


@contextmanager
def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating and migrating it when writable) and close it afterwards.

    DuckDB allows one writing process per file; callers serialise writes by holding one connection at a time.
    """
    target = warehouse_path(path)
    if read_only:
        if not target.exists():
            raise FileNotFoundError(f"{target}: no warehouse here yet; run `tasking ingest` first")
        con = duckdb.connect(str(target), read_only=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
        try:
            migrate(con)
        except Exception:
            con.close()
            raise
    try:
        yield con
    finally:
        con.close()


def query_df(path: str | os.PathLike | None, sql: str, params: list | dict | None = None):
    """Run one read query against the warehouse and return a pandas DataFrame (read-only when it exists, so a
    product build's read-only session and this query can share the file in one process)."""
    with connect(path, read_only=warehouse_path(path).exists()) as con:
        return con.execute(sql, params or []).df()
