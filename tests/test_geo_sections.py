"""The geography sections on a tiny SYNTHETIC warehouse of two forces with their boundaries: hot spot maps with
boundaries and findable names, LSOA Gi*, similar forces, and out-of-force crimes by neighbouring force."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from sources.synthetic import generate
from tasks.indicators import Scope
from tasks.indicators.geography import street_label
from tasks.ingest import ingest_paths, ingest_reference_paths
from tasks.products.engine import Figure, IndicatorSession, ProductContext, Table
from tasks.products.sections import gaps, hotspots, lsoa_hotspots, out_of_force, similar_forces

MONTHS = ("2024-05", "2024-06")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    for number, force in enumerate(("force-1", "force-2"), start=1):
        generate(root / "data", force=force, months=MONTHS, seed=number, rows_per_month=400 * number,
                 outcomes=False, stop_search=False)
    path = root / "w.duckdb"
    assert ingest_reference_paths([root / "data" / "reference"], path, gate=None).ok
    assert ingest_paths([root / "data"], path, gate=None).ok
    return path


def ctx(force: str = "force-1", **options) -> ProductContext:
    return ProductContext("tactical", force, date(2024, 6, 1), date(2024, 5, 1), datetime(2024, 9, 1, tzinfo=timezone.utc),
                          options=options)


def test_hotspot_map_draws_boundaries_and_names_spots_by_street_and_lsoa(tiny, tmp_path):
    scope = Scope("force-1", "2024-06", "2024-06")
    with IndicatorSession(tiny) as session:
        result = hotspots.tactical(session, scope, ctx())
        [figure] = [i for i in result.items if isinstance(i, Figure)]
        svg = figure.draw(tmp_path / "map.svg").read_text()
    table = next(i for i in result.items if isinstance(i, Table) and i.key == "hotspots")
    streets = [row[1] for row in table.rows]
    assert streets and all(street_label(s.removeprefix("near ")) or s == "no named street" for s in streets)
    assert all("(SYNTHETIC)" in row[2] for row in table.rows)  # the LSOA by name, not only its code
    assert "Source: Office for National Statistics licensed under the Open" in svg and "grey lines: LSOA boundaries" in svg
    assert "Grey lines: LSOA boundaries" in figure.note


def test_lsoa_gi_star_section_lists_fdr_hot_spots(tiny):
    scope = Scope("force-1", "2024-05", "2024-06")
    with IndicatorSession(tiny) as session:
        result = lsoa_hotspots.section(session, scope, ctx())
    [table] = result.items
    hot = result.facts["hot"]
    assert result.shown and len(table.rows) == min(len(hot), 10) and [row[0] for row in table.rows] == hot[:10]
    assert "false discovery rate" in result.paragraphs[0] and "Benjamini-Hochberg" in table.note


def test_lsoa_gi_star_section_without_boundaries_is_a_gap(tmp_path):
    data = tmp_path / "data"
    generate(data, force="force-1", months=MONTHS, rows_per_month=200, outcomes=False, stop_search=False, reference=False)
    path = tmp_path / "w.duckdb"
    assert ingest_paths([data], path, gate=None).ok
    with IndicatorSession(path) as session:
        result = lsoa_hotspots.section(session, Scope("force-1", "2024-05", "2024-06"), ctx())
    assert not result.shown and [g.gap for g in result.gaps] == ["No LSOA boundaries held"]


def test_similar_forces_section_compares_with_the_other_force(tiny):
    scope = Scope("force-1", "2024-05", "2024-06")
    with IndicatorSession(tiny) as session:
        result = similar_forces.strategic(session, scope, ctx())
    profiles, rates, chart = result.items
    assert result.facts["group"] == ["force-2"] and [row[0] for row in profiles.rows] == ["force-1", "force-2"]
    # force-1 publishes half force-2's crimes on a similar population: below the range for most types.
    assert sum(row[5] == "below the group range" for row in rates.rows) >= 10
    assert isinstance(chart, Figure) and "nearest to it on residents, density and deprivation" in result.methods[0]


def test_similar_forces_with_one_force_held_is_a_gap(tmp_path):
    data = tmp_path / "data"
    generate(data, force="force-1", months=MONTHS, rows_per_month=200, outcomes=False, stop_search=False)
    path = tmp_path / "w.duckdb"
    assert ingest_reference_paths([data / "reference"], path, gate=None).ok and ingest_paths([data], path, gate=None).ok
    with IndicatorSession(path) as session:
        result = similar_forces.strategic(session, Scope("force-1", "2024-05", "2024-06"), ctx())
    assert not result.shown and [g.gap for g in result.gaps] == ["No similar forces held"]


def test_out_of_force_crimes_are_named_by_neighbouring_force_in_the_gaps(tiny):
    scope = Scope("force-2", "2024-05", "2024-06")
    with IndicatorSession(tiny) as session:
        context = ctx("force-2")
        context.results["out_of_force"] = out_of_force.section(session, scope, context)
        table = context.results["out_of_force"].facts["table"]
        lsoas = session.indicator("lsoa_counts", scope)
        [gap] = [g for g in gaps.scope_location_gaps(session, scope, lsoas, context.fact("out_of_force", "text"))
                 if g.gap == "Crimes snapped outside the force area"]
    outside = int(lsoas.loc[~lsoas["in_area_population"].astype(bool), "crimes"].sum())
    assert outside > 0 and table["crimes"].sum() == outside
    assert "by the force area their point falls in: Neighbourshire (SYNTHETIC)" in gap.missing
