"""Verify the records store: every chain intact, every table a person reads equal to what its chain says, and the
chain heads still those anchored outside the database. An empty list means intact; each problem names the record.

After a clean verify the current heads are anchored too, so the next truncation is caught from this point.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from tasking.chain import chain_problems
from tasking.records import anchor, schema
from tasking.records.writer import decode, row_image


def _events(con) -> dict[str, list[dict]]:
    by_stream: dict[str, list[dict]] = defaultdict(list)
    rows = con.execute(select(schema.event).order_by(schema.event.c.stream, schema.event.c.seq))
    for row in rows:
        found = dict(row._mapping)
        found["payload"] = decode(found["payload_json"])
        by_stream[found["stream"]].append(found)
    return by_stream


def _key_text(key: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(key.items()))


def projection_problems(con, by_stream: dict[str, list[dict]]) -> list[str]:
    """Each row of each projected table against the image its chain last wrote (edited, deleted, added)."""
    expected: dict[str, dict[tuple, tuple]] = defaultdict(dict)  # table -> key -> (image or None, stream, seq)
    found: list[str] = []
    for stream, events in by_stream.items():
        for e in events:
            payload = e["payload"]
            name = payload.get("table")
            if payload.get("op") not in ("insert", "update", "delete") or name not in schema.PROJECTED:
                continue
            if schema.PROJECTED[name] != stream:
                found.append(f"{stream}: event {e['seq']} writes {name}, which only {schema.PROJECTED[name]!r} writes")
                continue
            key = tuple(sorted((payload.get("key") or {}).items()))
            expected[name][key] = (payload.get("row") if payload["op"] != "delete" else None, stream, e["seq"])
    for name in schema.PROJECTED:
        tbl = schema.metadata.tables[name]
        key_columns = [c.name for c in tbl.primary_key.columns]
        actual = {}
        for row in con.execute(select(tbl)):
            image = row_image(row)
            actual[tuple(sorted((k, image[k]) for k in key_columns))] = image
        for key, (image, stream, seq) in expected[name].items():
            label = f"{name} {_key_text(dict(key))}"
            held = actual.get(key)
            if image is None:
                if held is not None:
                    found.append(f"{label}: present, but {stream} event {seq} removed it (added back outside tasking)")
                continue
            if held is None:
                found.append(f"{label}: missing, but {stream} event {seq} wrote it (deleted outside tasking)")
                continue
            for column, value in image.items():
                if held.get(column) != value:
                    found.append(f"{label}: {column} is {held.get(column)!r} in the table but {value!r} in "
                                 f"{stream} event {seq} (edited outside tasking)")
        for key in actual.keys() - expected[name].keys():
            found.append(f"{name} {_key_text(dict(key))}: no event wrote it (added outside tasking)")
    return found


def verify(store, *, anchor_when_clean: bool = True) -> list[str]:
    """Every problem with the store (empty when intact)."""
    with store.read() as con:
        by_stream = _events(con)
        heads = {r.stream: (r.seq, r.hash) for r in con.execute(select(schema.chain_head)) if r.seq > 0}
        problems: list[str] = []
        for stream in sorted(set(by_stream) | set(heads)):
            problems += chain_problems(stream, by_stream.get(stream, []), heads.get(stream))
        problems += projection_problems(con, by_stream)
        current = anchor.heads(con)
    hashes = {(e["stream"], e["seq"]): e["hash"] for events in by_stream.values() for e in events}
    problems += anchor.problems(store, hashes, bool(hashes))
    if not problems and anchor_when_clean and current and anchor.newest_heads(store) != current:
        anchor.append(store, current)
    return problems
