"""tasks.stats.emerging: every class on a hand-built cell, and Gi* computed from hand-built crime lattices."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tasks.indicators.grid import getis_ord_gi_star
from tasks.stats.emerging import (
    PATTERNS, cells_by_month, classify_cell, classify_emerging, gi_by_month, gi_star_on_cells, is_emerging, pattern_counts,
)

HOT, NOT, COLD = 3.0, 0.2, -2.5

HAND_BUILT = {
    "new": [NOT] * 9 + [HOT],
    "consecutive": [NOT] * 7 + [HOT, HOT, HOT],
    "intensifying": [2.0 + 0.4 * i for i in range(10)],           # hot every month, rising
    "persistent": [3.0, 3.3, 2.8, 3.1, 2.9, 3.2, 3.0, 2.7, 3.3, 2.9],
    "diminishing": [6.0 - 0.4 * i for i in range(10)],            # hot every month, falling (2.4 at the end)
    "sporadic": [HOT, NOT, NOT, HOT, NOT, HOT, NOT, NOT, NOT, HOT],
    "oscillating": [HOT, NOT, COLD, HOT, NOT, NOT, NOT, HOT, NOT, HOT],
    "historical": [HOT] * 9 + [NOT],
    "no pattern detected": [NOT, HOT, NOT, NOT, HOT, NOT, NOT, NOT, NOT, NOT],
}


@pytest.mark.parametrize("expected", list(HAND_BUILT))
def test_each_class_on_a_hand_built_cell(expected):
    pattern, facts = classify_cell(HAND_BUILT[expected])
    assert pattern == expected
    assert facts["months"] == 10 and facts["hot_months"] == sum(z >= 1.96 for z in HAND_BUILT[expected])


def test_trend_facts_behind_intensifying_and_diminishing():
    assert classify_cell(HAND_BUILT["intensifying"])[1]["trend"] == "increasing"
    assert classify_cell(HAND_BUILT["diminishing"])[1]["trend"] == "decreasing"
    assert classify_cell(HAND_BUILT["persistent"])[1]["trend"] == "no trend"
    # Hot in only 8 of 10 months: not persistent however flat, and not in the last month: no pattern.
    assert classify_cell([HOT] * 8 + [NOT, NOT])[0] == "no pattern detected"


def test_classify_emerging_from_z_scores_in_long_form():
    months = [date(2024, m, 1) for m in range(1, 11)]
    rows = [{"cell_x": 125.0 + 250 * i, "cell_y": 125.0, "month": month, "gi_z": z}
            for i, name in enumerate(HAND_BUILT) for month, z in zip(months, HAND_BUILT[name])]
    classified = classify_emerging(pd.DataFrame(rows))
    by_x = dict(zip(classified["cell_x"], classified["pattern"]))
    assert [by_x[125.0 + 250 * i] for i in range(len(HAND_BUILT))] == list(HAND_BUILT)
    assert list(classified["pattern"]) == [p for p in PATTERNS if p in HAND_BUILT]  # ordered by class
    counts = pattern_counts(classified)
    assert list(counts["pattern"]) == list(PATTERNS) and counts["cells"].sum() == len(HAND_BUILT)
    assert is_emerging("new") and is_emerging("intensifying") and not is_emerging("historical")


def _crimes(cluster_counts: dict[tuple[int, int], list[int]], months: list[date], size: int = 11) -> pd.DataFrame:
    """A size x size lattice of 100 m cells with a Poisson(3) background every month (seeded), plus clusters.
    Gi* measures clustering against the spread of the whole lattice, so a cluster intensifies in z only against
    a background that varies."""
    rng = np.random.default_rng(0)
    rows = []
    for m, month in enumerate(months):
        background = rng.poisson(3, (size, size))
        for r in range(size):
            for c in range(size):
                extra = cluster_counts.get((r, c), [0] * len(months))[m]
                rows.append({"cell_x": 50.0 + 100 * c, "cell_y": 50.0 + 100 * r, "month": month,
                             "crimes": int(background[r, c]) + extra})
    return pd.DataFrame(rows)


def test_gi_star_from_crimes_finds_a_new_and_an_intensifying_cluster():
    months = [date(2024, m, 1) for m in range(1, 13)]
    growing = [4 + m for m in range(12)]  # a 3x3 block rising every month
    clusters = {(r, c): growing for r in (2, 3, 4) for c in (2, 3, 4)}
    clusters.update({(r, c): [0] * 11 + [12] for r in (7, 8) for c in (7, 8)})  # appears in the last month only
    classified = classify_emerging(_crimes(clusters, months), cell_size_m=100.0)
    pattern = {(round(x), round(y)): p for x, y, p in zip(classified.cell_x, classified.cell_y, classified.pattern)}
    assert pattern[(350, 350)] == "intensifying"    # centre of the growing block (row 3, col 3)
    assert pattern[(750, 750)] == "new"             # a cell of the last-month block (row 7, col 7)
    assert pattern[(1050, 50)] == "no pattern detected"
    assert classified["crimes"].sum() == _crimes(clusters, months)["crimes"].sum()


def test_gi_star_on_all_cells_is_the_hotspot_indicators_gi_star():
    grid = np.random.default_rng(4).poisson(3, (9, 12)).astype(float)
    grid[3:5, 6:9] += 9
    assert np.allclose(gi_star_on_cells(grid, np.ones(grid.shape, bool)), getis_ord_gi_star(grid), equal_nan=True)


def test_cells_never_with_crime_are_outside_the_study_area():
    """A busy block beside a wide empty margin: the margin is not part of the test, so the block is compared
    with the cells that do hold crime, not made hot by the emptiness around it."""
    grid = np.zeros((10, 10))
    grid[:3, :3] = [[5, 6, 5], [6, 5, 6], [5, 6, 5]]
    study = grid > 0
    z = gi_star_on_cells(grid, study)
    assert np.isnan(z[~study]).all()
    assert np.nanmax(np.abs(z)) < 1.96                     # a uniform block has no hot spot within it
    assert np.nanmax(getis_ord_gi_star(grid)) > 1.96       # on the full lattice it would


def test_gi_by_month_over_the_study_cells_and_bad_input():
    frame = pd.DataFrame({"cell_x": [50.0, 250.0, 50.0], "cell_y": [50.0, 50.0, 50.0],
                          "month": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 2, 1)], "crimes": [3, 1, 2]})
    gi = gi_by_month(frame, 100.0)
    # Two study cells (the empty middle cell never held a crime) in each of two months; zero where none that month.
    assert len(gi) == 4 and sorted(gi["crimes"].tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="missing"):
        gi_by_month(frame.drop(columns="crimes"), 100.0)
    with pytest.raises(ValueError, match="cell_size_m"):
        classify_emerging(frame)
    with pytest.raises(ValueError, match="at least 6 months"):
        classify_cell([HOT] * 3)


def test_cells_by_month_bins_points_on_the_national_grid():
    points = pd.DataFrame({"month": ["2024-01", "2024-01", "2024-01", "2024-02"],
                           "longitude": [-0.09, -0.09001, -0.08, None], "latitude": [51.515, 51.51501, 51.515, 51.5],
                           "crimes": [2, 3, 1, 7]})
    cells = cells_by_month(points, 250.0)
    assert sorted(cells["crimes"].tolist()) == [1, 5]          # the first two points share a cell; no location: left out
    assert ((cells["cell_x"] % 250) == 125).all() and ((cells["cell_y"] % 250) == 125).all()
