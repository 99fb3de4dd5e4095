"""Data commands: synthesise, ingest, check and summarise what the warehouse holds."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.common import AreaOption, WarehouseOption, app, batch_table, console, existing_warehouse, finish, print_quality


@app.command()
def synth(
    force: str = typer.Option("demo-shire", help="force slug used in file names"),
    months: str = typer.Option("2021-09..2024-08", help="month range YYYY-MM..YYYY-MM"),
    out: Path = typer.Option(Path("data/synthetic"), help="folder to write the month folders and reference files into"),
    seed: int = typer.Option(7),
    rows_per_month: int = typer.Option(20000, "--rows-per-month"),
    internal: bool = typer.Option(False, "--internal", help="also write a SYNTHETIC force extract, its mapping and nominals (docs/internal-data.md)"),
) -> None:
    """Write SYNTHETIC data in the exact data.police.uk format and layout (plus matching reference files)."""
    from sources.synthetic import generate, parse_month_range

    try:
        month_range = parse_month_range(months)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--months") from error
    summary = generate(out, force=force, months=month_range, seed=seed, rows_per_month=rows_per_month)
    console.print(
        f"SYNTHETIC data for [bold]{summary.force}[/bold], {len(summary.months)} months, {summary.street_rows:,} street rows, "
        f"{summary.outcome_rows:,} outcomes, {summary.stop_search_rows:,} stop-and-search rows written to {summary.out_dir}"
    )
    if internal:
        from sources.synthetic_internal import generate_internal, month_span

        extract = generate_internal(out, force, *month_span(*month_range), seed=seed)
        console.print(f"SYNTHETIC internal extract: {extract.records:,} records ({extract.burglaries:,} burglaries, "
                      f"{extract.planted_near_repeats:,} planted near repeats) in {extract.extract}; mapping {extract.mapping}; "
                      f"{extract.nominal_count} nominals in {extract.nominals}")


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="CSV files, month folders, folders of months, archive zips"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Load data.police.uk street, outcomes and stop-and-search files (idempotent, quality-gated)."""
    from flows.engine import run_flow
    from flows.ingest import IngestFailed, ingest_flow

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        bar = progress.add_task("starting", total=None)

        def advance(result, index, total):
            progress.update(bar, total=total, completed=index, description=f"{result.status:>11} {Path(result.name).name}")

        try:
            report = run_flow(ingest_flow, paths=[str(p) for p in paths], warehouse=str(warehouse) if warehouse else None,
                              on_progress=advance)
        except IngestFailed as failed:  # the run ended Failed; every file is still reported
            report = failed.report
    console.print(batch_table(report, "Ingest"))
    finish(report)


