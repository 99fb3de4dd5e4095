"""Emerging hot spot classes of LSOAs: hand-built polygon grids for each class, Gi* per month equal to esda's,
the section on a tiny SYNTHETIC warehouse (and without boundaries), and a run on the real City of London LSOAs."""
from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest
import shapely

import geo_warehouse
from sources.synthetic import generate
from tasks.indicators import Scope
from tasks.indicators.lsoa_emerging import classify_lsoas, gi_star_by_month, lsoa_emerging
from tasks.indicators.lsoa_gistar import gi_star_table, queen_weights
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.products.engine import Figure, IndicatorSession, ProductContext, Table
from tasks.products.sections import lsoa_emerging_hotspots
from tasks.stats.emerging import PATTERNS

SIDE = 7  # a 7 x 7 grid of 100 m square "LSOAs"
POLYGONS = [shapely.box(c * 100, r * 100, c * 100 + 100, r * 100 + 100) for r in range(SIDE) for c in range(SIDE)]
CODES = [f"E0100{i:04d}" for i in range(SIDE * SIDE)]
BACKGROUND = np.array([(i * 7) % 3 for i in range(SIDE * SIDE)], dtype=float)  # the same 0-2 pattern every month
CENTRE = (SIDE // 2) * SIDE + SIDE // 2
BLOCK = [CENTRE + dr * SIDE + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)]  # the centre and its 8 neighbours
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _centre_class(block_counts) -> pd.Series:
    """The class of the centre LSOA when it and its neighbours hold `block_counts` (one per month) and every other
    LSOA the fixed background."""
    counts = np.tile(BACKGROUND[:, None], (1, len(MONTHS)))
    counts[BLOCK] = block_counts
    frame = pd.DataFrame(counts, index=CODES, columns=MONTHS)
    classified = classify_lsoas(CODES, [f"Name {c}" for c in CODES], POLYGONS, frame, {c: "Tinytown" for c in CODES})
    assert len(classified) == len(CODES) and set(classified["lsoa_code"]) == set(CODES)
    return classified.set_index("lsoa_code").loc[CODES[CENTRE]]


@pytest.mark.parametrize("pattern, block, hot_months, trend", [
    ("new", [1] * 11 + [8], 1, "no trend"),
    ("persistent", [8] * 12, 12, "no trend"),
    ("intensifying", list(range(4, 16)), 12, "increasing"),
    ("diminishing", list(range(16, 4, -1)), 12, "decreasing"),
    ("sporadic", [1, 1, 8, 1, 1, 8, 1, 1, 1, 1, 1, 8], 3, "no trend"),
    ("historical", [8] * 11 + [1], 11, "no trend"),
    ("consecutive", [1] * 9 + [8, 8, 8], 3, None),
    ("no pattern detected", [1] * 12, 0, "no trend"),
])
def test_hand_built_lsoa_classes(pattern, block, hot_months, trend):
    row = _centre_class(block)
    assert row["pattern"] == pattern and row["hot_months"] == hot_months and row["months"] == 12
    assert row["lsoa_name"] == f"Name {CODES[CENTRE]}" and row["local_authority"] == "Tinytown"
    if trend:
        assert row["trend"] == trend


def test_gi_star_by_month_equals_esda_each_month():
    rng = np.random.default_rng(3)
    counts = rng.poisson(3, size=(len(CODES), 4)).astype(float)
    counts[:, 3] = 2.0  # a month with no variation: no z
    z = gi_star_by_month(queen_weights(POLYGONS), counts)
    for month in range(3):
        esda = gi_star_table(CODES, CODES, POLYGONS, counts[:, month]).set_index("lsoa_code").loc[CODES, "gi_z"]
        np.testing.assert_allclose(z[:, month], esda.to_numpy(), rtol=1e-9)
    assert np.isnan(z[:, 3]).all()


def test_too_few_lsoas_is_refused_by_name():
    with pytest.raises(ValueError, match="at least 3 LSOAs"):
        classify_lsoas(CODES[:2], CODES[:2], POLYGONS[:2], pd.DataFrame(index=CODES[:2], columns=MONTHS))


