"""The quality gate over many files at once, each file still judged and recorded on its own.

GX costs about 0.4 s of Python per validation run whatever the size of the batch, so a national ingest of
thousands of small files spent most of its time setting up validations. Here the files of one kind (every
force's street files for several months, say) are validated together, once, over the union of their staged
rows (a view), and each file's own result is derived from that run where the derivation is exact:

- a row-level expectation (a GX column map expectation, or an SQL check of the form
  `SELECT * FROM {batch} WHERE ...`) that found no unexpected row in the union found none in any file;
- the column list is the same for every file staged as published.

The rest is computed per file, shaped exactly as GX 1.x reports it:

- one count in SQL: the rows, a column's distinct values, the rows an SQL check returns, a column's nulls;
- a column map check (values between bounds, in a set) that found rows in the group, or that depends on the
  file's month (left out of the union's run when the group spans months): counted in SQL per file; a file with
  no unexpected row gets GX's result for a clean column, and GX runs again, with only those expectations, on a
  file that has some;
- anything else: GX runs again on each file with only those expectations.

A file therefore gets the same pass or fail, and the same stored result per expectation, as when it is
validated alone; a bad file is rejected alone (tests/test_ingest_batched.py checks both, result by result).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tasks import data_docs
from tasks.validate import (COLUMN_LIST_EXPECTATIONS, EXAMPLES_KEPT, SHAPE_EXPECTATIONS, ExpectationOutcome, SuiteRun, _parameters_for,
                            gx_datasource, record_runs, run_suite, suite_definition)

# An SQL check that only filters rows: no unexpected row over a union means none in any part of it.
_ROW_FILTER_QUERY = re.compile(r"^\s*SELECT\s+\*\s+FROM\s+\{batch\}\s+WHERE\s", re.IGNORECASE)


@dataclass
class GateMember:
    """One staged file offered to the gate with others of its kind."""

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
    """Validate staged files of one kind (of one month or several) together and record each file's results.

    Returns (passed, what failed) per member, in order."""
    kind = members[0].source.kind
    if any(m.source.kind != kind for m in members):
        raise ValueError("a gate group holds files of one kind")
    definition = suite_definition(kind)["expectations"]
    with gx_datasource(con) as datasource:
        runs = _runs(con, members, kind, definition, datasource)
    record_runs(con, "gate", [(member.batch_id, run) for member, run in zip(members, runs)])  # one statement
    return [(run.passed, run.summary()) for run in runs]


def _month_dependent(item: dict) -> bool:
    """An expectation taking a suite parameter (the file's month): its result over a union of months means nothing."""
    return any(isinstance(value, dict) and "$PARAMETER" in value for value in (item.get("kwargs") or {}).values())


def _union_count_says_nothing(item: dict) -> bool:
    """A count taken per file in SQL whose value over a union tells nothing of any file (a table's rows, a
    column's distinct values, an SQL check that groups rows): GX need not compute it over the union."""
    if not _counted_in_sql(item):
        return False
    if item["type"] == "unexpected_rows_expectation":
        return not _ROW_FILTER_QUERY.match(item["kwargs"]["unexpected_rows_query"])
    return item["type"] in ("expect_table_row_count_to_be_between", "expect_column_unique_value_count_to_be_between")


def _runs(con, members: list[GateMember], kind: str, definition: list[dict], datasource) -> list[SuiteRun]:
    """Each member's suite run: derived from one run over their union where exact, else computed for the member
    (in SQL where DuckDB gives GX's result exactly, else by GX on the member with only those expectations)."""
    index_of = {_definition_key(item): index for index, item in enumerate(definition)}
    if len(members) == 1:
        member = members[0]
        return [run_suite(con, member.staged, kind, _parameters_for(member.source.month), datasource=datasource)]
    one_month = len({m.source.month for m in members}) == 1
    # Left out of the union's run and judged per file: counts whose union value is no file's, and, over several
    # months, the month-dependent expectations.
    per_file_only = {i for i, item in enumerate(definition)
                     if _union_count_says_nothing(item) or (not one_month and _month_dependent(item))}
    together_only = None if not per_file_only else tuple(i for i in range(len(definition)) if i not in per_file_only)
    schema = members[0].staged.rsplit(".", 1)[0]  # the staging database the members sit in
    union = f"{schema}.gate_group_{members[0].batch_id}"
    # A view, not a copy: GX's few metric queries scan the members where they are staged.
    con.execute(f"CREATE OR REPLACE VIEW {union} AS "
                + " UNION ALL BY NAME ".join(f"SELECT * FROM {m.staged}" for m in members))
    try:
        together = run_suite(con, union, kind, _parameters_for(members[0].source.month) if one_month else {},
                             only=together_only, datasource=datasource)
    finally:
        con.execute(f"DROP VIEW IF EXISTS {union}")
    # The joint run is the GX result these files' derived outcomes come from: one Data Docs page for the group.
    data_docs.keep(con, None, "gate", together.gx_result, label=_group_label(members))
    derived = []
    for outcome in together.outcomes:
        index = index_of.get(_key(outcome.expectation, outcome.column, outcome.description))
        if index is not None and index not in per_file_only and _derivable(outcome, definition[index]):
            derived.append((index, outcome))
    rest = set(range(len(definition))) - {index for index, _ in derived}
    templates = {i: _outcome_of(together, definition[i]) or _template(kind, definition[i]) for i in rest}
    counted = {i: templates[i] for i in rest
               if templates[i].error is None and _counted_in_sql(definition[i])}
    filtered = {i: templates[i] for i in rest - set(counted)
                if templates[i].error is None and _selectable(definition[i])}
    again = rest - set(counted) - set(filtered)
    in_sql = {**counted, **filtered}
    runs = []
    for member in members:
        parameters = _parameters_for(member.source.month)
        outcomes = [outcome for _, outcome in derived]
        numbers = _numbers_in_sql(con, member.staged, {i: definition[i] for i in in_sql}, parameters)
        # A column map check with no unexpected row in this file has GX's result for a clean column; else GX runs.
        own = {i: _outcome_from_numbers(con, member.staged, definition[i], numbers[i], in_sql[i]) for i in in_sql}
        outcomes += [outcome for outcome in own.values() if outcome is not None]
        rerun = tuple(sorted(again | {i for i, outcome in own.items() if outcome is None}))
        if rerun:
            outcomes += run_suite(con, member.staged, kind, parameters, only=rerun, datasource=datasource).outcomes
        runs.append(SuiteRun(suite=kind, outcomes=outcomes))
    return runs


def _group_label(members: list[GateMember]) -> str:
    """The Data Docs name of a group's joint result: its batch ids, or the first and last of many (a file name)."""
    ids = [str(m.batch_id) for m in members]
    return "batches-" + ("-".join(ids) if len(ids) <= 8 else f"{ids[0]}-to-{ids[-1]}-{len(ids)}-files")


def _template(kind: str, item: dict) -> ExpectationOutcome:
    """An outcome naming the expectation as run_suite names it, for one the union's run left out."""
    expectation, column, description = _definition_key(item)
    return ExpectationOutcome(suite=kind, expectation=expectation, column=column, description=description,
                              severity=item["meta"]["severity"], success=True)


# Expectations whose whole result is one count DuckDB gives exactly: the table's rows, a column's distinct
# values, the rows an SQL check returns, a column's nulls. Counted per file in SQL instead of a GX run per file.
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


def _aggregates(table: str, item: dict, parameters: dict) -> tuple[list[str], list]:
    """The SQL aggregates over `table` (and their parameter values) a file's own outcome of `item` is made of:
    an expectation counted in SQL (`_counted_in_sql`) or a column map check DuckDB can select (`_selectable`)."""
    kwargs, kind = item["kwargs"], item["type"]
    if kind == "expect_column_values_to_not_be_null":
        return ["count(*)", f'count("{kwargs["column"]}")'], []
    if kind == "unexpected_rows_expectation":
        return [f"(SELECT count(*) FROM ({kwargs['unexpected_rows_query'].format(batch=table)}))"], []
    if kind == "expect_table_row_count_to_be_between":
        return ["count(*)"], []
    if kind == "expect_column_unique_value_count_to_be_between":
        return [f'count(DISTINCT "{kwargs["column"]}")'], []
    where, values = _unexpected_where(item, parameters)
    return ["count(*)", f'count("{kwargs["column"]}")', f"count(*) FILTER (WHERE {where})"], values


def _numbers_in_sql(con, table: str, items: dict[int, dict], parameters: dict) -> dict[int, tuple]:
    """Every number the per-file outcomes of `items` need, in one query over the file's staging table."""
    if not items:
        return {}
    expressions, values, spans = [], [], {}
    for index, item in items.items():
        more, more_values = _aggregates(table, item, parameters)
        spans[index] = (len(expressions), len(expressions) + len(more))
        expressions += more
        values += more_values
    row = con.execute(f"SELECT {', '.join(expressions)} FROM {table}", values).fetchone()
    return {index: row[start:end] for index, (start, end) in spans.items()}


def _outcome_from_numbers(con, table: str, item: dict, numbers: tuple,
                          template: ExpectationOutcome) -> ExpectationOutcome | None:
    """The file's own outcome, shaped as GX 1.x gives it, from its numbers (`_aggregates`); None for a column map
    check that found unexpected rows in the file (GX then runs on it)."""
    from dataclasses import replace

    from tasks.validate import _examples_for_rows_query

    kwargs, kind = item["kwargs"], item["type"]
    if kind == "expect_column_values_to_not_be_null":
        # ExpectColumnValuesToNotBeNull._validate and _format_map_output: unexpected = null rows, their percent of
        # all rows, success when the share of non-null rows is at least `mostly` (vacuously true with no rows), and
        # the first null values as examples.
        total, nonnull = numbers
        nulls = total - nonnull
        success = True if total == 0 else (total - nulls) / total >= kwargs.get("mostly", 1)
        return replace(template, success=success, observed_value=None, unexpected_count=nulls,
                       unexpected_percent=nulls / total * 100 if total > 0 else None,
                       unexpected_examples=[None] * min(nulls, EXAMPLES_KEPT) or None, error=None)
    if kind == "unexpected_rows_expectation":
        (count,) = numbers
        examples = _examples_for_rows_query(con, kwargs["unexpected_rows_query"], table) if count else None
        return replace(template, success=count == 0, observed_value=count, unexpected_count=count,
                       unexpected_percent=None, unexpected_examples=examples or None, error=None)
    if kind in ("expect_table_row_count_to_be_between", "expect_column_unique_value_count_to_be_between"):
        (count,) = numbers
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        success = (low is None or count >= low) and (high is None or count <= high)
        return replace(template, success=success, observed_value=count, unexpected_count=None,
                       unexpected_percent=None, unexpected_examples=None, error=None)
    # ColumnMapExpectation._validate and _format_map_output for a column with no unexpected row: success, 0 percent
    # of the non-null rows (None when there are none).
    total, nonnull, unexpected = numbers
    if unexpected:
        return None
    return replace(template, success=True, observed_value=None, unexpected_count=0,
                   unexpected_percent=0 / nonnull * 100 if total > 0 and nonnull > 0 else None,
                   unexpected_examples=None, error=None)


# Column map expectations whose unexpected rows DuckDB can select as GX's SQLAlchemy conditions do (rows where
# the column is null are never unexpected for these), with the kwargs they may carry.
_BETWEEN_KWARGS = {"column", "min_value", "max_value", "mostly"}
_IN_SET_KWARGS = {"column", "value_set", "mostly"}


def _selectable(item: dict) -> bool:
    kwargs = item.get("kwargs") or {}
    if item["type"] == "expect_column_values_to_be_between":
        bounds_given = kwargs.get("min_value") is not None and kwargs.get("max_value") is not None
        return set(kwargs) <= _BETWEEN_KWARGS and bounds_given
    return item["type"] == "expect_column_values_to_be_in_set" and set(kwargs) <= _IN_SET_KWARGS


def _unexpected_where(item: dict, parameters: dict) -> tuple[str, list]:
    """(WHERE clause, its values) selecting the rows GX counts as unexpected, for a `_selectable` expectation."""
    kwargs = item["kwargs"]
    column = f'"{kwargs["column"]}"'
    if item["type"] == "expect_column_values_to_be_between":
        low, high = (parameters[b["$PARAMETER"]] if isinstance(b, dict) else b
                     for b in (kwargs["min_value"], kwargs["max_value"]))
        return f"{column} IS NOT NULL AND NOT ({column} >= ? AND {column} <= ?)", [low, high]
    return f"{column} IS NOT NULL AND NOT list_contains(?, {column})", [list(kwargs["value_set"])]


gate_group.groups_files = True  # tasks.ingest hands this gate whole groups of files
