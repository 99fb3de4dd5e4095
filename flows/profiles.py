"""Profile flows: a problem or subject profile built from an agreed terms of reference, and the scheduled
re-draft of every open profile (each tactical cycle by default) as a new version saying what changed.

Steps are plain functions from tasks.tasking_loop.profiles; a refused build (ToR not agreed, profile closed)
fails the run with that message.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from pydantic import Field

from flows.engine import flow, in_prefect_run, log, step
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.config import load_config
from tasking.warehouse import warehouse_path
from tasks.tasking_loop.profiles import build_from_tor, refresh_open

build_from_tor_step = step(build_from_tor, name="build-profile-from-tor")
refresh_open_step = step(refresh_open, name="refresh-open-profiles")


def _where(config_path: str | None, warehouse: str | None, store_dir: str | None):
    """The warehouse and product store: from the config (deployments), or as a command gave them (config_path None:
    --warehouse/--store, else their defaults)."""
    if config_path is None:
        return warehouse_path(warehouse), store_dir
    config = load_config(config_path)  # plain: reading a file needs no Prefect task (or server)
    return config.warehouse_file, config.product_dir


def _publish(key: str, rows: list[dict], description: str) -> None:
    if in_prefect_run():
        from prefect.artifacts import create_table_artifact

        create_table_artifact(key=key, table=rows, description=description)


@flow(name="profile-from-tor", **RECORDING_HOOKS)
def profile_from_tor_flow(
    tor_id: Annotated[str, Field(pattern=r"^ToR-\d{4,}$", description="an agreed terms of reference, e.g. ToR-0001")],
    config_path: str | None = "tasking.yaml",
    warehouse: str | None = None,
    store_dir: str | None = None,
    force_new: bool = False,
) -> dict:
    """A DRAFT profile (the next version) from an agreed terms of reference; refused when it is not agreed.
    `warehouse`/`store_dir` are used when `config_path` is None (the command line)."""
    warehouse_file, store = _where(config_path, warehouse, store_dir)
    with recorded_run(warehouse_file) as run:
        built = build_from_tor_step(warehouse_file, tor_id, store_dir=store, force_new=force_new)
        run.summary = (f"drafted {built.version_id} as {built.profile_id} v{built.version} from {tor_id}" if built.drafted
                       else f"{built.profile_id} not drafted again: {built.changes[0]}")
        _publish("profile-from-tor", [{"profile": built.profile_id, "version": built.version_id,
                                       "changes": " ".join(built.changes)}], run.summary)
        return asdict(built)


@flow(name="profile-refresh", **RECORDING_HOOKS)
def profile_refresh_flow(config_path: str | None = "tasking.yaml", force: str | None = None,
                         warehouse: str | None = None, store_dir: str | None = None) -> list[dict]:
    """Re-draft every open profile (of `force`, or all) as its next version; closed profiles are left as they are.
    Returns each open profile's outcome (drafted, or not because nothing new was published); fails after trying
    them all when any could not be re-drafted."""
    warehouse_file, store = _where(config_path, warehouse, store_dir)
    with recorded_run(warehouse_file) as run:
        drafted, failures = refresh_open_step(warehouse_file, force=force, store_dir=store)
        for failure in failures:
            log().warning("profile not re-drafted: %s", failure)
        new = [d for d in drafted if d.drafted]
        run.summary = (f"re-drafted {len(new)} open profiles"
                       + (": " + ", ".join(f"{d.profile_id} v{d.version}" for d in new) if new else "")
                       + (f"; {len(drafted) - len(new)} unchanged (no new data)" if len(new) < len(drafted) else "")
                       + (f"; {len(failures)} failed" if failures else ""))
        _publish("profile-refresh", [{"profile": d.profile_id, "version": d.version_id, "changes": " ".join(d.changes)}
                                     for d in drafted], run.summary)
        if failures:
            raise RuntimeError("profiles not re-drafted: " + "; ".join(failures))
        return [asdict(d) for d in drafted]
