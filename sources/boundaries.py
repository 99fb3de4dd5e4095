"""Reader for boundary files: ONS LSOA 2011 and 2021 polygons and Police Force Areas.

Any format GDAL reads through pyogrio (GeoJSON, ESRI Shapefile, GeoPackage), in any declared CRS; every polygon
is reprojected to the British National Grid (EPSG:27700) so areas and distances are in metres. The kind of file
is recognised by its fields, not its name: `LSOA11CD`/`LSOA11NM`, `LSOA21CD`/`LSOA21NM`, or `PFAyyCD`/`PFAyyNM`
(any year). A Police Force Area also gets the data.police.uk force slug it belongs to (`force_slug`), or the
file's own `force` field when it has one (the SYNTHETIC force areas do).

Products that draw these polygons must carry `ATTRIBUTION`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sources.police_uk import SourceError

BNG = "EPSG:27700"
BOUNDARY_SUFFIXES = (".json", ".geojson", ".shp", ".gpkg")
ATTRIBUTION = ("Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
               "Contains OS data (c) Crown copyright and database right.")

# kind -> (code field, name field) patterns, case-insensitive
_FIELDS = (
    ("lsoa11", re.compile(r"^lsoa11cd$", re.I), re.compile(r"^lsoa11nm$", re.I)),
    ("lsoa21", re.compile(r"^lsoa21cd$", re.I), re.compile(r"^lsoa21nm$", re.I)),
    ("pfa", re.compile(r"^pfa\d\dcd$", re.I), re.compile(r"^pfa\d\dnm$", re.I)),
)
# What a well-formed code of each kind looks like (England E, Wales W); the gate checks the same patterns.
CODE_PATTERNS = {"lsoa11": r"[EW]01[0-9]{6}", "lsoa21": r"[EW]01[0-9]{6}", "pfa": r"(E23|W15)[0-9]{6}"}

# Police Force Area names whose data.police.uk slug is not simply the name in lower case with hyphens.
_SLUG_EXCEPTIONS = {"metropolitan police": "metropolitan", "london, city of": "city-of-london"}


def force_slug(pfa_name: str) -> str:
    """'Northumbria' -> 'northumbria'; 'London, City of' -> 'city-of-london'; 'Devon & Cornwall' ->
    'devon-and-cornwall'; 'Metropolitan Police' -> 'metropolitan' (data.police.uk's force identifiers)."""
    name = pfa_name.strip().lower()
    if name in _SLUG_EXCEPTIONS:
        return _SLUG_EXCEPTIONS[name]
    name = name.replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-")


@dataclass
class BoundaryFile:
    path: Path
    kind: str                 # lsoa11 | lsoa21 | pfa
    source_crs: str
    frame: pd.DataFrame       # code, name, force, geometry (shapely, EPSG:27700)


def _read_frame(path: Path, what: str):
    """The file's features as a GeoDataFrame in its declared CRS; a SourceError naming the file otherwise."""
    import geopandas
    import pyogrio.errors

    if not path.is_file():
        raise SourceError(str(path), "no such file")
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as error:
        raise SourceError(str(path), f"not a readable {what} file ({str(error).splitlines()[0][:200]})") from error
    if frame.crs is None and not frame.empty:
        raise SourceError(str(path), "declares no coordinate reference system (add a .prj or a GeoJSON crs)")
    return frame


def is_boundary_file(path: Path) -> bool:
    return path.name.lower().endswith(BOUNDARY_SUFFIXES)


def _identify(path: Path, columns: list[str]) -> tuple[str, str, str | None]:
    for kind, code_re, name_re in _FIELDS:
        code = next((c for c in columns if code_re.match(c)), None)
        if code:
            return kind, code, next((c for c in columns if name_re.match(c)), None)
    raise SourceError(str(path), "fields match no boundary kind: expected LSOA11CD, LSOA21CD or PFAyyCD "
                                 f"(fields: {[c for c in columns if c != 'geometry'][:8]})")


def read_boundary_file(path: str | Path) -> BoundaryFile:
    """Read one boundary file into British National Grid polygons; a clear `SourceError` naming the file when
    it cannot be read, has no CRS, or has none of the expected code fields."""
    path = Path(path)
    frame = _read_frame(path, "boundary")
    if frame.empty:
        raise SourceError(str(path), "holds no features")
    kind, code_field, name_field = _identify(path, list(frame.columns))
    source_crs = frame.crs.to_string()
    projected = frame.to_crs(BNG)
    force_field = next((c for c in frame.columns if c.lower() == "force"), None)
    names = projected[name_field].astype("string") if name_field else pd.Series(pd.NA, index=projected.index, dtype="string")
    if kind == "pfa":
        forces = (projected[force_field].astype("string") if force_field
                  else names.map(lambda n: force_slug(n) if isinstance(n, str) else pd.NA))
    else:
        forces = pd.Series(pd.NA, index=projected.index, dtype="string")
    out = pd.DataFrame({
        "code": projected[code_field].astype("string").str.strip(),
        "name": names,
        "force": forces.astype("string"),
        "geometry": projected.geometry.to_numpy(),
    })
    return BoundaryFile(path=path, kind=kind, source_crs=source_crs, frame=out)


def _repair(geometry):
    """(geometry, note): a polygon whose only fault is a ring touching itself at a point (the published ONS
    generalised files have a few) is rebuilt by shapely.make_valid when that keeps its area to a millionth;
    anything else is left as it is, for the gate to reject."""
    import shapely

    fixed = shapely.make_valid(geometry)
    if fixed.geom_type == "GeometryCollection":
        fixed = shapely.union_all([part for part in fixed.geoms if part.geom_type in ("Polygon", "MultiPolygon")])
    if (fixed.geom_type in ("Polygon", "MultiPolygon") and geometry.area > 0
            and abs(fixed.area - geometry.area) <= 1e-6 * geometry.area):
        return fixed, "repaired losslessly: " + shapely.is_valid_reason(geometry)
    return geometry, shapely.is_valid_reason(geometry)


def staging_frame(boundaries: BoundaryFile) -> pd.DataFrame:
    """The columns the boundary gate checks: the stored ones plus each geometry's type, validity, and what was
    wrong with it (or repaired)."""
    import shapely

    rows = []
    for geometry in boundaries.frame["geometry"]:
        if geometry is None or (not isinstance(geometry, shapely.Geometry)) or geometry.is_empty:
            rows.append((None, False, False, "no geometry", 0.0, None))
            continue
        repaired, note = False, None
        if not geometry.is_valid:
            geometry, note = _repair(geometry)
            repaired = geometry.is_valid
        rows.append((geometry.geom_type, geometry.is_valid, repaired, note, geometry.area / 1e6,
                     shapely.to_wkb(geometry)))
    checked = pd.DataFrame(rows, columns=["geometry_type", "geometry_valid", "geometry_repaired", "geometry_problem",
                                          "area_km2", "geometry"])
    head = pd.DataFrame({"kind": boundaries.kind, "code": boundaries.frame["code"], "name": boundaries.frame["name"],
                         "force": boundaries.frame["force"]})
    return pd.concat([head.reset_index(drop=True), checked], axis=1)


def read_area_polygon(path: str | Path):
    """The union of every polygon in a file (any format and CRS pyogrio reads), in WGS84 longitude/latitude:
    the area of a problem profile drawn by an analyst. A clear `SourceError` naming the file otherwise."""
    import shapely

    path = Path(path)
    frame = _read_frame(path, "polygon")
    polygons = frame[frame.geometry.notna() & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise SourceError(str(path), f"holds no polygon (geometry types: {sorted(set(frame.geom_type.dropna()))})")
    merged = shapely.union_all(polygons.to_crs("EPSG:4326").geometry.to_numpy())
    if not merged.is_valid:
        merged = shapely.make_valid(merged)
    return merged
