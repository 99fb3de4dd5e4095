"""Products: tactical and strategic assessments, problem and subject profiles."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.common import WarehouseOption, app, console, existing_warehouse, fail, safe

SubjectsOption = typer.Option(None, "--subjects", help="subject store (default $TASKING_SUBJECTS or var/subjects/subjects.duckdb)")
subjects_app = typer.Typer(no_args_is_help=True, help="The restricted subject store: load nominals, read its access log.")
app.add_typer(subjects_app, name="subjects")
profile_app = typer.Typer(no_args_is_help=True, help="Profiles drafted on request.")
app.add_typer(profile_app, name="profile")


assess_app = typer.Typer(no_args_is_help=True, help="Draft tactical and strategic assessments (HTML + PDF) for review.")
app.add_typer(assess_app, name="assess")
MarkingOption = typer.Option("OFFICIAL", "--marking", help="government security classification printed on every page")
ProductStoreOption = typer.Option(None, "--store", help="product store folder (default $TASKING_PRODUCTS or var/products/)")
AuthorOption = typer.Option(None, "--author", help="author printed on the product (default $TASKING_AUTHOR)")


ForceNewOption = typer.Option(False, "--force-new", help="draft a new version even when nothing changed since the last one")


def _print_product(result) -> None:
    from rich.markup import escape

    if getattr(result, "reason", ""):
        console.print(f"[bold]{result.version_id}[/bold] unchanged: {escape(result.reason)}\n  PDF {result.pdf_path}")
        return
    console.print(f"[bold]{result.version_id}[/bold] DRAFT written: {result.pdf_path}")
    console.print(f"  HTML {result.html_path}\n  data pack {result.folder / 'data'} ({len(result.data_pack)} files)"
                  f"\n  content sha256 {result.content_sha256}\n  review with: tasking review show {result.version_id}")


def _run_product(kind: str, warehouse: Path | None, force: str, **options):
    """Draft one product through the draft-product flow (flows.engine.run_flow: in-process without a Prefect API)."""
    from flows.engine import run_flow
    from flows.draft_product import draft_product_flow
    from tasks.indicators import ScopeError
    from tasks.review import ReviewError

    warehouse = existing_warehouse(warehouse)  # the run record would otherwise create an empty warehouse
    options = {key: str(value) if isinstance(value, Path) else value for key, value in options.items()}
    try:
        return run_flow(draft_product_flow, kind=kind, force=force, warehouse=str(warehouse) if warehouse else None,
                        options=options)
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
    force_new: bool = ForceNewOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """The fortnightly tactical assessment: latest month against its baseline, hotspots, draft recommendations."""
    _print_product(_run_product("tactical", warehouse, force, period_end=period_end, marking=marking,
                                store_dir=store, author=author, force_new=force_new))


@assess_app.command("strategic")
def assess_strategic(
    force: str = typer.Option(..., "--force", help="force slug"),
    months: int = typer.Option(36, "--months", help="months of history (at least 12)"),
    period_end: Optional[str] = typer.Option(None, "--period-end", help="last month YYYY-MM (default latest held)"),
    marking: str = MarkingOption,
    author: Optional[str] = AuthorOption,
    store: Optional[Path] = ProductStoreOption,
    force_new: bool = ForceNewOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """The strategic assessment: trends, seasonality, harm-ranked priorities, deprivation, intelligence requirement."""
    _print_product(_run_product("strategic", warehouse, force, months=months, period_end=period_end,
                                marking=marking, store_dir=store, author=author, force_new=force_new))


@profile_app.command("problem")
def profile_problem(
    tor_id: str = typer.Option(..., "--tor-id", help="the agreed terms of reference (tasking tor propose / agree)"),
    store: Optional[Path] = ProductStoreOption,
    force_new: bool = ForceNewOption,
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """The next version of the problem profile an agreed terms of reference asks for (VOLT), with the ToR and its
    id first and a data pack (CSV, Parquet) beside the PDF. Refused unless the requester has agreed the ToR."""
    from cli.loop_output import refusals
    from cli.profile_loop import print_profile_version
    from flows.engine import run_flow
    from flows.profiles import profile_from_tor_flow
    from tasks.tasking_loop.profiles import ProfileVersion
    from tasks.tasking_loop.tor import require_agreed

    with refusals():
        require_agreed(warehouse, tor_id, "problem_profile")  # refused here, before a run is recorded
        built = run_flow(profile_from_tor_flow, tor_id=tor_id, config_path=None, force_new=force_new,
                         warehouse=str(warehouse) if warehouse else None, store_dir=str(store) if store else None)
    print_profile_version(ProfileVersion(**built))


@subjects_app.command("load")
def subjects_load(
    path: Path = typer.Argument(..., help="nominals JSON (e.g. from tasking synth --internal)"),
    loaded_by: str = typer.Option(..., "--loaded-by", help="who is loading (written to the access log)"),
    subjects: Optional[Path] = SubjectsOption,
) -> None:
    """Load nominals, warning markers and links to internal records into the (encrypted) subject store."""
    from tasks.subjects import SubjectAccessError, load_nominals, subjects_path

    try:
        count = load_nominals(path, subjects, loaded_by=loaded_by)
    except (SubjectAccessError, OSError) as error:
        raise fail(error)
    console.print(f"{count} nominals loaded into {safe(subjects_path(subjects))}")


@subjects_app.command("audit")
def subjects_audit(nominal: Optional[str] = typer.Option(None, "--nominal"), subjects: Optional[Path] = SubjectsOption) -> None:
    """Every access to the subject store (or to one nominal): when, who, why, as which user, and the outcome."""
    from tasks.subjects import SubjectAccessError, access_log

    try:
        log = access_log(subjects, nominal)
    except SubjectAccessError as error:
        raise fail(error)
    table = Table(title="Subject store access log")
    for column in ("id", "when", "nominal", "action", "requested by", "purpose", "os user", "outcome"):
        table.add_column(column, overflow="fold")
    for r in log.astype(object).where(log.notna(), "").itertuples(index=False):
        table.add_row(str(r.access_id), str(r.accessed_at)[:19], *map(safe, (r.nominal_id, r.action, r.requested_by,
                      r.purpose, r.os_user, r.outcome)), style="red" if r.outcome != "granted" else None)
    console.print(table)


@subjects_app.command("verify")
def subjects_verify(subjects: Optional[Path] = SubjectsOption) -> None:
    """Check the access log's hash chain and every access row against it; exit 1 on any edit, deletion or reorder."""
    from tasks import subject_review
    from tasks.subjects import SubjectAccessError, verify

    try:
        problems = verify(subjects) + subject_review.verify(subjects)
    except SubjectAccessError as error:
        raise fail(error)
    for problem in problems:
        console.print(f"[red]access log[/red] {safe(problem)}")
    if problems:
        raise typer.Exit(code=1)
    console.print("[green]intact[/green]: every access row matches the chained access log; "
                  "every subject profile matches its review log")


@subjects_app.command("new-key")
def subjects_new_key() -> None:
    """Print a new key for TASKING_SUBJECTS_KEY (store it in your secret store; without it the store cannot be read)."""
    from tasks.subjects import new_key

    print(new_key())


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
        raise fail(error)
    console.print(f"{safe(result.profile_id)} (OFFICIAL-SENSITIVE, DRAFT) written to {result.pdf_path}; access {result.access_id} logged")

