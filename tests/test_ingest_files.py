"""Every way a file can be unreadable is contained to that file: accepted after normalising, or refused with one
error naming the file and the problem, an ingest_log row, nothing stored, and the other files still loading
(sources/files.py, docs/ingest-limits.md)."""
from __future__ import annotations

import codecs
import csv
import io
import os
import random
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sources.files import CONTROL_BYTES, clean_stale_scratch, temp_root
from tasks.ingest import ingest_paths

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA

MONTH = CITY_OF_LONDON / "2023-03-city-of-london-street.csv"
NAME = MONTH.name
BESIDE = NORTHUMBRIA / "2022-08-northumbria-stop-and-search.csv"  # a good file given with each bad one


def query(warehouse_file: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def published_rows(text: str) -> list[list[str]]:
    """Rows after the header, read by the csv module (blank lines skipped, as DuckDB skips them)."""
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    return rows[1:]


def original_text() -> str:
    return MONTH.read_bytes().decode("utf-8-sig")


def _sorted(rows) -> list[tuple]:
    return sorted(rows, key=lambda row: tuple("" if value is None else value for value in row))


def stored_street(warehouse_file: Path, source_file: Path) -> list[tuple]:
    return _sorted(query(warehouse_file, "SELECT crime_id, location, crime_type, context FROM street_crime"
                                         " WHERE source_file = ?", [str(source_file)]))


def expected_street(text: str) -> list[tuple]:
    blank = lambda v: v if v != "" else None  # noqa: E731 - DuckDB reads an empty field as NULL
    return _sorted((blank(r[0]), blank(r[6]), blank(r[9]), blank(r[11])) for r in published_rows(text))


def log_row(warehouse_file: Path, path: Path):
    return query(warehouse_file, "SELECT status, error, notes FROM ingest_log WHERE path = ? ORDER BY batch_id DESC LIMIT 1",
                 [str(path)])[0]


def write(folder: Path, data: bytes, name: str = NAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def with_controls(text: str, count: int, seed: int = 1) -> tuple[str, int]:
    """The text with `count` control characters (NUL among them) put inside fields, never beside a delimiter."""
    rng = random.Random(seed)
    chars = list(text)
    letters = [i for i, c in enumerate(chars) if c.isalpha()]
    for n, position in enumerate(sorted(rng.sample(letters, count), reverse=True)):
        chars.insert(position, "\x00" if n % 5 == 0 else chr(rng.choice(CONTROL_BYTES)))
    return "".join(chars), count


# --- accepted --------------------------------------------------------------------------------------------------

ACCEPTED = {
    "CR-only line endings": (lambda t: t.replace("\r\n", "\r").encode(), None),
    "LF line endings": (lambda t: t.replace("\r\n", "\n").encode(), None),
    "UTF-8 with a BOM": (lambda t: codecs.BOM_UTF8 + t.encode(), None),
    "UTF-16 LE with a BOM": (lambda t: t.encode("utf-16"), "decoded from UTF-16"),
    "UTF-16 BE with a BOM": (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "decoded from UTF-16"),
    "every field quoted": (lambda t: _quote_all(t).encode(), None),
}


def _quote_all(text: str) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(csv.reader(io.StringIO(text, newline="")))
    return out.getvalue()


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_accepted_variants_load_the_same_rows_as_the_csv_module(tmp_path, warehouse_file, case):
    make, note = ACCEPTED[case]
    path = write(tmp_path / "in", make(original_text()))
    report = ingest_paths([path, BESIDE], warehouse_file, gate=None)
    assert report.ok, [b.error for b in report.failed]
    assert stored_street(warehouse_file, path) == expected_street(original_text())
    assert log_row(warehouse_file, path) == ("loaded", None, note)


def test_control_characters_are_stripped_and_counted(tmp_path, warehouse_file):
    text, count = with_controls(original_text(), 25)
    assert text.count("\x00") >= 5
    path = write(tmp_path / "in", text.encode())
    report = ingest_paths([path], warehouse_file, gate=None)
    assert report.ok, report.batches[0].error
    assert report.batches[0].notes == "25 control characters stripped"
    assert log_row(warehouse_file, path) == ("loaded", None, "25 control characters stripped")
    assert stored_street(warehouse_file, path) == expected_street(original_text())
    stored_text = query(warehouse_file, "SELECT string_agg(concat_ws('|', crime_id, location, lsoa_name, crime_type,"
                                        " last_outcome_category, context), '') FROM street_crime")[0][0]
    assert not any(chr(b) in stored_text for b in CONTROL_BYTES)


# --- refused ---------------------------------------------------------------------------------------------------

def _refused(tmp_path: Path, case: str) -> tuple[Path, str]:
    """The bad file of `case`, written in a folder of its own, and a phrase its error must contain."""
    text = original_text()
    street_bytes = MONTH.read_bytes()
    lines = text.split("\r\n")
    rng = random.Random(3)
    cases = {
        "UTF-16 without a BOM": (NAME, lambda: text.encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        "binary": (NAME, lambda: bytes(rng.randrange(256) for _ in range(50_000)), "binary"),
        "mixed line endings": (NAME, lambda: ("\r\n".join(lines[:100]) + "\r" + "\r".join(lines[100:])).encode(),
                               "mixed line endings"),
        "mostly NUL": (NAME, lambda: street_bytes[:2000] + b"\x00" * 5000 + street_bytes[2000:], "binary"),
        "Latin-1": (NAME, lambda: text.replace("On or near", "On or n\xe9ar").encode("latin-1"), "unicode"),
        "street named as outcomes": (NAME.replace("street", "outcomes"), lambda: street_bytes,
                                     "the header is the published street header but the name says outcomes"),
        "outcomes named as street": (NAME, lambda: (NORTHUMBRIA / "2022-09-northumbria-outcomes.csv").read_bytes()[:20000],
                                     "the header is the published outcomes header but the name says street"),
        "empty": (NAME, lambda: codecs.BOM_UTF8 + b"\r\n", "empty"),
        # DuckDB would drop the empty last field and load the row shifted one column to the right.
        "a stray comma beside a quote": (NAME, lambda: street_bytes.replace(b"Status update", b'Status" update', 1)
                                         .replace(b"On or near ", b"On or near,", 1),
                                         "line 2 has 13 fields, more than the header's 12"),
        "a stray comma in a row": (NAME, lambda: street_bytes.replace(b"On or near ", b"On or near,", 1),
                                   "some rows have more fields than the header's 12 (7,811 delimiters "
                                   "where 7,810 fit)"),
    }
    name, make, phrase = cases[case]
    return write(tmp_path / "bad", make(), name), phrase


REFUSED = ["UTF-16 without a BOM", "binary", "mixed line endings", "mostly NUL", "Latin-1", "street named as outcomes",
           "outcomes named as street", "empty", "a stray comma in a row", "a stray comma beside a quote"]


@pytest.mark.parametrize("case", REFUSED)
def test_refused_files_give_one_error_a_log_row_and_nothing_stored(tmp_path, warehouse_file, case):
    path, phrase = _refused(tmp_path, case)
    report = ingest_paths([path, BESIDE], warehouse_file, gate=None)
    [failed] = report.failed
    assert failed.name == str(path) and str(path) in failed.error and phrase.lower() in failed.error.lower(), failed.error
    status, error, _ = log_row(warehouse_file, path)
    assert (status, error) == ("failed", failed.error)
    assert query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0] == 0
    assert query(warehouse_file, "SELECT count(*) FROM outcome")[0][0] == 0
    assert query(warehouse_file, "SELECT count(*) FROM stop_search WHERE source_file = ?", [str(BESIDE)])[0][0] > 0


def _street_with_an_extra_column() -> bytes:
    lines = MONTH.read_bytes().split(b"\r\n")
    return b"\r\n".join([lines[0] + b",Extra", *(line + b",x" for line in lines[1:-1])]) + b"\r\n"


@pytest.mark.parametrize("data, phrase", [
    (MONTH.read_bytes(), "the header is the published street header but the name says outcomes"),
    (_street_with_an_extra_column(), "the header is a street header (it has Crime type, Last outcome category; "
                                     "no Outcome type) but the name says outcomes"),
], ids=["published street header", "street header with an extra column"])
def test_street_file_named_as_outcomes_through_the_real_gate_is_one_error(tmp_path, warehouse_file, caplog, data, phrase):
    """It used to reach the outcomes suite and log ~99 tracebacks; now it never reaches the gate."""
    path = write(tmp_path, data, NAME.replace("street", "outcomes"))
    report = ingest_paths([path], warehouse_file)
    [failed] = report.batches
    assert failed.status == "failed" and failed.error == f"{path}: {phrase}; rename it"
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
    assert query(warehouse_file, "SELECT count(*) FROM validation_result")[0][0] == 0


# --- limits ----------------------------------------------------------------------------------------------------

def test_row_and_size_caps_refuse_the_file(tmp_path, warehouse_file, monkeypatch):
    path = write(tmp_path / "in", MONTH.read_bytes())
    rows = len(published_rows(original_text()))
    monkeypatch.setenv("TASKING_MAX_ROWS", str(rows - 1))
    [batch] = ingest_paths([path], warehouse_file, gate=None).batches
    assert batch.status == "failed" and f"has {rows:,} lines after the header, over the cap of {rows - 1:,}" in batch.error
    monkeypatch.setenv("TASKING_MAX_ROWS", str(rows))
    monkeypatch.setenv("TASKING_MAX_FILE_MB", "0.1")
    [batch] = ingest_paths([path], warehouse_file, gate=None).batches
    assert batch.status == "failed" and "larger than the cap" in batch.error
    monkeypatch.delenv("TASKING_MAX_FILE_MB")
    assert ingest_paths([path], warehouse_file, gate=None).batches[0].status == "loaded"


def _zip_of_zeros(path: Path, member: str, size: int) -> Path:
    """A small archive whose member expands to `size` bytes (written in blocks: test memory stays small)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open(member, "w", force_zip64=True) as out:
        header = MONTH.read_bytes().split(b"\r\n", 1)[0] + b"\r\n"
        out.write(header)
        block = b"\x00" * (1 << 20)
        for _ in range(size >> 20):
            out.write(block)
    return path


@pytest.mark.parametrize("size, phrase", [(1 << 30, "expands to 1,073,741,") , (64 << 20, "possible zip bomb")],
                         ids=["1 GiB: declared size over the cap", "64 MiB: ratio over the cap while extracting"])
def test_zip_bomb_is_refused_with_default_limits(tmp_path, warehouse_file, size, phrase):
    member = f"2023-03/{NAME}"
    bomb = _zip_of_zeros(tmp_path / "2023-03.zip", member, size)  # like the issue's: 4.5 MB for 1 GiB
    assert bomb.stat().st_size < 5 << 20
    report = ingest_paths([bomb, BESIDE], warehouse_file, gate=None)
    [failed] = report.failed
    assert failed.name == f"{bomb}!{member}" and phrase in failed.error, failed.error
    assert query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0] == 0
    assert report.count("loaded") == 1
    assert list(temp_root().glob(f"run-{os.getpid()}-*/*")) == []  # the partial extraction was removed


def test_archive_member_over_the_size_cap_is_refused(tmp_path, warehouse_file, monkeypatch):
    monkeypatch.setenv("TASKING_MAX_FILE_MB", "2")
    northumbria = (NORTHUMBRIA / "2022-07-northumbria-street.csv").read_bytes()  # 3.6 MB, compresses ~4x
    archive = tmp_path / "2022-07.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("2022-07/2022-07-northumbria-street.csv", northumbria)
        z.writestr("2022-07/2022-07-northumbria-stop-and-search.csv", (NORTHUMBRIA / "2022-07-northumbria-stop-and-search.csv").read_bytes())
    report = ingest_paths([archive], warehouse_file, gate=None)
    [failed] = report.failed
    assert failed.name.endswith("2022-07-northumbria-street.csv") and "over the cap of 2 MiB" in failed.error
    assert report.count("loaded") == 1


def test_symlinks_are_refused_given_or_found(tmp_path, warehouse_file):
    folder = tmp_path / "in"
    folder.mkdir()
    link = folder / NAME
    link.symlink_to("/etc/passwd")
    (folder / "months").symlink_to(CITY_OF_LONDON)  # a linked folder inside a given folder is not followed
    report = ingest_paths([folder, link, BESIDE], warehouse_file, gate=None)
    errors = sorted(b.error for b in report.failed)
    assert errors == sorted([f"{folder / 'months'}: is a symbolic link to a folder; refused",
                             f"{link}: is a symbolic link; refused (give the file itself)",
                             f"{link}: is a symbolic link; refused (give the file itself)"])
    assert report.count("loaded") == 1
    assert query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0] == 0
    assert query(warehouse_file, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'quarantine'")[0][0] == 0
    assert query(warehouse_file, "SELECT count(*) FROM ingest_log WHERE path = ? AND status = 'failed'", [str(link)])[0][0] == 2


def test_two_inputs_for_one_month_are_a_conflict_naming_both(tmp_path, warehouse_file):
    first = write(tmp_path / "a", MONTH.read_bytes())
    second = write(tmp_path / "b", MONTH.read_bytes().replace(b"Burglary", b"Robbery"))
    other = CITY_OF_LONDON / "2023-04-city-of-london-street.csv"
    report = ingest_paths([tmp_path / "a", tmp_path / "b", other, other], warehouse_file, gate=None)
    errors = {b.name: b.error for b in report.failed}
    assert set(errors) == {str(first), str(second)}
    assert f"is also given by {second}" in errors[str(first)] and f"is also given by {first}" in errors[str(second)]
    assert all("conflict: street city-of-london 2023-03" in e for e in errors.values())
    # The same file named twice is one input, loaded once.
    assert [b.name for b in report.batches if b.status == "loaded"] == [str(other)]
    assert query(warehouse_file, "SELECT count(DISTINCT month) FROM street_crime")[0][0] == 1


def test_stale_scratch_folders_of_dead_processes_are_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKING_TMP", str(tmp_path / "tmp"))
    root = temp_root()
    dead = root / "run-999999999-abc"  # no such process
    dead.mkdir()
    (dead / "partial.csv").write_bytes(b"x" * 100)
    mine = root / f"run-{os.getpid()}-abc"
    mine.mkdir()
    assert clean_stale_scratch(root) == [dead]
    assert not dead.exists() and mine.exists()


# --- force extracts read the same way ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    from sources.synthetic_internal import generate_internal

    return generate_internal(tmp_path_factory.mktemp("internal"), "demo-shire", date(2024, 3, 1), date(2024, 3, 10),
                             seed=5, records_per_day=20, nominal_count=3)


def test_force_extracts_are_read_through_the_same_safe_reader(extract, tmp_path):
    from sources.internal import load_mapping, read_extract
    from sources.files import SourceError

    mapping = load_mapping(extract.mapping)
    original = read_extract(extract.extract, mapping).rows.drop(columns="line")
    text = extract.extract.read_text(encoding="utf-8")
    variants = {
        "cr-only.csv": text.replace("\r\n", "\r").encode(),
        "nul.csv": text.replace(",", ",\x00", 3).encode(),
    }
    for name, data in variants.items():
        path = write(tmp_path, data, name)
        assert read_extract(path, mapping).rows.drop(columns="line").equals(original), name
    utf16 = write(tmp_path, text.encode("utf-16"), "utf16.csv")
    assert read_extract(utf16, mapping.model_copy(update={"encoding": "utf-16"})).rows.drop(columns="line").equals(original)
    link = tmp_path / "link.csv"
    link.symlink_to("/etc/passwd")
    with pytest.raises(SourceError, match="link.csv: is a symbolic link; refused"):
        read_extract(link, mapping)
    no_bom = write(tmp_path, text.encode("utf-16-le"), "utf16-no-bom.csv")
    with pytest.raises(SourceError, match="without a byte-order mark"):
        read_extract(no_bom, mapping)


def test_a_reference_file_that_is_a_symbolic_link_is_refused(tmp_path, warehouse_file):
    from tasks.ingest_reference import ingest_reference_paths

    link = tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    link.symlink_to("/etc/passwd")
    [batch] = ingest_reference_paths([link], warehouse_file, gate=None).batches
    assert batch.status == "failed" and batch.error == f"{link}: is a symbolic link; refused (give the file itself)"


def test_a_force_extract_that_is_a_symbolic_link_is_refused_before_it_is_hashed(extract, tmp_path, warehouse_file):
    from tasks.ingest_internal import ingest_internal_paths

    link = tmp_path / "extract.csv"
    link.symlink_to(extract.extract)
    [batch] = ingest_internal_paths([link], extract.mapping, warehouse_file, gate=None).batches
    assert batch.status == "failed" and batch.error == f"{link}: is a symbolic link; refused (give the file itself)"
    assert query(warehouse_file, "SELECT sha256 FROM ingest_log WHERE path = ?", [str(link)]) == [(None,)]


def test_limits_come_from_the_config_file_and_the_environment_overrides_them(tmp_path, monkeypatch):
    from sources.files import MIB, current_limits

    config = tmp_path / "tasking.yaml"
    config.write_text("forces: [city-of-london]\ningest:\n  limits: {max_file_mb: 7, max_ratio: 20, max_rows: 900}\n")
    monkeypatch.setenv("TASKING_CONFIG", str(config))
    for variable in ("TASKING_MAX_FILE_MB", "TASKING_MAX_RATIO", "TASKING_MAX_ROWS"):
        monkeypatch.delenv(variable, raising=False)
    limits = current_limits()
    assert (limits.max_bytes, limits.max_ratio, limits.max_rows) == (7 * MIB, 20, 900)
    monkeypatch.setenv("TASKING_MAX_ROWS", "50")
    assert current_limits().max_rows == 50
    config.write_text("forces: [city-of-london]\ningest:\n  limits: {max_file_mb: 8}\n")
    os.utime(config, ns=(1, 1))  # a changed file is read again even within the same clock tick
    assert (current_limits().max_bytes, current_limits().max_ratio) == (8 * MIB, 100)


def test_a_fifo_named_as_a_month_is_refused_without_blocking(tmp_path, warehouse_file):
    from sources.files import SourceError, open_regular

    folder = tmp_path / "in"
    folder.mkdir()
    fifo = folder / NAME
    os.mkfifo(fifo)
    report = ingest_paths([folder, BESIDE], warehouse_file, gate=None)
    assert [b.error for b in report.failed] == [f"{fifo}: is not a regular file; refused"]
    with pytest.raises(SourceError, match="is not a regular file"):
        open_regular(fifo, str(fifo))  # opened without a writer on the other end: must not block
