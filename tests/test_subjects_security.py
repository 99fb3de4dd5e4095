"""The subject store at rest: encrypted (unreadable without the key), its access log chained and verifiable."""
from __future__ import annotations

import json
import os

import duckdb
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from tasks import subject_store, subjects
from tasks.subjects import SubjectAccessError, access_log, load_nominals, read_subject

PURPOSE = "Operation SYNTH-KEY: risk assessment before arrest"
PERSON = {"nominal_id": "N-SYN-00001", "surname": "Zebedee-Synthetic", "forenames": "Ann", "date_of_birth": "1990-01-02",
          "sex": "F", "aliases": [], "address_text": "1 Synthetic Street",
          "warning_markers": [{"marker": "WEAPONS", "recorded": "2023-01-01", "detail": "[/x] knife"}],
          "links": [{"force": "demo-shire", "reference": "R1", "role": "SUSPECT"}]}


@pytest.fixture
def store(tmp_path):
    nominals = tmp_path / "nominals.json"
    nominals.write_text(json.dumps({"synthetic": True, "nominals": [PERSON]}))
    target = tmp_path / "restricted" / "subjects.duckdb"
    load_nominals(nominals, target, loaded_by="loader")
    for n in range(3):
        read_subject(target, PERSON["nominal_id"], f"DC {n}", PURPOSE)
    assert subjects.verify(target) == []
    return target


def _tamper(target, *statements):
    with subjects.connect(target) as con:  # someone holding the key and using it outside the audited reads
        for statement in statements:
            con.execute(statement)


def test_the_file_is_encrypted_and_unreadable_without_the_key(store, monkeypatch):
    raw = store.read_bytes()
    assert raw.startswith(subjects.ENCRYPTED_HEADER)
    assert b"Zebedee" not in raw and b"Synthetic Street" not in raw
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(store), read_only=True)
    monkeypatch.delenv(subjects.KEY_ENV)
    with pytest.raises(SubjectAccessError, match="TASKING_SUBJECTS_KEY is not set"):
        read_subject(store, PERSON["nominal_id"], "DC X", PURPOSE)
    monkeypatch.setenv(subjects.KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(SubjectAccessError, match="not the key this subject store was encrypted with"):
        access_log(store)
    monkeypatch.setenv(subjects.KEY_ENV, "password123")
    with pytest.raises(SubjectAccessError, match="not a valid key"):
        access_log(store)


def test_no_plaintext_is_left_behind_and_a_killed_sessions_copy_is_removed(store):
    root = subject_store.plaintext_root()
    assert not [p for p in root.glob(f"tasking-subjects-{os.getpid()}-*")]
    stale = root / "tasking-subjects-999999-abc"
    stale.mkdir()
    (stale / "subjects.duckdb").write_bytes(b"plaintext")
    access_log(store)
    assert not stale.exists()


def test_a_store_written_before_encryption_is_encrypted_and_its_log_chained(tmp_path):
    target = tmp_path / "old" / "subjects.duckdb"
    target.parent.mkdir(mode=0o700)
    with duckdb.connect(str(target)) as con:
        con.execute(subjects.SCHEMA)
        con.execute("INSERT INTO access_log (accessed_at, nominal_id, action, requested_by, purpose, os_user, outcome)"
                    " VALUES (now(), NULL, 'load', 'old loader', 'legacy', 'someone', 'granted')")
    target.chmod(0o600)
    assert access_log(target)["requested_by"].tolist() == ["old loader"]
    assert target.read_bytes().startswith(subjects.ENCRYPTED_HEADER)
    assert subjects.verify(target) == []


def test_deleting_access_rows_is_detected(store):
    _tamper(store, "DELETE FROM access_log WHERE requested_by = 'DC 1'")
    assert any("deleted from access_log" in p for p in subjects.verify(store))


def test_editing_an_access_row_is_detected(store):
    _tamper(store, "UPDATE access_log SET purpose = 'routine' WHERE requested_by = 'DC 2'")
    assert any("edited in access_log" in p for p in subjects.verify(store))


def test_deleting_chained_events_and_rows_together_is_detected(store):
    _tamper(store, "DELETE FROM access_log WHERE requested_by = 'DC 1'",
            "DELETE FROM event_log WHERE payload_json LIKE '%\"DC 1\"%'")
    assert any("deleted" in p for p in subjects.verify(store))


def test_reordered_access_events_are_detected(store):
    _tamper(store, "UPDATE event_log SET seq = 99 WHERE seq = 2", "UPDATE event_log SET seq = 2 WHERE seq = 3",
            "UPDATE event_log SET seq = 3 WHERE seq = 99")
    assert any("reordered" in p for p in subjects.verify(store))


def test_truncating_the_log_is_detected(store):
    _tamper(store, "DELETE FROM access_log", "DELETE FROM event_log")
    assert any("deleted" in p for p in subjects.verify(store))


def test_subjects_verify_and_audit_commands(store):
    from cli.main import app

    runner = CliRunner()
    ok = runner.invoke(app, ["subjects", "verify", "--subjects", str(store)])
    assert ok.exit_code == 0 and "intact" in ok.output
    audit = runner.invoke(app, ["subjects", "audit", "--subjects", str(store)], env={"COLUMNS": "250"})
    assert audit.exit_code == 0 and "DC 2" in audit.output
    _tamper(store, "DELETE FROM access_log WHERE requested_by = 'DC 0'")
    bad = runner.invoke(app, ["subjects", "verify", "--subjects", str(store)], env={"COLUMNS": "250"})
    assert bad.exit_code == 1 and "deleted from access_log" in bad.output
    key = runner.invoke(app, ["subjects", "new-key"])
    assert key.exit_code == 0 and Fernet(key.output.strip().encode())
