"""Shared test fixtures: where the real public data lives (never copied into the project)."""
from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
POLICE_UK = SHARED_DATA / "police-uk"
CITY_OF_LONDON = POLICE_UK / "city-of-london"
NORTHUMBRIA = POLICE_UK / "northumbria"
REFERENCE = SHARED_DATA / "reference"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the real public data must sit beside the project as ../shared/data")
    return SHARED_DATA


@pytest.fixture
def warehouse_file(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"
