"""The one way to change a record: the row and a hash-chained event carrying the row's whole new image, in one
transaction, from the one stream allowed to write its table (schema.PROJECTED).

    with store.write("tasking-loop:tor", actor.account_id) as w:
        tor_id = w.next_id("terms_of_reference", "tor_id", "ToR")
        w.insert("terms_of_reference", {...}, action="proposed")

A refused action is recorded with `note` in a write of its own (the refusal must commit even though the action
does not): `store.write(stream, actor)` then `w.note(action="refused", detail={...})`.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator

from sqlalchemy import Connection, Table, and_, func, select

from tasking.chain import GENESIS, canonical_json, event_hash, os_user
from tasking.records import schema


class RecordWriteError(Exception):
    """A write the records store refuses (wrong stream for the table, a row that is not there)."""


def json_value(value):
    """A column value in the form the chain records it: times as UTC ISO text, dates as ISO dates."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite gives back naive times: the store writes only UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_image(row) -> dict:
    """A fetched row as the chain records it."""
    return {name: json_value(value) for name, value in row._mapping.items()}


def _stored(values: dict) -> dict:
    """Times converted to UTC before they are stored (SQLite keeps no zone: the store's times are all UTC)."""
    return {k: (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
            if isinstance(v, datetime) else v for k, v in values.items()}


def key_of(tbl: Table, row: dict) -> dict:
    return {c.name: json_value(row[c.name]) for c in tbl.primary_key.columns}


def _key_clause(tbl: Table, key: dict):
    missing = [c.name for c in tbl.primary_key.columns if c.name not in key]
    if missing:
        raise RecordWriteError(f"{tbl.name}: key {key!r} lacks {', '.join(missing)}")
    return and_(*(c == key[c.name] for c in tbl.primary_key.columns))


class Writer:
    """One write transaction on one stream (its chain head locked for the whole transaction)."""

    def __init__(self, con: Connection, stream: str, actor: str, last: tuple[int, str]):
        self.con, self.stream, self.actor = con, stream, actor
        self._seq, self._hash = last
        self.events: list[dict] = []

    def _table(self, name: str) -> Table:
        tbl = schema.table(name)
        if schema.PROJECTED[name] != self.stream:
            raise RecordWriteError(f"{name} is written only by the {schema.PROJECTED[name]!r} stream, not {self.stream!r}")
        return tbl

    def _fetch(self, tbl: Table, key: dict):
        return self.con.execute(select(tbl).where(_key_clause(tbl, key))).first()

    def get(self, name: str, key: dict) -> dict | None:
        """The row `key` of table `name` as it stands inside this transaction (None when absent)."""
        found = self._fetch(schema.table(name), key)
        return None if found is None else dict(found._mapping)

    def next_id(self, name: str, column: str, prefix: str) -> str:
        """The next id of a record kind, e.g. ToR-0003: one past the highest number held (safe: the stream's
        head is locked, so no other writer of this table is between this read and the insert)."""
        tbl = self._table(name)
        ids = self.con.execute(select(tbl.c[column]).where(tbl.c[column].like(f"{prefix}-%"))).scalars()
        numbers = [int(i.split("-", 1)[1]) for i in ids if i.split("-", 1)[1].isdigit()]
        return f"{prefix}-{max(numbers, default=0) + 1:04d}"

    def insert(self, name: str, row: dict, *, action: str, detail: dict | None = None) -> dict:
        tbl = self._table(name)
        self.con.execute(tbl.insert().values(**_stored(row)))
        image = row_image(self._fetch(tbl, key_of(tbl, row)))
        self._append("insert", name, key_of(tbl, row), image, action, detail)
        return image

    def update(self, name: str, key: dict, changes: dict, *, action: str, detail: dict | None = None) -> dict:
        tbl = self._table(name)
        done = self.con.execute(tbl.update().where(_key_clause(tbl, key)).values(**_stored(changes)))
        if done.rowcount != 1:
            raise RecordWriteError(f"{name} {key!r}: no such record to change")
        image = row_image(self._fetch(tbl, key))
        self._append("update", name, {k: json_value(v) for k, v in key.items()}, image, action, detail)
        return image

    def delete(self, name: str, key: dict, *, action: str, detail: dict | None = None) -> None:
        tbl = self._table(name)
        done = self.con.execute(tbl.delete().where(_key_clause(tbl, key)))
        if done.rowcount != 1:
            raise RecordWriteError(f"{name} {key!r}: no such record to remove")
        self._append("delete", name, {k: json_value(v) for k, v in key.items()}, None, action, detail)

    def note(self, *, action: str, detail: dict) -> None:
        """An event that changes no row: a refusal (who tried what, and why not), a sign-in, an import."""
        self._append("note", None, None, None, action, detail)

    def _append(self, op: str, name: str | None, key: dict | None, image: dict | None, action: str,
                detail: dict | None) -> None:
        payload = {"op": op, "table": name, "key": key, "row": image, "action": action, "detail": detail}
        payload_json = canonical_json(payload)
        event_at = datetime.now(timezone.utc)
        user = os_user()
        seq = self._seq + 1
        digest = event_hash(self.stream, event_at, self.actor, user, payload_json, self._hash)
        self.con.execute(schema.event.insert().values(
            stream=self.stream, seq=seq, event_at=event_at, actor=self.actor, os_user=user,
            payload_json=payload_json, prev_hash=self._hash, hash=digest))
        self.con.execute(schema.chain_head.update().where(schema.chain_head.c.stream == self.stream)
                         .values(seq=seq, hash=digest))
        self._seq, self._hash = seq, digest
        self.events.append({"seq": seq, "hash": digest, **payload})


def _lock_head(con: Connection, stream: str) -> tuple[int, str]:
    """Lock the stream's head row for this transaction (creating it at (0, genesis) when new) and return it."""
    head = schema.chain_head
    dialect = con.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    con.execute(insert(head).values(stream=stream, seq=0, hash=GENESIS).on_conflict_do_nothing())
    found = con.execute(select(head.c.seq, head.c.hash).where(head.c.stream == stream).with_for_update()).one()
    # The head and the newest event must agree before anything is added on top (else verify reports it first).
    newest = con.execute(select(func.max(schema.event.c.seq)).where(schema.event.c.stream == stream)).scalar()
    if (newest or 0) != found.seq:
        raise RecordWriteError(f"stream {stream!r}: its chain head (event {found.seq}) does not match its newest "
                               f"event ({newest or 0}); run `tasking verify` before writing")
    return found.seq, found.hash


@contextmanager
def write(store, stream: str, actor: str) -> Iterator[Writer]:
    if not actor or not str(actor).strip():
        raise RecordWriteError(f"{stream}: every change needs the account that makes it")
    with store.engine.begin() as con:
        writer = Writer(con, stream, str(actor), _lock_head(con, stream))
        yield writer
        if not writer.events:
            raise RecordWriteError(f"{stream}: a write must record what it changed")
    from tasking.records import anchor

    anchor.after_write(store)


def decode(payload_json: str) -> dict:
    try:
        return json.loads(payload_json)
    except ValueError:
        return {"unreadable": payload_json}
