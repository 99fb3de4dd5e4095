"""Properties of the indicators on synthetic warehouses (hypothesis), plus the statistics checked against
textbook values and esda on small fixtures."""
from __future__ import annotations

import math
import string
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tasking import warehouse
from tasks.indicators import (
    Scope, ScopeError, exceedance, harm, lsoa_counts, monthly_volumes, period_change, repeat_locations,
    stop_search,
)
from tasks.indicators.grid import getis_ord_gi_star, quartic_density
from tasks.indicators.place import gini, top_share
from tasks.indicators.volume import poisson_upper_p

FORCE = "test-force"
TYPES = ["Burglary", "Robbery", "Shoplifting", "Vehicle crime"]
LSOAS = [f"E0100{i:04d}" for i in range(6)]
MONTHS = [date(2023, m, 1) for m in range(1, 13)] + [date(2024, m, 1) for m in range(1, 7)]


def crime_rows():
    return st.lists(
        st.tuples(
            st.sampled_from(MONTHS),
            st.sampled_from(TYPES),
            st.sampled_from(LSOAS + [None]),
            st.floats(-1.70, -1.50, allow_nan=False).map(lambda v: round(v, 6)),
            st.floats(54.90, 55.05, allow_nan=False).map(lambda v: round(v, 6)),
        ),
        min_size=1, max_size=120,
    )


def build(path, rows, populations=None, searches=()):
    """A warehouse holding `rows` (month, crime type, lsoa, lon, lat) as street crime of FORCE; crimes with no
    LSOA also get no coordinates, as published."""
    now = datetime.now(timezone.utc)
    with warehouse.connect(path) as con:
        for index, code in enumerate(LSOAS):
            population = (populations or {}).get(code, 1000 + 100 * index)
            con.execute("INSERT INTO lsoa (lsoa11_code, lsoa11_name, lad19_code, lad19_name, imd_rank, imd_decile, population_total)"
                        " VALUES (?, ?, 'E08000099', 'Test Town', ?, ?, ?)",
                        [code, f"Test {index}", 1000 * (index + 1), index + 1, population])
        frame = pd.DataFrame([
            {"crime_id": f"{i:064x}", "month": m, "reported_by": "Test", "falls_within": "Test",
             "longitude": lon if lsoa else None, "latitude": lat if lsoa else None, "location": "On or near Test",
             "lsoa_code": lsoa, "lsoa_name": None, "crime_type": t, "last_outcome_category": "Under investigation",
             "context": None, "force": FORCE, "source_file": "synthetic", "source_sha256": "0", "ingested_at": now}
            for i, (m, t, lsoa, lon, lat) in enumerate(rows)
        ])
        con.register("frame", frame)
        con.execute("INSERT INTO street_crime BY NAME SELECT * FROM frame")
        con.unregister("frame")
        for month in MONTHS:  # every month's file was loaded, even when no row fell in it
            con.execute("INSERT INTO ingest_log (path, kind, force, month, rows, status, started_at)"
                        " VALUES ('synthetic', 'street', ?, ?, 0, 'loaded', ?)", [FORCE, month, now])
        for lon, lat, outcome in searches:
            con.execute("INSERT INTO stop_search (type, date, latitude, longitude, legislation, outcome, month, force,"
                        " source_file, source_sha256, ingested_at) VALUES ('Person search', ?, ?, ?, 'Test Act', ?, ?, ?, 's', '0', ?)",
                        [now, lat, lon, outcome, MONTHS[-1], FORCE, now])
    return path


HYPOTHESIS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(rows=crime_rows())
def test_parts_sum_to_totals_and_rates_are_not_negative(tmp_path_factory, rows):
    path = build(tmp_path_factory.mktemp("p") / "w.duckdb", rows)
    scope = Scope(FORCE, "2024-01", "2024-06")
    volumes = monthly_volumes(path, scope)
    change = period_change(path, scope).set_index("crime_type")
    in_period = [r for r in rows if r[0] >= date(2024, 1, 1)]
    assert int(volumes["crimes"].sum()) == len(in_period) == change.loc["All crime", "crimes"]
    for crime_type, group in volumes.groupby("crime_type"):
        assert int(group["crimes"].sum()) == change.loc[crime_type, "crimes"]
    assert (volumes["rate_per_1000"].dropna() >= 0).all()
    lsoas = lsoa_counts(path, scope)
    assert (lsoas["rate_per_1000"].dropna() >= 0).all()
    assert int(lsoas["crimes"].sum()) == sum(1 for r in in_period if r[2])
    harm_frame = harm(path, scope)
    assert abs(harm_frame["harm_share"].fillna(0).sum() - (1.0 if harm_frame["harm_days"].sum() > 0 else 0.0)) < 1e-9
    latest = exceedance(path, scope).set_index("crime_type")
    assert latest.loc["All crime", "observed"] == sum(1 for r in rows if r[0] == date(2024, 6, 1))
    assert ((latest["p_value"] >= 0) & (latest["p_value"] <= 1)).all()


