"""Hotspot indicators on a British National Grid lattice: kernel density, Getis-Ord Gi*, and the change in Gi*
hot spots between two periods.

Crimes are counted per published map point in SQL, projected from WGS84 to British National Grid (EPSG:27700)
with pyproj, then gridded in metres. Cells are aligned to whole multiples of the cell size in BNG, so the same
cell has the same coordinates in every run and period.
"""
from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import ndimage, stats

from tasks.indicators.scope import IndicatorSession, Scope, session

KDE_CELL_M = 100.0
KDE_BANDWIDTH_M = 300.0
GI_CELL_M = 250.0
GI_CLASSES = ((2.576, "99%"), (1.960, "95%"), (1.645, "90%"))
HOT_Z = 1.960  # a cell counts as a hot spot for hotspot_change at 95% confidence

# Ordered: DuckDB's parallel GROUP BY returns groups in any order, and float sums over the points in another
# order differ in the last bits, so a fanned-out build would not reproduce the same data pack byte for byte.
POINTS_SQL = """
SELECT longitude, latitude, count(*) AS crimes FROM scoped_street
WHERE month BETWEEN $period_from AND $period_to AND longitude IS NOT NULL AND latitude IS NOT NULL
GROUP BY longitude, latitude
ORDER BY longitude, latitude
"""

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _points_bng(s: IndicatorSession, period_from: date | None = None, period_to: date | None = None) -> pd.DataFrame:
    points = s.df(POINTS_SQL, s.period_params(period_from, period_to))
    x, y = _TO_BNG.transform(points["longitude"].to_numpy(), points["latitude"].to_numpy())
    points["x"], points["y"] = x, y
    return points


def _with_lonlat(frame: pd.DataFrame) -> pd.DataFrame:
    lon, lat = _TO_WGS84.transform(frame["cell_x"].to_numpy(dtype=float), frame["cell_y"].to_numpy(dtype=float))
    frame["longitude"], frame["latitude"] = lon, lat
    return frame


def quartic_density(points_x, points_y, weights, cell_size_m: float, bandwidth_m: float) -> pd.DataFrame:
    """Quartic-kernel density on cell centres, in crimes per km^2; cells with no point within the bandwidth are
    left out. K(d) = 3 / (pi h^2) x (1 - d^2/h^2)^2 for d < h, so each crime integrates to 1 over the plane."""
    if len(points_x) == 0:
        return pd.DataFrame(columns=["cell_x", "cell_y", "density_per_km2"])
    reach = math.ceil(bandwidth_m / cell_size_m)
    offsets = np.arange(-reach, reach + 1)
    ox, oy = (grid.ravel() for grid in np.meshgrid(offsets, offsets))
    col = np.floor(np.asarray(points_x) / cell_size_m).astype(np.int64)
    row = np.floor(np.asarray(points_y) / cell_size_m).astype(np.int64)
    cell_col = col[:, None] + ox[None, :]
    cell_row = row[:, None] + oy[None, :]
    dx = (cell_col + 0.5) * cell_size_m - np.asarray(points_x)[:, None]
    dy = (cell_row + 0.5) * cell_size_m - np.asarray(points_y)[:, None]
    ratio = (dx * dx + dy * dy) / (bandwidth_m * bandwidth_m)
    kernel = np.where(ratio < 1.0, 3.0 / (math.pi * bandwidth_m ** 2) * (1.0 - ratio) ** 2, 0.0)
    contribution = kernel * np.asarray(weights, dtype=float)[:, None] * 1e6
    keep = contribution > 0
    cells = pd.DataFrame({"col": cell_col[keep], "row": cell_row[keep], "density_per_km2": contribution[keep]})
    cells = cells.groupby(["col", "row"], as_index=False)["density_per_km2"].sum()
    cells["cell_x"] = (cells["col"] + 0.5) * cell_size_m
    cells["cell_y"] = (cells["row"] + 0.5) * cell_size_m
    return cells[["cell_x", "cell_y", "density_per_km2"]]


