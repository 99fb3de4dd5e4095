"""The built-in demo: SYNTHETIC data in the data.police.uk format, ingested through the quality gate, and a
DRAFT tactical assessment of the synthetic force. A SYNTHETIC force extract (exact times) for the last year
adds the 14- and 28-day picture. `make demo` runs it."""
from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.engine import step
from flows.recording import RECORDING_HOOKS, recorded_run
from flows.ingest import ingest_police_files, ingest_reference_files
from tasking.warehouse import warehouse_path
from sources.synthetic import generate, parse_month_range
from sources.synthetic_internal import generate_internal, month_span
from tasks.ingest_internal import ingest_internal_paths
from tasks.products import build_tactical_assessment

generate_synthetic = step(generate, name="generate-synthetic-data")
generate_synthetic_extract = step(generate_internal, name="generate-synthetic-force-extract")
ingest_force_extracts = step(ingest_internal_paths, name="ingest-force-extracts")
tactical_assessment = step(build_tactical_assessment, name="build-tactical-assessment")


class DemoIngestFailed(RuntimeError):
    pass


@flow(name="demo", **RECORDING_HOOKS)
def demo_flow(
    out_dir: str = "data/synthetic",
    warehouse: str = "var/warehouse.duckdb",
    store_dir: str = "var/products",
    force: str = "demo-shire",
    months: str = "2021-09..2024-08",
    seed: int = 7,
    rows_per_month: int = 20000,
):
    """Generate, ingest and assess; returns the stored draft (paths to its HTML, PDF and data pack)."""
    with recorded_run(warehouse_path(warehouse)) as run:
        summary = generate_synthetic(Path(out_dir), force=force, months=parse_month_range(months), seed=seed,
                                     rows_per_month=rows_per_month)
        reference = ingest_reference_files([str(summary.out_dir / "reference")], warehouse)
        police = ingest_police_files([str(summary.out_dir)], warehouse)
        last_year = (summary.months[-12] if len(summary.months) >= 12 else summary.months[0], summary.months[-1])
        extract = generate_synthetic_extract(summary.out_dir, force, *month_span(*last_year), seed=seed)
        internal = ingest_force_extracts([str(extract.extract)], extract.mapping, warehouse)
        failed = reference.failed + police.failed + internal.failed
        if failed:
            raise DemoIngestFailed("; ".join(b.error or b.name for b in failed))
        result = tactical_assessment(warehouse, force, marking="OFFICIAL", store_dir=store_dir)
        run.summary = f"drafted {result.version_id}"
        return result
