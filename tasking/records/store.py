"""Open the records store (SQLite in WAL mode by default, PostgreSQL when configured) and bring its schema up to
the newest Alembic revision; read in short transactions, write through `Writer` (tasking/records/writer.py).

Where it is (docs/records.md): `--records URL`, else `$TASKING_RECORDS_URL`, else `records.url` in the config,
else `sqlite:///<folder of the warehouse>/records.sqlite`. Reading commands open with `create=False` and never
create a store.
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tasking.records import schema
from tasking.records.migrations import HEAD

URL_ENV = "TASKING_RECORDS_URL"
SQLITE_NAME = "records.sqlite"
SQLITE_BUSY_MS = 30_000
"""How long a SQLite writer waits for another writer's transaction (they last milliseconds): 30 s, well past any
real queue, and still an error rather than a hang when a process holds a transaction open by mistake."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class RecordsError(Exception):
    """The records store cannot be opened or used; the message names the store and what to do."""


def records_url(explicit: str | None = None, *, configured: str | None = None, warehouse_file=None) -> str:
    """The store's URL: `explicit`, else $TASKING_RECORDS_URL, else the config's `records.url`, else SQLite beside
    the warehouse (`warehouse_file`'s folder; `var/` when none is given)."""
    for candidate in (explicit, os.environ.get(URL_ENV), configured):
        if candidate:
            return candidate if "://" in candidate else f"sqlite:///{Path(candidate).resolve()}"
    folder = Path(warehouse_file).resolve().parent if warehouse_file else Path("var").resolve()
    return f"sqlite:///{folder / SQLITE_NAME}"


def display_url(url: str) -> str:
    """The URL without its password, fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event below says how each transaction begins
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")   # readers never block the writer, nor it them
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=FULL")   # a committed decision survives a power cut
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock at BEGIN, so two writers queue instead of deadlocking on an upgrade
        # from a read lock; a reader begins deferred and never blocks anyone.
        mode = "DEFERRED" if connection.get_execution_options().get("records_read_only") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class RecordsStore:
    """One open records store. `read()` and `write()` hand out connections inside a transaction."""

    def __init__(self, url: str, engine: Engine, instance_id: str, anchor: str | os.PathLike | None = None):
        self.url, self.engine, self.instance_id = url, engine, instance_id
        self.anchor = anchor  # the configured anchor file or folder (tasking/records/anchor.py decides the default)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"RecordsStore({display_url(self.url)})"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent view while it lasts)."""
        with self.engine.connect() as con:
            con = con.execution_options(records_read_only=True)
            with con.begin():
                yield con

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction for the store's own bookkeeping; chained records go through `write`."""
        with self.engine.begin() as con:
            yield con

    def write(self, stream: str, actor: str):
        """A `Writer` for one change of `stream` by account `actor` (tasking/records/writer.py): rows and their
        chained events commit together, or nothing does."""
        from tasking.records.writer import write

        return write(self, stream, actor)

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, create: bool = True, anchor: str | os.PathLike | None = None) -> RecordsStore:
    """Open (and when `create`, create) the store at `url`, upgraded to the newest revision. `anchor`: where its
    chain heads are anchored (config `records.anchor`; tasking/records/anchor.py)."""
    path = sqlite_file(url)
    if path is not None:
        if not path.exists():
            if not create:
                raise RecordsError(f"no records store at {path}: nothing has been recorded there yet (check"
                                   f" --records / ${URL_ENV} / records.url)")
            path.parent.mkdir(parents=True, exist_ok=True)
        elif path.is_dir():
            raise RecordsError(f"{path}: is a folder, not a records store")
        engine = _sqlite_engine(url)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as error:
            raise RecordsError(f"records store {display_url(url)}: {error}") from None
    try:
        _upgrade(engine)
        instance_id = _identity(engine)
    except RecordsError:
        engine.dispose()
        raise
    except Exception as error:  # a file that is not SQLite, a server that refuses: one line, never a traceback
        engine.dispose()
        raise RecordsError(f"records store {display_url(url)}: cannot be opened ({type(error).__name__}: "
                           f"{str(error).splitlines()[0] if str(error) else 'no detail'})") from None
    return RecordsStore(url, engine, instance_id, anchor)


def _current_revision(con: Connection) -> str | None:
    if not inspect(con).has_table("alembic_version"):
        return None
    return con.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(engine: Engine) -> None:
    with engine.connect() as con:
        if _current_revision(con) == HEAD:
            return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as con:
        config.attributes["connection"] = con
        command.upgrade(config, "head")


def _identity(engine: Engine) -> str:
    with engine.begin() as con:
        found = con.execute(select(schema.store_identity.c.instance_id)).scalar()
        if found:
            return found
        instance_id = secrets.token_hex(8)
        con.execute(schema.store_identity.insert().values(instance_id=instance_id,
                                                          created_at=datetime.now(timezone.utc)))
        return instance_id


_OPEN: dict[tuple[str, bool], RecordsStore] = {}


def store_for(warehouse_file=None, *, create: bool = True, url: str | None = None) -> RecordsStore:
    """The records store that goes with `warehouse_file` (records_url's order: `url`, $TASKING_RECORDS_URL, beside
    the warehouse), opened once per process and kept: domain modules that are handed a warehouse path reach
    their records through this."""
    resolved = records_url(url, warehouse_file=warehouse_file)
    if (resolved, True) in _OPEN:
        return _OPEN[(resolved, True)]
    key = (resolved, create)
    if key not in _OPEN:
        _OPEN[key] = open_store(resolved, create=create)
    return _OPEN[key]


def forget_open_stores() -> None:
    """Close every store `store_for` kept (tests that delete a store's folder; a forked worker)."""
    for store in _OPEN.values():
        store.dispose()
    _OPEN.clear()


def _after_fork_in_child() -> None:
    # A forked child must not use its parent's pooled connections (SQLAlchemy: dispose(close=False)).
    for store in _OPEN.values():
        store.engine.dispose(close=False)
    _OPEN.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)
