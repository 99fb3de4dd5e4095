"""Near-repeat analysis: the Knox test for space-time clustering with a Monte Carlo permutation null.

Every pair of events is classed by its spatial distance band and its temporal distance band; the observed
count in each cell is compared with the counts obtained after randomly permuting the events' times among
their locations, which keeps both the spatial pattern and the temporal pattern and destroys only their
association. For each cell the result gives the observed count, the expected count (the mean over the
permutations), their ratio (the Knox ratio) and the p-value (count of permutations at least as large as
observed, plus one, over iterations plus one; so 99 iterations cannot give less than p = 0.01).

Bands are half-open intervals [lower, upper): a pair 100 m apart is in [100, 200), not [0, 100); a pair exactly
7 days apart is in [7, 14) days. Labels state the interval counted. Ratcliffe's Near Repeat Calculator labels
its cells "1 to 100" and "0 to 7" but counts [1, 100) m and [0, 7) days (Steenbeek's NearRepeat package,
vignette "NRC"): our default bands count what the calculator counts and label it as it is. See
docs/near-repeat.md.

Only pairs closer than the last finite spatial break are enumerated (a k-d tree); the "beyond" row is the
all-pairs temporal count (from sorted times, which permuting does not change) minus the finite rows, so the
work grows with the number of close pairs, not with n squared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

SECONDS_PER_DAY = 86_400
METRICS = {"manhattan": 1, "euclidean": 2}


@dataclass(frozen=True)
class KnoxBands:
    """Finite band breaks, each list starting at 0; a last open band [last break, infinity) is always added."""

    spatial_breaks: tuple[float, ...] = (0.0, 1.0, 100.0, 200.0, 300.0)
    temporal_breaks_days: tuple[float, ...] = (0.0, 7.0, 14.0, 21.0)

    def __post_init__(self):
        for name, breaks in (("spatial", self.spatial_breaks), ("temporal", self.temporal_breaks_days)):
            if len(breaks) < 2 or breaks[0] != 0 or any(b <= a for a, b in zip(breaks, breaks[1:])):
                raise ValueError(f"{name} breaks must start at 0 and increase strictly, got {list(breaks)}")

    @classmethod
    def regular(cls, spatial_bandwidth: float = 100.0, spatial_bands: int = 3, temporal_bandwidth_days: float = 7.0,
                temporal_bands: int = 3, same_location_metres: float | None = 1.0) -> "KnoxBands":
        """Equal-width bands like the Near Repeat Calculator's; `same_location_metres` splits [0, that) off as
        the same-location (repeat) band, as the calculator does, or None for no such band."""
        if spatial_bands < 1 or temporal_bands < 1 or spatial_bandwidth <= 0 or temporal_bandwidth_days <= 0:
            raise ValueError("bandwidths must be positive and there must be at least one band of each")
        spatial = [spatial_bandwidth * k for k in range(spatial_bands + 1)]
        if same_location_metres is not None:
            if not 0 < same_location_metres < spatial_bandwidth:
                raise ValueError("same_location_metres must be above 0 and below the spatial bandwidth")
            spatial.insert(1, same_location_metres)
        temporal = [temporal_bandwidth_days * k for k in range(temporal_bands + 1)]
        return cls(tuple(float(b) for b in spatial), tuple(float(b) for b in temporal))

    @property
    def spatial_labels(self) -> list[str]:
        return _labels(self.spatial_breaks, "m")

    @property
    def temporal_labels(self) -> list[str]:
        return _labels(self.temporal_breaks_days, "days")


def _number(value: float) -> str:
    return f"{value:g}"


def _labels(breaks: tuple[float, ...], unit: str) -> list[str]:
    labels = [f"[{_number(a)}, {_number(b)}) {unit}" for a, b in zip(breaks, breaks[1:])]
    return labels + [f"[{_number(breaks[-1])}, inf) {unit}"]


@dataclass
class KnoxResult:
    bands: KnoxBands
    observed: np.ndarray        # spatial band x temporal band, pair counts
    expected: np.ndarray        # mean count over the permutations
    p_values: np.ndarray
    iterations: int
    events: int
    metric: str
    simulated: np.ndarray | None = field(default=None, repr=False)  # iterations x S x T when kept

    @property
    def ratio(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.expected > 0, self.observed / self.expected, np.nan)

    def table(self) -> pd.DataFrame:
        """One row per cell: spatial and temporal band labels, observed, expected, Knox ratio, p-value."""
        s_labels, t_labels = self.bands.spatial_labels, self.bands.temporal_labels
        rows = []
        for i, s_label in enumerate(s_labels):
            for j, t_label in enumerate(t_labels):
                rows.append({"spatial_band": s_label, "temporal_band": t_label, "observed": int(self.observed[i, j]),
                             "expected": float(self.expected[i, j]), "knox_ratio": float(self.ratio[i, j]),
                             "p_value": float(self.p_values[i, j])})
        return pd.DataFrame(rows)

    def significant(self, alpha: float = 0.05) -> pd.DataFrame:
        """Cells within the finite spatial bands with more pairs than chance at `alpha` (ratio above 1).

        The open spatial band is the complement of the others (its margin is fixed), so its p-values mirror
        theirs and it is never reported as a near-repeat finding.
        """
        table = self.table()
        finite = ~table["spatial_band"].str.endswith("inf) m")
        return table[finite & (table["p_value"] < alpha) & (table["knox_ratio"] > 1)].reset_index(drop=True)


@dataclass
class NearRepeatFinding:
    """The headline of a Knox result, in the Near Repeat Calculator's terms but with exact band edges."""

    same_location_days: float | None   # repeats at the same location are over-represented for under this many days
    near_metres: float | None          # near repeats over-represented within under this distance ...
    near_days: float | None            # ... for under this many days
    cells: pd.DataFrame                 # the significant finite cells

    def sentences(self, crime_type: str) -> list[str]:
        lines = []
        if self.same_location_days is not None:
            lines.append(f"{crime_type}: repeats at the same location are over-represented for up to "
                         f"{_number(self.same_location_days)} days after an incident.")
        if self.near_metres is not None:
            lines.append(f"{crime_type}: near repeats are over-represented within {_number(self.near_metres)} m of an "
                         f"incident for up to {_number(self.near_days)} days (each bound exclusive).")
        if not lines:
            lines.append(f"{crime_type}: no repeat or near-repeat pattern beyond chance.")
        return lines


