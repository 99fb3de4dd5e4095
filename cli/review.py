"""`tasking review`: list, show, approve and reject product versions."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.common import WarehouseOption, app, console

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

