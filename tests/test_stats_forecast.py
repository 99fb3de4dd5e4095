"""tasks.stats.forecast on SYNTHETIC series: known trend and seasonality forecast within the intervals, interval
coverage near nominal on simulated Poisson series, the choice rule's fallbacks, never fitting across a break."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tasks.stats import thresholds as T
from tasks.stats.forecast import COLUMNS, SEASONAL_NAIVE, forecast, interval_supports_rise

START = pd.Timestamp("2022-01-01")


def _series(values, start=START) -> pd.Series:
    return pd.Series(np.asarray(values), index=pd.date_range(start, periods=len(values), freq="MS"))


def _ordered(frame: pd.DataFrame) -> bool:
    return bool(((frame.lo95 <= frame.lo80) & (frame.lo80 <= frame.hi80) & (frame.hi80 <= frame.hi95)
                 & (frame.lo95 >= 0) & (frame.lo80 <= frame["mean"]) & (frame["mean"] <= frame.hi80)).all())


def test_known_trend_and_seasonality_forecast_within_intervals():
    t = np.arange(42)
    truth = 60 * (1 + 0.015 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    observed = np.random.default_rng(21).poisson(truth)
    result = forecast(_series(observed[:36]), horizon=6)
    frame = result.frame
    assert list(frame.columns) == COLUMNS
    assert frame.month.tolist() == [date(2025, m, 1) for m in range(1, 7)]
    assert "seasonally adjusted" in result.method and result.fitted_from is None
    # The true means lie inside the 95% intervals, and so do the held-out counts (allowing one of six outside:
    # with correct 95% intervals, six of six inside happens only about three times in four) ...
    assert ((truth[36:] >= frame.lo95) & (truth[36:] <= frame.hi95)).all()
    assert ((observed[36:] >= frame.lo95) & (observed[36:] <= frame.hi95)).sum() >= 5
    # ... the trend carries on (the next six months above the same six a year earlier) ...
    assert frame["mean"].sum() > observed[24:30].sum() * 1.05
    # ... and the forecast follows the shape of the truth (season on trend) over the six months.
    assert np.corrcoef(frame["mean"], truth[36:])[0, 1] > 0.6
    assert _ordered(frame)


def test_interval_coverage_near_nominal_on_simulated_poisson_series():
    """Bounded Monte Carlo: 60 seasonal Poisson series of 36 months, 3 months ahead (180 held-out months)."""
    t = np.arange(39)
    inside80 = inside95 = 0
    for seed in range(60):
        truth = 40 * (1 + 0.25 * np.sin(2 * np.pi * (t + seed) / 12))
        y = np.random.default_rng(seed).poisson(truth)
        frame = forecast(_series(y[:36]), horizon=3).frame
        held = y[36:]
        inside80 += int(((held >= frame.lo80) & (held <= frame.hi80)).sum())
        inside95 += int(((held >= frame.lo95) & (held <= frame.hi95)).sum())
    assert 0.70 <= inside80 / 180 <= 0.92
    assert 0.88 <= inside95 / 180 <= 0.995


def test_never_fits_across_a_break():
    t = np.arange(36)
    level = np.where(t >= 20, 0.4, 1.0)
    y = np.random.default_rng(4).poisson(80 * level)
    result = forecast(_series(y), horizon=3)
    assert result.fitted_from == date(2023, 9, 1)
    assert "Fitted from September 2023 only" in result.note and "level shift" in result.note
    # 16 months after the break: fewer than a seasonal model needs, so seasonal naive on the new level.
    assert result.method == SEASONAL_NAIVE
    assert result.frame["mean"].max() < 60  # on the new level (about 32), not the old one (80)


def test_short_and_sparse_series_fall_back():
    rng = np.random.default_rng(9)
    naive = forecast(_series(rng.poisson(30, 15)), horizon=14)
    assert naive.method == SEASONAL_NAIVE and "Seasonal naive" in naive.note
    # Two years ahead, the interval widens (square root of the years ahead).
    width = naive.frame.hi95 - naive.frame.lo95
    assert width.iloc[12:].mean() > width.iloc[:12].mean()
    mean = forecast(_series(rng.poisson(30, 8)), horizon=3)
    assert "mean" in mean.method and "8 months" in mean.note
    sparse = forecast(_series(rng.poisson(1.5, 36)), horizon=12)
    assert "Poisson" in sparse.method and "crimes a month" in sparse.note
    for result in (naive, mean, sparse):
        assert _ordered(result.frame)
    assert (sparse.frame.lo95 == 0).all()


def test_interval_supports_rise_only_when_the_interval_clears_the_reference():
    y = np.random.default_rng(2).poisson(40, 36)
    result = forecast(_series(y), horizon=3)
    assert not interval_supports_rise(result, reference=float(y[-12:].mean()))
    assert interval_supports_rise(result, reference=1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="horizon of at least one month"):
        forecast(_series([1, 2, 3]), horizon=0)
    with pytest.raises(ValueError, match="at least one month"):
        forecast(pd.Series([], dtype=float), horizon=3)
    assert T.FORECAST_LEVELS == (0.80, 0.95)
