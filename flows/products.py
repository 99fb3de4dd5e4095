"""Product flows: the fortnightly tactical assessment, the six-monthly strategic assessment, and the ad-hoc
problem profile. Each builds DRAFT versions (tasks.products) for people to review, and records what it built.

The scheduled assessments build one product per configured force at once (flows.fanout): on Dask through
Prefect's task runner in a Prefect run, on local processes without one."""
from __future__ import annotations

from typing import Literal

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.draft_product import publish_products, summary
from flows.engine import step
from flows.fanout import fan_out, fan_out_settings, product_task_runner, wait_for_warehouse
from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from sources.internal import PUBLISHED_CATEGORIES
from tasking.config import GSC_MARKINGS
from flows.product_steps import build_in_steps


def tactical_for_force(warehouse_file, force: str, **options):
    """A tactical assessment, built in steps (flows.product_steps), in a worker of a fan-out: waits for other
    builders' holds on the warehouse."""
    wait_for_warehouse()
    return build_in_steps("tactical", warehouse_file, force, **options)


def strategic_for_force(warehouse_file, force: str, **options):
    """A strategic assessment in a worker of a fan-out (see tactical_for_force)."""
    wait_for_warehouse()
    return build_in_steps("strategic", warehouse_file, force, **options)


def problem_profile(warehouse_file, force: str, **options):
    return build_in_steps("problem_profile", warehouse_file, force, **options)


tactical_task = step(tactical_for_force, name="build-tactical-assessment")
strategic_task = step(strategic_for_force, name="build-strategic-assessment")
problem_profile_task = step(problem_profile, name="build-problem-profile")

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _fan_out(config, workers: int | None) -> tuple[int, str | None]:
    configured_workers, address = fan_out_settings(config)
    return workers or configured_workers, address


@flow(name="tactical-assessment", task_runner=product_task_runner(), **RECORDING_HOOKS)
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
        ], *_fan_out(config, workers))
        run.summary = summary(results)
        publish_products("tactical-assessment", results, run.summary)
        return [r.version_id for r in results]


@flow(name="strategic-assessment", task_runner=product_task_runner(), **RECORDING_HOOKS)
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
        ], *_fan_out(config, workers))
        run.summary = summary(results)
        publish_products("strategic-assessment", results, run.summary)
        return [r.version_id for r in results]


class ProblemProfileRequest(BaseModel):
    """What a problem profile is asked for. Checked when the run is requested, so a bad request fails at once."""

    model_config = ConfigDict(extra="forbid")

    force: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="force slug, one of the configured forces")
    crime_types: list[Literal[PUBLISHED_CATEGORIES]] = Field(
        default_factory=list, description="data.police.uk crime types; empty for all crime")
    area: str | None = Field(
        None, description="lsoa:CODE,CODE | la:NAME or CODE | bbox:min_lon,min_lat,max_lon,max_lat | wkt:POLYGON(...);"
                          " empty for the whole force")
    period_from: str = Field(pattern=_MONTH, description="first month, YYYY-MM")
    period_to: str = Field(pattern=_MONTH, description="last month, YYYY-MM")
    requested_by: str = Field(min_length=1, description="who commissioned the profile")
    terms_of_reference: str = Field(min_length=10, description="the terms of reference agreed with the requester")
    marking: Literal[GSC_MARKINGS] | None = Field(None, description="GSC marking; default the config's default_marking")

    @field_validator("requested_by", "terms_of_reference")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _scope_is_computable(self) -> "ProblemProfileRequest":
        from tasks.indicators.scope import Scope

        # The same checks the profile makes (months in order, one readable area), made before any work starts.
        Scope.from_area_text(self.force, self.period_from, self.period_to, self.area, tuple(self.crime_types))
        return self


@flow(name="problem-profile", **RECORDING_HOOKS)
def problem_profile_flow(request: ProblemProfileRequest, config_path: str = "tasking.yaml",
                         force_new: bool = False) -> str:
    """A DRAFT problem profile for the request's crime types, area and period."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        if request.force not in config.all_forces:
            raise ValueError(f"{config.source}: force {request.force!r} is not configured (forces: {', '.join(config.all_forces)})")
        result = problem_profile_task(
            config.warehouse_file, request.force, area=request.area, crime_types=request.crime_types,
            period_from=request.period_from, period_to=request.period_to, requested_by=request.requested_by,
            terms_of_reference=request.terms_of_reference, marking=request.marking or config.default_marking,
            store_dir=config.product_dir, force_new=force_new,
        )
        run.summary = summary([result])
        publish_products("problem-profile", [result], run.summary)
        return result.version_id

