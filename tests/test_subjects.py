"""The subject store and subject profiles, on SYNTHETIC nominals linked to a SYNTHETIC internal extract."""
from __future__ import annotations

import hashlib
import json
import stat
from datetime import date

import duckdb
import pytest
from pypdf import PdfReader

from sources.synthetic_internal import generate_internal
from tasks.ingest_internal import ingest_internal_paths
from tasks.subject_profile import draft_subject_profile
from tasks.subjects import SubjectAccessError, access_log, load_nominals, read_subject
from tasks.subjects import connect as subjects_connect

PURPOSE = "Operation SYNTH-KEY: risk assessment before arrest for linked burglaries"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A warehouse holding a SYNTHETIC extract, and a subject store holding its SYNTHETIC nominals."""
    root = tmp_path_factory.mktemp("subjects")
    synthetic = generate_internal(root, "demo-shire", date(2024, 1, 1), date(2024, 4, 30), seed=5, records_per_day=40,
                                  nominal_count=12)
    warehouse_file = root / "warehouse.duckdb"
    assert ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse_file, gate=None).ok
    subjects_file = root / "restricted" / "subjects.duckdb"
    assert load_nominals(synthetic.nominals, subjects_file, loaded_by="test loader") == 12
    people = json.loads(synthetic.nominals.read_text())["nominals"]
    marked = next(p for p in people if len(p["warning_markers"]) >= 1 and len(p["links"]) >= 2)
    return {"warehouse": warehouse_file, "subjects": subjects_file, "person": marked, "people": people}


def audit_rows(world) -> list[tuple]:
    log = access_log(world["subjects"])
    return list(log[["nominal_id", "action", "requested_by", "purpose", "outcome"]].itertuples(index=False, name=None))


def test_the_store_is_owner_only_and_refused_when_opened_up(world, tmp_path):
    assert stat.S_IMODE(world["subjects"].stat().st_mode) == 0o600
    assert stat.S_IMODE(world["subjects"].parent.stat().st_mode) == 0o700
    exposed = tmp_path / "exposed" / "subjects.duckdb"
    load_nominals_file = tmp_path / "one.json"
    load_nominals_file.write_text(json.dumps({"synthetic": True, "nominals": [world["person"]]}))
    load_nominals(load_nominals_file, exposed, loaded_by="test")
    exposed.chmod(0o644)
    with pytest.raises(SubjectAccessError, match="readable by other users"):
        read_subject(exposed, world["person"]["nominal_id"], "DC Reader", PURPOSE)


def test_every_read_is_audited_with_who_and_why(world):
    nominal_id = world["person"]["nominal_id"]
    before = len(audit_rows(world))
    record = read_subject(world["subjects"], nominal_id, "DC Reader", PURPOSE)
    assert set(record.links["reference"]) == {link["reference"] for link in world["person"]["links"]}
    assert sorted(record.warning_markers["marker"]) == sorted(m["marker"] for m in world["person"]["warning_markers"])
    with pytest.raises(SubjectAccessError, match="purpose"):
        read_subject(world["subjects"], nominal_id, "DC Reader", "curious")
    with pytest.raises(SubjectAccessError, match="name of the person"):
        read_subject(world["subjects"], nominal_id, " ", PURPOSE)
    with pytest.raises(SubjectAccessError, match="no nominal"):
        read_subject(world["subjects"], "N-SYN-99999", "DC Reader", PURPOSE)
    rows = audit_rows(world)[before:]
    assert rows == [
        (nominal_id, "read", "DC Reader", PURPOSE, "granted"),
        (nominal_id, "read", "DC Reader", "curious", "refused"),
        (nominal_id, "read", " ", PURPOSE, "refused"),
        ("N-SYN-99999", "read", "DC Reader", PURPOSE, "not_found"),
    ]
    assert access_log(world["subjects"])["os_user"].str.len().min() > 0


def test_subject_profile_pdf_is_marked_on_every_page_and_states_purpose_and_markers(world):
    person = world["person"]
    before = len(audit_rows(world))
    result = draft_subject_profile(person["nominal_id"], "DS Example", PURPOSE, subjects_file=world["subjects"],
                                   warehouse_file=world["warehouse"], as_at=date(2024, 6, 1))
    pages = [page.extract_text() for page in PdfReader(result.pdf_path).pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the top and bottom marking"
    text = " ".join(" ".join(pages).split())
    assert PURPOSE in text
    assert "Proportionality" in text and "Intelligence gaps" in text and "Antecedent history" in text
    for marker in person["warning_markers"]:
        assert marker["marker"] in text
    assert "SYNTHETIC" in text and result.profile_id in text
    assert f"{len(person['links'])} of {len(person['links'])} linked records held" in text
    unwrapped = "".join(text.split())  # references wrap inside their narrow column
    for link in person["links"]:
        assert link["reference"] in unwrapped
    assert audit_rows(world)[before:] == [(person["nominal_id"], "profile", "DS Example", PURPOSE, "granted")]
    with subjects_connect(world["subjects"]) as con:
        recorded = con.execute("SELECT version, pdf_sha256, access_id FROM profile_version WHERE profile_id = ?",
                               [result.profile_id]).fetchone()
    assert recorded == (1, hashlib.sha256(result.pdf_path.read_bytes()).hexdigest(), result.access_id)
    assert stat.S_IMODE(result.pdf_path.stat().st_mode) == 0o400

    second = draft_subject_profile(person["nominal_id"], "DS Example", PURPOSE, subjects_file=world["subjects"],
                                   warehouse_file=world["warehouse"], as_at=date(2024, 6, 1))
    assert second.version == 2
    assert f"supersedes {result.profile_id}" in " ".join(p.extract_text() for p in PdfReader(second.pdf_path).pages)


def test_the_subject_store_never_reaches_the_warehouse_or_product_store(world):
    """Profiles live beside the store; the warehouse (which products and data packs read) holds no nominal."""
    person = world["person"]
    result = draft_subject_profile(person["nominal_id"], "DS Example", PURPOSE, subjects_file=world["subjects"],
                                   warehouse_file=world["warehouse"], as_at=date(2024, 6, 1))
    assert result.folder.is_relative_to(world["subjects"].parent)
    assert not list(result.folder.rglob("*.csv")) and not list(result.folder.rglob("*.parquet"))
    identifiers = {p["nominal_id"] for p in world["people"]} | {p["surname"] for p in world["people"]}
    with duckdb.connect(str(world["warehouse"]), read_only=True) as con:
        columns = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns"
                              " WHERE data_type = 'VARCHAR'").fetchall()
        for schema, table, column in columns:
            found = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}" IN (SELECT unnest(?))',
                                [sorted(identifiers)]).fetchone()[0]
            assert found == 0, f"{schema}.{table}.{column} holds subject store data"
        tables = {t for _, t, _ in columns}
    assert not tables & {"nominal", "nominal_link", "warning_marker", "access_log", "profile_version"}


def test_the_profile_command_drafts_refuses_and_audits(world, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    nominal_id = world["person"]["nominal_id"]
    common = ["--subjects", str(world["subjects"]), "--warehouse", str(world["warehouse"])]
    drafted = runner.invoke(app, ["profile", "subject", "--nominal", nominal_id, "--requested-by", "DI Command",
                                  "--purpose", PURPOSE, *common])
    assert drafted.exit_code == 0, drafted.output
    printed = "".join(drafted.output.split())  # the console wraps long paths
    assert "(OFFICIAL-SENSITIVE,DRAFT)" in printed
    assert printed.endswith("logged") and "subject-profile.pdf" in printed
    refused = runner.invoke(app, ["profile", "subject", "--nominal", nominal_id, "--requested-by", "DI Command",
                                  "--purpose", "nosy", *common])
    assert refused.exit_code == 1 and "purpose" in refused.output
    audit = runner.invoke(app, ["subjects", "audit", "--nominal", nominal_id, "--subjects", str(world["subjects"])],
                          env={"COLUMNS": "250"})
    assert audit.exit_code == 0 and "refused" in audit.output and "DI Command" in audit.output


def test_subject_profiles_go_through_the_same_review(world):
    from tasks import reviewers, subject_review

    person = world["person"]
    result = draft_subject_profile(person["nominal_id"], "DS Requester", PURPOSE, subjects_file=world["subjects"],
                                   warehouse_file=world["warehouse"], as_at=date(2024, 6, 1))
    decide = lambda who: subject_review.decide(world["subjects"], world["warehouse"], result.profile_id,  # noqa: E731
                                               "APPROVED", who, "ok")
    with pytest.raises(SubjectAccessError, match="not a registered reviewer"):
        decide("DI Nobody")
    reviewers.add(world["warehouse"], "DS Requester", "senior-analyst", added_by="head")
    with pytest.raises(SubjectAccessError, match="is the author of this draft"):
        decide("DS Requester")
    with pytest.raises(SubjectAccessError, match="pipeline's own name"):
        decide(reviewers.PIPELINE_AUTHOR)
    reviewers.add(world["warehouse"], "DI Senior", "intelligence-manager", added_by="head")
    assert decide("DI Senior")["status"] == "APPROVED"
    with pytest.raises(SubjectAccessError, match="only a DRAFT"):
        decide("DI Senior")
    assert subject_review.verify(world["subjects"]) == []
    with subjects_connect(world["subjects"]) as con:
        con.execute("UPDATE profile_version SET status = 'DRAFT' WHERE profile_id = ?", [result.profile_id])
    assert any("review log says APPROVED" in p for p in subject_review.verify(world["subjects"]))
    with subjects_connect(world["subjects"]) as con:
        con.execute("UPDATE profile_version SET status = 'APPROVED' WHERE profile_id = ?", [result.profile_id])
