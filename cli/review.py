"""`tasking review`: list, show, approve, reject and verify product versions; register the reviewers."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.common import WarehouseOption, app, console, existing_warehouse, fail, safe

review_app = typer.Typer(no_args_is_help=True, help="Review drafted products: list, show, approve, reject, verify.")
app.add_typer(review_app, name="review")
reviewer_app = typer.Typer(no_args_is_help=True, help="Register the senior intelligence staff who may decide products.")
review_app.add_typer(reviewer_app, name="reviewer")


def _recover(warehouse) -> None:
    """Complete or remove what a crashed publish or approval left, and say so."""
    from tasks.review import recover

    for action in recover(warehouse):
        console.print(f"[yellow]repaired[/yellow] {safe(action)}")


SubjectsOption = typer.Option(None, "--subjects", help="subject store, for SP-... subject profiles (default $TASKING_SUBJECTS)")


def _decide_subject_profile(profile_id: str, to_status: str, reviewer: str, comment, subjects, warehouse) -> None:
    """Subject profiles (SP-...) live in the subject store; they are decided by the same reviewer rules."""
    from tasks.subject_review import decide
    from tasks.subjects import SubjectAccessError

    try:
        row = decide(subjects, warehouse, profile_id, to_status, reviewer, comment)
    except SubjectAccessError as error:
        raise fail(error)
    console.print(f"{safe(row['profile_id'])} {to_status} by {safe(row['decided_by'])}")


def _cell(value) -> str:
    # Empty cells come back from pandas as None or NaN depending on the column; print both as blank.
    return safe(value) if isinstance(value, str) else ""


@review_app.command("list")
def review_list(
    status: Optional[str] = typer.Option(None, help="DRAFT, APPROVED or REJECTED"),
    force: Optional[str] = typer.Option(None),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Every product version, newest first, each re-checked against its hashes and the review log."""
    from tasks.review import ReviewError, list_versions

    warehouse = existing_warehouse(warehouse)
    try:
        versions = list_versions(warehouse, status=status.upper() if status else None, force=force)
    except ReviewError as error:
        raise fail(error)
    if versions.empty:
        console.print("No product versions registered.")
        return
    table = Table(title="Product versions")
    for column in ("version id", "kind", "status", "period end", "author", "created", "decided by"):
        table.add_column(column, overflow="fold")
    tampered = versions[versions["integrity"] != "ok"]
    for v in versions.itertuples(index=False):
        bad = v.integrity != "ok"
        style = "bold red" if bad else {"APPROVED": "green", "REJECTED": "red"}.get(v.status)
        table.add_row(safe(v.version_id), safe(v.kind), f"{v.status} TAMPERED" if bad else v.status,
                      str(v.period_end)[:7], _cell(v.author), str(v.created_at)[:16], _cell(v.decided_by), style=style)
    console.print(table)
    for v in tampered.itertuples(index=False):
        console.print(f"[bold red]{safe(v.version_id)} {safe(v.status)} TAMPERED[/bold red] {safe(v.integrity[len('TAMPERED: '):])}")
    if not tampered.empty:
        console.print("[red]These versions no longer match what was drafted or approved; see `tasking review verify`.[/red]")
        raise typer.Exit(code=1)


@review_app.command("show")
def review_show(version_id: str, warehouse: Optional[Path] = WarehouseOption) -> None:
    """One version: its files, hashes, review history (with OS users) and whether everything is intact."""
    from tasks.review import ReviewError, show

    warehouse = existing_warehouse(warehouse)
    try:
        found = show(warehouse, version_id)
    except ReviewError as error:
        raise fail(error)
    v, p = found["version"], found["product"]
    console.print(f"[bold]{safe(v['version_id'])}[/bold]  {safe(p['title'])}")
    console.print(f"status {safe(v['status'])}  marking {safe(v['marking'])}  author {safe(v['author'])}  "
                  f"created {str(v['created_at'])[:19]}")
    console.print(f"folder {safe(v['store_path'])}\ncontent sha256 {v['content_sha256']}")
    if found["integrity_problems"]:
        console.print("[red]does not match what was drafted or decided:[/red]\n  "
                      + "\n  ".join(safe(problem) for problem in found["integrity_problems"]))
    else:
        console.print("[green]files intact[/green] (every file matches its recorded sha256; the registry row matches the review log)")
    events = Table(title="Review events")
    for column in ("when", "action", "from", "to", "who", "os user", "comment"):
        events.add_column(column, overflow="fold")
    for e in found["events"].itertuples(index=False):
        events.add_row(str(e.event_at)[:19], *[_cell(value) for value in
                                               (e.action, e.from_status, e.to_status, e.actor, e.os_user, e.comment)])
    console.print(events)
    if found["integrity_problems"]:
        raise typer.Exit(code=1)