@HYPOTHESIS
@given(rows=crime_rows(), box=st.tuples(st.floats(-1.70, -1.50), st.floats(-1.70, -1.50), st.floats(54.90, 55.05), st.floats(54.90, 55.05)))
def test_area_filters_never_return_rows_outside_the_area(tmp_path_factory, rows, box):
    path = build(tmp_path_factory.mktemp("a") / "w.duckdb", rows)
    min_lon, max_lon = sorted(box[:2])
    min_lat, max_lat = sorted(box[2:])
    in_box = Scope(FORCE, "2023-01", "2024-06", bbox=(min_lon, min_lat, max_lon, max_lat))
    points = repeat_locations(path, in_box, min_months=1)
    assert ((points["longitude"] >= min_lon) & (points["longitude"] <= max_lon)
            & (points["latitude"] >= min_lat) & (points["latitude"] <= max_lat)).all()
    expected = sum(1 for r in rows if r[2] and min_lon <= r[3] <= max_lon and min_lat <= r[4] <= max_lat)
    assert int(monthly_volumes(path, in_box)["crimes"].sum()) == expected

    triangle = f"POLYGON(({min_lon} {min_lat}, {max_lon} {min_lat}, {min_lon} {max_lat}, {min_lon} {min_lat}))"
    shape = shapely.from_wkt(triangle)
    if shape.is_valid and not shape.is_empty and shape.area > 0:
        inside = repeat_locations(path, Scope(FORCE, "2023-01", "2024-06", polygon_wkt=triangle), min_months=1)
        assert shapely.contains_xy(shape, inside["longitude"].to_numpy(), inside["latitude"].to_numpy()).all()

    chosen = tuple(LSOAS[:2])
    lsoas = lsoa_counts(path, Scope(FORCE, "2023-01", "2024-06", lsoa_codes=chosen))
    assert set(lsoas.loc[lsoas["crimes"] > 0, "lsoa_code"]) <= set(chosen)
    assert int(lsoas["crimes"].sum()) == sum(1 for r in rows if r[2] in chosen)


HOSTILE = st.text(alphabet=string.ascii_letters + "'\";-()*%_\\ ", min_size=1, max_size=40)


@pytest.fixture(scope="module")
def one_robbery(tmp_path_factory):
    return build(tmp_path_factory.mktemp("q") / "w.duckdb", [(MONTHS[-1], "Robbery", LSOAS[0], -1.6, 55.0)])


@settings(max_examples=15, deadline=None)
@given(value=HOSTILE)
def test_parameters_with_quotes_or_sql_are_values(one_robbery, value):
    assume(value.lower() not in {"robbery", FORCE, "test town", "e08000099"})
    path = one_robbery
    for scope in (Scope(FORCE, "2024-06", "2024-06", crime_types=(value,)),
                  Scope(FORCE, "2024-06", "2024-06", lsoa_codes=(value,)),
                  Scope(FORCE, "2024-06", "2024-06", local_authority=value)):
        assert monthly_volumes(path, scope)["crimes"].fillna(0).sum() == 0
    # A force the warehouse does not hold is refused by name before any query runs.
    with pytest.raises(ScopeError, match="force"):
        monthly_volumes(path, Scope(value, "2024-06", "2024-06"))
    with pytest.raises(ScopeError, match="force"):
        stop_search(path, Scope(value, "2024-06", "2024-06"))
    # the data is still there: nothing was dropped or changed by a hostile value
    assert int(monthly_volumes(path, Scope(FORCE, "2024-06", "2024-06"))["crimes"].sum()) == 1


def test_injection_attempt_leaves_the_warehouse_intact(tmp_path):
    path = build(tmp_path / "w.duckdb", [(MONTHS[-1], "Robbery", LSOAS[0], -1.6, 55.0)])
    attack = "Robbery'); DROP TABLE street_crime; --"
    assert monthly_volumes(path, Scope(FORCE, "2024-06", "2024-06", crime_types=(attack,)))["crimes"].sum() == 0
    assert monthly_volumes(path, Scope(FORCE, "2024-06", "2024-06", crime_types=("Robbery",)))["crimes"].sum() == 1


