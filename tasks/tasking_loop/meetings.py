"""TT&CG meetings: the tactical assessment version each took, its decisions, its actions (owner, due date,
targeted place and crime types, status) and its commissions of profiles, each of which proposes a ToR.

The next tactical assessment reads the previous meeting's actions back (`actions_of`) with their status and
their measured change (`tasks.tasking_loop.action_change`).
"""
from __future__ import annotations

import json
from datetime import date

import pandas as pd

from tasking import warehouse
from tasks.tasking_loop import tor as tor_records
from tasks.tasking_loop.records import (LoopError, area_text, as_date, change, crime_types, next_id, now, one_row,
                                        person)

ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")


def record_meeting(warehouse_file, *, force: str, held_on: str | date, chair: str, recorded_by: str,
                   tactical_version_id: str | None = None) -> str:
    """A TT&CG meeting; `tactical_version_id` is the tactical assessment it took (checked to be one for the force)."""
    held = as_date(held_on, "meeting date")
    if held is None:
        raise LoopError("a meeting needs the date it was held")
    if tactical_version_id:
        with warehouse.reading(warehouse_file) as con:
            found = con.execute("SELECT p.kind, p.force FROM product_version v JOIN product p USING (product_id)"
                                " WHERE v.version_id = ?", [tactical_version_id]).fetchone()
        if found is None:
            raise LoopError(f"{tactical_version_id}: no such product version (see `tasking products --kind tactical`)")
        if found != ("tactical", force):
            raise LoopError(f"{tactical_version_id} is a {found[0].replace('_', ' ')} for {found[1]}, not a tactical "
                            f"assessment for {force}")
    chair, by = person(chair, "chair"), person(recorded_by, "recorder")
    with change(warehouse_file, "meeting", by) as c:
        meeting_id = next_id(c.con, "tasking_meeting", "meeting_id", "MTG")
        c.con.execute("INSERT INTO tasking_meeting VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [meeting_id, force, held, chair, tactical_version_id, by, now()])
        c.event = {"event": "meeting.recorded", "meeting_id": meeting_id, "force": force, "held_on": held,
                   "chair": chair, "tactical_version_id": tactical_version_id}
    return meeting_id


def meeting(warehouse_file, meeting_id: str) -> dict:
    with warehouse.reading(warehouse_file) as con:
        found = one_row(con, "tasking_meeting", "meeting_id", meeting_id,
                        f"{meeting_id}: no such meeting (see `tasking meeting list`)")
        decisions = con.execute("SELECT seq, decision, recorded_by, recorded_at FROM meeting_decision"
                                " WHERE meeting_id = ? ORDER BY seq", [meeting_id]).df()
        commissions = con.execute("SELECT tor_id, title, requester, author, status FROM terms_of_reference"
                                  " WHERE commissioned_by = ? ORDER BY tor_id", [meeting_id]).df()
    return {"meeting": found, "decisions": decisions, "actions": actions_of(warehouse_file, meeting_id),
            "commissions": commissions}


def _meeting_force(con, meeting_id: str) -> str:
    row = con.execute("SELECT force FROM tasking_meeting WHERE meeting_id = ?", [meeting_id]).fetchone()
    if row is None:
        raise LoopError(f"{meeting_id}: no such meeting (see `tasking meeting list`)")
    return row[0]


def add_decision(warehouse_file, meeting_id: str, decision: str, by: str) -> int:
    if not decision or not decision.strip():
        raise LoopError(f"{meeting_id}: a decision needs its text")
    with change(warehouse_file, "meeting", person(by, "recorder")) as c:
        _meeting_force(c.con, meeting_id)
        seq = c.con.execute("SELECT coalesce(max(seq), 0) + 1 FROM meeting_decision WHERE meeting_id = ?",
                            [meeting_id]).fetchone()[0]
        c.con.execute("INSERT INTO meeting_decision VALUES (?, ?, ?, ?, ?)",
                      [meeting_id, seq, " ".join(decision.split()), by, now()])
        c.event = {"event": "meeting.decision", "meeting_id": meeting_id, "seq": seq, "decision": decision}
    return seq


def add_action(warehouse_file, meeting_id: str, *, description: str, owner: str, due_on: str | date, by: str,
               area: str | None = None, types=(), started_on: str | date | None = None) -> str:
    """An action the meeting set: who owns it, when it is due, and the place and crime types it targets.
    `started_on` (default the meeting date) is when its measured change starts."""
    if not description or not description.strip():
        raise LoopError(f"{meeting_id}: an action needs a description")
    due = as_date(due_on, "due date")
    if due is None:
        raise LoopError(f"{meeting_id}: an action needs a due date")
    owner, by = person(owner, "action owner"), person(by, "recorder")
    types = crime_types(types)
    with change(warehouse_file, "action", by) as c:
        force = _meeting_force(c.con, meeting_id)
        place = area_text(force, area)
        held = c.con.execute("SELECT held_on FROM tasking_meeting WHERE meeting_id = ?", [meeting_id]).fetchone()[0]
        start = as_date(started_on, "start date") or held
        action_id = next_id(c.con, "tasking_action", "action_id", "ACT")
        c.con.execute(
            "INSERT INTO tasking_action (action_id, meeting_id, force, description, owner, due_on, started_on, area,"
            " crime_types_json, status, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            [action_id, meeting_id, force, " ".join(description.split()), owner, due, start, place, json.dumps(types),
             by, now()])
        c.event = {"event": "action.set", "action_id": action_id, "meeting_id": meeting_id, "description": description,
                   "owner": owner, "due_on": due, "started_on": start, "area": place, "crime_types": types}
    return action_id


