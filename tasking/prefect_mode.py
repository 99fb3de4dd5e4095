"""Whether flows run through Prefect here: an API is configured (in the environment, a Prefect profile or one of
the settings files Prefect reads), or TASKING_ORCHESTRATE says so. Decided without importing Prefect when that is
certain (importing it costs most of a second of CPU). Core: flows.engine runs flows by it, tasks.health asks it.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ORCHESTRATE_ENV = "TASKING_ORCHESTRATE"  # "always" forces Prefect even without an API URL (tests, demos); "never"


def prefect_settings_files() -> list[Path]:
    """The files from which Prefect 3.9 could read an API URL here (prefect/settings/base.py and sources.py): a
    `.env`, `prefect.toml` or `[tool.prefect]` in pyproject.toml in the working folder, and the profiles file
    ($PREFECT_PROFILES_PATH, else $PREFECT_HOME/profiles.toml, else ~/.prefect/profiles.toml) naming an API URL.
    Empty means only the environment can set one; any file found means ask Prefect itself."""
    found = []
    dotenv = Path(".env")
    if dotenv.is_file() and "prefect_" in dotenv.read_text(encoding="utf-8", errors="replace").lower():
        found.append(dotenv)
    if Path("prefect.toml").is_file():
        found.append(Path("prefect.toml"))
    pyproject = Path("pyproject.toml")
    if pyproject.is_file() and re.search(r"^\s*\[+\s*tool\.prefect\b", pyproject.read_text(encoding="utf-8", errors="replace"),
                                         re.MULTILINE):
        found.append(pyproject)
    home = Path(os.environ["PREFECT_HOME"]) if os.environ.get("PREFECT_HOME") else Path.home() / ".prefect"
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    if profiles.is_file() and "api_url" in profiles.read_text(encoding="utf-8", errors="replace").lower():
        found.append(profiles)
    return found


def orchestrated() -> bool:
    """True when flows should run through Prefect: an API is configured, or TASKING_ORCHESTRATE=always.

    Decided without importing Prefect when that is certain: the variable is set (Prefect reads environment
    names case-insensitively, and so does this), or Prefect is not loaded, no profile is chosen by PREFECT_PROFILE
    and no file it reads could set an API URL. Otherwise Prefect's own settings decide (they include
    temporary_settings in this process)."""
    mode = os.environ.get(ORCHESTRATE_ENV, "").lower()
    if mode in ("always", "never"):
        return mode == "always"
    if any(name.upper() == "PREFECT_API_URL" and value for name, value in os.environ.items()):
        return True
    # PREFECT_PROFILE may choose a profile naming an API even from Prefect's own packaged profiles ("local").
    if "prefect" not in sys.modules and not os.environ.get("PREFECT_PROFILE") and not prefect_settings_files():
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())
