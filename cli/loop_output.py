"""What the tasking-loop commands share: a refused change printed as one red line (exit 1), and tables."""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import console

if TYPE_CHECKING:  # pandas costs a third of a second to import: every command would pay it just to start
    import pandas as pd

ByOption = typer.Option(..., "--by", help="who is making this change (recorded in the event log with the time and OS user)")


@contextmanager
def refusals():
    """A LoopError, a catalogue filter error or a missing warehouse becomes `error <message>` and exit code 1."""
    from tasks.catalogue import CatalogueError
    from tasks.indicators import ScopeError
    from tasks.tasking_loop import LoopError

    try:
        yield
    except (LoopError, CatalogueError, ScopeError, FileNotFoundError, ValueError) as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(code=1)


def cell(value) -> str:
    import pandas as pd  # loaded already: the value comes from a frame

    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    if isinstance(value, str) and value.startswith("["):  # a stored JSON list (crime types): shown as a list
        try:
            return escape(", ".join(json.loads(value)) or "all crime")
        except (ValueError, TypeError):
            pass
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return escape(str(value))


def print_frame(title: str, frame: pd.DataFrame, columns: list[str], empty: str, whole: tuple[str, ...] = ()) -> None:
    """A table of `columns`; those in `whole` (ids a user copies) are never broken across lines."""
    if frame.empty:
        console.print(empty)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column.removesuffix("_json").replace("_", " "), overflow="fold", no_wrap=column in whole)
    for row in frame[columns].itertuples(index=False):
        table.add_row(*(cell(v) for v in row))
    console.print(table)
