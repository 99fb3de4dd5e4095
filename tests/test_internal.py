"""Internal extracts: the mapping, the reader's refusals, and the idempotent, gated ingest, on SYNTHETIC extracts."""
from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from sources.internal import CANONICAL_COLUMNS, load_mapping, read_extract
from sources.police_uk import SourceError
from sources.synthetic_internal import EXPORT_COLUMNS, generate_internal
from tasks.ingest_internal import ingest_internal_paths


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A month of SYNTHETIC records (about 1,200) with its mapping and nominals."""
    return generate_internal(tmp_path_factory.mktemp("synthetic"), "demo-shire", date(2024, 3, 1), date(2024, 3, 31),
                             seed=11, records_per_day=40, nominal_count=10)


def export_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The export read by the csv module, independent of the project's DuckDB reader."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_export(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def stored(warehouse_file: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def incident_count(warehouse_file: Path) -> int:
    return stored(warehouse_file, "SELECT count(*) FROM internal_incident")[0][0]


def test_mapping_round_trips_through_yaml(synthetic, tmp_path):
    mapping = load_mapping(synthetic.mapping)
    copy = tmp_path / "copy.yaml"
    copy.write_text(mapping.to_yaml(), encoding="utf-8")
    again = load_mapping(copy)
    assert again == mapping
    assert yaml.safe_load(copy.read_text())["columns"]["reference"] == EXPORT_COLUMNS["reference"]
    first, second = read_extract(synthetic.extract, mapping).rows, read_extract(synthetic.extract, again).rows
    assert first.equals(second)
    assert list(first.columns) == ["line", *CANONICAL_COLUMNS]


def test_extract_read_matches_an_independent_read(synthetic):
    header, rows = export_rows(synthetic.extract)
    extract = read_extract(synthetic.extract, load_mapping(synthetic.mapping)).rows
    assert len(extract) == len(rows)
    assert list(extract["reference"]) == [r["CRIME_REF"] for r in rows]
    burglaries = sum(1 for r in rows if r["OFFENCE_DESC"].startswith("BURGLARY"))
    assert int((extract["crime_type"] == "Burglary").sum()) == burglaries
    third = rows[2]
    assert extract.loc[2, "recorded_at"].strftime("%d/%m/%Y %H:%M") == third["RECORDED_DT"]
    assert extract.loc[2, "domestic"] == (third["DA_FLAG"] == "Y")
    # The synthetic area lies within about 12.5 km of 52.6N 1.2W.
    assert extract["latitude"].between(52.45, 52.75).all() and extract["longitude"].between(-1.4, -1.0).all()


def test_latitude_longitude_exports_are_projected_to_the_grid(synthetic, tmp_path):
    mapping = load_mapping(synthetic.mapping)
    grid = read_extract(synthetic.extract, mapping).rows
    header, rows = export_rows(synthetic.extract)
    for row, lat, lon in zip(rows, grid["latitude"], grid["longitude"]):
        row["LAT"], row["LON"] = f"{lat:.7f}", f"{lon:.7f}"
        del row["GRID_X"], row["GRID_Y"]
    header = [h for h in header if h not in ("GRID_X", "GRID_Y")] + ["LAT", "LON"]
    export = write_export(tmp_path / "degrees.csv", header, rows)
    document = yaml.safe_load(synthetic.mapping.read_text())
    del document["columns"]["easting"], document["columns"]["northing"]
    document["columns"].update(latitude="LAT", longitude="LON")
    degrees_mapping = tmp_path / "degrees.yaml"
    degrees_mapping.write_text(yaml.safe_dump(document))
    projected = read_extract(export, load_mapping(degrees_mapping)).rows
    assert (projected["easting"] - grid["easting"]).abs().max() < 0.5
    assert (projected["northing"] - grid["northing"]).abs().max() < 0.5


def test_the_same_extract_twice_stores_nothing_new(synthetic, warehouse_file, tmp_path):
    _, rows = export_rows(synthetic.extract)
    first = ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse_file)
    assert [b.status for b in first.batches] == ["loaded"], first.batches[0].error
    assert incident_count(warehouse_file) == len(rows) == first.batches[0].rows_added
    assert stored(warehouse_file, "SELECT count(*) FROM validation_result WHERE suite = 'internal' AND run = 'gate'")[0][0] > 0
    renamed = shutil.copy(synthetic.extract, tmp_path / "same-content-another-name.csv")
    again = ingest_internal_paths([synthetic.extract, renamed], synthetic.mapping, warehouse_file, gate=None)
    assert [b.status for b in again.batches] == ["unchanged", "unchanged"]
    assert incident_count(warehouse_file) == len(rows)
    lineage = stored(warehouse_file, "SELECT DISTINCT source_file, source_sha256, synthetic FROM internal_incident")
    assert len(lineage) == 1 and lineage[0][0] == str(synthetic.extract) and lineage[0][2] is True
    assert stored(warehouse_file, "SELECT status FROM ingest_log WHERE kind = 'internal' ORDER BY batch_id") == [
        ("loaded",), ("unchanged",), ("unchanged",)]


def test_an_overlapping_extract_updates_records_and_adds_new_ones(synthetic, warehouse_file, tmp_path):
    header, rows = export_rows(synthetic.extract)
    ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse_file, gate=None)
    later = [dict(r) for r in rows[-50:]]
    for row in later[:10]:
        row["LAST_OUTCOME"] = "Awaiting court outcome" if row["LAST_OUTCOME"] != "Awaiting court outcome" else "Local resolution"
    for number, row in enumerate(later[40:], start=1):
        row["CRIME_REF"] = f"SYN/NEW/{number:04d}"
    report = ingest_internal_paths([write_export(tmp_path / "next-day.csv", header, later)], synthetic.mapping, warehouse_file, gate=None)
    batch = report.batches[0]
    assert (batch.status, batch.rows, batch.rows_added, batch.outcomes_changed) == ("loaded", 50, 10, 10)
    assert incident_count(warehouse_file) == len(rows) + 10
    assert stored(warehouse_file, "SELECT count(DISTINCT reference) FROM internal_incident")[0][0] == len(rows) + 10


def test_a_corrupted_extract_is_quarantined_and_nothing_stored(synthetic, warehouse_file, tmp_path):
    header, rows = export_rows(synthetic.extract)
    rows[5]["OFFENCE_DESC"] = "OFFENCE NOBODY MAPPED"
    rows[9]["CRIME_REF"] = rows[8]["CRIME_REF"]
    report = ingest_internal_paths([write_export(tmp_path / "corrupted.csv", header, rows)], synthetic.mapping, warehouse_file)
    batch = report.batches[0]
    assert batch.status == "quarantined"
    assert "corrupted.csv" in batch.error and "crime_type" in batch.error and "reference" in batch.error
    assert incident_count(warehouse_file) == 0
    batch_id = stored(warehouse_file, "SELECT max(batch_id) FROM ingest_log")[0][0]
    assert stored(warehouse_file, f"SELECT count(*) FROM quarantine.batch_{batch_id}")[0][0] == len(rows)


def _refused(report, warehouse_file: Path, *fragments: str) -> str:
    assert [b.status for b in report.batches] == ["failed"]
    error = report.batches[0].error
    for fragment in fragments:
        assert fragment in error, error
    assert incident_count(warehouse_file) == 0
    assert stored(warehouse_file, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'")[0][0] == 0
    return error


def test_a_mapping_naming_a_missing_column_is_refused(synthetic, warehouse_file, tmp_path):
    document = yaml.safe_load(synthetic.mapping.read_text())
    document["columns"]["reference"] = "CRIME_REFERENCE_NO"
    mapping = tmp_path / "wrong.yaml"
    mapping.write_text(yaml.safe_dump(document))
    report = ingest_internal_paths([synthetic.extract], mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, str(synthetic.extract), "reference -> 'CRIME_REFERENCE_NO'", "CRIME_REF")


def test_dates_in_a_wrong_format_are_refused(synthetic, warehouse_file, tmp_path):
    header, rows = export_rows(synthetic.extract)
    rows[6]["OCC_FROM_DT"] = "2024-03-02 10:15"
    bad = write_export(tmp_path / "iso-dates.csv", header, rows)
    report = ingest_internal_paths([bad], synthetic.mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, "iso-dates.csv", "occurred_from", "OCC_FROM_DT", "%d/%m/%Y %H:%M", "line 8", "2024-03-02 10:15")


def test_coordinates_outside_the_force_area_are_refused(synthetic, warehouse_file, tmp_path):
    header, rows = export_rows(synthetic.extract)
    rows[0]["GRID_X"], rows[0]["GRID_Y"] = "530000", "180000"  # central London, far outside the area
    bad = write_export(tmp_path / "elsewhere.csv", header, rows)
    report = ingest_internal_paths([bad], synthetic.mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, "elsewhere.csv", "outside the force area", "line 2", "530000")


def test_a_ragged_extract_is_refused_with_the_file_named(synthetic, warehouse_file, tmp_path):
    text = synthetic.extract.read_text(encoding="utf-8").splitlines()
    text[4] = text[4] + ",EXTRA,FIELDS"
    bad = tmp_path / "ragged.csv"
    bad.write_text("\r\n".join(text) + "\r\n", encoding="utf-8")
    report = ingest_internal_paths([bad], synthetic.mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, "ragged.csv")


def test_an_invalid_mapping_file_is_refused_before_any_extract_is_read(synthetic, warehouse_file, tmp_path):
    document = yaml.safe_load(synthetic.mapping.read_text())
    document["offence_categories"]["SHOPLIFTING"] = "Shop theft"
    mapping = tmp_path / "categories.yaml"
    mapping.write_text(yaml.safe_dump(document))
    with pytest.raises(SourceError, match="Shop theft"):
        load_mapping(mapping)
    report = ingest_internal_paths([synthetic.extract], mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, "categories.yaml", "not data.police.uk categories")


def test_cli_ingests_an_extract_once_and_reports_a_bad_mapping(synthetic, warehouse_file, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    args = ["ingest-internal", str(synthetic.extract), "--mapping", str(synthetic.mapping), "--warehouse", str(warehouse_file)]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0 and "loaded 1" in first.output, first.output
    assert second.exit_code == 0 and "unchanged 1" in second.output
    near = runner.invoke(app, ["near-repeat", "--force", "demo-shire", "--warehouse", str(warehouse_file)])
    assert near.exit_code == 0 and "[1, 100) m" in near.output and "Burglary" in near.output, near.output
    document = yaml.safe_load(synthetic.mapping.read_text())
    document["columns"]["offence"] = "NO_SUCH_COLUMN"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document))
    failed = runner.invoke(app, ["ingest-internal", str(synthetic.extract), "--mapping", str(broken), "--warehouse", str(warehouse_file)])
    assert failed.exit_code == 1 and "NO_SUCH_COLUMN" in failed.output


def test_the_same_extract_through_a_changed_mapping_is_read_again(synthetic, warehouse_file, tmp_path):
    assert ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse_file, gate=None).batches[0].status == "loaded"
    document = yaml.safe_load(synthetic.mapping.read_text())
    document["offence_categories"]["FRAUD BY FALSE REPRESENTATION"] = "Other theft"
    remapped = tmp_path / "remapped.yaml"
    remapped.write_text("# comments and layout do not matter, content does\n" + yaml.safe_dump(document))
    batch = ingest_internal_paths([synthetic.extract], remapped, warehouse_file, gate=None).batches[0]
    assert (batch.status, batch.rows_added) == ("loaded", 0)
    assert stored(warehouse_file, "SELECT count(*) FROM internal_incident WHERE offence LIKE 'FRAUD%' AND crime_type <> 'Other theft'")[0][0] == 0
    again = ingest_internal_paths([synthetic.extract], remapped, warehouse_file, gate=None).batches[0]
    assert again.status == "unchanged"
    mappings = stored(warehouse_file, "SELECT mapping_file FROM internal_extract_batch ORDER BY batch_id")
    assert [Path(m).name for (m,) in mappings] == [synthetic.mapping.name, "remapped.yaml"]


def test_a_record_with_half_a_coordinate_pair_is_refused(synthetic, warehouse_file, tmp_path):
    header, rows = export_rows(synthetic.extract)
    rows[3]["GRID_Y"] = ""
    bad = write_export(tmp_path / "half.csv", header, rows)
    report = ingest_internal_paths([bad], synthetic.mapping, warehouse_file, gate=None)
    _refused(report, warehouse_file, "half.csv", "one coordinate without the other", "line 5", "northing=empty")
