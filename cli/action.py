"""`tasking action`: actions set by a TT&CG meeting, their status and measured change."""
from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from cli.common import AreaOption, WarehouseOption, app, console
from cli.loop_output import ByOption, print_frame, refusals

action_app = typer.Typer(no_args_is_help=True, help="Actions: set, update status, list, measure the change since each started.")
app.add_typer(action_app, name="action")


@action_app.command("add")
def action_add(
    meeting_id: str = typer.Option(..., "--meeting"),
    description: str = typer.Option(..., "--description"),
    owner: str = typer.Option(..., "--owner"),
    due: str = typer.Option(..., "--due", help="YYYY-MM-DD"),
    area: Optional[str] = AreaOption,
    crime_types: list[str] = typer.Option([], "--crime-types", help="targeted crime types"),
    started: Optional[str] = typer.Option(None, "--started", help="YYYY-MM-DD the action started (default the meeting date)"),
    by: str = ByOption,
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """Set an action from a meeting: owner, due date, targeted place and crime types."""
    from tasks.tasking_loop import meetings

    with refusals():
        action_id = meetings.add_action(warehouse, meeting_id, description=description, owner=owner, due_on=due, by=by,
                                        area=area, types=crime_types, started_on=started)
    console.print(f"[bold]{action_id}[/bold] set")


@action_app.command("status")
def action_status(action_id: str = typer.Argument(...), status: str = typer.Option(..., "--status", help="open | in_progress | done | cancelled"),
                  note: Optional[str] = typer.Option(None, "--note"), by: str = ByOption,
                  warehouse: Optional[str] = WarehouseOption) -> None:
    """Update an action's status."""
    from tasks.tasking_loop import meetings

    with refusals():
        meetings.set_action_status(warehouse, action_id, status, by, note)
    console.print(f"{action_id} is {status}")


@action_app.command("list")
def action_list(force: Optional[str] = typer.Option(None, "--force"), status: Optional[str] = typer.Option(None, "--status"),
                owner: Optional[str] = typer.Option(None, "--owner"), warehouse: Optional[str] = WarehouseOption) -> None:
    """Actions by due date."""
    from tasks.tasking_loop import meetings

    with refusals():
        frame = meetings.list_actions(warehouse, force=force, status=status, owner=owner)
    print_frame("Actions", frame, ["action_id", "meeting_id", "description", "owner", "due_on", "started_on", "area",
                                   "crime_types_json", "status"], "No actions.")


@action_app.command("measure")
def action_measure(meeting_id: str = typer.Option(..., "--meeting", help="whose actions to measure"),
                   warehouse: Optional[str] = WarehouseOption) -> None:
    """Each action's measured change in its place and crime types since it started (association, not proof)."""
    from tasks.draft import latest_street_month
    from tasks.tasking_loop import meetings
    from tasks.tasking_loop.action_change import ASSOCIATION_LABEL, measure_meeting_actions

    with refusals():
        force = meetings.meeting(warehouse, meeting_id)["meeting"]["force"]
        changes = measure_meeting_actions(warehouse, meeting_id, latest_street_month(warehouse, force))
    for found in changes:
        console.print(f"[bold]{found.action_id}[/bold] {escape(', '.join(found.crime_types) or 'all crime')} in "
                      f"{escape(found.place)}: {escape(found.summary())}")
        if found.method:
            console.print(f"  test: {escape(found.method)}", style="dim")
    console.print(ASSOCIATION_LABEL if changes else f"{meeting_id} set no actions.")