def _kde_grid(s: IndicatorSession, cell_size_m: float, bandwidth_m: float) -> pd.DataFrame:
    points = _points_bng(s)
    grid = quartic_density(points["x"], points["y"], points["crimes"], cell_size_m, bandwidth_m)
    grid = _with_lonlat(grid)
    grid["cell_size_m"] = cell_size_m
    grid["bandwidth_m"] = bandwidth_m
    return grid.sort_values(["density_per_km2", "cell_x", "cell_y"], ascending=[False, True, True]).reset_index(drop=True)


def kde_grid(warehouse_file: str | Path | None, scope: Scope, cell_size_m: float = KDE_CELL_M,
             bandwidth_m: float = KDE_BANDWIDTH_M) -> pd.DataFrame:
    """Kernel density of crime over the period on a British National Grid lattice (quartic kernel).

    Defaults: 100 m cells, 300 m bandwidth (search radius). Columns: cell_x, cell_y (cell centre, BNG metres),
    density_per_km2 (crimes per square kilometre), longitude, latitude (cell centre, WGS84), cell_size_m,
    bandwidth_m. Only cells within the bandwidth of a crime are listed; densest first.
    """
    if cell_size_m <= 0 or bandwidth_m <= 0:
        raise ValueError("cell size and bandwidth must be positive")
    with session(warehouse_file, scope) as s:
        return _kde_grid(s, cell_size_m, bandwidth_m)


def getis_ord_gi_star(counts: np.ndarray) -> np.ndarray:
    """Gi* z-scores on a 2-D lattice with binary queen-contiguity weights including the cell itself
    (Getis and Ord 1992; Ord and Getis 1995):

        Gi* = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))

    with W_i = sum_j w_ij (binary weights, so sum_j w_ij^2 = W_i), xbar and S the mean and population standard
    deviation of all n cells. Cells at the lattice edge have fewer neighbours.
    """
    x = np.asarray(counts, dtype=float)
    n = x.size
    xbar = x.mean()
    s = math.sqrt((x * x).mean() - xbar * xbar)
    window = np.ones((3, 3))
    local_sum = ndimage.convolve(x, window, mode="constant", cval=0.0)
    w_i = ndimage.convolve(np.ones_like(x), window, mode="constant", cval=0.0)
    if s == 0 or n < 2:
        return np.full(x.shape, np.nan)
    denominator = s * np.sqrt((n * w_i - w_i * w_i) / (n - 1))
    # A cell whose neighbourhood is the whole lattice has no variance to test against: NaN, not significant.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, (local_sum - xbar * w_i) / denominator, np.nan)


def gi_class(z: float) -> str:
    if np.isnan(z):
        return "not significant"
    for bound, label in GI_CLASSES:
        if z >= bound:
            return f"hot spot {label}"
        if z <= -bound:
            return f"cold spot {label}"
    return "not significant"


def _lattice(x, y, weights, cell_size_m: float, extent: tuple[int, int, int, int] | None = None):
    """Counts per cell over the bounding lattice of the points (padded by one cell), or over `extent`
    (col_min, col_max, row_min, row_max)."""
    col = np.floor(np.asarray(x) / cell_size_m).astype(np.int64)
    row = np.floor(np.asarray(y) / cell_size_m).astype(np.int64)
    if extent is None:
        extent = (int(col.min()) - 1, int(col.max()) + 1, int(row.min()) - 1, int(row.max()) + 1)
    col_min, col_max, row_min, row_max = extent
    grid = np.zeros((row_max - row_min + 1, col_max - col_min + 1))
    np.add.at(grid, (row - row_min, col - col_min), np.asarray(weights, dtype=float))
    return grid, extent


def _lattice_frame(grid: np.ndarray, extent, cell_size_m: float, z: np.ndarray) -> pd.DataFrame:
    col_min, _, row_min, _ = extent
    rows, cols = np.indices(grid.shape)
    frame = pd.DataFrame({
        "cell_x": ((cols.ravel() + col_min) + 0.5) * cell_size_m,
        "cell_y": ((rows.ravel() + row_min) + 0.5) * cell_size_m,
        "crimes": grid.ravel().astype("int64"),
        "gi_z": z.ravel(),
    })
    frame["gi_p"] = 2.0 * stats.norm.sf(np.abs(frame["gi_z"]))
    frame["gi_class"] = [gi_class(v) for v in frame["gi_z"]]
    return frame


