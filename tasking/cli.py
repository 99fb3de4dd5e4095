"""The `tasking` command line. Each command parses its arguments, runs one flow or task, and prints a summary."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

# Prefect's temporary server would try to send telemetry from a machine that may have no internet, and its
# default 20 s start-up limit is too short on a busy two-core machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Tasking and coordination products from police data.")
console = Console()

WarehouseOption = typer.Option(None, "--warehouse", help="DuckDB file (default $TASKING_WAREHOUSE or var/warehouse.duckdb)")


def _batch_table(report, title: str) -> Table:
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
        table.add_row(Path(b.name).name if "!" not in b.name else b.name.split("!")[-1], b.status, b.kind or "",
                      b.force or "", b.month or "", str(b.rows), changed, b.error or "", style=style)
    return table


def _finish(report) -> None:
    counts = ", ".join(f"{status} {report.count(status)}" for status in ("loaded", "replaced", "unchanged", "quarantined", "failed")
                       if report.count(status))
    console.print(f"[bold]{len(report.batches)} files:[/bold] {counts or 'nothing found'}")
    for failure in report.failed:
        console.print(f"[red]error[/red] {failure.error}")
    if not report.ok:
        raise typer.Exit(code=1)


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
    from flows.ingest import ingest_flow

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        bar = progress.add_task("starting", total=None)

        def advance(result, index, total):
            progress.update(bar, total=total, completed=index, description=f"{result.status:>11} {Path(result.name).name}")

        report = ingest_flow([str(p) for p in paths], str(warehouse) if warehouse else None, on_progress=advance)
    console.print(_batch_table(report, "Ingest"))
    _finish(report)


@app.command("ingest-reference")
def ingest_reference(
    paths: list[Path] = typer.Argument(..., help="IoD 2019 Files 1, 2, 6 and the LSOA 2011->2021 lookup (files or folders)"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Load IoD 2019 deprivation and population by LSOA and the LSOA 2011->2021 lookup."""
    from flows.ingest import ingest_flow

    report = ingest_flow([], str(warehouse) if warehouse else None, reference_paths=[str(p) for p in paths])
    console.print(_batch_table(report, "Reference ingest"))
    _finish(report)


@app.command()
def status(warehouse: Optional[Path] = WarehouseOption) -> None:
    """What is loaded: rows per kind, force and month, and months missing inside each loaded range."""
    from tasks.status import loaded_months, month_gaps, reference_counts

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
    _print_quality(warehouse)


def _print_quality(warehouse) -> None:
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
            table.add_row(r.suite, str(r.batches), str(r.passed), f"{r.pass_rate_percent}%", str(r.warnings),
                          style="yellow" if r.passed < r.batches else None)
        console.print(table)
    for r in quality.quarantined.itertuples(index=False):
        console.print(f"[yellow]quarantined[/yellow] batch {r.batch_id}: {r.error}")
    if quality.incomplete.empty:
        console.print("Completeness: every loaded force-month is complete.")
    for r in quality.incomplete.itertuples(index=False):
        console.print(f"[yellow]{r.status}[/yellow] {r.kind} {r.force} {str(r.month)[:7]}: {r.reason}")


review_app = typer.Typer(no_args_is_help=True, help="Review drafted products: list, show, approve, reject.")
app.add_typer(review_app, name="review")


