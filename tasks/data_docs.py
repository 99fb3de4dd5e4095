"""Great Expectations Data Docs: a file-backed GX context beside the warehouse (`<warehouse folder>/gx/`, so
`var/gx/` for the default warehouse) keeps the suites, every validation result and the Data Docs site built from
them (`gx/uncommitted/data_docs/local_site/index.html`).

The gate itself validates through an ephemeral context (tasks.validate): a file context would write its
datasources to great_expectations.yml on every batch. Each result is then kept here (`keep`, about 10 ms), and a
flow builds the pages of the results its run kept, plus the index, once at its end (`build`).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tasking import warehouse

logger = logging.getLogger("tasking.data_docs")
SITE = Path("gx") / "uncommitted" / "data_docs" / "local_site"
# Results kept by this process and not yet rendered, per GX root: (label, identifier).
_pending: dict[str, list[tuple[str, Any]]] = {}
_saved_suites: set[tuple[str, str]] = set()


def gx_root(warehouse_file=None) -> Path:
    """The folder holding the `gx/` project: the warehouse's own folder."""
    return warehouse.warehouse_path(warehouse_file).resolve().parent


def data_docs_index(warehouse_file=None) -> Path | None:
    """The Data Docs index page, once it has been built."""
    index = gx_root(warehouse_file) / SITE / "index.html"
    return index if index.is_file() else None


def latest_pages(warehouse_file=None) -> dict[str, Path]:
    """Per suite, the Data Docs page of its newest validation result. The pages are static HTML (readable with
    no network), unlike the index, whose table GX draws with scripts from CDNs."""
    found: dict[str, tuple[str, Path]] = {}
    validations = gx_root(warehouse_file) / SITE / "validations"
    # validations/<suite>/<run name>/<run time, e.g. 20261202T014449.891762Z>/<batch>.html
    for page in validations.glob("*/*/*/*.html") if validations.is_dir() else []:
        suite, run_time = page.parts[-4], page.parts[-2]
        if suite not in found or run_time > found[suite][0]:
            found[suite] = (run_time, page)
    return {suite: page for suite, (_, page) in sorted(found.items())}


@functools.lru_cache(maxsize=None)
def _context(root: str):
    from tasks.gx_import import import_gx

    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=root)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def _save_suite(root: str, gx_result) -> str:
    """Keep the suite a result was validated against in the file context, once per process (its page in the Data
    Docs), rebuilt from the result's own expectation configurations; returns its name."""
    import great_expectations as gx

    name = gx_result.suite_name
    if (root, name) not in _saved_suites:
        suite = gx.ExpectationSuite(name=name, expectations=[item.expectation_config for item in gx_result.results],
                                    meta=gx_result.meta.get("expectation_suite_meta") or {})
        _context(root).suites.add_or_update(suite)
        _saved_suites.add((root, name))
    return name


def _database_folder(con) -> str:
    """The folder of the database file `con` has open (the warehouse), from DuckDB itself."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    return str(Path(path).resolve().parent)


def keep(con, batch_id: int | None, run_kind: str, gx_result, label: str | None = None) -> None:
    """Store one validation result (and its suite) in the file context of `con`'s warehouse; `label` names a
    result over several batches (a gate group), else `batch-<id>`.

    Never raises: Data Docs are a view of the results the warehouse already holds, and must not fail the gate.
    """
    if gx_result is None:
        return
    try:
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (ExpectationSuiteIdentifier,
                                                                               ValidationResultIdentifier)

        root = _database_folder(con)
        suite_name = _save_suite(root, gx_result)
        label = label or (f"batch-{batch_id}" if batch_id is not None else "batch-unlogged")
        run_id = RunIdentifier(run_name=f"{run_kind} {label}", run_time=datetime.now(timezone.utc))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name), run_id=run_id,
            batch_identifier=label,
        )
        gx_result.meta["run_id"] = run_id  # shown on the page as its run name and time
        _context(root).validation_results_store.set(key, gx_result)
        _pending.setdefault(root, []).append((f"{suite_name} {label} ({run_kind})", key))
    except Exception as error:  # GX raises its own and pydantic errors
        logger.warning("could not keep the validation result of batch %s for Data Docs: %s", batch_id, error)


@dataclass
class DocsBuild:
    index: Path | None
    pages: list[tuple[str, str]] = field(default_factory=list)   # (label, file:// URL) of this run's results


def build(warehouse_file=None) -> DocsBuild:
    """Render the pages of the results kept since the last build, and the index; returns where they are."""
    root = str(gx_root(warehouse_file))
    pending = _pending.pop(root, [])
    if not pending and not (Path(root) / "gx").is_dir():
        return DocsBuild(None)
    context = _context(root)
    context.build_data_docs(resource_identifiers=[key for _, key in pending] or None)
    pages = []
    for label, key in pending:
        urls = context.get_docs_sites_urls(resource_identifier=key)
        if urls and urls[0].get("site_url"):
            pages.append((label, urls[0]["site_url"]))
    return DocsBuild(data_docs_index(warehouse_file), pages)


def markdown_links(docs: DocsBuild, most: int = 20) -> str:
    """Markdown for a Prefect artifact: the index and this run's result pages, as links."""
    if docs.index is None:
        return "No Data Docs yet."
    lines = [f"[Data Docs: every suite and validation result]({docs.index.as_uri()})", ""]
    lines += [f"- [{label}]({url})" for label, url in docs.pages[:most]]
    if len(docs.pages) > most:
        lines.append(f"- ... and {len(docs.pages) - most} more on the index page")
    return "\n".join(lines) + "\n"
