"""The control strategy: priorities the ST&CG adopted after approving a strategic assessment.

Each adopted priority names crime types (and optionally a place, in the Scope's area text) and the intelligence
requirement it sets. The tactical assessment reports against every adopted priority first. A priority is
retired, with a reason, when the ST&CG drops it; it is never deleted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from tasking import warehouse
from tasks.tasking_loop.records import LoopError, area_text, change, crime_types, next_id, now, person, refuse


@dataclass(frozen=True)
class Priority:
    priority_id: str
    force: str
    label: str
    crime_types: tuple[str, ...]
    area: str | None
    intelligence_requirement: str
    strategic_version_id: str


def adopt(warehouse_file, strategic_version_id: str, *, label: str, types, requirement: str, by: str,
          area: str | None = None) -> Priority:
    """Record one adopted priority; refused unless the strategic assessment version is APPROVED."""
    attempt = {"event": "priority.adopted", "strategic_version_id": strategic_version_id, "label": label}
    with warehouse.reading(warehouse_file) as con:
        found = con.execute(
            "SELECT v.status, p.kind, p.force FROM product_version v JOIN product p USING (product_id)"
            " WHERE v.version_id = ?", [strategic_version_id]).fetchone()
    if found is None:
        raise LoopError(f"{strategic_version_id}: no such product version (see `tasking products --kind strategic`)")
    status, kind, force = found
    if kind != "strategic":
        raise LoopError(f"{strategic_version_id} is a {kind.replace('_', ' ')}; priorities are adopted from a strategic assessment")
    if status != "APPROVED":
        raise refuse(warehouse_file, "strategy", by, attempt,
                     f"{strategic_version_id} is {status}: the ST&CG adopts priorities from an approved strategic assessment")
    if not label or not label.strip():
        raise LoopError("a priority needs a label (e.g. 'Theft from the person in the night-time economy')")
    if not requirement or not requirement.strip():
        raise LoopError("a priority needs its intelligence requirement: what the force needs to know about it")
    types = crime_types(types)
    if not types:
        raise LoopError("a priority needs at least one crime type, so the tactical assessment can report against it")
    place = area_text(force, area)
    by = person(by, "ST&CG member recording the decision")
    with change(warehouse_file, "strategy", by) as c:
        priority_id = next_id(c.con, "control_priority", "priority_id", "CS")
        c.con.execute(
            "INSERT INTO control_priority (priority_id, force, strategic_version_id, label, crime_types_json, area,"
            " intelligence_requirement, status, adopted_by, adopted_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'adopted', ?, ?)",
            [priority_id, force, strategic_version_id, " ".join(label.split()), json.dumps(types), place,
             " ".join(requirement.split()), by, now()])
        c.event = {**attempt, "priority_id": priority_id, "force": force, "crime_types": types, "area": place,
                   "intelligence_requirement": requirement}
    return Priority(priority_id, force, " ".join(label.split()), tuple(types), place, " ".join(requirement.split()),
                    strategic_version_id)


def retire(warehouse_file, priority_id: str, by: str, reason: str) -> None:
    if not reason or not reason.strip():
        raise LoopError(f"{priority_id}: retiring a priority needs the reason")
    with change(warehouse_file, "strategy", person(by, "ST&CG member")) as c:
        done = c.con.execute("UPDATE control_priority SET status = 'retired', retired_by = ?, retired_at = ?,"
                             " retired_reason = ? WHERE priority_id = ? AND status = 'adopted' RETURNING priority_id",
                             [by, now(), reason, priority_id]).fetchall()
        if not done:
            raise LoopError(f"{priority_id}: no adopted priority with this id")
        c.event = {"event": "priority.retired", "priority_id": priority_id, "reason": reason}


def adopted(warehouse_file, force: str) -> list[Priority]:
    """The force's control strategy now: adopted priorities, oldest first."""
    frame = list_priorities(warehouse_file, force=force, status="adopted")
    return [Priority(r.priority_id, r.force, r.label, tuple(json.loads(r.crime_types_json)),
                     None if pd.isna(r.area) else r.area, r.intelligence_requirement, r.strategic_version_id)
            for r in frame.itertuples(index=False)]


def list_priorities(warehouse_file, *, force: str | None = None, status: str | None = None) -> pd.DataFrame:
    with warehouse.reading(warehouse_file) as con:
        return con.execute(
            "SELECT * FROM control_priority WHERE (CAST(? AS VARCHAR) IS NULL OR force = ?)"
            " AND (CAST(? AS VARCHAR) IS NULL OR status = ?) ORDER BY priority_id", [force, force, status, status]).df()
