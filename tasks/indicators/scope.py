"""What an indicator is computed over (force, area, period, crime types) and the per-connection tables every
indicator reads: the street crimes in scope, LSOA reference data resolved for 2011 and 2021 codes, and the
residents of the area.

Every value from a Scope reaches SQL as a bound parameter; the only SQL text that varies is chosen from the
fixed fragments below by the *kind* of area, never built from the values themselves.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from tasking import warehouse

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ScopeError(ValueError):
    """A scope that cannot be computed (bad month, two areas at once, unreadable polygon)."""


def parse_month(text: str | date) -> date:
    """'YYYY-MM' (or a date) -> first day of that month."""
    if isinstance(text, date):
        return date(text.year, text.month, 1)
    match = _MONTH.match(str(text).strip())
    if not match:
        raise ScopeError(f"month {text!r} is not YYYY-MM")
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """Number of months from `first` to `last` inclusive."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


@dataclass(frozen=True)
class Scope:
    """Force, area, period and crime types of one set of indicators.

    Area: give at most one of `lsoa_codes` (2011 or 2021 LSOA codes), `local_authority` (LAD 2019 code or
    name, matched without regard to case), `bbox` (min_lon, min_lat, max_lon, max_lat, WGS84) or
    `polygon_wkt` (a WKT Polygon/MultiPolygon in WGS84 longitude/latitude); none means the whole force.
    `crime_types` empty means every crime type.
    """

    force: str
    period_from: str | date
    period_to: str | date
    crime_types: tuple[str, ...] = ()
    lsoa_codes: tuple[str, ...] = ()
    local_authority: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    polygon_wkt: str | None = None
    _polygon: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "period_from", parse_month(self.period_from))
        object.__setattr__(self, "period_to", parse_month(self.period_to))
        # A lone string is one value, not a sequence of characters.
        for name in ("crime_types", "lsoa_codes"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        if not self.force:
            raise ScopeError("force is required")
        if self.period_to < self.period_from:
            raise ScopeError(f"period ends ({self.period_to:%Y-%m}) before it starts ({self.period_from:%Y-%m})")
        given = [name for name, value in (("lsoa_codes", self.lsoa_codes), ("local_authority", self.local_authority),
                                          ("bbox", self.bbox), ("polygon_wkt", self.polygon_wkt)) if value]
        if len(given) > 1:
            raise ScopeError(f"give one area at most, not {' and '.join(given)}")
        if self.bbox is not None:
            if len(self.bbox) != 4:
                raise ScopeError("bbox is (min_lon, min_lat, max_lon, max_lat)")
            bbox = tuple(float(v) for v in self.bbox)
            if bbox[0] > bbox[2] or bbox[1] > bbox[3]:
                raise ScopeError(f"bbox {bbox}: minimum above maximum")
            object.__setattr__(self, "bbox", bbox)
        if self.polygon_wkt:
            object.__setattr__(self, "_polygon", _read_polygon(self.polygon_wkt))

    @property
    def area_kind(self) -> str:
        """force | lsoa | local_authority | bbox | polygon"""
        if self.lsoa_codes:
            return "lsoa"
        if self.local_authority:
            return "local_authority"
        if self.bbox:
            return "bbox"
        if self.polygon_wkt:
            return "polygon"
        return "force"

    @property
    def area_label(self) -> str:
        """A short human label for the area, for titles and output file names."""
        kind = self.area_kind
        if kind == "lsoa":
            return f"{len(self.lsoa_codes)} LSOAs" if len(self.lsoa_codes) > 3 else "LSOA " + ", ".join(self.lsoa_codes)
        if kind == "local_authority":
            return f"local authority {self.local_authority}"
        if kind == "bbox":
            return "bounding box " + ", ".join(f"{v:.5f}" for v in self.bbox)
        if kind == "polygon":
            return "polygon"
        return f"whole force ({self.force})"

    @property
    def months(self) -> int:
        return months_between(self.period_from, self.period_to)

    @property
    def previous_period(self) -> tuple[date, date]:
        """The period of equal length immediately before this one."""
        return add_months(self.period_from, -self.months), add_months(self.period_from, -1)

    @property
    def year_earlier_period(self) -> tuple[date, date]:
        return add_months(self.period_from, -12), add_months(self.period_to, -12)

    def shifted(self, period_from: date, period_to: date) -> "Scope":
        """The same force, area and crime types over another period."""
        return Scope(self.force, period_from, period_to, self.crime_types, self.lsoa_codes, self.local_authority,
                     self.bbox, self.polygon_wkt)

    @classmethod
    def from_area_text(cls, force: str, period_from: str, period_to: str, area: str | None = None,
                       crime_types: tuple[str, ...] = ()) -> "Scope":
        """Build a scope from the command-line area syntax:

        `lsoa:E01000001,E01000002` | `la:Newcastle upon Tyne` (or `la:E08000021`) |
        `bbox:min_lon,min_lat,max_lon,max_lat` | `wkt:POLYGON((lon lat, ...))` | empty for the whole force.
        """
        if not area:
            return cls(force, period_from, period_to, crime_types)
        kind, _, value = area.partition(":")
        kind = kind.strip().lower()
        value = value.strip()
        if not value:
            raise ScopeError(f"area {area!r}: expected KIND:VALUE (lsoa:, la:, bbox:, wkt:)")
        if kind == "lsoa":
            codes = tuple(code.strip() for code in value.split(",") if code.strip())
            return cls(force, period_from, period_to, crime_types, lsoa_codes=codes)
        if kind == "la":
            return cls(force, period_from, period_to, crime_types, local_authority=value)
        if kind == "bbox":
            try:
                numbers = tuple(float(v) for v in value.split(","))
            except ValueError as error:
                raise ScopeError(f"area {area!r}: bbox needs four numbers") from error
            return cls(force, period_from, period_to, crime_types, bbox=numbers)
        if kind == "wkt":
            return cls(force, period_from, period_to, crime_types, polygon_wkt=value)
        raise ScopeError(f"area {area!r}: unknown kind {kind!r} (use lsoa:, la:, bbox: or wkt:)")


def _read_polygon(wkt: str):
    import shapely
    from shapely.errors import ShapelyError

    try:
        shape = shapely.from_wkt(wkt)
    except (ShapelyError, ValueError, TypeError) as error:
        raise ScopeError(f"polygon is not readable WKT ({error})") from error
    if shape is None or shape.geom_type not in ("Polygon", "MultiPolygon") or shape.is_empty:
        raise ScopeError(f"polygon must be a non-empty WKT Polygon or MultiPolygon, got {getattr(shape, 'geom_type', None)}")
    if not shape.is_valid:
        raise ScopeError("polygon is not valid (it crosses itself)")
    return shape


# Every LSOA code the police data may carry, with population and IoD 2019 fields. 2011 codes come straight from
# `lsoa`; a 2021 code that is not also a 2011 code gets the mid-2015 residents of its 2011 parents apportioned by
# the share of each parent that went into it (prop_21_of_11: 1 for merges, the split share for splits), and the
# IoD fields of the parent contributing most of it (largest prop_11_of_21).
LSOA_RESOLVED_SQL = """
CREATE OR REPLACE TEMP TABLE lsoa_resolved AS
SELECT lsoa11_code AS lsoa_code, lsoa11_name AS lsoa_name, lsoa11_code AS iod_lsoa11_code,
       CAST(population_total AS DOUBLE) AS population, '2011 LSOA, mid-2015 residents' AS population_basis,
       lad19_code, lad19_name, imd_rank, imd_decile, income_decile, employment_decile, education_decile,
       health_decile, crime_decile, housing_decile, living_environment_decile
FROM lsoa
UNION ALL
SELECT k.lsoa21_code, NULL, arg_max(l.lsoa11_code, k.prop_11_of_21),
       sum(l.population_total * k.prop_21_of_11), '2021 LSOA, mid-2015 residents of 2011 parents apportioned',
       arg_max(l.lad19_code, k.prop_11_of_21), arg_max(l.lad19_name, k.prop_11_of_21),
       arg_max(l.imd_rank, k.prop_11_of_21), arg_max(l.imd_decile, k.prop_11_of_21),
       arg_max(l.income_decile, k.prop_11_of_21), arg_max(l.employment_decile, k.prop_11_of_21),
       arg_max(l.education_decile, k.prop_11_of_21), arg_max(l.health_decile, k.prop_11_of_21),
       arg_max(l.crime_decile, k.prop_11_of_21), arg_max(l.housing_decile, k.prop_11_of_21),
       arg_max(l.living_environment_decile, k.prop_11_of_21)
FROM lsoa_lookup k JOIN lsoa l ON l.lsoa11_code = k.lsoa11_code
WHERE k.lsoa21_code NOT IN (SELECT lsoa11_code FROM lsoa)
GROUP BY k.lsoa21_code
"""

_STREET_COLUMNS = ("crime_id, month, longitude, latitude, location, lsoa_code, lsoa_name, crime_type, "
                   "last_outcome_category, context")

# The area condition for each kind of area; the values are always parameters.
_AREA_CONDITION = {
    "force": "TRUE",
    "lsoa": "lsoa_code IN (SELECT unnest($lsoa_codes))",
    "local_authority": ("lsoa_code IN (SELECT lsoa_code FROM lsoa_resolved "
                        "WHERE lad19_code = $local_authority OR lower(lad19_name) = lower($local_authority))"),
    "bbox": "longitude BETWEEN $min_lon AND $max_lon AND latitude BETWEEN $min_lat AND $max_lat",
    "polygon": ("EXISTS (SELECT 1 FROM polygon_points p "
                "WHERE p.longitude = street_crime.longitude AND p.latitude = street_crime.latitude)"),
}

# A force's own area, for its residents: the local authorities in which its published crimes touch at least
# half of the 2011 LSOAs (snapping puts a few crimes in neighbouring authorities; those are not the force's
# area). A 2021 code touches the 2011 LSOA it lies in (for a merge, its main parent).
FORCE_AUTHORITIES_SQL = """
SELECT r.lad19_code FROM lsoa_resolved r
LEFT JOIN (
    SELECT DISTINCT coalesce(p.iod_lsoa11_code, c.lsoa_code) AS lsoa_code
    FROM street_crime c LEFT JOIN lsoa_resolved p ON p.lsoa_code = c.lsoa_code WHERE c.force = $force
) s USING (lsoa_code)
WHERE r.population_basis LIKE '2011%'
GROUP BY r.lad19_code
HAVING count(s.lsoa_code) >= 0.5 * count(*)
"""

_AREA_LSOAS = {
    "force": f"SELECT lsoa_code FROM lsoa_resolved WHERE population_basis LIKE '2011%' AND lad19_code IN ({FORCE_AUTHORITIES_SQL})",
    "lsoa": "SELECT lsoa_code FROM lsoa_resolved WHERE lsoa_code IN (SELECT unnest($lsoa_codes))",
    "local_authority": ("SELECT lsoa_code FROM lsoa_resolved WHERE population_basis LIKE '2011%' AND "
                        "(lad19_code = $local_authority OR lower(lad19_name) = lower($local_authority))"),
}


def _params_for(scope: Scope, sql: str) -> dict:
    """The named parameters of `sql` that the scope supplies."""
    values = {
        "force": scope.force,
        "crime_types": list(scope.crime_types),
        "lsoa_codes": list(scope.lsoa_codes),
        "local_authority": scope.local_authority,
    }
    if scope.bbox:
        values.update(zip(("min_lon", "min_lat", "max_lon", "max_lat"), scope.bbox))
    return {name: value for name, value in values.items() if f"${name}" in sql}


class IndicatorSession:
    """One open warehouse connection prepared for a scope.

    Temp tables built once here and read by every indicator:
    - `lsoa_resolved`: see LSOA_RESOLVED_SQL.
    - `scoped_street`: street crimes of the force, area and crime types, ALL months held (indicators pick their
      months: baselines and seasonality need months before the period).
    - `area_lsoa`: LSOAs whose residents form the area's population (empty for bbox and polygon areas).
    - `force_months`: months the warehouse holds street crime for this force (including a month whose file
      was loaded with no rows).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, scope: Scope):
        self.con = con
        self.scope = scope
        self._stop_search_ready = False
        # Intermediate frames several indicators share within one session (e.g. LSOA counts), computed once.
        self.memo: dict[str, pd.DataFrame] = {}
        con.execute(LSOA_RESOLVED_SQL)
        kind = scope.area_kind
        if kind == "polygon":
            self._register_polygon_points()
        condition = _AREA_CONDITION[kind]
        types_condition = "(len($crime_types) = 0 OR crime_type IN (SELECT unnest($crime_types)))"
        sql = (f"CREATE OR REPLACE TEMP TABLE scoped_street AS SELECT {_STREET_COLUMNS} FROM street_crime "
               f"WHERE force = $force AND {types_condition} AND {condition}")
        con.execute(sql, _params_for(scope, sql))
        area_sql = _AREA_LSOAS.get(kind)
        if area_sql:
            sql = f"CREATE OR REPLACE TEMP TABLE area_lsoa AS {area_sql}"
            con.execute(sql, _params_for(scope, sql))
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE area_lsoa (lsoa_code VARCHAR)")
        # A month is held when street rows were loaded for it, or a file for it was loaded with no rows at all.
        con.execute("CREATE OR REPLACE TEMP TABLE force_months AS SELECT DISTINCT month FROM street_crime WHERE force = $force"
                    " UNION SELECT month FROM ingest_log WHERE kind = 'street' AND force = $force"
                    " AND status IN ('loaded', 'replaced', 'unchanged')", {"force": scope.force})

    def _register_polygon_points(self) -> None:
        """Published points of the force that fall inside the polygon (shapely; DuckDB's spatial extension
        needs a download)."""
        import numpy as np
        import shapely

        points = self.con.execute(
            "SELECT DISTINCT longitude, latitude FROM street_crime WHERE force = $force AND longitude IS NOT NULL"
            " UNION SELECT DISTINCT longitude, latitude FROM stop_search WHERE force = $force AND longitude IS NOT NULL",
            {"force": self.scope.force},
        ).df()
        inside = shapely.contains_xy(self.scope._polygon, points["longitude"].to_numpy(), points["latitude"].to_numpy())
        self.con.register("polygon_points", points[np.asarray(inside, dtype=bool)].reset_index(drop=True))

    def scoped_stop_search(self) -> str:
        """Build (once) and name the temp table of the force's searches in the area, all months.

        Searches carry coordinates but no LSOA: for an LSOA or local-authority area a search is in the area when
        it was published at a map point where the force's street crimes of that area are published (both are
        snapped to the same anonymous points); searches at points with no such crime are missed.
        """
        if not self._stop_search_ready:
            kind = self.scope.area_kind
            if kind in ("lsoa", "local_authority"):
                points_sql = ("CREATE OR REPLACE TEMP TABLE area_points AS SELECT DISTINCT longitude, latitude "
                              f"FROM street_crime WHERE force = $force AND longitude IS NOT NULL AND {_AREA_CONDITION[kind]}")
                self.con.execute(points_sql, _params_for(self.scope, points_sql))
                condition = ("EXISTS (SELECT 1 FROM area_points p "
                             "WHERE p.longitude = stop_search.longitude AND p.latitude = stop_search.latitude)")
            else:
                condition = _AREA_CONDITION[kind].replace("street_crime.", "stop_search.")
            sql = f"CREATE OR REPLACE TEMP TABLE scoped_stop_search AS SELECT * FROM stop_search WHERE force = $force AND {condition}"
            self.con.execute(sql, _params_for(self.scope, sql))
            self._stop_search_ready = True
        return "scoped_stop_search"

    def shared(self, key: str, compute) -> pd.DataFrame:
        """`compute(self)` once per session; later calls get the same frame (treat it as read-only)."""
        if key not in self.memo:
            self.memo[key] = compute(self)
        return self.memo[key]

    def df(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def period_params(self, period_from: date | None = None, period_to: date | None = None) -> dict:
        return {"period_from": period_from or self.scope.period_from, "period_to": period_to or self.scope.period_to}

    def area_population(self) -> float | None:
        """Residents of the area (mid-2015, see method_notes); None for bbox and polygon areas."""
        if self.scope.area_kind in ("bbox", "polygon"):
            return None
        value = self.con.execute(
            "SELECT sum(population) FROM lsoa_resolved WHERE lsoa_code IN (SELECT lsoa_code FROM area_lsoa)"
        ).fetchall()[0][0]
        return float(value) if value is not None else None

    def crime_types(self) -> list[str]:
        """The crime types reported on: those asked for, else every type the force has in the area."""
        if self.scope.crime_types:
            return sorted(self.scope.crime_types)
        return [row[0] for row in self.con.execute("SELECT DISTINCT crime_type FROM scoped_street ORDER BY 1").fetchall()]

    def months_held(self, period_from: date, period_to: date) -> int:
        return self.con.execute(
            "SELECT count(*) FROM force_months WHERE month BETWEEN ? AND ?", [period_from, period_to]
        ).fetchall()[0][0]


@contextmanager
def session(warehouse_file: str | Path | None, scope: Scope) -> Iterator[IndicatorSession]:
    """Open the warehouse read-only and prepare it for `scope`."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        yield IndicatorSession(con, scope)


