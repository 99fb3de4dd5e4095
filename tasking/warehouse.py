"""The one owner of the DuckDB warehouse: where it lives, how to open it, and its schema.

Schema changes are numbered SQL files in `tasking/migrations/` (`NNN_name.sql`). Opening a warehouse applies
every migration not yet recorded in its `schema_version` table, in number order, each in its own transaction, so an existing
warehouse is upgraded in place and a new one is built from scratch by the same path.

Tasks receive the warehouse *path* (hashable, cacheable), never a connection, and open it here.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

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


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse for longer than this command was allowed to wait."""

    def __init__(self, path: Path, holder: str, waited: float):
        self.path, self.holder, self.waited = path, holder, waited
        super().__init__(
            f"{path}: the warehouse is in use by another tasking process ({holder}) and was not released within"
            f" {waited:.0f} s. Wait for it to finish and run the command again, or allow a longer wait with"
            f" {LOCK_WAIT_ENV}=SECONDS."
        )


LOCK_WAIT_ENV = "TASKING_WAREHOUSE_WAIT"
DEFAULT_LOCK_WAIT_SECONDS = 300.0

# Set by the command line to tell the user what a command is waiting for (None: wait silently).
on_wait: Callable[[str], None] | None = None
# DuckDB threads of each connection this process opens (None: DuckDB's default, one per core). A fan-out that
# runs one builder process per core sets 1 (flows.fanout): each builder then keeps its core, instead of every
# builder's threads competing for all of them.
threads_per_connection: int | None = None


