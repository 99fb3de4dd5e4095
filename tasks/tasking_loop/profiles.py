"""Profiles kept up to date: built only from an agreed ToR, re-drafted each cycle as a new version that says
what changed since the last, until closed with a reason. A closed profile is kept and findable, and is never
re-drafted or reopened.

A profile (PRF-0001) belongs to one ToR. Each version is a product version in the central store (the registry's
version id); when the ToR's period runs to "the latest month held", each re-draft moves the period forward.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from tasking import warehouse
from tasks.indicators import lsoa_counts, monthly_volumes
from tasks.indicators.scope import Scope
from tasks.tasking_loop import tor as tor_records
from tasks.tasking_loop.records import LoopError, change, dumps, next_id, now, one_row, person, refuse

CLOSE_REASONS = ("resolved", "apprehended", "protected", "withdrawn")
TOP_PLACES = 5


@dataclass(frozen=True)
class ProfileVersion:
    profile_id: str
    version: int
    version_id: str          # the product version in the central store
    changes: list[str]
    pdf_path: str
    drafted: bool = True     # False: nothing new since the last version, so none was drafted


def _latest_month(warehouse_file, force: str) -> date:
    from tasks.draft import latest_street_month

    return latest_street_month(warehouse_file, force)


def snapshot(warehouse_file, scope: Scope) -> dict:
    """The figures a profile's next version compares itself with: crimes by type, by month, the busiest LSOAs."""
    volumes = monthly_volumes(warehouse_file, scope)
    by_type = volumes.groupby("crime_type")["crimes"].sum().astype(int)
    by_month = volumes.groupby("month")["crimes"].sum(min_count=1).dropna().astype(int)
    places = lsoa_counts(warehouse_file, scope)
    top = places.sort_values(["crimes", "lsoa_code"], ascending=[False, True]).head(TOP_PLACES) if not places.empty else places
    return {"period_from": f"{scope.period_from:%Y-%m}", "period_to": f"{scope.period_to:%Y-%m}",
            "crimes": int(by_type.sum()), "by_type": {k: int(v) for k, v in by_type.items() if v},
            "by_month": {k: int(v) for k, v in by_month.items()},
            "top_lsoas": [str(c) for c in top.get("lsoa_code", pd.Series(dtype=str)).tolist()]}


def changes_since(previous: dict | None, current: dict, previous_version_id: str | None = None) -> list[str]:
    """Sentences saying what changed between two snapshots (the first version says it is the first)."""
    if previous is None:
        return ["First version: nothing earlier to compare with."]
    lines = [f"Since {previous_version_id or 'the last version'} (period {previous['period_from']} to "
             f"{previous['period_to']}):"]
    if current["period_to"] != previous["period_to"] or current["period_from"] != previous["period_from"]:
        added = sorted(set(current["by_month"]) - set(previous["by_month"]))
        months = ", ".join(f"{m} ({current['by_month'][m]})" for m in added) or "none"
        lines.append(f"Period now {current['period_from']} to {current['period_to']}; months added (crimes): {months}.")
    revised = [m for m in set(current["by_month"]) & set(previous["by_month"])
               if current["by_month"][m] != previous["by_month"][m]]
    if revised:
        lines.append("Months revised by the publisher: " + ", ".join(
            f"{m} {previous['by_month'][m]} -> {current['by_month'][m]}" for m in sorted(revised)) + ".")
    lines.append(f"Crimes in scope: {previous['crimes']} -> {current['crimes']}.")
    for crime_type in sorted(set(current["by_type"]) | set(previous["by_type"])):
        before, after = previous["by_type"].get(crime_type, 0), current["by_type"].get(crime_type, 0)
        if before != after:
            lines.append(f"{crime_type}: {before} -> {after}.")
    new_places = [c for c in current["top_lsoas"] if c not in previous["top_lsoas"]]
    gone = [c for c in previous["top_lsoas"] if c not in current["top_lsoas"]]
    if new_places or gone:
        lines.append(f"Busiest LSOAs: new {', '.join(new_places) or 'none'}; no longer among them {', '.join(gone) or 'none'}.")
    else:
        lines.append("The busiest LSOAs are unchanged.")
    return lines


def profile_of_tor(con, tor_id: str) -> dict | None:
    found = con.execute("SELECT * FROM profile_record WHERE tor_id = ?", [tor_id]).df()
    return None if found.empty else found.iloc[0].to_dict()


def _last_version(con, profile_id: str) -> dict | None:
    found = con.execute("SELECT * FROM profile_record_version WHERE profile_id = ? ORDER BY version DESC LIMIT 1",
                        [profile_id]).df()
    return None if found.empty else found.iloc[0].to_dict()


