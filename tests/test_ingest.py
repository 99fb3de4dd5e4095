"""Ingest of real data.police.uk and IoD files: counts checked against an independent csv-module count."""
from __future__ import annotations

import csv
import gzip
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from sources.police_uk import discover, parse_file_name
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA, POLICE_UK, REFERENCE

ALL_POLICE_FILES = sorted(POLICE_UK.rglob("*.csv"))


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows read by the csv module, independent of the project's DuckDB reader."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def query(warehouse_file: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """Every real police file and reference file, loaded once for the module."""
    warehouse_file = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    report = ingest_paths([POLICE_UK], warehouse_file, gate=None)
    assert report.ok, [b.error for b in report.failed]
    reference = ingest_reference_paths([REFERENCE], warehouse_file)
    assert reference.ok, [b.error for b in reference.failed]
    return warehouse_file


@pytest.mark.parametrize("path", ALL_POLICE_FILES, ids=lambda p: p.name)
def test_every_real_file_loads_with_its_exact_row_count(loaded, path):
    kind, force, month = parse_file_name(path.name)
    table = {"street": "street_crime", "outcomes": "outcome", "stop-and-search": "stop_search"}[kind]
    stored = query(loaded, f"SELECT count(*) FROM {table} WHERE source_file = ?", [str(path)])[0][0]
    assert stored == len(csv_rows(path))


def test_asb_rows_keep_a_null_crime_id(loaded):
    for path in ALL_POLICE_FILES:
        if not path.name.endswith("-street.csv"):
            continue
        rows = csv_rows(path)
        asb = sum(1 for r in rows if r["Crime type"] == "Anti-social behaviour")
        empty_ids = sum(1 for r in rows if r["Crime ID"] == "")
        stored = query(loaded, "SELECT count(*) FILTER (crime_type = 'Anti-social behaviour'),"
                               " count(*) FILTER (crime_id IS NULL) FROM street_crime WHERE source_file = ?", [str(path)])[0]
        assert stored == (asb, empty_ids)
        assert asb > 0


def test_no_location_rows_and_out_of_force_lsoas_are_kept(loaded):
    street = CITY_OF_LONDON / "2022-07-city-of-london-street.csv"
    # Published as "No Location" in these files.
    no_location = sum(1 for r in csv_rows(street) if r["Location"].lower() == "no location")
    stored = query(loaded, "SELECT count(*) FROM street_crime WHERE source_file = ? AND lower(location) = 'no location'"
                           " AND longitude IS NULL AND latitude IS NULL AND lsoa_code IS NULL", [str(street)])[0][0]
    assert stored == no_location > 0
    outcomes = NORTHUMBRIA / "2022-09-northumbria-outcomes.csv"
    blank_street = sum(1 for r in csv_rows(outcomes) if r["Location"] == "On or near ")
    stored = query(loaded, "SELECT count(*) FROM outcome WHERE source_file = ? AND location = 'On or near '", [str(outcomes)])[0][0]
    assert stored == blank_street > 0
    # City of London Police record crimes snapped into neighbouring boroughs' LSOAs (e.g. Camden).
    camden_csv = sum(1 for p in CITY_OF_LONDON.glob("*.csv") for r in csv_rows(p) if r["LSOA name"].startswith("Camden"))
    camden_stored = query(loaded, "SELECT count(*) FROM street_crime WHERE force = 'city-of-london' AND lsoa_name LIKE 'Camden%'")[0][0]
    assert camden_stored == camden_csv > 0


def test_outcomes_keep_one_row_per_outcome(loaded):
    path = NORTHUMBRIA / "2022-09-northumbria-outcomes.csv"
    rows = csv_rows(path)
    repeated = len(rows) - len({r["Crime ID"] for r in rows})
    stored_repeated = query(loaded, "SELECT count(*) - count(DISTINCT crime_id) FROM outcome WHERE source_file = ?", [str(path)])[0][0]
    assert repeated > 0
    assert stored_repeated == repeated
    # Outcomes refer mostly to crimes of earlier months: the link to those months' street rows must survive.
    earlier_ids = {r["Crime ID"] for m in ("07", "08") for r in csv_rows(NORTHUMBRIA / f"2022-{m}-northumbria-street.csv")}
    linked = sum(1 for r in rows if r["Crime ID"] in earlier_ids)
    stored_linked = query(loaded, "SELECT count(*) FROM outcome o WHERE o.source_file = ? AND o.crime_id IN"
                                  " (SELECT crime_id FROM street_crime WHERE force = 'northumbria' AND month < DATE '2022-09-01')",
                          [str(path)])[0][0]
    assert linked > len(rows) / 10
    assert stored_linked == linked


