"""`tasking strategy`: the control strategy the ST&CG adopts from an approved strategic assessment."""
from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from cli.common import AreaOption, WarehouseOption, app, console
from cli.loop_output import ByOption, print_frame, refusals

strategy_app = typer.Typer(no_args_is_help=True, help="Control strategy: adopted priorities and their intelligence requirement.")
app.add_typer(strategy_app, name="strategy")


@strategy_app.command("adopt")
def strategy_adopt(
    strategic_version: str = typer.Option(..., "--from", help="the APPROVED strategic assessment version, e.g. SA-...-v1"),
    label: str = typer.Option(..., "--label", help="the priority, in a line"),
    crime_types: list[str] = typer.Option(..., "--crime-types", help="data.police.uk crime types, comma-separated or repeated"),
    requirement: str = typer.Option(..., "--requirement", help="the intelligence requirement this priority sets"),
    area: Optional[str] = AreaOption,
    by: str = ByOption,
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """Record a priority the ST&CG adopted; the tactical assessment then reports against it first."""
    from tasks.tasking_loop import strategy

    with refusals():
        made = strategy.adopt(warehouse, strategic_version, label=label, types=crime_types, requirement=requirement,
                              by=by, area=area)
    console.print(f"[bold]{made.priority_id}[/bold] adopted for {made.force}: {escape(made.label)}")


@strategy_app.command("retire")
def strategy_retire(priority_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason"),
                    by: str = ByOption, warehouse: Optional[str] = WarehouseOption) -> None:
    """Retire a priority the ST&CG has dropped (kept, with the reason)."""
    from tasks.tasking_loop import strategy

    with refusals():
        strategy.retire(warehouse, priority_id, by, reason)
    console.print(f"{priority_id} retired")


@strategy_app.command("list")
def strategy_list(force: Optional[str] = typer.Option(None, "--force"), status: Optional[str] = typer.Option(None, "--status"),
                  warehouse: Optional[str] = WarehouseOption) -> None:
    """The control strategy: adopted (and retired) priorities."""
    from tasks.tasking_loop import strategy

    with refusals():
        frame = strategy.list_priorities(warehouse, force=force, status=status)
    print_frame("Control strategy", frame, ["priority_id", "force", "label", "crime_types_json", "area",
                                            "intelligence_requirement", "status", "adopted_by", "strategic_version_id"],
                "No priorities adopted.")