def method_notes() -> list[str]:
    """Statements of method and approximation that every product using these indicators must print."""
    return [
        "Rates per 1,000 residents use the IoD 2019 mid-2015 population (excluding prisoners) of each 2011 LSOA. "
        "Where data.police.uk gives a 2021 LSOA code, its residents are the mid-2015 residents of its 2011 parent "
        "LSOAs apportioned by the share of each parent the LSOA 2011->2021 lookup assigns to it; its deprivation "
        "is that of the parent contributing most of its residents. LSOA tables for a whole force or local authority "
        "count such crimes in that 2011 parent instead. Both are approximations.",
        "A whole force's residents are those of the local authorities in which its published crimes fall in at "
        "least half of the LSOAs; crimes snapped into neighbouring authorities count in the force's volumes but "
        "their authorities' residents do not count in its population. Bounding-box and polygon areas have no "
        "population, so no rates.",
        "Published locations are anonymised: each crime is snapped to the nearest of about 750,000 map points, so "
        "location and LSOA counts describe those points, not exact addresses; crimes with no location are counted "
        "in force totals only.",
        "Rising or falling is called only from a statistical test, never from a percentage change alone: a month "
        "against its 12-month baseline (Poisson, or negative binomial when the baseline is over-dispersed), two "
        "observed periods against each other (exact conditional binomial test with a 95% interval for the rate "
        "ratio), p-values adjusted across crime types (Benjamini-Hochberg false discovery rate; exceptional below "
        "0.01, elevated below 0.05), and never across a level shift or recording break in the series.",
    ]
