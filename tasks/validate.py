"""The quality gate: Great Expectations suites (expectations/*.json) run on every batch before it is merged.

Each batch is validated where it already sits, in the warehouse's DuckDB: GX runs its SQL through a
SQLAlchemy engine (duckdb-engine) whose one connection is a cursor of the ingest's own connection, so it sees
the committed staging table without copying it into pandas (GX on pandas costs seconds per million rows).
Every expectation's result is stored in `validation_result`; an expectation tagged `critical` in its meta
that fails blocks the merge (the ingest quarantines the batch), a `warning` is stored and shown only.

Completeness per force, kind and month is the `completeness` view (migration 002); `completeness()` reads it.
GX is imported lazily: the import alone costs seconds, and the context and suites are built once per process.
"""
from __future__ import annotations

import functools
import json
import os
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from tasking import warehouse
from tasks import data_docs

EXPECTATIONS_DIR = Path(__file__).resolve().parents[1] / "expectations"
SEVERITIES = ("critical", "warning")
EXAMPLES_KEPT = 5
# Expectations on the table's columns: when one fails, the other results describe columns that are not the
# published ones, so only these are kept.
SHAPE_EXPECTATIONS = ("expect_table_columns_to_match_ordered_list",)
# Expectations over several columns, named by all of them in the results.
COLUMN_LIST_EXPECTATIONS = ("expect_compound_columns_to_be_unique",)


@dataclass
class GateVerdict:
    """What the gate says about one staged batch: may it be merged, and if not, why (tasks.ingest acts on it)."""
    passed: bool
    summary: str = ""


class SuiteError(Exception):
    """A suite file that cannot be used; the message names the file and the problem."""


@dataclass
class ExpectationOutcome:
    suite: str
    expectation: str
    column: str | None
    description: str | None
    severity: str
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_examples: list | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """How people see the expectation: its GX type, the column it checks, and what it means."""
        name = f"{self.expectation}({self.column})" if self.column else self.expectation
        return f"{name}: {self.description}" if self.description else name


@dataclass
class SuiteRun:
    suite: str
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    gx_result: Any = field(default=None, repr=False, compare=False)  # kept for the Data Docs (tasks.data_docs)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == "critical" and not o.success]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == "warning" and not o.success]

    @property
    def passed(self) -> bool:
        return not self.critical_failures

    def summary(self) -> str:
        return "; ".join(o.label for o in self.critical_failures)


# --- suites -------------------------------------------------------------------------------------------------

def suite_path(suite: str) -> Path:
    return EXPECTATIONS_DIR / f"{suite}.json"


def suite_definition(suite: str) -> dict:
    """The suite's JSON, checked: every expectation has a type and a `critical` or `warning` severity in its meta."""
    path = suite_path(suite)
    if not path.is_file():
        raise SuiteError(f"{path}: no expectation suite for '{suite}'")
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not valid JSON ({error})") from error
    for index, expectation in enumerate(definition.get("expectations") or []):
        severity = (expectation.get("meta") or {}).get("severity")
        if severity not in SEVERITIES:
            raise SuiteError(f"{path}: expectation {index} ({expectation.get('type')}) has meta.severity {severity!r}; "
                             f"expected one of {SEVERITIES}")
    if not definition.get("expectations"):
        raise SuiteError(f"{path}: the suite has no expectations")
    return definition


def _install_duckdb_persisted_connection() -> None:
    """Make GX keep one connection per engine for duckdb, as it does for sqlite.

    GX otherwise closes the connection before fetching a query's rows; a DuckDB result dies with its
    connection, so every metric fails (IndexError in resolve_metric_bundle). GX 1.24.1 is pinned in
    pyproject.toml; tests/test_validate.py checks this still holds after an upgrade.
    """
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

    class _DuckDBDialect(str):
        # GX compares dialect names as strings and reads `.value` when it sees a connection string.
        value = "duckdb"

    if "duckdb" not in engine_module._PERSISTED_CONNECTION_DIALECTS:
        engine_module._PERSISTED_CONNECTION_DIALECTS = (*engine_module._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialect("duckdb"))


