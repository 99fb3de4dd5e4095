"""Building one product per force at once: on Dask through Prefect, or on local processes without Prefect.

Inside a Prefect run the scheduled product flows use `product_task_runner()`, prefect-dask's DaskTaskRunner:
a local Dask cluster of `fan_out.workers` single-threaded worker processes, or the existing Dask scheduler
named by `fan_out.dask_address` in tasking.yaml (or $TASKING_DASK_ADDRESS), so the same flow runs on a
cluster of machines unchanged. Outside Prefect (`flows.engine.run_flow` with no API), `fan_out` runs the
builds on this process and a pool of local processes (or on that Dask scheduler, when one is named): starting
a process pool costs well under a second, a LocalCluster a few seconds (benchmarks/national.py measures both).

Workers are processes, never threads: a DuckDB file is opened by one process for writing or by many for
reading, and a process cannot hold it both ways at once. Builders only read the warehouse: they render each
version into its staging folder and return it, and the flow registers them all in one write (one lock, one
snapshot; flows.product_steps.register_step), so no builder waits for another's hold on the file.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from flows.engine import Step, in_prefect_run
from tasking import warehouse

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
    `workers` local processes (this one and a pool of `workers - 1`), or on the Dask scheduler at `address`;
    one call, or one worker, runs here in this process. `step.fn` must be a module-level function (workers
    import it by name). `return_exceptions`: a call that raised gives its exception in its place (the others'
    results are kept); otherwise the first in call order is raised once every call has finished."""
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
    return _on_this_and_pool_processes(step, calls, min(workers, len(calls)), return_exceptions)


def _on_this_and_pool_processes(step: Step, calls: list[dict], workers: int, return_exceptions: bool) -> list:
    """`workers` builders: this process and `workers - 1` pool processes, each taking the next call when free.

    This process is one of them because it has already paid for its imports (pandas, matplotlib, WeasyPrint:
    seconds of CPU a new process pays again) and would otherwise only wait; a fan-out that started one fresh
    process per core spent that CPU on every worker while this process idled."""
    pending = deque(enumerate(calls))
    take = threading.Lock()
    outcomes: list = [None] * len(calls)

    def next_call():
        with take:
            return pending.popleft() if pending else None

    def feed(pool) -> None:  # one per pool process: hands it the next call as soon as it finishes one
        while (call := next_call()) is not None:
            index, kwargs = call
            outcomes[index] = _outcome(pool.submit(step.fn, **kwargs).result, True)
            if isinstance(outcomes[index], BrokenProcessPool):
                return  # its process died on this call: this process builds the rest

    # forkserver: workers start from a clean process, not a copy of this one's DuckDB handles and threads. The
    # staging folders they render into are named for this process, which registers them once they return.
    # Every builder's DuckDB runs one thread: with a builder per core, more threads only compete for the cores.
    threads_before, warehouse.threads_per_connection = warehouse.threads_per_connection, 1
    try:
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=get_context("forkserver"),
                                 initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            # This process takes the first call: a pool process spends its first seconds importing.
            call = next_call()
            feeders = [threading.Thread(target=feed, args=(pool,), name=f"fan-out-feed-{n}", daemon=True)
                       for n in range(workers - 1)]
            for feeder in feeders:
                feeder.start()
            try:
                while call is not None:  # this process builds too, in its main thread
                    index, kwargs = call
                    outcomes[index] = _outcome(lambda: step.plain(**kwargs), True)
                    call = next_call()
            except BaseException:  # interrupted: hand out nothing more, let the pool finish what it holds
                with take:
                    pending.clear()
                raise
            for feeder in feeders:
                feeder.join()
    finally:
        warehouse.threads_per_connection = threads_before
    if not return_exceptions:
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
    return outcomes


def _outcome(result, return_exceptions: bool):
    if not return_exceptions:
        return result()
    try:
        return result()
    except Exception as error:
        return error


def _start_worker(pid: int) -> None:
    """Pool worker start: what this worker renders is registered by the process `pid` (tasks.product_store); its
    DuckDB connections run one thread each (one builder per core)."""
    from tasks import product_store

    product_store.REGISTRAR_PID = pid
    warehouse.threads_per_connection = 1
