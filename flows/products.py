"""Product flows: the fortnightly tactical assessment, the six-monthly strategic assessment, and the ad-hoc
problem profile. Each builds DRAFT versions (tasks.products) for people to review, and records what it built."""
from __future__ import annotations

from typing import Literal

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from flows.engine import in_prefect_run, step
from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from sources.internal import PUBLISHED_CATEGORIES
from tasking.config import GSC_MARKINGS
from tasking.warehouse import warehouse_path
from tasks.products import build_problem_profile, build_strategic_assessment, build_tactical_assessment

tactical_task = step(build_tactical_assessment, name="build-tactical-assessment")
strategic_task = step(build_strategic_assessment, name="build-strategic-assessment")
problem_profile_task = step(build_problem_profile, name="build-problem-profile")
BUILDERS = {"tactical": tactical_task, "strategic": strategic_task, "problem_profile": problem_profile_task}

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _publish(key: str, results, description: str) -> None:
    if not in_prefect_run():
        return
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        key=key,
        table=[{"version": r.version_id, "kind": r.kind, "status": r.status, "pdf": str(r.pdf_path),
                "html": str(r.html_path), "sha256": r.content_sha256} for r in results],
        description=description,
    )


def _summary(results) -> str:
    return "drafted " + ", ".join(r.version_id for r in results)


@flow(name="tactical-assessment", **RECORDING_HOOKS)
def tactical_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None) -> list[str]:
    """A DRAFT tactical assessment for each configured force, for the fortnightly TT&CG.

    period_end: the month assessed ('YYYY-MM'); default the latest month of street crime held.
    """
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = [
            tactical_task(config.warehouse_file, force, period_end=period_end, marking=config.default_marking,
                          store_dir=config.product_dir, requested_by=config.tactical.requested_by)
            for force in config.all_forces
        ]
        run.summary = _summary(results)
        _publish("tactical-assessment", results, run.summary)
        return [r.version_id for r in results]


@flow(name="strategic-assessment", **RECORDING_HOOKS)
def strategic_assessment_flow(config_path: str = "tasking.yaml", period_end: str | None = None) -> list[str]:
    """A DRAFT strategic assessment for each configured force over `strategic.months` months, for the ST&CG."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        results = [
            strategic_task(config.warehouse_file, force, months=config.strategic.months, period_end=period_end,
                           marking=config.default_marking, store_dir=config.product_dir,
                           requested_by=config.strategic.requested_by)
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
def problem_profile_flow(request: ProblemProfileRequest, config_path: str = "tasking.yaml") -> str:
    """A DRAFT problem profile for the request's crime types, area and period."""
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        if request.force not in config.all_forces:
            raise ValueError(f"{config.source}: force {request.force!r} is not configured (forces: {', '.join(config.all_forces)})")
        result = problem_profile_task(
            config.warehouse_file, request.force, area=request.area, crime_types=request.crime_types,
            period_from=request.period_from, period_to=request.period_to, requested_by=request.requested_by,
            terms_of_reference=request.terms_of_reference, marking=request.marking or config.default_marking,
            store_dir=config.product_dir,
        )
        run.summary = _summary([result])
        _publish("problem-profile", [result], run.summary)
        return result.version_id


@flow(name="draft-product", **RECORDING_HOOKS)
def draft_product_flow(kind: Literal["tactical", "strategic", "problem_profile"], force: str,
                       warehouse: str | None = None, options: dict | None = None):
    """One DRAFT product asked for by hand (`tasking assess ...`, `tasking profile problem`): `options` are the
    builder's keyword arguments (period, marking, store_dir, author, and a profile's area and terms)."""
    with recorded_run(warehouse_path(warehouse)) as run:
        result = BUILDERS[kind](warehouse, force, **(options or {}))
        run.summary = _summary([result])
        _publish(kind.replace("_", "-"), [result], run.summary)
        return result