def _install_rows_query_counts_only() -> None:
    """Make GX's UnexpectedRowsExpectation count its rows without also fetching them all.

    GX 1.24 computes two metrics for it, the unexpected rows themselves (`SELECT *` of every matching row) and
    their count, and reads the rows only for result_format COMPLETE. The gate asks for SUMMARY and takes its
    few example rows itself (_examples_for_rows_query), so the first query was a second scan, and a copy of
    every bad row, for nothing: about a third of the SQL GX sent per group."""
    from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation

    if UnexpectedRowsExpectation.metric_dependencies == ("unexpected_rows_query.row_count",):
        return
    validate = UnexpectedRowsExpectation._validate

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        return validate(self, {"unexpected_rows_query.table": None, **metrics}, runtime_configuration, execution_engine)

    UnexpectedRowsExpectation.metric_dependencies = ("unexpected_rows_query.row_count",)
    UnexpectedRowsExpectation._validate = _validate


@functools.lru_cache(maxsize=1)
def _gx_context():
    """One ephemeral GX context per process, with progress bars off (they would flood logs and the CLI)."""
    from tasks.gx_import import import_gx

    gx = import_gx()  # without the scipy.stats GX imports for expectations no suite uses (tasks.gx_import)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _install_duckdb_persisted_connection()
    _install_rows_query_counts_only()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # An ephemeral context keeps its project config in memory, yet GX serializes all of it to YAML on every
    # datasource or asset added or removed (four times per validation run here: a fifth of the gate's CPU).
    # Nothing reads that copy back, so this context does not keep it.
    context._save_project_config = lambda *args, **kwargs: None
    return context


@functools.lru_cache(maxsize=None)
def _gx_suite(suite: str, only: tuple[int, ...] | None = None):
    """The GX ExpectationSuite for `suite`, built once per process; severity is taken from each meta.

    only: positions in the suite file of the expectations to keep (a part of the suite, run on its own)."""
    import great_expectations as gx

    definition = suite_definition(suite)
    expectations = []
    for index, item in enumerate(definition["expectations"]):
        if only is None or index in only:
            expectations.append({**item, "severity": item["meta"]["severity"]})
    name = definition.get("name", suite)  # a part keeps the suite's name: its results are the suite's results
    context = _gx_context()
    try:
        built = gx.ExpectationSuite(name=name, expectations=expectations, meta=definition.get("meta"))
    except Exception as error:  # GX raises pydantic or its own errors, varying by expectation type
        raise SuiteError(f"{suite_path(suite)}: GX could not build the suite ({' '.join(str(error).split())})") from error
    # GX logs and drops an expectation it cannot build; a suite must never lose a check silently.
    if len(built.expectations) != len(expectations):
        kept = {e.type for e in built.expectations}
        dropped = [item["type"] for item in definition["expectations"] if item["type"] not in kept]
        raise SuiteError(f"{suite_path(suite)}: GX could not build {len(expectations) - len(built.expectations)} "
                         f"expectation(s): {dropped or 'see the GX log'}")
    # Only the whole suite is registered in the context (a part under the same name would replace it there);
    # GX validates a part it does not hold just as well.
    return context.suites.add_or_update(built) if only is None else built


