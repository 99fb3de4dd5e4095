"""Ops health: is the pipeline running, is the data fresh, is it clean, is anything waiting on people.

One report from the warehouse: the last run of each deployment (every deployment in prefect.yaml is listed,
run or not), data freshness per force (latest street month loaded against the latest published), quality
gate pass rates and quarantined batches, product versions awaiting review and their age, and the failures of
the last N days. `tasking health` prints it; `write_health_html` renders report_templates/health.html.j2.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from tasking import warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
TEMPLATES = PROJECT_ROOT / "report_templates"

LAST_RUNS_SQL = """
WITH expected AS (SELECT unnest($deployments::VARCHAR[]) AS deployment),
runs AS (SELECT *, coalesce(deployment, flow_name) AS shown_as FROM flow_run),
latest AS (
    SELECT * FROM runs QUALIFY row_number() OVER (PARTITION BY shown_as ORDER BY started_at DESC) = 1
),
completed AS (
    SELECT shown_as, max(finished_at) AS last_completed_at FROM runs WHERE state = 'COMPLETED' GROUP BY shown_as
),
names AS (SELECT deployment AS shown_as FROM expected UNION SELECT shown_as FROM runs)
SELECT n.shown_as AS deployment, l.flow_name, coalesce(l.state, 'NEVER RUN') AS state, l.started_at, l.finished_at,
    l.seconds, c.last_completed_at, l.summary, l.error, l.run_id
FROM names n LEFT JOIN latest l USING (shown_as) LEFT JOIN completed c USING (shown_as)
ORDER BY n.shown_as
"""

# Street crime is what every product rests on, so freshness is judged on it.
FRESHNESS_SQL = """
WITH published AS (
    SELECT force, arg_max(latest_month, checked_at) AS latest_month, max(checked_at) AS checked_at
    FROM publication_check GROUP BY force
),
site AS (SELECT latest_month, checked_at FROM published WHERE force IS NULL),
forces AS (SELECT unnest($forces::VARCHAR[]) AS force UNION SELECT DISTINCT force FROM street_crime),
loaded AS (SELECT force, max(month) AS latest_loaded FROM street_crime GROUP BY force)
SELECT f.force, strftime(l.latest_loaded, '%Y-%m') AS latest_loaded,
    strftime(CASE WHEN NOT list_contains($local_forces::VARCHAR[], f.force) THEN coalesce(p.latest_month, s.latest_month) END,
             '%Y-%m') AS latest_published,
    CASE WHEN list_contains($local_forces::VARCHAR[], f.force) THEN NULL
         WHEN p.latest_month IS NOT NULL THEN 'archive' WHEN s.latest_month IS NOT NULL THEN 'site' END AS published_by,
    coalesce(p.checked_at, s.checked_at) AS checked_at,
    date_diff('month', l.latest_loaded, coalesce(p.latest_month, s.latest_month)) AS months_behind,
    list_contains($local_forces::VARCHAR[], f.force) AS local_only
FROM forces f LEFT JOIN loaded l USING (force) LEFT JOIN published p ON p.force = f.force LEFT JOIN site s ON true
ORDER BY f.force
"""

AWAITING_REVIEW_SQL = """
SELECT v.version_id, p.kind, p.force, p.title, v.version, v.marking, v.author, v.created_at,
    date_diff('day', v.created_at, $now) AS age_days, v.store_path
