"""Flow tests run against a temporary Prefect server (prefect_test_harness), started once per session.

pytest imports every conftest.py as the module `conftest`, and test modules that write `from conftest import
...` get whichever was imported last; so this one re-exports the top-level conftest's constants.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_top = importlib.util.spec_from_file_location("tasking_tests_top_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
_top_module = importlib.util.module_from_spec(_top)
_top.loader.exec_module(_top_module)
globals().update({name: value for name, value in vars(_top_module).items() if name.isupper()})


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
