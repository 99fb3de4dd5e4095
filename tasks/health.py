"""Ops health: is the pipeline running, is the data fresh, is it clean, is anything waiting on people.

One report from the warehouse, and from Prefect's API when one is configured: the last run of each deployment
(every deployment in prefect.yaml is listed, run or not; Prefect adds Late runs, paused deployments and work
pools without a worker), data freshness and completeness per force and source (the latest month loaded against
today's date less the source's publication lag, and against what data.police.uk says it holds), quality gate
pass rates with a link to the Data Docs, products awaiting review and their age, and failures of the last N days.

Each problem has a category, and the category gives `tasking health` its exit code (EXIT_CODES): a monitor,
cron job or CI step can act on the code alone. tasks/health_page.py renders the report as HTML and markdown.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import yaml

from tasking import warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"

# `tasking health` exit codes (docs/operations.md). When problems of several categories are found, the most
# urgent (lowest) code is returned; every problem is printed. 1 is left to Python's own errors, 2 to usage errors.
EXIT_HEALTHY = 0
EXIT_CANNOT_CHECK = 2      # bad config, no warehouse at the path, Prefect API configured but not answering
EXIT_CODES = {
    "runs": 3,             # a deployment's last run failed, crashed, was cancelled or is late; paused; pool not ready
    "data": 4,             # a source is stale past its publication lag, never loaded, or batches are quarantined
    "reviews": 5,          # a DRAFT has waited for review longer than health.review_max_age_days
}

# The ops page lists the newest product versions of the central store (all of them: `tasking products`).
RECENT_PRODUCTS = 25

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

# Per force and source: latest month loaded, months held, what data.police.uk last said it holds, and the
# incomplete force-months (the completeness view, migration 002).
FRESHNESS_SQL = """
WITH published AS (
    SELECT force, arg_max(latest_month, checked_at) AS latest_month FROM publication_check GROUP BY force
),
site AS (SELECT latest_month FROM published WHERE force IS NULL),
loaded AS (
    SELECT 'street' AS source, force, max(month) AS latest_loaded, count(DISTINCT month) AS months FROM street_crime GROUP BY ALL
    UNION ALL SELECT 'outcomes', force, max(month), count(DISTINCT month) FROM outcome GROUP BY ALL
    UNION ALL SELECT 'stop-and-search', force, max(month), count(DISTINCT month) FROM stop_search GROUP BY ALL
),
forces AS (SELECT unnest($forces::VARCHAR[]) AS force UNION SELECT DISTINCT force FROM loaded),
sources AS (SELECT unnest($sources::VARCHAR[]) AS source),
wanted AS (SELECT force, source FROM forces, sources UNION SELECT force, source FROM loaded),
gaps AS (
    SELECT kind AS source, force, count(*) AS incomplete,
        string_agg(strftime(month, '%Y-%m'), ', ' ORDER BY month) AS incomplete_months
    FROM completeness GROUP BY ALL
)
SELECT w.force, w.source, l.latest_loaded, coalesce(l.months, 0) AS months,
    CASE WHEN NOT list_contains($local_forces::VARCHAR[], w.force) THEN coalesce(p.latest_month, s.latest_month) END
        AS latest_published,
    coalesce(g.incomplete, 0) AS incomplete, g.incomplete_months,
    list_contains($local_forces::VARCHAR[], w.force) AS local_only
FROM wanted w LEFT JOIN loaded l USING (force, source) LEFT JOIN published p ON p.force = w.force
LEFT JOIN site s ON true LEFT JOIN gaps g USING (force, source)
ORDER BY w.force, w.source
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
    AND coalesce(error, '') NOT LIKE 'Unhealthy:%'  -- a health run that found problems: they are listed above