def set_action_status(warehouse_file, action_id: str, status: str, by: str, note: str | None = None) -> None:
    if status not in ACTION_STATUSES:
        raise LoopError(f"status {status!r}: an action is one of {', '.join(ACTION_STATUSES)}")
    with change(warehouse_file, "action", person(by, "person updating the action")) as c:
        row = c.con.execute("SELECT status FROM tasking_action WHERE action_id = ?", [action_id]).fetchone()
        if row is None:
            raise LoopError(f"{action_id}: no such action (see `tasking action list`)")
        if row[0] in ("done", "cancelled"):
            raise LoopError(f"{action_id} is {row[0]}: a finished action is not reopened; set a new action instead")
        c.con.execute("UPDATE tasking_action SET status = ?, status_note = ?, updated_by = ?, updated_at = ?"
                      " WHERE action_id = ?", [status, note, by, now(), action_id])
        c.event = {"event": "action.status", "action_id": action_id, "from": row[0], "to": status, "note": note}


def commission(warehouse_file, meeting_id: str, *, by: str, **proposal) -> str:
    """The meeting commissions a profile: a proposed ToR (fields as `tor.checked_proposal`) carrying the meeting's id."""
    checked = tor_records.checked_proposal(**proposal)
    by = person(by, "recorder")
    with change(warehouse_file, "tor", by) as c:
        force = _meeting_force(c.con, meeting_id)
        if force != checked["force"]:
            raise LoopError(f"{meeting_id} is a {force} meeting; it cannot commission a profile for {checked['force']}")
        c.event = tor_records.insert_proposal(c.con, **checked, commissioned_by=meeting_id, proposed_by=by)
    return c.event["tor_id"]


def actions_of(warehouse_file, meeting_id: str) -> pd.DataFrame:
    with warehouse.reading(warehouse_file) as con:
        return con.execute("SELECT * FROM tasking_action WHERE meeting_id = ? ORDER BY action_id", [meeting_id]).df()


def list_meetings(warehouse_file, force: str | None = None) -> pd.DataFrame:
    with warehouse.reading(warehouse_file) as con:
        return con.execute(
            "SELECT m.*, (SELECT count(*) FROM tasking_action a WHERE a.meeting_id = m.meeting_id) AS actions,"
            " (SELECT count(*) FROM meeting_decision d WHERE d.meeting_id = m.meeting_id) AS decisions"
            " FROM tasking_meeting m WHERE (CAST(? AS VARCHAR) IS NULL OR force = ?) ORDER BY held_on, meeting_id",
            [force, force]).df()


def list_actions(warehouse_file, *, force: str | None = None, status: str | None = None,
                 owner: str | None = None) -> pd.DataFrame:
    with warehouse.reading(warehouse_file) as con:
        return con.execute(
            "SELECT * FROM tasking_action WHERE (CAST(? AS VARCHAR) IS NULL OR force = ?)"
            " AND (CAST(? AS VARCHAR) IS NULL OR status = ?) AND (CAST(? AS VARCHAR) IS NULL OR lower(owner) = lower(?))"
            " ORDER BY due_on, action_id", [force, force, status, status, owner, owner]).df()


def previous_meeting(warehouse_file, force: str, before: date | None = None) -> str | None:
    """The force's latest meeting held before `before` (default: the latest of all): whose actions the next
    tactical assessment reports."""
    with warehouse.reading(warehouse_file) as con:
        row = con.execute("SELECT meeting_id FROM tasking_meeting WHERE force = ? AND (CAST(? AS DATE) IS NULL OR"
                          " held_on < ?) ORDER BY held_on DESC, meeting_id DESC LIMIT 1", [force, before, before]).fetchone()
    return row[0] if row else None
