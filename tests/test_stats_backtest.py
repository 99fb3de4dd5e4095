"""tasks.stats.backtest: rolling-origin scoring on a tiny SYNTHETIC frame, checked by hand, and the methods
sentence the products carry."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tasks.stats.backtest import (
    FORECAST, MEAN_12, SEASONAL_NAIVE, BacktestHeadline, headline, methods_sentence, origins, read_summary,
    rolling_origin, summarise, write_summary,
)


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    t = np.arange(30)
    return pd.DataFrame({
        "Burglary": rng.poisson(30 * (1 + 0.3 * np.sin(2 * np.pi * t / 12))),
        "Robbery": rng.poisson(12, 30),
    }, index=pd.date_range("2022-01-01", periods=30, freq="MS"))


@pytest.fixture(scope="module")
def scored(counts) -> pd.DataFrame:
    return rolling_origin(counts, horizon=3, step=3)


def test_origins_hold_out_whole_horizons():
    assert origins(30, 3, step=3) == [24, 27]
    assert origins(36, 3) == list(range(24, 34))
    with pytest.raises(ValueError, match="at least 27 months"):
        rolling_origin(pd.DataFrame({"x": range(20)}, index=pd.date_range("2022-01-01", periods=20, freq="MS")))


def test_seasonal_naive_scored_by_hand(counts, scored):
    burglary = counts["Burglary"].to_numpy(float)
    row = scored[(scored.crime_type == "Burglary") & (scored.method == SEASONAL_NAIVE) & (scored.step == 2)
                 & (scored.origin == pd.Timestamp("2023-12-01").date())].iloc[0]
    # Origin after 24 months; step 2 is month index 25, forecast by month index 13.
    assert row["actual"] == burglary[25] and row["mean"] == pytest.approx(burglary[13])
    scale = np.mean(np.abs(burglary[12:24] - burglary[:12]))
    assert row["scale"] == pytest.approx(scale)
    assert row["abs_scaled_error"] == pytest.approx(abs(burglary[25] - burglary[13]) / scale)
    assert len(scored) == 2 * 2 * 3 * 3  # types x origins x months ahead x methods


def test_summary_and_headline(scored):
    table = summarise(scored)
    assert set(table["method"]) == {FORECAST, SEASONAL_NAIVE, MEAN_12}
    assert (table["held_out"] == 6).all()
    ours = scored[scored.method == FORECAST]
    mase = table.set_index(["crime_type", "method"])["mase"]
    assert mase[("Robbery", FORECAST)] == pytest.approx(ours[ours.crime_type == "Robbery"]["abs_scaled_error"].mean())
    head = headline(scored, "SYNTHETIC test", 3)
    assert head.types == 2 and head.held_out_months == 12
    assert head.coverage95 == pytest.approx(ours["in95"].mean())
    expected_beats = int((mase.xs(FORECAST, level="method") < mase.xs(SEASONAL_NAIVE, level="method")).sum())
    assert head.beats_seasonal_naive == expected_beats
    assert f"beat seasonal naive on {expected_beats} of 2 crime types (the 12-month mean on {head.beats_mean})" \
        in head.sentence()


def test_methods_sentence_reads_the_stored_summary(tmp_path):
    path = tmp_path / "summary.json"
    assert "have not been backtested" in methods_sentence(path)
    write_summary([BacktestHeadline("the real City of London months", 14, 9, 12, 0.81, 0.93, 420, 3)], path)
    assert read_summary(path)[0].beats_seasonal_naive == 9
    sentence = methods_sentence(path)
    assert sentence == ("Backtested 3 months ahead on the real City of London months, the forecasts beat seasonal "
                        "naive on 9 of 14 crime types (the 12-month mean on 12); their 95% intervals covered 93% of 420 "
                        "held-out months (80% intervals: 81%).")
    write_summary([BacktestHeadline("the real months", 14, 9, 12, 0.81, 0.93, 420, 3),
                   BacktestHeadline("SYNTHETIC data", 42, 30, 20, 0.8, 0.9, 504, 3)], path)
    assert "SYNTHETIC" in methods_sentence(path) and "SYNTHETIC" not in methods_sentence(path, first_only=True)
    path.write_text('{"not": "a list"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a backtest summary"):
        read_summary(path)
