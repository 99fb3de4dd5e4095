"""The quality gate over many files at once, each file still judged and recorded on its own.

GX costs about 0.4 s of Python per validation run whatever the size of the batch, so a national ingest of
thousands of small files spent most of its time setting up validations. Here the files of one kind and month
(every force's street file for 2024-08, say) are validated together, once, over the union of their staged
rows, and each file's own result is derived from that run where the derivation is exact:

- a row-level expectation (a GX column map expectation, or an SQL check of the form
  `SELECT * FROM {batch} WHERE ...`) that found no unexpected row in the union found none in any file;
- the column list is the same for every file staged as published.

Expectations whose result is one count (the rows, a column's distinct values, the rows an SQL check
returns) are counted per file in SQL, shaped as GX reports them. Everything else (a row-level check that
found some rows in the group) is run again per file with only those expectations, a small part of the suite.
A file therefore gets the same pass or fail, and the same stored result per expectation, as when it is
validated alone; a bad file is rejected alone (tests/test_ingest_batched.py checks both, result by result).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tasks import data_docs
from tasks.validate import (COLUMN_LIST_EXPECTATIONS, EXAMPLES_KEPT, SHAPE_EXPECTATIONS, ExpectationOutcome, SuiteRun, _parameters_for,
                            gx_datasource, record, run_suite, suite_definition)

# An SQL check that only filters rows: no unexpected row over a union means none in any part of it.
_ROW_FILTER_QUERY = re.compile(r"^\s*SELECT\s+\*\s+FROM\s+\{batch\}\s+WHERE\s", re.IGNORECASE)


@dataclass
class GateMember:
    """One staged file offered to the gate with others of its kind and month."""

    staged: str  # schema-qualified staging table
    source: object  # sources.police_uk.PoliceFile
    batch_id: int


def _key(expectation: str, column: str | None, description: str | None) -> tuple:
    return expectation, column, description


def _definition_key(item: dict) -> tuple:
    kwargs = item.get("kwargs") or {}
    column = kwargs.get("column")
    if item["type"] in COLUMN_LIST_EXPECTATIONS:
        column = ", ".join(kwargs["column_list"])
    return _key(item["type"], column, item.get("description"))


@functools.lru_cache(maxsize=None)
def _row_level(expectation_type: str) -> bool:
    """A GX map expectation: judged row by row, so its unexpected rows over a union are the parts' rows summed."""
    from great_expectations.expectations.expectation import (ColumnMapExpectation, ColumnPairMapExpectation,
                                                             MulticolumnMapExpectation)
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        implementation = get_expectation_impl(expectation_type)
    except Exception:  # an unknown type cannot be derived; it is run per file
        return False
    return issubclass(implementation, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))


def _derivable(outcome: ExpectationOutcome, item: dict) -> bool:
    """Whether every file's outcome for this expectation is exactly the union's."""
    if outcome.error is not None or not outcome.success:
        return False
    if outcome.expectation in SHAPE_EXPECTATIONS:
        return True  # every member was staged with the published columns of its kind
    if outcome.expectation == "unexpected_rows_expectation":
        query = (item.get("kwargs") or {}).get("unexpected_rows_query", "")
        return outcome.observed_value == 0 and bool(_ROW_FILTER_QUERY.match(query))
    return _row_level(outcome.expectation) and not outcome.unexpected_count


def gate_group(con, members: list[GateMember]) -> list[tuple[bool, str]]:
    """Validate staged files of one kind and month together and record each file's results.

    Returns (passed, what failed) per member, in order."""
    kind = members[0].source.kind
    month = members[0].source.month
    if any(m.source.kind != kind or m.source.month != month for m in members):
        raise ValueError("a gate group holds files of one kind and one month")
    parameters = _parameters_for(month)
    definition = suite_definition(kind)["expectations"]
    with gx_datasource(con) as datasource:
        runs = _runs(con, members, kind, parameters, definition, datasource)
    con.execute("BEGIN TRANSACTION")  # one commit for the group's results, not one per file
    try:
        for member, run in zip(members, runs):
            record(con, member.batch_id, "gate", run)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return [(run.passed, run.summary()) for run in runs]


