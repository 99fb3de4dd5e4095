"""A product built as steps a reader can follow in the Prefect UI, each logging what it did:

1. `plan`: the request checked, the scope, dates and sections fixed (tasks.products.<kind>.plan);
2. `indicators-and-sections`: the sources read, and every section computing its indicators and judgements over
   one read-only session (tasks.products.pipeline.gather); an unchanged product stops here;
3. `render-and-register`: composed, rendered to HTML and PDF, registered as a DRAFT version (publish_product).
   In a fan-out the worker only renders (`render`, reading the warehouse alone) and the flow registers every
   product at once (`register`: one writer, one lock, one snapshot), so builders never queue for the lock.

Outside a Prefect run the same steps run as plain functions (flows.engine), so `build_in_steps` drafts exactly
what `build_tactical_assessment` and the others draft.
"""
from __future__ import annotations

from flows.engine import log, step
from tasks.draft import collect_sources_on
from tasks.products import problem_profile, strategic, tactical
from tasks.products.engine import IndicatorSession
from tasks.products.pipeline import (Gathered, ProductPlan, UnchangedResult, gather, inputs_fingerprint,
                                     publish_product, register_products, render_product, unchanged_version)

PLANNERS = {"tactical": tactical.plan, "strategic": strategic.plan, "problem_profile": problem_profile.plan}


def plan_product(kind: str, warehouse_file, force: str, **options) -> ProductPlan:
    if kind not in PLANNERS:
        raise ValueError(f"unknown product kind {kind!r}; one of {', '.join(PLANNERS)}")
    plan = PLANNERS[kind](warehouse_file, force, **options)
    log().info("%s for %s, %s..%s, %s: %d sections (%s)", plan.title, force, f"{plan.period_start:%Y-%m}",
               f"{plan.period_end:%Y-%m}", plan.marking, len(plan.sections), ", ".join(n for n, _ in plan.sections))
    return plan


def compute_sections(plan: ProductPlan, force_new: bool = False) -> Gathered | UnchangedResult:
    """Over one read-only session (as pipeline.build): stop when nothing changed since the latest version, else
    compute every section; the session is closed before the next step writes."""
    with IndicatorSession(plan.warehouse_file) as session:
        if not force_new:
            sources = collect_sources_on(session.con, plan.force, plan.window[0], plan.window[1], focus=plan.focus)
            existing = unchanged_version(plan, inputs_fingerprint(plan, sources, session), session)
            if existing is not None:
                log().info("not drafted: %s", existing.reason)
                return existing
        gathered = gather(plan, session=session)
    sources = gathered.ctx.sources
    log().info("sources: %d published files, %d reference files", len(sources.files), len(sources.reference))
    for name, result in gathered.ctx.results.items():
        log().info("section %s: %d findings, %d tables, %d figures, %d recommendations, %d gaps", name,
                   len(result.findings), len(result.tables), len(result.figures), len(result.recommendations),
                   len(result.gaps))
    return gathered


def _registered(result):
    log().info("registered %s as %s: PDF %s (sha256 %s)", result.version_id, result.status, result.pdf_path,
               result.content_sha256[:12])
    return result


def render_and_register(plan: ProductPlan, gathered: Gathered):
    return _registered(publish_product(plan, gathered))


def render_only(plan: ProductPlan, gathered: Gathered):
    rendered = render_product(plan, gathered)
    log().info("rendered %s, to be registered by the flow", rendered.version_id)
    return rendered


def register_rendered(warehouse_file, results: list) -> list:
    """Register what a fan-out's workers rendered (pipeline.register_products); unchanged results pass through.
    A build that failed (its exception among `results`) is raised once the others are registered."""
    failed = [r for r in results if isinstance(r, BaseException)]
    registered = register_products(warehouse_file, [r for r in results if not isinstance(r, BaseException)])
    if failed:
        raise failed[0]
    return [_registered(r) if not getattr(r, "reason", "") else r for r in registered]


plan_step = step(plan_product, name="plan")
sections_step = step(compute_sections, name="indicators-and-sections")
publish_step = step(render_and_register, name="render-and-register")
render_step = step(render_only, name="render")
register_step = step(register_rendered, name="register")


def build_in_steps(kind: str, warehouse_file, force: str, force_new: bool = False, register: bool = True,
                   **options):
    """Plan, compute the sections, then render and register; returns the ProductResult (an UnchangedResult when
    nothing changed since the latest version and not `force_new`). With `register=False` (a fan-out's worker)
    the version is rendered, not registered: the RenderedDraft is returned for `register_step`."""
    plan = plan_step(kind, warehouse_file, force, **options)
    gathered = sections_step(plan, force_new)
    if isinstance(gathered, UnchangedResult):
        return gathered
    return publish_step(plan, gathered) if register else render_step(plan, gathered)