@review_app.command("approve")
def review_approve(
    version_id: str,
    reviewer: str = typer.Option(..., "--reviewer", help="who approves (a registered reviewer, not the author)"),
    comment: Optional[str] = typer.Option(None, "--comment"),
    warehouse: Optional[Path] = WarehouseOption,
    subjects: Optional[Path] = SubjectsOption,
) -> None:
    """Approve a DRAFT: its files are frozen and re-hashed first; it can never change afterwards."""
    from tasks.review import ReviewError, approve

    if version_id.startswith("SP-"):
        return _decide_subject_profile(version_id, "APPROVED", reviewer, comment, subjects, warehouse)
    _recover(warehouse)
    try:
        row = approve(warehouse, version_id, reviewer, comment)
    except ReviewError as error:
        raise fail(error)
    console.print(f"{safe(row['version_id'])} APPROVED by {safe(row['decided_by'])}; files frozen in {safe(row['store_path'])}")


@review_app.command("reject")
def review_reject(
    version_id: str,
    reviewer: str = typer.Option(..., "--reviewer", help="who rejects (a registered reviewer, not the author)"),
    comment: str = typer.Option(..., "--comment", help="what must change"),
    warehouse: Optional[Path] = WarehouseOption,
    subjects: Optional[Path] = SubjectsOption,
) -> None:
    """Reject a DRAFT, saying why; the next draft of the same scope becomes a new version."""
    from tasks.review import ReviewError, reject

    if version_id.startswith("SP-"):
        return _decide_subject_profile(version_id, "REJECTED", reviewer, comment, subjects, warehouse)
    _recover(warehouse)
    try:
        row = reject(warehouse, version_id, reviewer, comment)
    except ReviewError as error:
        raise fail(error)
    console.print(f"{safe(row['version_id'])} REJECTED by {safe(row['decided_by'])}")


@review_app.command("verify")
def review_verify(warehouse: Optional[Path] = WarehouseOption) -> None:
    """Check the review log's hash chain and every version's files, manifest and registry row; exit 1 on any problem."""
    from tasks.review import verify_all

    found = verify_all(existing_warehouse(warehouse))
    for problem in found["chain"]:
        console.print(f"[red]review log[/red] {safe(problem)}")
    for version_id, problems in found["versions"].items():
        for problem in problems:
            console.print(f"[red]{safe(version_id)}[/red] {safe(problem)}")
    head = found["head"]
    if found["chain"] or found["versions"]:
        console.print(f"[red]{len(found['chain'])} log problems; {len(found['versions'])} of {found['checked']} versions "
                      f"do not match what was drafted or decided[/red]")
        raise typer.Exit(code=1)
    console.print(f"[green]intact[/green]: {found['checked']} versions and the review log"
                  + (f" ({head[0]} events, head {head[1]})" if head else " (no events yet)"))


@reviewer_app.command("add")
def reviewer_add(
    name: str,
    role: str = typer.Option(..., "--role", help="senior-analyst, intelligence-manager or head-of-intelligence"),
    by: str = typer.Option(..., "--by", help="who is registering them (recorded with your OS user)"),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Register a reviewer (recorded in the hash-chained reviewer log)."""
    from tasks.reviewers import ReviewerError, add

    try:
        added = add(warehouse, name, role, by)
    except ReviewerError as error:
        raise fail(error)
    console.print(f"{safe(added['name'])} registered as {safe(added['role'])} by {safe(added['added_by'])} "
                  f"(OS user {safe(added['os_user'])})")


@reviewer_app.command("remove")
def reviewer_remove(name: str, by: str = typer.Option(..., "--by"), warehouse: Optional[Path] = WarehouseOption) -> None:
    """Withdraw a reviewer; their past decisions stand."""
    from tasks.reviewers import ReviewerError, remove

    try:
        remove(warehouse, name, by)
    except ReviewerError as error:
        raise fail(error)
    console.print(f"{safe(name)} is no longer a reviewer")


@reviewer_app.command("list")
def reviewer_list(warehouse: Optional[Path] = WarehouseOption) -> None:
    """The registered reviewers and their roles."""
    from tasks.reviewers import listed

    table = Table(title="Registered reviewers")
    for column in ("name", "role", "registered by", "os user", "when"):
        table.add_column(column, overflow="fold")
    for r in listed(existing_warehouse(warehouse)):
        table.add_row(safe(r["name"]), safe(r["role"]), safe(r["added_by"]), safe(r["os_user"]), str(r["at"])[:19])
    console.print(table)
