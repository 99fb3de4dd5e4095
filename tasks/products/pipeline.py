"""A product build as stages a flow can run as separate steps:

    plan = tactical.plan(...)            # check the request, fix scope and dates (no drafting yet)
    gathered = gather(plan)              # one read-only session: every section computes its result
    result = publish_product(plan, gathered)   # compose (number, cross-reference), render, register

`publish_product` hands `compose` to `tasks.draft.publish`, which reserves the version, renders HTML and PDF and
registers it; nothing is registered when any stage fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from tasks.draft import ProductResult, collect_sources, publish
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
    """The sections' results, in gathering order, and the context they were computed in."""

    ctx: ProductContext


def gather(plan: ProductPlan, created_at: datetime | None = None) -> Gathered:
    """Run every section of the plan over one read-only indicator session."""
    ctx = ProductContext(kind=plan.kind, force=plan.force, latest=plan.latest, first=plan.window[0],
                         created_at=created_at or datetime.now(timezone.utc), requested_by=plan.requested_by,
                         terms_of_reference=plan.terms_of_reference, options=dict(plan.options))
    ctx.sources = collect_sources(plan.warehouse_file, plan.force, plan.window[0], plan.window[1], focus=plan.focus)
    with IndicatorSession(plan.warehouse_file) as session:
        for name, section in plan.sections:
            if name in ctx.results:
                raise ValueError(f"{plan.kind}: section {name!r} is listed twice")
            ctx.results[name] = section(session, plan.scope, ctx)
    return Gathered(ctx)


def publish_product(plan: ProductPlan, gathered: Gathered) -> ProductResult:
    """Compose, render and register a new DRAFT version (tasks.draft.publish)."""
    from tasks.products.compose import compose

    return publish(
        plan.warehouse_file, kind=plan.kind, force=plan.force, scope=plan.registry_scope,
        period_label=plan.period_label, title=plan.title, marking=plan.marking, author=plan.author,
        requested_by=plan.requested_by, terms_of_reference=plan.terms_of_reference, period_start=plan.period_start,
        period_end=plan.period_end, store_dir=plan.store_dir,
        build=lambda draft, slot: compose(draft, plan, gathered),
    )


def build(plan: ProductPlan) -> ProductResult:
    """All stages in one call (what build_tactical_assessment and the others do)."""
    return publish_product(plan, gather(plan))