def finding(result: "KnoxResult", alpha: float = 0.05, same_location_metres: float = 1.0) -> NearRepeatFinding:
    """How far and for how long risk is raised after an incident, from the cells joined to the origin.

    A cell counts when it has more pairs than chance at `alpha`. Time runs are read from the first temporal
    band outwards and stop at the first cell that does not count; distance likewise from the first band
    beyond the same-location band. An isolated significant cell far from the origin (at 5% one in twenty is
    expected by chance) therefore does not stretch the finding. A spatial band [0, upper) with
    upper <= `same_location_metres` is the same-location (repeat) band.
    """
    s_breaks = list(result.bands.spatial_breaks)
    t_uppers = list(result.bands.temporal_breaks_days[1:]) + [np.inf]
    counts = (result.p_values < alpha) & (result.ratio > 1)
    finite_rows = len(s_breaks) - 1  # the last row is the open band

    def run_length(row: int) -> int:
        length = 0
        while length < counts.shape[1] and counts[row, length]:
            length += 1
        return length

    same_location_days = None
    first_near = 0
    if s_breaks[1] <= same_location_metres:
        first_near = 1
        run = run_length(0)
        same_location_days = t_uppers[run - 1] if run else None
    near_metres = near_days = None
    for row in range(first_near, finite_rows):
        run = run_length(row)
        if not run:
            break
        near_metres = s_breaks[row + 1]
        near_days = max(near_days or 0, t_uppers[run - 1])
    return NearRepeatFinding(same_location_days, near_metres, near_days, result.significant(alpha))


