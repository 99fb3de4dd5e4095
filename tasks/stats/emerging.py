"""Emerging hot spots: each grid cell classed over the months held by its pattern of monthly Gi* hot spots and
the Mann-Kendall trend of its Gi* z-scores (the hot spot classes of ArcGIS Pro's Emerging Hot Spot Analysis,
which analysts know).

Per cell, over the T months: `hot` = Gi* z >= HOT_SPOT_Z (95%) that month; `cold` = z <= -HOT_SPOT_Z; the trend
is a Mann-Kendall test (pymannkendall, at TREND_ALPHA) on the monthly z-scores (a month with no variance anywhere,
z undefined, counts as 0). Classes, checked in this order:

- persistent / intensifying / diminishing: hot in at least PERSISTENT_SHARE (90%) of months including the last;
  intensifying with a significant upward trend, diminishing with a significant downward one, persistent with none;
- historical: hot in at least 90% of months but not the last;
- new: hot in the last month only, never before;
- consecutive: hot in an unbroken run of two or more months ending in the last month, never before the run
  (and under 90% of months);
- oscillating: hot in the last month, hot before on and off, and a cold spot in some month;
- sporadic: hot in the last month, hot before on and off, never a cold spot;
- no pattern detected: anything else (including cells hot on and off but not in the last month).

Gi* is computed over the cells with any crime in the window (the study area), with queen-contiguity
neighbours including the cell itself, as the project's hotspot indicator (tasks.indicators.grid). Unlike ArcGIS,
the neighbourhood is spatial only, not space-time; ArcGIS also classes cold spots, which crime grids of mostly zeros rarely
have, so only hot spot classes are given.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import ndimage

from tasks.stats import thresholds as T

PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
            "historical", "no pattern detected")
METHOD = (f"emerging hot spot classes (ArcGIS definitions) from monthly Getis-Ord Gi* hot spots (z >= "
          f"{T.HOT_SPOT_Z:g}) and a Mann-Kendall trend (p < {T.TREND_ALPHA:g}) on each cell's Gi* z-scores; "
          f"'90% of months' = {T.PERSISTENT_SHARE:.0%}")


_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def cell_centres(longitude, latitude, cell_size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid centres (metres) of the cells holding these WGS84 points."""
    x, y = _TO_BNG.transform(np.asarray(longitude, float), np.asarray(latitude, float))
    return (np.floor(x / cell_size_m) + 0.5) * cell_size_m, (np.floor(y / cell_size_m) + 0.5) * cell_size_m


def cells_by_month(points: pd.DataFrame, cell_size_m: float) -> pd.DataFrame:
    """Crimes per grid cell and month from published map points (columns month, longitude, latitude, crimes),
    on the British National Grid with cells aligned to whole multiples of `cell_size_m` (as the hotspot
    indicator's lattice). Returns cell_x, cell_y (cell centres, metres), month, crimes."""
    located = points.dropna(subset=["longitude", "latitude"])
    if located.empty:
        return pd.DataFrame({"cell_x": [], "cell_y": [], "month": [], "crimes": []})
    cell_x, cell_y = cell_centres(located["longitude"], located["latitude"], cell_size_m)
    cells = pd.DataFrame({
        "cell_x": cell_x, "cell_y": cell_y,
        "month": located["month"].to_numpy(), "crimes": located["crimes"].to_numpy(),
    })
    return cells.groupby(["cell_x", "cell_y", "month"], as_index=False)["crimes"].sum()


def with_lonlat(classified: pd.DataFrame) -> pd.DataFrame:
    """The cells' centres as longitude and latitude too (for maps and tables a reader can place)."""
    lon, lat = _TO_WGS84.transform(classified["cell_x"].to_numpy(float), classified["cell_y"].to_numpy(float))
    return classified.assign(longitude=lon, latitude=lat)


