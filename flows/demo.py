"""The built-in demo: SYNTHETIC data in the data.police.uk format, ingested through the quality gate, and two
tasking cycles of the synthetic force (flows/demo_loop.py): every month but the last is ingested first, cycle 1
runs on them (strategic assessment approved, control strategy, tactical assessment, TT&CG meeting with an action
and a commissioned profile, ToR agreed, profile v1), then the last month "arrives" (with a SYNTHETIC force
extract for the last year, the 14- and 28-day picture) and cycle 2 drafts the next tactical assessment (the
action's status and measured change) and re-drafts the profile as v2. `make demo` runs it.

A warehouse that already holds a TT&CG meeting for the demo force has seen the loop: the demo then ingests and
drafts the tactical assessment only, and says so (start from an empty `var/` to see the loop again)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flows.demo_loop import DemoLoop, first_cycle, second_cycle, tactical_assessment
from flows.engine import flow, log, step
from flows.recording import RECORDING_HOOKS, recorded_run
from flows.ingest import ingest_police_files, ingest_reference_files
from tasking.warehouse import warehouse_path
from sources.synthetic import generate, parse_month_range
from sources.synthetic_internal import generate_internal, month_span
from tasks.ingest_internal import ingest_internal_paths
from tasks.tasking_loop.meetings import list_meetings

generate_synthetic = step(generate, name="generate-synthetic-data")
generate_synthetic_extract = step(generate_internal, name="generate-synthetic-force-extract")
ingest_force_extracts = step(ingest_internal_paths, name="ingest-force-extracts")


class DemoIngestFailed(RuntimeError):
    pass


@dataclass
class DemoResult:
    tactical: object              # the last tactical assessment drafted (month N): its PDF is the demo's promise
    loop: DemoLoop | None         # None when the warehouse had already seen the loop
    note: str = ""


def check_ingest(*reports) -> None:
    failed = [batch for report in reports for batch in report.failed]
    if failed:
        raise DemoIngestFailed("; ".join(b.error or b.name for b in failed))


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
    """Generate, ingest and run two tasking cycles; returns the last tactical assessment and the loop's records."""
    with recorded_run(warehouse_path(warehouse)) as run:
        log().info("generating SYNTHETIC data for %s, %s", force, months)
        summary = generate_synthetic(Path(out_dir), force=force, months=parse_month_range(months), seed=seed,
                                     rows_per_month=rows_per_month)
        *earlier, last = summary.months
        seen = not list_meetings(warehouse, force).empty if Path(warehouse).exists() else False
        log().info("ingesting %s to %s through the quality gate (%s is held back)", earlier[0], earlier[-1], last)
        reference = ingest_reference_files([str(summary.out_dir / "reference")], warehouse)
        police = ingest_police_files([str(summary.out_dir / month) for month in earlier], warehouse)
        check_ingest(reference, police)
        loop = None if seen else first_cycle(warehouse, store_dir, force, earlier[-1], min(24, len(earlier)))
        # Month N is published: the next month "arrives", with the force's own extract for the last year.
        log().info("%s arrives: ingesting it and a SYNTHETIC force extract", last)
        latest = ingest_police_files([str(summary.out_dir / last)], warehouse)
        last_year = (summary.months[-12] if len(summary.months) >= 12 else summary.months[0], last)
        extract = generate_synthetic_extract(summary.out_dir, force, *month_span(*last_year), seed=seed)
        internal = ingest_force_extracts([str(extract.extract)], extract.mapping, warehouse)
        check_ingest(latest, internal)
        if loop is None:
            tactical = tactical_assessment(warehouse, force, marking="OFFICIAL", store_dir=store_dir)
            run.summary = f"drafted {tactical.version_id} (the loop was shown in this warehouse before)"
            return DemoResult(tactical, None, f"{warehouse} already holds a TT&CG meeting for {force}: the loop was "
                                              "shown before, so only the tactical assessment was drafted")
        second_cycle(loop, warehouse, store_dir, force, last)
        run.summary = (f"two cycles: {loop.tactical_1.version_id}, {loop.meeting_id}, {loop.tor_id}, "
                       f"{loop.tactical_2.version_id}, {loop.profile_v1.profile_id} re-drafted")
        return DemoResult(loop.tactical_2, loop)
