"""Building one product per force at once: on Dask through Prefect, or on local processes without Prefect.

Inside a Prefect run the scheduled product flows use `product_task_runner()`, prefect-dask's DaskTaskRunner:
a local Dask cluster of `fan_out.workers` single-threaded worker processes, or the existing Dask scheduler
named by `fan_out.dask_address` in tasking.yaml (or $TASKING_DASK_ADDRESS), so the same flow runs on a
cluster of machines unchanged. Outside Prefect (`flows.engine.run_flow` with no API), `fan_out` runs the
builds on a pool of local processes (or on that Dask scheduler, when one is named): starting a process pool
costs well under a second, a LocalCluster a few seconds (benchmarks/national.py measures both).

Workers are processes, never threads: a DuckDB file is opened by one process for writing or by many for
reading, and a process cannot hold it both ways at once. Builders only read the warehouse: they render each
version into its staging folder and return it, and the flow registers them all in one write (one lock, one
snapshot; flows.product_steps.register_step), so no builder waits for another's hold on the file.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from flows.engine import Step, in_prefect_run

DASK_ADDRESS_ENV = "TASKING_DASK_ADDRESS"


def fan_out_settings(config=None) -> tuple[int, str | None]:
    """(workers, Dask scheduler address or None) from $TASKING_DASK_ADDRESS and the config's `fan_out`."""
    workers, address = None, None
    if config is None:
        from tasking.config import ConfigError, load_config

        try:
            config = load_config(None)
        except ConfigError:
            config = None
    if config is not None:
        workers, address = config.fan_out.workers, config.fan_out.dask_address
    address = os.environ.get(DASK_ADDRESS_ENV) or address
    return max(1, workers or os.cpu_count() or 1), address


def product_task_runner():
    """The task runner of the scheduled product flows: Dask, local cluster by default, or the named scheduler.

    The scheduler address is read when the flow first submits a build (the flow's config is loaded by then;
    $TASKING_DASK_ADDRESS or the tasking.yaml found from the working directory or $TASKING_CONFIG)."""
    from prefect_dask import DaskTaskRunner

    class ConfiguredDaskTaskRunner(DaskTaskRunner):
        @property
        def client(self):
            if self._client is None and self.address is None and self._cluster is None:
                workers, address = fan_out_settings()
                if address:
                    self.address, self.cluster_kwargs = address, {}
                else:
                    self.cluster_kwargs = {"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                           **self.cluster_kwargs}
            return super().client

    return ConfiguredDaskTaskRunner()


def fan_out(step: Step, calls: list[dict], workers: int | None = None, address: str | None = None,
            return_exceptions: bool = False) -> list:
    """Run `step` once per keyword set in `calls`, concurrently; results in the order of `calls`.

    In a Prefect run: submitted to the flow's task runner (Dask), each a task run of its own. Outside one: on
    a pool of `workers` local processes, or on the Dask scheduler at `address`; one call, or one worker, runs
    here in this process. `step.fn` must be a module-level function (workers import it by name).
    `return_exceptions`: a call that raised gives its exception in its place (the others' results are kept)."""
    if in_prefect_run():
        futures = [step.submit(**kwargs) for kwargs in calls]
        return [_outcome(lambda: future.result(), return_exceptions) for future in futures]
    if workers is None and address is None:
        workers, address = fan_out_settings()
    if address:
        from distributed import Client

        with Client(address) as client:
            futures = [client.submit(step.fn, pure=False, **kwargs) for kwargs in calls]
            return [_outcome(future.result, return_exceptions) for future in futures]
    if len(calls) <= 1 or (workers or 1) <= 1:
        return [_outcome(lambda: step.plain(**kwargs), return_exceptions) for kwargs in calls]
    # forkserver: workers start from a clean process, not a copy of this one's DuckDB handles and threads. The
    # staging folders they render into are named for this process, which registers them once they return.
    with ProcessPoolExecutor(max_workers=min(workers, len(calls)), mp_context=get_context("forkserver"),
                             initializer=_registers_for, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(step.fn, **kwargs) for kwargs in calls]
        return [_outcome(future.result, return_exceptions) for future in futures]


def _outcome(result, return_exceptions: bool):
    if not return_exceptions:
        return result()
    try:
        return result()
    except Exception as error:
        return error


def _registers_for(pid: int) -> None:
    """Pool worker start: what this worker renders is registered by the process `pid` (tasks.product_store)."""
    from tasks import product_store

    product_store.REGISTRAR_PID = pid