@contextmanager
def gx_datasource(con) -> Iterator[Any]:
    """A GX SQL datasource whose single connection is a cursor of `con`, closed and removed afterwards."""
    import duckdb_engine

    context = _gx_context()
    name = f"warehouse-{uuid.uuid4().hex}"
    datasource = context.data_sources.add_sql(
        name=name,
        connection_string="duckdb:///:memory:",  # only selects the dialect: `creator` supplies the connection
        kwargs={"creator": lambda: duckdb_engine.ConnectionWrapper(con.cursor())},
    )
    try:
        yield datasource
    finally:
        execution_engine = datasource._execution_engine
        if execution_engine is not None:
            if execution_engine._connection is not None:
                execution_engine._connection.close()
            execution_engine.engine.dispose()
        if datasource._engine is not None:
            datasource._engine.dispose()
        context.data_sources.delete(name)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _error_of(exception_info: dict | None) -> str | None:
    """GX reports an exception either directly or per metric it tried to compute."""
    if not exception_info:
        return None
    if "raised_exception" in exception_info:
        return str(exception_info.get("exception_message")) if exception_info["raised_exception"] else None
    messages = [str(v.get("exception_message")) for v in exception_info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return "; ".join(messages) or None


def _examples_for_rows_query(con, query: str, table: str) -> list:
    """A few rows returned by an UnexpectedRowsExpectation query (GX's SUMMARY results keep only the count)."""
    sql = query.format(batch=table)
    frame = con.execute(f"SELECT * FROM ({sql}) LIMIT {EXAMPLES_KEPT}").df()
    return _jsonable(frame.to_dict(orient="records"))


def run_suite(con, table: str, suite: str, parameters: dict | None = None, only: tuple[int, ...] | None = None,
              datasource=None) -> SuiteRun:
    """Validate the committed table `table` (schema-qualified) with the suite (or the expectations at positions
    `only` in it); GX computes inside DuckDB. `datasource`: one from `gx_datasource(con)` to share between runs
    (setting one up costs GX a tenth of a second)."""
    gx_suite = _gx_suite(suite, only)
    with (nullcontext(datasource) if datasource is not None else gx_datasource(con)) as source:
        name = f"batch-{uuid.uuid4().hex}"
        asset = source.add_query_asset(name=name, query=f"SELECT * FROM {table}")
        try:
            batch = asset.add_batch_definition_whole_table("whole").get_batch()
            result = batch.validate(
                gx_suite,
                expectation_parameters=parameters or {},
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES_KEPT},
            )
        finally:
            if datasource is not None:  # a shared datasource keeps no asset of a table about to be dropped
                source.delete_asset(name)
    run = SuiteRun(suite=suite, gx_result=result)
    for item in result.results:
        config = item.expectation_config
        kwargs = config.kwargs
        details = item.result or {}
        error = _error_of(item.exception_info)
        is_rows_query = config.type == "unexpected_rows_expectation"
        examples = details.get("partial_unexpected_list")
        if is_rows_query and not item.success and error is None:
            examples = _examples_for_rows_query(con, kwargs["unexpected_rows_query"], table)
        column = kwargs.get("column")
        if config.type in COLUMN_LIST_EXPECTATIONS:
            column = ", ".join(kwargs["column_list"])
        run.outcomes.append(ExpectationOutcome(
            suite=suite,
            expectation=config.type,
            column=column,
            description=config.description,
            severity=(config.meta or {}).get("severity", "critical"),
            success=bool(item.success),
            observed_value=_jsonable(details.get("observed_value")),
            # A SQL check's observed value is its number of unexpected rows.
            unexpected_count=details.get("observed_value") if is_rows_query else details.get("unexpected_count"),
            unexpected_percent=details.get("unexpected_percent"),
            unexpected_examples=_jsonable(examples) if examples else None,
            error=error,
        ))
    shape_failed = any(o.expectation in SHAPE_EXPECTATIONS for o in run.critical_failures)
    if shape_failed:
        run.outcomes = [o for o in run.outcomes if o.expectation in SHAPE_EXPECTATIONS]
    return run


def record(con, batch_id: int | None, run_kind: str, run: SuiteRun) -> None:
    """Store one row per expectation result in `validation_result`, in one statement (one commit, not one each)."""
    record_runs(con, run_kind, [(batch_id, run)])


def record_runs(con, run_kind: str, runs: list[tuple[int | None, SuiteRun]]) -> None:
    """`record` for the runs of several batches, (batch_id, run) each, in one statement."""
    rows = [
        [batch_id, o.suite, o.expectation, o.column, o.description, o.severity, o.success,
         None if o.observed_value is None else json.dumps(o.observed_value),
         o.unexpected_count, None if o.unexpected_percent is None else float(o.unexpected_percent),
         None if o.unexpected_examples is None else json.dumps(o.unexpected_examples), o.error]
        for batch_id, run in runs for o in run.outcomes
    ]
    if rows:
        # One list per column, unnested side by side: binding a thousand rows' values one parameter each costs
        # DuckDB seconds, a dozen lists milliseconds.
        columns = ["batch_id", "suite", "expectation", "column_name", "description", "severity", "success",
                   "observed_value", "unexpected_count", "unexpected_percent", "unexpected_examples", "error"]
        types = ["BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR", "BIGINT",
                 "DOUBLE", "VARCHAR", "VARCHAR"]
        con.execute(
            f"INSERT INTO validation_result (run, validated_at, {', '.join(columns)}) SELECT $run, $now, "
            + ", ".join(f"unnest(CAST(${name} AS {kind}[]))" for name, kind in zip(columns, types)),
            {"run": run_kind, "now": datetime.now(timezone.utc),
             **{name: [row[i] for row in rows] for i, name in enumerate(columns)}},
        )
    for batch_id, run in runs:
        if run.outcomes:
            data_docs.keep(con, batch_id, run_kind, run.gx_result)


