"""Terms of reference: what a profile is asked to answer, drawn up and agreed before the profile is started.

A ToR is proposed (by the author, or by a meeting commissioning a profile) with its requester, author, product
kind, scope (force, area, crime types, period), questions, deadline and marking; only the requester can agree
it (`proposed -> agreed`), and a profile is built only from an agreed ToR. Withdrawing ends a ToR that was not
needed. Every change is an event in the hash-chained log.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from tasking import warehouse
from tasks.indicators.scope import ScopeError, parse_month, require_force_held
from tasks.tasking_loop.records import (LoopError, area_text, as_date, change, crime_types, next_id, now, one_row,
                                        person, refuse, same_person)

PRODUCT_KINDS = ("problem_profile", "subject_profile")
STATUSES = ("proposed", "agreed", "withdrawn")


@dataclass(frozen=True)
class TermsOfReference:
    tor_id: str
    force: str
    product_kind: str
    title: str
    requester: str
    author: str
    area: str | None
    crime_types: tuple[str, ...]
    nominal_id: str | None
    period_from: date
    period_to: date | None
    questions: tuple[str, ...]
    deadline: date | None
    marking: str
    status: str
    commissioned_by: str | None
    proposed_by: str
    proposed_at: datetime
    agreed_by: str | None
    agreed_at: datetime | None

    @property
    def agreed(self) -> bool:
        return self.status == "agreed"

    def period_text(self) -> str:
        last = self.period_to.strftime("%Y-%m") if self.period_to else "the latest month held"
        return f"{self.period_from:%Y-%m} to {last}"

    def as_text(self) -> str:
        """The ToR as printed first in the product: id, parties, agreement, scope, questions, deadline."""
        agreed = (f"agreed by {self.agreed_by} on {pd.Timestamp(self.agreed_at):%Y-%m-%d %H:%M} UTC"
                  if self.agreed else f"NOT AGREED ({self.status})")
        questions = " ".join(f"({i}) {q}" for i, q in enumerate(self.questions, start=1))
        parts = [f"{self.tor_id}, {agreed}.", f"Requester: {self.requester}. Author: {self.author}.",
                 f"{self.title}.", f"Scope: {', '.join(self.crime_types) or 'all crime'} in "
                 f"{self.area or 'the whole force'}, {self.period_text()}.", f"Questions: {questions}"]
        if self.deadline:
            parts.append(f"Deadline: {self.deadline:%Y-%m-%d}.")
        if self.commissioned_by:
            parts.append(f"Commissioned by {self.commissioned_by}.")
        return " ".join(parts)


def _from_row(row: dict) -> TermsOfReference:
    def day(value):
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    def stamp(value):
        return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()

    def text(value):
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else value

    return TermsOfReference(
        row["tor_id"], row["force"], row["product_kind"], row["title"], row["requester"], row["author"],
        text(row["area"]), tuple(json.loads(row["crime_types_json"])), text(row["nominal_id"]),
        day(row["period_from"]), day(row["period_to"]), tuple(json.loads(row["questions_json"])), day(row["deadline"]),
        row["marking"], row["status"], text(row["commissioned_by"]), row["proposed_by"], stamp(row["proposed_at"]),
        text(row["agreed_by"]), stamp(row["agreed_at"]))


def _month(value, what: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return parse_month(value)
    except ScopeError as error:
        raise LoopError(f"{what}: {error}") from None


def insert_proposal(con, *, force: str, product_kind: str, title: str, requester: str, author: str,
                    area: str | None, types: list[str], nominal_id: str | None, period_from: date,
                    period_to: date | None, questions: list[str], deadline: date | None, marking: str,
                    commissioned_by: str | None, proposed_by: str) -> dict:
    """Insert a proposed ToR on an open transaction (used by `propose` and by a meeting's commission);
    returns the event payload."""
    tor_id = next_id(con, "terms_of_reference", "tor_id", "ToR")
    at = now()
    con.execute(
        "INSERT INTO terms_of_reference (tor_id, force, product_kind, title, requester, author, area, crime_types_json,"
        " nominal_id, period_from, period_to, questions_json, deadline, marking, status, commissioned_by, proposed_by,"
        " proposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?)",
        [tor_id, force, product_kind, title, requester, author, area, json.dumps(types), nominal_id, period_from,
         period_to, json.dumps(questions), deadline, marking, commissioned_by, proposed_by, at])
    return {"event": "tor.proposed", "tor_id": tor_id, "force": force, "product_kind": product_kind, "title": title,
            "requester": requester, "author": author, "area": area, "crime_types": types, "nominal_id": nominal_id,
            "period_from": period_from, "period_to": period_to, "questions": questions, "deadline": deadline,
            "marking": marking, "commissioned_by": commissioned_by}


def checked_proposal(*, force: str, product_kind: str, title: str, requester: str, author: str,
                     area: str | None = None, types=(), nominal_id: str | None = None,
                     period_from: str | date, period_to: str | date | None = None, questions=(),
                     deadline: str | date | None = None, marking: str = "OFFICIAL-SENSITIVE") -> dict:
    """Every field of a proposal checked, with one clear error for the first bad one."""
    from tasks.render import check_marking

    if product_kind not in PRODUCT_KINDS:
        raise LoopError(f"product kind {product_kind!r}: a terms of reference is for one of {', '.join(PRODUCT_KINDS)}")
    if not force or not force.strip():
        raise LoopError("a terms of reference needs the force")
    if not title or not title.strip():
        raise LoopError("a terms of reference needs a title saying what the problem or subject is")
    questions = [" ".join(q.split()) for q in questions if q and q.strip()]
    if not questions:
        raise LoopError("a terms of reference needs at least one question for the product to answer")
    first, last = _month(period_from, "period from"), _month(period_to, "period to")
    if first is None:
        raise LoopError("a terms of reference needs the first month of its period (YYYY-MM)")
    if last is not None and last < first:
        raise LoopError(f"period ends ({last:%Y-%m}) before it starts ({first:%Y-%m})")
    if product_kind == "subject_profile" and not (nominal_id and nominal_id.strip()):
        raise LoopError("a subject profile's terms of reference needs the nominal id")
    try:
        marking = check_marking(marking)
    except ValueError as error:
        raise LoopError(str(error)) from None
    return dict(force=force.strip(), product_kind=product_kind, title=" ".join(title.split()),
                requester=person(requester, "requester"), author=person(author, "author"),
                area=area_text(force.strip(), area), types=crime_types(types),
                nominal_id=nominal_id.strip() if nominal_id else None, period_from=first, period_to=last,
                questions=questions, deadline=as_date(deadline, "deadline"), marking=marking)


def propose(warehouse_file, *, proposed_by: str, commissioned_by: str | None = None, **fields) -> TermsOfReference:
    """Record a proposed ToR (fields as `checked_proposal`); returns it with its new id."""
    checked = checked_proposal(**fields)
    by = person(proposed_by, "proposer")
    if checked["product_kind"] == "problem_profile":  # a mistyped force is named now, not when the profile is built
        with warehouse.reading(warehouse_file) as con:
            try:
                require_force_held(con, checked["force"])
            except ScopeError as error:
                raise LoopError(str(error)) from None
    with change(warehouse_file, "tor", by) as c:
        c.event = insert_proposal(c.con, **checked, commissioned_by=commissioned_by, proposed_by=by)
    return get(warehouse_file, c.event["tor_id"])


def get(warehouse_file, tor_id: str) -> TermsOfReference:
    with warehouse.reading(warehouse_file) as con:
        return _from_row(one_row(con, "terms_of_reference", "tor_id", tor_id,
                                 f"{tor_id}: no such terms of reference (see `tasking tor list`)"))


def agree(warehouse_file, tor_id: str, by: str, comment: str | None = None) -> TermsOfReference:
    """`proposed -> agreed`, by the requester only: the person who asked for the product agrees what it answers."""
    tor = get(warehouse_file, tor_id)
    attempt = {"event": "tor.agreed", "tor_id": tor_id, "comment": comment}
    if not by or not by.strip():
        raise refuse(warehouse_file, "tor", by, attempt, f"{tor_id}: agreeing needs the requester's name")
    if tor.status != "proposed":
        raise refuse(warehouse_file, "tor", by, attempt,
                     f"{tor_id} is {tor.status}" + (f" (by {tor.agreed_by})" if tor.agreed_by else "")
                     + "; only a proposed terms of reference can be agreed")
    if not same_person(by, tor.requester):
        raise refuse(warehouse_file, "tor", by, attempt,
                     f"{tor_id}: only the requester ({tor.requester}) can agree this terms of reference, not {by.strip()}")
    with change(warehouse_file, "tor", person(by, "requester")) as c:
        done = c.con.execute("UPDATE terms_of_reference SET status = 'agreed', agreed_by = ?, agreed_at = ?"
                             " WHERE tor_id = ? AND status = 'proposed' RETURNING tor_id",
                             [tor.requester, now(), tor_id]).fetchall()
        if not done:
            raise LoopError(f"{tor_id}: changed by someone else meanwhile; look again with `tasking tor show {tor_id}`")
        c.event = attempt
    return get(warehouse_file, tor_id)


def withdraw(warehouse_file, tor_id: str, by: str, reason: str) -> TermsOfReference:
    """End a proposed ToR that is no longer wanted (an agreed one ends by closing its profile)."""
    tor = get(warehouse_file, tor_id)
    attempt = {"event": "tor.withdrawn", "tor_id": tor_id, "reason": reason}
    if not reason or not reason.strip():
        raise LoopError(f"{tor_id}: withdrawing needs a reason")
    if tor.status != "proposed":
        raise refuse(warehouse_file, "tor", by, attempt, f"{tor_id} is {tor.status}; only a proposed terms of reference "
                     "can be withdrawn (close an agreed one's profile with `tasking profile close`)")
    with change(warehouse_file, "tor", person(by, "withdrawer")) as c:
        c.con.execute("UPDATE terms_of_reference SET status = 'withdrawn' WHERE tor_id = ?", [tor_id])
        c.event = attempt
    return get(warehouse_file, tor_id)


def require_agreed(warehouse_file, tor_id: str, kind: str | None = None) -> TermsOfReference:
    """The ToR a product is built from: refused unless it exists, is agreed, and is for this kind of product."""
    tor = get(warehouse_file, tor_id)
    if not tor.agreed:
        raise LoopError(f"{tor_id} is {tor.status}, not agreed: a profile is built only from a terms of reference its "
                        f"requester ({tor.requester}) has agreed (`tasking tor agree {tor_id} --by NAME`)")
    if kind is not None and tor.product_kind != kind:
        raise LoopError(f"{tor_id} is for a {tor.product_kind.replace('_', ' ')}, not a {kind.replace('_', ' ')}")
    return tor


def list_tors(warehouse_file, *, force: str | None = None, status: str | None = None) -> pd.DataFrame:
    if status is not None and status not in STATUSES:
        raise LoopError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    with warehouse.reading(warehouse_file) as con:
        return con.execute(
            "SELECT tor_id, force, product_kind, title, requester, author, status, deadline, commissioned_by, agreed_by,"
            " agreed_at FROM terms_of_reference WHERE (CAST(? AS VARCHAR) IS NULL OR force = ?)"
            " AND (CAST(? AS VARCHAR) IS NULL OR status = ?) ORDER BY tor_id", [force, force, status, status]).df()
