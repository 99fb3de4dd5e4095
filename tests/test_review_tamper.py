"""Tamper evidence and who may decide: each edit the attacker tried is found by `review verify` and `review list`."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from tasking import chain
from tasks import review, reviewers
from tasks.review import ReviewError


def draft(warehouse_file, store, author="analyst A", text="draft"):
    slot = review.reserve_version(warehouse_file, kind="tactical", force="northumbria", scope={"period_end": "2022-09"},
                                  period_label="2022-09", title="Tactical assessment", store_dir=store)
    with review.writing(slot) as folder:
        (folder / "product.html").write_text(f"<p>{text}</p>", encoding="utf-8")
    review.record_version(warehouse_file, slot, marking="OFFICIAL", author=author, period_start=date(2022, 9, 1),
                          period_end=date(2022, 9, 1))
    return slot


@pytest.fixture
def approved(warehouse_file, tmp_path):
    reviewers.add(warehouse_file, "DI Smith", "intelligence-manager", added_by="head of intelligence")
    slot = draft(warehouse_file, tmp_path / "store")
    review.approve(warehouse_file, slot.version_id, "DI Smith", "fine")
    assert _problems(warehouse_file) == []
    return slot


def _problems(warehouse_file) -> list[str]:
    found = review.verify_all(warehouse_file)
    return found["chain"] + [p for problems in found["versions"].values() for p in problems]


def _sql(warehouse_file, *statements):
    with duckdb.connect(str(warehouse_file)) as con:
        for statement in statements:
            con.execute(statement)


def _cli(*args):
    from cli.main import app

    result = CliRunner().invoke(app, list(map(str, args)))
    return result.exit_code, " ".join(result.output.split())


def test_editing_an_approved_file_and_its_registry_hashes_is_detected(warehouse_file, approved):
    target = approved.folder / "product.html"
    target.chmod(0o644)
    target.write_text("<p>better numbers</p>")
    from tasks.product_store import build_manifest, manifest_sha256
    import json
    manifest = build_manifest(approved.folder)
    _sql(warehouse_file, f"UPDATE product_version SET manifest_json = '{json.dumps(manifest, sort_keys=True)}',"
                         f" content_sha256 = '{manifest_sha256(manifest)}'")
    problems = _problems(warehouse_file)
    assert any("content_sha256 differs from the value recorded when it was drafted" in p for p in problems), problems
    assert any("manifest.json: missing or changed" in p for p in problems)
    code, out = _cli("review", "verify", "--warehouse", warehouse_file)
    assert code == 1 and "edited" in out
    code, out = _cli("review", "list", "--warehouse", warehouse_file)
    assert code == 1 and f"{approved.version_id} APPROVED TAMPERED" in out


def test_resetting_to_draft_and_deleting_its_review_events_is_detected(warehouse_file, approved):
    _sql(warehouse_file, "UPDATE product_version SET status = 'DRAFT', decided_by = NULL, decided_at = NULL",
         "DELETE FROM review_event WHERE action = 'approved'")
    assert any("status DRAFT but the review log says APPROVED" in p for p in _problems(warehouse_file))
    # ... and deleting the chained approval too breaks the chain.
    _sql(warehouse_file, "DELETE FROM event_log WHERE stream = 'review' AND payload_json LIKE '%\"approved\"%'")
    assert any("deleted" in p for p in _problems(warehouse_file))
    assert _cli("review", "verify", "--warehouse", warehouse_file)[0] == 1


def test_an_edited_manifest_file_is_detected(warehouse_file, approved):
    manifest = approved.folder / "manifest.json"
    manifest.chmod(0o644)
    manifest.write_text("{}")
    assert any("manifest.json: missing or changed" in p for p in _problems(warehouse_file))


def test_an_approved_file_made_writable_is_reported(warehouse_file, approved):
    (approved.folder / "product.html").chmod(0o644)
    assert any("writable again" in p for p in _problems(warehouse_file))


def test_changing_who_approved_is_detected(warehouse_file, approved):
    _sql(warehouse_file, "UPDATE product_version SET decided_by = 'Ch Supt Big'")
    assert any("decided_by 'Ch Supt Big'" in p for p in _problems(warehouse_file))


def test_reordered_and_edited_review_events_are_detected(warehouse_file, approved):
    _sql(warehouse_file, "UPDATE event_log SET seq = 99 WHERE stream = 'review' AND seq = 1",
         "UPDATE event_log SET seq = 1 WHERE stream = 'review' AND seq = 2",
         "UPDATE event_log SET seq = 2 WHERE stream = 'review' AND seq = 99")
    assert any("reordered" in p for p in _problems(warehouse_file))
    _sql(warehouse_file, "UPDATE event_log SET actor = 'DI Jones' WHERE stream = 'review' AND seq = 1")
    assert any("edited" in p for p in _problems(warehouse_file))


def test_a_deleted_registry_row_is_detected(warehouse_file, approved):
    _sql(warehouse_file, "DELETE FROM product_version")
    assert any("the registry no longer holds" in p for p in _problems(warehouse_file))


def test_the_approval_records_the_os_user_beside_the_reviewer(warehouse_file, approved):
    events = review.show(warehouse_file, approved.version_id)["events"]
    approval = events[events["action"] == "approved"].iloc[0]
    assert approval["actor"] == "DI Smith" and approval["os_user"] == chain.os_user()


def test_an_intact_store_verifies_and_prints_the_head(warehouse_file, approved):
    code, out = _cli("review", "verify", "--warehouse", warehouse_file)
    assert code == 0 and "intact" in out and "head" in out


# -------------------------------------------------------------------------------------------------- reviewers

def test_the_author_cannot_approve_their_own_draft(warehouse_file, tmp_path):
    reviewers.add(warehouse_file, "analyst A", "senior-analyst", added_by="head of intelligence")
    slot = draft(warehouse_file, tmp_path / "store", author="Analyst  a")
    with pytest.raises(ReviewError, match="is the author of this draft"):
        review.approve(warehouse_file, slot.version_id, "analyst A")
    assert review.list_versions(warehouse_file)["status"].tolist() == ["DRAFT"]


def test_the_pipeline_cannot_approve_or_be_registered(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store", author=reviewers.PIPELINE_AUTHOR)
    with pytest.raises(ReviewError, match="pipeline's own name"):
        review.approve(warehouse_file, slot.version_id, reviewers.PIPELINE_AUTHOR)
    with pytest.raises(reviewers.ReviewerError, match="pipeline's own author name"):
        reviewers.add(warehouse_file, reviewers.PIPELINE_AUTHOR, "senior-analyst", added_by="x")


def test_an_unregistered_reviewer_is_refused_and_the_refusal_logged(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    with pytest.raises(ReviewError, match="not a registered reviewer"):
        review.approve(warehouse_file, slot.version_id, "Somebody")
    events = review.show(warehouse_file, slot.version_id)["events"]
    assert events["action"].tolist() == ["drafted", "refused"]
    reviewers.add(warehouse_file, "Somebody", "senior-analyst", added_by="head of intelligence")
    assert review.approve(warehouse_file, slot.version_id, "somebody")["status"] == "APPROVED"


def test_a_removed_reviewer_can_no_longer_decide(warehouse_file, tmp_path):
    reviewers.add(warehouse_file, "DI Smith", "intelligence-manager", added_by="x")
    reviewers.remove(warehouse_file, "DI Smith", "x")
    slot = draft(warehouse_file, tmp_path / "store")
    with pytest.raises(ReviewError, match="not a registered reviewer"):
        review.reject(warehouse_file, slot.version_id, "DI Smith", "no")


def test_reviewer_commands_and_an_unknown_role(warehouse_file):
    code, out = _cli("review", "reviewer", "add", "DS Brown", "--role", "sergeant", "--by", "x", "--warehouse", warehouse_file)
    assert code == 1 and "expected one of senior-analyst" in out
    code, out = _cli("review", "reviewer", "add", "DS Brown", "--role", "senior-analyst", "--by", "DCI Head",
                     "--warehouse", warehouse_file)
    assert code == 0 and f"OS user {chain.os_user()}" in out
    code, out = _cli("review", "reviewer", "list", "--warehouse", warehouse_file)
    assert code == 0 and "DS Brown" in out and "senior-analyst" in out
    with duckdb.connect(str(warehouse_file)) as con:
        con.execute("UPDATE event_log SET payload_json = replace(payload_json, 'senior-analyst', 'head-of-intelligence')"
                    " WHERE stream = 'reviewers'")
    assert any("edited" in p for p in review.verify_all(warehouse_file)["chain"])


# --------------------------------------------------------------------------------------------- text hygiene

def test_a_reviewer_name_with_markup_is_printed_as_typed(warehouse_file, tmp_path):
    name = "[/x] DS [bold]Evil"
    reviewers.add(warehouse_file, name, "senior-analyst", added_by="[red]x")
    slot = draft(warehouse_file, tmp_path / "store", author="[/author]")
    code, out = _cli("review", "approve", slot.version_id, "--reviewer", name, "--comment", "[/c] ok",
                     "--warehouse", warehouse_file)
    assert code == 0, out
    for command in (["review", "list"], ["review", "show", slot.version_id], ["review", "reviewer", "list"]):
        code, out = _cli(*command, "--warehouse", warehouse_file)
        assert code == 0, out
        assert "[/x]" in out
    code, out = _cli("review", "show", slot.version_id, "--warehouse", warehouse_file)
    assert "[/c] ok" in out and "[/author]" in out
