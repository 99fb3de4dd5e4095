"""Small real warehouses for the geography tests: published crimes, IoD 2019 and the ONS boundaries."""
from __future__ import annotations

from pathlib import Path

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA, REFERENCE
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

BOUNDARIES = REFERENCE / "boundaries"
NORTHUMBRIA_COUNCILS_2011 = ["E08000020", "E08000021", "E08000022", "E08000023", "E08000024", "E06000048"]
IOD = [REFERENCE / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
       REFERENCE / "File_6_-_IoD2019_Population_Denominators.csv.gz", REFERENCE / "LSOA11_LSOA21PopLookups.csv"]


def build(path: Path, force: str, months: list[str]) -> Path:
    """A warehouse holding `force`'s street crimes for `months`, IoD Files 1 and 6, the lookup, its LSOA
    boundaries and every Police Force Area (no gate: these are the tests of geography, not of the gate)."""
    if force == "city-of-london":
        crimes = [CITY_OF_LONDON / f"{m}-city-of-london-street.csv" for m in months]
        lsoas = [BOUNDARIES / "E09000001.json"]
    else:
        crimes = [NORTHUMBRIA / f"{m}-northumbria-street.csv" for m in months]
        lsoas = [BOUNDARIES / f"{code}.json" for code in NORTHUMBRIA_COUNCILS_2011]
    assert ingest_reference_paths(IOD + lsoas + [BOUNDARIES / "Police_Force_Areas.geojson"], path, gate=None).ok
    assert ingest_paths(crimes, path, gate=None).ok
    return path
