"""Draft a subject profile (OFFICIAL-SENSITIVE) from one audited read of the subject store.

The profile follows the College of Policing guidance for subject profiles: the purpose of collection is
stated, with a proportionality statement; it carries relevant antecedent history (records linked to the
subject within a stated number of years, read from the force's internal records in the warehouse), warning
markers, and the intelligence gaps; every page is marked and the profile has date and version control.

The read is logged in the store's access log before anything is rendered. Profiles are written into the
subject store's own `profiles/<nominal>/v<N>/` folder (owner-only, files read-only once written) and recorded
with their hashes in the store's `profile_version` table. Nothing is written to the warehouse or the product
store, and no data pack is produced, so no nominal reaches a product, a data pack or a problem profile.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from tasking import warehouse
from tasks import render, subject_review
from tasks.draft import Draft, validation_summary
from tasks.subjects import SubjectAccessError, SubjectRecord, _read, connect, profiles_dir

MARKING = "OFFICIAL-SENSITIVE"
DEFAULT_HISTORY_YEARS = 5

LINKED_RECORDS_SQL = """
SELECT l.role, i.reference, i.occurred_from, i.recorded_at, i.offence, i.crime_type, i.location_text, i.lsoa_code,
       i.outcome, i.domestic, i.repeat_victim, i.synthetic, i.source_file, i.source_sha256
FROM subject_links l JOIN internal_incident i ON i.force = l.force AND i.reference = l.reference
ORDER BY i.occurred_from DESC
"""


@dataclass
class SubjectProfileResult:
    profile_id: str
    nominal_id: str
    version: int
    folder: Path
    pdf_path: Path
    html_path: Path
    access_id: int


LINKED_COLUMNS = ["role", "reference", "occurred_from", "recorded_at", "offence", "crime_type", "location_text", "lsoa_code",
                  "outcome", "domestic", "repeat_victim", "synthetic", "source_file", "source_sha256"]


def _linked_records(warehouse_file, links: pd.DataFrame) -> pd.DataFrame:
    """The internal records the subject is linked to; none when the warehouse predates internal data."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        held = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'internal_incident'").fetchall()[0][0]
        if not held:
            return pd.DataFrame(columns=LINKED_COLUMNS)
        con.register("subject_links", links[["force", "reference", "role"]])
        try:
            return con.execute(LINKED_RECORDS_SQL).df()
        finally:
            con.unregister("subject_links")