@app.command("ingest-reference")
def ingest_reference(
    paths: list[Path] = typer.Argument(..., help="IoD 2019 Files 1, 2, 6, the LSOA 2011->2021 lookup, and boundary files "
                                                 "(LSOA 2011/2021, Police Force Areas: GeoJSON, shapefile, GeoPackage); files or folders"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Load IoD 2019 deprivation and population by LSOA, the LSOA 2011->2021 lookup, and boundary polygons."""
    from flows.engine import run_flow
    from flows.ingest import IngestFailed, ingest_flow

    try:
        report = run_flow(ingest_flow, paths=[], warehouse=str(warehouse) if warehouse else None,
                          reference_paths=[str(p) for p in paths])
    except IngestFailed as failed:
        report = failed.report
    console.print(batch_table(report, "Reference ingest"))
    finish(report)


@app.command()
def status(warehouse: Optional[Path] = WarehouseOption) -> None:
    """What is loaded: rows per kind, force and month, and months missing inside each loaded range."""
    from tasks.status import loaded_months, month_gaps, reference_counts

    warehouse = existing_warehouse(warehouse)
    months = loaded_months(warehouse)
    if months.empty:
        console.print("The warehouse holds no data.police.uk rows yet.")
    else:
        table = Table(title="Loaded data.police.uk data")
        for column in ("kind", "force", "first month", "last month", "months", "rows", "missing months"):
            table.add_column(column)
        gaps = month_gaps(warehouse_file=warehouse)
        for (kind, force), group in months.groupby(["kind", "force"], sort=True):
            missing = gaps.get((kind, force), [])
            table.add_row(kind, force, str(group["month"].min())[:7], str(group["month"].max())[:7], str(len(group)),
                          f"{int(group['rows'].sum()):,}", ", ".join(missing) or "none",
                          style="yellow" if missing else None)
        console.print(table)
    reference = reference_counts(warehouse)
    console.print("Reference: " + ", ".join(f"{name} {count:,} rows" for name, count in reference.items()))
    print_quality(warehouse)



@app.command()
def validate(
    warehouse: Optional[Path] = WarehouseOption,
    html: Optional[Path] = typer.Option(None, "--html", help="where to write the results page (default quality/index.html beside the warehouse)"),
) -> None:
    """Re-run the expectation suites over what is stored, report failures and gaps, and write the results page and
    the GX Data Docs (beside the warehouse, gx/uncommitted/data_docs/local_site/index.html)."""
    from flows.engine import run_flow
    from flows.validate import StoredDataFailed, validate_flow
    from tasks.data_docs import data_docs_index
    from tasks.validate import quality_page_path

    warehouse = existing_warehouse(warehouse)
    try:
        checks = run_flow(validate_flow, warehouse=str(warehouse), html=str(html) if html else None)
    except StoredDataFailed as failed:  # the run ended Failed; every check is still shown
        checks = failed.checks
    table = Table(title="Stored data re-validated")
    for column in ("kind", "force", "month", "rows", "critical failed", "warnings", "failed expectations"):
        table.add_column(column, overflow="fold")
    for check in checks:
        failed = check.run.critical_failures + check.run.warnings
        table.add_row(check.kind, check.force or "", check.month.strftime("%Y-%m") if check.month else "", f"{check.rows:,}",
                      str(len(check.run.critical_failures)), str(len(check.run.warnings)),
                      "; ".join(f"{o.severity}: {o.label}" for o in failed),
                      style="red" if check.run.critical_failures else ("yellow" if check.run.warnings else None))
    console.print(table)
    print_quality(warehouse)
    console.print(f"Results page: {quality_page_path(warehouse, html)}", soft_wrap=True)
    console.print(f"Data Docs: {data_docs_index(warehouse)}", soft_wrap=True)
    blocked = [check for check in checks if check.run.critical_failures]
    if blocked:
        console.print(f"[red]error[/red] {len(blocked)} stored batch(es) fail a critical expectation")
        raise typer.Exit(code=1)


@app.command("ingest-internal")
def ingest_internal(
    paths: list[Path] = typer.Argument(..., help="extract files (CSV) or folders of them"),
    mapping: Path = typer.Option(..., "--mapping", help="YAML column mapping for this records system (docs/internal-data.md)"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Load a force's own crime extracts through a column mapping (idempotent, quality-gated)."""
    from flows.engine import run_flow
    from flows.internal import internal_ingest_flow

    report = run_flow(internal_ingest_flow, paths=[str(p) for p in paths], mapping=str(mapping),
                      warehouse=str(warehouse) if warehouse else None)
    console.print(batch_table(report, "Internal extracts"))
    finish(report)


@app.command()
def indicators(
    force: str = typer.Option(..., "--force", help="force slug, e.g. northumbria"),
    period_from: str = typer.Option(..., "--from", help="first month YYYY-MM"),
    period_to: str = typer.Option(..., "--to", help="last month YYYY-MM"),
    area: Optional[str] = AreaOption,
    crime_type: Optional[list[str]] = typer.Option(None, "--crime-type", help="repeat for several; default all"),
    only: Optional[list[str]] = typer.Option(None, "--only", help="indicator name; repeat for several; default all"),
    out: Path = typer.Option(Path("var/indicators"), "--out", help="folder for <indicator>.csv/.parquet and scope.json"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Compute the assessment indicators for a force, area and period; write CSV and Parquet per indicator."""
    from tasks.indicators import Scope, ScopeError, all_indicators, write_indicators

    warehouse = existing_warehouse(warehouse)
    try:
        scope = Scope.from_area_text(force, period_from, period_to, area, tuple(crime_type or ()))
        results = all_indicators(warehouse, scope, only=list(only) if only else None)
    except (ScopeError, ValueError, FileNotFoundError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    write_indicators(results, scope, out)
    volumes = results.get("monthly_volumes")
    if volumes is not None and volumes["crimes"].isna().all():
        console.print(f"[yellow]warning[/yellow] the warehouse holds no street crime for force {force!r} in this period")
    table = Table(title=f"Indicators: {scope.area_label}, {scope.period_from:%Y-%m}..{scope.period_to:%Y-%m}")
    table.add_column("indicator")
    table.add_column("rows", justify="right")
    for name, frame in results.items():
        table.add_row(name, f"{len(frame):,}")
    console.print(table)
    console.print(f"written to {out} (CSV and Parquet per indicator, scope.json with method notes)")