def _refuse_if_closed(warehouse_file, tor_id: str, actor: str) -> None:
    with warehouse.reading(warehouse_file) as con:
        record = profile_of_tor(con, tor_id)
    if record is not None and record["status"] == "closed":
        raise refuse(warehouse_file, "profile", actor, {"event": "profile.redraft", "profile_id": record["profile_id"]},
                     f"{record['profile_id']} ({tor_id}) was closed ({record['close_reason']}) by {record['closed_by']} "
                     f"on {pd.Timestamp(record['closed_at']):%Y-%m-%d}: a closed profile is kept as it is and never "
                     "re-drafted; propose a new terms of reference for new work")


def build_from_tor(warehouse_file, tor_id: str, *, drafted_by: str | None = None, store_dir=None,
                   subjects_file=None, force_new: bool = False) -> ProfileVersion:
    """Draft the next version of the profile a ToR asks for. Refused unless the ToR is agreed, and when its
    profile has been closed. The product prints the agreed ToR (with its id) first, and what changed since the
    last version. A problem profile with no new data since its last version is not drafted again (unless
    `force_new`): the result says so and `drafted` is False."""
    tor = tor_records.require_agreed(warehouse_file, tor_id)
    drafted_by = person(drafted_by or tor.author, "author")
    _refuse_if_closed(warehouse_file, tor_id, drafted_by)
    with warehouse.reading(warehouse_file) as con:
        record = profile_of_tor(con, tor_id)
        last = _last_version(con, record["profile_id"]) if record else None
        # The id the profile will have, printed on it. Two first builds at once would both take it and the second
        # would fail when registering; the deployments' work pool runs one flow at a time.
        profile_id = record["profile_id"] if record else next_id(con, "profile_record", "profile_id", "PRF")
    version = (last["version"] if last is not None else 0) + 1
    heading = f"{profile_id} version {version}"
    if tor.product_kind == "problem_profile":
        period_to = tor.period_to or _latest_month(warehouse_file, tor.force)
        scope = Scope.from_area_text(tor.force, tor.period_from, period_to, tor.area, tor.crime_types)
        figures = snapshot(warehouse_file, scope)
        changes = changes_since(json.loads(last["key_figures_json"]) if last is not None else None, figures,
                                last["version_id"] if last is not None else None)
        result = _build_problem(warehouse_file, tor, scope, {"profile_id": profile_id, "version": version,
                                                             "heading": heading, "tor_id": tor_id, "changes": changes},
                                store_dir, drafted_by, force_new)
        if getattr(result, "reason", None) and last is not None:  # an UnchangedResult: nothing new to draft
            return ProfileVersion(profile_id, int(last["version"]), result.version_id, [result.reason],
                                  str(result.pdf_path), drafted=False)
        version_id, pdf = result.version_id, str(result.pdf_path)
        period = (scope.period_from, scope.period_to)
    else:
        from tasks.subject_profile import draft_subject_profile

        figures = {"as_at": f"{date.today():%Y-%m-%d}"}
        changes = (["First version: nothing earlier to compare with."] if last is None else
                   [f"Re-drafted from the subject store as at {figures['as_at']}; the previous version is "
                    f"{last['version_id']}."])
        result = draft_subject_profile(tor.nominal_id, tor.requester,
                                       f"{tor.as_text()} {heading}: " + " ".join(changes),
                                       subjects_file=subjects_file, warehouse_file=warehouse_file, author=drafted_by)
        version_id, pdf, period = result.profile_id, str(result.pdf_path), (None, None)
    with change(warehouse_file, "profile", drafted_by) as c:
        if profile_of_tor(c.con, tor_id) is None:
            c.con.execute("INSERT INTO profile_record (profile_id, tor_id, force, kind, status, opened_at)"
                          " VALUES (?, ?, ?, ?, 'open', ?)", [profile_id, tor_id, tor.force, tor.product_kind, now()])
        c.con.execute("INSERT INTO profile_record_version VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [profile_id, version, version_id, period[0], period[1], dumps(figures), json.dumps(changes),
                       drafted_by, now()])
        c.event = {"event": "profile.drafted", "profile_id": profile_id, "tor_id": tor_id, "version": version,
                   "version_id": version_id, "changes": changes}
    return ProfileVersion(profile_id, version, version_id, changes, pdf)


