"""The SYNTHETIC generator: exact published format (checked against the real files), determinism, the
internal consistency of crimes, outcomes and stop and search, the reference files, and the planted problem."""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sources.boundaries import read_boundary_file
from sources import police_uk, reference as reference_files
from sources.synthetic import CRIME_TYPES, generate, parse_month_range

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NORTHUMBRIA = SHARED_DATA / "police-uk" / "northumbria"
REAL_REFERENCE = SHARED_DATA / "reference"

FORCE = "demo-shire"
MONTHS = ("2023-12", "2024-04")  # five months: winter (GMT) and spring (BST from 31 March 2024)
MONTH_NAMES = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
ROWS = 500
HEX64 = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return generate(out, force=FORCE, months=MONTHS, seed=11, rows_per_month=ROWS)


def raw(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def rows(path: Path) -> list[dict[str, str]]:
    with io.StringIO(raw(path).decode("utf-8-sig"), newline="") as handle:
        return list(csv.DictReader(handle))


def header_line(path: Path) -> bytes:
    return raw(path).split(b"\n", 1)[0]


def kind_file(summary, month: str, kind: str) -> Path:
    return summary.out_dir / month / f"{month}-{FORCE}-{kind}.csv"


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


# --- format: headers, line endings, quoting, layout -------------------------------------------------------------


@pytest.mark.parametrize("kind,real", [
    ("street", NORTHUMBRIA / "2022-07-northumbria-street.csv"),
    ("outcomes", NORTHUMBRIA / "2022-09-northumbria-outcomes.csv"),
    ("stop-and-search", NORTHUMBRIA / "2022-07-northumbria-stop-and-search.csv"),
])
def test_police_headers_are_byte_identical_to_the_real_files(synth, kind, real):
    for month in synth.months:
        assert header_line(kind_file(synth, month, kind)) == header_line(real)


@pytest.mark.parametrize("name", [
    "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
    "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    "File_6_-_IoD2019_Population_Denominators.csv.gz",
    "LSOA11_LSOA21PopLookups.csv",
])
def test_reference_headers_are_byte_identical_to_the_real_files(synth, name):
    ours = synth.out_dir / "reference" / f"SYNTHETIC_{name}"
    assert header_line(ours) == header_line(REAL_REFERENCE / name)
    # Same framing as the real file: BOM or not, CRLF or LF, final newline or not.
    real_text, our_text = raw(REAL_REFERENCE / name), raw(ours)
    assert our_text[:3] == real_text[:3]
    assert (b"\r\n" in our_text) == (b"\r\n" in real_text)
    assert our_text.endswith(b"\n") == real_text.endswith(b"\n")


def test_police_files_are_crlf_unquoted_and_have_the_published_field_count(synth):
    expected_fields = {"street": 12, "outcomes": 10, "stop-and-search": 15}
    for month in synth.months:
        for kind, fields in expected_fields.items():
            data = kind_file(synth, month, kind).read_bytes()
            assert data.endswith(b"\r\n")
            assert data.count(b"\n") == data.count(b"\r\n"), "every line ends CRLF"
            assert b'"' not in data, "the published police files quote nothing"
            for line in data.decode("utf-8").split("\r\n")[:-1]:
                assert len(line.split(",")) == fields, line


def test_layout_names_and_the_project_readers_accept_every_file(synth):
    found, problems = police_uk.discover([synth.out_dir])
    assert problems == []
    assert sorted((f.kind, f.month.isoformat()[:7]) for f in found) == sorted(
        (kind, month) for month in MONTH_NAMES for kind in ("street", "outcomes", "stop-and-search"))
    assert {f.force for f in found} == {FORCE}
    for f in found:
        police_uk.check_header(f.path, f)  # raises on any difference
    kinds = {p.name: reference_files.identify(p).kind for p in (synth.out_dir / "reference").iterdir() if p.is_file()}
    assert sorted(kinds.values()) == ["iod-domains", "iod-imd", "iod-population", "lsoa-lookup"]
    assert all(name.startswith("SYNTHETIC_") for name in kinds)
    boundaries = {p.name: read_boundary_file(p).kind for p in (synth.out_dir / "reference" / "boundaries").iterdir()}
    assert sorted(boundaries.values()) == ["lsoa11", "lsoa21", "pfa"]
    assert all(name.startswith("SYNTHETIC_") for name in boundaries)
    assert set(synth.files) == {p for p in synth.out_dir.rglob("*") if p.is_file()}


def test_everything_says_synthetic(synth):
    note = (synth.out_dir / "SYNTHETIC.txt").read_text()
    assert "ALL DATA IN THIS FOLDER IS SYNTHETIC" in note and "seed 11" in note and "NOT real crime" in note
    for month in synth.months:
        for kind in ("street", "outcomes"):
            for row in rows(kind_file(synth, month, kind)):
                assert row["Reported by"] == row["Falls within"] == "Demo-shire Police (SYNTHETIC)"
                assert row["LSOA name"] == "" or row["LSOA name"].endswith(" (SYNTHETIC)")
    for row in rows(synth.out_dir / "reference" / "SYNTHETIC_File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"):
        assert row["LSOA name (2011)"].endswith(" (SYNTHETIC)")
        assert row["Local Authority District name (2019)"].endswith(" (SYNTHETIC)")


# --- determinism ------------------------------------------------------------------------------------------------


def digest_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_arguments_give_byte_identical_files_and_another_seed_does_not(synth, tmp_path):
    again = generate(tmp_path / "again", force=FORCE, months=MONTHS, seed=11, rows_per_month=ROWS)
    assert digest_tree(again.out_dir) == digest_tree(synth.out_dir)
    other = generate(tmp_path / "other", force=FORCE, months=MONTHS, seed=12, rows_per_month=ROWS, reference=False)
    street = f"{MONTHS[0]}/{MONTHS[0]}-{FORCE}-street.csv"
    assert digest_tree(other.out_dir)[street] != digest_tree(synth.out_dir)[street]


# --- street content ---------------------------------------------------------------------------------------------


def test_rows_per_month_and_crime_type_shares_are_as_asked(synth):
    counts = Counter()
    per_month = []
    for month in synth.months:
        street = rows(kind_file(synth, month, "street"))
        per_month.append(len(street))
        assert {r["Month"] for r in street} == {month}
        counts.update(r["Crime type"] for r in street)
    assert all(0.75 * ROWS <= n <= 1.25 * ROWS for n in per_month), per_month
    assert sum(per_month) == synth.street_rows
    total = sum(counts.values())
    assert set(counts) <= set(CRIME_TYPES)
    assert 0.27 <= counts["Violence and sexual offences"] / total <= 0.40
    assert 0.14 <= counts["Anti-social behaviour"] / total <= 0.26


def test_asb_has_no_crime_id_or_outcome_and_crimes_have_unique_hex_ids(synth):
    seen = set()
    for month in synth.months:
        for r in rows(kind_file(synth, month, "street")):
            if r["Crime type"] == "Anti-social behaviour":
                assert r["Crime ID"] == "" and r["Last outcome category"] == ""
            else:
                assert HEX64.match(r["Crime ID"]), r["Crime ID"]
                assert r["Crime ID"] not in seen
                seen.add(r["Crime ID"])
                assert r["Last outcome category"] != ""
            assert r["Context"] == ""


def test_locations_as_published_no_location_empty_street_and_neighbouring_lsoas(synth):
    street = [r for month in synth.months for r in rows(kind_file(synth, month, "street"))]
    no_location = [r for r in street if r["Location"] == "No Location"]
    assert no_location and all(r["Longitude"] == r["Latitude"] == r["LSOA code"] == r["LSOA name"] == "" for r in no_location)
    located = [r for r in street if r["Location"] != "No Location"]
    assert all(re.fullmatch(r"-?\d+\.\d{6}", r["Longitude"]) and re.fullmatch(r"\d+\.\d{6}", r["Latitude"]) for r in located)
    assert all(r["Location"].startswith("On or near ") for r in located)
    assert any(r["Location"] == "On or near " for r in located)
    assert all(re.fullmatch(r"E01\d{6}", r["LSOA code"]) and r["LSOA code"] >= "E01900000" for r in located)
    assert any(not r["LSOA name"].startswith("Demo-shire ") for r in located), "a few rows snap into a neighbouring area"
    # A fictional area about 25 km across around 52.6N 1.2W (a few boundary points a little beyond).
    lons = [float(r["Longitude"]) for r in located]
    lats = [float(r["Latitude"]) for r in located]
    assert -1.5 < min(lons) and max(lons) < -0.8 and 52.45 < min(lats) and max(lats) < 52.75
    # Same place, same coordinates and name, always: crimes sit on snap points.
    names = {}
    for r in located:
        assert names.setdefault((r["Longitude"], r["Latitude"]), (r["Location"], r["LSOA code"])) == (r["Location"], r["LSOA code"])
    assert len(names) < len(located) / 2


def test_rows_are_ordered_as_published(synth):
    order = {name: i for i, name in enumerate(CRIME_TYPES)}
    for month in synth.months:
        street = rows(kind_file(synth, month, "street"))
        keys = [(r["LSOA name"] == "", r["LSOA name"], order[r["Crime type"]]) for r in street]
        assert keys == sorted(keys)  # by LSOA name, then crime type in the published order; No Location last


# --- outcomes ---------------------------------------------------------------------------------------------------


def test_outcomes_refer_to_crimes_of_the_same_or_earlier_months_with_their_location(synth):
    crimes = {}
    for month in synth.months:
        for r in rows(kind_file(synth, month, "street")):
            if r["Crime ID"]:
                crimes[r["Crime ID"]] = r
    lags = Counter()
    per_id = Counter()
    for month in synth.months:
        outcomes = rows(kind_file(synth, month, "outcomes"))
        for r in outcomes:
            assert r["Month"] == month
            crime = crimes[r["Crime ID"]]  # every outcome is for a published crime
            lag = month_index(month) - month_index(crime["Month"])
            assert lag >= 0, "an outcome never precedes its crime"
            lags[lag] += 1
            per_id[r["Crime ID"]] += 1
            for column in ("Longitude", "Latitude", "Location", "LSOA code", "LSOA name"):
                assert r[column] == crime[column]
    assert sum(lags.values()) == synth.outcome_rows
    assert sum(n for lag, n in lags.items() if lag >= 1) > 0.3 * sum(lags.values()), "many outcomes are for earlier months"
    assert max(per_id.values()) >= 2, "some crimes have more than one outcome"


def test_outcome_vocabularies_and_under_investigation_mostly_recent(synth):
    published = {
        "Action to be taken by another organisation", "Awaiting court outcome", "Court case unable to proceed",
        "Court result unavailable", "Defendant found not guilty", "Defendant sent to Crown Court",
        "Formal action is not in the public interest", "Further action is not in the public interest",
        "Further investigation is not in the public interest", "Investigation complete; no suspect identified",
        "Local resolution", "Offender deprived of property", "Offender fined", "Offender given a caution",
        "Offender given a drugs possession warning", "Offender given absolute discharge",
        "Offender given community sentence", "Offender given conditional discharge", "Offender given penalty notice",
        "Offender given suspended prison sentence", "Offender ordered to pay compensation",
        "Offender otherwise dealt with", "Offender sent to prison", "Status update unavailable",
        "Suspect charged as part of another case", "Unable to prosecute suspect", "Under investigation",
    }
    under = []
    for month in synth.months:
        street = [r for r in rows(kind_file(synth, month, "street")) if r["Crime ID"]]
        assert {r["Last outcome category"] for r in street} <= published
        under.append(sum(r["Last outcome category"] == "Under investigation" for r in street) / len(street))
        outcome_types = {r["Outcome type"] for r in rows(kind_file(synth, month, "outcomes"))}
        assert outcome_types <= (published - {"Under investigation", "Awaiting court outcome", "Status update unavailable"}) | {"Suspect charged"}
    assert under[-1] > under[0] and under[-1] > 0.3


# --- stop and search --------------------------------------------------------------------------------------------


STAMP = re.compile(r"^(\d{4}-\d{2})-\d{2}T\d{2}:\d{2}:00([+-]\d{2}:\d{2})$")


def test_stop_and_search_dates_are_inside_the_month_with_uk_offsets(synth):
    offsets = {}
    for month in synth.months:
        searches = rows(kind_file(synth, month, "stop-and-search"))
        assert 0.01 * ROWS <= len(searches) <= 0.05 * ROWS
        instants = []
        for r in searches:
            match = STAMP.match(r["Date"])
            assert match, r["Date"]
            assert match.group(1) == month, "local date inside the file's month"
            instant = datetime.fromisoformat(r["Date"]).astimezone(timezone.utc)
            assert instant.strftime("%Y-%m") == month, "UTC instant inside the file's month too"
            instants.append(instant)
            offsets.setdefault(month, set()).add(match.group(2))
            assert r["Type"] in {"Person search", "Person and Vehicle search", "Vehicle search"}
            assert r["Outcome linked to object of search"] in {"True", "False", ""}
            assert r["Removal of more than just outer clothing"] in {"True", "False"}
            assert r["Policing operation"] == ""
        assert instants == sorted(instants)
    assert offsets["2024-01"] == {"+00:00"}
    assert offsets["2024-04"] == {"+01:00"}  # British Summer Time


def test_stop_and_search_vocabularies_come_from_the_real_files(synth):
    real = [r for p in sorted(NORTHUMBRIA.glob("*-stop-and-search.csv")) for r in rows(p)]
    ours = [r for month in synth.months for r in rows(kind_file(synth, month, "stop-and-search"))]
    for column in ("Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
                   "Object of search", "Outcome"):
        assert {r[column] for r in ours} <= {r[column] for r in real} | {""}, column
    removal = Counter(r["Removal of more than just outer clothing"] for r in ours)
    assert removal["False"] > 0.8 * len(ours)


# --- reference files --------------------------------------------------------------------------------------------


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_reference_files_parse_with_bom_gzip_quoted_thousands_and_consistent_values(synth):
    folder = synth.out_dir / "reference"
    imd_path = folder / "SYNTHETIC_File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    assert imd_path.read_bytes()[:2] == b"\x1f\x8b"
    assert raw(imd_path).startswith(b"\xef\xbb\xbf")
    text = raw(imd_path).decode("utf-8-sig")
    assert re.search(r',"\d{1,2},\d{3}",\d+\r\n', text), "ranks of 1,000 and more are written like \"29,199\""
    imd = rows(imd_path)
    ranks = [number(r["Index of Multiple Deprivation (IMD) Rank"]) for r in imd]
    assert len(set(ranks)) == len(ranks) and all(1 <= k <= 32844 for k in ranks)
    for r, rank in zip(imd, ranks):
        assert int(r["Index of Multiple Deprivation (IMD) Decile"]) == math.ceil(rank / 3284.4)
    in_force = [r for r in imd if r["Local Authority District name (2019)"] == "Demo-shire (SYNTHETIC)"]
    assert 250 <= len(in_force) <= 350
    assert len({int(r["Index of Multiple Deprivation (IMD) Decile"]) for r in in_force}) == 10

    domains = rows(folder / "SYNTHETIC_File_2_-_IoD2019_Domains_of_Deprivation.csv.gz")
    assert [r["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"] for r in domains] == [str(k) for k in ranks]
    population = rows(folder / "SYNTHETIC_File_6_-_IoD2019_Population_Denominators.csv.gz")
    for r in population:
        total = number(r["Total population: mid 2015 (excluding prisoners)"])
        assert 1000 <= total <= 3000
        assert total == sum(number(r[c]) for c in (
            "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
            "Population aged 16-59: mid 2015 (excluding prisoners)",
            "Older population aged 60 and over: mid 2015 (excluding prisoners)"))


def test_lookup_maps_every_street_lsoa_to_the_iod_and_splits_add_up(synth):
    folder = synth.out_dir / "reference"
    iod = {r["LSOA code (2011)"] for r in rows(folder / "SYNTHETIC_File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz")}
    lookup = rows(folder / "SYNTHETIC_LSOA11_LSOA21PopLookups.csv")
    assert {r["LSOA11CD"] for r in lookup} == iod
    assert {r["Category"] for r in lookup} >= {"U", "S", "M"}
    for r in lookup:
        assert r["LinkCode"] == f"{r['LSOA11CD']}_{r['LSOA21CD']}"
    splits = Counter()
    for r in lookup:
        if r["Category"] == "S":
            splits[r["LSOA11CD"]] += int(r["TotPersons"])
            assert int(r["LSOA11Denom"]) >= int(r["TotPersons"])
    for code, persons in splits.items():
        assert persons == int(next(r["LSOA11Denom"] for r in lookup if r["LSOA11CD"] == code))
    lsoa21 = {r["LSOA21CD"] for r in lookup}
    street_codes = {r["LSOA code"] for m in synth.months for r in rows(kind_file(synth, m, "street")) if r["LSOA code"]}
    assert street_codes <= lsoa21
    assert street_codes - iod, "crime files carry 2021 codes; some exist only through the lookup"


# --- the planted problem ----------------------------------------------------------------------------------------


def poisson_sf(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    return 1.0 - sum(math.exp(-mean) * mean ** i / math.factorial(i) for i in range(k))


def test_planted_robbery_rise_is_exceptional_in_the_last_two_months_only(tmp_path):
    summary = generate(tmp_path, force=FORCE, months=("2023-01", "2023-10"), seed=7, rows_per_month=4000,
                       outcomes=False, stop_search=False, reference=False)
    note = (tmp_path / "SYNTHETIC.txt").read_text()
    points = re.findall(r"'(On or near [^']+)' \(([^)]+ \(SYNTHETIC\))\)", note)
    assert len(points) == 3 and "2023-09 and 2023-10" in note
    places = {(location, lsoa) for location, lsoa in points}
    robbery = []
    other = []
    for month in summary.months:
        street = rows(tmp_path / month / f"{month}-{FORCE}-street.csv")
        robbery.append(sum(r["Crime type"] == "Robbery" and (r["Location"], r["LSOA name"]) in places for r in street))
        other.append(sum(r["Crime type"] == "Theft from the person" and (r["Location"], r["LSOA name"]) in places for r in street))
    baseline = sum(robbery[:-2]) / len(robbery[:-2])
    assert poisson_sf(robbery[-1], max(baseline, 0.5)) < 0.01
    assert poisson_sf(robbery[-2], max(baseline, 0.5)) < 0.01
    assert all(poisson_sf(n, max(baseline, 0.5)) > 0.001 for n in robbery[:-2])
    other_baseline = max(sum(other[:-2]) / len(other[:-2]), 0.5)
    assert poisson_sf(other[-1], other_baseline) > 0.001, "only robbery is planted"


# --- arguments --------------------------------------------------------------------------------------------------


def test_month_range_parsing():
    assert parse_month_range("2021-09..2024-08") == ("2021-09", "2024-08")
    assert parse_month_range(" 2024-02..2024-02 ") == ("2024-02", "2024-02")
    with pytest.raises(ValueError, match="2024-13.*01 to 12"):
        parse_month_range("2024-13..2024-01")
    with pytest.raises(ValueError, match="backwards"):
        parse_month_range("2024-05..2024-01")
    for bad in ("2024-1..2024-02", "2024-01...2024-02", "2024-01..2024-02..2024-03", "", "last year"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month_range(bad)


def test_generate_refuses_bad_arguments_before_writing(tmp_path):
    with pytest.raises(ValueError, match="backwards"):
        generate(tmp_path / "a", months=("2024-05", "2024-01"))
    with pytest.raises(ValueError, match="slug"):
        generate(tmp_path / "b", force="Demo Shire", months=("2024-01", "2024-01"))
    with pytest.raises(ValueError, match="rows_per_month"):
        generate(tmp_path / "c", months=("2024-01", "2024-01"), rows_per_month=-5)
    assert not any(tmp_path.iterdir())


def test_another_force_slug_names_files_and_force_from_the_slug(tmp_path):
    summary = generate(tmp_path, force="west-midlands", months=("2024-01", "2024-01"), rows_per_month=200,
                       reference=False)
    street = rows(tmp_path / "2024-01" / "2024-01-west-midlands-street.csv")
    assert {r["Reported by"] for r in street} == {"West Midlands Police (SYNTHETIC)"}
    assert summary.months == ["2024-01"] and summary.force == "west-midlands"
    assert (tmp_path / "2024-01" / "2024-01-west-midlands-stop-and-search.csv").exists()