SYNTH_MONTHS = ("2024-01", "2024-06")


def _ctx(kind: str = "tactical") -> ProductContext:
    return ProductContext(kind, "force-1", date(2024, 6, 1), date(2024, 1, 1), datetime(2024, 9, 1, tzinfo=timezone.utc))


def _warehouse(root, reference: bool):
    data, path = root / "data", root / "w.duckdb"
    generate(data, force="force-1", months=SYNTH_MONTHS, seed=5, rows_per_month=300, outcomes=False,
             stop_search=False, reference=reference)
    if reference:
        assert ingest_reference_paths([data / "reference"], path, gate=None).ok
    assert ingest_paths([data], path, gate=None).ok
    return path


def test_section_tables_and_maps_lsoa_classes(tmp_path):
    scope = Scope("force-1", "2024-01", "2024-06")
    with IndicatorSession(_warehouse(tmp_path, reference=True)) as session:
        result = lsoa_emerging_hotspots.section(session, scope, _ctx())
    classified = result.facts["classified"]
    assert len(classified) > 3 and set(classified["pattern"].astype(str)) <= set(PATTERNS)
    assert (classified["months"] == 6).all()
    [figure] = [i for i in result.items if isinstance(i, Figure)]
    [table] = [i for i in result.items if isinstance(i, Table)]
    assert [h for h, _ in table.columns] == ["#", "LSOA", "Name", "Local authority", "Class", "Months hot",
                                             "Trend in Gi*"]
    shown = classified[classified["pattern"] != "no pattern detected"]
    assert len(table.rows) == min(len(shown), lsoa_emerging_hotspots.TABLE_ROWS)
    for row in table.rows:
        lsoa = classified.set_index("lsoa_code").loc[row[1]]
        assert row[2] == lsoa["lsoa_name"] and row[4] == lsoa["pattern"] and row[5].endswith("of 6")
        assert row[3]  # a local authority for every listed LSOA
    svg = figure.draw(tmp_path / "map.svg").read_text(encoding="utf-8")
    assert "grey lines: LSOA boundaries" in svg and "Boundaries: SYNTHETIC" in svg
    if table.rows:
        assert "class (LSOAs)" in svg and f"{table.rows[0][4]} (" in svg
    assert "Mann-Kendall" in result.methods[0]


def test_section_without_boundaries_says_so_in_one_line(tmp_path):
    with IndicatorSession(_warehouse(tmp_path, reference=False)) as session:
        result = lsoa_emerging_hotspots.section(session, Scope("force-1", "2024-01", "2024-06"), _ctx("strategic"))
    assert result.items == [] and len(result.paragraphs) == 1 and "No LSOA boundaries" in result.paragraphs[0]


def test_real_city_of_london_lsoas_are_classed(tmp_path):
    months = [f"{d:%Y-%m}" for d in pd.date_range("2023-09-01", "2024-08-01", freq="MS")]
    path = geo_warehouse.build(tmp_path / "w.duckdb", "city-of-london", months)
    classified = lsoa_emerging(path, Scope("city-of-london", months[0], months[-1]))
    assert len(classified) >= 6 and classified["lsoa_code"].is_unique
    assert set(classified["pattern"].astype(str)) <= set(PATTERNS) and (classified["months"] == 12).all()
    assert classified["lsoa_name"].str.startswith("City of London").all()
    assert (classified["local_authority"] == "City of London").all()
    assert classified["crimes"].sum() > 1000
    with IndicatorSession(path) as session:
        result = lsoa_emerging_hotspots.section(session, Scope("city-of-london", months[0], months[-1]),
                                                ProductContext("tactical", "city-of-london", date(2024, 8, 1),
                                                               date(2024, 8, 1), datetime(2024, 9, 1, tzinfo=timezone.utc)))
    if (classified["pattern"] == "no pattern detected").all():  # six LSOAs, each other's neighbours: none stands out
        assert result.items == [] and "None of the 6 LSOAs" in result.paragraphs[0]
    else:
        assert any(isinstance(i, Table) and i.rows for i in result.items)