def _parameters_for(month: date | None) -> dict:
    return {"file_month": month.isoformat()} if month is not None else {}


# --- the gate the ingest calls -------------------------------------------------------------------------------

def gate_batch(con, staged_table: str, source, batch_id: int):
    """Validate one staged data.police.uk batch, store the results, and say whether it may be merged."""
    run = run_suite(con, staged_table, source.kind, _parameters_for(source.month))
    record(con, batch_id, "gate", run)
    return GateVerdict(passed=run.passed, summary=run.summary())


def gate_reference(con, staged_table: str, kind: str, batch_id: int):
    """Validate one staged reference file (IoD 2019 File 1, 2 or 6, or the LSOA lookup) the same way."""
    run = run_suite(con, staged_table, kind)
    record(con, batch_id, "gate", run)
    return GateVerdict(passed=run.passed, summary=run.summary())


# --- re-validation of what is stored -------------------------------------------------------------------------

@dataclass
class StoredCheck:
    kind: str
    force: str | None
    month: date | None
    batch_id: int | None
    rows: int
    run: SuiteRun


def _stored_police_batches(con) -> list[tuple[str, str, date, str]]:
    from sources.police_uk import TABLES

    found = []
    for kind, table in TABLES.items():
        for force, month in con.execute(f"SELECT DISTINCT force, month FROM {table} ORDER BY ALL").fetchall():
            found.append((kind, force, month, table))
    return found


def _last_loading_batch(con, kind: str, force: str | None = None, month: date | None = None) -> int | None:
    row = con.execute(
        "SELECT max(batch_id) FROM ingest_log WHERE kind = ? AND force IS NOT DISTINCT FROM ? AND month IS NOT DISTINCT FROM ?"
        " AND status IN ('loaded', 'replaced')",
        [kind, force, month],
    ).fetchone()
    return row[0] if row else None


def revalidate(warehouse_file=None) -> list[StoredCheck]:
    """Re-run the suites over the rows already stored, per kind, force and month, and over the reference tables.

    Each stored month is copied to the ingest's in-memory staging database (GX reads committed tables through
    its own cursor), validated, and dropped; results are stored with run 'revalidate' against the batch that
    loaded those rows.
    """
    from sources.reference import REFERENCE_KINDS
    from tasks.staging import STAGING, attach_staging

    checks: list[StoredCheck] = []
    with warehouse.connect(warehouse_file) as con:
        attach_staging(con)
        copy = f"{STAGING}.revalidate"
        targets: list[tuple[str, str | None, date | None, str, list]] = [
            (kind, force, month, f"SELECT * FROM {table} WHERE force = ? AND month = ?", [force, month])
            for kind, force, month, table in _stored_police_batches(con)
        ]
        for kind in REFERENCE_KINDS:
            if _last_loading_batch(con, kind.kind) is None:
                continue
            columns = [column for _, column, _ in kind.columns]
            # IoD files share the `lsoa` table: a file's rows are those where its own last column is filled.
            marker = columns[-1] if kind.table == "lsoa" else columns[0]
            targets.append((kind.kind, None, None, f"SELECT {', '.join(columns)} FROM {kind.table} WHERE {marker} IS NOT NULL", []))
        for kind, force, month, select, params in targets:
            con.execute(f"DROP TABLE IF EXISTS {copy}")
            con.execute(f"CREATE TABLE {copy} AS {select}", params)
            try:
                rows = con.execute(f"SELECT count(*) FROM {copy}").fetchone()[0]
                run = run_suite(con, copy, kind, _parameters_for(month))
                batch_id = _last_loading_batch(con, kind, force, month)
                record(con, batch_id, "revalidate", run)
            finally:
                con.execute(f"DROP TABLE IF EXISTS {copy}")
            checks.append(StoredCheck(kind, force, month, batch_id, rows, run))
    return checks


