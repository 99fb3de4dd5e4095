"""Boundary files through `ingest-reference`: the real ONS LSOA 2011 and Police Force Area files, and bad ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from shared_paths import REFERENCE
from sources.boundaries import force_slug, read_boundary_file
from sources.police_uk import SourceError
from tasking import warehouse
from tasks.ingest_reference import ingest_reference_paths

BOUNDARIES = REFERENCE / "boundaries"
NORTHUMBRIA_COUNCILS_2011 = ["E08000020", "E08000021", "E08000022", "E08000023", "E08000024", "E06000048"]
# The same six councils under their IoD 2019 (LAD 2019) codes: Gateshead and Northumberland were recoded.
NORTHUMBRIA_COUNCILS_2019 = ["E08000037", "E08000021", "E08000022", "E08000023", "E08000024", "E06000057"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("boundaries") / "warehouse.duckdb"
    iod = ingest_reference_paths([REFERENCE / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"], path, gate=None)
    assert iod.ok
    files = [BOUNDARIES / "E09000001.json", BOUNDARIES / "Police_Force_Areas.geojson"]
    files += [BOUNDARIES / f"{code}.json" for code in NORTHUMBRIA_COUNCILS_2011]
    report = ingest_reference_paths(files, path)
    assert report.ok, [b.error for b in report.failed]
    return path, report


def _codes(path, sql, params=()):
    with warehouse.connect(path, read_only=True) as con:
        return {row[0] for row in con.execute(sql, list(params)).fetchall()}


def test_city_of_london_codes_are_exactly_its_iod_lsoas(loaded):
    path, _ = loaded
    stored = _codes(path, "SELECT code FROM boundary WHERE kind = 'lsoa11' AND source_file LIKE '%E09000001.json'")
    iod = _codes(path, "SELECT lsoa11_code FROM lsoa WHERE lad19_code = 'E09000001'")
    assert len(stored) == 6 and stored == iod
    assert {"E01032739", "E01032740"} <= stored  # the 2011 split of E01000004


def test_northumbria_codes_are_exactly_the_iod_lsoas_of_its_six_councils(loaded):
    path, _ = loaded
    stored = _codes(path, "SELECT code FROM boundary WHERE kind = 'lsoa11' AND source_file NOT LIKE '%E09000001.json'")
    iod = _codes(path, f"SELECT lsoa11_code FROM lsoa WHERE lad19_code IN ({', '.join('?' * 6)})", NORTHUMBRIA_COUNCILS_2019)
    assert len(stored) == 916 and stored == iod


def test_northumbria_lsoas_lie_inside_its_force_area(loaded):
    path, _ = loaded
    with warehouse.connect(path, read_only=True) as con:
        force_wkb, force_code = con.execute("SELECT geometry, code FROM boundary WHERE kind = 'pfa' AND force = 'northumbria'").fetchone()
        lsoas = [shapely.from_wkb(g) for (g,) in con.execute(
            "SELECT geometry FROM boundary WHERE kind = 'lsoa11' AND source_file NOT LIKE '%E09000001.json'").fetchall()]
    force = shapely.from_wkb(force_wkb)
    assert force_code == "E23000007"
    # The force area is ultra-generalised (coast smoothed), the LSOAs are not: every LSOA lies within 500 m of
    # it, and more than 99% of the LSOAs' area lies inside it.
    inside = sum(shapely.intersection(lsoa, force).area for lsoa in lsoas) / sum(lsoa.area for lsoa in lsoas)
    assert inside > 0.99
    near = force.buffer(500)
    assert all(near.contains(lsoa.representative_point()) for lsoa in lsoas)


def test_stored_in_british_national_grid_with_lineage(loaded):
    path, report = loaded
    with warehouse.connect(path, read_only=True) as con:
        rows = con.execute("SELECT code, geometry, area_km2, source_sha256, force FROM boundary WHERE kind = 'pfa'"
                           " ORDER BY code").fetchall()
        logged = con.execute("SELECT count(*) FROM ingest_log WHERE kind LIKE 'boundary-%' AND status = 'loaded'").fetchone()[0]
    assert len(rows) == 43 and logged == len(report.batches)
    city = next(r for r in rows if r[4] == "city-of-london")
    x, y = shapely.from_wkb(city[1]).representative_point().coords[0]
    assert 530_000 < x < 535_000 and 180_000 < y < 183_000  # metres east and north on the National Grid
    assert 2.5 < city[2] < 3.2  # the City is about 2.9 km²
    assert all(len(r[3]) == 64 for r in rows)
    assert {r[4] for r in rows} >= {"metropolitan", "northumbria", "devon-and-cornwall", "dyfed-powys", "avon-and-somerset"}


def test_reloading_the_same_file_is_unchanged(loaded):
    path, _ = loaded
    again = ingest_reference_paths([BOUNDARIES / "E09000001.json"], path)
    assert [b.status for b in again.batches] == ["unchanged"]


def test_shapefile_in_national_grid_matches_the_geojson_in_wgs84():
    """The London shapefile (EPSG:27700) and the City GeoJSON (EPSG:4326) give the same City polygons."""
    shapefile = read_boundary_file(BOUNDARIES / "london-2011-lsoa-gen20.shp")
    geojson = read_boundary_file(BOUNDARIES / "E09000001.json")
    assert shapefile.kind == geojson.kind == "lsoa11" and len(shapefile.frame) == 4835
    assert "27700" in shapefile.source_crs and geojson.source_crs != shapefile.source_crs
    from_shp = shapefile.frame.set_index("code")["geometry"]
    for code, polygon in geojson.frame.set_index("code")["geometry"].items():
        assert polygon.area == pytest.approx(from_shp[code].area, rel=0.002)
        assert polygon.centroid.distance(from_shp[code].centroid) < 5


def _feature(code: str, ring: list[list[float]]) -> dict:
    return {"type": "Feature", "properties": {"LSOA11CD": code, "LSOA11NM": f"Test {code}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


SQUARE = [[-0.10, 51.51], [-0.09, 51.51], [-0.09, 51.52], [-0.10, 51.52], [-0.10, 51.51]]
BOWTIE = [[-0.10, 51.51], [-0.09, 51.52], [-0.09, 51.51], [-0.10, 51.52], [-0.10, 51.51]]


@pytest.mark.parametrize("features, problem", [
    ([_feature("E01000001", SQUARE), _feature("E01000001", SQUARE)], "No code appears twice"),
    ([_feature("E01000001", BOWTIE)], "present and valid"),
    ([_feature("X0100001", SQUARE)], "Codes are well formed"),
])
def test_a_bad_boundary_file_is_rejected_with_one_error_naming_it(tmp_path, features, problem):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    report = ingest_reference_paths([bad], tmp_path / "w.duckdb")
    [batch] = report.batches
    assert batch.status == "quarantined" and str(bad) in batch.error and problem in batch.error
    assert not _codes(tmp_path / "w.duckdb", "SELECT code FROM boundary")


def test_a_file_with_other_fields_is_refused_by_name(tmp_path):
    other = tmp_path / "wards.geojson"
    other.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"WD22CD": "E05000001"}, "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}]}))
    with pytest.raises(SourceError, match=r"wards.geojson: fields match no boundary kind"):
        read_boundary_file(other)
    report = ingest_reference_paths([other, tmp_path / "missing.shp"], tmp_path / "w.duckdb")
    assert [b.status for b in report.batches] == ["failed", "failed"]
    assert "wards.geojson" in report.batches[0].error and "missing.shp: no such file" in report.batches[1].error


def test_force_slugs_follow_data_police_uk():
    assert [force_slug(n) for n in ("London, City of", "Metropolitan Police", "Devon & Cornwall", "Dyfed-Powys",
                                    "Avon and Somerset")] == ["city-of-london", "metropolitan", "devon-and-cornwall",
                                                              "dyfed-powys", "avon-and-somerset"]
