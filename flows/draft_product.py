"""One DRAFT product asked for by hand (`tasking assess tactical|strategic`, `tasking profile problem`).

Kept apart from flows.products, whose scheduled flows carry a Dask task runner (prefect-dask and distributed
take a second and a half to import, which a command drafting one product should not pay)."""
from __future__ import annotations

from typing import Literal

from flows.engine import flow, in_prefect_run
from flows.product_steps import build_in_steps
from flows.recording import RECORDING_HOOKS, recorded_run
from tasking.warehouse import warehouse_path

def summary(results) -> str:
    """What the run did: versions drafted, and versions left as they were because nothing changed (recorded in
    the run table, so a scheduled run with no new data says so instead of drafting a copy)."""
    drafted = [r.version_id for r in results if not getattr(r, "reason", "")]
    unchanged = [f"{r.version_id} ({r.reason})" for r in results if getattr(r, "reason", "")]
    parts = (["drafted " + ", ".join(drafted)] if drafted else []) + (["unchanged " + "; ".join(unchanged)] if unchanged else [])
    return "; ".join(parts) or "nothing to draft"


def _link(text: str, path) -> str:
    from pathlib import Path

    return f"[{text}]({Path(path).resolve().as_uri()})" if path and Path(path).exists() else f"{text} missing"


def publish_products(key: str, results, description: str) -> None:
    """Inside a Prefect run: the versions as a markdown artifact whose PDF and HTML are links, not paths."""
    if not in_prefect_run():
        return
    from prefect.artifacts import create_markdown_artifact

    lines = ["# Drafts for review", "", "| version | kind | status | PDF | HTML | sha256 |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.version_id} | {r.kind} | {r.status} | {_link('PDF', r.pdf_path)} | {_link('HTML', r.html_path)} "
              f"| `{r.content_sha256[:16]}` |" for r in results]
    lines += ["", f"Review with `tasking review show VERSION`; {len(results)} version(s)."]
    create_markdown_artifact(key=key, markdown="\n".join(lines) + "\n", description=description)


@flow(name="draft-product", flow_run_name="{kind}-{force}", **RECORDING_HOOKS)
def draft_product_flow(kind: Literal["tactical", "strategic", "problem_profile"], force: str,
                       warehouse: str | None = None, options: dict | None = None):
    """`options` are the builder's keyword arguments: period, marking, store_dir, author, and a profile's area,
    crime types and terms of reference."""
    with recorded_run(warehouse_path(warehouse)) as run:
        result = build_in_steps(kind, warehouse, force, **(options or {}))
        run.summary = summary([result])
        publish_products(kind.replace("_", "-"), [result], run.summary)
        return result