FROM product_version v JOIN product p USING (product_id)
WHERE v.status = 'DRAFT'
ORDER BY v.created_at
"""

FAILURES_SQL = """
SELECT started_at AS failed_at, 'flow run' AS what, coalesce(deployment, flow_name) AS name, state, error
FROM flow_run WHERE state IN ('FAILED', 'CRASHED') AND started_at >= $since
UNION ALL
SELECT started_at, 'ingest', path, status, error
FROM ingest_log WHERE status = 'failed' AND started_at >= $since
ORDER BY failed_at DESC
"""


@dataclass
class HealthReport:
    generated_at: datetime
    warehouse: str
    failure_window_days: int
    last_runs: pd.DataFrame
    freshness: pd.DataFrame
    pass_rates: pd.DataFrame
    quarantined: pd.DataFrame
    awaiting_review: pd.DataFrame
    failures: pd.DataFrame
    problems: list[str] = field(default_factory=list)


def deployment_names(prefect_yaml: str | os.PathLike = PREFECT_YAML) -> list[str]:
    """The deployments prefect.yaml defines (none when the file is absent)."""
    path = Path(prefect_yaml)
    if not path.is_file():
        return []
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [d["name"] for d in spec.get("deployments") or [] if d.get("name")]


def freshness_status(row) -> str:
    if row.latest_loaded is None:
        return "never loaded"
    if row.local_only:
        return "local data only"
    if row.latest_published is None:
        return "not checked yet"
    behind = int(row.months_behind)
    if behind <= 0:
        return "current"
    return f"{behind} month{'s' if behind > 1 else ''} behind"


def _problems(report: HealthReport) -> list[str]:
    found = []
    for row in report.last_runs.itertuples(index=False):
        if row.state in ("FAILED", "CRASHED"):
            found.append(f"{row.deployment}: last run {row.state.lower()}: {row.error or 'no error recorded'}")
    for row in report.freshness.itertuples(index=False):
        if row.status.endswith("behind") or row.status == "never loaded":
            found.append(f"{row.force}: street crime {row.status}")
    if not report.quarantined.empty:
        found.append(f"{len(report.quarantined)} batch(es) in quarantine")
    return found


def health_report(warehouse_file=None, *, forces: list[str] | None = None, local_forces: list[str] | None = None,
                  failure_window_days: int = 30, now: datetime | None = None,
                  prefect_yaml: str | os.PathLike = PREFECT_YAML) -> HealthReport:
    """Everything `tasking health` shows, read in one warehouse connection."""
    from tasks.validate import PASS_RATES_SQL, QUARANTINED_SQL

    now = now or datetime.now(timezone.utc)
    since = now - pd.Timedelta(days=failure_window_days)
    local_forces = list(local_forces or [])
    with warehouse.connect(warehouse_file) as con:
        last_runs = con.execute(LAST_RUNS_SQL, {"deployments": deployment_names(prefect_yaml)}).df()
        freshness = con.execute(FRESHNESS_SQL, {"forces": list(forces or []) + local_forces, "local_forces": local_forces}).df()
        pass_rates = con.execute(PASS_RATES_SQL).df()
        quarantined = con.execute(QUARANTINED_SQL).df()
        awaiting = con.execute(AWAITING_REVIEW_SQL, {"now": now}).df()
        failures = con.execute(FAILURES_SQL, {"since": since}).df()
    freshness = freshness.astype(object).where(freshness.notna(), None)
    freshness["status"] = [freshness_status(row) for row in freshness.itertuples(index=False)] if len(freshness) else []
    report = HealthReport(now, str(warehouse.warehouse_path(warehouse_file)), failure_window_days, last_runs, freshness,
                          pass_rates, quarantined, awaiting, failures)
    report.problems = _problems(report)
    return report


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def rows(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    """A frame's columns as display strings (empty for missing values)."""
    return [[_cell(value) for value in record] for record in frame[columns].itertuples(index=False)]


# Columns shown per section, in order: (section attribute, [(column, heading)]).
SECTIONS = {
    "last_runs": [("deployment", "deployment"), ("state", "state"), ("started_at", "started (UTC)"),
                  ("seconds", "seconds"), ("last_completed_at", "last completed"), ("summary", "summary"), ("error", "error")],
    "freshness": [("force", "force"), ("latest_loaded", "latest month loaded"), ("latest_published", "latest published"),
                  ("published_by", "published per"), ("status", "status")],
    "pass_rates": [("suite", "suite"), ("batches", "batches"), ("passed", "passed"),
                   ("pass_rate_percent", "pass rate %"), ("warnings", "warnings")],
    "quarantined": [("batch_id", "batch"), ("path", "file"), ("kind", "kind"), ("force", "force"), ("month", "month"),
                    ("rows", "rows"), ("error", "why")],
    "awaiting_review": [("version_id", "version"), ("kind", "kind"), ("force", "force"), ("title", "title"),
                        ("created_at", "drafted (UTC)"), ("age_days", "age (days)")],
    "failures": [("failed_at", "when (UTC)"), ("what", "what"), ("name", "name"), ("state", "state"), ("error", "error")],
}

TITLES = {
    "last_runs": "Last run of each deployment",
    "freshness": "Data freshness per force (street crime)",
    "pass_rates": "Quality gate pass rates",
    "quarantined": "Quarantined batches",
    "awaiting_review": "Products awaiting review",
    "failures": "Failures in the last {days} days",
}


def section_rows(report: HealthReport, name: str) -> tuple[list[str], list[list[str]]]:
    spec = SECTIONS[name]
    return [heading for _, heading in spec], rows(getattr(report, name), [column for column, _ in spec])


def section_title(report: HealthReport, name: str) -> str:
    return TITLES[name].format(days=report.failure_window_days)


def render_health_html(report: HealthReport) -> str:
    from tasks.render import environment

    sections = []
    for name in SECTIONS:
        headings, body = section_rows(report, name)
        state_column = headings.index("state") if "state" in headings else headings.index("status") if "status" in headings else None
        sections.append({"name": name, "title": section_title(report, name), "headings": headings, "rows": body,
                         "state_column": state_column})
    return environment().get_template("health.html.j2").render(
        generated_at=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"), warehouse=report.warehouse,
        problems=report.problems, sections=sections,
    )


def write_health_html(report: HealthReport, out_file: str | os.PathLike) -> Path:
    target = Path(out_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(render_health_html(report), encoding="utf-8")
    os.replace(temporary, target)
    return target


def health_markdown(report: HealthReport) -> str:
    """The report as markdown, for the health flow's Prefect artifact."""
    lines = [f"# Tasking health, {report.generated_at:%Y-%m-%d %H:%M} UTC", ""]
    lines += [f"- **{p}**" for p in report.problems] or ["No problems found."]
    for name in SECTIONS:
        headings, body = section_rows(report, name)
        lines += ["", f"## {section_title(report, name)}", ""]
        if not body:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(headings) + " |")
        lines.append("|" + "---|" * len(headings))
        lines += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in body]
    return "\n".join(lines) + "\n"
