"""Ingest in groups (one kind and month across forces, gated together): the same rows and the same per-file
gate results as loading file by file, and a bad file among many quarantined alone."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from sources.synthetic import generate
from tasks.ingest import ingest_paths, plan_groups
from sources.police_uk import discover

FORCES = ("force-1", "force-2", "force-3")


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """Three SYNTHETIC forces, two months, all three kinds: 18 files."""
    folder = tmp_path_factory.mktemp("national")
    for seed, force in enumerate(FORCES, start=1):
        generate(folder, force=force, months=("2024-01", "2024-02"), seed=seed, rows_per_month=1500, reference=False)
    return folder


def query(warehouse_file: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def stored_rows(warehouse_file: Path) -> dict[str, list[tuple]]:
    """Every stored row of each table, without the load time (lineage columns kept: file name and hash)."""
    tables = {}
    for table in ("street_crime", "outcome", "stop_search"):
        columns = [row[0] for row in query(warehouse_file, f"DESCRIBE {table}") if row[0] != "ingested_at"]
        tables[table] = query(warehouse_file, f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL")
    return tables


def gate_results(warehouse_file: Path) -> list[tuple]:
    """What the gate stored per file and expectation (example rows without their load time)."""
    rows = query(warehouse_file, """
        SELECT l.path, v.suite, v.expectation, v.column_name, v.description, v.severity, v.success, v.observed_value,
               v.unexpected_count, v.unexpected_percent, v.unexpected_examples, v.error
        FROM validation_result v JOIN ingest_log l USING (batch_id) WHERE v.run = 'gate' ORDER BY ALL""")
    return [row[:10] + (_without_load_time(row[10]),) + row[11:] for row in rows]


def _without_load_time(examples: str | None):
    parsed = json.loads(examples) if examples else examples
    if isinstance(parsed, list):
        parsed = [{k: v for k, v in e.items() if k != "ingested_at"} if isinstance(e, dict) else e for e in parsed]
    return parsed


def test_groups_hold_one_kind_and_each_force_month_once(national, tmp_path):
    sources, _ = discover([national])
    groups = plan_groups(sources)
    assert len(groups) == 3  # one a kind, across forces and months
    for group in groups:
        assert len({s.kind for s in group}) == 1
        assert sorted((s.force, s.month.isoformat()) for s in group) == \
            [(force, month) for force in FORCES for month in ("2024-01-01", "2024-02-01")]
    # The same file given twice goes to a later group, so it is loaded after the first copy.
    twice = plan_groups(sources + sources[:1])
    assert len(twice) == 4 and twice[-1] == sources[:1]
    # At most max_files a group.
    assert [len(group) for group in plan_groups(sources, max_files=4)] == [4, 2, 4, 2, 4, 2]


def test_one_call_over_many_forces_and_months_gives_the_rows_and_gate_results_of_file_by_file(national, tmp_path):
    together, one_by_one = tmp_path / "together.duckdb", tmp_path / "one_by_one.duckdb"
    report = ingest_paths([national], together)
    assert report.ok and len(report.batches) == 18 and {b.status for b in report.batches} == {"loaded"}
    for path in sorted(national.rglob("*.csv")):
        assert ingest_paths([path], one_by_one, group_files=1).ok
    assert stored_rows(together) == stored_rows(one_by_one)
    # Each file's stored gate results are those of validating it alone, expectation by expectation.
    assert gate_results(together) == gate_results(one_by_one)
    assert query(together, "SELECT count(DISTINCT batch_id) FROM validation_result WHERE run = 'gate'") == [(18,)]
    # Every file has its own ingest_log row with its hash and rows; loading again changes nothing.
    assert query(together, "SELECT count(*), count(DISTINCT sha256), sum(rows) FROM ingest_log") == \
        query(one_by_one, "SELECT count(*), count(DISTINCT sha256), sum(rows) FROM ingest_log")
    again = ingest_paths([national], together)
    assert {b.status for b in again.batches} == {"unchanged"}
    assert stored_rows(together) == stored_rows(one_by_one)


def test_bad_files_among_many_are_quarantined_alone_with_the_results_of_validating_them_alone(national, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for path in national.rglob("*.csv"):
        target = folder / path.relative_to(national)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    bad = folder / "2024-02" / "2024-02-force-2-street.csv"
    good_bytes = bad.read_bytes()
    bad.write_bytes(good_bytes.replace(b",Burglary,", b",Burglery,", 1))  # a crime type data.police.uk never uses
    bad_id = folder / "2024-01" / "2024-01-force-3-outcomes.csv"
    lines = bad_id.read_bytes().split(b"\r\n")
    lines[1] = b"not-a-crime-id" + lines[1][64:]  # an SQL check's failure, counted for this file alone
    bad_id.write_bytes(b"\r\n".join(lines))
    warehouse_file = tmp_path / "warehouse.duckdb"

    report = ingest_paths([folder], warehouse_file)
    assert sorted((b.name, b.status) for b in report.failed) == [(str(bad_id), "quarantined"), (str(bad), "quarantined")]
    assert "crime_type" in report.failed[-1].error or "crime_type" in report.failed[0].error
    assert report.count("loaded") == 16
    assert query(warehouse_file, "SELECT count(*) FROM street_crime WHERE force = 'force-2' AND month = '2024-02-01'") == [(0,)]
    assert query(warehouse_file, "SELECT DISTINCT force FROM street_crime WHERE month = '2024-02-01' ORDER BY 1") == \
        [("force-1",), ("force-3",)]
    batch_id = query(warehouse_file, "SELECT batch_id FROM ingest_log WHERE path = ?", [str(bad)])[0][0]
    assert query(warehouse_file, f"SELECT count(*) FROM quarantine.batch_{batch_id} WHERE crime_type = 'Burglery'") == [(1,)]
    # Only the bad files' stored results fail a critical expectation, and they are those of validating each alone.
    assert query(warehouse_file, "SELECT DISTINCT l.path FROM validation_result v JOIN ingest_log l USING (batch_id)"
                                 " WHERE v.severity = 'critical' AND NOT v.success ORDER BY 1") == [(str(bad_id),), (str(bad),)]
    alone = tmp_path / "alone.duckdb"
    assert [(b.name, b.status) for b in ingest_paths([folder], alone, group_files=1).batches] == \
        [(b.name, b.status) for b in report.batches]
    assert gate_results(warehouse_file) == gate_results(alone)

    bad.write_bytes(good_bytes)  # the fixed file: loaded, and nothing else is touched
    fixed = ingest_paths([folder], warehouse_file)
    assert [(b.name, b.status) for b in fixed.batches if b.status != "unchanged"] == \
        [(str(bad_id), "quarantined"), (str(bad), "loaded")]


def _rewrite_rows(path: Path, change) -> None:
    """Rewrite a published CSV (CRLF, as the generator writes it) with `change(row_number, row)` applied."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    body = [change(number, dict(zip(header, row))) for number, row in enumerate(body)]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([row[column] for column in header] for row in body)


