"""Product flows: the fortnightly tactical assessment and the six-monthly strategic assessment. Each builds DRAFT
versions (tasks.products) for people to review, and records what it built. Profiles are built only from an agreed
terms of reference (flows/profiles.py: `profile-from-tor`, `profile-refresh`).

The scheduled assessments build one product per configured force at once (flows.fanout): on Dask through
Prefect's task runner in a Prefect run, on local processes without one."""
from __future__ import annotations

from flows.draft_product import publish_products, summary
from flows.engine import flow, step
from flows.fanout import fan_out, fan_out_settings, product_task_runner
from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from flows.product_steps import build_in_steps, register_step


def tactical_for_force(warehouse_file, force: str, **options):
    """A tactical assessment, built in steps (flows.product_steps), in a worker of a fan-out: rendered, reading the
    warehouse only; the flow registers it (register_step) with the others."""
    return build_in_steps("tactical", warehouse_file, force, register=False, **options)


def strategic_for_force(warehouse_file, force: str, **options):
    """A strategic assessment in a worker of a fan-out (see tactical_for_force)."""
    return build_in_steps("strategic", warehouse_file, force, register=False, **options)


tactical_task = step(tactical_for_force, name="build-tactical-assessment")
strategic_task = step(strategic_for_force, name="build-strategic-assessment")



def _fan_out(config, workers: int | None) -> tuple[int, str | None]:
    configured_workers, address = fan_out_settings(config)
    return workers or configured_workers, address


@flow(name="tactical-assessment", task_runner=product_task_runner, **RECORDING_HOOKS)
def tactical_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None,
                             workers: int | None = None, force_new: bool = False) -> list[str]:
    """A DRAFT tactical assessment for each configured force, for the fortnightly TT&CG, built at once.

    period_end: the month assessed ('YYYY-MM'); default the latest month of street crime held.
    workers: products built at once outside Prefect (default the config's fan_out.workers, else one per CPU).
    force_new: draft even when nothing changed since the last version (otherwise that is recorded, not drafted).
    """
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = fan_out(tactical_task, [
            dict(warehouse_file=config.warehouse_file, force=force, period_end=period_end,
                 marking=config.default_marking, store_dir=config.product_dir,
                 requested_by=config.tactical.requested_by, force_new=force_new)
            for force in config.all_forces
        ], *_fan_out(config, workers), return_exceptions=True)
        results = register_step(config.warehouse_file, results)
        run.summary = summary(results)
        publish_products("tactical-assessment", results, run.summary)
        return [r.version_id for r in results]


@flow(name="strategic-assessment", task_runner=product_task_runner, **RECORDING_HOOKS)
def strategic_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None,
                              workers: int | None = None, force_new: bool = False) -> list[str]:
    """A DRAFT strategic assessment for each configured force over `strategic.months` months, for the ST&CG,
    built at once (workers: as for the tactical assessment)."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = fan_out(strategic_task, [
            dict(warehouse_file=config.warehouse_file, force=force, months=config.strategic.months,
                 period_end=period_end, marking=config.default_marking, store_dir=config.product_dir,
                 requested_by=config.strategic.requested_by, force_new=force_new)
            for force in config.all_forces
        ], *_fan_out(config, workers), return_exceptions=True)
        results = register_step(config.warehouse_file, results)
        run.summary = summary(results)
        publish_products("strategic-assessment", results, run.summary)
        return [r.version_id for r in results]

