"""`tasking ops setup`: create or update the Prefect notification block and the alert automations (idempotent)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from cli.common import app, console

ops_app = typer.Typer(no_args_is_help=True, help="Operations on the Prefect server: alerts.")
app.add_typer(ops_app, name="ops")


@ops_app.command()
def setup(
    config: Optional[Path] = typer.Option(None, "--config", help="project config (default $TASKING_CONFIG or tasking.yaml)"),
) -> None:
    """Save the webhook notification block (alerts.webhook_url in the config) and create or update the automations
    that notify on failed, crashed or late runs, a work pool without a worker, and an unhealthy health run.
    Safe to run again after every deploy. Needs PREFECT_API_URL."""
    from tasking.prefect_mode import orchestrated
    from tasking.config import ConfigError, load_config
    from tasks.alerts import AlertsNotConfigured, apply_alerts
    from tasks.orchestration import api_url

    try:
        settings = load_config(config)
    except ConfigError as error:
        console.print(f"[red]error[/red] {escape(str(error))}")
        raise typer.Exit(code=2) from error
    if not orchestrated() or not api_url():
        console.print("[red]error[/red] no Prefect API configured: set PREFECT_API_URL (docs/operations.md)")
        raise typer.Exit(code=2)
    try:
        done = apply_alerts(settings.alerts.webhook_url, settings.alerts.block_name)
    except AlertsNotConfigured as error:
        console.print(f"[red]error[/red] {settings.source}: {error}")
        raise typer.Exit(code=2) from error
    console.print(f"Notification block [bold]{settings.alerts.block_name}[/bold] posts to {settings.alerts.webhook_url}",
                  soft_wrap=True)
    for name, what in done:
        console.print(f"  {what:>7}  {escape(name)}")
