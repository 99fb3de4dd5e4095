"""Shared test fixtures. Paths to the real public data are in shared_paths.py (tests/ is on pytest's pythonpath)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared_paths import SHARED_DATA

# The CLI's Rich console fixes its width when it is created: tests read its output as a wide terminal shows it,
# whichever test happens to import the CLI first.
os.environ["COLUMNS"] = "250"

# The subject store is encrypted with a key from the environment (tasks/subjects.py); tests use a throwaway one.
if not os.environ.get("TASKING_SUBJECTS_KEY"):
    from cryptography.fernet import Fernet

    os.environ["TASKING_SUBJECTS_KEY"] = Fernet.generate_key().decode("ascii")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the real public data must sit beside the project as ../shared/data")
    return SHARED_DATA


@pytest.fixture
def warehouse_file(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"