def _hotspots(s: IndicatorSession, cell_size_m: float) -> pd.DataFrame:
    points = _points_bng(s)
    columns = ["cell_x", "cell_y", "crimes", "gi_z", "gi_p", "gi_class", "longitude", "latitude", "cell_size_m"]
    if points.empty:
        return pd.DataFrame(columns=columns)
    grid, extent = _lattice(points["x"], points["y"], points["crimes"], cell_size_m)
    frame = _with_lonlat(_lattice_frame(grid, extent, cell_size_m, getis_ord_gi_star(grid)))
    frame["cell_size_m"] = cell_size_m
    return frame.sort_values("gi_z", ascending=False, na_position="last").reset_index(drop=True)[columns]


def hotspots(warehouse_file: str | Path | None, scope: Scope, cell_size_m: float = GI_CELL_M) -> pd.DataFrame:
    """Getis-Ord Gi* on a grid of `cell_size_m` cells (default 250 m) covering the crimes of the period.

    Every cell of the lattice is listed, zero-crime ones included (they are part of the statistic).
    Columns: cell_x, cell_y (BNG centre), crimes, gi_z, gi_p (two-sided, normal), gi_class ('hot spot 99%',
    '95%', '90%', the same for 'cold spot', or 'not significant'), longitude, latitude, cell_size_m.
    Strongest hot spots first. No correction for multiple testing is made: read the classes as a map of
    where to look, not as individually proven clusters.
    """
    with session(warehouse_file, scope) as s:
        return _hotspots(s, cell_size_m)


def _hotspot_change(s: IndicatorSession, cell_size_m: float, previous: tuple[date, date]) -> pd.DataFrame:
    current_points = _points_bng(s)
    previous_points = _points_bng(s, *previous)
    columns = ["cell_x", "cell_y", "crimes", "previous_crimes", "gi_z", "previous_gi_z", "status", "longitude", "latitude"]
    both = pd.concat([current_points, previous_points])
    if both.empty:
        return pd.DataFrame(columns=columns)
    _, extent = _lattice(both["x"], both["y"], both["crimes"], cell_size_m)
    now_grid, _ = _lattice(current_points["x"], current_points["y"], current_points["crimes"], cell_size_m, extent)
    before_grid, _ = _lattice(previous_points["x"], previous_points["y"], previous_points["crimes"], cell_size_m, extent)
    now = _lattice_frame(now_grid, extent, cell_size_m, getis_ord_gi_star(now_grid))
    before = _lattice_frame(before_grid, extent, cell_size_m, getis_ord_gi_star(before_grid))
    frame = now[["cell_x", "cell_y", "crimes", "gi_z"]].copy()
    frame["previous_crimes"] = before["crimes"].to_numpy()
    frame["previous_gi_z"] = before["gi_z"].to_numpy()
    hot_now = frame["gi_z"].fillna(0) >= HOT_Z
    hot_before = frame["previous_gi_z"].fillna(0) >= HOT_Z
    frame["status"] = np.select([hot_now & hot_before, hot_now & ~hot_before, ~hot_now & hot_before],
                                ["persistent", "new", "cooling"], default="")
    frame = frame[frame["status"] != ""]
    frame = _with_lonlat(frame.reset_index(drop=True))
    order = {"new": 0, "persistent": 1, "cooling": 2}
    frame = frame.sort_values(["status", "gi_z"], key=lambda c: c.map(order) if c.name == "status" else -c)
    return frame.reset_index(drop=True)[columns]


def hotspot_change(warehouse_file: str | Path | None, scope: Scope, cell_size_m: float = GI_CELL_M,
                   previous: tuple[str | date, str | date] | None = None) -> pd.DataFrame:
    """Gi* hot spots (z >= 1.96, 95%) of the period against a previous period (default: the period of equal
    length just before), on one shared lattice.

    Rows: only cells hot in either period. status: 'new' (hot now, not before), 'persistent' (hot in both),
    'cooling' (hot before, not now). Columns: cell_x, cell_y, crimes, previous_crimes, gi_z, previous_gi_z,
    status, longitude, latitude.
    """
    from tasks.indicators.scope import parse_month

    with session(warehouse_file, scope) as s:
        window = (parse_month(previous[0]), parse_month(previous[1])) if previous else scope.previous_period
        return _hotspot_change(s, cell_size_m, window)
