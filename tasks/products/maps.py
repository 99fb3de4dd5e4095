"""What a product's maps draw under the data (boundaries, attribution, the configured base map) and the names of
its hot spots, for the sections that draw maps (docs/geography.md)."""
from __future__ import annotations

import pandas as pd

from tasks.indicators import Scope
from tasks.indicators.geography import area_geography, hotspot_labels, map_layers, published_points
from tasks.products.engine import IndicatorSession

MAP_NOTE = ("Grey dots: published (snapped) crime locations. Shading: quartic kernel density. Numbered circles: the "
            "hot spots of the table, named in the key by the street of their busiest published point (\"near\" a "
            "street when that point is a kind of place such as \"Supermarket\", not a street) and their LSOA. British "
            "National Grid.")


def tile_settings() -> tuple[str | None, str]:
    """The tile base map configured in tasking.yaml (`maps.tile_url`), or none: a missing or unusable config
    file means no base map, never a failed product."""
    from tasking.config import ConfigError, load_config

    try:
        maps = load_config().maps
    except ConfigError:
        return None, ""
    return maps.tile_url, maps.tile_attribution


def layers_for(session: IndicatorSession, scope: Scope):
    """charts.MapLayers for the scope's area: its LSOA and force boundaries (when held), the ONS attribution, and
    the configured base map. Computed once per scope and build."""
    def build():
        geography = area_geography(session.scoped(scope))
        return map_layers(geography, *tile_settings()), geography

    return session.memo(("map_layers", scope), build)


def hotspot_places(session: IndicatorSession, scope: Scope, spots: pd.DataFrame, cell_size_m: float) -> pd.DataFrame:
    """spots (from common.hotspot_peaks) with `street`, `lsoa_name` and `label` ("Bishopsgate, City of London
    001F"; "near Cloth Market, Newcastle upon Tyne 024G") from the scope's published points."""
    if spots.empty:
        return spots.assign(street=pd.Series(dtype=str), lsoa_name=pd.Series(dtype=str), label=pd.Series(dtype=str))
    points = session.memo(("published_points", scope), lambda: published_points(session.scoped(scope)))
    return spots.join(hotspot_labels(spots, points, cell_size_m))


def map_note(layers) -> str:
    """The figure's note; the boundaries' attribution is printed on the map itself."""
    if layers.lsoas:
        return MAP_NOTE + " Grey lines: LSOA boundaries; dark line: the force boundary" + (
            "; dashed red line: the area of this product." if layers.area is not None else ".")
    return MAP_NOTE + " No boundary files are loaded (tasking ingest-reference), so no boundaries are drawn."
