"""The health report as people read it: the ops page (report_templates/health.html.j2), the markdown of the
health flow's Prefect artifact, and the rows `tasking health` prints. All three come from `sections()`, so they
show the same thing; a cell is text or a `Link` (rendered as a link in HTML and markdown, as text in a terminal).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from tasks.health import HealthReport

# Cell values that mean "look at this" / "all is well" (coloured on the page and in the terminal).
BAD = ("FAILED", "CRASHED", "LATE", "CANCELLED", "TIMEDOUT", "never loaded", "overdue", "quarantined", "failed",
       "PDF missing")
GOOD = ("COMPLETED", "current", "complete", "waiting", "APPROVED")


@dataclass(frozen=True)
class Link:
    text: str
    href: str

    def __str__(self) -> str:
        return self.text


def file_link(text: str, path: str | os.PathLike | None) -> Link | str:
    """A link to a local file (PDF, HTML, Data Docs) when it exists, else the text alone."""
    if path is None or not Path(path).exists():
        return text
    return Link(text, Path(path).resolve().as_uri())


def tone(cell) -> str:
    text = str(cell)
    if text in BAD or " behind" in text:
        return "bad"
    return "good" if text in GOOD else ""


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, dict, str, Link)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.1f}"
    return value if isinstance(value, Link) else str(value)


@dataclass
class Section:
    name: str
    title: str
    headings: list[str]
    rows: list[list]
    note: Link | str | None = None      # one line under the title (e.g. the Data Docs link)
    state_column: int | None = None      # the column coloured by `tone`


def _freshness(report: HealthReport) -> Section:
    rows = [[r.force, r.source, f"{r.latest_loaded:%Y-%m}" if r.latest_loaded else "", str(r.months),
             f"{r.due:%Y-%m}" if r.due else "", r.status, r.completeness]
            for r in report.freshness.itertuples(index=False)]
    return Section("freshness", "Data per force and source: freshness and completeness",
                   ["force", "source", "latest month loaded", "months held", "due by today", "freshness", "completeness"],
                   rows, note="A month is due when its publication lag (tasking.yaml, health.publication_lag_months) "
                              "has passed, or as soon as data.police.uk holds it.", state_column=5)


def _last_runs(report: HealthReport) -> Section:
    rows = []
    for r in report.last_runs.itertuples(index=False):
        where = Link("open in Prefect", r.run_url) if r.run_url else r.source
        rows.append([r.deployment, r.state, _cell(r.started_at), _cell(r.seconds), _cell(r.last_completed_at),
                     _cell(r.notes) or _cell(r.summary), _cell(r.error), where])
    note = f"States from Prefect at {report.prefect_api} where it has them, else from the warehouse's run table." \
        if report.prefect_api else "No Prefect API configured: states from the warehouse's run table."
    return Section("last_runs", "Last run of each deployment",
                   ["deployment", "state", "started or due (UTC)", "seconds", "last completed", "notes / summary", "error",
                    "seen in"], rows, note=note, state_column=1)


def _quality(report: HealthReport) -> Section:
    rows = [[r.suite, str(r.batches), str(r.passed), f"{r.pass_rate_percent}", _cell(r.warnings),
             file_link("newest result", report.data_docs_pages.get(r.suite)) if r.suite in report.data_docs_pages else ""]
            for r in report.pass_rates.itertuples(index=False)]
    docs = file_link("Open the Data Docs (every suite and validation result)", report.data_docs) \
        if report.data_docs else "No Data Docs built yet: run `tasking validate` or an ingest."
    return Section("pass_rates", "Quality gate pass rates",
                   ["suite", "batches", "passed", "pass rate %", "warnings", "Data Docs"], rows, note=docs)


def _quarantined(report: HealthReport) -> Section:
    rows = [[_cell(r.batch_id), Path(r.path).name if r.path else "", r.kind, r.force, r.month, _cell(r.rows),
             _cell(r.error)] for r in report.quarantined.itertuples(index=False)]
    return Section("quarantined", "Quarantined batches", ["batch", "file", "kind", "force", "month", "rows", "why"], rows)


def _reviews(report: HealthReport) -> Section:
    rows = []
    for r in report.awaiting_review.itertuples(index=False):
        folder = Path(r.store_path) if r.store_path else None
        status = "overdue" if r.age_days > report.review_max_age_days else "waiting"
        pdf = folder / "product.pdf" if folder else None
        rows.append([r.version_id, r.kind, r.force, r.title, _cell(r.created_at), str(r.age_days), status,
                     Link("PDF", pdf.resolve().as_uri()) if pdf and pdf.is_file() else "PDF missing"])
    return Section("awaiting_review", "Products awaiting review",
                   ["version", "kind", "force", "title", "drafted (UTC)", "age (days)", "status", "draft"], rows,
                   note=f"Overdue after {report.review_max_age_days} days (health.review_max_age_days).", state_column=6)


def _period(start, end) -> str:
    first, last = (f"{pd.Timestamp(d):%Y-%m}" if d is not None and not pd.isna(d) else "" for d in (start, end))
    return first if first == last else f"{first} to {last}"


def _store(report: HealthReport) -> Section:
    """The central store as `tasking products` lists it (tasks.catalogue), newest first."""
    rows = []
    for r in report.products.itertuples(index=False):
        pdf = Path(r.store_path) / "product.pdf" if r.store_path else None
        profile = "" if not _cell(r.profile_id) else (
            f"{r.profile_id} {r.profile_status}" + (f" ({r.close_reason})" if _cell(r.close_reason) else ""))
        rows.append([r.version_id, r.kind, r.force, _period(r.period_start, r.period_end), r.status,
                     _cell(r.tor_id), profile, r.title, file_link("PDF", pdf) if pdf and pdf.is_file() else "PDF missing"])
    shown = len(report.products)
    note = (f"The newest {shown} of {report.products_held} versions; `tasking products` lists and filters them all "
            "(kind, force, status, period, ToR, title)." if report.products_held > shown else
            "Every version in the store; `tasking products` filters them (kind, force, status, period, ToR, title).")
    return Section("products", "Central store: recent products",
                   ["version", "kind", "force", "period", "status", "ToR", "profile", "title", "PDF"], rows,
                   note=note, state_column=4)


def _failures(report: HealthReport) -> Section:
    rows = [[_cell(v) for v in r] for r in report.failures[["failed_at", "what", "name", "state", "error"]].itertuples(index=False)]
    return Section("failures", f"Failures in the last {report.failure_window_days} days",
                   ["when (UTC)", "what", "name", "state", "error"], rows, state_column=3)


def sections(report: HealthReport) -> list[Section]:
    return [_freshness(report), _last_runs(report), _quality(report), _reviews(report), _quarantined(report),
            _failures(report), _store(report)]


def render_health_html(report: HealthReport) -> str:
    from tasks.render import environment as project_environment

    environment = project_environment()  # the project's one Jinja setup: autoescape, undefined names are errors
    environment.filters["tone"] = tone
    environment.tests["link"] = lambda value: isinstance(value, Link)
    return environment.get_template("health.html.j2").render(
        generated_at=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"), warehouse=report.warehouse,
        problems=report.problems, exit_code=report.exit_code, sections=sections(report),
    )


def write_health_html(report: HealthReport, out_file: str | os.PathLike) -> Path:
    target = Path(out_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(render_health_html(report), encoding="utf-8")
    os.replace(temporary, target)
    return target


def _markdown_cell(cell) -> str:
    text = f"[{cell.text}]({cell.href})" if isinstance(cell, Link) else str(cell)
    return text.replace("|", "\\|").replace("\n", " ")


def health_markdown(report: HealthReport, page: Path | None = None) -> str:
    """The report as markdown, for the health flow's Prefect artifact (links stay links)."""
    lines = [f"# Tasking health, {report.generated_at:%Y-%m-%d %H:%M} UTC", ""]
    if page is not None:
        lines += [f"[Open the ops page]({Path(page).resolve().as_uri()})", ""]
    lines += [f"- **{p}**" for p in report.problems] or ["No problems found."]
    for section in sections(report):
        lines += ["", f"## {section.title}", ""]
        if section.note:
            lines += [_markdown_cell(section.note), ""]
        if not section.rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(section.headings) + " |")
        lines.append("|" + "---|" * len(section.headings))
        lines += ["| " + " | ".join(_markdown_cell(cell) for cell in row) + " |" for row in section.rows]
    return "\n".join(lines) + "\n"
