"""LSOA Gi* on queen contiguity over real Northumbria counts, checked against an independent computation."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import stats

import geo_warehouse
from tasks.indicators.geography import area_geography
from tasks.indicators.lsoa_gistar import CONTIGUITY_TOLERANCE_M, GI_FDR_ALPHA, gi_star_table, lsoa_gi_star
from tasks.indicators.scope import Scope, session

SCOPE = Scope("northumbria", "2022-09", "2022-09")


@pytest.fixture(scope="module")
def northumbria(tmp_path_factory):
    return geo_warehouse.build(tmp_path_factory.mktemp("north") / "w.duckdb", "northumbria", ["2022-09"])


@pytest.fixture(scope="module")
def result(northumbria):
    return lsoa_gi_star(northumbria, SCOPE)


def _independent_gi_star(polygons, crimes):
    """Gi* from its formula (Ord and Getis 1995) with binary weights including the LSOA itself:
    (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))), neighbours found by shapely directly."""
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="dwithin", distance=2 * CONTIGUITY_TOLERANCE_M)
    n = len(crimes)
    w = np.zeros((n, n))
    w[left, right] = 1.0
    np.fill_diagonal(w, 1.0)
    x = np.asarray(crimes, float)
    xbar, s = x.mean(), x.std()
    w_i = w.sum(axis=1)
    return (w @ x - xbar * w_i) / (s * np.sqrt((n * w_i - w_i ** 2) / (n - 1))), w_i - 1


def _benjamini_hochberg(p):
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    out = np.empty_like(q)
    out[order] = q
    return out


def test_gi_star_equals_the_formula_on_real_counts_and_every_lsoa_is_there(northumbria, result):
    with session(northumbria, SCOPE) as s:
        lsoas = area_geography(s).lsoas.set_index("code")
        published = s.con.execute("SELECT count(*) FROM scoped_street WHERE month = '2022-09-01' AND lsoa_code IN "
                                  "(SELECT lsoa_code FROM lsoa_resolved WHERE lad19_code IN (SELECT lad19_code FROM "
                                  "lsoa_resolved r JOIN area_lsoa USING (lsoa_code)))").fetchone()[0]
    assert len(result) == 916 and set(result["lsoa_code"]) == set(lsoas.index)
    assert result["crimes"].sum() == published  # every crime in the force's own LSOAs, none outside
    polygons = lsoas.loc[result["lsoa_code"], "geometry"].to_numpy()
    z, neighbours = _independent_gi_star(polygons, result["crimes"].to_numpy())
    np.testing.assert_allclose(result["gi_z"], z, rtol=1e-9)
    np.testing.assert_array_equal(result["neighbours"], neighbours)
    assert 5 < result["neighbours"].mean() < 7 and (result["neighbours"] > 0).all()  # LSOAs have about six


def test_classes_follow_fdr_adjusted_p_values(result):
    p = 2 * stats.norm.sf(np.abs(result["gi_z"].to_numpy()))
    np.testing.assert_allclose(result["p_value"], p, rtol=1e-9)
    q = _benjamini_hochberg(p)
    np.testing.assert_allclose(result["q_value"], q, rtol=1e-9)
    hot = (result["gi_z"] > 0) & (q < GI_FDR_ALPHA)
    assert (result["gi_class"] == "hot spot").tolist() == hot.tolist()
    # The correction matters on real data: fewer hot spots than an unadjusted 5% test calls.
    assert 0 < hot.sum() < (result["gi_class_unadjusted"] == "hot spot").sum()
    # The strongest is in Newcastle city centre.
    assert result.iloc[0]["lsoa_name"].startswith("Newcastle upon Tyne 02")


def test_permutation_p_values_are_reproducible(northumbria, result):
    again = lsoa_gi_star(northumbria, SCOPE)
    assert again["p_sim"].tolist() == result["p_sim"].tolist()
    assert result["p_sim"].between(0.001, 0.5).all()


def test_no_variation_is_reported_not_tested():
    squares = [shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(4)]
    table = gi_star_table(list("abcd"), list("ABCD"), squares, [3, 3, 3, 3])
    assert set(table["gi_class"]) == {"not tested"} and table["crimes"].tolist() == [3, 3, 3, 3]


def test_a_row_of_squares_has_its_chain_neighbours():
    squares = [shapely.box(i * 100, 0, (i + 1) * 100, 100) for i in range(5)]
    table = gi_star_table(list("abcde"), list("ABCDE"), squares, [0, 1, 9, 1, 0]).set_index("lsoa_code")
    assert table.loc[list("abcde"), "neighbours"].tolist() == [1, 2, 2, 2, 1]
    assert table.index[0] == "c"