def gi_star_on_cells(counts: np.ndarray, study: np.ndarray) -> np.ndarray:
    """Gi* z-scores (queen contiguity including the cell itself, as tasks.indicators.grid.getis_ord_gi_star) over
    the study cells only: cells outside `study` (a boolean lattice) are neither counted in the mean and spread
    nor anyone's neighbours, and get NaN. Without this, the empty lattice around a force's points (and far-off
    mis-snapped points stretching the bounding box) makes every busy cell look hot."""
    x = np.where(study, np.asarray(counts, dtype=float), 0.0)
    n = int(study.sum())
    if n < 2:
        return np.full(x.shape, np.nan)
    xbar = x[study].mean()
    s = x[study].std()
    window = np.ones((3, 3))
    local_sum = ndimage.convolve(x, window, mode="constant", cval=0.0)
    w_i = ndimage.convolve(study.astype(float), window, mode="constant", cval=0.0)
    if s == 0:
        return np.full(x.shape, np.nan)
    denominator = s * np.sqrt(np.clip(n * w_i - w_i * w_i, 0, None) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, (local_sum - xbar * w_i) / denominator, np.nan)
    return np.where(study, z, np.nan)


def gi_by_month(crimes_by_month: pd.DataFrame, cell_size_m: float) -> pd.DataFrame:
    """Gi* per cell and month from crimes per cell and month (columns cell_x, cell_y, month, crimes; cell
    centres in metres). The study area is every cell with a crime in any month of the window (as a space-time
    cube holds only locations with data); each month is tested over those same cells, zeros where none that month.
    Returns cell_x, cell_y, month, crimes, gi_z for the study cells."""
    needed = {"cell_x", "cell_y", "month", "crimes"}
    if missing := needed - set(crimes_by_month.columns):
        raise ValueError(f"gi_by_month needs columns {sorted(needed)}; missing {sorted(missing)}")
    frame = crimes_by_month
    col = np.floor(frame["cell_x"].to_numpy(float) / cell_size_m).astype(np.int64)
    row = np.floor(frame["cell_y"].to_numpy(float) / cell_size_m).astype(np.int64)
    col0, row0 = col.min(), row.min()
    shape = (row.max() - row0 + 1, col.max() - col0 + 1)
    months = sorted(frame["month"].unique())
    month_index = {m: i for i, m in enumerate(months)}
    cube = np.zeros((len(months), *shape))
    np.add.at(cube, (frame["month"].map(month_index).to_numpy(), row - row0, col - col0), frame["crimes"].to_numpy(float))
    study = cube.sum(axis=0) > 0
    rows, cols = np.nonzero(study)
    out = []
    for i, month in enumerate(months):
        z = gi_star_on_cells(cube[i], study)
        out.append(pd.DataFrame({
            "cell_x": ((cols + col0) + 0.5) * cell_size_m, "cell_y": ((rows + row0) + 0.5) * cell_size_m,
            "month": month, "crimes": cube[i][rows, cols].astype("int64"), "gi_z": z[rows, cols],
        }))
    return pd.concat(out, ignore_index=True)


def _trend(z: np.ndarray) -> tuple[str, float]:
    import pymannkendall as mk

    if np.allclose(z, z[0]):
        return "no trend", 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mk.original_test(z, alpha=T.TREND_ALPHA)
    return result.trend, float(result.p)


