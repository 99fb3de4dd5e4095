"""Load data.police.uk files into the warehouse: stage, gate, then replace the (kind, force, month) atomically.

Each file is one batch. A batch is parsed by DuckDB straight into a staging table and offered to the quality
gate; meanwhile the old rows of that kind, force and month are deleted and the new ones inserted inside one
transaction, committed only if the gate passes. A re-released month replaces its predecessor, a rejected one
never becomes visible, and nothing is ever doubled. A file whose hash matches the last load of its month is
reported "unchanged" and writes no data.
"""
from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

import duckdb

from sources.files import short_error
from sources.police_uk import (COLUMNS, PoliceFile, SourceError, check_header, discover, open_source, read_csv_sql,
                               read_header)
from tasking import warehouse
from tasking import faults
from tasks.staging import STAGING, attach_staging as _attach_staging
from tasks.validate import GateVerdict

LOADED_STATUSES = ("loaded", "replaced", "unchanged")


def staged_name(con, batch_id: int) -> str:
    """The staging table of a batch (batch ids are unique across every kind of input)."""
    _attach_staging(con)
    return f"{STAGING}.batch_{batch_id}"


@contextmanager
def batch_attempt(con, result: "BatchResult", where: str, batch_id: int) -> Iterator[None]:
    """Record a bad file as the batch result's error (naming `where`) instead of raising, and drop whatever the
    batch staged, whatever happened."""
    try:
        yield
    except SourceError as error:
        result.error = str(error)
    except (duckdb.Error, OSError, UnicodeError) as error:
        result.error = f"{where}: {short_error(error)}"
    finally:
        con.execute(f"DROP TABLE IF EXISTS {staged_name(con, batch_id)}")


class Gate(Protocol):
    def __call__(self, con: duckdb.DuckDBPyConnection, staged_table: str, source: PoliceFile, batch_id: int) -> GateVerdict: ...


@dataclass
class BatchResult:
    name: str
    status: str  # loaded | replaced | unchanged | failed | quarantined
    kind: str | None = None
    force: str | None = None
    month: str | None = None
    rows: int = 0
    rows_added: int | None = None
    rows_removed: int | None = None
    outcomes_changed: int | None = None  # street: crimes whose last outcome category changed
    error: str | None = None
    seconds: float = 0.0
    notes: str | None = None  # what reading changed, e.g. "3 control characters stripped" (sources/files.py)


@dataclass
class IngestReport:
    batches: list[BatchResult] = field(default_factory=list)

    @property
    def failed(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status in ("failed", "quarantined")]

    @property
    def ok(self) -> bool:
        return not self.failed

    def count(self, status: str) -> int:
        return sum(1 for b in self.batches if b.status == status)


def _content_columns(kind: str) -> list[str]:
    columns = [column for _, column, _ in COLUMNS[kind]]
    return columns if "month" in columns else columns + ["month"]


def _last_loaded_sha(con, source: PoliceFile) -> str | None:
    return _last_loaded_shas(con, [source]).get((source.kind, source.force, source.month))


def _last_loaded_shas(con, sources: list[PoliceFile]) -> dict[tuple, str]:
    """The hash of the last load of each source's (kind, force, month) that has one, in one query."""
    if not sources:
        return {}
    keys = sorted({(s.kind, s.force, s.month) for s in sources})
    rows = con.execute(
        "SELECT l.kind, l.force, l.month, arg_max(l.sha256, l.batch_id) FROM ingest_log AS l"
        " JOIN (SELECT unnest($kinds) AS kind, unnest($forces) AS force, unnest($months) AS month) AS k"
        " USING (kind, force, month) WHERE l.status IN ('loaded', 'replaced', 'unchanged') GROUP BY ALL",
        {"kinds": [k for k, _, _ in keys], "forces": [f for _, f, _ in keys], "months": [m for _, _, m in keys]},
    ).fetchall()
    return {(kind, force, month): sha for kind, force, month, sha in rows}


