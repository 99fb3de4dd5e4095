"""The records store's core (tasking/records): open and migrate, write rows with their chained events, verify
tables against chains and chains against the anchor file; on SQLite and on a real PostgreSQL server."""
from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from tasking.records import RecordsError, RecordWriteError, open_store, records_url, verify
from tasking.records import anchor as anchors
from tasking.records.migrations import HEAD

TOR = "tasking-loop:tor"


def tor_row(tor_id: str, **changes) -> dict:
    row = dict(tor_id=tor_id, force="city-of-london", product_kind="problem_profile", title="Robbery near stations",
               requester="acct-requester", author="acct-analyst", area=None, crime_types_json='["Robbery"]',
               nominal_id=None, period_from=date(2024, 1, 1), period_to=None, questions_json='["Where?"]',
               deadline=None, marking="OFFICIAL-SENSITIVE", status="proposed", commissioned_by=None,
               proposed_by="acct-analyst", proposed_at=datetime(2024, 9, 2, 9, 30, tzinfo=timezone.utc),
               agreed_by=None, agreed_at=None)
    return {**row, **changes}


def propose_and_agree(store) -> str:
    with store.write(TOR, "acct-analyst") as w:
        tor_id = w.next_id("terms_of_reference", "tor_id", "ToR")
        w.insert("terms_of_reference", tor_row(tor_id), action="proposed")
    with store.write(TOR, "acct-requester") as w:
        w.update("terms_of_reference", {"tor_id": tor_id},
                 {"status": "agreed", "agreed_by": "acct-requester", "agreed_at": datetime.now(timezone.utc)},
                 action="agreed")
    return tor_id


def raw(store, sql: str, **params) -> None:
    """An edit made outside tasking, straight in the database."""
    engine = create_engine(store.url)
    with engine.begin() as con:
        con.execute(text(sql), params)
    engine.dispose()


def test_a_written_store_verifies_clean_and_its_rows_read_back(records_url):
    store = open_store(records_url)
    tor_id = propose_and_agree(store)
    assert tor_id == "ToR-0001"
    assert verify(store) == []
    with store.read() as con:
        status, agreed_by = con.execute(text("SELECT status, agreed_by FROM terms_of_reference")).one()
        events = con.execute(text("SELECT seq, actor FROM event WHERE stream = :s ORDER BY seq"), {"s": TOR}).all()
    assert (status, agreed_by) == ("agreed", "acct-requester")
    assert [tuple(e) for e in events] == [(1, "acct-analyst"), (2, "acct-requester")]
    store.dispose()


@pytest.mark.parametrize("edit, expected", [
    ("UPDATE terms_of_reference SET status = 'withdrawn'", "status is 'withdrawn' in the table but 'agreed'"),
    ("UPDATE terms_of_reference SET requester = 'acct-intruder'", "requester is 'acct-intruder'"),
    ("DELETE FROM terms_of_reference", "missing, but tasking-loop:tor event 2 wrote it"),
    ("INSERT INTO terms_of_reference SELECT 'ToR-0099', force, product_kind, title, requester, author, area,"
     " crime_types_json, nominal_id, period_from, period_to, questions_json, deadline, marking, status,"
     " commissioned_by, proposed_by, proposed_at, agreed_by, agreed_at FROM terms_of_reference",
     "tor_id=ToR-0099: no event wrote it"),
    ("UPDATE event SET payload_json = replace(payload_json, 'agreed', 'withdrawn') WHERE seq = 2",
     "event 2 edited"),
])
def test_every_edit_of_what_people_read_is_named(records_url, edit, expected):
    store = open_store(records_url)
    propose_and_agree(store)
    raw(store, edit)
    problems = verify(store)
    assert any(expected in p for p in problems), problems
    store.dispose()


def test_truncation_with_a_fixed_head_and_a_consistent_rewrite_are_caught_by_the_anchor(records_url):
    store = open_store(records_url)
    propose_and_agree(store)
    # Drop the newest event, fix the head and put the row back as it was: the database alone is consistent.
    raw(store, "DELETE FROM event WHERE seq = 2")
    raw(store, "UPDATE chain_head SET seq = 1, hash = (SELECT hash FROM event WHERE seq = 1)")
    raw(store, "UPDATE terms_of_reference SET status = 'proposed', agreed_by = NULL, agreed_at = NULL")
    problems = verify(store)
    assert problems and all("anchored at" in p for p in problems)
    assert any("event 2" in p and "no longer in the database" in p for p in problems)
    store.dispose()