def _age(born, on: date) -> str:
    if born is None:
        return "unknown"
    return str(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gaps(subject: SubjectRecord, records: pd.DataFrame, included: pd.DataFrame, as_at: date) -> list[list[str]]:
    nominal = subject.nominal
    gaps: list[list[str]] = []
    missing = sorted(set(subject.links["reference"]) - set(records["reference"]))
    if missing:
        gaps.append([f"{len(missing)} linked record(s) are not in the internal data held: {', '.join(missing[:8])}"
                     + (" ..." if len(missing) > 8 else ""),
                     "The antecedent history may be incomplete; load the extracts that hold them."])
    if nominal.get("date_of_birth") is None:
        gaps.append(["Date of birth not recorded", "Identity is not confirmed; check against PNC before any action."])
    if not nominal.get("address_text"):
        gaps.append(["No address recorded", "Current whereabouts unknown."])
    recent = included[pd.to_datetime(included["occurred_from"]) >= pd.Timestamp(as_at) - pd.DateOffset(years=1)]
    if included.empty:
        gaps.append(["No linked record in the history window", "Current activity is unknown, not absent."])
    elif recent.empty:
        gaps.append(["No linked record in the last 12 months", "Current activity is unknown, not absent."])
    pending = included[included["outcome"].isna() | included["outcome"].isin(["Under investigation", "Awaiting court outcome"])]
    if len(pending):
        gaps.append([f"{len(pending)} linked record(s) have no final outcome", "Their result may change the assessment."])
    undated = subject.warning_markers[subject.warning_markers["recorded"].isna()]
    if len(undated):
        gaps.append([f"{len(undated)} warning marker(s) without a recorded date", "Their currency cannot be judged."])
    gaps.append(["Associates, vehicles, telephones, financial information and intelligence logs are not held in the subject store",
                 "Research them on force systems if the purpose requires them; record why."])
    return gaps


def _stage_profile(subject: SubjectRecord, records: pd.DataFrame, requested_by: str, purpose: str,
                   history_years: int, as_at: date, draft: Draft, warehouse_file) -> dict:
    nominal = subject.nominal
    nominal_id = nominal["nominal_id"]
    since = pd.Timestamp(as_at) - pd.DateOffset(years=history_years)
    occurred = pd.to_datetime(records["occurred_from"])
    included = records[occurred >= since]
    excluded = len(records) - len(included)
    synthetic = bool(nominal.get("synthetic"))
    markers = subject.warning_markers
    marker_names = sorted(set(markers["marker"])) if len(markers) else []

    params = {"nominal": nominal_id, "access_id": subject.access_id}
    marker_table = draft.table(
        "Warning markers",
        [("Marker", "text"), ("Recorded", "text"), ("Detail", "text")],
        [[m.marker, render.when(pd.Timestamp(m.recorded).date()) if not pd.isna(m.recorded) else "not recorded",
          m.detail if isinstance(m.detail, str) else ""] for m in markers.itertuples(index=False)],
        indicator="subject store: warning_marker", params=params, flags=[True] * len(markers),
        empty="No warning markers are recorded for this subject. Absence of a marker is not evidence of no risk.")
    details = draft.table(
        "Identifying details as held in the subject store",
        [("Field", "text"), ("Value", "text")],
        [["Nominal ID", nominal_id], ["Surname", nominal["surname"]], ["Forenames", nominal.get("forenames") or ""],
         ["Date of birth (age)", f"{render.when(nominal['date_of_birth']) if nominal['date_of_birth'] else 'not recorded'} ({_age(nominal['date_of_birth'], as_at)})"],
         ["Sex", nominal.get("sex") or "not recorded"],
         ["Aliases", ", ".join(nominal.get("aliases") or []) or "none recorded"],
         ["Address (as recorded)", nominal.get("address_text") or "not recorded"]],
        indicator="subject store: nominal", params=params)
    history = draft.table(
        f"Antecedent history: records linked to the subject since {render.when(since.date())}",
        [("Occurred", "text"), ("Reference", "mono"), ("Offence", "text"), ("Category", "text"), ("Role", "text"),
         ("Location", "text"), ("Outcome", "text"), ("Flags", "text")],
        [[pd.Timestamp(r.occurred_from).strftime("%d/%m/%Y %H:%M"), r.reference, r.offence, r.crime_type, r.role.title(),
          r.location_text or "", r.outcome or "no outcome recorded",
          ", ".join(flag for flag, on in (("domestic", r.domestic), ("repeat victim", r.repeat_victim)) if on is True)]
         for r in included.itertuples(index=False)],
        indicator="warehouse internal_incident joined to subject store nominal_link",
        params={**params, "since": since.date().isoformat(), "history_years": history_years},
        empty="No linked records in the history window.",
        note=(f"{excluded} older linked record(s) are outside the {history_years}-year window and are not shown." if excluded else None))
    by_type = (included.groupby(["crime_type", "role"]).size().reset_index(name="records")
               .sort_values(["records", "crime_type"], ascending=[False, True]))
    pattern = draft.table(
        "Linked records by category and role (history window)",
        [("Category", "text"), ("Role", "text"), ("Records", "num")],
        [[r.crime_type, r.role.title(), render.number(r.records)] for r in by_type.itertuples(index=False)],
        indicator="warehouse internal_incident joined to subject store nominal_link", params=params,
        empty="No linked records in the history window.")

    draft.section("Warning markers", [
        "Warning markers recorded against the subject. Officers deployed in relation to this subject must be briefed on them."
    ], [marker_table])
    draft.section("Subject details", [], [details])
    draft.section("Antecedent history", [
        f"Records from the force's internal crime data linked to the subject in the last {history_years} years, "
        "newest first. Only records relevant to the stated purpose should be relied on; the analyst should remove "
        "any that are not."
    ], [history, pattern], analyst_input="Probe each record's context, relevance and circumstances before relying on it.")

    suspect_roles = included["role"].isin(["SUSPECT", "OFFENDER"])
    key_findings = [
        f"Purpose of this profile: {purpose} (requested by {requested_by}).",
        "Warning markers: " + (", ".join(marker_names) if marker_names else "none recorded") + ".",
        f"{len(included)} record(s) linked to the subject since {render.when(since.date())}: "
        f"{int(suspect_roles.sum())} as suspect or offender, {int((~suspect_roles).sum())} as victim or witness.",
    ]
    if len(included):
        latest = included.iloc[0]
        key_findings.append(f"Most recent: {latest['offence'].title()} on {pd.Timestamp(latest['occurred_from']):%d %B %Y} "
                            f"({latest['role'].title()}), outcome {latest['outcome'] or 'not recorded'}.")
    if synthetic:
        key_findings.insert(0, "SYNTHETIC: this subject and every record in this profile are generated test data, not a real person.")

    proportionality = (
        f"This profile was drafted for the purpose stated by {requested_by}: \u201c{purpose}\u201d. It holds only what "
        f"that purpose needs from the subject store: identifying details, warning markers, and records linked to the "
        f"subject in the last {history_years} years ({len(included)} of {len(records)} linked records held; "
        f"{excluded} older record(s) left out). It holds no associates, communications, financial or health "
        "information beyond warning markers. Use it only for the stated purpose; any further use, dissemination "
        "or retention beyond the purpose must be justified and recorded."
    )
    gaps = _gaps(subject, records, included, as_at)
    recommendations = draft.table(
        "Options for action", [("Option", "text"), ("Basis", "text")], [], indicator="none", params={},
        empty="No options are drafted mechanically for a person: the analyst sets them against the purpose.")
    gaps_table = draft.table("Intelligence gaps", [("Gap", "text"), ("What it means", "text")], gaps,
                             indicator="tasks.subject_profile._gaps", params=params)
    files = records.groupby(["source_file", "source_sha256"]).size().reset_index(name="records")
    summary_table = draft.table(
        "Sources used",
        [("Source", "text"), ("What", "text"), ("Records used", "num")],
        [["Subject store (restricted)", "identifying details, warning markers, links to records", render.number(1 + len(markers) + len(subject.links))],
         ["Force internal records", f"records linked to the subject, from {len(files)} extract(s) (Appendix B)", render.number(len(records))]],
        indicator="subject store; warehouse internal_incident", params=params)
    validation = validation_summary(warehouse_file, files) if len(files) else None
    validation_rows = []
    if validation is not None:
        for source_file, group in validation.groupby("source_file", sort=True):
            critical = group[group["severity"] == "critical"]
            validation_rows.append([Path(source_file).name, f"{int(group['success'].sum())} of {len(group)}",
                                    f"{int(critical['success'].sum())} of {len(critical)}"])
    validation_table = draft.table(
        "Quality gate results for those extracts", [("Extract", "text"), ("Checks passed", "num"), ("Critical passed", "num")],
        validation_rows, indicator="tasks.validate (validation_result, internal suite)", params=params,
        empty="No quality gate results are recorded for these extracts: they were loaded without the gate, so their checks are not evidenced.")
    source_table = draft.table(
        "Internal extracts the linked records came from",
        [("Extract", "text"), ("Records", "num"), ("sha256", "mono")],
        [[Path(r.source_file).name, render.number(r.records), r.source_sha256] for r in files.itertuples(index=False)],
        indicator="warehouse internal_incident lineage", params=params, empty="No linked records are held.")
    return {
        "tor": [{"label": label, "value": value} for label, value in (
            ("Subject", f"{nominal_id}: {nominal['surname']}, {nominal.get('forenames') or ''}"),
            ("Purpose of collection", purpose),
            ("Requested by", requested_by),
            ("Proportionality", proportionality),
            ("History window", f"{history_years} years to {render.when(as_at)}"),
            ("Access record", f"subject store access {subject.access_id} (who, why and when are logged for every read)"),
        )],
        "key_findings": key_findings,
        "recommendations": recommendations,
        "gaps": gaps_table,
        "sources": {
            "paragraphs": [
                "Sources: the restricted subject store (nominals, warning markers and links to records), and the "
                "force's internal crime records loaded from the extracts listed in Appendix B. No published data.police.uk data "
                "identifies a person and none is used here.",
            ],
            "summary": summary_table,
            "files": source_table,
            "validation": validation_table,
            "methods": [
                "Linked records are joined on force and record reference; times are the earliest recorded occurrence time.",
                f"Antecedent history is limited to {history_years} years before {render.when(as_at)} for proportionality.",
            ],
            "approximations": ["Roles are as recorded on the link; a suspect is not an offender unless an outcome says so."],
        },
        "proportionality": proportionality,
        "purpose": purpose,
        "warning_markers": marker_names,
        "synthetic": synthetic,
        "included_records": len(included),
    }


def draft_subject_profile(nominal_id: str, requested_by: str, purpose: str, *, subjects_file=None, warehouse_file=None,
                          history_years: int = DEFAULT_HISTORY_YEARS, as_at: date | None = None,
                          author: str | None = None) -> SubjectProfileResult:
    """Read the subject (audited), draft the profile as HTML and PDF in the store's profiles folder, record it."""
    from tasks.draft import author_name

    as_at = as_at or datetime.now(timezone.utc).date()
    created_at = datetime.now(timezone.utc)
    previous_umask = os.umask(0o077)
    try:
        with connect(subjects_file) as con:
            subject = _read(con, nominal_id, requested_by, purpose, "profile")
            version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM profile_version WHERE nominal_id = ?",
                                  [nominal_id]).fetchone()[0]
            previous = con.execute("SELECT profile_id FROM profile_version WHERE nominal_id = ? AND version = ?",
                                   [nominal_id, version - 1]).fetchone()
        records = _linked_records(warehouse_file, subject.links)
        profile_id = f"SP-{nominal_id}-v{version}"
        folder = profiles_dir(subjects_file) / nominal_id / f"v{version}"
        if folder.exists():
            raise SubjectAccessError(f"{folder}: a profile folder for version {version} already exists; refusing to overwrite it")
        folder.mkdir(parents=True, mode=0o700)
        draft = Draft(folder)
        context = _stage_profile(subject, records, requested_by.strip(), purpose.strip(), history_years, as_at, draft,
                                 warehouse_file)
        title = f"Subject profile: {nominal_id}"
        context["product"] = {
            "product_id": f"SP-{nominal_id}", "version": version, "version_id": profile_id, "title": title,
            "kind_label": "Subject profile", "force_name": ", ".join(sorted(set(subject.links["force"]))) or "no linked force",
            "marking": MARKING, "author": author_name(author), "requested_by": requested_by.strip(),
            "period_label": f"as at {render.when(as_at)}", "created_label": render.when(created_at),
            "data_period": f"linked records since {render.when((pd.Timestamp(as_at) - pd.DateOffset(years=history_years)).date())}",
            "previous_version_id": previous[0] if previous else None,
            "handling": "Restricted: for the stated purpose only. Do not copy into products, data packs or problem profiles. "
                        "Every read of the subject store is logged.",
        }
        context["sections"] = draft.sections
        context["numbers"] = {"recommendations": len(draft.sections) + 3, "gaps": len(draft.sections) + 4,
                              "sources": len(draft.sections) + 5}
        context["lineage"] = draft.lineage_table()
        html_path, pdf_path = render.write_html_and_pdf("subject_profile.html", context, folder, "subject-profile")
        for written in (html_path, pdf_path):
            written.chmod(0o400)
        with connect(subjects_file) as con:
            with warehouse.transaction(con):
                con.execute(
                    "INSERT INTO profile_version (profile_id, nominal_id, version, access_id, requested_by, purpose,"
                    " marking, folder, pdf_sha256, html_sha256, created_at, status)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'DRAFT')",
                    [profile_id, nominal_id, version, subject.access_id, requested_by.strip(), purpose.strip(), MARKING,
                     str(folder), _sha256(pdf_path), _sha256(html_path), created_at],
                )
                subject_review.record_drafted(con, profile_id, requested_by.strip(), _sha256(pdf_path), _sha256(html_path))
    finally:
        os.umask(previous_umask)
    return SubjectProfileResult(profile_id, nominal_id, version, folder, pdf_path, html_path, subject.access_id)
