"""Subject profiles go through the same review as products: a registered reviewer who did not request the
profile approves or rejects it, once; each draft and decision is a chained event in the subject store.

Profiles stay in the subject store (never the warehouse), so their review log does too (stream
`subject-profiles`); the reviewer register is the warehouse's (tasks/reviewers.py).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from tasking import chain, warehouse
from tasks import reviewers
from tasks.subjects import SubjectAccessError, connect

STREAM = "subject-profiles"
DECISIONS = {"APPROVED": "approved", "REJECTED": "rejected"}


def record_drafted(con, profile_id: str, requested_by: str, pdf_sha256: str, html_sha256: str) -> None:
    chain.append_event(con, STREAM, requested_by, {"profile_id": profile_id, "action": "drafted",
                                                   "pdf_sha256": pdf_sha256, "html_sha256": html_sha256})


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def file_problems(row: dict) -> list[str]:
    folder = Path(row["folder"])
    problems = []
    for name, recorded in (("subject-profile.pdf", row["pdf_sha256"]), ("subject-profile.html", row["html_sha256"])):
        current = _sha256(folder / name)
        if current is None:
            problems.append(f"{name}: missing")
        elif current != recorded:
            problems.append(f"{name}: changed since it was drafted")
    return problems


def _row(con, profile_id: str) -> dict:
    found = con.execute("SELECT * FROM profile_version WHERE profile_id = ?", [profile_id]).df()
    if found.empty:
        raise SubjectAccessError(f"{profile_id}: no such subject profile")
    return found.iloc[0].to_dict()


def decide(subjects_file, warehouse_file, profile_id: str, to_status: str, reviewer: str, comment: str | None) -> dict:
    """Approve or reject a DRAFT subject profile; refusals (unregistered, the requester, the pipeline) are logged."""
    reviewer = " ".join((reviewer or "").split())
    if not reviewer:
        raise SubjectAccessError(f"{profile_id}: a reviewer name is required")
    action = DECISIONS[to_status]
    with connect(subjects_file) as con:
        row = _row(con, profile_id)
        if warehouse.warehouse_path(warehouse_file).exists():
            with warehouse.connect(warehouse_file, read_only=True) as wcon:
                refusal = reviewers.decision_refusal(wcon, reviewer, row["requested_by"])
                role = reviewers.role_of(wcon, reviewer)
        else:
            refusal, role = f"{reviewer!r} is not a registered reviewer (no warehouse holds a reviewer register)", None
        if row["status"] != "DRAFT":
            refusal = f"it is {row['status']} (by {row['decided_by']}); only a DRAFT can be decided"
        problems = file_problems(row)
        if not refusal and problems:
            refusal = "its files differ from those drafted: " + "; ".join(problems)
        if refusal:
            chain.append_event(con, STREAM, reviewer, {"profile_id": profile_id, "action": "refused",
                                                       "comment": f"refused {action}: {refusal}"})
            raise SubjectAccessError(f"{profile_id}: {refusal}")
        with warehouse.transaction(con):
            con.execute("UPDATE profile_version SET status = ?, decided_by = ?, decided_at = ? WHERE profile_id = ?",
                        [to_status, reviewer, datetime.now(timezone.utc), profile_id])
            chain.append_event(con, STREAM, reviewer, {"profile_id": profile_id, "action": action, "role": role,
                                                       "comment": comment, "pdf_sha256": row["pdf_sha256"]})
        return _row(con, profile_id)


def verify(subjects_file=None) -> list[str]:
    """The profiles' review chain, and every profile row and its files against it."""
    with connect(subjects_file) as con:
        problems = chain.verify_chain(con, STREAM)
        events: dict[str, list[dict]] = {}
        for event in chain.read_events(con, STREAM):
            events.setdefault(event["payload"].get("profile_id"), []).append(event)
        rows = con.execute("SELECT * FROM profile_version ORDER BY profile_id").df().to_dict("records")
    for row in rows:
        mine = events.get(row["profile_id"], [])
        drafted = [e["payload"] for e in mine if e["payload"].get("action") == "drafted"]
        if not drafted:
            problems.append(f"{row['profile_id']}: no chained `drafted` event (deleted, or drafted before profiles were reviewed)")
        elif (drafted[0].get("pdf_sha256"), drafted[0].get("html_sha256")) != (row["pdf_sha256"], row["html_sha256"]):
            problems.append(f"{row['profile_id']}: recorded hashes differ from those chained when drafted (the row was edited)")
        decisions = [e for e in mine if e["payload"].get("action") in DECISIONS.values()]
        expected = {v: k for k, v in DECISIONS.items()}[decisions[-1]["payload"]["action"]] if decisions else "DRAFT"
        if (row["status"] or "DRAFT") != expected:
            problems.append(f"{row['profile_id']}: status {row['status']} but the review log says {expected} (the row was edited)")
        problems += [f"{row['profile_id']}: {p}" for p in file_problems(row)]
    return problems