def test_a_signed_anchor_line_edited_is_caught(records_url, monkeypatch):
    monkeypatch.setenv(anchors.KEY_ENV, "force-secret-key")
    store = open_store(records_url)
    propose_and_agree(store)
    assert verify(store) == []
    path = anchors.anchor_path(store)
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1].replace('"heads":{"tasking-loop:tor":[2', '"heads":{"tasking-loop:tor":[1')
    path.write_text("\n".join(lines) + "\n")
    assert any("signature does not match" in p for p in verify(store))
    store.dispose()


def test_a_table_is_written_only_by_its_own_stream(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with pytest.raises(RecordWriteError, match="written only by the 'tasking-loop:tor' stream"):
        with store.write("review", "acct-analyst") as w:
            w.insert("terms_of_reference", tor_row("ToR-0001"), action="proposed")
    with pytest.raises(RecordWriteError, match="every change needs the account"):
        with store.write(TOR, " "):
            pass
    with store.read() as con:
        assert con.execute(text("SELECT count(*) FROM event")).scalar() == 0
    store.dispose()


def test_a_refusal_is_recorded_as_a_note_that_changes_no_row(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with store.write(TOR, "acct-intruder") as w:
        w.note(action="refused", detail={"tor_id": "ToR-0001", "reason": "only the requester agrees"})
    assert verify(store) == []
    with store.read() as con:
        assert con.execute(text("SELECT count(*) FROM terms_of_reference")).scalar() == 0
        assert "only the requester agrees" in con.execute(text("SELECT payload_json FROM event")).scalar()
    store.dispose()


def test_reading_never_creates_a_store_and_a_foreign_file_is_one_line(tmp_path):
    missing = tmp_path / "nowhere" / "records.sqlite"
    with pytest.raises(RecordsError, match="no records store at"):
        open_store(f"sqlite:///{missing}", create=False)
    assert not missing.exists() and not missing.parent.exists()
    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("not a database at all\n" * 100)
    with pytest.raises(RecordsError, match="cannot be opened") as caught:
        open_store(f"sqlite:///{foreign}")
    assert "\n" not in str(caught.value)


def test_the_url_is_resolved_explicit_then_environment_then_config_then_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("TASKING_RECORDS_URL", raising=False)
    beside = records_url(warehouse_file=tmp_path / "w" / "warehouse.duckdb")
    assert beside == f"sqlite:///{tmp_path / 'w' / 'records.sqlite'}"
    assert records_url(configured="postgresql+psycopg://db/t", warehouse_file="x") == "postgresql+psycopg://db/t"
    monkeypatch.setenv("TASKING_RECORDS_URL", "sqlite:////srv/r.sqlite")
    assert records_url(configured="postgresql+psycopg://db/t") == "sqlite:////srv/r.sqlite"
    assert records_url("sqlite:////explicit.sqlite") == "sqlite:////explicit.sqlite"


def test_migrations_create_exactly_the_tables_the_code_queries(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from tasking.records.schema import metadata
    from tasking.records.store import MIGRATIONS_DIR

    store = open_store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    with store.engine.connect() as con:
        differences = compare_metadata(MigrationContext.configure(con), metadata)
    assert differences == []
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
    store.dispose()


def _write_many(url: str, count: int, actor: str) -> None:
    store = open_store(url)
    for _ in range(count):
        with store.write(TOR, actor) as w:
            tor_id = w.next_id("terms_of_reference", "tor_id", "ToR")
            w.insert("terms_of_reference", tor_row(tor_id, proposed_by=actor), action="proposed")
    store.dispose()


def test_writers_in_several_processes_queue_and_lose_nothing(records_url):
    open_store(records_url).dispose()  # created once, so the writers race on writes, not on creation
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(records_url, 15, f"acct-{n}")) for n in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    store = open_store(records_url)
    with store.read() as con:
        ids = con.execute(text("SELECT tor_id FROM terms_of_reference ORDER BY tor_id")).scalars().all()
        seqs = con.execute(text("SELECT seq FROM event ORDER BY seq")).scalars().all()
    assert ids == [f"ToR-{n:04d}" for n in range(1, 46)]
    assert seqs == list(range(1, 46))
    assert verify(store) == []
    store.dispose()


def test_sqlite_store_runs_in_wal_mode(tmp_path):
    path = tmp_path / "r.sqlite"
    open_store(f"sqlite:///{path}").dispose()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