def test_stop_and_search_types(loaded):
    path = NORTHUMBRIA / "2022-07-northumbria-stop-and-search.csv"
    rows = csv_rows(path)
    first = rows[0]
    stored = query(loaded, "SELECT strftime(date AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S'), part_of_a_policing_operation,"
                           " outcome_linked_to_object_of_search FROM stop_search WHERE source_file = ? ORDER BY date LIMIT 1", [str(path)])[0]
    assert stored[0] == min(r["Date"] for r in rows)[:19]
    empty_operation = sum(1 for r in rows if r["Part of a policing operation"] == "")
    assert query(loaded, "SELECT count(*) FROM stop_search WHERE source_file = ? AND part_of_a_policing_operation IS NULL", [str(path)])[0][0] == empty_operation
    assert first["Outcome linked to object of search"] in ("True", "False", "")


def test_reference_quirks_parse_to_numbers(loaded):
    imd = {r["LSOA code (2011)"]: r for r in csv_rows(REFERENCE / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz")}
    population = {r["LSOA code (2011)"]: r for r in csv_rows(REFERENCE / "File_6_-_IoD2019_Population_Denominators.csv.gz")}
    assert imd["E01000001"]["Index of Multiple Deprivation (IMD) Rank"] == "29,199"
    stored = dict((code, (rank, decile, pop)) for code, rank, decile, pop in
                  query(loaded, "SELECT lsoa11_code, imd_rank, imd_decile, population_total FROM lsoa"))
    assert len(stored) == len(imd) == 32844
    for code in ("E01000001", "E01033543", "W01000001" if "W01000001" in imd else "E01000002"):
        expected_pop = int(population[code]["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
        assert stored[code] == (int(imd[code]["Index of Multiple Deprivation (IMD) Rank"].replace(",", "")),
                                int(imd[code]["Index of Multiple Deprivation (IMD) Decile"]), expected_pop)
    total_pop = sum(int(r["Total population: mid 2015 (excluding prisoners)"].replace(",", "")) for r in population.values())
    assert query(loaded, "SELECT sum(population_total) FROM lsoa")[0][0] == total_pop
    lookup = csv_rows(REFERENCE / "LSOA11_LSOA21PopLookups.csv")
    assert query(loaded, "SELECT count(*), sum(persons_2021) FROM lsoa_lookup")[0] == (len(lookup), sum(int(r["TotPersons"]) for r in lookup))


def test_loading_city_of_london_twice_changes_nothing(warehouse_file):
    first = ingest_paths([CITY_OF_LONDON], warehouse_file, gate=None)
    counts = query(warehouse_file, "SELECT month, count(*) FROM street_crime GROUP BY month ORDER BY month")
    second = ingest_paths([CITY_OF_LONDON], warehouse_file, gate=None)
    assert first.count("loaded") == 36
    assert second.count("unchanged") == 36
    assert query(warehouse_file, "SELECT month, count(*) FROM street_crime GROUP BY month ORDER BY month") == counts
    assert sum(n for _, n in counts) == sum(len(csv_rows(p)) for p in CITY_OF_LONDON.glob("*.csv"))


def _rewrite(source: Path, target: Path, edit) -> int:
    """Copy a published CSV with `edit(row) -> bool` applied to each row; returns how many rows it changed."""
    with open(source, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    changed = sum(1 for row in rows if edit(header, row))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([header] + rows)
    return changed


def test_republished_month_replaces_rows_and_counts_changed_outcomes(tmp_path, warehouse_file):
    original = CITY_OF_LONDON / "2023-03-city-of-london-street.csv"
    ingest_paths([original], warehouse_file, gate=None)
    before = query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0]

    settled_crimes = set()

    def settle_outcome(header, row):
        outcome = header.index("Last outcome category")
        if row[outcome] == "Investigation complete; no suspect identified" and row[0].startswith(("0", "1", "2", "3")):
            row[outcome] = "Unable to prosecute suspect"
            settled_crimes.add(row[0])
            return True
        return False

    republished = tmp_path / "2023-03" / original.name
    changed = _rewrite(original, republished, settle_outcome)
    assert changed > 0
    report = ingest_paths([republished], warehouse_file, gate=None)
    batch = report.batches[0]
    assert batch.status == "replaced"
    # A crime ID can appear twice in one published month: outcomes_changed counts crimes, the others rows.
    assert (batch.outcomes_changed, batch.rows_added, batch.rows_removed) == (len(settled_crimes), changed, changed)
    assert query(warehouse_file, "SELECT count(*) FROM street_crime")[0][0] == before
    assert query(warehouse_file, "SELECT count(*) FROM street_crime WHERE last_outcome_category = 'Investigation complete;"
                                 " no suspect identified' AND left(crime_id, 1) IN ('0', '1', '2', '3')")[0][0] == 0
    assert query(warehouse_file, "SELECT count(DISTINCT source_sha256) FROM street_crime")[0][0] == 1


def test_republished_outcomes_file_replaces_exactly_the_edited_rows(tmp_path, warehouse_file):
    original = NORTHUMBRIA / "2022-09-northumbria-outcomes.csv"
    ingest_paths([original], warehouse_file, gate=None)
    stored_before = query(warehouse_file, "SELECT count(*) FROM outcome")[0][0]

    def change_first_hundred(header, row, seen=[0]):
        if seen[0] < 100:
            seen[0] += 1
            row[header.index("Outcome type")] = "Offender given a caution"
            return True
        return False

    edited = tmp_path / original.name
    _rewrite(original, edited, change_first_hundred)
    expected_changes = sum(1 for r in csv_rows(original)[:100] if r["Outcome type"] != "Offender given a caution")
    batch = ingest_paths([edited], warehouse_file, gate=None).batches[0]
    assert batch.status == "replaced"
    assert (batch.rows_added, batch.rows_removed) == (expected_changes, expected_changes)
    assert query(warehouse_file, "SELECT count(*) FROM outcome")[0][0] == stored_before


def _archive(tmp_path: Path, members: dict[str, bytes]) -> Path:
    path = tmp_path / "2022-09.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_archive_zip_as_published_loads_like_the_folder(tmp_path, warehouse_file):
    members = {f"2022-09/{p.name}": p.read_bytes() for p in NORTHUMBRIA.glob("2022-09-*.csv")}
    archive = _archive(tmp_path, members)
    report = ingest_paths([archive], warehouse_file, gate=None)
    assert report.ok and report.count("loaded") == 3
    for name in members:
        kind = parse_file_name(name)[0]
        table = {"street": "street_crime", "outcomes": "outcome", "stop-and-search": "stop_search"}[kind]
        stored = query(warehouse_file, f"SELECT count(*) FROM {table} WHERE source_file = ?", [f"{archive}!{name}"])[0][0]
        assert stored == len(csv_rows(NORTHUMBRIA / Path(name).name))
    # The same month given as a plain file afterwards is the same bytes: nothing changes.
    again = ingest_paths([NORTHUMBRIA / "2022-09-northumbria-street.csv"], warehouse_file, gate=None)
    assert again.batches[0].status == "unchanged"


def test_discover_finds_files_in_month_folders_folders_of_months_and_mixed(tmp_path):
    months = tmp_path / "downloads"
    for p in list(NORTHUMBRIA.glob("2022-07-*.csv")):
        (months / "2022-07").mkdir(parents=True, exist_ok=True)
        shutil.copy(p, months / "2022-07" / p.name)
    archive = _archive(tmp_path, {f"2022-08/{p.name}": p.read_bytes() for p in NORTHUMBRIA.glob("2022-08-*.csv")})
    found, problems = discover([months, archive, NORTHUMBRIA / "2022-09-northumbria-street.csv"])
    assert problems == []
    assert sorted((f.kind, f.month.strftime("%Y-%m")) for f in found) == sorted(
        [("street", "2022-07"), ("stop-and-search", "2022-07"), ("street", "2022-08"), ("stop-and-search", "2022-08"),
         ("street", "2022-09")])


GOOD = NORTHUMBRIA / "2022-08-northumbria-stop-and-search.csv"


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input, written as a published-looking file, with a phrase its error must contain."""
    street = (NORTHUMBRIA / "2022-07-northumbria-street.csv").read_bytes()
    folder = tmp_path / "bad"
    folder.mkdir()
    cases = {}

    def write(name, data, phrase):
        path = folder / name
        path.write_bytes(data)
        cases[name] = (path, phrase)

    write("2022-01-northumbria-street.csv", street[: len(street) // 2], "Line")  # cut mid-row
    write("2022-02-northumbria-street.csv", street.replace(b"Crime type", b"Crime kind", 1), "wrong header")
    write("2022-03-northumbria-street.csv", b"\r\n".join(street.split(b"\r\n")[1:]), "wrong header")
    write("2022-04-northumbria-street.csv", b"", "empty")
    write("2022-05-northumbria-street.csv", street.replace(b"On or near", b"On or n\xe9ar", 5), "unicode")
    archive = folder / "2022-06.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../2022-06-northumbria-street.csv", street)
        z.writestr("/etc/2022-06-northumbria-outcomes.csv", street)
    cases["zip-traversal"] = (archive, "'..'")
    return cases


@pytest.mark.parametrize("case", ["2022-01-northumbria-street.csv", "2022-02-northumbria-street.csv",
                                  "2022-03-northumbria-street.csv", "2022-04-northumbria-street.csv",
                                  "2022-05-northumbria-street.csv", "zip-traversal"])
def test_bad_input_is_refused_with_one_clear_error_and_nothing_stored(tmp_path, warehouse_file, case):
    ingest_paths([GOOD], warehouse_file, gate=None)
    before = query(warehouse_file, "SELECT (SELECT count(*) FROM street_crime), (SELECT count(*) FROM outcome),"
                                   " (SELECT count(*) FROM stop_search)")
    tables_before = query(warehouse_file, "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL")
    path, phrase = _bad_inputs(tmp_path)[case]
    good_too = NORTHUMBRIA / "2022-09-northumbria-stop-and-search.csv"
    report = ingest_paths([path, good_too], warehouse_file, gate=None)
    assert not report.ok
    errors = [b.error for b in report.failed]
    assert all(str(path) in e for e in errors), errors
    assert all(phrase.lower() in e.lower() for e in errors), errors
    assert len(errors) == (2 if case == "zip-traversal" else 1)
    # Nothing from the bad file, and the good file beside it still loaded.
    after = query(warehouse_file, "SELECT (SELECT count(*) FROM street_crime), (SELECT count(*) FROM outcome),"
                                  " (SELECT count(*) FROM stop_search)")
    assert after[0][:2] == before[0][:2]
    assert after[0][2] == before[0][2] + len(csv_rows(good_too))
    # No table appeared except those a quarantine is allowed to keep.
    tables_after = query(warehouse_file, "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL")
    assert [t for t in tables_after if t not in tables_before and t[0] != "quarantine"] == []


def test_cli_ingest_exits_non_zero_naming_the_bad_file(tmp_path, warehouse_file):
    from typer.testing import CliRunner

    from cli.main import app

    bad = tmp_path / "2022-04-northumbria-street.csv"
    bad.write_bytes(b"")
    result = CliRunner().invoke(app, ["ingest", str(bad), str(GOOD), "--warehouse", str(warehouse_file)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "2022-04-northumbria-street.csv" in result.output and "empty" in result.output
    assert query(warehouse_file, "SELECT count(*) FROM stop_search")[0][0] == len(csv_rows(GOOD))


def test_unknown_reference_file_is_refused(tmp_path, warehouse_file):
    stray = tmp_path / "not-iod.csv"
    stray.write_text("a,b\r\n1,2\r\n")
    report = ingest_reference_paths([stray], warehouse_file)
    assert not report.ok and "matches none of" in report.batches[0].error and str(stray) in report.batches[0].error
    assert query(warehouse_file, "SELECT count(*) FROM lsoa")[0][0] == 0


def test_a_rejected_re_release_is_rolled_back_and_the_stored_month_stands(tmp_path, warehouse_file):
    from tasks.ingest import GateVerdict

    original = CITY_OF_LONDON / "2023-03-city-of-london-street.csv"
    ingest_paths([original], warehouse_file, gate=None)
    before = query(warehouse_file, "SELECT crime_id, last_outcome_category FROM street_crime ORDER BY ALL")
    edited = tmp_path / original.name
    _rewrite(original, edited, lambda header, row: row.__setitem__(header.index("Context"), "edited") or True)

    def reject(con, staged, source, batch_id):
        # The gate sees the staged rows while the month is being rewritten in a transaction of its own.
        assert con.execute(f"SELECT count(*) FROM {staged} WHERE context = 'edited'").fetchone()[0] == len(before)
        return GateVerdict(False, "rejected by the test")

    def explode(con, staged, source, batch_id):
        raise duckdb.InvalidInputException("the gate itself failed")

    rejected = ingest_paths([edited], warehouse_file, gate=reject).batches[0]
    assert rejected.status == "quarantined" and "rejected by the test" in rejected.error
    failed = ingest_paths([edited], warehouse_file, gate=explode).batches[0]
    assert failed.status == "failed" and "the gate itself failed" in failed.error
    assert query(warehouse_file, "SELECT crime_id, last_outcome_category FROM street_crime ORDER BY ALL") == before
    assert query(warehouse_file, "SELECT count(*) FROM street_crime WHERE context = 'edited'")[0][0] == 0
    assert query(warehouse_file, f"SELECT count(*) FROM quarantine.batch_{_batch_id(warehouse_file, 'quarantined')}")[0][0] == len(before)


def _batch_id(warehouse_file: Path, status: str) -> int:
    return query(warehouse_file, "SELECT max(batch_id) FROM ingest_log WHERE status = ?", [status])[0][0]
