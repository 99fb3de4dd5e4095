"""Who may approve products: reviewers registered with a role, kept in the hash-chained `reviewers` stream.

The national guidance has products reviewed by senior intelligence staff before they reach a tasking group, so
a decision needs a registered reviewer, never the draft's author and never the pipeline itself. Registering and
removing reviewers are events in `event_log` (who did it, as which OS user, when), so the register cannot be
edited quietly; the current register is the fold of those events.
"""
from __future__ import annotations

import os

from tasking import chain, warehouse

STREAM = "reviewers"
ROLES = {
    "senior-analyst": "senior intelligence analyst",
    "intelligence-manager": "intelligence manager / supervisor",
    "head-of-intelligence": "head of intelligence",
}
# The name the pipeline signs its machine drafts with (tasks.draft uses it as the default author).
PIPELINE_AUTHOR = "tasking pipeline (machine draft)"


class ReviewerError(Exception):
    """A reviewer that may not be registered or may not decide; the message says who and why."""


def norm(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def pipeline_names() -> set[str]:
    """Names the pipeline itself signs with: the built-in one and `$TASKING_AUTHOR` of this process."""
    names = {norm(PIPELINE_AUTHOR)}
    if os.environ.get("TASKING_AUTHOR"):
        names.add(norm(os.environ["TASKING_AUTHOR"]))
    return names


def is_pipeline(name: str) -> bool:
    return norm(name) in pipeline_names() or "tasking pipeline" in norm(name)


def register_from(con) -> dict[str, dict]:
    """{normalised name: {"name", "role", "added_by", "os_user", "at"}} for every reviewer currently registered."""
    current: dict[str, dict] = {}
    for event in chain.read_events(con, STREAM):
        payload = event["payload"]
        key = norm(payload.get("name"))
        if payload.get("action") == "add":
            current[key] = {"name": payload.get("name"), "role": payload.get("role"), "added_by": event["actor"],
                            "os_user": event["os_user"], "at": event["event_at"]}
        elif payload.get("action") == "remove":
            current.pop(key, None)
    return current


def role_of(con, name: str) -> str | None:
    found = register_from(con).get(norm(name))
    return found["role"] if found else None


def add(warehouse_file, name: str, role: str, added_by: str) -> dict:
    """Register `name` with `role` (one of ROLES); refuses the pipeline's own name and blank names."""
    if not name or not name.strip():
        raise ReviewerError("a reviewer needs a name")
    if role not in ROLES:
        raise ReviewerError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if is_pipeline(name):
        raise ReviewerError(f"{name!r} is the pipeline's own author name; it drafts products and cannot review them")
    if not added_by or not added_by.strip():
        raise ReviewerError("say who is registering the reviewer (--by)")
    with warehouse.connect(warehouse_file) as con:
        chain.append_event(con, STREAM, added_by.strip(), {"action": "add", "name": " ".join(name.split()), "role": role})
        return register_from(con)[norm(name)]


def remove(warehouse_file, name: str, removed_by: str) -> None:
    with warehouse.connect(warehouse_file) as con:
        if norm(name) not in register_from(con):
            raise ReviewerError(f"{name!r} is not a registered reviewer (see `tasking review reviewer list`)")
        chain.append_event(con, STREAM, removed_by.strip() or "?", {"action": "remove", "name": " ".join(name.split())})


def listed(warehouse_file) -> list[dict]:
    with warehouse.reading(warehouse_file) as con:
        return sorted(register_from(con).values(), key=lambda r: norm(r["name"]))


def decision_refusal(con, reviewer: str, author: str | None) -> str | None:
    """Why `reviewer` may not decide a version drafted by `author`, or None when they may."""
    if is_pipeline(reviewer):
        return f"{reviewer!r} is the pipeline's own name; a machine draft must be decided by a person"
    if author and norm(reviewer) == norm(author):
        return f"{reviewer!r} is the author of this draft; another reviewer must decide it"
    if role_of(con, reviewer) is None:
        return (f"{reviewer!r} is not a registered reviewer; register senior intelligence staff with "
                f"`tasking review reviewer add NAME --role ROLE --by YOU`")
    return None