def _stage(con, source: PoliceFile, local: Path, sha: str, batch_id: int, loaded_at: datetime,
           as_published: bool = True) -> str:
    """Parse the file into its staging table: typed as published, or (`as_published=False`, for a file whose
    header is not the published one) as text under its own headers in snake_case, for the gate to describe."""
    staged = staged_name(con, batch_id)
    params = {"path": str(local), "force": source.force, "source_file": source.name, "sha": sha, "loaded_at": loaded_at}
    extra_month = ""
    if "month" not in [column for _, column, _ in COLUMNS[source.kind]]:
        extra_month = ", CAST($file_month AS DATE) AS month"
        params["file_month"] = source.month
    if as_published:
        rows = f"({read_csv_sql(source.kind)})"
    else:
        params["names"] = [re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or f"column_{i}"
                           for i, name in enumerate(read_header(local, source.name), start=1)]
        rows = "read_csv($path, header = true, all_varchar = true, names = $names)"
    con.execute(
        f"CREATE TABLE {staged} AS SELECT csv.*{extra_month}, $force AS force, $source_file AS source_file,"
        f" $sha AS source_sha256, $loaded_at AS ingested_at FROM {rows} AS csv",
        params,
    )
    return staged


def _write_month(con, source: PoliceFile, staged: str) -> tuple[int, int | None, int | None, int | None]:
    """Inside the caller's open transaction, replace the month's rows with the staged ones;
    returns (rows, added, removed, outcomes changed)."""
    table = source.table
    key = "force = ? AND month = ?"
    key_params = [source.force, source.month]
    columns = ", ".join(_content_columns(source.kind))
    had = con.execute(f"SELECT count(*) FROM {table} WHERE {key}", key_params).fetchone()[0]
    added = removed = outcomes_changed = None
    if had:
        old = f"(SELECT {columns} FROM {table} WHERE {key})"
        new = f"(SELECT {columns} FROM {staged})"
        added = con.execute(f"SELECT count(*) FROM ({new} EXCEPT ALL {old})", key_params).fetchone()[0]
        removed = con.execute(f"SELECT count(*) FROM ({old} EXCEPT ALL {new})", key_params).fetchone()[0]
        if source.kind == "street":
            # Crime IDs can repeat within a published month, so compare each crime's set of outcomes.
            per_crime = "SELECT crime_id, list_sort(list(coalesce(last_outcome_category, ''))) AS outcomes FROM {} WHERE crime_id IS NOT NULL{} GROUP BY crime_id"
            outcomes_changed = con.execute(
                f"SELECT count(*) FROM ({per_crime.format(staged, '')}) AS n"
                f" JOIN ({per_crime.format(table, ' AND ' + key)}) AS o USING (crime_id) WHERE n.outcomes <> o.outcomes",
                key_params,
            ).fetchone()[0]
        con.execute(f"DELETE FROM {table} WHERE {key}", key_params)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {staged}")
    rows = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
    return rows, added, removed, outcomes_changed


def _gate_and_write(con, source: PoliceFile, staged: str, gate: Gate | None, batch_id: int):
    """Run the gate while the month is written in a transaction of its own, and commit only if the gate passed.

    The write goes through a second connection (a cursor) in a worker thread, so disk writing and validation
    overlap; a batch the gate rejects is rolled back and never becomes visible. Returns (verdict, stats)."""
    writer = con.cursor()
    writer.execute("BEGIN TRANSACTION")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            writing = pool.submit(_write_month, writer, source, staged)
            try:
                verdict = gate(con, staged, source, batch_id) if gate else GateVerdict(True)
            finally:
                stats = writing.result()  # wait for the writer before deciding, even when the gate raised
        faults.point("ingest:before-commit")
        writer.execute("COMMIT" if verdict.passed else "ROLLBACK")
        faults.point("ingest:after-commit")
    except Exception:
        writer.execute("ROLLBACK")
        raise
    finally:
        writer.close()
    return verdict, stats


