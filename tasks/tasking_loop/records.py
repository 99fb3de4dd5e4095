"""What every tasking-loop record shares: the error, ids, names of people, and the one way to change a record
(the state table and a hash-chained event in the same transaction)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Iterator

from tasking import warehouse
from tasking.chain import append_event

STREAM_PREFIX = "tasking-loop"


class LoopError(Exception):
    """A tasking-loop change that is not allowed or not possible; the message names the record and why."""


def stream(kind: str) -> str:
    """The event-log stream of one kind of record (tor, strategy, meeting, action, profile)."""
    return f"{STREAM_PREFIX}:{kind}"


def now() -> datetime:
    return datetime.now(timezone.utc)


def person(name: str | None, role: str) -> str:
    """A person's name as given, trimmed; refused when blank, because every change says who made it."""
    if name is None or not str(name).strip():
        raise LoopError(f"the {role}'s name is required")
    return " ".join(str(name).split())


def same_person(a: str | None, b: str | None) -> bool:
    """Names compared without regard to case or spacing ('DI  Smith' is 'di smith')."""
    return bool(a and b) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def next_id(con, table: str, column: str, prefix: str) -> str:
    """The next id of a record kind, e.g. ToR-0003: one past the highest number held."""
    row = con.execute(
        f"SELECT coalesce(max(CAST(split_part({column}, '-', 2) AS INTEGER)), 0) FROM {table}"  # noqa: S608 (fixed names)
    ).fetchone()
    return f"{prefix}-{row[0] + 1:04d}"


def as_date(value: str | date | None, what: str) -> date | None:
    """'YYYY-MM-DD' (or a date, or None) -> date; refused with the field named when unreadable."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise LoopError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def crime_types(values) -> list[str]:
    """Crime types checked against the data.police.uk categories; a typo is refused here, not at build time."""
    from sources.internal import PUBLISHED_CATEGORIES

    names = [" ".join(v.split()) for given in (values or []) for v in str(given).split(",") if v.strip()]
    unknown = [n for n in names if n not in PUBLISHED_CATEGORIES]
    if unknown:
        raise LoopError(f"unknown crime type {', '.join(map(repr, unknown))}; data.police.uk types are: "
                        + ", ".join(PUBLISHED_CATEGORIES))
    return sorted(set(names))


def area_text(force: str, area: str | None) -> str | None:
    """The place as the Scope takes it (lsoa:, la:, bbox:, wkt:), checked now; None or '' = the whole force."""
    from tasks.indicators.scope import Scope, ScopeError

    if not area or not area.strip():
        return None
    try:
        Scope.from_area_text(force, "2000-01", "2000-01", area.strip())
    except ScopeError as error:
        raise LoopError(f"area {area!r}: {error}") from None
    return area.strip()


@dataclass
class Change:
    """One change in progress: the connection (inside a transaction) and the event it will append."""

    con: object
    event: dict = field(default_factory=dict)
    hash: str | None = None


@contextmanager
def change(warehouse_file, kind: str, actor: str) -> Iterator[Change]:
    """Open the warehouse and start a transaction; the body changes the state through `.con` and says what it
    did in `.event`; then the event is appended to the hash chain of `kind` and both commit, or neither."""
    with warehouse.connect(warehouse_file) as con:
        con.execute("BEGIN TRANSACTION")
        current = Change(con)
        try:
            yield current
            if not current.event:
                raise RuntimeError(f"a {kind} change must say what it changed")
            current.hash = append_event(con, stream(kind), actor, current.event)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def refuse(warehouse_file, kind: str, actor: str, event: dict, reason: str) -> LoopError:
    """Log a refused change (who tried what, and why not) and return the error to raise."""
    with warehouse.connect(warehouse_file) as con:
        append_event(con, stream(kind), actor or "(unnamed)", {**event, "refused": reason})
    return LoopError(reason)


def one_row(con, table: str, column: str, key: str, missing: str) -> dict:
    """The record `key` of `table` as a dict; `missing` is the error when there is none (table and column are
    this package's fixed names, never user input)."""
    found = con.execute(f"SELECT * FROM {table} WHERE {column} = ?", [key]).df()  # noqa: S608
    if found.empty:
        raise LoopError(missing)
    return found.iloc[0].to_dict()


KINDS = ("tor", "strategy", "meeting", "action", "profile")


def verify_all(warehouse_file) -> dict[str, list[str]]:
    """{stream: problems} for every tasking-loop stream (edited, deleted or reordered events; empty when intact)."""
    from tasking.chain import verify_chain

    with warehouse.reading(warehouse_file) as con:
        return {stream(kind): verify_chain(con, stream(kind)) for kind in KINDS}


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)
