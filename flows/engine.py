"""The one path from a command into a flow, fast without a Prefect server and recorded in Prefect with one.

A flow body calls its steps, not task functions: `step(fn, name=..., retries=...)` wraps a plain function from
`tasks/` once, at import. Inside a real Prefect flow run a step is a Prefect task (it appears in the UI with its
retries and logs); outside one it is the plain function with the same retries (tenacity), so the same flow
code runs in-process without starting Prefect's temporary API server (7-20 s a call on a small machine).

`run_flow(flow, **params)` is what every CLI command that does pipeline work calls:
- `PREFECT_API_URL` set (a server or Prefect Cloud), or TASKING_ORCHESTRATE=always: the flow runs through
  Prefect and is recorded there;
- otherwise: the flow's body (`flow.fn`) runs in this process, its steps as plain functions; it still records
  itself in the warehouse's run table (flows.recording), with a run id `local-...`.

The in-process path does not import Prefect at all (importing it costs most of a second of CPU). So flows are
declared with this module's `@flow`, not Prefect's: in a process that has already imported Prefect (a worker, a
deployment or `prefect deploy` loading an entrypoint, a test under prefect_test_harness) it returns Prefect's own
`Flow` at once; in one that has not (the CLI) a `DeferredFlow`, which builds that same `Flow` the first time
something needs Prefect (a call through Prefect, `.serve()`, `.to_deployment()`, any other Flow attribute).
A step builds its Prefect task only inside a Prefect run. `in_prefect_run()` and `log()` know there is no
Prefect run when Prefect was never imported.

`log()` gives the run logger inside a Prefect run and the `tasking` logger outside one, so steps can log
what they did either way.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from tasking.prefect_mode import orchestrated


def _prefect_context():
    """prefect.context when Prefect is loaded; None when not (then no Prefect run can exist in this process)."""
    return sys.modules.get("prefect.context")


def in_prefect_run() -> bool:
    context = _prefect_context()
    return context is not None and context.FlowRunContext.get() is not None


def log() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a flow or task run, else the standard `tasking` logger."""
    context = _prefect_context()
    if context is not None and (context.FlowRunContext.get() is not None or context.TaskRunContext.get() is not None):
        from prefect import get_run_logger

        return get_run_logger()
    return logging.getLogger("tasking")


# --- flows ----------------------------------------------------------------------------------------------------

def _prefect_flow(fn: Callable, options: dict):
    """Prefect's Flow for `fn` with `options`; a `task_runner` given as a function is called now (its imports,
    e.g. prefect-dask, wait until a Prefect flow is really built)."""
    from prefect import flow as prefect_flow

    options = dict(options)
    if inspect.isfunction(options.get("task_runner")):
        options["task_runner"] = options["task_runner"]()
    return prefect_flow(**options)(fn)


class DeferredFlow:
    """A flow declared in a process without Prefect: `.fn` and `.name` for running it in-process; the real
    Prefect Flow (`.prefect_flow`, built once) for everything else: calling it runs it through Prefect, and
    any other attribute (`serve`, `to_deployment`, `with_options`, `validate_parameters`...) is the Flow's."""

    def __init__(self, fn: Callable, options: dict):
        self._flow = None
        self.fn = fn
        self.name = options.get("name") or fn.__name__.replace("_", "-")  # Prefect's default name
        self._options = options
        functools.update_wrapper(self, fn)

    @property
    def fn(self) -> Callable:
        return self._fn

    @fn.setter
    def fn(self, value: Callable) -> None:
        """Replacing the body (as a test may) replaces it in the Prefect Flow too, built or not: as on a Flow."""
        self._fn = value
        if self._flow is not None:
            self._flow.fn = value

    @property
    def prefect_flow(self):
        if self._flow is None:
            self._flow = _prefect_flow(self._fn, self._options)
        return self._flow

    def __call__(self, *args, **kwargs):
        return self.prefect_flow(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # never build Prefect for copy, pickle or a half-made object's lookups
            raise AttributeError(name)
        return getattr(self.prefect_flow, name)

    def __repr__(self) -> str:
        return f"DeferredFlow(name={self.name!r}, fn={self.fn.__qualname__})"


def flow(fn: Callable | None = None, **options):
    """Declare a flow, with Prefect's `@flow` options: `@flow(name="ingest", **RECORDING_HOOKS)`.

    With Prefect loaded in this process (whoever loads an entrypoint has loaded it) the result is Prefect's own
    Flow, exactly as `prefect.flow` makes it; without, a DeferredFlow that makes that Flow on first use."""
    if fn is None:
        return lambda f: flow(f, **options)
    if "prefect" in sys.modules:
        return _prefect_flow(fn, options)
    return DeferredFlow(fn, options)


# --- steps ----------------------------------------------------------------------------------------------------

class Step:
    """A plain function that is a Prefect task inside a Prefect flow run and itself outside one."""

    def __init__(self, fn: Callable, name: str, retries: int = 0, retry_delay_seconds: float = 2.0):
        self.fn = fn
        self.name = name
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self._task = None
        self._plain = None if retries else fn
        functools.update_wrapper(self, fn)

    @property
    def plain(self) -> Callable:
        """The function with the step's retries (tenacity, imported when a step with retries first runs)."""
        if self._plain is None:
            from tenacity import before_sleep_log, retry, stop_after_attempt, wait_exponential

            self._plain = retry(stop=stop_after_attempt(self.retries + 1), reraise=True,
                                wait=wait_exponential(multiplier=self.retry_delay_seconds, max=60),
                                before_sleep=before_sleep_log(logging.getLogger("tasking"), logging.WARNING))(self.fn)
        return self._plain

    @property
    def task(self):
        """The Prefect task, built the first time a Prefect run needs it."""
        if self._task is None:
            from prefect import task
            from prefect.cache_policies import NO_CACHE

            self._task = task(self.fn, name=self.name, retries=self.retries,
                              retry_delay_seconds=self.retry_delay_seconds, cache_policy=NO_CACHE)
        return self._task

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


# --- running --------------------------------------------------------------------------------------------------

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
    """Run a flow the way its deployment does: through Prefect when an API is configured, else in-process.
    `flow` is a Prefect Flow or a DeferredFlow; either has `.name` and `.fn`."""
    if orchestrated():
        return flow(**params)
    token = _local_run.set(LocalRun(flow.name, dict(params)))
    try:
        return flow.fn(**params)
    finally:
        _local_run.reset(token)
