"""The boundaries of an indicator's area, read from the warehouse's `boundary` table, and names a reader can find
on the ground for the hot spots.

Polygons are shapely geometries on the British National Grid (EPSG:27700), as stored. An area's LSOAs are its
residents' LSOAs (`area_lsoa`), or for a bounding box or polygon the LSOAs its crimes were published in; 2021
codes are drawn with 2021 polygons when those are held, else as their 2011 parent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import Transformer

from sources.boundaries import ATTRIBUTION
from tasks.indicators.scope import IndicatorSession

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# data.police.uk snaps crimes to anonymous map points; many carry the label of a kind of place rather than a
# street. They name no premises, and a reader cannot find "Supermarket" on a map: a hot spot is named after a
# street-like label nearby instead ("near Bishopsgate").
GENERIC_SNAP_LABELS = frozenset(label.lower() for label in (
    "Shopping Area", "Supermarket", "Parking Area", "Police Station", "Petrol Station", "Nightclub", "Hospital",
    "Conference/Exhibition Centre", "Theatre/Concert Hall", "Further/Higher Educational Building",
    "Pedestrian Subway", "Park/Open Space", "Bus/Coach Station", "Sports/Recreation Area", "Ferry Terminal",
    "Hotel/Motel", "Airport/Airfield", "Theme/Adventure Park", "Prison", "Place Of Worship", "Shopping Centre",
    "Railway Station", "Underground Station", "Metro Station", "Bus Station", "Tram Stop", "Car Park",
    "Leisure Centre", "Cinema", "Museum", "Marina", "Harbour", "Beach", "Cemetery", "Allotments",
))
NEARBY_STREET_M = 300.0  # how far from a hot spot's cell a street label may be taken from
# LSOA polygons are clipped to the coast and to river banks, so their union has a gap along a river such as the
# Tyne that would read as a force boundary; closing by 150 m bridges gaps narrower than 300 m. A small area is
# closed less (half a per cent of its width, at least 10 m), or its street-scale corners would be rounded off.
OUTLINE_CLOSING_M = 150.0
OUTLINE_CLOSING_SHARE = 0.005
_ROAD_NUMBER = re.compile(r"^[ABM][0-9]+(\(M\))?$")


def street_label(location) -> str:
    """The published location without 'On or near ', or '' when it names no street (empty, or a generic kind
    of place such as 'Supermarket')."""
    text = re.sub(r"^On or near\s*", "", str(location).strip()) if isinstance(location, str) else ""
    if not text or text.lower() in GENERIC_SNAP_LABELS or "/" in text:
        return ""
    return text


def hotspot_labels(spots: pd.DataFrame, points: pd.DataFrame, cell_size_m: float,
                   nearby_m: float = NEARBY_STREET_M) -> pd.DataFrame:
    """For each hot spot cell (`spots`: cell_x, cell_y, BNG cell centres) the street and LSOA a reader can find:

    the street of the busiest published point in the cell when that point is a street; otherwise the busiest
    street-labelled point in the cell, else the nearest within `nearby_m` of the cell centre, written
    "near <street>"; the LSOA name is that of the busiest point. `points`: longitude, latitude, location,
    lsoa_name, crimes (one row per published point). Columns: street, lsoa_name, label.
    """
    out = []
    if points.empty:
        return pd.DataFrame({"street": ["no named street"] * len(spots), "lsoa_name": [""] * len(spots),
                             "label": ["no named street"] * len(spots)}, index=spots.index)
    x, y = _TO_BNG.transform(points["longitude"].to_numpy(float), points["latitude"].to_numpy(float))
    streets = np.array([street_label(v) for v in points["location"]], dtype=object)
    # A named street reads better than a road number ("B1303") when both are at hand.
    named_street = np.array([bool(v) and not _ROAD_NUMBER.match(v) for v in streets])
    crimes = points["crimes"].to_numpy(float)
    names = points["lsoa_name"].to_numpy(object)
    half = cell_size_m / 2
    for cx, cy in zip(spots["cell_x"].to_numpy(float), spots["cell_y"].to_numpy(float)):
        inside = np.flatnonzero((np.abs(x - cx) <= half) & (np.abs(y - cy) <= half))
        busiest = inside[np.argmax(crimes[inside])] if len(inside) else None
        lsoa = str(names[busiest]) if busiest is not None and isinstance(names[busiest], str) else ""
        if busiest is not None and named_street[busiest]:
            street = streets[busiest]
        else:
            street = _nearby_street(inside, x, y, cx, cy, streets, named_street, crimes, nearby_m + half)
            if busiest is not None and street == "near " + streets[busiest]:
                street = streets[busiest]  # the busiest point's own road number was the best there is
        out.append((street, lsoa, f"{street}, {lsoa}" if lsoa else street))
    return pd.DataFrame(out, columns=["street", "lsoa_name", "label"], index=spots.index)


def _nearby_street(inside, x, y, cx, cy, streets, named_street, crimes, reach: float) -> str:
    """'near <street>': the busiest street-labelled point in the cell, else the nearest within `reach` of its
    centre; named streets before road numbers."""
    distance = np.hypot(x - cx, y - cy)
    for wanted in (named_street, streets != ""):
        in_cell = inside[wanted[inside]]
        if len(in_cell):
            return "near " + streets[in_cell[np.argmax(crimes[in_cell])]]
        around = np.flatnonzero(wanted & (distance <= reach))
        if len(around):
            return "near " + streets[around[np.argmin(distance[around])]]
    return "no named street"


@dataclass
class AreaGeography:
    """What a map of the area draws under the data."""
    lsoas: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["code", "name", "geometry"]))
    force_area: object | None = None        # shapely (Multi)Polygon, BNG: the Police Force Area as published
    force_code: str | None = None
    # What a map draws as the force boundary: the union of the force's own LSOAs when the map is of the whole
    # force and they are held (ONS's ultra-generalised force areas cut across streets at city scale), else
    # the published force area.
    force_outline: object | None = None
    attribution: str = ATTRIBUTION

    @property
    def empty(self) -> bool:
        return self.lsoas.empty and self.force_area is None


def boundaries_held(con) -> bool:
    """Whether the warehouse has the boundary table (an old read-only warehouse may predate it) with rows."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'boundary'").fetchone()[0]
    return bool(exists) and con.execute("SELECT count(*) FROM boundary").fetchone()[0] > 0


