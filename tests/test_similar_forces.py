"""Similar forces and out-of-force resolution on a national SYNTHETIC warehouse (several forces with boundaries)."""
from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely

from sources.synthetic import generate
from tasking import warehouse
from tasks.indicators.out_of_force import out_of_force
from tasks.indicators.scope import Scope, session
from tasks.indicators.similar_forces import similar_forces
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

FORCES = ["force-1", "force-2", "force-3", "force-4"]
MONTHS = ["2024-01", "2024-02", "2024-03"]
MISSING = ("force-3", "2024-02")  # a peer missing a month


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    root = tmp_path_factory.mktemp("national")
    data = root / "data"
    for number, force in enumerate(FORCES, start=1):
        generate(data, force=force, months=(MONTHS[0], MONTHS[-1]), seed=number, rows_per_month=600 * number,
                 outcomes=False, stop_search=False)
    (data / MISSING[1] / f"{MISSING[1]}-{MISSING[0]}-street.csv").unlink()
    path = root / "w.duckdb"
    assert ingest_reference_paths([data / "reference"], path, gate=None).ok
    assert ingest_paths([data], path, gate=None).ok
    return data, path


def _street_counts(data: Path) -> Counter:
    counts = Counter()
    for file in data.glob("*/*-street.csv"):
        force = file.name[8:-len("-street.csv")]
        for row in csv.DictReader(io.StringIO(file.read_text())):
            counts[(force, file.parent.name, row["Crime type"])] += 1
    return counts


def _residents(data: Path, force: str) -> float:
    """Mid-2015 residents of the force's own district, from its SYNTHETIC IoD File 6."""
    [file6] = (data / "reference" / force).glob("SYNTHETIC_File_6_*")
    rows = csv.DictReader(io.StringIO(gzip.decompress(file6.read_bytes()).decode("utf-8-sig")))
    district = f"{force.replace('-', ' ').capitalize()} (SYNTHETIC)"
    return float(sum(int(r["Total population: mid 2015 (excluding prisoners)"].replace(",", ""))
                     for r in rows if r["Local Authority District name (2019)"] == district))


def test_rates_equal_an_independent_count_and_missing_months_leave_the_average(national):
    data, path = national
    result = similar_forces(path, "force-1", MONTHS[0], MONTHS[-1], group_size=3)
    assert result.group and set(result.group) <= set(FORCES) - {"force-1"} and len(result.group) == 3
    counts = _street_counts(data)
    residents = {f: _residents(data, f) for f in FORCES}
    for row in result.table.itertuples(index=False):
        own = sum(counts[("force-1", m, row.crime_type)] for m in MONTHS)
        assert row.force_crimes == own
        assert row.force_rate == pytest.approx(own / residents["force-1"] * 1000, rel=1e-12)
        held = {f: [m for m in MONTHS if (f, m) != MISSING] for f in result.group}
        monthly_means = [np.mean([counts[(f, m, row.crime_type)] / residents[f] * 1000 for f in result.group if m in held[f]])
                         for m in MONTHS]
        assert row.group_mean == pytest.approx(sum(monthly_means), rel=1e-12)
        complete = [sum(counts[(f, m, row.crime_type)] for m in MONTHS) / residents[f] * 1000
                    for f in result.group if len(held[f]) == len(MONTHS)]
        assert (row.group_low, row.group_high) == pytest.approx((min(complete), max(complete)), rel=1e-12)
        assert row.group_forces_in_range == len(complete)
        expected_flag = ("above the group range" if row.force_rate > max(complete) else
                         "below the group range" if row.force_rate < min(complete) else "")
        assert row.flag == expected_flag
    # force-1 generates 600 rows a month against 1,200-2,400 for its peers on similar populations: an outlier.
    assert (result.table["flag"] == "below the group range").sum() >= 10
    assert any("force-3" in note and "2024-02" in note and "left out of the group average" in note for note in result.notes)


def test_profiles_use_the_residents_every_indicator_uses(national):
    _, path = national
    profiles = similar_forces(path, "force-2", MONTHS[0], MONTHS[-1]).profiles.set_index("force")
    with session(path, Scope("force-2", MONTHS[0], MONTHS[-1])) as s:
        assert profiles.loc["force-2", "residents"] == pytest.approx(s.area_population())
    assert (profiles["area_basis"] == "LSOA polygons").all()
    assert profiles["density"].between(100, 5000).all() and profiles["deprived_share"].between(0, 1).all()


def test_a_published_grouping_file_is_used_as_given(national, tmp_path):
    _, path = national
    grouping = tmp_path / "msg.csv"
    grouping.write_text("force,similar_force\nforce-1,force-4\nforce-1,force-2\nforce-1,avon-and-somerset\nforce-2,force-1\n")
    result = similar_forces(path, "force-1", MONTHS[0], MONTHS[-1], grouping_file=grouping)
    assert result.group == ["force-4", "force-2"] and result.basis == "grouping file msg.csv"
    assert any("avon-and-somerset" in note for note in result.notes)


def test_force_areas_do_not_overlap_and_points_lie_in_their_lsoa(national):
    data, path = national
    with warehouse.connect(path, read_only=True) as con:
        areas = {force: shapely.from_wkb(g) for force, g in con.execute(
            "SELECT force, geometry FROM boundary WHERE kind = 'pfa' ORDER BY force").fetchall()}
        lsoa21 = dict(con.execute("SELECT code, geometry FROM boundary WHERE kind = 'lsoa21'").fetchall())
        points = con.execute("SELECT DISTINCT longitude, latitude, lsoa_code FROM street_crime "
                             "WHERE longitude IS NOT NULL").df()
    assert set(areas) == set(FORCES) | {f"{f}-neighbour" for f in FORCES}
    names = sorted(areas)
    assert all(areas[a].intersection(areas[b]).area < 1.0 for i, a in enumerate(names) for b in names[i + 1:])
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(points["longitude"], points["latitude"])
    inside = [shapely.from_wkb(lsoa21[code]).buffer(1.0).contains(shapely.Point(px, py))
              for code, px, py in zip(points["lsoa_code"], x, y)]
    assert np.mean(inside) > 0.99


def test_out_of_force_crimes_resolve_to_the_neighbouring_force(national):
    _, path = national
    table = out_of_force(path, Scope("force-2", MONTHS[0], MONTHS[-1]))
    with warehouse.connect(path, read_only=True) as con:
        outside = con.execute("SELECT count(*) FROM street_crime WHERE force = 'force-2' AND lsoa_code >= 'E01101401'"
                              " AND lsoa_code < 'E01101601' AND longitude IS NOT NULL").fetchone()[0]
    assert outside > 0 and table["crimes"].sum() == outside
    resolved = table.groupby("neighbouring_force")["crimes"].sum()
    assert resolved.get("force-2-neighbour", 0) >= 0.9 * outside
