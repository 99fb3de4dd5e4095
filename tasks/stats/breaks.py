"""Level shifts and recording breaks in monthly count series.

Method: the counts are Anscombe-transformed (2 * sqrt(x + 3/8), variance about 1 for Poisson counts), scaled by a
robust noise estimate (the median absolute month-to-month difference, never below the Poisson value 1, so
over-dispersed series are not read as breaks), and segmented by PELT (ruptures, least-squares cost) with penalty
BREAK_PENALTY_PER_LOG_N * ln(n) and segments of at least BREAK_MIN_SEGMENT months. When a straight-line or quadratic trend explains the series as well as
the steps (same penalty per parameter), the search is repeated around the trend line instead, so a steady rise is not
reported as a run of level shifts. Changes of level smaller
than MIN_SHIFT_RATIO either way are then merged away, smallest first, and so are short excursions that return to
the level before them unless extreme (a temporary rise or fall is for the exceedance test, not a break).

Each remaining change point is a Break whose month is the first month of the new level. A short segment
(<= DIP_MAX_MONTHS) at most DIP_RATIO of the level before it, after which the series recovers to at least
DIP_RECOVERY_RATIO of that level, is a dip-and-recover: both its ends are 'recording break?'. So is a permanent
change beyond RECORDING_BREAK_RATIO (five-fold) either way. Other changes are 'level shift'.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from tasks.stats import thresholds as T

RECORDING_BREAK = "recording break?"
LEVEL_SHIFT = "level shift"
METHOD = (f"PELT change points (ruptures, least-squares cost) on Anscombe-transformed monthly counts scaled to unit "
          f"noise, penalty {T.BREAK_PENALTY_PER_LOG_N:g} ln(n), segments of {T.BREAK_MIN_SEGMENT}+ months; changes "
          f"under x{T.MIN_SHIFT_RATIO:g} ignored")


@dataclass(frozen=True)
class Break:
    month: date              # first month of the new level
    level_before: float      # mean monthly count of the segment before
    level_after: float       # mean monthly count of the segment from `month`
    ratio: float             # level_after / level_before (inf when level_before is 0)
    kind: str                # RECORDING_BREAK or LEVEL_SHIFT
    method: str

    def describe(self) -> str:
        """One sentence for gaps and methods text."""
        what = "a likely recording break" if self.kind == RECORDING_BREAK else "a level shift"
        return (f"{what} from {self.month:%B %Y}: about {self.level_before:.0f} a month before, "
                f"{self.level_after:.0f} a month after")


def month_start(value) -> date:
    """The first day of the month of a date, timestamp or 'YYYY-MM-DD' string."""
    stamp = pd.Timestamp(value)
    return date(stamp.year, stamp.month, 1)


def _noise_scale(z: np.ndarray) -> float:
    """Robust standard deviation of the noise from first differences (MAD / 0.6745 / sqrt 2), at least 1."""
    diffs = np.diff(z)
    if diffs.size == 0:
        return 1.0
    mad = np.median(np.abs(diffs - np.median(diffs)))
    return max(1.0, mad / 0.6745 / math.sqrt(2.0))


def _deseasonalise(z: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
    """Remove a month-of-year profile estimated robustly: the median, per calendar month, of the series less its
    centred 12-month running median. Medians keep a dip or a shift from leaking into the profile. Only with two
    or more years (SEASONAL_MIN_MONTHS); shorter series are returned unchanged."""
    if z.size < T.SEASONAL_MIN_MONTHS:
        return z
    # Running median over full 12-month windows only (a part window of a seasonal series is biased); months within
    # six of either end take the nearest full window's value.
    full = pd.Series(z).rolling(12).median().to_numpy()[11:]          # full[k] covers months k..k+11
    level = full[np.clip(np.arange(z.size) - 6, 0, full.size - 1)]
    residual = pd.Series(z - level)
    profile = residual.groupby(month_of_year).median()
    profile = profile - profile.mean()
    return z - profile.reindex(month_of_year).fillna(0.0).to_numpy()


def _pelt(z: np.ndarray, penalty: float) -> list[int]:
    import ruptures as rpt

    algo = rpt.Pelt(model="l2", min_size=T.BREAK_MIN_SEGMENT, jump=1).fit(z.reshape(-1, 1))
    return [b for b in algo.predict(pen=penalty) if b < z.size]


def _segments_ss(z: np.ndarray, points: list[int]) -> float:
    edges = [0, *points, z.size]
    return float(sum(((z[a:b] - z[a:b].mean()) ** 2).sum() for a, b in zip(edges[:-1], edges[1:])))


def _change_points(values: np.ndarray, month_of_year: np.ndarray) -> list[int]:
    z = _deseasonalise(2.0 * np.sqrt(values + 3.0 / 8.0), month_of_year)
    z = z / _noise_scale(z)
    n = z.size
    penalty = T.BREAK_PENALTY_PER_LOG_N * math.log(n)
    points = _pelt(z, penalty)
    if not points:
        return []
    # A steady trend cut into steps is not a break. When a straight line or a gentle curve (one or two parameters
    # more than a flat level) fits as well as the steps, with the same penalty per parameter, the steps are the
    # trend: search again around it, so a dip or a shift on top of a trend is still found.
    t = np.arange(n) / n
    fits = [(float((residual ** 2).sum()) + penalty * degree, residual)
            for degree in (1, 2) for residual in [z - np.polyval(np.polyfit(t, z, degree), t)]]
    trend_cost, around_trend = min(fits, key=lambda fit: fit[0])
    if trend_cost <= _segments_ss(z, points) + penalty * len(points):
        return _pelt(around_trend, penalty)
    return points


def _levels(values: np.ndarray, points: list[int]) -> list[float]:
    edges = [0, *points, values.size]
    return [float(values[a:b].mean()) for a, b in zip(edges[:-1], edges[1:])]


def _log_ratio(before: float, after: float) -> float:
    # Half a crime added to each side so a fall to zero has a finite, large size.
    return abs(math.log((after + 0.5) / (before + 0.5)))


def _material(values: np.ndarray, points: list[int]) -> list[int]:
    """Drop change points whose level change is under MIN_SHIFT_RATIO, smallest first, re-levelling each time."""
    points = list(points)
    threshold = math.log(T.MIN_SHIFT_RATIO)
    while points:
        levels = _levels(values, points)
        sizes = [_log_ratio(levels[i], levels[i + 1]) for i in range(len(points))]
        smallest = int(np.argmin(sizes))
        if sizes[smallest] >= threshold:
            break
        points.pop(smallest)
    return points


def _extreme(before: float, level: float) -> bool:
    return level <= T.DIP_RATIO * before or before <= T.DIP_RATIO * level


def _without_excursions(values: np.ndarray, points: list[int]) -> list[int]:
    """Drop short excursions that return: a segment of at most DIP_MAX_MONTHS between two change points, with the
    levels either side within MIN_SHIFT_RATIO of each other, is a temporary rise or fall (the exceedance test's
    business), not a change of level, unless it is extreme (DIP_RATIO either way), when it stays as a likely
    recording break."""
    points = _material(values, points)
    changed = True
    while changed:
        changed = False
        levels = _levels(values, points)
        for i in range(len(points) - 1):
            before, level, after = levels[i], levels[i + 1], levels[i + 2]
            short = points[i + 1] - points[i] <= T.DIP_MAX_MONTHS
            returns = _log_ratio(before, after) < math.log(T.MIN_SHIFT_RATIO)
            if short and returns and not _extreme(before, level):
                points = _material(values, points[:i] + points[i + 2:])
                changed = True
                break
    return points


def _kinds(levels: list[float], points: list[int]) -> list[str]:
    kinds = [LEVEL_SHIFT] * len(points)
    for i in range(len(points)):
        before, after = levels[i], levels[i + 1]
        if before > 0 and (after <= T.RECORDING_BREAK_RATIO * before) or after > 0 and before <= T.RECORDING_BREAK_RATIO * after:
            kinds[i] = RECORDING_BREAK
    # A dip: segment i+1 (between points i and i+1) short, low against the level before, and recovered after.
    for i in range(len(points) - 1):
        length = points[i + 1] - points[i]
        before, dip, after = levels[i], levels[i + 1], levels[i + 2]
        if (length <= T.DIP_MAX_MONTHS and before > 0 and dip <= T.DIP_RATIO * before
                and after >= T.DIP_RECOVERY_RATIO * before):
            kinds[i] = kinds[i + 1] = RECORDING_BREAK
    return kinds


def detect_breaks(counts: pd.Series) -> list[Break]:
    """Breaks in a monthly count series (index: month dates, values: counts), oldest first.

    Months missing from the index are not filled: pass a complete monthly series (zeros where none were
    recorded). Series shorter than MIN_MONTHS_FOR_BREAKS give no breaks.
    """
    series = counts.sort_index()
    values = series.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise ValueError("detect_breaks needs a count for every month (got a missing value); fill months with none as 0")
    if (values < 0).any():
        raise ValueError("detect_breaks needs non-negative counts")
    if values.size < T.MIN_MONTHS_FOR_BREAKS or values.sum() == 0:
        return []
    month_of_year = np.array([pd.Timestamp(m).month for m in series.index])
    points = _without_excursions(values, _change_points(values, month_of_year))
    levels = _levels(values, points)
    kinds = _kinds(levels, points)
    months = [month_start(m) for m in series.index]
    breaks = []
    for i, point in enumerate(points):
        before, after = levels[i], levels[i + 1]
        ratio = math.inf if before == 0 else after / before
        breaks.append(Break(months[point], before, after, ratio, kinds[i], METHOD))
    return breaks


def breaks_between(counts: pd.Series, start, end) -> list[Break]:
    """Breaks whose first month of the new level falls in [start, end] (month dates, inclusive), found on the
    whole series (so a break near the window's edge is judged with the months around it)."""
    first, last = month_start(start), month_start(end)
    return [b for b in detect_breaks(counts) if first <= b.month <= last]


def last_break_month(counts: pd.Series) -> date | None:
    """First month of the level the series is at now (the month of its last break), or None."""
    breaks = detect_breaks(counts)
    return breaks[-1].month if breaks else None