def log_batch(con, batch_id: int, result: BatchResult, sha: str | None, source: PoliceFile | None, started: datetime) -> None:
    log_batches(con, [(batch_id, result, sha, source, started)])


def log_batches(con, entries: list[tuple[int, BatchResult, str | None, PoliceFile | None, datetime]]) -> None:
    """ingest_log rows of (batch_id, result, sha, source, started), in one statement."""
    if not entries:
        return
    finished = datetime.now(timezone.utc)
    values = [
        [batch_id, result.name, sha,
         source.kind if source else None, source.force if source else None, source.month if source else None,
         result.rows, result.status, result.error, result.rows_added, result.rows_removed, result.outcomes_changed,
         started, finished, result.seconds, result.notes]
        for batch_id, result, sha, source, started in entries
    ]
    con.execute(
        "INSERT INTO ingest_log (batch_id, path, sha256, kind, force, month, rows, status, error, rows_added,"
        " rows_removed, outcomes_changed, started_at, finished_at, seconds, notes) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(values)),
        [value for row in values for value in row],
    )


def quarantine(con, staged: str, batch_id: int) -> None:
    """Keep a rejected batch's rows, unmerged, for people to inspect beside its validation results."""
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    con.execute(f"CREATE TABLE quarantine.batch_{batch_id} AS SELECT * FROM {staged}")
    con.execute(f"DROP TABLE {staged}")


