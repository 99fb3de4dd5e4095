"""Chain heads anchored outside the database: an append-only file of JSON lines, one per write and per clean
verify, each holding every stream's newest (seq, hash), signed with HMAC-SHA256 when `$TASKING_ANCHOR_KEY` is set.

Someone who can rewrite the database can drop the newest events and fix the head, or rewrite a whole chain with
the same code; they cannot make the events an anchor line names reappear. Keep the file where the database's
writers cannot rewrite it (a write-once share, an append-only file system, a log shipper): docs/records.md.

Where (first that applies): `$TASKING_ANCHOR` (a file, or a folder holding `<instance_id>.jsonl`); the path the
store was opened with (config `records.anchor`); `anchors/<instance_id>.jsonl` beside a SQLite store, or under
`var/` for a server store.
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from tasking.records import schema

PATH_ENV = "TASKING_ANCHOR"
KEY_ENV = "TASKING_ANCHOR_KEY"


def anchor_path(store) -> Path:
    configured = os.environ.get(PATH_ENV) or getattr(store, "anchor", None)
    if configured:
        path = Path(configured)
        return path / f"{store.instance_id}.jsonl" if path.is_dir() or str(configured).endswith("/") else path
    from tasking.records.store import sqlite_file

    database = sqlite_file(store.url)
    folder = database.resolve().parent / "anchors" if database else Path("var").resolve() / "anchors"
    return folder / f"{store.instance_id}.jsonl"


def _key() -> bytes | None:
    key = os.environ.get(KEY_ENV)
    return key.encode("utf-8") if key else None


def _signature(body: dict, key: bytes) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def heads(con) -> dict[str, list]:
    rows = con.execute(select(schema.chain_head.c.stream, schema.chain_head.c.seq, schema.chain_head.c.hash)
                       .where(schema.chain_head.c.seq > 0).order_by(schema.chain_head.c.stream))
    return {stream: [seq, digest] for stream, seq, digest in rows}


def append(store, current: dict[str, list]) -> Path:
    """Append one line with `current` heads (signed when a key is set); returns the file."""
    path = anchor_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "instance_id": store.instance_id,
            "heads": current}
    key = _key()
    if key:
        body["hmac"] = _signature(body, key)
    line = (json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # whole lines only, even with writers in several processes
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def after_write(store) -> None:
    with store.read() as con:
        current = heads(con)
    append(store, current)


def newest_heads(store) -> dict | None:
    """The heads of the anchor file's last line (None when there is no file or no line)."""
    path = anchor_path(store)
    if not path.exists():
        return None
    entries = [e for e in lines(path) if "heads" in e]
    return entries[-1]["heads"] if entries else None


def lines(path: Path) -> list[dict]:
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            found.append({"line": number, **json.loads(text)})
        except ValueError:
            found.append({"line": number, "unreadable": text[:80]})
    return found


def problems(store, events: dict[tuple[str, int], str], has_events: bool) -> list[str]:
    """Where the database disagrees with the anchor file: `events` maps (stream, seq) to hash for every event."""
    path = anchor_path(store)
    if not path.exists():
        return [f"anchor file {path} is missing although the store holds events: the chain heads cannot be checked"
                " against a copy outside the database"] if has_events else []
    found: list[str] = []
    key = _key()
    checked: set[tuple[str, int, str]] = set()
    for entry in lines(path):
        where = f"{path.name} line {entry['line']}"
        if "unreadable" in entry:
            found.append(f"{where}: not a JSON line ({entry['unreadable']!r})")
            continue
        if entry.get("instance_id") != store.instance_id:
            found.append(f"{where}: belongs to records store {entry.get('instance_id')}, not this one ({store.instance_id})")
            continue
        if key:
            body = {k: v for k, v in entry.items() if k not in ("line", "hmac")}
            if "hmac" not in entry:
                found.append(f"{where}: unsigned although {KEY_ENV} is set (added without the key)")
            elif not hmac.compare_digest(entry["hmac"], _signature(body, key)):
                found.append(f"{where}: signature does not match (the line was edited or signed with another key)")
        for stream, (seq, digest) in sorted(entry.get("heads", {}).items()):
            if (stream, seq, digest) in checked:  # the same head anchored again (a verify with nothing new)
                continue
            checked.add((stream, seq, digest))
            held = events.get((stream, seq))
            if held is None:
                found.append(f"{stream}: event {seq}, anchored at {entry.get('at')}, is no longer in the database"
                             " (the chain was truncated or rewritten)")
            elif held != digest:
                found.append(f"{stream}: event {seq} differs from the one anchored at {entry.get('at')}"
                             " (the chain was rewritten)")
    return list(dict.fromkeys(found))
