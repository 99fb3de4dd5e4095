"""tasks.stats.breaks on SYNTHETIC series: a planted level shift and a planted dip-and-recover are found at the
right month; stable seasonal Poisson series rarely show a break."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tasks.stats.breaks import LEVEL_SHIFT, RECORDING_BREAK, breaks_between, detect_breaks, last_break_month

MONTHS = pd.date_range("2022-01-01", periods=36, freq="MS")
SEASON = 1 + 0.25 * np.sin(2 * np.pi * np.arange(36) / 12)


def _series(values) -> pd.Series:
    return pd.Series(np.asarray(values), index=MONTHS)


def test_planted_level_shift_found_at_its_month():
    rng = np.random.default_rng(3)
    level = np.where(np.arange(36) >= 22, 0.5, 1.0)
    found = detect_breaks(_series(rng.poisson(60 * SEASON * level)))
    assert len(found) == 1
    shift = found[0]
    assert shift.month == date(2023, 11, 1)  # month index 22
    assert shift.kind == LEVEL_SHIFT
    assert shift.ratio == pytest.approx(0.5, abs=0.12)
    assert shift.level_after == pytest.approx(shift.level_before * shift.ratio)
    assert "PELT" in shift.method


def test_planted_dip_and_recover_is_a_likely_recording_break():
    """A category falls to a tenth of its level for three months, then recovers."""
    rng = np.random.default_rng(5)
    level = np.where((np.arange(36) >= 14) & (np.arange(36) < 17), 0.1, 1.0)
    found = detect_breaks(_series(rng.poisson(50 * SEASON * level)))
    assert [(b.month, b.kind) for b in found] == [(date(2023, 3, 1), RECORDING_BREAK), (date(2023, 6, 1), RECORDING_BREAK)]
    assert found[0].ratio < 0.2 and found[1].ratio > 5
    assert "recording break" in found[0].describe() and "March 2023" in found[0].describe()


def test_five_fold_permanent_fall_is_a_likely_recording_break():
    rng = np.random.default_rng(8)
    level = np.where(np.arange(36) >= 30, 0.1, 1.0)
    found = detect_breaks(_series(rng.poisson(40 * level)))
    assert [(b.month, b.kind) for b in found] == [(date(2024, 7, 1), RECORDING_BREAK)]
    assert last_break_month(_series(rng.poisson(40 * level))) == date(2024, 7, 1)


@pytest.mark.parametrize("mean", [5, 40, 300])
def test_stable_seasonal_poisson_series_rarely_break(mean):
    """False-positive rate over 200 seeds of a stable 36-month seasonal Poisson series."""
    false_alarms = sum(bool(detect_breaks(_series(np.random.default_rng(seed).poisson(mean * SEASON))))
                       for seed in range(200))
    assert false_alarms / 200 <= 0.03


def test_breaks_between_limits_to_the_window():
    rng = np.random.default_rng(5)
    level = np.where((np.arange(36) >= 14) & (np.arange(36) < 17), 0.1, 1.0)
    series = _series(rng.poisson(50 * SEASON * level))
    assert [b.month for b in breaks_between(series, "2023-04-01", date(2024, 12, 1))] == [date(2023, 6, 1)]
    assert breaks_between(series, "2024-01-01", "2024-12-01") == []


def test_short_or_empty_series_and_bad_input():
    assert detect_breaks(pd.Series([3, 4, 50], index=MONTHS[:3])) == []
    assert detect_breaks(_series(np.zeros(36))) == []
    with pytest.raises(ValueError, match="count for every month"):
        detect_breaks(_series(np.r_[np.ones(35), np.nan]))


def test_a_steady_trend_is_not_cut_into_level_shifts():
    """A series doubling over three years (3% a month) rarely shows a break; a dip on top of it is still found."""
    t = np.arange(36)
    trend = 40 * SEASON * (1 + 0.03 * t)
    false_alarms = sum(bool(detect_breaks(_series(np.random.default_rng(seed).poisson(trend)))) for seed in range(100))
    assert false_alarms / 100 <= 0.10
    dip = np.where((t >= 14) & (t < 17), 0.1, 1.0)
    found = detect_breaks(_series(np.random.default_rng(1).poisson(trend * dip)))
    assert [(b.month, b.kind) for b in found] == [(date(2023, 3, 1), RECORDING_BREAK), (date(2023, 6, 1), RECORDING_BREAK)]


def test_the_real_anti_social_behaviour_dip_is_a_likely_recording_break():
    """City of London, 36 real months: anti-social behaviour fell to 5 a month in August and September 2023 and
    recovered; that is the break the issue describes, and it is found as one."""
    import csv
    from collections import Counter

    from shared_paths import CITY_OF_LONDON

    counts: Counter = Counter()
    for path in sorted(CITY_OF_LONDON.glob("*-street.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            counts.update(row["Month"] for row in csv.DictReader(handle) if row["Crime type"] == "Anti-social behaviour")
    months = sorted(counts)
    assert len(months) == 36, f"expected 36 months of City of London street files under {CITY_OF_LONDON}"
    series = pd.Series([counts[m] for m in months], index=pd.to_datetime([m + "-01" for m in months]))
    recording = [b for b in detect_breaks(series) if b.kind == RECORDING_BREAK]
    assert [b.month for b in recording] == [date(2023, 8, 1), date(2023, 11, 1)]
    assert recording[0].level_after < 0.35 * recording[0].level_before
