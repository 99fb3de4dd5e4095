"""`tasking profile list | show | close | refresh`: profiles kept up to date until closed with a reason.
(`tasking profile problem --tor-id` builds one; the group itself lives in cli/products.py.)"""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from cli.common import WarehouseOption, console
from cli.loop_output import ByOption, print_frame, refusals
from cli.products import ProductStoreOption, profile_app


def print_profile_version(built) -> None:
    if not built.drafted:
        console.print(f"{built.profile_id}: no new version ({escape(built.changes[0])})")
        return
    console.print(f"[bold]{built.version_id}[/bold] DRAFT: {built.profile_id} version {built.version}, {built.pdf_path}")
    for line in built.changes:
        console.print(f"  {escape(line)}")
    console.print(f"  review with: tasking review show {built.version_id}")


@profile_app.command("list")
def profile_list(force: Optional[str] = typer.Option(None, "--force"),
                 status: Optional[str] = typer.Option(None, "--status", help="open | closed"),
                 warehouse: Optional[str] = WarehouseOption) -> None:
    """Profiles commissioned through a ToR, open and closed (closed ones are kept)."""
    from tasks.tasking_loop import profiles

    with refusals():
        frame = profiles.list_profiles(warehouse, force=force, status=status)
    print_frame("Profiles", frame, ["profile_id", "tor_id", "force", "kind", "title", "status", "close_reason", "versions",
                                    "latest_version_id"], "No profiles.")


@profile_app.command("show")
def profile_show(profile_id: str = typer.Argument(...), warehouse: Optional[str] = WarehouseOption) -> None:
    """A profile's versions and what changed in each."""
    from tasks.tasking_loop import profiles

    with refusals():
        found = profiles.get(warehouse, profile_id)
    record = found["profile"]
    closed = (f", closed ({record['close_reason']}) by {escape(record['closed_by'])}" if record["status"] == "closed" else "")
    console.print(f"[bold]{profile_id}[/bold] from {record['tor_id']}: {record['status']}{closed}")
    for row in found["versions"].itertuples(index=False):
        console.print(f"v{row.version} {row.version_id} by {escape(row.drafted_by)} at {str(row.drafted_at)[:16]}")
        for line in json.loads(row.changes_json):
            console.print(f"  {escape(line)}")


@profile_app.command("close")
def profile_close(profile_id: str = typer.Argument(...),
                  reason: str = typer.Option(..., "--reason", help="resolved | apprehended | protected | withdrawn"),
                  note: Optional[str] = typer.Option(None, "--note"), by: str = ByOption,
                  warehouse: Optional[str] = WarehouseOption) -> None:
    """Close a profile with its reason: it is kept and findable, and never re-drafted."""
    from tasks.tasking_loop import profiles

    with refusals():
        profiles.close(warehouse, profile_id, reason, by, note)
    console.print(f"{profile_id} closed ({reason})")


@profile_app.command("refresh")
def profile_refresh(force: Optional[str] = typer.Option(None, "--force"), store: Optional[str] = ProductStoreOption,
                    warehouse: Optional[str] = WarehouseOption) -> None:
    """Re-draft every open profile as its next version (what the profile-refresh deployment runs each cycle)."""
    from flows.engine import run_flow
    from flows.profiles import profile_refresh_flow
    from tasks.tasking_loop.profiles import ProfileVersion

    with refusals():
        try:
            drafted = run_flow(profile_refresh_flow, config_path=None, force=force, warehouse=warehouse, store_dir=store)
        except RuntimeError as error:  # some profiles failed; the others were re-drafted (tasking profile list)
            raise ValueError(f"{error}; the others were re-drafted (see `tasking profile list`)") from None
    for built in drafted:
        print_profile_version(ProfileVersion(**built))
    if not drafted:
        console.print("No open profiles.")
