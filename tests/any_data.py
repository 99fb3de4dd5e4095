"""Small SYNTHETIC warehouses holding any prefix of 36 months and any subset of the published kinds, with or
without force records and boundary files: what the "every product builds on any data" property test draws from.

The files are generated once (`SyntheticWorld.generate`); each warehouse ingests only the files its `Holding`
names (ingest is idempotent per kind, force and month, and takes well under a second at these sizes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from sources.synthetic import generate
from sources.synthetic_internal import generate_internal
from tasks.ingest import ingest_paths
from tasks.ingest_internal import ingest_internal_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.subjects import load_nominals

FORCE = "demo-shire"
FIRST_MONTH, LAST_MONTH = "2021-09", "2024-08"
MONTHS = [m.strftime("%Y-%m") for m in pd.period_range(FIRST_MONTH, LAST_MONTH, freq="M")]
KIND_SUFFIX = {"street": "street", "outcomes": "outcomes", "stop_search": "stop-and-search"}
# The subsets of published kinds a force may hold: street always (every product reads it), the others or not.
KIND_SETS = (("street",), ("street", "outcomes"), ("street", "stop_search"), ("street", "outcomes", "stop_search"))
FORCE_RECORD_DAYS = 400  # force records reach back over a year: the 28 days a year earlier are held too


@dataclass(frozen=True)
class Holding:
    """What one warehouse holds: the first `months` of MONTHS, these kinds, force records, boundary files."""

    months: int
    kinds: tuple[str, ...]
    force_records: bool
    boundaries: bool

    @property
    def last_month(self) -> str:
        return MONTHS[self.months - 1]

    def describe(self) -> str:
        return (f"{self.months} month(s) {MONTHS[0]}..{self.last_month}, {'+'.join(self.kinds)}, "
                f"{'with' if self.force_records else 'without'} force records, "
                f"{'with' if self.boundaries else 'without'} boundaries")


@dataclass
class SyntheticWorld:
    root: Path
    reference: Path

    @classmethod
    def generate(cls, root: Path, rows_per_month: int = 150, seed: int = 11) -> "SyntheticWorld":
        summary = generate(root / "published", force=FORCE, months=(FIRST_MONTH, LAST_MONTH), seed=seed,
                           rows_per_month=rows_per_month)
        return cls(root, summary.out_dir / "reference")

    def files(self, holding: Holding) -> list[Path]:
        chosen = []
        for month in MONTHS[: holding.months]:
            for kind in holding.kinds:
                path = self.root / "published" / month / f"{month}-{FORCE}-{KIND_SUFFIX[kind]}.csv"
                if path.is_file():  # a month may publish no stop and search
                    chosen.append(path)
        return chosen

    def force_records(self, holding: Holding, folder: Path):
        """A SYNTHETIC force extract ending on the last day of the holding's last month, and its nominals."""
        end = (pd.Timestamp(holding.last_month) + pd.offsets.MonthEnd(0)).date()
        start = (pd.Timestamp(end) - pd.Timedelta(days=FORCE_RECORD_DAYS)).date()
        return generate_internal(folder, FORCE, start, end, seed=5, records_per_day=4, nominal_count=3)

    def warehouse(self, holding: Holding, folder: Path) -> tuple[Path, Path]:
        """Ingest what `holding` names into `folder/warehouse.duckdb`; load the SYNTHETIC nominals into a subject
        store beside it (their records reach the warehouse only with force records). Returns both paths."""
        folder.mkdir(parents=True, exist_ok=True)
        warehouse_file, subjects_file = folder / "warehouse.duckdb", folder / "restricted" / "subjects.duckdb"
        reference = sorted(p for p in self.reference.iterdir() if p.is_file())
        if holding.boundaries:
            reference.append(self.reference / "boundaries")
        assert ingest_reference_paths(reference, warehouse_file, gate=None).ok
        report = ingest_paths(self.files(holding), warehouse_file, gate=None)
        assert report.ok, [b.error for b in report.failed]
        internal = self.force_records(holding, folder)
        if holding.force_records:
            assert ingest_internal_paths([internal.extract], internal.mapping, warehouse_file, gate=None).ok
        load_nominals(internal.nominals, subjects_file, loaded_by="property test")
        return warehouse_file, subjects_file


def first_nominal(folder: Path) -> str:
    document = json.loads(next((folder / "internal").glob("*-nominals.json")).read_text())
    return document["nominals"][0]["nominal_id"]


def profile_months(holding: Holding) -> tuple[str, str]:
    """A problem profile's period: the last six months held (fewer when fewer are held)."""
    return MONTHS[max(0, holding.months - 6)], holding.last_month


def as_at(holding: Holding) -> date:
    return (pd.Timestamp(holding.last_month) + pd.offsets.MonthBegin(1)).date()
