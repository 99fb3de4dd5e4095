"""Crimes a force published in LSOAs outside its own area, resolved to the neighbouring force area each point
falls in.

A force's own area is the LSOAs of its local authorities (scope.FORCE_AUTHORITIES_SQL); data.police.uk snaps
locations to map points that can cross that boundary. Each such published point is placed in the Police Force
Area polygon (warehouse `boundary`, kind pfa) that contains it; a point in none (the ultra-generalised force
areas cut corners and coasts) goes to the nearest force area within NEAREST_FORCE_AREA_M, and is marked so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from tasks.indicators.geography import boundaries_held
from tasks.indicators.scope import IndicatorSession, Scope, session

NEAREST_FORCE_AREA_M = 2000.0
COLUMNS = ["force_area_code", "force_area_name", "neighbouring_force", "resolved_by", "crimes", "points", "lsoas"]

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# Located crimes of the period whose LSOA (its 2011 parent for a 2021 code) is not one of the area's own.
OUTSIDE_POINTS_SQL = """
SELECT c.longitude, c.latitude, c.lsoa_code, count(*) AS crimes
FROM scoped_street c LEFT JOIN lsoa_resolved r ON r.lsoa_code = c.lsoa_code
WHERE c.month BETWEEN $period_from AND $period_to AND c.longitude IS NOT NULL AND c.lsoa_code IS NOT NULL
  AND coalesce(r.iod_lsoa11_code, c.lsoa_code) NOT IN (SELECT lsoa_code FROM area_lsoa)
  AND c.lsoa_code NOT IN (SELECT lsoa_code FROM area_lsoa)
GROUP BY ALL
"""


def resolve_points(x, y, areas: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For BNG points, the index into `areas` (code, name, force, geometry) of the force area containing each
    (or the nearest within NEAREST_FORCE_AREA_M; -1 for none) and how: 'inside' | 'nearest' | 'none'."""
    import shapely

    x, y = np.asarray(x, float), np.asarray(y, float)
    found = np.full(len(x), -1)
    how = np.full(len(x), "none", dtype=object)
    geometries = areas["geometry"].to_numpy()
    for index, geometry in enumerate(geometries):
        inside = (found == -1) & shapely.contains_xy(geometry, x, y)
        found[inside], how[inside] = index, "inside"
    left = np.flatnonzero(found == -1)
    if len(left) and len(geometries):
        points = shapely.points(x[left], y[left])
        distance = np.column_stack([shapely.distance(g, points) for g in geometries])
        nearest = distance.argmin(axis=1)
        close = distance[np.arange(len(left)), nearest] <= NEAREST_FORCE_AREA_M
        found[left[close]], how[left[close]] = nearest[close], "nearest"
    return found, how


def out_of_force_in(s: IndicatorSession) -> pd.DataFrame:
    import shapely

    if s.scope.area_kind != "force":
        raise ValueError("out-of-force resolution is for a whole force's scope")
    points = s.df(OUTSIDE_POINTS_SQL, s.period_params())
    if points.empty:
        return pd.DataFrame(columns=COLUMNS)
    areas = pd.DataFrame(columns=["code", "name", "force", "geometry"])
    if boundaries_held(s.con):
        areas = s.df("SELECT code, name, force, geometry FROM boundary WHERE kind = 'pfa' AND "
                     "coalesce(force, '') <> $force ORDER BY code", {"force": s.scope.force})
        areas["geometry"] = [shapely.from_wkb(bytes(g)) for g in areas["geometry"]]
    x, y = _TO_BNG.transform(points["longitude"].to_numpy(float), points["latitude"].to_numpy(float))
    found, how = resolve_points(x, y, areas)
    points["force_area_code"] = [areas["code"].iloc[i] if i >= 0 else None for i in found]
    points["force_area_name"] = [areas["name"].iloc[i] if i >= 0 else "no force area held" for i in found]
    points["neighbouring_force"] = [areas["force"].iloc[i] if i >= 0 else None for i in found]
    points["resolved_by"] = how
    table = (points.groupby(["force_area_code", "force_area_name", "neighbouring_force", "resolved_by"], dropna=False)
             .agg(crimes=("crimes", "sum"), points=("crimes", "size"), lsoas=("lsoa_code", "nunique")).reset_index())
    return table.sort_values(["crimes", "force_area_name"], ascending=[False, True]).reset_index(drop=True)[COLUMNS]


def out_of_force(warehouse_file: str | Path | None, scope: Scope) -> pd.DataFrame:
    """Located crimes of the period published in LSOAs outside the force's own area, by the force area their
    point falls in. Columns: force_area_code, force_area_name, neighbouring_force (slug), resolved_by ('inside':
    the point is inside that force area; 'nearest': in none, nearest within NEAREST_FORCE_AREA_M; 'none': no
    force area near it or none held), crimes, points, lsoas. Most crimes first."""
    with session(warehouse_file, scope) as s:
        return out_of_force_in(s)
