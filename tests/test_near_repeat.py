"""The Knox test: agreement with a brute-force count, the band convention, planted near repeats found,
randomised times found to be chance."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist

from sources.synthetic_internal import generate_internal
from tasks.ingest_internal import ingest_internal_paths
from tasks.near_repeat import KnoxBands, knox_test, near_repeat_for_warehouse

DAY = 86_400


def brute_force_table(x, y, seconds, bands: KnoxBands, metric: str) -> np.ndarray:
    """Every pair's distance and gap, counted cell by cell with explicit [lower, upper) tests."""
    points = np.column_stack([x, y])
    distance = pdist(points, "cityblock" if metric == "manhattan" else "euclidean")
    gap = pdist(np.asarray(seconds, float)[:, None], "cityblock")
    s_edges = [*bands.spatial_breaks, np.inf]
    t_edges = [*(b * DAY for b in bands.temporal_breaks_days), np.inf]
    table = np.zeros((len(s_edges) - 1, len(t_edges) - 1), dtype=np.int64)
    for i in range(len(s_edges) - 1):
        for j in range(len(t_edges) - 1):
            table[i, j] = np.count_nonzero((distance >= s_edges[i]) & (distance < s_edges[i + 1])
                                           & (gap >= t_edges[j]) & (gap < t_edges[j + 1]))
    return table


def planted_events(seed: int, background: int = 700, followers: int = 120):
    """Background burglaries uniform over 4 km x 4 km and a year, plus followers each within 80 m and 5 days
    of a background event."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 4000, background)
    y = rng.uniform(0, 4000, background)
    t = rng.uniform(0, 365, background) * DAY
    source = rng.integers(0, background, followers)
    angle = rng.uniform(0, 2 * np.pi, followers)
    reach = rng.uniform(2, 80, followers)
    x = np.concatenate([x, x[source] + reach * np.cos(angle)])
    y = np.concatenate([y, y[source] + reach * np.sin(angle)])
    t = np.concatenate([t, t[source] + rng.uniform(0, 5, followers) * DAY])
    return x, y, np.round(t).astype(np.int64)


@pytest.mark.parametrize("metric", ["manhattan", "euclidean"])
def test_observed_table_agrees_with_a_brute_force_count(metric):
    # Coordinates on a 50 m grid and whole days put many pairs exactly on band edges.
    rng = np.random.default_rng(3)
    n = 400
    x = rng.integers(0, 40, n) * 50.0
    y = rng.integers(0, 40, n) * 50.0
    seconds = rng.integers(0, 60, n) * DAY
    bands = KnoxBands()
    result = knox_test(x, y, seconds, bands, iterations=5, metric=metric, seed=1)
    np.testing.assert_array_equal(result.observed, brute_force_table(x, y, seconds, bands, metric))
    assert result.observed.sum() == n * (n - 1) // 2
    # A permutation of the times is another observed table: the simulated path must agree too.
    shuffled = np.random.default_rng(9).permutation(seconds)
    np.testing.assert_array_equal(knox_test(x, y, shuffled, bands, iterations=1, metric=metric).observed,
                                  brute_force_table(x, y, shuffled, bands, metric))


def test_bands_are_half_open_and_labelled_as_counted():
    # Steenbeek's pathological pair: 100 m and 3 days apart. The Near Repeat Calculator, with 200 m and 3-day
    # bands, shows it under "4 to 6" days; it belongs to [3, 6) days and [0, 200) m, and is labelled so.
    bands = KnoxBands.regular(200, 2, 3, 2, same_location_metres=None)
    result = knox_test([0, 0], [0, 100], [0, 3 * DAY], bands, iterations=1)
    cell = np.argwhere(result.observed == 1)
    assert cell.tolist() == [[0, 1]]
    assert bands.spatial_labels[0] == "[0, 200) m" and bands.temporal_labels[1] == "[3, 6) days"
    defaults = KnoxBands.regular()
    assert defaults == KnoxBands()
    assert defaults.spatial_labels == ["[0, 1) m", "[1, 100) m", "[100, 200) m", "[200, 300) m", "[300, inf) m"]
    assert defaults.temporal_labels == ["[0, 7) days", "[7, 14) days", "[14, 21) days", "[21, inf) days"]


def test_planted_near_repeats_are_found():
    x, y, t = planted_events(seed=5)
    result = knox_test(x, y, t, iterations=999, seed=2)
    table = result.table().set_index(["spatial_band", "temporal_band"])
    planted = table.loc[("[1, 100) m", "[0, 7) days")]
    assert planted["p_value"] < 0.01
    assert planted["knox_ratio"] > 2
    assert ("[1, 100) m", "[0, 7) days") in set(map(tuple, result.significant(0.01)[["spatial_band", "temporal_band"]].values))


def test_randomised_times_show_nothing_beyond_chance():
    x, y, t = planted_events(seed=5)
    shuffled = np.random.default_rng(17).permutation(t)
    result = knox_test(x, y, shuffled, iterations=999, seed=2)
    table = result.table().set_index(["spatial_band", "temporal_band"])
    assert table.loc[("[1, 100) m", "[0, 7) days"), "p_value"] > 0.05
    finite = table[~table.index.get_level_values(0).str.endswith("inf) m")]
    # 16 finite cells at alpha 0.05: more than 3 significant would be a 1-in-100 event under the null.
    assert (finite["p_value"] < 0.05).sum() <= 3
    assert result.significant(0.01).empty


def test_permutations_keep_the_margins():
    x, y, t = planted_events(seed=8, background=300, followers=40)
    result = knox_test(x, y, t, iterations=20, seed=4, keep_simulations=True)
    n = len(x)
    assert (result.simulated.sum(axis=(1, 2)) == n * (n - 1) // 2).all()
    # Permuting times never moves a pair between spatial bands.
    assert (result.simulated.sum(axis=2) == result.observed.sum(axis=1)).all()
    assert result.p_values.min() >= 1 / 21


def test_near_repeats_in_the_synthetic_extract_are_found(tmp_path):
    synthetic = generate_internal(tmp_path, "demo-shire", date(2024, 1, 1), date(2024, 4, 30), seed=3, records_per_day=60,
                                  nominal_count=1)
    warehouse_file = tmp_path / "warehouse.duckdb"
    assert ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse_file, gate=None).ok
    result = near_repeat_for_warehouse(warehouse_file, "demo-shire", "Burglary", iterations=99, seed=1)
    assert result.events == synthetic.burglaries
    cell = result.table().set_index(["spatial_band", "temporal_band"]).loc[("[1, 100) m", "[0, 7) days")]
    assert cell["p_value"] <= 0.01 and cell["knox_ratio"] > 2


@given(st.integers(min_value=2, max_value=60), st.integers(min_value=0, max_value=2**32 - 1),
       st.sampled_from(["manhattan", "euclidean"]), st.booleans())
@settings(max_examples=40, deadline=None)
def test_any_small_set_agrees_with_brute_force(n, seed, metric, same_location):
    """Coordinates on a 25 m grid and whole days, so band edges and zero distances are common."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, n) * 25.0
    y = rng.integers(0, 16, n) * 25.0
    seconds = rng.integers(0, 30, n) * DAY
    bands = KnoxBands.regular(50, 3, 3, 3, 1.0 if same_location else None)
    result = knox_test(x, y, seconds, bands, iterations=2, metric=metric, seed=0)
    np.testing.assert_array_equal(result.observed, brute_force_table(x, y, seconds, bands, metric))
