"""Product flows: the fortnightly tactical assessment, the six-monthly strategic assessment, and the ad-hoc
problem profile. Each builds DRAFT versions (tasks.products) for people to review, and records what it built."""
from __future__ import annotations

from typing import Literal

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from sources.internal import PUBLISHED_CATEGORIES
from tasking.config import GSC_MARKINGS
from tasks.products import build_problem_profile, build_strategic_assessment, build_tactical_assessment

tactical_task = task(build_tactical_assessment, name="build-tactical-assessment", cache_policy=NO_CACHE)
strategic_task = task(build_strategic_assessment, name="build-strategic-assessment", cache_policy=NO_CACHE)
problem_profile_task = task(build_problem_profile, name="build-problem-profile", cache_policy=NO_CACHE)

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _publish(key: str, results, description: str) -> None:
    create_table_artifact(
        key=key,
        table=[{"version": r.version_id, "kind": r.kind, "status": r.status, "pdf": str(r.pdf_path),
                "html": str(r.html_path), "sha256": r.content_sha256} for r in results],
        description=description,
    )


def _summary(results) -> str:
    """What the run did: versions drafted, and versions left as they were because nothing changed (recorded in
    the run table, so a scheduled run with no new data says so instead of drafting a copy)."""
    drafted = [r.version_id for r in results if not getattr(r, "reason", "")]
    unchanged = [f"{r.version_id} ({r.reason})" for r in results if getattr(r, "reason", "")]
    parts = (["drafted " + ", ".join(drafted)] if drafted else []) + (["unchanged " + "; ".join(unchanged)] if unchanged else [])
    return "; ".join(parts) or "nothing to draft"


@flow(name="tactical-assessment", **RECORDING_HOOKS)
def tactical_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None,
                             force_new: bool = False) -> list[str]:
    """A DRAFT tactical assessment for each configured force, for the fortnightly TT&CG.

    period_end: the month assessed ('YYYY-MM'); default the latest month of street crime held.
    force_new: draft even when nothing changed since the last version (otherwise that is recorded, not drafted).
    """
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = [
            tactical_task(config.warehouse_file, force, period_end=period_end, marking=config.default_marking,
                          store_dir=config.product_dir, requested_by=config.tactical.requested_by, force_new=force_new)
            for force in config.all_forces
        ]
        run.summary = _summary(results)
        _publish("tactical-assessment", results, run.summary)
        return [r.version_id for r in results]


@flow(name="strategic-assessment", **RECORDING_HOOKS)
def strategic_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None,
                              force_new: bool = False) -> list[str]:
    """A DRAFT strategic assessment for each configured force over `strategic.months` months, for the ST&CG."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = [
            strategic_task(config.warehouse_file, force, months=config.strategic.months, period_end=period_end,
                           marking=config.default_marking, store_dir=config.product_dir,
                           requested_by=config.strategic.requested_by, force_new=force_new)
            for force in config.all_forces
        ]
        run.summary = _summary(results)
        _publish("strategic-assessment", results, run.summary)
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
        run.summary = _summary([result])
        _publish("problem-profile", [result], run.summary)
        return result.version_id
