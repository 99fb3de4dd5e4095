"""The quality gate on real files and on corrupted copies of them, completeness, and re-validation."""
from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import statistics
from pathlib import Path

import duckdb
import pytest

from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.validate import SuiteError, completeness, run_suite

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA, POLICE_UK, REFERENCE

CITY_OCT = CITY_OF_LONDON / "2021-10-city-of-london-street.csv"
CITY_NOV = CITY_OF_LONDON / "2021-11-city-of-london-street.csv"


def query(warehouse_file: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    data = buffer.getvalue().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def corrupt(source: Path, target: Path, change) -> Path:
    """Write `source` to `target` after `change(header, rows)` edits them in place."""
    header, rows = read_rows(source)
    change(header, rows)
    return write_rows(target, header, rows)


def first_row(header, rows, **conditions):
    return next(r for r in rows if all(r[header.index(column)] == value for column, value in conditions.items()))


def set_crime_type(header, rows):
    rows[2][header.index("Crime type")] = "Alien abduction"


def zero_coordinates(header, rows):
    row = next(r for r in rows if r[header.index("Longitude")])
    row[header.index("Longitude")] = "0"
    row[header.index("Latitude")] = "0"


def drop_context(header, rows):
    at = header.index("Context")
    del header[at]
    for row in rows:
        del row[at]


def row_from_another_month(header, rows):
    rows[5][header.index("Month")] = "2021-09"


def ten_character_crime_id(header, rows):
    row = next(r for r in rows if r[header.index("Crime ID")])
    row[header.index("Crime ID")] = "abcdef0123"


CORRUPTIONS = {
    "unknown crime type": (set_crime_type, "expect_column_values_to_be_in_set(crime_type)"),
    "coordinates at 0,0": (zero_coordinates, "expect_column_values_to_be_between(latitude)"),
    "dropped column": (drop_context, "expect_table_columns_to_match_ordered_list"),
    "row from another month": (row_from_another_month, "expect_column_values_to_be_between(month)"),
    "crime ID of 10 characters": (ten_character_crime_id, "Crime ID is 64 hexadecimal characters"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_file_is_quarantined_naming_the_expectation_and_the_warehouse_is_unchanged(tmp_path, warehouse_file, case):
    change, expected_label = CORRUPTIONS[case]
    assert ingest_paths([CITY_OCT], warehouse_file).ok
    before = query(warehouse_file, "SELECT * FROM street_crime ORDER BY ALL")

    bad = corrupt(CITY_OCT, tmp_path / "bad" / CITY_OCT.name, change)
    report = ingest_paths([bad, CITY_NOV], warehouse_file)

    assert not report.ok
    bad_result = next(b for b in report.batches if b.name == str(bad))
    assert bad_result.status == "quarantined"
    assert str(bad) in bad_result.error and expected_label in bad_result.error, bad_result.error
    # The other batch in the run still loaded; the re-released month kept its previous rows exactly.
    assert next(b for b in report.batches if b.name == str(CITY_NOV)).status == "loaded"
    assert query(warehouse_file, "SELECT * FROM street_crime WHERE month = DATE '2021-10-01' ORDER BY ALL") == before
    batch_id, logged = query(warehouse_file, "SELECT batch_id, status FROM ingest_log WHERE path = ?", [str(bad)])[0]
    assert logged == "quarantined"
    failing = query(warehouse_file, "SELECT expectation, column_name, description, unexpected_examples FROM validation_result"
                                    " WHERE batch_id = ? AND severity = 'critical' AND NOT success", [batch_id])
    assert any(expected_label in f"{e}({c}): {d}" for e, c, d, _ in failing), failing
    kept = query(warehouse_file, f"SELECT count(*) FROM quarantine.batch_{batch_id}")[0][0]
    assert kept == len(read_rows(bad)[1])
    assert query(warehouse_file, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'")[0][0] == 0


def test_failing_rows_are_stored_as_examples(tmp_path, warehouse_file):
    bad = corrupt(CITY_OCT, tmp_path / CITY_OCT.name, ten_character_crime_id)
    ingest_paths([bad], warehouse_file)
    examples, count = query(warehouse_file, "SELECT unexpected_examples, unexpected_count FROM validation_result"
                                            " WHERE description = 'Crime ID is 64 hexadecimal characters'")[0]
    assert count == 1 and json.loads(examples)[0]["crime_id"] == "abcdef0123"


def test_stop_and_search_dated_outside_its_month_is_quarantined(tmp_path, warehouse_file):
    source = NORTHUMBRIA / "2022-08-northumbria-stop-and-search.csv"

    def move_one_search_to_july(header, rows):
        rows[0][header.index("Date")] = "2022-07-31T23:00:00+00:00"

    bad = corrupt(source, tmp_path / source.name, move_one_search_to_july)
    batch = ingest_paths([bad], warehouse_file).batches[0]
    assert batch.status == "quarantined" and "Date (UTC) is inside the file's month" in batch.error
    assert query(warehouse_file, "SELECT count(*) FROM stop_search")[0][0] == 0


def test_reference_file_out_of_range_rank_is_quarantined_and_nothing_stored(tmp_path, warehouse_file):
    source = REFERENCE / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"

    def impossible_rank(header, rows):
        rows[0][header.index("Index of Multiple Deprivation (IMD) Rank")] = "40,000"

    bad = corrupt(source, tmp_path / source.name, impossible_rank)
    report = ingest_reference_paths([bad], warehouse_file)
    assert report.batches[0].status == "quarantined"
    assert "expect_column_values_to_be_between(imd_rank)" in report.batches[0].error
    assert query(warehouse_file, "SELECT count(*) FROM lsoa")[0][0] == 0


def test_missing_and_half_loaded_months_are_reported_incomplete(tmp_path, warehouse_file):
    months = sorted(CITY_OF_LONDON.glob("*-street.csv"))[:12]  # 2021-09 .. 2022-08
    folder = tmp_path / "city"
    folder.mkdir()
    kept_counts = []
    for path in months:
        header, rows = read_rows(path)
        if path.name.startswith("2022-03"):
            continue  # removed
        if path.name.startswith("2022-02"):
            halved = rows[: len(rows) // 2]
            # Independently of the view: the halved month is under half the median of the months before it.
            assert len(halved) < 0.5 * statistics.median(kept_counts)
            write_rows(folder / path.name, header, halved)
            kept_counts.append(len(halved))
        else:
            shutil.copy(path, folder / path.name)
            kept_counts.append(len(rows))
    assert ingest_paths([folder], warehouse_file, gate=None).ok

    gaps = completeness(warehouse_file)
    assert [(row.month.strftime("%Y-%m"), row.status) for row in gaps.itertuples()] == [("2022-02", "partial"), ("2022-03", "missing")]
    partial = gaps.iloc[0]
    assert partial["rows"] == kept_counts[5] and partial["baseline_months"] == 5
    assert partial["baseline_median"] == statistics.median(kept_counts[:5])
    assert "below half the median" in partial["reason"]
    assert completeness(warehouse_file, force="another-force").empty


def test_a_quarantined_latest_month_is_a_gap_naming_the_batch(tmp_path, warehouse_file):
    assert ingest_paths([CITY_OCT, CITY_NOV], warehouse_file).ok
    december = CITY_OF_LONDON / "2021-12-city-of-london-street.csv"
    bad = corrupt(december, tmp_path / december.name, set_crime_type)
    batch = ingest_paths([bad], warehouse_file).batches[0]
    gaps = completeness(warehouse_file)
    assert len(gaps) == 1 and gaps.iloc[0]["status"] == "missing"
    assert "quarantined" in gaps.iloc[0]["reason"]
    logged = query(warehouse_file, "SELECT batch_id FROM ingest_log WHERE path = ?", [batch.name])[0][0]
    assert gaps.iloc[0]["rejected_batch_id"] == logged


def reference_files() -> list[Path]:
    """The reference files ingest-reference finds in the folder: IoD, lookup, and boundary files."""
    from sources.boundaries import is_boundary_file

    return [p for p in REFERENCE.rglob("*") if p.is_file()
            and (p.name.lower().endswith((".csv", ".csv.gz")) or is_boundary_file(p))]


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> Path:
    """Every real police and reference file, loaded through the gate."""
    warehouse_file = tmp_path_factory.mktemp("gated") / "warehouse.duckdb"
    police = ingest_paths([POLICE_UK], warehouse_file)
    reference = ingest_reference_paths([REFERENCE], warehouse_file)
    assert police.ok and reference.ok, [b.error for b in police.failed + reference.failed]
    return warehouse_file


def test_every_real_file_passes_every_critical_expectation(gated):
    batches = query(gated, "SELECT count(*) FROM ingest_log WHERE status = 'loaded'")[0][0]
    assert batches == len(list(POLICE_UK.rglob("*.csv"))) + len(reference_files())
    validated = query(gated, "SELECT count(DISTINCT batch_id) FROM validation_result WHERE run = 'gate'")[0][0]
    assert validated == batches
    failed = query(gated, "SELECT suite, expectation, column_name FROM validation_result WHERE severity = 'critical' AND NOT success")
    assert failed == []
    assert completeness(gated).empty


def test_real_defects_show_as_warnings(gated):
    # Real street files repeat some crime IDs, and City of London has months where over 10% of rows have no LSOA.
    warned = {row[0] for row in query(gated, "SELECT description FROM validation_result WHERE severity = 'warning' AND NOT success")}
    assert "A crime ID appears once in a street file (observed: how many IDs repeat)" in warned


def test_validate_passes_stored_real_data_and_catches_a_tampered_month(gated, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(gated, tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute("UPDATE street_crime SET crime_type = 'Bogus' WHERE force = 'northumbria' AND month = DATE '2022-08-01'"
                    " AND crime_id IN (SELECT crime_id FROM street_crime WHERE force = 'northumbria'"
                    " AND month = DATE '2022-08-01' AND crime_id IS NOT NULL LIMIT 3)")
    page = tmp_path / "quality.html"
    result = CliRunner().invoke(app, ["validate", "--warehouse", str(tampered), "--html", str(page)], env={"COLUMNS": "250"})

    assert result.exit_code == 1, result.output
    assert "expect_column_values_to_be_in_set(crime_type)" in result.output
    # Every stored month and reference file was re-validated; only the tampered month fails, against its loading batch.
    validated = query(tampered, "SELECT count(DISTINCT suite || coalesce(CAST(batch_id AS VARCHAR), '')) FROM validation_result"
                                " WHERE run = 'revalidate'")[0][0]
    # (Stored boundary polygons are not re-validated: their gate needs shapely on the geometry, see docs/geography.md.)
    tables = [p for p in reference_files() if not p.name.lower().endswith((".json", ".geojson", ".shp", ".gpkg"))]
    assert validated == len(list(POLICE_UK.rglob("*.csv"))) + len(tables)
    failing = query(tampered, "SELECT DISTINCT l.kind, l.force, strftime(l.month, '%Y-%m'), v.expectation, v.column_name"
                              " FROM validation_result v JOIN ingest_log l USING (batch_id)"
                              " WHERE v.run = 'revalidate' AND v.severity = 'critical' AND NOT v.success")
    assert failing == [("street", "northumbria", "2022-08", "expect_column_values_to_be_in_set", "crime_type")]
    assert "Bogus" in page.read_text()


def test_status_shows_pass_rates_quarantine_and_gaps(tmp_path, warehouse_file):
    from typer.testing import CliRunner

    from cli.main import app

    december = CITY_OF_LONDON / "2021-12-city-of-london-street.csv"
    ingest_paths([CITY_OCT, CITY_NOV, corrupt(december, tmp_path / december.name, set_crime_type)], warehouse_file)
    result = CliRunner().invoke(app, ["status", "--warehouse", str(warehouse_file)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "66.7%" in result.output  # 2 of 3 street batches passed
    assert "quarantined" in result.output and "2021-12" in result.output and "missing" in result.output


def test_gx_runs_inside_duckdb_and_releases_the_file(tmp_path):
    """Guards the one GX patch (duckdb keeps its connection, as sqlite does) against a GX upgrade."""
    import great_expectations

    assert great_expectations.__version__ == "1.24.1"
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.batch_1 AS SELECT * FROM (VALUES ('E01000001'), ('X')) AS t(lsoa11_code)")
    run = run_suite(con, "staging.batch_1", "iod-imd")
    con.close()
    by_label = {o.label.split(":")[0]: o for o in run.outcomes}
    columns = by_label["expect_table_columns_to_match_ordered_list"]
    assert columns.error is None and columns.observed_value == ["lsoa11_code"] and not columns.success
    # The GX connection was closed with its engine: the file can be opened read-only in this same process.
    with duckdb.connect(str(path), read_only=True) as again:
        assert again.execute("SELECT count(*) FROM staging.batch_1").fetchone()[0] == 2


def test_gx_sql_checks_count_their_rows_without_fetching_them(tmp_path, warehouse_file):
    """Guards the second GX patch (tasks.validate._install_rows_query_counts_only) against a GX upgrade: an SQL
    check depends on its row count alone, and still reports the count, its failure and a few example rows."""
    from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation

    def two_short_crime_ids(header, rows):
        ids = [row for row in rows if row[header.index("Crime ID")]][:2]
        for n, row in enumerate(ids):
            row[header.index("Crime ID")] = f"abcdef012{n}"

    bad = corrupt(CITY_OCT, tmp_path / CITY_OCT.name, two_short_crime_ids)
    assert ingest_paths([bad], warehouse_file).batches[0].status == "quarantined"
    assert UnexpectedRowsExpectation.metric_dependencies == ("unexpected_rows_query.row_count",)
    success, observed, count, examples = query(
        warehouse_file, "SELECT success, observed_value, unexpected_count, unexpected_examples FROM validation_result"
                        " WHERE description = 'Crime ID is 64 hexadecimal characters'")[0]
    assert (success, observed, count) == (False, "2", 2)
    assert sorted(e["crime_id"] for e in json.loads(examples)) == ["abcdef0120", "abcdef0121"]


@pytest.fixture
def suites_dir(tmp_path, monkeypatch):
    import tasks.validate as validate

    monkeypatch.setattr(validate, "EXPECTATIONS_DIR", tmp_path)
    validate._gx_suite.cache_clear()
    yield tmp_path
    validate._gx_suite.cache_clear()


def test_a_suite_without_a_severity_is_refused_naming_the_file(suites_dir):
    from tasks.validate import suite_definition

    (suites_dir / "street.json").write_text(json.dumps({"name": "street", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "month"}, "meta": {}}]}))
    with pytest.raises(SuiteError, match=r"street\.json.*severity"):
        suite_definition("street")


def test_a_suite_expectation_gx_cannot_build_is_refused(suites_dir):
    from tasks.validate import _gx_suite

    (suites_dir / "street.json").write_text(json.dumps({"name": "street", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "month"}, "meta": {"severity": "critical"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {}, "meta": {"severity": "critical"}}]}))
    with pytest.raises(SuiteError, match=r"street\.json.*could not build.*column"):
        _gx_suite("street")
    (suites_dir / "street.json").write_text(json.dumps({"name": "street", "expectations": [
        {"type": "expect_no_such_thing", "kwargs": {"column": "month"}, "meta": {"severity": "critical"}}]}))
    with pytest.raises(SuiteError, match=r"street\.json.*could not build"):
        _gx_suite("street")