@review_app.command("list")
def review_list(
    status: Optional[str] = typer.Option(None, help="DRAFT, APPROVED or REJECTED"),
    force: Optional[str] = typer.Option(None),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Every product version, newest first."""
    from tasks.review import ReviewError, list_versions

    try:
        versions = list_versions(warehouse, status=status.upper() if status else None, force=force)
    except ReviewError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    if versions.empty:
        console.print("No product versions registered.")
        return
    table = Table(title="Product versions")
    for column in ("version id", "kind", "status", "period end", "author", "created", "decided by"):
        table.add_column(column, overflow="fold")
    for v in versions.itertuples(index=False):
        style = {"APPROVED": "green", "REJECTED": "red"}.get(v.status)
        table.add_row(v.version_id, v.kind, v.status, str(v.period_end)[:7], v.author, str(v.created_at)[:16],
                      v.decided_by if isinstance(v.decided_by, str) else "", style=style)
    console.print(table)


@review_app.command("show")
def review_show(version_id: str, warehouse: Optional[Path] = WarehouseOption) -> None:
    """One version: its files, hashes, review history and whether its files are intact."""
    from tasks.review import ReviewError, show

    try:
        found = show(warehouse, version_id)
    except ReviewError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    v, p = found["version"], found["product"]
    console.print(f"[bold]{v['version_id']}[/bold]  {p['title']}")
    console.print(f"status {v['status']}  marking {v['marking']}  author {v['author']}  created {str(v['created_at'])[:19]}")
    console.print(f"folder {v['store_path']}\ncontent sha256 {v['content_sha256']}")
    if found["integrity_problems"]:
        console.print("[red]files do not match their recorded hashes:[/red]\n  " + "\n  ".join(found["integrity_problems"]))
    else:
        console.print("[green]files intact[/green] (every file matches its recorded sha256)")
    events = Table(title="Review events")
    for column in ("when", "action", "from", "to", "who", "comment"):
        events.add_column(column, overflow="fold")
    for e in found["events"].itertuples(index=False):
        # Empty cells come back from pandas as None or NaN depending on the column; print both as blank.
        events.add_row(*[value if isinstance(value, str) else "" for value in
                         (str(e.event_at)[:19], e.action, e.from_status, e.to_status, e.actor, e.comment)])
    console.print(events)
    if found["integrity_problems"]:
        raise typer.Exit(code=1)


@review_app.command("approve")
def review_approve(
    version_id: str,
    reviewer: str = typer.Option(..., "--reviewer", help="who approves"),
    comment: Optional[str] = typer.Option(None, "--comment"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Approve a DRAFT (its files must still match their hashes); it can never change afterwards."""
    from tasks.review import ReviewError, approve

    try:
        row = approve(warehouse, version_id, reviewer, comment)
    except ReviewError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    console.print(f"{row['version_id']} APPROVED by {row['decided_by']}; files frozen in {row['store_path']}")


@review_app.command("reject")
def review_reject(
    version_id: str,
    reviewer: str = typer.Option(..., "--reviewer", help="who rejects"),
    comment: str = typer.Option(..., "--comment", help="what must change"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Reject a DRAFT, saying why; the next draft of the same scope becomes a new version."""
    from tasks.review import ReviewError, reject

    try:
        row = reject(warehouse, version_id, reviewer, comment)
    except ReviewError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    console.print(f"{row['version_id']} REJECTED by {row['decided_by']}")


@app.command()
def validate(
    warehouse: Optional[Path] = WarehouseOption,
    html: Optional[Path] = typer.Option(None, "--html", help="where to write the results page (default quality/index.html beside the warehouse)"),
) -> None:
    """Re-run the expectation suites over what is stored, report failures and gaps, and write the results page."""
    from tasks.validate import revalidate, write_quality_page

    checks = revalidate(warehouse)
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
    _print_quality(warehouse)
    page = write_quality_page(warehouse, html)
    console.print(f"Results page: {page}")
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
    from tasks.ingest_internal import ingest_internal_paths

    report = ingest_internal_paths([str(p) for p in paths], mapping, warehouse)
    console.print(_batch_table(report, "Internal extracts"))
    _finish(report)


@app.command("near-repeat")
def near_repeat(
    force: str = typer.Option(..., help="force slug of the internal records"),
    crime_type: str = typer.Option("Burglary", "--crime-type", help="published category, e.g. Burglary"),
    date_from: Optional[str] = typer.Option(None, "--from", help="first date YYYY-MM-DD (default: all held)"),
    date_to: Optional[str] = typer.Option(None, "--to", help="last date YYYY-MM-DD (default: all held)"),
    spatial_bandwidth: float = typer.Option(100.0, "--spatial-bandwidth", help="metres"),
    spatial_bands: int = typer.Option(3, "--spatial-bands"),
    temporal_bandwidth: float = typer.Option(7.0, "--temporal-bandwidth", help="days"),
    temporal_bands: int = typer.Option(3, "--temporal-bands"),
    same_location: float = typer.Option(1.0, "--same-location", help="metres counted as the same location (0: no such band)"),
    iterations: int = typer.Option(99, help="Monte Carlo permutations (99 allows p down to 0.01)"),
    metric: str = typer.Option("manhattan", help="manhattan or euclidean"),
    by_day: bool = typer.Option(False, "--by-day", help="count whole calendar days, as the Near Repeat Calculator does"),
    seed: int = typer.Option(0),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Knox near-repeat test on internal records: observed/expected and p-value per space-time band."""
    from datetime import date

    from tasks.near_repeat import KnoxBands, finding, near_repeat_for_warehouse

    try:
        bands = KnoxBands.regular(spatial_bandwidth, spatial_bands, temporal_bandwidth, temporal_bands,
                                  same_location or None)
        result = near_repeat_for_warehouse(warehouse, force, crime_type,
                                           date.fromisoformat(date_from) if date_from else None,
                                           date.fromisoformat(date_to) if date_to else None,
                                           bands, iterations, metric, by_day, seed)
    except (ValueError, FileNotFoundError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    cells = result.table()
    table = Table(title=f"Knox test: {crime_type}, {force}, {result.events:,} events, {iterations} permutations ({metric})")
    table.add_column("distance")
    for label in bands.temporal_labels:
        table.add_column(label, justify="right")
    for label, group in cells.groupby("spatial_band", sort=False):
        table.add_row(label, *[f"{r.observed:,} ({r.knox_ratio:.2f}, p={r.p_value:.3f})" if r.expected > 0 else f"{r.observed:,}"
                              for r in group.itertuples(index=False)])
    console.print(table)
    console.print("Cells show observed pairs (observed/expected, p). Bands are [lower, upper): see docs/near-repeat.md.")
    for sentence in finding(result, 0.05, same_location or 0.0).sentences(crime_type):
        console.print(sentence)


SubjectsOption = typer.Option(None, "--subjects", help="subject store (default $TASKING_SUBJECTS or var/subjects/subjects.duckdb)")
subjects_app = typer.Typer(no_args_is_help=True, help="The restricted subject store: load nominals, read its access log.")
app.add_typer(subjects_app, name="subjects")
profile_app = typer.Typer(no_args_is_help=True, help="Profiles drafted on request.")
app.add_typer(profile_app, name="profile")


@subjects_app.command("load")
def subjects_load(
    path: Path = typer.Argument(..., help="nominals JSON (e.g. from tasking synth --internal)"),
    loaded_by: str = typer.Option(..., "--loaded-by", help="who is loading (written to the access log)"),
    subjects: Optional[Path] = SubjectsOption,
) -> None:
    """Load nominals, warning markers and links to internal records into the subject store."""
    from tasks.subjects import SubjectAccessError, load_nominals, subjects_path

    try:
        count = load_nominals(path, subjects, loaded_by=loaded_by)
    except (SubjectAccessError, OSError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    console.print(f"{count} nominals loaded into {subjects_path(subjects)}")


@subjects_app.command("audit")
def subjects_audit(nominal: Optional[str] = typer.Option(None, "--nominal"), subjects: Optional[Path] = SubjectsOption) -> None:
    """Every access to the subject store (or to one nominal): when, who, why, as which user, and the outcome."""
    from tasks.subjects import SubjectAccessError, access_log

    try:
        log = access_log(subjects, nominal)
    except SubjectAccessError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    table = Table(title="Subject store access log")
    for column in ("id", "when", "nominal", "action", "requested by", "purpose", "os user", "outcome"):
        table.add_column(column, overflow="fold")
    for r in log.astype(object).where(log.notna(), "").itertuples(index=False):
        table.add_row(str(r.access_id), str(r.accessed_at)[:19], r.nominal_id, r.action, r.requested_by, r.purpose,
                      r.os_user, r.outcome, style="red" if r.outcome != "granted" else None)
    console.print(table)


@profile_app.command("subject")
def profile_subject(
    nominal: str = typer.Option(..., "--nominal", help="nominal ID in the subject store"),
    requested_by: str = typer.Option(..., "--requested-by", help="who requests the profile (logged)"),
    purpose: str = typer.Option(..., "--purpose", help="why: the operation or intelligence requirement (logged, printed on the profile)"),
    history_years: int = typer.Option(5, "--history-years", help="antecedent history window"),
    subjects: Optional[Path] = SubjectsOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Draft an OFFICIAL-SENSITIVE subject profile (PDF and HTML) from one audited read of the subject store."""
    from tasks.subject_profile import draft_subject_profile
    from tasks.subjects import SubjectAccessError

    try:
        result = draft_subject_profile(nominal, requested_by, purpose, subjects_file=subjects, warehouse_file=warehouse,
                                       history_years=history_years)
    except (SubjectAccessError, FileNotFoundError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    console.print(f"{result.profile_id} (OFFICIAL-SENSITIVE, DRAFT) written to {result.pdf_path}; access {result.access_id} logged")


@app.command()
def indicators(
    force: str = typer.Option(..., "--force", help="force slug, e.g. northumbria"),
    period_from: str = typer.Option(..., "--from", help="first month YYYY-MM"),
    period_to: str = typer.Option(..., "--to", help="last month YYYY-MM"),
    area: Optional[str] = typer.Option(None, "--area", help="lsoa:CODE,CODE | la:NAME_OR_CODE | bbox:minlon,minlat,maxlon,maxlat | wkt:POLYGON((...)); default whole force"),
    crime_type: Optional[list[str]] = typer.Option(None, "--crime-type", help="repeat for several; default all"),
    only: Optional[list[str]] = typer.Option(None, "--only", help="indicator name; repeat for several; default all"),
    out: Path = typer.Option(Path("var/indicators"), "--out", help="folder for <indicator>.csv/.parquet and scope.json"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Compute the assessment indicators for a force, area and period; write CSV and Parquet per indicator."""
    from tasks.indicators import Scope, ScopeError, all_indicators, write_indicators

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


assess_app = typer.Typer(no_args_is_help=True, help="Draft tactical and strategic assessments (HTML + PDF) for review.")
app.add_typer(assess_app, name="assess")
MarkingOption = typer.Option("OFFICIAL", "--marking", help="government security classification printed on every page")
ProductStoreOption = typer.Option(None, "--store", help="product store folder (default $TASKING_PRODUCTS or var/products/)")
AuthorOption = typer.Option(None, "--author", help="author printed on the product (default $TASKING_AUTHOR)")


def _print_product(result) -> None:
    console.print(f"[bold]{result.version_id}[/bold] DRAFT written: {result.pdf_path}")
    console.print(f"  HTML {result.html_path}\n  data pack {result.folder / 'data'} ({len(result.data_pack)} files)"
                  f"\n  content sha256 {result.content_sha256}\n  review with: tasking review show {result.version_id}")


def _run_product(build, *args, **kwargs):
    from tasks.indicators import ScopeError
    from tasks.review import ReviewError

    try:
        return build(*args, **kwargs)
    except (ValueError, ScopeError, ReviewError, FileNotFoundError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)


@assess_app.command("tactical")
def assess_tactical(
    force: str = typer.Option(..., "--force", help="force slug, e.g. northumbria"),
    period_end: Optional[str] = typer.Option(None, "--period-end", help="month assessed YYYY-MM (default latest held)"),
    marking: str = MarkingOption,
    author: Optional[str] = AuthorOption,
    store: Optional[Path] = ProductStoreOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """The fortnightly tactical assessment: latest month against its baseline, hotspots, draft recommendations."""
    from tasks.products import build_tactical_assessment

    _print_product(_run_product(build_tactical_assessment, warehouse, force, period_end=period_end, marking=marking,
                                store_dir=store, author=author))


@assess_app.command("strategic")
def assess_strategic(
    force: str = typer.Option(..., "--force", help="force slug"),
    months: int = typer.Option(36, "--months", help="months of history (at least 12)"),
    period_end: Optional[str] = typer.Option(None, "--period-end", help="last month YYYY-MM (default latest held)"),
    marking: str = MarkingOption,
    author: Optional[str] = AuthorOption,
    store: Optional[Path] = ProductStoreOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """The strategic assessment: trends, seasonality, harm-ranked priorities, deprivation, intelligence requirement."""
    from tasks.products import build_strategic_assessment

    _print_product(_run_product(build_strategic_assessment, warehouse, force, months=months, period_end=period_end,
                                marking=marking, store_dir=store, author=author))


@profile_app.command("problem")
def profile_problem(
    force: str = typer.Option(..., "--force", help="force slug"),
    area: Optional[str] = typer.Option(None, "--area", help="lsoa:CODE,CODE | la:NAME_OR_CODE | bbox:minlon,minlat,maxlon,maxlat | wkt:POLYGON((...)); default whole force"),
    crime_types: list[str] = typer.Option(..., "--crime-types", help="crime types, comma-separated or repeated, e.g. 'Robbery,Theft from the person'"),
    period_from: str = typer.Option(..., "--from", help="first month YYYY-MM"),
    period_to: str = typer.Option(..., "--to", help="last month YYYY-MM"),
    requested_by: str = typer.Option(..., "--requested-by", help="who commissioned the profile"),
    tor: str = typer.Option(..., "--tor", help="the agreed terms of reference (printed first)"),
    marking: str = typer.Option("OFFICIAL-SENSITIVE", "--marking", help="government security classification"),
    author: Optional[str] = AuthorOption,
    store: Optional[Path] = ProductStoreOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """A problem profile (VOLT) with its terms of reference first and a data pack (CSV, Parquet) beside the PDF."""
    from tasks.products import build_problem_profile

    types = tuple(t.strip() for given in crime_types for t in given.split(",") if t.strip())
    _print_product(_run_product(build_problem_profile, warehouse, force, area=area, crime_types=types,
                                period_from=period_from, period_to=period_to, requested_by=requested_by,
                                terms_of_reference=tor, marking=marking, store_dir=store, author=author))


@app.command()
def health(
    config: Optional[Path] = typer.Option(None, "--config", help="project config (default $TASKING_CONFIG or tasking.yaml)"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="DuckDB file (default: the config's warehouse)"),
    html: Optional[Path] = typer.Option(None, "--html", help="where to write the HTML page (default: the config's health.html)"),
) -> None:
    """Ops health: last run of each deployment, data freshness per force, quality, reviews waiting, recent failures."""
    from tasking.config import ConfigError, load_config
    from tasks.health import SECTIONS, health_report, section_rows, section_title, write_health_html

    try:
        settings = load_config(config)
    except ConfigError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=2) from error
    report = health_report(warehouse or settings.warehouse_file, forces=settings.forces, local_forces=settings.extra_forces,
                           failure_window_days=settings.health.failure_window_days)
    for problem in report.problems:
        console.print(f"[red]needs attention[/red] {problem}")
    if not report.problems:
        console.print("[green]No problems found.[/green]")
    bad = ("FAILED", "CRASHED", "never loaded")
    for name in SECTIONS:
        headings, rows = section_rows(report, name)
        if not rows:
            console.print(f"[bold]{section_title(report, name)}:[/bold] none")
            continue
        table = Table(title=section_title(report, name), title_justify="left")
        for heading in headings:
            table.add_column(heading, overflow="fold")
        for row in rows:
            flagged = any(cell in bad or cell.endswith("behind") for cell in row)
            table.add_row(*row, style="red" if flagged else None)
        console.print(table)
    page = write_health_html(report, html or settings.health_html)
    console.print(f"HTML: {page}")


@app.command()
def demo(
    out: Path = typer.Option(Path("data/synthetic"), help="where the SYNTHETIC data is written"),
    warehouse: Path = typer.Option(Path("var/warehouse.duckdb"), "--warehouse"),
    store: Path = typer.Option(Path("var/products"), "--store", help="product store"),
) -> None:
    """End to end on SYNTHETIC data: generate, ingest through the quality gate, draft a tactical assessment."""
    from flows.demo import demo_flow

    result = demo_flow(out_dir=str(out), warehouse=str(warehouse), store_dir=str(store))
    # soft_wrap: a path broken across lines cannot be copied.
    console.print(f"\n[bold]SYNTHETIC demo complete.[/bold] Tactical assessment {result.version_id} ({result.status}):",
                  soft_wrap=True)
    console.print(f"  PDF:  {result.pdf_path}", soft_wrap=True)
    console.print(f"  HTML: {result.html_path}", soft_wrap=True)
    console.print(f"  Review it: tasking review show {result.version_id} --warehouse {warehouse}", soft_wrap=True)


if __name__ == "__main__":
    app()