# --- what people see -----------------------------------------------------------------------------------------

COMPLETENESS_COLUMNS = ["kind", "force", "month", "rows", "baseline_median", "baseline_months", "status", "reason",
                        "rejected_batch_id"]


def completeness(warehouse_file=None, force: str | None = None) -> pd.DataFrame:
    """Incomplete force-months (the intelligence gaps products must state); see docs/quality.md for the columns."""
    return warehouse.query_df(
        warehouse_file,
        f"SELECT {', '.join(COMPLETENESS_COLUMNS)} FROM completeness WHERE $force IS NULL OR force = $force"
        " ORDER BY kind, force, month",
        {"force": force},
    )


# Latest validation of each batch by the gate: its pass or fail per suite.
PASS_RATES_SQL = """
WITH latest AS (
    SELECT batch_id, suite, max(validated_at) AS validated_at FROM validation_result WHERE run = 'gate' GROUP BY ALL
),
per_batch AS (
    SELECT v.suite, v.batch_id,
        bool_and(v.success) FILTER (WHERE v.severity = 'critical') AS passed,
        count(*) FILTER (WHERE v.severity = 'warning' AND NOT v.success) AS warnings
    FROM validation_result v JOIN latest USING (batch_id, suite, validated_at) GROUP BY ALL
)
SELECT suite, count(*) AS batches, count(*) FILTER (WHERE passed) AS passed,
    round(100.0 * count(*) FILTER (WHERE passed) / count(*), 1) AS pass_rate_percent,
    CAST(sum(warnings) AS BIGINT) AS warnings
FROM per_batch GROUP BY suite ORDER BY suite
"""

QUARANTINED_SQL = """
SELECT batch_id, path, kind, force, strftime(month, '%Y-%m') AS month, rows, error
FROM ingest_log WHERE status = 'quarantined' ORDER BY batch_id
"""

FAILURES_SQL = """
SELECT v.batch_id, v.run, l.path, v.suite, v.severity, v.expectation, v.column_name, v.description,
    v.unexpected_count, v.observed_value, v.unexpected_examples, v.error, v.validated_at
FROM validation_result v LEFT JOIN ingest_log l USING (batch_id)
WHERE NOT v.success ORDER BY v.validated_at DESC, v.batch_id, v.severity, v.expectation
"""


@dataclass
class QualitySummary:
    pass_rates: pd.DataFrame
    quarantined: pd.DataFrame
    incomplete: pd.DataFrame
    failures: pd.DataFrame


def quality_summary(warehouse_file=None) -> QualitySummary:
    """Pass rates per suite, quarantined batches, incomplete force-months and every failed expectation."""
    return QualitySummary(
        pass_rates=warehouse.query_df(warehouse_file, PASS_RATES_SQL),
        quarantined=warehouse.query_df(warehouse_file, QUARANTINED_SQL),
        incomplete=completeness(warehouse_file),
        failures=warehouse.query_df(warehouse_file, FAILURES_SQL),
    )


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with None for missing values (pandas' NA cannot be tested for truth in templates)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def quality_page_path(warehouse_file=None, out_file: str | os.PathLike | None = None) -> Path:
    """Where the results page goes: `out_file`, else quality/index.html beside the warehouse."""
    return Path(out_file) if out_file else warehouse.warehouse_path(warehouse_file).parent / "quality" / "index.html"


def write_quality_page(warehouse_file=None, out_file: str | os.PathLike | None = None) -> Path:
    """An HTML page of the stored results (the Data Docs equivalent): pass rates, quarantine, gaps, failures."""
    from tasks.render import environment

    summary = quality_summary(warehouse_file)
    target = quality_page_path(warehouse_file, out_file)
    html = environment().get_template("quality.html.j2").render(
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        warehouse=str(warehouse.warehouse_path(warehouse_file)),
        pass_rates=records(summary.pass_rates),
        quarantined=records(summary.quarantined),
        incomplete=records(summary.incomplete.assign(month=summary.incomplete["month"].astype(str).str[:7])),
        failures=records(summary.failures),
        suites={p.stem: suite_definition(p.stem)["expectations"] for p in sorted(EXPECTATIONS_DIR.glob("*.json"))},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target