def classify_cell(z_by_month) -> tuple[str, dict]:
    """The pattern of one cell from its monthly Gi* z-scores (oldest first), and the facts behind it."""
    z = np.nan_to_num(np.asarray(z_by_month, dtype=float), nan=0.0)
    if z.size < T.EMERGING_MIN_MONTHS:
        raise ValueError(f"emerging hot spots need at least {T.EMERGING_MIN_MONTHS} months, got {z.size}")
    hot = z >= T.HOT_SPOT_Z
    cold = z <= -T.HOT_SPOT_Z
    share = float(hot.mean())
    trend, trend_p = _trend(z)
    facts = {"months": int(z.size), "hot_months": int(hot.sum()), "hot_share": share, "last_hot": bool(hot[-1]),
             "cold_months": int(cold.sum()), "trend": trend, "trend_p": trend_p}
    # Tolerance: 9 of 10 months is 90%, however the division rounds.
    mostly_hot = share >= T.PERSISTENT_SHARE - 1e-9
    if mostly_hot and hot[-1]:
        pattern = {"increasing": "intensifying", "decreasing": "diminishing"}.get(trend, "persistent")
    elif mostly_hot:
        pattern = "historical"
    elif hot[-1]:
        earlier = hot[:-1]
        if not earlier.any():
            pattern = "new"
        else:
            run_start = z.size - 1
            while run_start > 0 and hot[run_start - 1]:
                run_start -= 1
            if not hot[:run_start].any():
                pattern = "consecutive"
            elif cold.any():
                pattern = "oscillating"
            else:
                pattern = "sporadic"
    else:
        pattern = "no pattern detected"
    return pattern, facts


def classify_emerging(cells_by_month: pd.DataFrame, cell_size_m: float | None = None,
                      keys: tuple[str, ...] = ("cell_x", "cell_y")) -> pd.DataFrame:
    """Class every cell over the months held.

    cells_by_month: one row per cell and month with cell_x, cell_y, month and either gi_z (Gi* z-scores already
    computed per month) or crimes (then Gi* is computed per month by gi_by_month, which needs `cell_size_m`).
    Months missing for a cell count as not hot (z = 0). `keys`: the columns naming a place; other places than
    grid cells (an LSOA: keys=("lsoa_code",)) are classed by the same rules from their own gi_z.

    Returns one row per cell: cell_x, cell_y, pattern, months, hot_months, hot_share, last_hot, cold_months,
    trend ('increasing' / 'decreasing' / 'no trend'), trend_p, last_z, crimes (total, when given), ordered by
    pattern (PATTERNS order) then hot months.
    """
    frame = cells_by_month
    if "gi_z" not in frame.columns:
        if "crimes" not in frame.columns:
            raise ValueError("classify_emerging needs a gi_z or a crimes column")
        if cell_size_m is None:
            raise ValueError("classify_emerging needs cell_size_m to compute Gi* from crimes")
        frame = gi_by_month(frame, cell_size_m)
    keys = list(keys)
    for column in (*keys, "month"):
        if column not in frame.columns:
            raise ValueError(f"classify_emerging needs a {column} column")
    # dropna=False: Gi* is undefined (NaN) where the study area has no variance (one cell, or equal counts); such a
    # cell is not hot, not dropped.
    z = frame.pivot_table(index=keys, columns="month", values="gi_z", aggfunc="first", dropna=False)
    z = z.reindex(columns=sorted(z.columns)).fillna(0.0)
    rows = []
    for key, values in z.iterrows():
        pattern, facts = classify_cell(values.to_numpy())
        named = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        rows.append({**named, "pattern": pattern, **facts, "last_z": float(values.iloc[-1])})
    out = pd.DataFrame(rows)
    if "crimes" in frame.columns:
        totals = frame.groupby(keys)["crimes"].sum().rename("crimes")
        out = out.merge(totals, left_on=keys, right_index=True, how="left")
    out["pattern"] = pd.Categorical(out["pattern"], categories=PATTERNS, ordered=True)
    return out.sort_values(["pattern", "hot_months", "last_z"], ascending=[True, False, False]).reset_index(drop=True)


def pattern_counts(classified: pd.DataFrame) -> pd.DataFrame:
    """Cells per pattern (every pattern listed, zeros included), for a product's table."""
    counts = classified["pattern"].value_counts().reindex(PATTERNS, fill_value=0)
    return counts.rename_axis("pattern").reset_index(name="cells")


def is_emerging(pattern: str) -> bool:
    """Patterns a tasking group should hear about as emerging or worsening."""
    return pattern in {"new", "consecutive", "intensifying"}