def _build_problem(warehouse_file, tor, scope: Scope, version: dict, store_dir, author: str, force_new: bool):
    """The engine's problem profile for the ToR's scope, with the ToR as agreed (stable text, so an unchanged
    profile is recognised as such) and a first section saying which version this is and what changed."""
    from tasks.products import pipeline, problem_profile
    from tasks.products.common import tor_rows
    from tasks.products.sections import profile_version

    plan = problem_profile.plan(
        warehouse_file, tor.force, area=tor.area, crime_types=tor.crime_types, period_from=scope.period_from,
        period_to=scope.period_to, requested_by=tor.requester, terms_of_reference=tor.as_text(), marking=tor.marking,
        store_dir=store_dir, author=author)
    frame = plan.frame

    def with_profile_rows(ctx) -> dict:
        framed = frame(ctx)
        framed["tor"] = tor_rows([("Terms of reference id", tor.tor_id),
                                  ("Agreed", f"by {tor.agreed_by} on {pd.Timestamp(tor.agreed_at):%Y-%m-%d %H:%M} UTC"),
                                  ("Profile", f"{version['heading']} (kept up to date until closed)")]) + framed["tor"]
        return framed

    # One registry product per ToR, whatever its period: each re-draft is the next version of the same product,
    # so the registry's version number is the profile's.
    registry_scope = {"tor_id": tor.tor_id, "area": tor.area or "", "crime_types": sorted(tor.crime_types),
                      "from": f"{tor.period_from:%Y-%m}", "to": f"{tor.period_to:%Y-%m}" if tor.period_to else "latest"}
    plan = replace(plan, sections=[("profile_version", profile_version.section), *plan.sections],
                   frame=with_profile_rows, options={**plan.options, profile_version.OPTION: version},
                   registry_scope=registry_scope)
    return pipeline.build(plan, force_new=force_new)


def close(warehouse_file, profile_id: str, reason: str, by: str, note: str | None = None) -> dict:
    """Close an open profile with its reason; it stays in the store, findable, and is never re-drafted."""
    if reason not in CLOSE_REASONS:
        raise LoopError(f"close reason {reason!r}: a profile is closed as one of {', '.join(CLOSE_REASONS)}")
    by = person(by, "person closing the profile")
    record = get(warehouse_file, profile_id)["profile"]
    if record["status"] == "closed":
        raise refuse(warehouse_file, "profile", by, {"event": "profile.closed", "profile_id": profile_id, "reason": reason},
                     f"{profile_id} is already closed ({record['close_reason']}); a closed profile cannot be edited")
    with change(warehouse_file, "profile", by) as c:
        c.con.execute("UPDATE profile_record SET status = 'closed', close_reason = ?, close_note = ?, closed_by = ?,"
                      " closed_at = ? WHERE profile_id = ? AND status = 'open'", [reason, note, by, now(), profile_id])
        c.event = {"event": "profile.closed", "profile_id": profile_id, "reason": reason, "note": note}
    return get(warehouse_file, profile_id)["profile"]


def get(warehouse_file, profile_id: str) -> dict:
    with warehouse.reading(warehouse_file) as con:
        found = one_row(con, "profile_record", "profile_id", profile_id,
                        f"{profile_id}: no such profile (see `tasking profile list`)")
        versions = con.execute("SELECT version, version_id, period_from, period_to, changes_json, drafted_by, drafted_at"
                               " FROM profile_record_version WHERE profile_id = ? ORDER BY version", [profile_id]).df()
    return {"profile": found, "versions": versions}


def list_profiles(warehouse_file, *, force: str | None = None, status: str | None = None) -> pd.DataFrame:
    with warehouse.reading(warehouse_file) as con:
        return con.execute(
            "SELECT r.profile_id, r.tor_id, r.force, r.kind, r.status, r.close_reason, r.closed_by, r.closed_at, t.title,"
            " (SELECT max(version) FROM profile_record_version v WHERE v.profile_id = r.profile_id) AS versions,"
            " (SELECT version_id FROM profile_record_version v WHERE v.profile_id = r.profile_id ORDER BY version DESC"
            "  LIMIT 1) AS latest_version_id"
            " FROM profile_record r JOIN terms_of_reference t USING (tor_id)"
            " WHERE (CAST(? AS VARCHAR) IS NULL OR r.force = ?) AND (CAST(? AS VARCHAR) IS NULL OR r.status = ?)"
            " ORDER BY r.profile_id", [force, force, status, status]).df()


def refresh_open(warehouse_file, *, force: str | None = None, store_dir=None, subjects_file=None,
                 drafted_by: str | None = None) -> tuple[list[ProfileVersion], list[str]]:
    """Re-draft every open profile (of one force, or all) as its next version. One profile failing does not stop
    the others: returns the versions drafted and a message per failure."""
    drafted, failures = [], []
    for row in list_profiles(warehouse_file, force=force, status="open").itertuples(index=False):
        try:
            drafted.append(build_from_tor(warehouse_file, row.tor_id, drafted_by=drafted_by, store_dir=store_dir,
                                          subjects_file=subjects_file))
        except Exception as error:  # noqa: BLE001  (reported per profile; the schedule carries on with the rest)
            failures.append(f"{row.profile_id} ({row.tor_id}): {error}")
    return drafted, failures
