"""Statistics in the products on SYNTHETIC data: a recording break planted in a series is found, and the month
after it is not called exceptional although a plain Poisson test against the baseline would call it so."""
from __future__ import annotations

import duckdb
import pytest
from scipy import stats

from sources.synthetic import generate
from tasks.indicators import Scope, exceedance
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

DIP = ("2023-10-01", "2024-01-01")   # four months recorded at a tenth of their level, then recovered
TYPE = "Violence and sexual offences"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    generate(root / "data", months=("2023-07", "2024-08"), rows_per_month=3000, outcomes=False, stop_search=False)
    warehouse = root / "warehouse.duckdb"
    assert ingest_paths([root / "data"], warehouse, gate=None).ok
    assert ingest_reference_paths([root / "data" / "reference"], warehouse).ok
    with duckdb.connect(str(warehouse)) as con:
        # Keep one row in ten of the type in the dip months: a recording break, not a change in crime.
        con.execute("DELETE FROM street_crime WHERE crime_type = ? AND month BETWEEN ? AND ? AND hash(crime_id) % 10 <> 0",
                    [TYPE, *DIP])
    return warehouse


def test_a_planted_recording_break_is_found_and_suppresses_the_exceptional_call(planted):
    got = exceedance(planted, Scope("demo-shire", "2024-08", "2024-08")).set_index("crime_type")
    row = got.loc[TYPE]
    # What the old test would have said: a Poisson test against the dipped baseline's mean calls August exceptional.
    assert stats.poisson.sf(row["observed"] - 1, row["expected"]) < 1e-6
    assert row["flag"] == "break in baseline"
    assert "October 2023" in row["break_note"] and "recording break" in row["break_note"]
    # Steady types keep their test (bicycle theft's 35% seasonal swing in 14 months can read as a level shift: the
    # break search deseasonalises only from 24 months, tasks.stats.thresholds.SEASONAL_MIN_MONTHS).
    for steady in ("Burglary", "Shoplifting", "Criminal damage and arson"):
        assert got.loc[steady, "flag"] != "break in baseline", got.loc[steady, "break_note"]


def test_the_tactical_assessment_states_the_break_as_a_gap_and_in_methods(planted, tmp_path):
    from tasks.products import build_tactical_assessment

    result = build_tactical_assessment(planted, "demo-shire", "2024-08", store_dir=tmp_path)
    assert TYPE not in result.key_figures["exceptional"]
    html = result.html_path.read_text(encoding="utf-8")
    assert f"Likely recording break: {TYPE}" in html
    assert "A likely recording break from October 2023" in html
    assert "Breaks: every monthly series was searched for level shifts and recording breaks" in html
    assert f"{TYPE}: " in html and "not tested against its baseline because the series changed level" in html