def test_checks_judged_per_file_in_sql_give_the_results_of_gx_on_the_file_alone(national, tmp_path):
    """A group spans months, so the month check is judged per file; row checks that found rows in the group are
    counted per file. A wrong month, a column mostly null and a value outside its set each stay with their file."""
    folder = tmp_path / "data"
    for path in national.rglob("*.csv"):
        target = folder / path.relative_to(national)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    wrong_month = folder / "2024-02" / "2024-02-force-1-street.csv"
    _rewrite_rows(wrong_month, lambda n, row: {**row, "Month": "2024-01"} if n == 3 else row)
    few_lsoas = folder / "2024-01" / "2024-01-force-2-street.csv"
    _rewrite_rows(few_lsoas, lambda n, row: {**row, "LSOA code": "", "LSOA name": ""} if n % 5 == 0 else row)
    odd_gender = folder / "2024-02" / "2024-02-force-3-stop-and-search.csv"
    _rewrite_rows(odd_gender, lambda n, row: {**row, "Gender": "Unrecorded"} if n < 2 else row)

    grouped, alone = tmp_path / "grouped.duckdb", tmp_path / "alone.duckdb"
    report = ingest_paths([folder], grouped)
    assert [(b.name, b.status) for b in report.failed] == [(str(wrong_month), "quarantined")]
    assert "Month equals the file's month" in report.failed[0].error
    assert [(b.name, b.status) for b in ingest_paths([folder], alone, group_files=1).batches] == \
        [(b.name, b.status) for b in report.batches]
    assert gate_results(grouped) == gate_results(alone)
    failed_checks = query(grouped, """
        SELECT l.path, v.expectation, v.column_name, v.unexpected_count FROM validation_result v
        JOIN ingest_log l USING (batch_id) WHERE NOT v.success ORDER BY ALL""")
    assert (str(few_lsoas), "expect_column_values_to_not_be_null", "lsoa_code") in [row[:3] for row in failed_checks]
    assert (str(odd_gender), "expect_column_values_to_be_in_set", "gender", 2) in failed_checks
    assert (str(wrong_month), "expect_column_values_to_be_between", "month", 1) in failed_checks
