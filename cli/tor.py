"""`tasking tor`: terms of reference, proposed and agreed by the requester before a profile is built."""
from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from cli.common import AreaOption, WarehouseOption, app, console
from cli.loop_output import ByOption, print_frame, refusals

tor_app = typer.Typer(no_args_is_help=True, help="Terms of reference: propose, agree (requester only), withdraw, list.")
app.add_typer(tor_app, name="tor")


@tor_app.command("propose")
def tor_propose(
    force: str = typer.Option(..., "--force", help="force slug"),
    title: str = typer.Option(..., "--title", help="the problem or subject, in a line"),
    requester: str = typer.Option(..., "--requester", help="who asks for the product (the only one who can agree it)"),
    author: str = typer.Option(..., "--author", help="who develops the product"),
    question: list[str] = typer.Option(..., "--question", help="a question the product must answer (repeat)"),
    period_from: str = typer.Option(..., "--from", help="first month YYYY-MM"),
    period_to: Optional[str] = typer.Option(None, "--to", help="last month YYYY-MM (default: the latest month held, moving with each re-draft)"),
    kind: str = typer.Option("problem_profile", "--kind", help="problem_profile | subject_profile"),
    area: Optional[str] = AreaOption,
    crime_types: list[str] = typer.Option([], "--crime-types", help="data.police.uk crime types, comma-separated or repeated"),
    nominal: Optional[str] = typer.Option(None, "--nominal", help="subject profiles: the nominal id"),
    deadline: Optional[str] = typer.Option(None, "--deadline", help="YYYY-MM-DD"),
    marking: str = typer.Option("OFFICIAL-SENSITIVE", "--marking", help="government security classification"),
    by: str = ByOption,
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """Propose a terms of reference (status proposed) for the requester to agree."""
    from tasks.tasking_loop import tor

    with refusals():
        made = tor.propose(warehouse, proposed_by=by, force=force, product_kind=kind, title=title, requester=requester,
                           author=author, area=area, types=crime_types, nominal_id=nominal, period_from=period_from,
                           period_to=period_to, questions=question, deadline=deadline, marking=marking)
    console.print(f"[bold]{made.tor_id}[/bold] proposed; the requester agrees it with: "
                  f"tasking tor agree {made.tor_id} --by {escape(repr(made.requester))}")


@tor_app.command("agree")
def tor_agree(tor_id: str = typer.Argument(...), by: str = ByOption,
              comment: Optional[str] = typer.Option(None, "--comment"), warehouse: Optional[str] = WarehouseOption) -> None:
    """The requester agrees the terms of reference (proposed -> agreed); anyone else is refused."""
    from tasks.tasking_loop import tor

    with refusals():
        agreed = tor.agree(warehouse, tor_id, by, comment)
    console.print(f"[bold]{agreed.tor_id}[/bold] agreed by {escape(agreed.agreed_by)}; build it with: "
                  f"tasking profile problem --tor-id {agreed.tor_id}")


@tor_app.command("withdraw")
def tor_withdraw(tor_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason"), by: str = ByOption,
                 warehouse: Optional[str] = WarehouseOption) -> None:
    """Withdraw a proposed terms of reference that is no longer wanted."""
    from tasks.tasking_loop import tor

    with refusals():
        tor.withdraw(warehouse, tor_id, by, reason)
    console.print(f"{tor_id} withdrawn")


@tor_app.command("show")
def tor_show(tor_id: str = typer.Argument(...), warehouse: Optional[str] = WarehouseOption) -> None:
    """The terms of reference as the product prints it."""
    from tasks.tasking_loop import tor

    with refusals():
        found = tor.get(warehouse, tor_id)
    console.print(escape(found.as_text()))


@tor_app.command("list")
def tor_list(force: Optional[str] = typer.Option(None, "--force"), status: Optional[str] = typer.Option(None, "--status"),
             warehouse: Optional[str] = WarehouseOption) -> None:
    """Terms of reference, with their status."""
    from tasks.tasking_loop import tor

    with refusals():
        frame = tor.list_tors(warehouse, force=force, status=status)
    print_frame("Terms of reference", frame, ["tor_id", "title", "requester", "author", "status", "deadline",
                                              "commissioned_by"], "No terms of reference held.")
