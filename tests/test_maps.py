"""Maps over real City of London data: boundaries, hot spot names a reader can find, the ONS attribution."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import geo_warehouse
from sources.boundaries import ATTRIBUTION
from tasks import charts
from tasks.indicators.geography import (GENERIC_SNAP_LABELS, area_geography, hotspot_labels, map_layers,
                                        published_points, street_label)
from tasks.indicators.grid import hotspots
from tasks.indicators.scope import Scope, session

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return geo_warehouse.build(tmp_path_factory.mktemp("city") / "w.duckdb", "city-of-london", ["2024-07", "2024-08"])


def test_city_geography_is_its_six_lsoas_inside_its_force_area(city):
    with session(city, Scope("city-of-london", "2024-08", "2024-08")) as s:
        geography = area_geography(s)
    assert len(geography.lsoas) == 6 and geography.force_code == "E23000034"
    lsoa_area = sum(g.area for g in geography.lsoas["geometry"])
    # The drawn force boundary is the outline of its LSOAs: same area, slivers between them closed.
    assert geography.force_outline.area == pytest.approx(lsoa_area, rel=0.01)
    # ONS's ultra-generalised force area cuts across the City's streets (it misses about a fifth of it: why the
    # map draws the LSOAs' outline), but it is the same place.
    assert geography.force_outline.intersection(geography.force_area).area > 0.75 * lsoa_area


def test_city_map_draws_boundaries_names_hot_spots_and_carries_the_attribution(city, tmp_path):
    scope = Scope("city-of-london", "2024-08", "2024-08")
    cells = hotspots(city, scope)
    top = cells[cells["gi_class"] == "hot spot 99%"].sort_values("crimes", ascending=False).head(5)
    assert len(top) >= 3
    with session(city, scope) as s:
        points = published_points(s)
        layers = map_layers(area_geography(s))
    labels = hotspot_labels(top, points, 250.0)
    # Named after a street and an LSOA of the City; never a kind of place as if it were premises.
    assert all(name.startswith("City of London 0") for name in labels["lsoa_name"])
    assert not any(street_label(street.removeprefix("near ")) == "" for street in labels["street"])
    path = charts.hotspot_map(tmp_path / "map.svg", np.repeat(points["longitude"], points["crimes"]),
                              np.repeat(points["latitude"], points["crimes"]),
                              list(zip(top["longitude"], top["latitude"], labels["label"])), title="City", layers=layers)
    svg = path.read_text()
    assert "Office for National Statistics licensed under the Open Government" in svg and "Crown copyright" in svg
    assert "grey lines: LSOA boundaries" in svg and "dark line: force boundary" in svg
    assert all(label in svg for label in labels["label"].head(3))


def _points(rows):
    frame = pd.DataFrame(rows, columns=["longitude", "latitude", "location", "lsoa_name", "crimes"])
    return frame


def _cell_of(lon, lat, size=250.0):
    x, y = _TO_BNG.transform(lon, lat)
    return pd.DataFrame({"cell_x": [(np.floor(x / size) + 0.5) * size], "cell_y": [(np.floor(y / size) + 0.5) * size]})


def test_a_generic_busiest_point_gives_the_busiest_street_in_the_cell_said_near():
    lon, lat = -0.0800, 51.5150
    cell = _cell_of(lon, lat)
    points = _points([(lon, lat, "On or near Supermarket", "City 001A", 40),
                      (lon + 0.0003, lat, "On or near A201", "City 001A", 9),
                      (lon, lat + 0.0002, "On or near Widegate Street", "City 001B", 5)])
    [row] = hotspot_labels(cell, points, 250.0).to_dict("records")
    assert row == {"street": "near Widegate Street", "lsoa_name": "City 001A", "label": "near Widegate Street, City 001A"}


def test_a_street_busiest_point_is_named_plainly_and_nothing_nearby_says_so():
    lon, lat = -0.0800, 51.5150
    cell = _cell_of(lon, lat)
    named = hotspot_labels(cell, _points([(lon, lat, "On or near Bishopsgate", "City 001F", 12),
                                          (lon, lat, "On or near Police Station", "City 001F", 3)]), 250.0)
    assert named["label"].tolist() == ["Bishopsgate, City 001F"]
    far = _points([(lon, lat, "On or near Parking Area", "City 001F", 12), (lon + 0.02, lat, "On or near Far Street", "X", 1)])
    assert hotspot_labels(cell, far, 250.0)["street"].tolist() == ["no named street"]
    road = _points([(lon, lat, "On or near A201", "City 001F", 12)])
    assert hotspot_labels(cell, road, 250.0)["street"].tolist() == ["A201"]


def test_generic_labels_are_not_streets():
    assert {street_label(f"On or near {label.title()}") for label in ("supermarket", "police station", "parking area")} == {""}
    assert street_label("On or near ") == "" and street_label("On or near Further/Higher Educational Building") == ""
    assert street_label("On or near Cloth Market") == "Cloth Market"
    assert "supermarket" in GENERIC_SNAP_LABELS


def test_a_map_renders_without_a_network_when_a_tile_server_is_configured(tmp_path):
    square = shapely.box(532000, 181000, 533000, 182000)
    layers = charts.MapLayers(lsoas=[square], force_area=square, attribution=ATTRIBUTION,
                              tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    path = charts.hotspot_map(tmp_path / "m.svg", [-0.085, -0.086], [51.517, 51.518],
                              [(-0.085, 51.517, "High Street, X 001A")], title="t", layers=layers)
    svg = path.read_text()
    assert "base map unavailable" in svg and "Crown copyright" in svg and "High Street, X 001A" in svg
