"""Append-only, hash-chained event streams: the audit trail that shows when it has been rewritten.

Every event is one `event_log` row in a named stream (`review`, `subjects-access`, ...). Its hash covers the
stream, time, actor, OS user, payload and the previous row's hash, so:

- editing a row changes what its hash should be (reported as *edited*);
- deleting a row leaves the next row pointing at a hash that is no longer there, and a gap in `seq` (*deleted*);
- moving rows leaves a row pointing at a hash that now comes after it (*reordered*);
- deleting the newest rows is caught by `event_chain_head`, written in the same transaction as each event.

A plain hash chain cannot stop someone who rewrites the whole stream and its head with the same code; record the
head hash printed by `tasking review verify` elsewhere (a meeting minute, a ticket) to pin it. Only this module
writes to `event_log`.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
from datetime import datetime, timezone

import duckdb

GENESIS = ""


def os_user() -> str:
    """Who the operating system says is running this process: the account of the effective uid, never $USER or
    $LOGNAME (which anyone can set), nor a name typed on the command line."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # no passwd entry (e.g. a container uid)
        return f"uid:{os.geteuid()}"


def canonical_json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(stream: str, event_at: datetime, actor: str, user: str, payload_json: str, prev_hash: str) -> str:
    # The sequence number is deliberately left out: order is carried by prev_hash, so a moved row reads as
    # "reordered" rather than as an edit of every row it passed.
    body = json.dumps([stream, _utc_text(event_at), actor, user, payload_json, prev_hash], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the caller holds an open transaction: inside one, two statements share a transaction id.

    (Trying BEGIN and catching the error would abort the caller's transaction in DuckDB.)
    """
    first = con.execute("SELECT txid_current()").fetchone()[0]
    return con.execute("SELECT txid_current()").fetchone()[0] == first


def _begin_if_needed(con: duckdb.DuckDBPyConnection) -> bool:
    """Start a transaction unless the caller already holds one (then the caller's commit covers the event)."""
    if in_transaction(con):
        return False
    con.execute("BEGIN TRANSACTION")
    return True


def append_event(con: duckdb.DuckDBPyConnection, stream: str, actor: str, payload: dict) -> str:
    """Append one event to `stream` and return its hash.

    Inside the caller's transaction when there is one (so the event commits or rolls back with the change it
    records), otherwise in its own.
    """
    own = _begin_if_needed(con)
    try:
        last = con.execute(
            "SELECT seq, hash FROM event_log WHERE stream = ? ORDER BY seq DESC LIMIT 1", [stream]
        ).fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event_at = datetime.now(timezone.utc)
        user = os_user()
        payload_json = canonical_json(payload)
        digest = event_hash(stream, event_at, actor, user, payload_json, prev_hash)
        con.execute(
            "INSERT INTO event_log (stream, seq, event_at, actor, os_user, payload_json, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [stream, seq, event_at, actor, user, payload_json, prev_hash, digest],
        )
        con.execute(
            "INSERT INTO event_chain_head (stream, seq, hash) VALUES (?, ?, ?)"
            " ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            [stream, seq, digest],
        )
        if own:
            con.execute("COMMIT")
    except BaseException:
        if own:
            con.execute("ROLLBACK")
        raise
    return digest


def read_events(con: duckdb.DuckDBPyConnection, stream: str) -> list[dict]:
    """Every event of `stream` in sequence order, payload decoded (unreadable JSON kept as text)."""
    rows = con.execute(
        "SELECT seq, event_at, actor, os_user, payload_json, prev_hash, hash FROM event_log"
        " WHERE stream = ? ORDER BY seq", [stream]
    ).fetchall()
    events = []
    for seq, event_at, actor, user, payload_json, prev_hash, digest in rows:
        try:
            payload = json.loads(payload_json)
        except ValueError:
            payload = {"unreadable": payload_json}
        events.append({"seq": seq, "event_at": event_at, "actor": actor, "os_user": user, "payload": payload,
                       "payload_json": payload_json, "prev_hash": prev_hash, "hash": digest})
    return events


def head(con: duckdb.DuckDBPyConnection, stream: str) -> tuple[int, str] | None:
    """(seq, hash) of the newest event recorded for the stream, or None when it has none."""
    row = con.execute("SELECT seq, hash FROM event_chain_head WHERE stream = ?", [stream]).fetchone()
    return (row[0], row[1]) if row else None


def verify_chain(con: duckdb.DuckDBPyConnection, stream: str) -> list[str]:
    """Problems found in `stream`, one sentence each (empty when the chain is intact).

    Each sentence says *edited*, *deleted* or *reordered* and the sequence numbers involved.
    """
    return chain_problems(stream, read_events(con, stream), head(con, stream))


def chain_problems(stream: str, events: list[dict], recorded_head: tuple[int, str] | None) -> list[str]:
    """The check behind `verify_chain`, on events already read (each with seq, event_at, actor, os_user,
    payload_json, prev_hash, hash, in seq order) and the recorded head: shared by every store that chains."""
    problems: list[str] = []
    position_of_hash = {e["hash"]: i for i, e in enumerate(events)}
    expected_seq = 1
    previous_hash = GENESIS
    for i, event in enumerate(events):
        seq = event["seq"]
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            problems.append(f"{stream}: event(s) {missing} deleted (sequence jumps to {seq})")
        recomputed = event_hash(stream, event["event_at"], event["actor"], event["os_user"],
                                event["payload_json"], event["prev_hash"])
        if recomputed != event["hash"]:
            problems.append(f"{stream}: event {seq} edited (its content no longer matches its hash)")
        if event["prev_hash"] != previous_hash:
            later = position_of_hash.get(event["prev_hash"])
            if later is not None and later > i:
                problems.append(f"{stream}: event {seq} reordered (it follows an event now stored after it)")
            elif event["prev_hash"] == GENESIS:
                problems.append(f"{stream}: event {seq} reordered (the first event of the stream is stored at {seq})")
            elif later is None:
                problems.append(f"{stream}: the event before {seq} was deleted or edited (its hash is no longer in the log)")
            else:
                problems.append(f"{stream}: event {seq} reordered (it does not follow the event stored before it)")
        previous_hash = event["hash"]
        expected_seq = seq + 1
    if recorded_head is None:
        if events:
            problems.append(f"{stream}: the chain head is missing (deleted) although {len(events)} events exist")
    else:
        head_seq, head_hash = recorded_head
        last_seq = events[-1]["seq"] if events else 0
        if last_seq < head_seq:
            problems.append(f"{stream}: event(s) {last_seq + 1}-{head_seq} deleted (the chain head is at {head_seq})")
        elif not events or events[-1]["hash"] != head_hash:
            problems.append(f"{stream}: the newest event does not match the chain head (edited, deleted or added outside tasking)")
    return problems


def streams(con: duckdb.DuckDBPyConnection, prefix: str = "") -> list[str]:
    """Every stream name (events or head) starting with `prefix`."""
    rows = con.execute(
        "SELECT stream FROM event_log WHERE starts_with(stream, ?) UNION SELECT stream FROM event_chain_head"
        " WHERE starts_with(stream, ?) ORDER BY 1", [prefix, prefix]
    ).fetchall()
    return [r[0] for r in rows]