def _pair_counts_by_time(times: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Over all n(n-1)/2 pairs, how many fall in each temporal band (finite bands, then the open one)."""
    ordered = np.sort(times)
    n = len(ordered)
    index = np.arange(n)
    # Pairs (i < j) in sorted order with t[j] - t[i] < b: for each i, the j up to the first t >= t[i] + b.
    closer_than = np.array([(np.searchsorted(ordered, ordered + b, side="left") - index - 1).sum() for b in breaks[1:]],
                           dtype=np.int64)
    within = np.diff(np.concatenate([[0], closer_than]))
    return np.concatenate([within, [n * (n - 1) // 2 - closer_than[-1]]])


def _table(space_band: np.ndarray, first: np.ndarray, second: np.ndarray, times: np.ndarray, t_breaks: np.ndarray,
           time_margin: np.ndarray, s_count: int) -> np.ndarray:
    """The S x T table for one assignment of times to events."""
    t_count = len(t_breaks)
    gaps = np.abs(times[first] - times[second])
    time_band = np.searchsorted(t_breaks, gaps, side="right") - 1
    finite = np.bincount(space_band * t_count + time_band, minlength=(s_count - 1) * t_count).reshape(s_count - 1, t_count)
    return np.vstack([finite, time_margin - finite.sum(axis=0)])


def knox_test(x, y, times_seconds, bands: KnoxBands | None = None, iterations: int = 99, metric: str = "manhattan",
              seed: int | None = None, keep_simulations: bool = False) -> KnoxResult:
    """Knox test on events at (x, y) metres and times in whole seconds (integers, so band edges are exact).

    `metric` is "manhattan" (the Near Repeat Calculator's default, a street-network proxy) or "euclidean".
    """
    bands = bands or KnoxBands()
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    times = np.asarray(times_seconds, dtype=np.int64)
    if not (len(x) == len(y) == len(times)):
        raise ValueError("x, y and times must have the same length")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y, times = x[keep], y[keep], times[keep]
    n = len(x)
    if n < 2:
        raise ValueError(f"the Knox test needs at least two located events, got {n}")

    s_breaks = np.asarray(bands.spatial_breaks, dtype=float)
    t_breaks = np.round(np.asarray(bands.temporal_breaks_days) * SECONDS_PER_DAY).astype(np.int64)
    s_count = len(s_breaks)  # finite bands plus the open one
    reach = s_breaks[-1]
    tree = cKDTree(np.column_stack([x, y]))
    # Slightly beyond the last break so no pair just inside it is lost to rounding; banding below is exact.
    pairs = tree.query_pairs(r=reach * (1 + 1e-9) + 1e-9, p=METRICS[metric], output_type="ndarray")
    first, second = pairs[:, 0], pairs[:, 1]
    dx, dy = np.abs(x[first] - x[second]), np.abs(y[first] - y[second])
    distance = dx + dy if metric == "manhattan" else np.hypot(dx, dy)
    space_band = np.searchsorted(s_breaks, distance, side="right") - 1
    inside = space_band < s_count - 1
    first, second, space_band = first[inside], second[inside], space_band[inside]

    time_margin = _pair_counts_by_time(times, t_breaks)
    observed = _table(space_band, first, second, times, t_breaks, time_margin, s_count)
    rng = np.random.default_rng(seed)
    simulated = np.empty((iterations, *observed.shape), dtype=np.int64)
    for k in range(iterations):
        simulated[k] = _table(space_band, first, second, rng.permutation(times), t_breaks, time_margin, s_count)
    expected = simulated.mean(axis=0)
    p_values = ((simulated >= observed).sum(axis=0) + 1) / (iterations + 1)
    return KnoxResult(bands=bands, observed=observed, expected=expected, p_values=p_values, iterations=iterations,
                      events=n, metric=metric, simulated=simulated if keep_simulations else None)


def to_seconds(timestamps, by_day: bool = False) -> np.ndarray:
    """Whole seconds since the epoch; `by_day` floors to the calendar day, as the Near Repeat Calculator counts."""
    values = pd.to_datetime(pd.Series(timestamps)).to_numpy("datetime64[s]")
    if by_day:
        values = values.astype("datetime64[D]").astype("datetime64[s]")
    return values.astype(np.int64)


NEAR_REPEAT_SQL = """
SELECT easting, northing, occurred_from
FROM internal_incident
WHERE force = $force AND crime_type = $crime_type
  AND occurred_from >= $start AND occurred_from < $end_exclusive
  AND easting IS NOT NULL AND northing IS NOT NULL
"""


def near_repeat_for_warehouse(warehouse_file, force: str, crime_type: str = "Burglary", start: date | None = None,
                              end: date | None = None, bands: KnoxBands | None = None, iterations: int = 99,
                              metric: str = "manhattan", by_day: bool = False, seed: int | None = 0) -> KnoxResult:
    """The Knox test on the force's internal records of one published category between `start` and `end`
    (inclusive dates; default: everything held). Times are the earliest occurrence time of each record."""
    from tasking import warehouse

    params = {"force": force, "crime_type": crime_type,
              "start": datetime.combine(start or date(1900, 1, 1), datetime.min.time()),
              "end_exclusive": datetime.combine(end or date(9999, 12, 30), datetime.min.time()) + pd.Timedelta(days=1)}
    events = warehouse.query_df(warehouse_file, NEAR_REPEAT_SQL, params)
    if len(events) < 2:
        raise ValueError(f"{force}: fewer than two located {crime_type} records in the internal data for that period")
    return knox_test(events["easting"].to_numpy(), events["northing"].to_numpy(),
                     to_seconds(events["occurred_from"], by_day=by_day), bands=bands, iterations=iterations,
                     metric=metric, seed=seed)

