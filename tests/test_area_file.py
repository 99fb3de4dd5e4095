"""`--area file:PATH`: a problem profile's area drawn as a polygon file, in any CRS."""
from __future__ import annotations

import geopandas
import pytest
import shapely

import geo_warehouse
from tasks.indicators.geography import area_geography
from tasks.indicators.scope import Scope, ScopeError, session


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return geo_warehouse.build(tmp_path_factory.mktemp("city") / "w.duckdb", "city-of-london", ["2024-08"])


def test_a_polygon_file_in_national_grid_scopes_the_crimes_inside_it(city, tmp_path):
    # Around Bishopsgate and Liverpool Street, drawn in British National Grid metres, as a GeoPackage.
    area = shapely.box(532900, 181300, 533500, 181900)
    path = tmp_path / "bishopsgate.gpkg"
    geopandas.GeoDataFrame({"name": ["Bishopsgate"]}, geometry=[area], crs="EPSG:27700").to_file(path)
    scope = Scope.from_area_text("city-of-london", "2024-08", "2024-08", f"file:{path}")
    assert scope.area_kind == "polygon" and scope.area_label == "polygon from bishopsgate.gpkg"
    with session(city, scope) as s:
        geography = area_geography(s)
        inside = s.con.execute("SELECT count(*) FROM scoped_street").fetchone()[0]
        points = s.con.execute("SELECT longitude, latitude FROM street_crime WHERE longitude IS NOT NULL").df()
    as_lonlat = geopandas.GeoSeries([area], crs="EPSG:27700").to_crs("EPSG:4326").iloc[0]
    expected = int(shapely.contains_xy(as_lonlat, points["longitude"], points["latitude"]).sum())
    assert inside == expected and 50 < inside < len(points)
    assert scope.shifted(scope.period_from, scope.period_to).polygon_source == str(path)
    # Its map draws the area itself (back on the National Grid) inside the force boundary of the City's LSOAs.
    assert geography.area_outline.area == pytest.approx(area.area, rel=1e-3)
    assert geography.force_outline.area / 1e6 == pytest.approx(2.905, abs=0.03)  # the City's six LSOAs, 2.9 km²


def test_a_file_without_a_polygon_or_missing_is_refused_by_name(tmp_path):
    points = tmp_path / "points.geojson"
    geopandas.GeoDataFrame(geometry=[shapely.Point(-0.08, 51.51)], crs="EPSG:4326").to_file(points)
    with pytest.raises(ScopeError, match=r"points.geojson: holds no polygon"):
        Scope.from_area_text("city-of-london", "2024-08", "2024-08", f"file:{points}")
    with pytest.raises(ScopeError, match=r"nowhere.geojson: no such file"):
        Scope.from_area_text("city-of-london", "2024-08", "2024-08", f"file:{tmp_path / 'nowhere.geojson'}")
