"""Where the real public data lives: beside the project as ../shared/data (read in place, never copied here)."""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POLICE_UK = SHARED_DATA / "police-uk"
CITY_OF_LONDON = POLICE_UK / "city-of-london"
NORTHUMBRIA = POLICE_UK / "northumbria"
REFERENCE = SHARED_DATA / "reference"
