"""Product registry, store and review state machine, on small hand-made versions (no PDF rendering here)."""
from __future__ import annotations

import json
import os
import stat
from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from sources.police_uk import sha256_of
from tasks import review, reviewers
from tasks.review import ReviewError


@pytest.fixture(autouse=True)
def registered_reviewers(warehouse_file):
    """The reviewers these tests decide with, registered as senior intelligence staff."""
    for name in ("DI Smith", "DI Jones"):
        reviewers.add(warehouse_file, name, "intelligence-manager", added_by="head of intelligence")


def draft(warehouse_file, store, text="first draft", scope=None, kind="tactical", force="northumbria"):
    slot = review.reserve_version(warehouse_file, kind=kind, force=force, scope=scope or {"period_end": "2022-09"},
                                  period_label="2022-09", title="Tactical assessment", store_dir=store)
    with review.writing(slot) as folder:
        (folder / "product.html").write_text(f"<p>{text}</p>", encoding="utf-8")
        (folder / "data").mkdir()
        (folder / "data" / "volumes.csv").write_text("crime_type,n\nRobbery,3\n", encoding="utf-8")
    review.record_version(warehouse_file, slot, marking="OFFICIAL", author="analyst", period_start=date(2022, 9, 1),
                          period_end=date(2022, 9, 1), key_figures={"total": 3})
    return slot


def events(warehouse_file, version_id):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute("SELECT action, from_status, to_status, actor, comment, event_at IS NOT NULL FROM review_event"
                           " WHERE version_id = ? ORDER BY event_id", [version_id]).fetchall()