def _runs(con, members: list[GateMember], kind: str, parameters: dict, definition: list[dict], datasource) -> list[SuiteRun]:
    """Each member's suite run: derived from one run over their union where exact, else run on the member."""
    index_of = {_definition_key(item): index for index, item in enumerate(definition)}
    if len(members) == 1:
        return [run_suite(con, members[0].staged, kind, parameters, datasource=datasource)]
    schema = members[0].staged.rsplit(".", 1)[0]  # the staging database the members sit in
    union = f"{schema}.gate_group_{members[0].batch_id}"
    con.execute(f"CREATE OR REPLACE TABLE {union} AS "
                + " UNION ALL BY NAME ".join(f"SELECT * FROM {m.staged}" for m in members))
    try:
        together = run_suite(con, union, kind, parameters, datasource=datasource)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {union}")
    # The joint run is the GX result these files' derived outcomes come from: one Data Docs page for the group.
    data_docs.keep(con, None, "gate", together.gx_result, label="batches-" + "-".join(str(m.batch_id) for m in members))
    derived = []
    for outcome in together.outcomes:
        index = index_of.get(_key(outcome.expectation, outcome.column, outcome.description))
        if index is not None and _derivable(outcome, definition[index]):
            derived.append((index, outcome))
    rest = set(range(len(definition))) - {index for index, _ in derived}
    counted = {index: outcome for index, outcome in ((i, _outcome_of(together, definition[i])) for i in rest)
               if outcome is not None and outcome.error is None and _counted_in_sql(definition[index])}
    again = tuple(sorted(rest - set(counted)))
    runs = []
    for member in members:
        per_file = (run_suite(con, member.staged, kind, parameters, only=again, datasource=datasource).outcomes
                    if again else [])
        per_file += [_count_in_sql(con, member.staged, definition[index], outcome) for index, outcome in counted.items()]
        runs.append(SuiteRun(suite=kind, outcomes=[outcome for _, outcome in derived] + per_file))
    return runs


# Expectations whose whole result is one count DuckDB gives exactly: the table's rows, a column's distinct
# values, the rows an SQL check returns. Counted per file in SQL instead of a GX run per file.
_BOUNDS = {"min_value", "max_value"}


def _counted_in_sql(item: dict) -> bool:
    kwargs = set(item.get("kwargs") or {})
    if item["type"] == "expect_column_values_to_not_be_null":
        return kwargs <= {"column", "mostly"}
    if item["type"] == "expect_table_row_count_to_be_between":
        return kwargs <= _BOUNDS
    if item["type"] == "expect_column_unique_value_count_to_be_between":
        return kwargs <= _BOUNDS | {"column"}
    return item["type"] == "unexpected_rows_expectation" and kwargs == {"unexpected_rows_query"}


def _outcome_of(run: SuiteRun, item: dict) -> ExpectationOutcome | None:
    for outcome in run.outcomes:
        if _key(outcome.expectation, outcome.column, outcome.description) == _definition_key(item):
            return outcome
    return None


def _count_in_sql(con, table: str, item: dict, template: ExpectationOutcome) -> ExpectationOutcome:
    """The file's own outcome of a counting expectation, shaped as GX gives it (see _counted_in_sql)."""
    from dataclasses import replace

    from tasks.validate import _examples_for_rows_query

    kwargs = item["kwargs"]
    if item["type"] == "expect_column_values_to_not_be_null":
        return _not_null_in_sql(con, table, kwargs, template)
    if item["type"] == "unexpected_rows_expectation":
        query = kwargs["unexpected_rows_query"]
        count = con.execute(f"SELECT count(*) FROM ({query.format(batch=table)})").fetchone()[0]
        examples = _examples_for_rows_query(con, query, table) if count else None
        return replace(template, success=count == 0, observed_value=count, unexpected_count=count,
                       unexpected_percent=None, unexpected_examples=examples or None, error=None)
    if item["type"] == "expect_table_row_count_to_be_between":
        count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    else:
        count = con.execute(f'SELECT count(DISTINCT "{kwargs["column"]}") FROM {table}').fetchone()[0]
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    success = (low is None or count >= low) and (high is None or count <= high)
    return replace(template, success=success, observed_value=count, unexpected_count=None, unexpected_percent=None,
                   unexpected_examples=None, error=None)


def _not_null_in_sql(con, table: str, kwargs: dict, template: ExpectationOutcome) -> ExpectationOutcome:
    """expect_column_values_to_not_be_null on one file, as GX 1.x computes it (ExpectColumnValuesToNotBeNull.
    _validate and _format_map_output): unexpected = null rows, their percent of all rows, success when the share
    of non-null rows is at least `mostly` (vacuously true with no rows), and the first null values as examples."""
    from dataclasses import replace

    total, nulls = con.execute(f'SELECT count(*), count(*) - count("{kwargs["column"]}") FROM {table}').fetchone()
    mostly = kwargs.get("mostly", 1)
    success = True if total == 0 else (total - nulls) / total >= mostly
    percent = nulls / total * 100 if total > 0 else None
    examples = [None] * min(nulls, EXAMPLES_KEPT)
    return replace(template, success=success, observed_value=None, unexpected_count=nulls, unexpected_percent=percent,
                   unexpected_examples=examples or None, error=None)


gate_group.groups_files = True  # tasks.ingest hands this gate whole groups of files
