"""Operations: the health check and the end-to-end SYNTHETIC demo."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import app, console, existing_warehouse


@app.command()
def health(
    config: Optional[Path] = typer.Option(None, "--config", help="project config (default $TASKING_CONFIG or tasking.yaml)"),
    warehouse: Optional[Path] = typer.Option(None, "--warehouse", help="DuckDB file (default: the config's warehouse)"),
    html: Optional[Path] = typer.Option(None, "--html", help="where to write the HTML page (default: the config's health.html)"),
) -> None:
    """Ops health: freshness and completeness per force and source, last run of each deployment (from Prefect when
    PREFECT_API_URL is set), quality, reviews waiting, recent failures.

    Exit codes: 0 healthy; 2 cannot check (bad config, no warehouse, Prefect API not answering is reported as 3);
    3 runs need attention (failed, crashed, cancelled or late run, paused deployment, work pool not ready);
    4 data needs attention (stale past its publication lag, never loaded, quarantined batches);
    5 a draft has waited for review too long. With several, the lowest code; every problem is printed.
    """

    from flows.engine import run_flow
    from flows.health import health_flow
    from tasking.config import ConfigError, load_config
    from tasks.health import Unhealthy
    from tasks.health_page import sections, tone

    try:
        settings = load_config(config)
    except ConfigError as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(code=2) from error
    target = existing_warehouse(warehouse or settings.warehouse_file)
    try:
        report = run_flow(health_flow, config_path=str(settings.source), warehouse=str(target),
                          html=str(html) if html else None)
    except Unhealthy as unhealthy:  # the run ended Failed; the report is still shown in full
        report = unhealthy.report
    for problem in report.problems:
        console.print(f"[red]needs attention[/red] ({problem.category}) {escape(str(problem))}")
    if not report.problems:
        console.print("[green]No problems found.[/green]")
    for section in sections(report):
        if not section.rows:
            console.print(f"[bold]{section.title}:[/bold] none")
            continue
        table = Table(title=section.title, title_justify="left", caption=escape(str(section.note or "")),
                      caption_justify="left")
        for heading in section.headings:
            table.add_column(heading, overflow="fold")
        for row in section.rows:
            flagged = section.state_column is not None and tone(row[section.state_column]) == "bad"
            table.add_row(*(escape(str(cell)) for cell in row), style="red" if flagged else None)
        console.print(table)
    page = html or settings.health_html
    console.print(f"HTML: {page}", soft_wrap=True)
    raise typer.Exit(code=report.exit_code)


@app.command()
def demo(
    out: Path = typer.Option(Path("data/synthetic"), help="where the SYNTHETIC data is written"),
    warehouse: Path = typer.Option(Path("var/warehouse.duckdb"), "--warehouse"),
    store: Path = typer.Option(Path("var/products"), "--store", help="product store"),
) -> None:
    """End to end on SYNTHETIC data: generate, ingest through the quality gate, and two tasking cycles (strategic
    assessment approved, control strategy, tactical assessment, TT&CG meeting, ToR, profile; next month: tactical
    assessment with the action's measured change, profile v2)."""
    from flows.demo import demo_flow
    from flows.engine import run_flow

    with progress_lines():
        result = run_flow(demo_flow, out_dir=str(out), warehouse=str(warehouse), store_dir=str(store))
    tactical = result.tactical
    # soft_wrap: a path broken across lines cannot be copied.
    say = lambda text="": console.print(text, soft_wrap=True, highlight=False)  # noqa: E731
    say(f"\n[bold]SYNTHETIC demo complete.[/bold] Tactical assessment {tactical.version_id} ({tactical.status}):")
    say(f"  PDF:  {tactical.pdf_path}")
    say(f"  HTML: {tactical.html_path}")
    say(f"  Review it: tasking review show {tactical.version_id} --warehouse {warehouse}")
    if result.loop is None:
        say(f"\n{escape(result.note)}")
        return
    loop, where = result.loop, f"--warehouse {warehouse}"
    say("\n[bold]The tasking loop, two cycles on the SYNTHETIC data[/bold] (docs/tasking-loop.md):")
    for line in demo_lines(loop):
        say(f"  {escape(line)}")
    say("\n[bold]Try next:[/bold]")
    for command in (f"tasking products {where}", f"tasking strategy list {where}",
                    f"tasking meeting show {loop.meeting_id} {where}",
                    f"tasking action measure --meeting {loop.meeting_id} {where}",
                    f"tasking tor show {loop.tor_id} {where}", f"tasking profile show {loop.profile_v1.profile_id} {where}",
                    f"tasking review list {where}", f"tasking meeting verify {where}"):
        say(f"  {command}")


@contextmanager
def progress_lines():
    """Show the flow's progress lines (the `tasking` logger at INFO, printed by Prefect's console handler): the
    demo takes a minute or two, and a silent terminal looks hung."""
    logger = logging.getLogger("tasking")
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)


def demo_lines(loop) -> list[str]:
    """One line per artefact of the demo's loop: what it is, its id, its PDF."""
    code, name = loop.place
    v2 = loop.profile_v2
    return [
        f"1. strategic assessment {loop.strategic.version_id} (APPROVED): {loop.strategic.pdf_path}",
        "2. control strategy: " + "; ".join(f"{p.priority_id} {p.label}" for p in loop.priorities),
        f"3. tactical assessment (month N-1) {loop.tactical_1.version_id}: {loop.tactical_1.pdf_path}",
        f"4. TT&CG meeting {loop.meeting_id}: action {loop.action_id} on {name} (lsoa:{code}), "
        f"commissioned {loop.tor_id} (agreed by its requester)",
        f"5. problem profile {loop.profile_v1.profile_id} v1 {loop.profile_v1.version_id} (APPROVED): "
        f"{loop.profile_v1.pdf_path}",
        f"6. month N arrives; tactical assessment {loop.tactical_2.version_id} (the action and its measured change): "
        f"{loop.tactical_2.pdf_path}",
        (f"7. problem profile {v2.profile_id} v{v2.version} {v2.version_id} (what changed): {v2.pdf_path}" if v2
         else "7. the problem profile was not re-drafted"),
    ]
