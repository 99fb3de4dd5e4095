"""The last 14 and 28 days against a baseline, the hour x weekday table, and their product sections, checked
against independent pandas counts of a SYNTHETIC extract."""
from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from sources.synthetic_internal import generate_internal
from tasks.ingest_internal import ingest_internal_paths
from tasks.internal_analysis import hour_weekday, recent_windows
from tasks.near_repeat import KnoxBands, finding, knox_test

FMT = "%d/%m/%Y %H:%M"
AS_AT = date(2024, 6, 29)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Six months of SYNTHETIC records plus 60 extra burglaries recorded in the last 14 days."""
    root = tmp_path_factory.mktemp("internal-analysis")
    synthetic = generate_internal(root, "demo-shire", date(2024, 1, 1), date(2024, 6, 30), seed=21, records_per_day=30,
                                  nominal_count=1)
    with open(synthetic.extract, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames), list(reader)
    burglary = next(r for r in rows if r["OFFENCE_DESC"] == "BURGLARY - RESIDENTIAL")
    for i in range(60):
        when = datetime(2024, 6, 16, 10, 0) + timedelta(hours=5 * i)
        rows.append({**burglary, "CRIME_REF": f"SYN/SURGE/{i:03d}", "RECORDED_DT": when.strftime(FMT),
                     "OCC_FROM_DT": (when - timedelta(hours=2)).strftime(FMT), "OCC_TO_DT": ""})
    extract = root / "surge.csv"
    with open(extract, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    warehouse_file = root / "warehouse.duckdb"
    assert ingest_internal_paths([extract], synthetic.mapping, warehouse_file, gate=None).ok
    frame = pd.DataFrame(rows)
    frame["recorded"] = pd.to_datetime(frame["RECORDED_DT"], format=FMT)
    frame["occurred_from"] = pd.to_datetime(frame["OCC_FROM_DT"], format=FMT)
    frame["occurred_to"] = pd.to_datetime(frame["OCC_TO_DT"], format=FMT, errors="coerce")
    frame["category"] = frame["OFFENCE_DESC"].map(dict(
        (name, category) for name, category in __import__("yaml").safe_load(synthetic.mapping.read_text())["offence_categories"].items()))
    return {"warehouse": warehouse_file, "rows": frame, "root": root}


def test_recent_windows_match_an_independent_count_and_flag_the_surge(loaded):
    frame = recent_windows(loaded["warehouse"], "demo-shire", AS_AT, (14, 28), 112)
    rows = loaded["rows"]
    day = rows["recorded"].dt.date
    for days in (14, 28):
        window = (day > AS_AT - timedelta(days=days)) & (day <= AS_AT)
        baseline = (day > AS_AT - timedelta(days=days + 112)) & (day <= AS_AT - timedelta(days=days))
        part = frame[frame["days"] == days].set_index("crime_type")
        for category in ("Burglary", "Shoplifting"):
            is_type = rows["category"] == category
            assert part.loc[category, "recent"] == int((window & is_type).sum())
            assert part.loc[category, "baseline"] == int((baseline & is_type).sum())
            assert part.loc[category, "expected"] == pytest.approx((baseline & is_type).sum() * days / 112)
        assert part.loc["All crime", "recent"] == int(window.sum())
    burglary_14 = frame[(frame["days"] == 14) & (frame["crime_type"] == "Burglary")].iloc[0]
    assert burglary_14["flag"] == "exceptional" and burglary_14["p_value"] < 0.01


def test_hour_weekday_spreads_windows_and_matches_exact_times(loaded):
    rows = loaded["rows"]
    start, end = date(2024, 1, 1), date(2024, 6, 30)
    exact = rows[(rows["category"] == "Shoplifting") & rows["occurred_to"].isna()]
    grid, records, untimed = hour_weekday(loaded["warehouse"], "demo-shire", ["Shoplifting"], start, end)
    expected = pd.crosstab(exact["occurred_from"].dt.dayofweek, exact["occurred_from"].dt.hour)
    for weekday, hour in [(4, 14), (5, 15), (0, 3)]:
        assert grid.iloc[weekday, hour] == pytest.approx(expected.get(hour, {}).get(weekday, 0))
    burglary, records, untimed = hour_weekday(loaded["warehouse"], "demo-shire", ["Burglary"], start, end)
    assert untimed == 0
    assert burglary.to_numpy().sum() == pytest.approx(records)  # each record's weight sums to one
    assert records == int((loaded["rows"]["category"] == "Burglary").sum())


def test_finding_reads_only_cells_joined_to_the_origin():
    rng = np.random.default_rng(4)
    n = 800
    x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
    t = (rng.uniform(0, 365, n) * 86_400).astype(np.int64)
    followers = rng.integers(0, n, 150)
    x = np.concatenate([x, x[followers] + rng.uniform(5, 60, 150)])
    y = np.concatenate([y, y[followers]])
    t = np.concatenate([t, t[followers] + (rng.uniform(0, 5, 150) * 86_400).astype(np.int64)])
    result = knox_test(x, y, t, KnoxBands(), iterations=99, seed=1)
    summary = finding(result)
    assert summary.near_metres == 100 and summary.near_days == 7
    result.p_values[3, 2] = 0.01  # a lone significant cell far out: [200, 300) m x [14, 21) days
    result.expected[3, 2] = result.observed[3, 2] / 2
    assert finding(result).near_metres == 100


def test_product_sections_are_added_only_with_internal_data(loaded):
    from datetime import timezone

    from tasks.indicators import Scope
    from tasks.products.engine import IndicatorSession, ProductContext
    from tasks.products.sections import force_records

    def ctx(force):
        return ProductContext("tactical", force, date(2024, 6, 1), date(2024, 1, 1), datetime.now(timezone.utc))

    with IndicatorSession(loaded["warehouse"]) as session:
        recent = force_records.recent(session, Scope("demo-shire", "2024-06", "2024-06"), ctx("demo-shire"))
        assert recent.title == "The last 14 and 28 days (force records)" and recent.shown
        assert any("Burglary" in f and "exceptional" in f for f in recent.findings)
        absent = force_records.recent(session, Scope("another-force", "2024-06", "2024-06"), ctx("another-force"))
        assert not absent.shown and not absent.items
        scope = Scope("demo-shire", "2024-01", "2024-06", ("Burglary",))
        timing = force_records.timing(session, scope, ctx("demo-shire"))
        near = force_records.near_repeats(session, scope, ctx("demo-shire"), crime_type="Burglary")
    assert [timing.title, near.title] == ["When it happens (force records)", "Near repeats: Burglary (force records)"]
    assert [type(i).__name__ for i in timing.items] == ["Figure"]
    assert any(r.purpose == "prevention" and "burglary" in r.action for r in near.recommendations)


def test_records_are_limited_to_the_profile_area(loaded):
    from tasks.indicators import Scope

    rows = loaded["rows"]
    start, end = date(2024, 1, 1), date(2024, 6, 30)
    burglary = rows[rows["category"] == "Burglary"]
    codes = tuple(burglary["LSOA_CD"].value_counts().index[:5])
    by_lsoa = Scope("demo-shire", "2024-01", "2024-06", ("Burglary",), lsoa_codes=codes)
    _, records, _ = hour_weekday(loaded["warehouse"], "demo-shire", ["Burglary"], start, end, by_lsoa)
    assert records == int(burglary["LSOA_CD"].isin(codes).sum()) > 0
    square = "POLYGON((-1.25 52.55, -1.15 52.55, -1.15 52.65, -1.25 52.65, -1.25 52.55))"
    by_polygon = Scope("demo-shire", "2024-01", "2024-06", ("Burglary",), polygon_wkt=square)
    by_box = Scope("demo-shire", "2024-01", "2024-06", ("Burglary",), bbox=(-1.25, 52.55, -1.15, 52.65))
    in_polygon = hour_weekday(loaded["warehouse"], "demo-shire", ["Burglary"], start, end, by_polygon)[1]
    in_box = hour_weekday(loaded["warehouse"], "demo-shire", ["Burglary"], start, end, by_box)[1]
    assert 0 < in_polygon == in_box < len(burglary)
