"""What every command module shares: the root app, the console, common options and the report printers."""
from __future__ import annotations

import os
from pathlib import Path

# Prefect's temporary server would try to send telemetry from a machine that may have no internet, and its
# default 20 s start-up limit is too short on a busy two-core machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The project's own loggers (tasking.*: fetch retries, steps) go to the Prefect run's log too.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "tasking")
# Outside a Prefect run (a command run in-process) those lines are printed only: there is no run to send them to.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
# Messages about waiting go to stderr so that a command's own output stays clean for pipes.
err_console = Console(stderr=True)


def safe(value) -> str:
    """Stored or user-supplied text made safe to print: Rich reads `[...]` in a string as markup, so a reviewer
    named `[/x]` would crash every later listing. Print every stored value through this (or as a rich Text)."""
    return escape("" if value is None else str(value))


def fail(message) -> typer.Exit:
    """Print one error line (the message escaped) and return the exit to raise."""
    console.print(f"[red]error[/red] {safe(message)}", soft_wrap=True)  # one line: names and paths stay whole
    return typer.Exit(code=1)


class TaskingApp(typer.Typer):
    """The root app; its entry point turns the errors every command can meet into one clear line and exit 1.

    A command that waited for the warehouse and gave up ends with the `WarehouseBusy` sentence (which file,
    which process holds it, how to wait longer); no raw DuckDB lock traceback reaches the user.
    """

    def __call__(self, *args, **kwargs):
        from tasking import warehouse

        warehouse.on_wait = lambda message: err_console.print(f"[yellow]note[/yellow] {safe(message)}")
        try:
            return super().__call__(*args, **kwargs)
        except warehouse.WarehouseBusy as error:
            err_console.print(f"[red]error[/red] {safe(error)}")
            raise SystemExit(3)
        except Exception as error:
            if not warehouse.is_lock_conflict(error):
                raise
            err_console.print(f"[red]error[/red] {safe(warehouse.lock_holder(error))} holds the warehouse; "
                              f"run the command again when it has finished")
            raise SystemExit(3)


app = TaskingApp(add_completion=False, no_args_is_help=True, help="Tasking and coordination products from police data.")

WarehouseOption = typer.Option(None, "--warehouse", help="DuckDB file (default $TASKING_WAREHOUSE or var/warehouse.duckdb)")
# A place, in the one syntax every command takes (tasks.indicators.Scope.from_area_text reads it).
AreaOption = typer.Option(None, "--area", help="lsoa:CODE,CODE | la:NAME_OR_CODE | bbox:minlon,minlat,maxlon,maxlat | "
                                               "wkt:POLYGON((...)) | file:PATH (GeoJSON, shapefile, GeoPackage); "
                                               "default whole force")


def existing_warehouse(path) -> Path:
    """The warehouse a read-only command reads; exits 2 naming the path when no warehouse is there (a read must
    never create an empty one)."""
    from tasking.warehouse import warehouse_path

    target = warehouse_path(path)
    if not target.is_file():
        console.print(f"[red]error[/red] {target}: no warehouse here (give --warehouse, set TASKING_WAREHOUSE, "
                      "or load data with `tasking ingest`)", soft_wrap=True)
        raise typer.Exit(code=2)
    return target


def batch_table(report, title: str) -> Table:
    table = Table(title=title)
    for column in ("file", "status", "kind", "force", "month", "rows", "changed", "problem"):
        table.add_column(column, overflow="fold")
    for b in report.batches:
        changed = ""
        if b.rows_added is not None:
            changed = f"+{b.rows_added}/-{b.rows_removed}"
            if b.outcomes_changed is not None:
                changed += f", {b.outcomes_changed} outcomes"
        style = {"failed": "red", "quarantined": "yellow", "unchanged": "dim"}.get(b.status)
        table.add_row(safe(Path(b.name).name if "!" not in b.name else b.name.split("!")[-1]), b.status, safe(b.kind),
                      safe(b.force), safe(b.month), str(b.rows), changed, safe(b.error or b.notes), style=style)
    return table


def finish(report) -> None:
    counts = ", ".join(f"{status} {report.count(status)}" for status in ("loaded", "replaced", "unchanged", "quarantined", "failed")
                       if report.count(status))
    console.print(f"[bold]{len(report.batches)} files:[/bold] {counts or 'nothing found'}")
    for failure in report.failed:
        console.print(f"[red]error[/red] {safe(failure.error)}")
    if not report.ok:
        raise typer.Exit(code=1)


def print_quality(warehouse) -> None:
    """Pass rates per suite, quarantined batches and incomplete force-months (tasks.validate)."""
    from tasks.validate import quality_summary

    quality = quality_summary(warehouse)
    if quality.pass_rates.empty:
        console.print("Quality: no batch has been validated yet.")
    else:
        table = Table(title="Quality gate (latest validation of each batch)")
        for column in ("suite", "batches", "passed", "pass rate", "warnings"):
            table.add_column(column)
        for r in quality.pass_rates.itertuples(index=False):
            table.add_row(safe(r.suite), str(r.batches), str(r.passed), f"{r.pass_rate_percent}%", str(r.warnings),
                          style="yellow" if r.passed < r.batches else None)
        console.print(table)
    for r in quality.quarantined.itertuples(index=False):
        console.print(f"[yellow]quarantined[/yellow] batch {r.batch_id}: {safe(r.error)}")
    if quality.incomplete.empty:
        console.print("Completeness: every loaded force-month is complete.")
    for r in quality.incomplete.itertuples(index=False):
        console.print(f"[yellow]{safe(r.status)}[/yellow] {safe(r.kind)} {safe(r.force)} {str(r.month)[:7]}: {safe(r.reason)}")

