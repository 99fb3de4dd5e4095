"""The project config file (`tasking.yaml`): which forces, where the warehouse and products live, the default
GSC marking, and the parameters scheduled runs use.

The file is validated on load; a bad file raises `ConfigError` naming the file, the key and the value, so a
scheduled run fails at once with a message an operator can act on. Relative paths are taken from the folder
holding the config file, so a worker started elsewhere still finds the same warehouse.
"""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = Path("tasking.yaml")

# data.police.uk force slugs: the 43 territorial forces of England and Wales, British Transport Police, and
# the Police Service of Northern Ireland (published by data.police.uk alongside them).
POLICE_UK_FORCES: dict[str, str] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
}

GSC_MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
POLICE_KINDS = ("street", "outcomes", "stop-and-search")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the key and the problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PoliceApiSettings(_Section):
    base_url: str = "https://data.police.uk"
    rate_per_second: float = Field(15.0, gt=0, le=15.0, description="data.police.uk publishes 15 requests/s")
    burst: int = Field(30, ge=1, le=30, description="data.police.uk publishes a burst of 30")
    max_retries: int = Field(5, ge=0, le=10)
    timeout_seconds: float = Field(60.0, gt=0)
    download_dir: Path = Path("var/downloads")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


class FileLimits(_Section):
    """Caps on one input file (docs/ingest-limits.md); the environment variables named there override them."""

    max_file_mb: int = Field(512, ge=1, description="bytes of one CSV after decompression, in MiB")
    max_ratio: float = Field(100.0, gt=1, description="decompressed / compressed size of one archive member")
    max_rows: int = Field(2_000_000, ge=1, description="lines of one CSV")


class IngestSettings(_Section):
    kinds: list[Literal["street", "outcomes", "stop-and-search"]] = Field(default_factory=lambda: list(POLICE_KINDS), min_length=1)
    refresh_months: int = Field(
        3, ge=1, le=36,
        description="newest months read from each archive: earlier months are re-published with updated outcomes",
    )
    limits: FileLimits = Field(default_factory=FileLimits)


class TacticalSettings(_Section):
    requested_by: str = Field("Chair, Tactical Tasking and Coordination Group", min_length=1)


class StrategicSettings(_Section):
    months: int = Field(36, ge=12, le=36, description="data.police.uk keeps three years")
    requested_by: str = Field("Chair, Strategic Tasking and Coordination Group", min_length=1)


class HealthSettings(_Section):
    html: Path = Path("var/health/health.html")
    failure_window_days: int = Field(30, ge=1, le=366)
    # data.police.uk publishes a month about two months after it ends (July's data in late September).
    publication_lag_months: dict[Literal["street", "outcomes", "stop-and-search"], int] = Field(
        default_factory=lambda: {kind: 2 for kind in POLICE_KINDS},
        description="months between a month ending and its data being due; older data is stale",
    )
    review_max_age_days: int = Field(14, ge=1, le=366, description="a DRAFT waiting longer for review is flagged")