def _with_threads(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    if threads_per_connection:
        con.execute(f"SET threads = {int(threads_per_connection)}")
    return con


def lock_wait_seconds() -> float:
    """How long an open waits for another process's lock: `$TASKING_WAREHOUSE_WAIT` seconds, else 300."""
    text = os.environ.get(LOCK_WAIT_ENV)
    if not text:
        return DEFAULT_LOCK_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ValueError(f"{LOCK_WAIT_ENV}={text!r}: must be a number of seconds, 0 or more")
    return seconds


def is_lock_conflict(error: BaseException) -> bool:
    """True for DuckDB's refusal to open a file another process holds (its message says `Could not set lock`)."""
    return isinstance(error, duckdb.Error) and "Could not set lock" in str(error)


def _held_in_this_process(error: BaseException) -> bool:
    """DuckDB's refusal to open a file this process already has open with other settings (read-only vs not)."""
    return isinstance(error, duckdb.Error) and "different configuration" in str(error)


_HOLDER_PID = re.compile(r"\(PID (\d+)\)")


def lock_holder(error: BaseException) -> str:
    """Who holds the lock, from DuckDB's message (its PID) and that process's command line when visible."""
    match = _HOLDER_PID.search(str(error))
    if not match:
        return "another process"
    pid = match.group(1)
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [Path(a.decode(errors="replace")).name if i == 0 else a.decode(errors="replace")
                 for i, a in enumerate(argv) if a]
        # `python -m cli.main ingest ...` and `.../bin/tasking ingest ...` both read as `tasking ingest ...`.
        for marker in ("cli.main", "tasking"):
            if marker in words:
                words = ["tasking"] + words[words.index(marker) + 1:]
                break
        if words:
            return f"PID {pid}: {' '.join(words)[:160]}"
    except OSError:
        pass
    return f"PID {pid}"


def snapshot_path(target: Path) -> Path:
    """The read-only copy readers fall back to while a writer holds the warehouse."""
    return target.with_name(target.name + ".snapshot")


def _tell(message: str) -> None:
    if on_wait is not None:
        on_wait(message)


def _open_waiting(target: Path, read_only: bool, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting with growing pauses while another process holds it (bounded by lock_wait_seconds).

    A read-only open that meets a writer reads the last published snapshot instead of waiting, if there is one.
    """
    limit = lock_wait_seconds() if wait is None else wait
    started = time.monotonic()
    pause = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(target), read_only=read_only)
        except duckdb.Error as error:
            if _held_in_this_process(error):
                if read_only:
                    # This process already has the file open for writing (e.g. a run's heartbeat thread): join
                    # that instance rather than fail; the caller only reads.
                    return duckdb.connect(str(target))
                holder = f"another connection of this process (PID {os.getpid()}) opened read-only"
            elif not is_lock_conflict(error):
                raise
            else:
                holder = lock_holder(error)
            if read_only:
                snapshot = snapshot_path(target)
                if snapshot.exists():
                    try:
                        con = duckdb.connect(str(snapshot), read_only=True)
                    except duckdb.Error:
                        con = None  # being replaced this instant, or unreadable: wait for the main file instead
                    if con is not None:
                        taken = datetime.fromtimestamp(snapshot.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
                        _tell(f"{target} is being written by {holder}; reading its snapshot of {taken}")
                        return con
            waited = time.monotonic() - started
            if waited >= limit:
                raise WarehouseBusy(target, holder, waited) from None
            if not told:
                _tell(f"waiting up to {limit:.0f} s for {target}: held by {holder}")
                told = True
            time.sleep(min(pause, max(limit - waited, 0.0)))
            pause = min(pause * 2, 1.0)


def _file_state(target: Path) -> tuple | None:
    wal = target.with_name(target.name + ".wal")
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, wal.exists())


def _remove_stale_snapshot_temps(target: Path) -> None:
    # Only a writer makes these, and the caller holds the write lock: any left over were cut off by a kill.
    for stale in target.parent.glob(f".{target.name}.snapshot.*.tmp"):
        stale.unlink(missing_ok=True)


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> bool:
    """Checkpoint and copy the warehouse to its snapshot (atomically renamed into place) while holding the lock.

    Returns False (and leaves the old snapshot) when the connection is mid-transaction or the copy fails.
    """
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error:
        return False
    temporary = target.with_name(f".{target.name}.snapshot.{os.getpid()}.tmp")
    try:
        shutil.copyfile(target, temporary)
        os.replace(temporary, snapshot_path(target))
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


@contextmanager
def connect(path: str | os.PathLike | None = None, *, read_only: bool = False,
            wait: float | None = None, snapshot: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (creating and migrating it when writable) and close it afterwards.

    DuckDB allows one process to hold a file for writing, and no other process may open it meanwhile, not even
    read-only. So an open that finds the file held waits (up to `$TASKING_WAREHOUSE_WAIT` seconds, then
    `WarehouseBusy` naming the file and the holder; `wait` overrides the limit for one call); a read-only open reads the snapshot the last writer
    published instead, when there is one. A writer that changed the file publishes a new snapshot as it closes
    (`snapshot=False` for bookkeeping writes such as heartbeats, which readers need not see at once).
    """
    target = warehouse_path(path)
    if read_only:
        if not target.exists():
            raise FileNotFoundError(f"{target}: no warehouse here yet; run `tasking ingest` first")
        con = _with_threads(_open_waiting(target, read_only=True, wait=wait))
        try:
            yield con
        finally:
            con.close()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    con = _with_threads(_open_waiting(target, read_only=False, wait=wait))
    before = _file_state(target)
    try:
        _remove_stale_snapshot_temps(target)
        migrate(con)
    except Exception:
        con.close()
        raise
    try:
        yield con
    finally:
        # Also after a failure: what the command committed before it failed is what readers should see.
        try:
            if snapshot and (_file_state(target) != before or not snapshot_path(target).exists()):
                publish_snapshot(con, target)
        finally:
            con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, rolled back on any exception (a kill needs nothing: DuckDB drops uncommitted work)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    applied = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()} if schema_version(con) else set()
    return {version for version, _, _ in migrations()} <= applied


@contextmanager
def reading(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to an up-to-date schema: a warehouse whose migrations are behind this code (or
    that does not exist yet) is first opened for writing once, which creates or migrates it."""
    target = warehouse_path(path)
    if target.exists():
        with connect(path, read_only=True) as con:
            if schema_is_current(con):
                yield con
                return
    with connect(path):
        pass
    with connect(path, read_only=True) as con:
        yield con


def query_df(path: str | os.PathLike | None, sql: str, params: list | dict | None = None):
    """Run one read query against the warehouse and return a pandas DataFrame.

    Read-only (so it reads the snapshot while an ingest writes), after creating or migrating the warehouse if
    it is missing or behind.
    """
    with reading(path) as con:
        return con.execute(sql, params or []).df()