def test_stop_search_area_uses_the_published_points_of_the_area(tmp_path):
    rows = [(MONTHS[-1], "Robbery", LSOAS[0], -1.6, 55.0), (MONTHS[-1], "Robbery", LSOAS[1], -1.55, 54.95)]
    searches = [(-1.6, 55.0, "Arrest"), (-1.55, 54.95, "A no further action disposal"), (-1.52, 54.91, "Arrest"), (None, None, "Arrest")]
    path = build(tmp_path / "w.duckdb", rows, searches=searches)
    force = stop_search(path, Scope(FORCE, "2024-06", "2024-06")).set_index(["dimension", "value"])
    assert force.loc[("all", "all searches"), "searches"] == 4
    assert force.loc[("all", "all searches"), "no_location"] == 1
    assert force.loc[("all", "all searches"), "arrests"] == 3
    one = stop_search(path, Scope(FORCE, "2024-06", "2024-06", lsoa_codes=(LSOAS[0],))).set_index(["dimension", "value"])
    assert one.loc[("all", "all searches"), ["searches", "arrests"]].tolist() == [1, 1]


def test_scope_rejects_bad_input_with_one_clear_error():
    with pytest.raises(ScopeError, match="YYYY-MM"):
        Scope(FORCE, "2024-13", "2024-12")
    with pytest.raises(ScopeError, match="before it starts"):
        Scope(FORCE, "2024-06", "2024-01")
    with pytest.raises(ScopeError, match="one area at most"):
        Scope(FORCE, "2024-01", "2024-06", lsoa_codes=("E01000001",), local_authority="Camden")
    with pytest.raises(ScopeError, match="WKT"):
        Scope(FORCE, "2024-01", "2024-06", polygon_wkt="POLYGON((0 0, 1 1")
    with pytest.raises(ScopeError, match="unknown kind"):
        Scope.from_area_text(FORCE, "2024-01", "2024-06", "ward:Somewhere")
    assert Scope.from_area_text(FORCE, "2024-01", "2024-06", "bbox:-1.7,54.9,-1.5,55.0").bbox == (-1.7, 54.9, -1.5, 55.0)
    assert Scope(FORCE, "2024-01", "2024-06", crime_types="Robbery").crime_types == ("Robbery",)


# ---- statistics against textbook values and esda -------------------------------------------------------------

def test_poisson_exceedance_textbook_value():
    # 3 robberies against a baseline mean of 0.8: P(X >= 3) = 1 - e^-0.8 (1 + 0.8 + 0.8^2 / 2) = 0.0474
    textbook = 1 - math.exp(-0.8) * (1 + 0.8 + 0.32)
    assert abs(float(poisson_upper_p(3, 0.8)) - textbook) < 1e-12
    assert round(textbook, 3) == 0.047  # elevated, not exceptional
    assert float(poisson_upper_p(0, 0.8)) == 1.0


def test_gi_star_matches_esda_on_a_small_lattice():
    import libpysal
    from esda import G_Local

    rng = np.random.default_rng(3)
    lattice = rng.poisson(2.0, size=(7, 9)).astype(float)
    lattice[2:4, 5:7] += 12  # a cluster
    reference = G_Local(lattice.ravel(), libpysal.weights.lat2W(7, 9, rook=False), transform="B", star=True, permutations=0)
    ours = getis_ord_gi_star(lattice).ravel()
    assert np.allclose(ours, reference.Zs, rtol=1e-12, atol=1e-12)
    assert ours[3 * 9 + 6] > 2.576


def test_gi_star_hand_computed_on_a_3x3_lattice():
    # value 9 in the centre, 0 elsewhere: n = 9, mean 1, population SD sqrt(81/9 - 1) = sqrt(8).
    # A corner sees 4 cells (itself included), an edge cell 6; both include the centre's 9.
    lattice = np.zeros((3, 3))
    lattice[1, 1] = 9.0
    s = math.sqrt(8.0)
    corner = (9.0 - 1.0 * 4) / (s * math.sqrt((9 * 4 - 4 ** 2) / 8))
    edge = (9.0 - 1.0 * 6) / (s * math.sqrt((9 * 6 - 6 ** 2) / 8))
    z = getis_ord_gi_star(lattice)
    assert abs(z[0, 0] - corner) < 1e-12 and abs(z[2, 2] - corner) < 1e-12
    assert abs(z[0, 1] - edge) < 1e-12
    assert abs(corner - math.sqrt(5) / 2) < 1e-12  # 5 / (sqrt(8) x sqrt(2.5))


def test_gini_and_top_share_textbook_values():
    assert gini([5, 5, 5, 5]) == 0.0
    assert abs(gini([0, 0, 0, 12]) - 0.75) < 1e-12  # (n - 1) / n for all in one of n units
    assert top_share([10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0.05) == 0.5


def test_kernel_of_one_crime_integrates_to_one():
    grid = quartic_density(np.array([430000.3]), np.array([560000.7]), np.array([1.0]), cell_size_m=5.0, bandwidth_m=250.0)
    assert abs(grid["density_per_km2"].sum() * (5.0 / 1000) ** 2 - 1.0) < 1e-3