# The area's LSOA codes: its residents' LSOAs, or (bbox, polygon) those its crimes were published in.
_AREA_CODES_SQL = """
SELECT lsoa_code FROM area_lsoa
UNION SELECT DISTINCT lsoa_code FROM scoped_street
WHERE $by_crimes AND lsoa_code IS NOT NULL AND month BETWEEN $period_from AND $period_to
"""
LSOA_POLYGONS_SQL = f"""
WITH codes AS ({_AREA_CODES_SQL}),
as_2021 AS (SELECT b.code, b.name, b.geometry FROM boundary b JOIN codes c ON b.code = c.lsoa_code WHERE b.kind = 'lsoa21'),
as_2011 AS (
    SELECT DISTINCT b.code, b.name, b.geometry FROM boundary b
    JOIN lsoa_resolved r ON b.code = r.iod_lsoa11_code JOIN codes c ON r.lsoa_code = c.lsoa_code
    WHERE b.kind = 'lsoa11'
)
SELECT * FROM as_2021 UNION ALL SELECT * FROM as_2011 WHERE NOT EXISTS (SELECT 1 FROM as_2021) ORDER BY code
"""


def area_geography(s: IndicatorSession) -> AreaGeography:
    """The LSOA polygons of the session's area and its force's area, as held (empty when none are)."""
    import shapely

    if not boundaries_held(s.con):
        return AreaGeography()
    by_crimes = s.scope.area_kind in ("bbox", "polygon")
    lsoas = s.df(LSOA_POLYGONS_SQL, {"by_crimes": by_crimes, **s.period_params()})
    lsoas["geometry"] = [shapely.from_wkb(bytes(g)) for g in lsoas["geometry"]]
    force = s.con.execute("SELECT code, geometry FROM boundary WHERE kind = 'pfa' AND force = ?", [s.scope.force]).fetchone()
    force_area = shapely.from_wkb(bytes(force[1])) if force else None
    outline = force_area
    if s.scope.area_kind == "force" and not lsoas.empty:
        # Generalised LSOA polygons do not share their edges exactly, and are clipped to river banks: close the
        # slivers and rivers between them (grow, merge, shrink by OUTLINE_CLOSING_M) so only the outer
        # boundary remains.
        x0, y0, x1, y1 = shapely.total_bounds(lsoas["geometry"].to_numpy())
        closing = float(np.clip(OUTLINE_CLOSING_SHARE * max(x1 - x0, y1 - y0), 10.0, OUTLINE_CLOSING_M))
        merged = shapely.union_all(shapely.buffer(lsoas["geometry"].to_numpy(), closing))
        closed = shapely.get_parts(shapely.buffer(merged, -closing))
        # The boundary is the outer rings: a lake or a wide river reach inside the force is not a boundary.
        outline = shapely.union_all([shapely.Polygon(part.exterior) for part in closed])
    return AreaGeography(lsoas=lsoas, force_area=force_area, force_code=force[0] if force else None,
                         force_outline=outline)


# Published points of the period with their label and LSOA (a snap point has one label; mode() guards against a
# re-labelled point), busiest first.
PUBLISHED_POINTS_SQL = """
SELECT longitude, latitude, mode(location) AS location, mode(lsoa_code) AS lsoa_code, mode(lsoa_name) AS lsoa_name,
       count(*) AS crimes
FROM scoped_street
WHERE month BETWEEN $period_from AND $period_to AND longitude IS NOT NULL AND latitude IS NOT NULL
GROUP BY longitude, latitude ORDER BY crimes DESC, longitude, latitude
"""


def published_points(s: IndicatorSession, period_from=None, period_to=None) -> pd.DataFrame:
    """Columns: longitude, latitude, location, lsoa_code, lsoa_name, crimes (one row per published point)."""
    return s.df(PUBLISHED_POINTS_SQL, s.period_params(period_from, period_to))


def map_layers(geography: AreaGeography, tile_url: str | None = None, tile_attribution: str = ""):
    """The charts' MapLayers for an area: its LSOA polygons, the force boundary and the ONS attribution, with the
    configured tile base map (tasking.yaml `maps`), if any."""
    from tasks.charts import MapLayers

    return MapLayers(lsoas=list(geography.lsoas["geometry"]), force_area=geography.force_outline,
                     attribution=geography.attribution if not geography.empty else "",
                     tile_url=tile_url, tile_attribution=tile_attribution)
