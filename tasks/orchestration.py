"""What Prefect knows about the deployments that the warehouse's run table cannot: runs marked Late because no
worker picked them up, paused deployments, work pools without a live worker, and the UI link of each run.

Read only when a Prefect API is configured (tasking.prefect_mode.orchestrated()); health falls back to the run table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

# Prefect state names (not types: Late is a SCHEDULED state named "Late") that need someone to look.
ATTENTION_STATES = ("Late", "Failed", "Crashed", "Cancelled", "TimedOut")
COLUMNS = ["deployment", "flow_name", "paused", "work_pool", "pool_status", "state", "state_type", "expected_start",
           "started_at", "run_name", "run_url", "message"]


@dataclass
class PrefectUnavailable(Exception):
    """The configured Prefect API did not answer; health reports this instead of pretending all is well."""
    url: str
    reason: str

    def __str__(self) -> str:
        return f"Prefect API {self.url} did not answer: {self.reason}"


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def ui_url(path: str) -> str | None:
    """A link into the Prefect UI (PREFECT_UI_URL, derived from the API URL by Prefect), or None without one."""
    from prefect.settings import PREFECT_UI_URL

    base = PREFECT_UI_URL.value()
    return f"{base.rstrip('/')}/{path.lstrip('/')}" if base else None


def deployment_states(now: datetime | None = None) -> pd.DataFrame:
    """One row per deployment on the server: paused, its work pool's status, and its latest run that was due by now
    (its Prefect state name: Late, Failed, Completed, ...). Raises PrefectUnavailable when the API cannot be read."""
    from prefect import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterExpectedStartTime)
    from prefect.client.schemas.sorting import FlowRunSort

    now = now or datetime.now(timezone.utc)
    rows = []
    try:
        with get_client(sync_client=True) as client:
            pools: dict[str, str | None] = {}
            flow_names: dict = {}
            for deployment in client.read_deployments():
                if deployment.flow_id not in flow_names:
                    flow_names[deployment.flow_id] = client.read_flow(deployment.flow_id).name
                pool = deployment.work_pool_name
                if pool and pool not in pools:
                    status = client.read_work_pool(pool).status
                    pools[pool] = status.value if status is not None else None
                runs = client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                    flow_run_filter=FlowRunFilter(expected_start_time=FlowRunFilterExpectedStartTime(before_=now)),
                    sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1,
                )
                run = runs[0] if runs else None
                rows.append({
                    "deployment": deployment.name, "flow_name": flow_names[deployment.flow_id],
                    "paused": bool(deployment.paused), "work_pool": pool, "pool_status": pools.get(pool),
                    "state": run.state.name if run and run.state else None,
                    "state_type": run.state.type.value if run and run.state else None,
                    "expected_start": run.expected_start_time if run else None,
                    "started_at": run.start_time if run else None,
                    "run_name": run.name if run else None,
                    "run_url": ui_url(f"runs/flow-run/{run.id}") if run else None,
                    "message": run.state.message if run and run.state else None,
                })
    except Exception as error:  # httpx connect errors, HTTP status errors: all mean the same thing here
        raise PrefectUnavailable(str(api_url()), f"{type(error).__name__}: {error}") from error
    return pd.DataFrame(rows, columns=COLUMNS)


def attention(row) -> list[str]:
    """Why a deployment row from `deployment_states` needs someone to look (empty when it does not)."""
    found = []
    if row.paused:
        found.append("deployment paused: its schedule makes no runs")
    if row.pool_status and row.pool_status != "READY":
        found.append(f"work pool {row.work_pool} {row.pool_status.replace('_', ' ').lower()}: no worker is polling it")
    if row.state in ATTENTION_STATES:
        detail = f" ({row.message})" if row.message and row.state != "Late" else ""
        when = row.expected_start.strftime("%Y-%m-%d %H:%M UTC") if row.expected_start is not None else "?"
        found.append(f"last run {row.run_name} {row.state.lower()}, due {when}{detail}")
    return found
