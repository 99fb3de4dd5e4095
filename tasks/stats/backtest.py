"""Rolling-origin backtest of the forecasts against seasonal naive and the 12-month mean, and the sentence a
product's methods section carries about it.

At each origin the methods see only the months up to it and forecast the next `horizon` months; every
held-out month is scored. Accuracy is MASE: absolute error scaled by the in-sample mean absolute seasonal
(lag-12) difference of the months the method saw, averaged over all held-out months of a crime type (Hyndman &
Koehler 2006); coverage is the share of held-out months inside the 80% and 95% intervals.

`benchmarks/backtest.py` runs it on the real City of London months and on SYNTHETIC forces, writes
docs/forecasting.md and the summary file this module reads for `methods_sentence()`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from tasks.stats.forecast import forecast, future_months, mean_forecast, month_start, seasonal_naive_forecast

SUMMARY_FILE = Path(__file__).with_name("backtest_summary.json")
FORECAST = "forecast (choice rule)"
SEASONAL_NAIVE = "seasonal naive"
MEAN_12 = "12-month mean"
METHODS = (FORECAST, SEASONAL_NAIVE, MEAN_12)
MIN_TRAINING_MONTHS = 24


def _by_rule(history: pd.Series, horizon: int) -> pd.DataFrame:
    return forecast(history, horizon).frame


def _seasonal_naive(history: pd.Series, horizon: int) -> pd.DataFrame:
    months = future_months(month_start(history.index[-1]), horizon)
    return seasonal_naive_forecast(history.to_numpy(float), months)[0]


def _mean_12(history: pd.Series, horizon: int) -> pd.DataFrame:
    months = future_months(month_start(history.index[-1]), horizon)
    return mean_forecast(history.to_numpy(float), months)[0]


METHOD_FUNCTIONS: dict[str, Callable[[pd.Series, int], pd.DataFrame]] = {
    FORECAST: _by_rule, SEASONAL_NAIVE: _seasonal_naive, MEAN_12: _mean_12,
}


def origins(n_months: int, horizon: int, step: int = 1, min_training: int = MIN_TRAINING_MONTHS) -> list[int]:
    """Training lengths (origins) whose whole horizon is held out: min_training, min_training + step, ..."""
    return list(range(min_training, n_months - horizon + 1, step))


def rolling_origin(counts: pd.DataFrame, horizon: int = 3, step: int = 1,
                   min_training: int = MIN_TRAINING_MONTHS) -> pd.DataFrame:
    """Score every method on every held-out month.

    counts: index = month dates (complete, consecutive), columns = crime types, values = counts.
    Returns one row per (crime_type, origin, month, method): actual, mean, lo80, hi80, lo95, hi95, scale
    (in-sample mean absolute seasonal difference at that origin), abs_scaled_error, in80, in95.
    """
    counts = counts.sort_index()
    if len(counts) < min_training + horizon:
        raise ValueError(f"backtest needs at least {min_training + horizon} months, got {len(counts)}")
    rows = []
    for crime_type in counts.columns:
        series = counts[crime_type].astype(float)
        for origin in origins(len(series), horizon, step, min_training):
            history, held = series.iloc[:origin], series.iloc[origin:origin + horizon].to_numpy()
            seen = history.to_numpy()
            scale = float(np.mean(np.abs(seen[12:] - seen[:-12])))
            for method, function in METHOD_FUNCTIONS.items():
                frame = function(history, horizon)
                for k in range(horizon):
                    f = frame.iloc[k]
                    rows.append({
                        "crime_type": crime_type, "origin": month_start(series.index[origin - 1]), "month": f["month"],
                        "step": k + 1, "method": method, "actual": held[k], "mean": f["mean"],
                        "lo80": f["lo80"], "hi80": f["hi80"], "lo95": f["lo95"], "hi95": f["hi95"], "scale": scale,
                    })
    scored = pd.DataFrame(rows)
    # A series flat for a year has no seasonal differences to scale by; a scale of 0 would make MASE infinite.
    scored["abs_scaled_error"] = (scored["actual"] - scored["mean"]).abs() / scored["scale"].where(scored["scale"] > 0)
    scored["in80"] = (scored["actual"] >= scored["lo80"]) & (scored["actual"] <= scored["hi80"])
    scored["in95"] = (scored["actual"] >= scored["lo95"]) & (scored["actual"] <= scored["hi95"])
    return scored


def summarise(scored: pd.DataFrame) -> pd.DataFrame:
    """Per crime type and method: MASE, 80% and 95% coverage, held-out months; plus whether the forecast beat
    seasonal naive (lower MASE)."""
    table = (scored.groupby(["crime_type", "method"])
             .agg(mase=("abs_scaled_error", "mean"), coverage80=("in80", "mean"), coverage95=("in95", "mean"),
                  held_out=("actual", "size"), mean_count=("actual", "mean"))
             .reset_index())
    wide = table.pivot(index="crime_type", columns="method", values="mase")
    beats = (wide[FORECAST] < wide[SEASONAL_NAIVE]).rename("forecast_beats_seasonal_naive")
    return table.merge(beats, left_on="crime_type", right_index=True)


@dataclass(frozen=True)
class BacktestHeadline:
    data: str
    types: int
    beats_seasonal_naive: int
    beats_mean: int
    coverage80: float
    coverage95: float
    held_out_months: int
    horizon: int

    def sentence(self) -> str:
        return (f"Backtested {self.horizon} months ahead on {self.data}, the forecasts beat seasonal naive on "
                f"{self.beats_seasonal_naive} of {self.types} crime types (the 12-month mean on {self.beats_mean}); "
                f"their 95% intervals covered {self.coverage95:.0%} of {self.held_out_months} held-out months (80% "
                f"intervals: {self.coverage80:.0%}).")


def headline(scored: pd.DataFrame, data: str, horizon: int) -> BacktestHeadline:
    table = summarise(scored)
    wide = table.pivot(index="crime_type", columns="method", values="mase")
    ours = scored[scored["method"] == FORECAST]
    return BacktestHeadline(
        data=data, types=int(wide.shape[0]),
        beats_seasonal_naive=int((wide[FORECAST] < wide[SEASONAL_NAIVE]).sum()),
        beats_mean=int((wide[FORECAST] < wide[MEAN_12]).sum()),
        coverage80=float(ours["in80"].mean()), coverage95=float(ours["in95"].mean()),
        held_out_months=int(len(ours)), horizon=horizon)


def write_summary(headlines: list[BacktestHeadline], path: Path = SUMMARY_FILE) -> None:
    path.write_text(json.dumps([h.__dict__ for h in headlines], indent=2) + "\n", encoding="utf-8")


def read_summary(path: Path = SUMMARY_FILE) -> list[BacktestHeadline]:
    if not path.exists():
        return []
    try:
        return [BacktestHeadline(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a backtest summary written by benchmarks/backtest.py ({error})") from error


def methods_sentence(path: Path = SUMMARY_FILE, first_only: bool = False) -> str:
    """The sentence a product's sources-and-methods section carries about forecast accuracy, from the last
    backtest run (benchmarks/backtest.py): real data first, then SYNTHETIC (`first_only`: the real data's only)."""
    headlines = read_summary(path)
    if not headlines:
        return "The forecasts have not been backtested on this installation (run benchmarks/backtest.py)."
    return " ".join(h.sentence() for h in headlines[:1 if first_only else None])