def ingest_one(con, source: PoliceFile, gate: Gate | None = None, *, batch_id: int | None = None,
               local: Path | None = None, sha: str | None = None) -> BatchResult:
    """Load one published file; never raises for bad input, returns a result saying what happened.

    batch_id, local, sha: given when the caller already reserved the batch, has the file on disk and hashed it."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    if batch_id is None:
        batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
    result = BatchResult(name=source.name, status="failed", kind=source.kind, force=source.force,
                         month=source.month.strftime("%Y-%m"))
    with batch_attempt(con, result, source.name, batch_id):
        # The group path hands over a file it already prepared (read safely, hashed on the way); alone, prepare it.
        with (nullcontext(None) if local is not None else open_source(source)) as ready:
            if ready is not None:
                local, sha, result.notes = ready.path, ready.sha256, "; ".join(ready.notes) or None
            if _last_loaded_sha(con, source) == sha:
                result.status = "unchanged"
                result.rows = con.execute(
                    f"SELECT count(*) FROM {source.table} WHERE force = ? AND month = ?", [source.force, source.month]
                ).fetchone()[0]
            else:
                as_published = gate is None or read_header(local, source.name) == [p for p, _, _ in COLUMNS[source.kind]]
                if as_published:
                    check_header(local, source)
                    staged = _stage(con, source, local, sha, batch_id, started)
                else:
                    # The gate's column expectation names what is wrong, and the file is kept in quarantine.
                    staged = _stage(con, source, local, sha, batch_id, started, as_published=False)
                result.rows = con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
                had_before = _last_loaded_sha(con, source) is not None
                if as_published:
                    verdict, stats = _gate_and_write(con, source, staged, gate, batch_id)
                else:
                    # Text columns under the wrong names cannot be written: the gate only describes the file.
                    verdict, stats = gate(con, staged, source, batch_id), None
                if not verdict.passed:
                    quarantine(con, staged, batch_id)
                    result.status = "quarantined"
                    result.error = f"{source.name}: quarantined by the quality gate: {verdict.summary}"
                else:
                    if stats is None:
                        check_header(local, source)  # a header the gate let through is still not the published one
                    result.rows, result.rows_added, result.rows_removed, result.outcomes_changed = stats
                    result.status = "replaced" if had_before else "loaded"
    result.seconds = time.perf_counter() - clock
    log_batch(con, batch_id, result, sha, source, started)
    return result


def default_gate() -> Gate:
    """The quality gate for one batch (tasks.validate), loaded lazily: GX costs seconds to import."""
    from tasks.validate import gate_batch

    return gate_batch


def default_group_gate():
    """The quality gate over a group of files of one kind (tasks.gate_groups), loaded lazily."""
    from tasks.gate_groups import gate_group

    return gate_group


# Files validated and merged together: files of one kind, across forces and months, at most this many at once
# (a national month of street files is 43 files of ~12k rows; the cap bounds the staging memory).
GROUP_MAX_FILES = 64
# Parsing and hashing run on this many threads: DuckDB's CSV reader and hashlib release the GIL.
PARSE_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclass
class _Pending:
    """A file of a group on its way through: where it is read from, its result, and what it staged."""

    source: PoliceFile
    batch_id: int
    result: BatchResult
    started: datetime
    stack: ExitStack = field(default_factory=ExitStack)  # holds the prepared file until the group is done
    local: Path | None = None
    sha: str | None = None
    staged: str | None = None
    published_header: bool = True
    done: bool = False  # result final (failed while reading, or unchanged)


def plan_groups(sources: list[PoliceFile], max_files: int = GROUP_MAX_FILES) -> list[list[PoliceFile]]:
    """Files in groups of one kind, at most one file per (force, month) in a group (a second copy of the same
    (kind, force, month) goes to a later group, so it is loaded after the first, as file by file would).

    A group spans months: the gate's fixed cost is paid per group, and a national month of one kind is 43
    files while a smaller set (fewer forces) would otherwise pay it for every handful of files."""
    groups: list[list[PoliceFile]] = []
    open_groups: dict[str, list[list[PoliceFile]]] = {}
    for source in sources:
        candidates = open_groups.setdefault(source.kind, [])
        for group in candidates:
            if len(group) < max_files and all((other.force, other.month) != (source.force, source.month)
                                               for other in group):
                group.append(source)
                break
        else:
            group = [source]
            candidates.append(group)
            groups.append(group)
    return groups


def _read(pending: _Pending) -> None:
    """Prepare the file through the safe reader (sources.files: caps, encodings, line endings, control characters;
    hashed while read) and read its header, on a worker thread; a bad file is failed here, alone."""
    try:
        ready = pending.stack.enter_context(open_source(pending.source))
        pending.local, pending.sha = ready.path, ready.sha256
        pending.result.notes = "; ".join(ready.notes) or None
        pending.published_header = read_header(pending.local, pending.source.name) == [
            published for published, _, _ in COLUMNS[pending.source.kind]]
    except SourceError as error:
        pending.result.error, pending.done = str(error), True
    except Exception as error:  # whatever a file does wrong stays with that file
        pending.result.error, pending.done = f"{pending.source.name}: {short_error(error)}", True


def _stage_pending(con, pending: _Pending) -> None:
    """Parse one file into its staging table on its own cursor (on a worker thread); failures stay with the file."""
    cursor = con.cursor()
    try:
        check_header(pending.local, pending.source)
        pending.staged = _stage(cursor, pending.source, pending.local, pending.sha, pending.batch_id, pending.started)
        pending.result.rows = cursor.execute(f"SELECT count(*) FROM {pending.staged}").fetchone()[0]
    except SourceError as error:
        pending.result.error, pending.done = str(error), True
    except (duckdb.Error, OSError, UnicodeError) as error:
        pending.result.error, pending.done = f"{pending.source.name}: {short_error(error)}", True
    finally:
        cursor.close()


def _verdicts(con, members: list[_Pending], gate) -> list[tuple[bool, str] | BaseException]:
    """(passed, what failed) per member, or the exception the gate raised on that member."""
    if gate is None:
        return [(True, "")] * len(members)
    if getattr(gate, "groups_files", False):
        from tasks.gate_groups import GateMember

        group = [GateMember(m.staged, m.source, m.batch_id) for m in members]
        try:
            return gate(con, group)
        except Exception:  # judge each file alone, so that a failure is the file's and no other's
            pass
        outcomes = []
        for member in group:
            try:
                outcomes.append(gate(con, [member])[0])
            except Exception as error:
                outcomes.append(error)
        return outcomes
    outcomes = []
    for m in members:
        try:
            verdict = gate(con, m.staged, m.source, m.batch_id)
            outcomes.append((verdict.passed, verdict.summary))
        except Exception as error:
            outcomes.append(error)
    return outcomes


def _write_members(con, members: list[_Pending]) -> dict[int, tuple]:
    """Replace each member's (kind, force, month) with its staged rows, all in one transaction; stats per batch."""
    writer = con.cursor()
    writer.execute("BEGIN TRANSACTION")
    try:
        stats = _write_all(writer, members)
        writer.execute("COMMIT")
        return stats
    except Exception:
        writer.execute("ROLLBACK")
        raise
    finally:
        writer.close()


