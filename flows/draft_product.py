"""One DRAFT product asked for by hand (`tasking assess tactical|strategic`, `tasking profile problem`).

Kept apart from flows.products, whose scheduled flows carry a Dask task runner (prefect-dask and distributed
take a second and a half to import, which a command drafting one product should not pay)."""
from __future__ import annotations

from typing import Literal

from prefect import flow

from flows.engine import in_prefect_run, step
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.warehouse import warehouse_path
from tasks.products import build_problem_profile, build_strategic_assessment, build_tactical_assessment

def summary(results) -> str:
    return "drafted " + ", ".join(r.version_id for r in results)


def publish_products(key: str, results, description: str) -> None:
    """Inside a Prefect run: the drafted versions as a table artifact."""
    if not in_prefect_run():
        return
    from prefect.artifacts import create_table_artifact

    create_table_artifact(
        key=key,
        table=[{"version": r.version_id, "kind": r.kind, "status": r.status, "pdf": str(r.pdf_path),
                "html": str(r.html_path), "sha256": r.content_sha256} for r in results],
        description=description,
    )


BUILDERS = {
    "tactical": step(build_tactical_assessment, name="build-tactical-assessment"),
    "strategic": step(build_strategic_assessment, name="build-strategic-assessment"),
    "problem_profile": step(build_problem_profile, name="build-problem-profile"),
}


@flow(name="draft-product", **RECORDING_HOOKS)
def draft_product_flow(kind: Literal["tactical", "strategic", "problem_profile"], force: str,
                       warehouse: str | None = None, options: dict | None = None):
    """`options` are the builder's keyword arguments: period, marking, store_dir, author, and a profile's area,
    crime types and terms of reference."""
    with recorded_run(warehouse_path(warehouse)) as run:
        result = BUILDERS[kind](warehouse, force, **(options or {}))
        run.summary = summary([result])
        publish_products(kind.replace("_", "-"), [result], run.summary)
        return result
