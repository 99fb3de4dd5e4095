"""`tasking meeting`: TT&CG meetings, their decisions, actions and commissions of profiles."""
from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from cli.common import AreaOption, WarehouseOption, app, console
from cli.loop_output import ByOption, print_frame, refusals

meeting_app = typer.Typer(no_args_is_help=True, help="TT&CG meetings: record, decide, set actions, commission profiles.")
app.add_typer(meeting_app, name="meeting")


@meeting_app.command("record")
def meeting_record(
    force: str = typer.Option(..., "--force"),
    held_on: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    chair: str = typer.Option(..., "--chair"),
    tactical: Optional[str] = typer.Option(None, "--tactical", help="the tactical assessment version the meeting took"),
    by: str = ByOption,
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """Record a TT&CG meeting and the tactical assessment it took."""
    from tasks.tasking_loop import meetings

    with refusals():
        meeting_id = meetings.record_meeting(warehouse, force=force, held_on=held_on, chair=chair, recorded_by=by,
                                             tactical_version_id=tactical)
    console.print(f"[bold]{meeting_id}[/bold] recorded")


@meeting_app.command("decide")
def meeting_decide(meeting_id: str = typer.Argument(...), decision: str = typer.Option(..., "--decision"),
                   by: str = ByOption, warehouse: Optional[str] = WarehouseOption) -> None:
    """Add a decision to a meeting's record."""
    from tasks.tasking_loop import meetings

    with refusals():
        seq = meetings.add_decision(warehouse, meeting_id, decision, by)
    console.print(f"{meeting_id} decision {seq} recorded")


@meeting_app.command("commission")
def meeting_commission(
    meeting_id: str = typer.Argument(...),
    title: str = typer.Option(..., "--title"),
    requester: str = typer.Option(..., "--requester", help="who asks for the profile (agrees its ToR)"),
    author: str = typer.Option(..., "--author", help="who develops it"),
    question: list[str] = typer.Option(..., "--question", help="a question the profile must answer (repeat)"),
    period_from: str = typer.Option(..., "--from", help="first month YYYY-MM"),
    period_to: Optional[str] = typer.Option(None, "--to", help="last month YYYY-MM (default: latest held, moving)"),
    kind: str = typer.Option("problem_profile", "--kind", help="problem_profile | subject_profile"),
    area: Optional[str] = AreaOption,
    crime_types: list[str] = typer.Option([], "--crime-types"),
    nominal: Optional[str] = typer.Option(None, "--nominal"),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="YYYY-MM-DD"),
    marking: str = typer.Option("OFFICIAL-SENSITIVE", "--marking"),
    by: str = ByOption,
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """The meeting commissions a profile: a proposed terms of reference for the requester to agree."""
    from tasks.tasking_loop import meetings, tor

    with refusals():
        meeting = meetings.meeting(warehouse, meeting_id)["meeting"]
        tor_id = meetings.commission(warehouse, meeting_id, by=by, force=meeting["force"], product_kind=kind, title=title,
                                     requester=requester, author=author, area=area, types=crime_types,
                                     nominal_id=nominal, period_from=period_from, period_to=period_to,
                                     questions=question, deadline=deadline, marking=marking)
        made = tor.get(warehouse, tor_id)
    console.print(f"[bold]{tor_id}[/bold] proposed by {meeting_id}; the requester agrees it with: "
                  f"tasking tor agree {tor_id} --by {escape(repr(made.requester))}")


@meeting_app.command("show")
def meeting_show(meeting_id: str = typer.Argument(...), warehouse: Optional[str] = WarehouseOption) -> None:
    """A meeting: the assessment it took, decisions, actions, commissions."""
    from tasks.tasking_loop import meetings

    with refusals():
        found = meetings.meeting(warehouse, meeting_id)
    m = found["meeting"]
    console.print(f"[bold]{meeting_id}[/bold] {m['force']} TT&CG on {str(m['held_on'])[:10]}, chair {escape(m['chair'])}; "
                  f"took {m['tactical_version_id'] or 'no recorded tactical assessment'}")
    print_frame("Decisions", found["decisions"], ["seq", "decision", "recorded_by"], "No decisions recorded.")
    print_frame("Actions", found["actions"], ["action_id", "description", "owner", "due_on", "area", "crime_types_json",
                                              "status"], "No actions set.")
    print_frame("Commissions", found["commissions"], ["tor_id", "title", "requester", "author", "status"],
                "No profiles commissioned.")


@meeting_app.command("list")
def meeting_list(force: Optional[str] = typer.Option(None, "--force"), warehouse: Optional[str] = WarehouseOption) -> None:
    """Meetings held, oldest first."""
    from tasks.tasking_loop import meetings

    with refusals():
        frame = meetings.list_meetings(warehouse, force)
    print_frame("TT&CG meetings", frame, ["meeting_id", "force", "held_on", "chair", "tactical_version_id", "decisions",
                                          "actions"], "No meetings recorded.")


@meeting_app.command("verify")
def meeting_verify(warehouse: Optional[str] = WarehouseOption) -> None:
    """Check the hash-chained record of the whole loop (ToR, strategy, meetings, actions, profiles): exit 1 when an
    event was edited, deleted or reordered."""
    from tasks.tasking_loop.records import verify_all

    with refusals():
        found = verify_all(warehouse)
    for stream, problems in found.items():
        console.print(f"{stream}: " + ("intact" if not problems else f"[red]{len(problems)} problems[/red]"))
        for problem in problems:
            console.print(f"  {escape(problem)}")
    if any(found.values()):
        raise typer.Exit(code=1)
