"""Great Expectations Data Docs: a file-backed GX context beside the warehouse (`<warehouse folder>/gx/`, so
`var/gx/` for the default warehouse) keeps the suites, every validation result and the Data Docs site built from
them (`gx/uncommitted/data_docs/local_site/index.html`).

The gate itself validates through an ephemeral context (tasks.validate): a file context would write its
datasources to great_expectations.yml on every batch. Each result is then kept here (`keep`, about 10 ms), and a
flow renders the pages of the results its run kept once at its end (`build`).

What a run pays for the Data Docs is in proportion to the run, not to the history: GX's own `build_data_docs`
lists every result in the store for each page it builds and again for the index (about 1 s of CPU at 3,000
results, which one national `tasking validate` leaves), so `build` renders this run's pages itself with GX's
renderer and view, and rebuilds the index (which lists every result) only when a link to it is handed out: a
Prefect run's artifact, `tasking validate`, the health page (`current_index`). A run that renders pages without
the index marks it stale; the next `current_index` rebuilds it.
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
INDEX_STALE = Path("gx") / "uncommitted" / "data_docs" / "index-stale"  # pages rendered since the index was built
# Results kept by this process and not yet rendered, per GX root: (label, identifier).
_pending: dict[str, list[tuple[str, Any]]] = {}
_saved_suites: dict[tuple[str, str], int] = {}  # (root, suite name) -> expectations in the suite saved


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
    """Keep the suite a result was validated against in the file context (its page in the Data Docs), rebuilt
    from the result's own expectation configurations, once per process; again only when a result holds more of
    it (a gate group over several months runs the suite without its month checks). Returns its name."""
    import great_expectations as gx

    name = gx_result.suite_name
    if len(gx_result.results) > _saved_suites.get((root, name), 0):
        suite = gx.ExpectationSuite(name=name, expectations=[item.expectation_config for item in gx_result.results],
                                    meta=gx_result.meta.get("expectation_suite_meta") or {})
        _context(root).suites.add_or_update(suite)
        _saved_suites[(root, name)] = len(gx_result.results)
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


@functools.lru_cache(maxsize=None)
def _site(root: str):
    """GX's builder of the file context's one Data Docs site (local_site), as build_data_docs makes it."""
    context = _context(root)
    ((name, config),) = context.variables.data_docs_sites.items()
    return context._init_site_builder_for_data_docs_site_creation(site_name=name, site_config=config)


def _render_pages(root: str, keys: list) -> None:
    """Render the page of each kept result (what GX's section builder does per result, without listing the
    whole store first); copy GX's static assets (styles, fonts) the first time."""
    from great_expectations.data_context.types.resource_identifiers import SiteSectionIdentifier

    site = _site(root)
    section = site.site_section_builders["validations"]
    if not (Path(root) / SITE / "static").is_dir():
        site.target_store.copy_static_assets()
    for key in keys:
        rendered = section.renderer_class.render(_context(root).validation_results_store.get(key))
        page = section.view_class.render(rendered, data_context_id=section.data_context_id,
                                         show_how_to_buttons=section.show_how_to_buttons)
        section.target_store.set(SiteSectionIdentifier(site_section_name="validations", resource_identifier=key), page)


def _build_index(root: str) -> None:
    _site(root).site_index_builder.build()
    (Path(root) / INDEX_STALE).unlink(missing_ok=True)


def build(warehouse_file=None, index: bool = True) -> DocsBuild:
    """Render the pages of the results kept since the last build; with `index`, rebuild the index too (else mark
    it stale for `current_index`). Returns the index (None until one is built) and this run's pages."""
    root = str(gx_root(warehouse_file))
    pending = _pending.pop(root, [])
    if not (Path(root) / "gx").is_dir():
        return DocsBuild(None)
    if pending:
        _render_pages(root, [key for _, key in pending])
    if index and (pending or (Path(root) / INDEX_STALE).is_file() or data_docs_index(warehouse_file) is None):
        _build_index(root)
    elif pending:
        (Path(root) / INDEX_STALE).touch()
    # Nothing kept and nothing to index (a run whose files were all unchanged): GX is not even imported.
    pages = [(label, url) for label, key in pending if (url := _site(root).get_resource_url(resource_identifier=key))]
    return DocsBuild(data_docs_index(warehouse_file), pages)


def current_index(warehouse_file=None) -> Path | None:
    """The Data Docs index, rebuilt first when runs rendered pages since it was built (None: no Data Docs yet)."""
    root = gx_root(warehouse_file)
    if (root / INDEX_STALE).is_file() and (root / "gx").is_dir():
        try:
            _build_index(str(root))
        except Exception as error:  # a view of stored results: never fail the caller (the health page)
            logger.warning("could not rebuild the Data Docs index in %s: %s", root, error)
    return data_docs_index(warehouse_file)


def markdown_links(docs: DocsBuild, most: int = 20) -> str:
    """Markdown for a Prefect artifact: the index and this run's result pages, as links."""
    if docs.index is None:
        return "No Data Docs yet."
    lines = [f"[Data Docs: every suite and validation result]({docs.index.as_uri()})", ""]
    lines += [f"- [{label}]({url})" for label, url in docs.pages[:most]]
    if len(docs.pages) > most:
        lines.append(f"- ... and {len(docs.pages) - most} more on the index page")
    return "\n".join(lines) + "\n"
