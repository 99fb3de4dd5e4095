"""`tasking products`: the central store, listed and filtered."""
from __future__ import annotations

from typing import Optional

import typer

from cli.common import WarehouseOption, app
from cli.loop_output import print_frame, refusals


@app.command("products")
def products(
    kind: Optional[str] = typer.Option(None, "--kind", help="tactical | strategic | problem_profile"),
    force: Optional[str] = typer.Option(None, "--force"),
    status: Optional[str] = typer.Option(None, "--status", help="DRAFT | APPROVED | REJECTED"),
    period: Optional[str] = typer.Option(None, "--period", help="YYYY-MM: versions whose period covers this month"),
    tor_id: Optional[str] = typer.Option(None, "--tor", help="versions built from this terms of reference"),
    text: Optional[str] = typer.Option(None, "--title", help="text in the title (any case)"),
    warehouse: Optional[str] = WarehouseOption,
) -> None:
    """Find anything in the central store: product versions, newest first, with their ToR and profile state."""
    from tasks.catalogue import list_products

    with refusals():
        frame = list_products(warehouse, kind=kind, force=force, status=status, period=period, tor_id=tor_id, text=text)
    # Kind and force are in the version id; an 80-column terminal reads six columns, not ten.
    shown = frame.assign(
        period=[_period(a, b) for a, b in zip(frame["period_start"], frame["period_end"])],
        tor_and_profile=[" ".join(str(v) for v in (t, p, r) if isinstance(v, str) and v)
                         for t, p, r in zip(frame["tor_id"], frame["profile_status"], frame["close_reason"])])
    print_frame(f"Central store: {len(frame)} versions", shown,
                ["version_id", "status", "period", "tor_and_profile", "title"], "No product versions match.",
                whole=("version_id",))


def _period(start, end) -> str:
    first, last = str(start)[:7], str(end)[:7]
    return first if first == last else f"{first}..{last}"
