"""A product build as stages a flow can run as separate steps:

    plan = tactical.plan(...)            # check the request, fix scope and dates (no drafting yet)
    gathered = gather(plan)              # one read-only session: every section computes its result
    result = publish_product(plan, gathered)   # compose (number, cross-reference), render, register

`publish_product` is `render_product` (compose handed to `tasks.draft.render_draft`, which reserves the version
and renders HTML and PDF into its staging folder, reading the warehouse only) then `register_products` (the one
write: `tasks.draft.register_drafts`). A fan-out renders in its workers and registers every product at once in
the flow. Nothing is registered when any stage fails.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from tasks.draft import (ProductResult, RenderedDraft, SourcesAndMethods, collect_sources_on, register_drafts,
                         render_draft)
from tasks.indicators import Scope
from tasks.products.engine import IndicatorSession, ProductContext, Section


@dataclass
class ProductPlan:
    """Everything a build needs, fixed before any drafting: what, for whom, which sections in which order."""

    warehouse_file: object
    kind: str
    force: str
    scope: Scope
    title: str
    marking: str
    author: str
    requested_by: str
    terms_of_reference: str
    period_start: date
    period_end: date
    window: tuple[date, date]          # months whose files are listed in sources and methods
    focus: tuple[date, date]           # months the product assesses (no-location counts)
    registry_scope: dict
    period_label: str
    store_dir: object
    sections: list[tuple[str, Section]]
    frame: Callable[[ProductContext], dict]  # tor, key_figures, data_period, handling, methods, approximations
    latest: date
    options: dict = field(default_factory=dict)


@dataclass
class Gathered:
    """The sections' results, in gathering order, the context they were computed in, and the fingerprint of the
    inputs they were computed from (stored with the version's key figures)."""

    ctx: ProductContext
    fingerprint: str = ""


@dataclass
class UnchangedResult(ProductResult):
    """No new version was drafted: the latest version of this product was built from the same inputs."""

    reason: str = ""


# Force-internal extracts used by a product (their sha256 changes when a new extract is loaded).
INTERNAL_FILES_SQL = """
SELECT DISTINCT source_sha256 FROM internal_incident WHERE force = $force ORDER BY 1
"""


def inputs_fingerprint(plan: ProductPlan, sources: SourcesAndMethods, session: IndicatorSession) -> str:
    """sha256 of what a build reads and asks: every file used (kind, sha256, rows used), the reference files, the
    force's internal extracts, the scope and the request. Equal fingerprints draft identical products."""
    from tasks.review import scope_key

    files = sorted((str(r.kind), str(r.source_sha256), int(r.rows_used)) for r in sources.files.itertuples(index=False))
    reference = sorted((str(r.kind), str(r.source_sha256)) for r in sources.reference.itertuples(index=False))
    con = session.con
    held = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'internal_incident'").fetchone()[0]
    internal = [r[0] for r in con.execute(INTERNAL_FILES_SQL, {"force": plan.force}).fetchall()] if held else []
    payload = {"scope": scope_key(plan.kind, plan.force, plan.registry_scope), "files": files, "reference": reference,
               "internal": internal, "marking": plan.marking, "author": plan.author,
               "requested_by": plan.requested_by, "terms_of_reference": plan.terms_of_reference}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


LATEST_VERSION_SQL = """
SELECT v.version_id, v.product_id, v.version, v.status, v.store_path, v.content_sha256, v.key_figures_json
FROM product_version v JOIN product p USING (product_id)
WHERE p.scope_key = $scope_key AND v.status <> 'REJECTED'
ORDER BY v.created_at DESC LIMIT 1
"""


def unchanged_version(plan: ProductPlan, fingerprint: str, session: IndicatorSession) -> UnchangedResult | None:
    """The latest (not rejected) version of this product when it was built from the same inputs, else None."""
    from tasks.review import scope_key

    found = session.df(LATEST_VERSION_SQL, {"scope_key": scope_key(plan.kind, plan.force, plan.registry_scope)})
    if found.empty or not found["key_figures_json"].iloc[0]:
        return None
    row = found.iloc[0]
    figures = json.loads(row["key_figures_json"])
    if figures.get("inputs_fingerprint") != fingerprint:
        return None
    folder = Path(row["store_path"])
    data = sorted((folder / "data").glob("*")) if (folder / "data").is_dir() else []
    return UnchangedResult(
        row["product_id"], int(row["version"]), row["version_id"], plan.kind, row["status"], folder,
        folder / "product.html", folder / "product.pdf", data, row["content_sha256"], figures,
        reason=f"no new data since {row['version_id']} ({row['status']}): the same files, reference data and request; "
               "not drafted again (use --force-new to draft a new version on purpose)")


def gather(plan: ProductPlan, created_at: datetime | None = None,
           session: IndicatorSession | None = None) -> Gathered:
    """Run every section of the plan over one read-only indicator session (`session`, or one opened here)."""
    if session is None:
        with IndicatorSession(plan.warehouse_file) as own:
            return gather(plan, created_at, own)
    ctx = ProductContext(kind=plan.kind, force=plan.force, latest=plan.latest, first=plan.window[0],
                         created_at=created_at or datetime.now(timezone.utc), requested_by=plan.requested_by,
                         terms_of_reference=plan.terms_of_reference, options=dict(plan.options))
    ctx.sources = collect_sources_on(session.con, plan.force, plan.window[0], plan.window[1], focus=plan.focus)
    for name, section in plan.sections:
        if name in ctx.results:
            raise ValueError(f"{plan.kind}: section {name!r} is listed twice")
        ctx.results[name] = section(session, plan.scope, ctx)
    return Gathered(ctx, inputs_fingerprint(plan, ctx.sources, session))


def render_product(plan: ProductPlan, gathered: Gathered) -> RenderedDraft:
    """Compose and render a new version into its staging folder (tasks.draft.render_draft); not yet registered."""
    from tasks.products.compose import compose

    return render_draft(
        plan.warehouse_file, kind=plan.kind, force=plan.force, scope=plan.registry_scope,
        period_label=plan.period_label, title=plan.title, marking=plan.marking, author=plan.author,
        requested_by=plan.requested_by, terms_of_reference=plan.terms_of_reference, period_start=plan.period_start,
        period_end=plan.period_end, store_dir=plan.store_dir,
        build=lambda draft, slot: compose(draft, plan, gathered),
    )


def register_products(warehouse_file, results: list) -> list[ProductResult]:
    """Register every RenderedDraft among `results` over one write (one lock, one snapshot); results that are
    already products (an UnchangedResult, a ProductResult) pass through. In the order given."""
    rendered = [r for r in results if isinstance(r, RenderedDraft)]
    registered = iter(register_drafts(warehouse_file, rendered) if rendered else [])
    return [next(registered) if isinstance(r, RenderedDraft) else r for r in results]


def publish_product(plan: ProductPlan, gathered: Gathered) -> ProductResult:
    """Compose, render and register a new DRAFT version."""
    [result] = register_products(plan.warehouse_file, [render_product(plan, gathered)])
    return result


def build(plan: ProductPlan, force_new: bool = False) -> ProductResult:
    """All stages in one call (what build_tactical_assessment and the others do). Unless `force_new`, a product
    whose latest version was built from the same inputs is not drafted again: its UnchangedResult says why.
    Everything is read over one read-only session, closed before the version is written."""
    with IndicatorSession(plan.warehouse_file) as session:
        if not force_new:
            sources = collect_sources_on(session.con, plan.force, plan.window[0], plan.window[1], focus=plan.focus)
            existing = unchanged_version(plan, inputs_fingerprint(plan, sources, session), session)
            if existing is not None:
                return existing
        gathered = gather(plan, session=session)
    return publish_product(plan, gathered)
