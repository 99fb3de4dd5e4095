"""How every flow run records itself in the warehouse's run table (tasks.runs), twice over.

The flow body wraps its work in `recorded_run`, which writes the run when it starts and its outcome when it
ends (with the error, if it raised). Prefect's state hooks (`RECORDING_HOOKS`, passed to `@flow`) write the
final state again: they still fire when the body could not (a crash, a cancellation), and the body's own
record still stands when a hook cannot run (a worker killed outright).
"""
from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from flows.engine import in_prefect_run, local_run, step
from tasking.config import ConfigError, TaskingConfig, load_config
from tasking.warehouse import warehouse_path
from tasks.runs import record_end, record_start

logger = logging.getLogger("tasking.recording")


@step(name="load-config")
def load_settings(config_path: str) -> TaskingConfig:
    return load_config(config_path)


def warehouse_for(parameters: dict) -> Path:
    """The warehouse a run's parameters point at: its `warehouse` parameter (None: $TASKING_WAREHOUSE or the
    default), else its config's warehouse, else the default one (also when the config cannot be read)."""
    if parameters.get("warehouse"):
        return warehouse_path(parameters["warehouse"])
    if "warehouse" in parameters and "config_path" not in parameters:  # None: the default one, as in its tasks
        return warehouse_path(None)
    try:
        return load_config(parameters.get("config_path")).warehouse_file
    except ConfigError:
        return warehouse_path(None)


@dataclass
class RunRecord:
    run_id: str
    warehouse_file: Path
    summary: str | None = None


@contextmanager
def recorded_run(warehouse_file: Path | None = None) -> Iterator[RunRecord]:
    """Record this flow run's start, then its outcome; set `.summary` to say what it did."""
    if in_prefect_run():
        from prefect.runtime import deployment, flow_run

        run_id, flow_name, deployment_name = flow_run.id, flow_run.flow_name, deployment.name
        parameters = dict(flow_run.parameters or {})
    else:  # run in-process by flows.engine.run_flow: no Prefect runtime (and Prefect not imported)
        local = local_run()
        run_id, flow_name, deployment_name = f"local-{uuid.uuid4()}", local.flow_name if local else "unknown", None
        parameters = dict(local.parameters) if local else {}
    warehouse_file = warehouse_file or warehouse_for(parameters)
    record_start(warehouse_file, run_id, flow_name, deployment_name, parameters)
    record = RunRecord(run_id, warehouse_file)
    try:
        yield record
    except BaseException as error:
        record_end(warehouse_file, run_id, "FAILED", by="flow", flow_name=flow_name, deployment=deployment_name,
                   summary=record.summary, error=f"{type(error).__name__}: {error}")
        raise
    record_end(warehouse_file, run_id, "COMPLETED", by="flow", flow_name=flow_name, deployment=deployment_name,
               summary=record.summary)


def _deployment_name(deployment_id) -> str | None:
    if deployment_id is None:
        return None
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment(deployment_id).name


def record_final_state(flow, flow_run, state) -> None:
    """Prefect state hook: write the run's final state to the run table. Never raises."""
    try:
        state_name = state.type.value
        if state_name == "CANCELLING":
            state_name = "CANCELLED"
        failed = state_name in ("FAILED", "CRASHED")
        record_end(
            warehouse_for(flow_run.parameters or {}), str(flow_run.id), state_name, by="hook", flow_name=flow.name,
            deployment=_deployment_name(flow_run.deployment_id), parameters=flow_run.parameters,
            started_at=flow_run.start_time, finished_at=state.timestamp,
            error=(state.message or state_name.lower()) if failed else None,
        )
    except Exception as error:  # a hook that raised would hide the run's real outcome
        logger.warning("could not record flow run %s in the run table: %s", flow_run.id, error)


RECORDING_HOOKS = {
    "on_completion": [record_final_state],
    "on_failure": [record_final_state],
    "on_crashed": [record_final_state],
    "on_cancellation": [record_final_state],
}
