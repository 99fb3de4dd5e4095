"""The forecast and emerging hot spot sections on tiny hand-made inputs (SYNTHETIC series and lattices), through
the same fake session as the other section tests: what they say, table, draw and report as gaps."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from tasks.products.engine import Figure, SectionResult, Table
from tasks.products.sections import emerging_hotspots, forecasts
from tasks.stats.emerging import PATTERNS

from test_product_sections import SCOPE, FakeSession, ctx

MONTHS = pd.date_range("2021-09-01", "2024-08-01", freq="MS")


def history(series: dict[str, np.ndarray]) -> FakeSession:
    """A session whose monthly series (tasks.indicators.volume.monthly_series) are these counts."""
    return FakeSession({}, memo={"forecast_series": {t: pd.Series(v.astype(float), index=MONTHS) for t, v in series.items()}})


@pytest.fixture(scope="module")
def series() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(31)
    t = np.arange(36)
    return {
        "Robbery": rng.poisson(np.where(t >= 24, 90, 30)),                              # a step up a year ago
        "Burglary": rng.poisson(40 * (1 + 0.2 * np.sin(2 * np.pi * t / 12))),         # stable, seasonal
        "Shoplifting": rng.poisson(60 * np.where((t >= 27) & (t < 30), 0.1, 1.0)),     # recording dip, recovered
    }


def with_facts(context, **facts_by_section):
    for name, facts in facts_by_section.items():
        context.results[name] = SectionResult(name, facts=facts)
    return context


def test_tactical_forecast_says_likely_to_affect_only_where_the_interval_supports_it(series, tmp_path):
    session = history(series)
    context = with_facts(ctx(), exceedance={"emerging": ["Burglary"], "elevated": []})
    result = forecasts.tactical(session, SCOPE, context)
    assert result.facts["judgements"]["Burglary"] == "no change indicated"
    # Burglary was flagged, so it comes first; the rest follow by harm.
    table = next(i for i in result.items if isinstance(i, Table))
    assert table.rows[0][0] == "Burglary" and len(table.rows) == 3 * 3
    steady = next(p for p in result.paragraphs if p.startswith("No change is indicated"))
    assert "burglary (" in steady and steady not in result.findings
    # Robbery stepped up 12 months ago: the recent level is the new one, so no "likely to affect" is claimed
    # from a year that straddles the step.
    robbery = result.facts["forecasts"]["Robbery"]
    assert robbery.fitted_from == date(2023, 9, 1)
    assert result.facts["judgements"]["Robbery"] == "no change indicated"
    # After the recording dip in shoplifting the forecast is fitted from the recovery (month 30) and says so; the
    # break itself is the breaks section's gap, not repeated here.
    assert result.facts["forecasts"]["Shoplifting"].fitted_from == date(2024, 3, 1)
    assert "Fitted from March 2024 only" in table.note and "recording break" in table.note
    assert "shoplifting (" in steady and "since the break in March 2024" in steady and result.gaps == []
    assert any("Forecasts: per crime type" in m for m in result.methods)
    figure = next(i for i in result.items if isinstance(i, Figure))
    svg = figure.draw(tmp_path / "forecast.svg").read_text(encoding="utf-8")
    assert "Robbery" in svg and "95% interval" in svg


def test_a_rise_the_interval_clears_is_likely_to_affect(series):
    t = np.arange(36)
    rising = {"Robbery": np.random.default_rng(5).poisson(20 + 2.5 * t)}
    result = forecasts.tactical(history(rising), SCOPE, ctx())
    assert result.facts["judgements"]["Robbery"] == "rise"
    [finding] = result.findings
    assert finding.startswith("Robbery is likely to affect the next 3 months more than the last year")


def test_strategic_forecasts_the_priorities_twelve_months_ahead(series):
    context = with_facts(ctx(), priorities={"top": pd.DataFrame({"crime_type": ["Shoplifting", "Burglary"]})})
    result = forecasts.strategic(history(series), SCOPE, context)
    assert result.title == "Looking ahead: forecasts for the next 12 months"
    table = next(i for i in result.items if isinstance(i, Table))
    assert [row[0] for row in table.rows] == ["Shoplifting", "Burglary"]
    assert all(len(result.facts["forecasts"][t].frame) == 12 for t in ("Shoplifting", "Burglary"))
    assert table.rows[1][-1] == "no change indicated"


# ------------------------------------------------------------------------------------------- emerging hot spots

_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def points(months: list[str]) -> pd.DataFrame:
    """A 11 x 11 lattice of 250 m cells in SYNTHETIC London with a Poisson(3) background; a block that appears in
    the last month only (High Street) and a block that grows every month (its busiest point a 'Supermarket'
    snap point, its street Mill Lane)."""
    rng = np.random.default_rng(2)
    rows = []
    for m, month in enumerate(months):
        for r in range(11):
            for c in range(11):
                x, y = 530000 + 250 * c + 125, 180000 + 250 * r + 125
                crimes = int(rng.poisson(3))
                location = "On or near Side Road"
                if 2 <= r <= 4 and 2 <= c <= 4:
                    crimes, location = crimes + 4 + m, "On or near Supermarket"
                if 7 <= r <= 8 and 7 <= c <= 8 and m == len(months) - 1:
                    crimes, location = crimes + 14, "On or near High Street"
                lon, lat = _TO_WGS84.transform(x, y)
                rows.append({"month": month, "longitude": lon, "latitude": lat, "location": location, "crimes": crimes})
                if location == "On or near Supermarket":
                    lon, lat = _TO_WGS84.transform(x + 20, y + 20)
                    rows.append({"month": month, "longitude": lon, "latitude": lat, "location": "On or near Mill Lane",
                                 "crimes": 1})
    return pd.DataFrame(rows)


def test_emerging_hot_spots_table_map_and_findings(tmp_path):
    months = [f"{d:%Y-%m}" for d in pd.date_range("2023-09-01", "2024-08-01", freq="MS")]
    result = emerging_hotspots.section(FakeSession({}, memo={"emerging_points": points(months)}), SCOPE, ctx())
    table = next(i for i in result.items if isinstance(i, Table))
    by_class = {}
    for row in table.rows:
        by_class.setdefault(row[1], set()).add(row[2])
    assert by_class["new"] == {"High Street"}
    assert "Mill Lane" in by_class["intensifying"] and "Supermarket" not in str(table.rows)
    assert table.flags[0] is True and table.rows[0][0] == "1"  # new cells lead the table, flagged and numbered
    [finding] = result.findings
    assert "new" in finding and "intensifying" in finding and "High Street" in finding
    counts = result.facts["counts"]
    assert list(counts["pattern"]) == list(PATTERNS) and counts.set_index("pattern")["cells"]["new"] == 4
    svg = next(i for i in result.items if isinstance(i, Figure)).draw(tmp_path / "map.svg").read_text(encoding="utf-8")
    assert "new (4)" in svg and "intensifying" in svg and ">1<" in svg  # the table's row 1 is numbered on the map


def test_emerging_hot_spots_need_six_months():
    result = emerging_hotspots.section(FakeSession({}, memo={"emerging_points": points(["2024-07", "2024-08"])}),
                                       SCOPE, ctx())
    assert result.items == [] and "at least 6 months" in result.paragraphs[0]
