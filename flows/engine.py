"""The one path from a command into a flow, fast without a Prefect server and recorded in Prefect with one.

A flow body calls its steps, not task functions: `step(fn, name=..., retries=...)` wraps a plain function from
`tasks/` once, at import. Inside a real Prefect flow run a step is a Prefect task (it appears in the UI with its
retries and logs); outside one it is the plain function with the same retries (tenacity), so the same flow
code runs in-process without starting Prefect's temporary API server (7-20 s a call on a small machine).

`run_flow(flow, **params)` is what every CLI command that does pipeline work calls:
- `PREFECT_API_URL` set (a server or Prefect Cloud): the flow runs through Prefect and is recorded there;
- unset: the flow's body (`flow.fn`) runs in this process, its steps as plain functions; it still records
  itself in the warehouse's run table (flows.recording), with a run id `local-...`.

`log()` gives the run logger inside a Prefect run and the `tasking` logger outside one, so steps can log
what they did either way.
"""
from __future__ import annotations

import contextvars
import functools
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from tenacity import before_sleep_log, retry, stop_after_attempt, wait_exponential

ORCHESTRATE_ENV = "TASKING_ORCHESTRATE"  # "always" forces Prefect even without an API URL (tests, demos)


def orchestrated() -> bool:
    """True when flows should run through Prefect: an API is configured, or TASKING_ORCHESTRATE=always."""
    if os.environ.get(ORCHESTRATE_ENV, "").lower() == "always":
        return True
    if os.environ.get(ORCHESTRATE_ENV, "").lower() == "never":
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value())


def in_prefect_run() -> bool:
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None


def log() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a flow or task run, else the standard `tasking` logger."""
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is not None or TaskRunContext.get() is not None:
        from prefect import get_run_logger

        return get_run_logger()
    return logging.getLogger("tasking")


class Step:
    """A plain function that is a Prefect task inside a Prefect flow run and itself outside one."""

    def __init__(self, fn: Callable, name: str, retries: int = 0, retry_delay_seconds: float = 2.0):
        from prefect import task
        from prefect.cache_policies import NO_CACHE

        self.fn = fn
        self.name = name
        self.retries = retries
        self.task = task(fn, name=name, retries=retries, retry_delay_seconds=retry_delay_seconds,
                         cache_policy=NO_CACHE)
        plain = fn
        if retries:
            plain = retry(stop=stop_after_attempt(retries + 1), reraise=True,
                          wait=wait_exponential(multiplier=retry_delay_seconds, max=60),
                          before_sleep=before_sleep_log(logging.getLogger("tasking"), logging.WARNING))(fn)
        self.plain = plain
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        return (self.task if in_prefect_run() else self.plain)(*args, **kwargs)

    def submit(self, *args, **kwargs):
        """Inside a Prefect run: submit to the flow's task runner (a future). Outside: run now, wrapped as done."""
        if in_prefect_run():
            return self.task.submit(*args, **kwargs)
        return _Done(self.plain(*args, **kwargs))


class _Done:
    """The result of a step run in-process, shaped like a Prefect future."""

    def __init__(self, value: Any):
        self._value = value

    def result(self, *args, **kwargs) -> Any:
        return self._value

    def wait(self, *args, **kwargs) -> None:
        return None


def step(fn: Callable | None = None, *, name: str | None = None, retries: int = 0,
         retry_delay_seconds: float = 2.0):
    """Wrap a plain function as a flow step: `step(fn, name=...)` or as a decorator `@step(name=...)`."""
    if fn is None:
        return lambda f: Step(f, name or f.__name__.replace("_", "-"), retries, retry_delay_seconds)
    return Step(fn, name or fn.__name__.replace("_", "-"), retries, retry_delay_seconds)


@dataclass(frozen=True)
class LocalRun:
    """The flow run in progress in this process without Prefect: what Prefect's runtime would otherwise say."""

    flow_name: str
    parameters: dict = field(default_factory=dict)


_local_run: contextvars.ContextVar[LocalRun | None] = contextvars.ContextVar("tasking_local_run", default=None)


def local_run() -> LocalRun | None:
    """The in-process run `run_flow` started (None inside a Prefect run or outside any run)."""
    return _local_run.get()


def run_flow(flow, **params):
    """Run a flow the way its deployment does: through Prefect when an API is configured, else in-process."""
    if orchestrated():
        return flow(**params)
    token = _local_run.set(LocalRun(flow.name, dict(params)))
    try:
        return flow.fn(**params)
    finally:
        _local_run.reset(token)