def _write_all(con, members: list[_Pending]) -> dict[int, tuple]:
    """Inside the caller's open transaction, write every member's (kind, force, month): the months that hold no
    rows yet in one INSERT (nothing to compare or delete), the others one by one with their re-release diff."""
    by_table: dict[str, list[_Pending]] = {}
    for m in members:
        by_table.setdefault(m.source.table, []).append(m)
    stats = {}
    for table, group in by_table.items():
        held = {(force, month) for force, month in con.execute(
            f"SELECT DISTINCT force, month FROM {table} JOIN (SELECT unnest($forces) AS force,"
            f" unnest($months) AS month) AS k USING (force, month)",
            {"forces": [m.source.force for m in group], "months": [m.source.month for m in group]}).fetchall()}
        new = [m for m in group if (m.source.force, m.source.month) not in held]
        if new:
            con.execute(f"INSERT INTO {table} BY NAME "
                        + " UNION ALL BY NAME ".join(f"SELECT * FROM {m.staged}" for m in new))
            stats.update({m.batch_id: (m.result.rows, None, None, None) for m in new})
        for m in group:
            if m not in new:
                stats[m.batch_id] = _write_month(con, m.source, m.staged)
    return stats


def _merge(con, members: list[_Pending], gate, last_sha: dict[tuple, str]) -> None:
    """Gate the staged members and merge those that pass; the write of all of them overlaps the gate, and is
    committed only if every member passed (else it is redone for the passing ones alone)."""
    if not members:
        return
    had_before = {m.batch_id: (m.source.kind, m.source.force, m.source.month) in last_sha for m in members}
    with ThreadPoolExecutor(max_workers=1) as pool:
        writer = con.cursor()
        writer.execute("BEGIN TRANSACTION")
        writing = pool.submit(_write_all, writer, members)
        try:
            outcomes = _verdicts(con, members, gate)
        finally:
            try:
                stats = writing.result()
                write_error = None
            except Exception as error:  # a write that fails is retried file by file below
                stats, write_error = {}, error
        passed = [m for m, o in zip(members, outcomes) if isinstance(o, tuple) and o[0]]
        all_written = write_error is None and len(passed) == len(members)
        faults.point("ingest:before-commit")
        writer.execute("COMMIT" if all_written else "ROLLBACK")
        faults.point("ingest:after-commit")
        writer.close()
    if not all_written:
        stats = {}
        for member in passed:  # each in its own transaction, so a write error is the file's alone
            try:
                stats.update(_write_members(con, [member]))
            except (duckdb.Error, OSError) as error:
                member.result.error = f"{member.source.name}: {short_error(error)}"
    for member, outcome in zip(members, outcomes):
        result = member.result
        if isinstance(outcome, BaseException):
            result.error = f"{member.source.name}: {short_error(outcome)}"
        elif not outcome[0]:
            quarantine(con, member.staged, member.batch_id)
            member.staged = None
            result.status = "quarantined"
            result.error = f"{member.source.name}: quarantined by the quality gate: {outcome[1]}"
        elif member.batch_id in stats:
            result.rows, result.rows_added, result.rows_removed, result.outcomes_changed = stats[member.batch_id]
            result.status = "replaced" if had_before[member.batch_id] else "loaded"


