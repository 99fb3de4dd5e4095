"""SYNTHETIC boundary files for the fictional area of sources/synthetic.py, in the ONS GeoJSON layout.

The generator assigns each snap point to the nearest 2011 LSOA centre on its own side of the force boundary, and
to the nearest 2021 child centre within a split LSOA; the polygons here are exactly those regions (Voronoi
cells of the centres, clipped to the force's box or its neighbouring district's box, and for a split LSOA to
its parent), so every published point lies in the polygon of the LSOA it is published under. A merged 2021
LSOA is the union of its two parents. Force areas: the force's box and the neighbouring district's box, each a
fictional force (`force` property: the slug its crimes would carry).

Written as GeoJSON in WGS84 longitude/latitude (like the ONS files the project reads), with the properties
LSOA11CD/LSOA11NM, LSOA21CD/LSOA21NM and PFA23CD/PFA23NM/force; every name says SYNTHETIC.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

BOX_KM = 12.5             # the force: x and y within +-BOX_KM of its centre
BORDER_X_KM = 12.7        # the force boundary with the neighbouring district, east of the force
NEIGHBOUR_EAST_KM = 36.0  # the neighbouring district's far edge


def _cells(centres: np.ndarray, region) -> list:
    """The Voronoi cell of each centre, clipped to `region`, in the order of the centres."""
    if len(centres) == 1:
        return [region]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=region, ordered=True)
    return [shapely.intersection(cell, region) for cell in shapely.get_parts(cells)]


def _lonlat(geometry, origin) -> dict:
    """GeoJSON geometry in longitude/latitude from km east/north of the centre (6 decimals, as the crimes)."""
    lat0, lon0, km_per_lon, km_per_lat = origin
    moved = shapely.transform(geometry, lambda xy: np.column_stack([lon0 + xy[:, 0] / km_per_lon,
                                                                    lat0 + xy[:, 1] / km_per_lat]))
    return json.loads(shapely.to_geojson(shapely.set_precision(moved, 1e-6)))


def _collection(name: str, features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "name": name,
                       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                       "features": features}, separators=(",", ":")).encode("utf-8")


def boundary_files(area) -> dict[str, bytes]:
    """{file name: GeoJSON bytes} for the area's 2011 and 2021 LSOAs and the two force areas."""
    force_box = shapely.box(-BOX_KM, -BOX_KM, BORDER_X_KM, BOX_KM)
    # Taller than the force: the generator's noise puts a few boundary points just north or south of it. Its
    # western edge carries the force's two eastern corners, so the shared border is the same segments in both
    # polygons after projection (a straight edge in degrees is not one on the National Grid).
    tall = BOX_KM + 2.5
    neighbour_box = shapely.Polygon([(BORDER_X_KM, -tall), (NEIGHBOUR_EAST_KM, -tall), (NEIGHBOUR_EAST_KM, tall),
                                     (BORDER_X_KM, tall), (BORDER_X_KM, BOX_KM), (BORDER_X_KM, -BOX_KM)])
    inside = np.asarray(area.l11_in_force, dtype=bool)
    polygons11: list = [None] * len(area.l11_code)
    for mask, region in ((inside, force_box), (~inside, neighbour_box)):
        index = np.flatnonzero(mask)
        for i, cell in zip(index, _cells(area.l11_xy[index], region)):
            polygons11[i] = cell
    polygons21 = []
    for k, parents in enumerate(area.l21_parents):
        if len(parents) > 1:
            polygons21.append(shapely.union_all([polygons11[i] for i in parents]))
            continue
        parent = parents[0]
        siblings = [j for j, p in enumerate(area.l21_parents) if p == [parent]]
        if len(siblings) == 1:
            polygons21.append(polygons11[parent])
        else:
            cells = _cells(area.l21_xy[siblings], polygons11[parent])
            polygons21.append(cells[siblings.index(k)])
    origin = area.origin
    lsoa11 = [{"type": "Feature", "properties": {"LSOA11CD": code, "LSOA11NM": name}, "geometry": _lonlat(g, origin)}
              for code, name, g in sorted(zip(area.l11_code, area.l11_name, polygons11))]
    lsoa21 = [{"type": "Feature", "properties": {"LSOA21CD": code, "LSOA21NM": name}, "geometry": _lonlat(g, origin)}
              for code, name, g in sorted(zip(area.l21_code, area.l21_name, polygons21))]
    codes = area.codes
    forces = [
        {"type": "Feature", "properties": {"PFA23CD": codes.pfa, "PFA23NM": area.force_label.replace(" Police", ""),
                                           "force": area.force}, "geometry": _lonlat(force_box, origin)},
        {"type": "Feature", "properties": {"PFA23CD": codes.neighbour_pfa,
                                           "PFA23NM": f"{area.neighbour_label} (SYNTHETIC)",
                                           "force": codes.neighbour_force}, "geometry": _lonlat(neighbour_box, origin)},
    ]
    prefix = f"SYNTHETIC_{area.force}"
    return {f"{prefix}_LSOA11.geojson": _collection(f"{prefix}_LSOA11", lsoa11),
            f"{prefix}_LSOA21.geojson": _collection(f"{prefix}_LSOA21", lsoa21),
            f"{prefix}_force_areas.geojson": _collection(f"{prefix}_force_areas", forces)}


def write_boundary_files(area, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in boundary_files(area).items():
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return written
