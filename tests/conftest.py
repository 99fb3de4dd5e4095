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


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A real PostgreSQL server started for this test session (tests/postgres_server.py): its URL."""
    import postgres_server as pg

    if not pg.available():
        pytest.fail("PostgreSQL server binaries are missing: `make test` installs Debian's postgresql")
    with pg.running_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request, tmp_path) -> str:
    """A new, empty records store's URL: SQLite in the test's folder, and a fresh database on the session's
    PostgreSQL server (every test taking this fixture runs against both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite'}"
    import postgres_server as pg

    # A server store's anchors default to var/ under the working directory: never the checkout's in a test.
    request.getfixturevalue("monkeypatch").setenv("TASKING_ANCHOR", str(tmp_path / "anchors") + "/")
    return pg.fresh_database(request.getfixturevalue("postgres_server"))