def ingest_group(con, sources: list[PoliceFile], gate, per_file_gate: Gate | None) -> list[BatchResult]:
    """Load files of one kind (one per force and month): hash and parse them in parallel, gate them together,
    merge the passing ones in one transaction. Every file gets its own result and ingest_log row."""
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    ids = [row[0] for row in con.execute("SELECT nextval('ingest_log_id') FROM range(?)", [len(sources)]).fetchall()]
    pending = [_Pending(source, batch_id, BatchResult(name=source.name, status="failed", kind=source.kind,
                                                      force=source.force, month=source.month.strftime("%Y-%m")), started)
               for source, batch_id in zip(sources, ids)]
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool:
        for p in pending:
            stack.enter_context(p.stack)
        list(pool.map(_read, pending))
        last_sha = _last_loaded_shas(con, [p.source for p in pending])
        for p in pending:
            if not p.done and last_sha.get((p.source.kind, p.source.force, p.source.month)) == p.sha:
                p.result.status, p.done = "unchanged", True
                p.result.rows = con.execute(f"SELECT count(*) FROM {p.source.table} WHERE force = ? AND month = ?",
                                            [p.source.force, p.source.month]).fetchone()[0]
        # A header that is not the published one is staged as text for the gate to describe: the old path, alone.
        odd = [p for p in pending if not p.done and not p.published_header and gate is not None]
        for p in odd:
            p.result = ingest_one(con, p.source, per_file_gate, batch_id=p.batch_id, local=p.local, sha=p.sha)
            p.done = True
        to_stage = [p for p in pending if not p.done]
        _attach_staging(con)
        list(pool.map(lambda p: _stage_pending(con, p), to_stage))
        try:
            _merge(con, [p for p in to_stage if not p.done], gate, last_sha)
        finally:
            for p in to_stage:
                if p.staged:
                    con.execute(f"DROP TABLE IF EXISTS {p.staged}")
    seconds = (time.perf_counter() - clock) / max(1, len(pending))  # the group's time, shared out
    for p in pending:
        p.result.seconds = seconds if p not in odd else p.result.seconds
    log_batches(con, [(p.batch_id, p.result, p.sha, p.source, started) for p in pending if p not in odd])
    return [p.result for p in pending]


def ingest_paths(
    paths: list[str | Path],
    warehouse_file: str | Path | None = None,
    *,
    gate: Gate | None | str = "default",
    on_progress: Callable[[BatchResult, int, int], None] | None = None,
    group_files: int = GROUP_MAX_FILES,
) -> IngestReport:
    """Ingest every published file found under `paths`. Bad files are reported, good ones still load.

    Files are loaded in groups of one kind across forces and months (`group_files` at most; 1 loads them one
    by one): each file is still judged, merged, logged and, if bad, quarantined on its own."""
    sources, problems = discover(list(paths))
    report = IngestReport()
    if gate == "default":
        chosen_gate, per_file_gate = default_group_gate(), default_gate()
    else:
        chosen_gate = per_file_gate = gate
    with warehouse.connect(warehouse_file) as con:
        for problem in problems:
            batch_id = con.execute("SELECT nextval('ingest_log_id')").fetchone()[0]
            result = BatchResult(name=problem.where, status="failed", error=str(problem))
            log_batch(con, batch_id, result, None, None, datetime.now(timezone.utc))
            report.batches.append(result)
        total = len(sources)
        position = {id(source): index for index, source in enumerate(sources)}
        results: list[BatchResult | None] = [None] * total
        done = 0
        for group in plan_groups(sources, max(1, group_files)):
            for source, result in zip(group, ingest_group(con, group, chosen_gate, per_file_gate)):
                results[position[id(source)]] = result
                done += 1
                if on_progress:
                    on_progress(result, done, total)
        report.batches += results  # in discovery order, as file by file
    return report
