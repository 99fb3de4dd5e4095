"""Operations: the health check and the end-to-end SYNTHETIC demo."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.common import app, console


@app.command()
def health(
    config: Optional[Path] = typer.Option(None, "--config", help="project config (default $TASKING_CONFIG or tasking.yaml)"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="DuckDB file (default: the config's warehouse)"),
    html: Optional[Path] = typer.Option(None, "--html", help="where to write the HTML page (default: the config's health.html)"),
) -> None:
    """Ops health: last run of each deployment, data freshness per force, quality, reviews waiting, recent failures."""
    from tasking.config import ConfigError, load_config
    from tasks.health import SECTIONS, health_report, section_rows, section_title, write_health_html

    try:
        settings = load_config(config)
    except ConfigError as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=2) from error
    report = health_report(warehouse or settings.warehouse_file, forces=settings.forces, local_forces=settings.extra_forces,
                           failure_window_days=settings.health.failure_window_days)
    for problem in report.problems:
        console.print(f"[red]needs attention[/red] {problem}")
    if not report.problems:
        console.print("[green]No problems found.[/green]")
    bad = ("FAILED", "CRASHED", "never loaded")
    for name in SECTIONS:
        headings, rows = section_rows(report, name)
        if not rows:
            console.print(f"[bold]{section_title(report, name)}:[/bold] none")
            continue
        table = Table(title=section_title(report, name), title_justify="left")
        for heading in headings:
            table.add_column(heading, overflow="fold")
        for row in rows:
            flagged = any(cell in bad or cell.endswith("behind") for cell in row)
            table.add_row(*row, style="red" if flagged else None)
        console.print(table)
    page = write_health_html(report, html or settings.health_html)
    console.print(f"HTML: {page}")


@app.command()
def demo(
    out: Path = typer.Option(Path("data/synthetic"), help="where the SYNTHETIC data is written"),
    warehouse: Path = typer.Option(Path("var/warehouse.duckdb"), "--warehouse"),
    store: Path = typer.Option(Path("var/products"), "--store", help="product store"),
) -> None:
    """End to end on SYNTHETIC data: generate, ingest through the quality gate, draft a tactical assessment."""
    from flows.demo import demo_flow
    from flows.engine import run_flow

    result = run_flow(demo_flow, out_dir=str(out), warehouse=str(warehouse), store_dir=str(store))
    # soft_wrap: a path broken across lines cannot be copied.
    console.print(f"\n[bold]SYNTHETIC demo complete.[/bold] Tactical assessment {result.version_id} ({result.status}):",
                  soft_wrap=True)
    console.print(f"  PDF:  {result.pdf_path}", soft_wrap=True)
    console.print(f"  HTML: {result.html_path}", soft_wrap=True)
    console.print(f"  Review it: tasking review show {result.version_id} --warehouse {warehouse}", soft_wrap=True)