def test_draft_is_registered_with_hashes_and_logged(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    assert slot.folder == (tmp_path / "store").resolve() / slot.product_id / "v1"
    manifest = json.loads((slot.folder / "manifest.json").read_text())
    assert set(manifest) == {"product.html", "data/volumes.csv"}
    assert manifest["product.html"] == sha256_of(slot.folder / "product.html")
    listed = review.list_versions(warehouse_file)
    assert listed["version_id"].tolist() == [slot.version_id] and listed["status"].tolist() == ["DRAFT"]
    assert events(warehouse_file, slot.version_id) == [("drafted", None, "DRAFT", "analyst", None, True)]
    assert review.verify(warehouse_file, slot.version_id) == []


def test_approve_once_then_every_further_decision_is_refused_and_logged(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    row = review.approve(warehouse_file, slot.version_id, "DI Smith", "fine")
    assert row["status"] == "APPROVED" and row["decided_by"] == "DI Smith"
    with pytest.raises(ReviewError, match="never be changed"):
        review.approve(warehouse_file, slot.version_id, "DI Jones")
    with pytest.raises(ReviewError, match="is APPROVED"):
        review.reject(warehouse_file, slot.version_id, "DI Jones", "too late")
    logged = events(warehouse_file, slot.version_id)
    assert [e[0] for e in logged] == ["drafted", "approved", "refused", "refused"]
    assert logged[1][1:5] == ("DRAFT", "APPROVED", "DI Smith", "fine")
    assert logged[3][3] == "DI Jones"
    assert review.list_versions(warehouse_file)["status"].tolist() == ["APPROVED"]
    # The approved files are read-only on disk.
    mode = (slot.folder / "product.html").stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_reject_needs_a_comment_and_a_reviewer(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    with pytest.raises(ReviewError, match="needs a comment"):
        review.reject(warehouse_file, slot.version_id, "DI Smith", "  ")
    with pytest.raises(ReviewError, match="reviewer name"):
        review.approve(warehouse_file, slot.version_id, "")
    row = review.reject(warehouse_file, slot.version_id, "DI Smith", "add the partner data")
    assert row["status"] == "REJECTED"
    with pytest.raises(ReviewError, match="only a DRAFT"):
        review.approve(warehouse_file, slot.version_id, "DI Smith")


def test_unknown_version_is_a_clear_error(warehouse_file, tmp_path):
    draft(warehouse_file, tmp_path / "store")
    with pytest.raises(ReviewError, match="TA-nope-v1: no such product version"):
        review.approve(warehouse_file, "TA-nope-v1", "DI Smith")


def test_regenerating_after_approval_makes_a_new_version_and_leaves_the_old_untouched(warehouse_file, tmp_path):
    store = tmp_path / "store"
    first = draft(warehouse_file, store, "first draft")
    review.approve(warehouse_file, first.version_id, "DI Smith")
    before = {p.name: p.read_bytes() for p in first.folder.rglob("*") if p.is_file()}
    second = draft(warehouse_file, store, "second draft")
    assert second.product_id == first.product_id
    assert (second.version, second.version_id) == (2, f"{first.product_id}-v2")
    assert second.folder != first.folder
    assert {p.name: p.read_bytes() for p in first.folder.rglob("*") if p.is_file()} == before
    statuses = dict(zip(*review.list_versions(warehouse_file)[["version_id", "status"]].T.values))
    assert statuses == {first.version_id: "APPROVED", second.version_id: "DRAFT"}
    assert review.verify(warehouse_file, first.version_id) == []
    # A different scope is a different product, starting at version 1.
    other = draft(warehouse_file, store, scope={"period_end": "2022-08"})
    assert other.product_id != first.product_id and other.version == 1


def test_a_tampered_approved_file_is_detected(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    review.approve(warehouse_file, slot.version_id, "DI Smith")
    target = slot.folder / "data" / "volumes.csv"
    target.chmod(0o644)  # someone determined enough to undo the read-only bit
    target.write_text("crime_type,n\nRobbery,1\n", encoding="utf-8")
    (slot.folder / "extra.txt").write_text("added", encoding="utf-8")
    problems = review.verify(warehouse_file, slot.version_id)
    assert any(p.startswith("data/volumes.csv: changed") for p in problems)
    assert "extra.txt: added after drafting" in problems
    shown = review.show(warehouse_file, slot.version_id)["integrity_problems"]
    assert set(problems) <= set(shown) and "data/volumes.csv: writable again (approved files are frozen read-only)" in shown


def test_a_tampered_draft_cannot_be_approved(warehouse_file, tmp_path):
    slot = draft(warehouse_file, tmp_path / "store")
    (slot.folder / "product.html").unlink()
    with pytest.raises(ReviewError, match="product.html: missing"):
        review.approve(warehouse_file, slot.version_id, "DI Smith")
    assert [e[0] for e in events(warehouse_file, slot.version_id)] == ["drafted", "integrity_failed"]
    assert review.list_versions(warehouse_file)["status"].tolist() == ["DRAFT"]


def test_a_stored_version_folder_is_never_written_again(warehouse_file, tmp_path):
    store = tmp_path / "store"
    slot = draft(warehouse_file, store)
    with pytest.raises(ReviewError, match="never overwritten"):
        with review.writing(slot):
            pass
    assert (slot.folder / "product.html").read_text() == "<p>first draft</p>"


def test_a_failed_rendering_leaves_nothing_and_its_number_is_not_reused_on_disk(warehouse_file, tmp_path):
    store = tmp_path / "store"
    slot = review.reserve_version(warehouse_file, kind="strategic", force="x", scope={"months": 36},
                                  period_label="2024-08", title="Strategic assessment", store_dir=store)
    with pytest.raises(RuntimeError):
        with review.writing(slot) as folder:
            (folder / "half.html").write_text("half")
            raise RuntimeError("chart failed")
    assert not slot.folder.exists() and list(slot.folder.parent.iterdir()) == []
    # A version folder no registry row knows is moved out of the store, and the number is used after all.
    slot.folder.mkdir()
    (slot.folder / "product.pdf").write_text("left by hand")
    again = review.reserve_version(warehouse_file, kind="strategic", force="x", scope={"months": 36},
                                   period_label="2024-08", title="Strategic assessment", store_dir=store)
    assert again.version == 1 and not slot.folder.exists()
    [set_aside] = (store / ".unregistered").iterdir()
    assert (set_aside / "product.pdf").read_text() == "left by hand"


def test_review_commands(warehouse_file, tmp_path):
    from cli.main import app

    slot = draft(warehouse_file, tmp_path / "store")
    runner = CliRunner()

    def text(result):  # rich wraps long lines at the terminal width
        return " ".join(result.output.split())
    listed = runner.invoke(app, ["review", "list", "--warehouse", str(warehouse_file)])
    assert listed.exit_code == 0 and "DRAFT" in text(listed)
    wrong = runner.invoke(app, ["review", "list", "--status", "pending", "--warehouse", str(warehouse_file)])
    assert wrong.exit_code == 1 and "expected one of DRAFT, APPROVED, REJECTED" in text(wrong)
    shown = runner.invoke(app, ["review", "show", slot.version_id, "--warehouse", str(warehouse_file)])
    assert shown.exit_code == 0 and "files intact" in text(shown)
    approved = runner.invoke(app, ["review", "approve", slot.version_id, "--reviewer", "DI Smith",
                                   "--warehouse", str(warehouse_file)])
    assert approved.exit_code == 0 and "APPROVED by DI Smith" in text(approved)
    history = runner.invoke(app, ["review", "show", slot.version_id, "--warehouse", str(warehouse_file)])
    assert history.exit_code == 0, history.output
    assert "drafted" in text(history) and "approved" in text(history) and "DI Smith" in text(history)
    again = runner.invoke(app, ["review", "reject", slot.version_id, "--reviewer", "DI Jones", "--comment", "no",
                                "--warehouse", str(warehouse_file)])
    assert again.exit_code == 1 and "never be changed" in text(again)
    os.chmod(slot.folder / "product.html", 0o644)
    (slot.folder / "product.html").write_text("edited")
    tampered = runner.invoke(app, ["review", "show", slot.version_id, "--warehouse", str(warehouse_file)])
    assert tampered.exit_code == 1 and "product.html: changed" in text(tampered)


@pytest.mark.parametrize("command", [["review", "list"], ["review", "show", "TA-x-2024-08-000000-v1"],
                                     ["review", "verify"], ["review", "reviewer", "list"]])
def test_review_reads_refuse_a_missing_warehouse_and_create_none(tmp_path, command):
    from cli.main import app

    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    result = CliRunner().invoke(app, [*command, "--warehouse", str(missing)], env={"COLUMNS": "250"})
    assert result.exit_code == 2 and f"{missing}: no warehouse here" in result.output
    assert not missing.exists() and not missing.parent.exists()


def test_two_publishes_of_the_same_product_at_once_register_one_and_refuse_the_other_clearly(warehouse_file, tmp_path):
    store = tmp_path / "store"
    reserve = dict(kind="tactical", force="northumbria", scope={"period_end": "2022-09"}, period_label="2022-09",
                   title="Tactical assessment", store_dir=store)
    first, second = review.reserve_version(warehouse_file, **reserve), review.reserve_version(warehouse_file, **reserve)
    assert first.version == second.version == 1
    with pytest.raises(ReviewError, match="another publish of the same product registered this version"):
        with review.writing(second) as slow:  # the second is still rendering when the first finishes
            (slow / "product.html").write_text("second")
            with review.writing(first) as folder:
                (folder / "product.html").write_text("first")
            review.record_version(warehouse_file, first, marking="OFFICIAL", author="a", period_start=None, period_end=None)
        review.record_version(warehouse_file, second, marking="OFFICIAL", author="a", period_start=None, period_end=None)
    assert (first.folder / "product.html").read_text() == "first"
    assert [p.name for p in first.folder.parent.iterdir()] == ["v1"]