class AlertsSettings(_Section):
    """Where `tasking ops setup` points Prefect's notifications (docs/operations.md, Alerts)."""

    webhook_url: str | None = Field(None, description="the force's webhook (POSTed JSON: subject, body, source)")
    block_name: str = Field("tasking-alerts", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class FanOutSettings(_Section):
    workers: int | None = Field(None, ge=1, le=256, description="products built at once on this machine; default one per CPU")
    dask_address: str | None = Field(
        None, description="an existing Dask scheduler (tcp://host:8786) to build products on; default a local cluster")

    @field_validator("dask_address")
    @classmethod
    def _scheduler_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$", value):
            raise ValueError("expected a Dask scheduler address such as tcp://scheduler.example:8786")
        return value


class MapSettings(_Section):
    """Maps: an optional tile base map under the boundaries (a force's own tile server); off when unset."""
    tile_url: str | None = Field(None, description="XYZ tile URL template with {z}, {x} and {y}; unset: no base map")
    tile_attribution: str = Field("", description="the attribution the tile server's licence requires")

    @field_validator("tile_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value and not (value.startswith(("http://", "https://"))
                          and all(part in value for part in ("{z}", "{x}", "{y}"))):
            raise ValueError("must be an http(s) URL with {z}, {x} and {y}")
        return value or None


class TaskingConfig(_Section):
    forces: list[str] = Field(min_length=1, description="data.police.uk force slugs to fetch and report on")
    extra_forces: list[str] = Field(
        default_factory=list,
        description="slugs that exist only in local files (e.g. the SYNTHETIC demo-shire): reported on, never fetched",
    )
    warehouse: Path | None = None
    product_store: Path = Path("var/products")
    default_marking: str = "OFFICIAL"  # assessments; problem profiles take OFFICIAL-SENSITIVE on request
    police_api: PoliceApiSettings = Field(default_factory=PoliceApiSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    tactical: TacticalSettings = Field(default_factory=TacticalSettings)
    strategic: StrategicSettings = Field(default_factory=StrategicSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    fan_out: FanOutSettings = Field(default_factory=FanOutSettings)
    maps: MapSettings = Field(default_factory=MapSettings)

    # Where the file was read from; relative paths are resolved against its folder.
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("forces")
    @classmethod
    def _known_forces(cls, forces: list[str]) -> list[str]:
        unknown = [force for force in forces if force not in POLICE_UK_FORCES]
        if unknown:
            hints = []
            for force in unknown:
                close = difflib.get_close_matches(force, POLICE_UK_FORCES, n=1)
                hints.append(f"{force!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(
                f"unknown data.police.uk force {', '.join(hints)}; known slugs: {', '.join(sorted(POLICE_UK_FORCES))}."
                " List local-only forces under extra_forces"
            )
        if len(set(forces)) != len(forces):
            raise ValueError("a force is listed twice")
        return forces

    @field_validator("extra_forces")
    @classmethod
    def _slugs(cls, forces: list[str]) -> list[str]:
        bad = [force for force in forces if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", force)]
        if bad:
            raise ValueError(f"not a force slug (lower-case words joined by '-'): {', '.join(map(repr, bad))}")
        return forces

    @field_validator("default_marking")
    @classmethod
    def _marking(cls, marking: str) -> str:
        if marking not in GSC_MARKINGS:
            raise ValueError(f"{marking!r} is not a Government Security Classification; use one of {', '.join(GSC_MARKINGS)}")
        return marking

    @model_validator(mode="after")
    def _no_overlap(self) -> "TaskingConfig":
        both = sorted(set(self.forces) & set(self.extra_forces))
        if both:
            raise ValueError(f"listed under both forces and extra_forces: {', '.join(both)}")
        return self

    @property
    def all_forces(self) -> list[str]:
        return self.forces + self.extra_forces

    def resolve(self, path: Path) -> Path:
        """A configured path made absolute against the config file's folder."""
        if path.is_absolute() or self.source is None:
            return path
        return self.source.parent / path

    @property
    def warehouse_file(self) -> Path:
        from tasking.warehouse import warehouse_path

        return self.resolve(self.warehouse) if self.warehouse else warehouse_path(None)

    @property
    def product_dir(self) -> Path:
        return self.resolve(self.product_store)

    @property
    def download_dir(self) -> Path:
        return self.resolve(self.police_api.download_dir)

    @property
    def health_html(self) -> Path:
        return self.resolve(self.health.html)


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """`--config`, else `$TASKING_CONFIG`, else `tasking.yaml` in the working directory."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("TASKING_CONFIG")
    return Path(from_env) if from_env else DEFAULT_CONFIG


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key (a typo?)"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    return f"{where}: {message} (got {error.get('input')!r})"


def load_config(path: str | os.PathLike | None = None) -> TaskingConfig:
    """Read and validate the config file; raises ConfigError naming the file and every bad key."""
    source = config_path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: no config file here (copy tasking.yaml from the project root and edit it)")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML ({error})") from error
    except (OSError, UnicodeError) as error:
        raise ConfigError(f"{source}: cannot be read ({error})") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level, found {type(raw).__name__}")
    try:
        config = TaskingConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors())
        raise ConfigError(f"{source}: {problems}") from error
    config.source = source.resolve()
    return config
