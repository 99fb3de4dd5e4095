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