UNION ALL
SELECT started_at, 'ingest', path, status, error
FROM ingest_log WHERE status = 'failed' AND started_at >= $since
ORDER BY failed_at DESC
"""


@dataclass(frozen=True)
class Problem:
    category: str   # a key of EXIT_CODES
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class HealthReport:
    generated_at: datetime
    warehouse: str
    failure_window_days: int
    review_max_age_days: int
    last_runs: pd.DataFrame
    freshness: pd.DataFrame
    pass_rates: pd.DataFrame
    quarantined: pd.DataFrame
    awaiting_review: pd.DataFrame
    failures: pd.DataFrame
    prefect_api: str | None = None           # the API read, when one is configured
    data_docs: Path | None = None            # the GX Data Docs index, when it has been built
    data_docs_pages: dict[str, Path] = field(default_factory=dict)  # suite -> page of its newest result
    problems: list[Problem] = field(default_factory=list)
    products: pd.DataFrame = field(default_factory=pd.DataFrame)  # the central store, newest first (RECENT_PRODUCTS)
    products_held: int = 0                   # every version in the store, of which `products` is the newest

    @property
    def exit_code(self) -> int:
        return min((EXIT_CODES[p.category] for p in self.problems), default=EXIT_HEALTHY)


class Unhealthy(Exception):
    """Raised by the health flow after it has written its page, so the run ends Failed; carries the report."""

    def __init__(self, report: HealthReport):
        super().__init__(f"{len(report.problems)} problem(s): " + "; ".join(map(str, report.problems)))
        self.report = report


def deployment_names(prefect_yaml: str | os.PathLike = PREFECT_YAML) -> list[str]:
    """The deployments prefect.yaml defines (none when the file is absent)."""
    path = Path(prefect_yaml)
    if not path.is_file():
        return []
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [d["name"] for d in spec.get("deployments") or [] if d.get("name")]


def month_start(day: date | datetime) -> date:
    return date(day.year, day.month, 1)


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def judge_freshness(row, now: datetime, lag_months: dict[str, int]) -> tuple[date | None, str, bool]:
    """(month due, status, stale) for one force and source. A month is due `lag` months after it ends, or earlier
    when data.police.uk already holds a later one; local-only forces are never compared."""
    if row.local_only:
        return None, "local data only" if row.latest_loaded is not None else "never loaded", False
    by_date = months_before(month_start(now), lag_months.get(row.source, 2) + 1)
    published = row.latest_published
    due = max(by_date, published) if published is not None else by_date
    if row.latest_loaded is None:
        return due, "never loaded", True
    behind = months_between(row.latest_loaded, due)
    if behind <= 0:
        return due, "current", False
    status = f"{behind} month{'s' if behind > 1 else ''} behind"
    if published is not None and published < by_date:
        status += f"; data.police.uk holds up to {published:%Y-%m}"
    return due, status, True


def _runs_from_prefect(last_runs: pd.DataFrame, now: datetime) -> tuple[pd.DataFrame, list[Problem], str | None]:
    """Overlay Prefect's view (Late, paused, pool status, UI links) on the run table's, when an API is configured."""
    from tasking.prefect_mode import orchestrated
    from tasks import orchestration

    last_runs = last_runs.assign(source="run table", run_url=None, notes=None)
    if not orchestrated():
        return last_runs, [], None
    url = orchestration.api_url()
    try:
        states = orchestration.deployment_states(now)
    except orchestration.PrefectUnavailable as error:
        return last_runs, [Problem("runs", str(error))], url
    problems = []
    merged = last_runs.set_index("deployment")
    for row in states.itertuples(index=False):
        notes = orchestration.attention(row)
        problems += [Problem("runs", f"{row.deployment}: {note}") for note in notes]
        if row.deployment not in merged.index:
            merged.loc[row.deployment, ["flow_name", "state"]] = [row.flow_name, "NEVER RUN"]
        if row.state is not None:  # Prefect's latest run replaces the table's (which may be another run)
            merged.loc[row.deployment, ["state", "source", "run_url", "seconds", "summary", "error"]] = [
                row.state.upper(), "Prefect", row.run_url, None, None, row.message if row.state_type in (
                    "FAILED", "CRASHED") else None]
            # A Late or Scheduled run has not started: show when it was due.
            merged.loc[row.deployment, "started_at"] = row.started_at if row.started_at is not None else row.expected_start
        merged.loc[row.deployment, "notes"] = "; ".join(notes) or None
    return merged.reset_index(names="deployment"), problems, url


def _problems(report: HealthReport) -> list[Problem]:
    found = []
    for row in report.last_runs.itertuples(index=False):
        if row.state in ("FAILED", "CRASHED") and row.source == "run table" and not str(row.error).startswith("Unhealthy:"):
            found.append(Problem("runs", f"{row.deployment}: last run {row.state.lower()}: {row.error or 'no error recorded'}"))
    for row in report.freshness.itertuples(index=False):
        if row.stale:
            found.append(Problem("data", f"{row.force}: {row.source} due {row.due:%Y-%m}, {row.status}"))
    if not report.quarantined.empty:
        found.append(Problem("data", f"{len(report.quarantined)} batch(es) in quarantine"))
    for row in report.awaiting_review.itertuples(index=False):
        if row.age_days > report.review_max_age_days:
            found.append(Problem("reviews", f"{row.version_id} ({row.kind}, {row.force}) has waited {row.age_days} days"
                                            f" for review (limit {report.review_max_age_days})"))
    return found


def health_report(warehouse_file=None, *, forces: list[str] | None = None, local_forces: list[str] | None = None,
                  sources: list[str] | None = None, publication_lag_months: dict[str, int] | None = None,
                  failure_window_days: int = 30, review_max_age_days: int = 14, now: datetime | None = None,
                  prefect_yaml: str | os.PathLike = PREFECT_YAML) -> HealthReport:
    """Everything `tasking health` shows, read in one read-only warehouse connection (and Prefect's API if set)."""
    from tasks.catalogue import list_products
    from tasks.data_docs import current_index, latest_pages
    from tasks.validate import PASS_RATES_SQL, QUARANTINED_SQL

    now = now or datetime.now(timezone.utc)
    since = now - pd.Timedelta(days=failure_window_days)
    local_forces = list(local_forces or [])
    sources = list(sources or ["street", "outcomes", "stop-and-search"])
    with warehouse.connect(warehouse_file, read_only=True) as con:
        last_runs = con.execute(LAST_RUNS_SQL, {"deployments": deployment_names(prefect_yaml)}).df()
        freshness = con.execute(FRESHNESS_SQL, {"forces": list(forces or []) + local_forces, "sources": sources,
                                                "local_forces": local_forces}).df()
        pass_rates = con.execute(PASS_RATES_SQL).df()
        quarantined = con.execute(QUARANTINED_SQL).df()
        awaiting = con.execute(AWAITING_REVIEW_SQL, {"now": now}).df()
        failures = con.execute(FAILURES_SQL, {"since": since}).df()
    for column in ("latest_loaded", "latest_published"):
        freshness[column] = pd.to_datetime(freshness[column]).dt.date
    freshness = freshness.astype(object).where(freshness.notna(), None)
    judged = [judge_freshness(row, now, publication_lag_months or {}) for row in freshness.itertuples(index=False)]
    freshness["due"] = [due for due, _, _ in judged]
    freshness["status"] = [status for _, status, _ in judged]
    freshness["stale"] = [stale for _, _, stale in judged]
    freshness["completeness"] = [
        "complete" if not row.incomplete else f"{row.incomplete} incomplete: {row.incomplete_months}"
        for row in freshness.itertuples(index=False)
    ]
    last_runs, prefect_problems, api = _runs_from_prefect(last_runs, now)
    report = HealthReport(now, str(warehouse.warehouse_path(warehouse_file)), failure_window_days, review_max_age_days,
                          last_runs, freshness, pass_rates, quarantined, awaiting, failures, prefect_api=api,
                          data_docs=current_index(warehouse_file), data_docs_pages=latest_pages(warehouse_file))
    report.problems = prefect_problems + _problems(report)
    store = list_products(warehouse_file)
    report.products, report.products_held = store.head(RECENT_PRODUCTS), len(store)
    return report


def report_for_config(config, warehouse_file=None, now: datetime | None = None) -> HealthReport:
    """The health report with every threshold taken from the project config (tasking.yaml, `health:`)."""
    return health_report(
        warehouse_file or config.warehouse_file, forces=config.forces, local_forces=config.extra_forces,
        sources=list(config.ingest.kinds), publication_lag_months=config.health.publication_lag_months,
        failure_window_days=config.health.failure_window_days,
        review_max_age_days=config.health.review_max_age_days, now=now,
    )
