"""Analysis on internal records: the Knox near-repeat test."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from cli.common import WarehouseOption, app, console, existing_warehouse


@app.command("near-repeat")
def near_repeat(
    force: str = typer.Option(..., help="force slug of the internal records"),
    crime_type: str = typer.Option("Burglary", "--crime-type", help="published category, e.g. Burglary"),
    date_from: Optional[str] = typer.Option(None, "--from", help="first date YYYY-MM-DD (default: all held)"),
    date_to: Optional[str] = typer.Option(None, "--to", help="last date YYYY-MM-DD (default: all held)"),
    spatial_bandwidth: float = typer.Option(100.0, "--spatial-bandwidth", help="metres"),
    spatial_bands: int = typer.Option(3, "--spatial-bands"),
    temporal_bandwidth: float = typer.Option(7.0, "--temporal-bandwidth", help="days"),
    temporal_bands: int = typer.Option(3, "--temporal-bands"),
    same_location: float = typer.Option(1.0, "--same-location", help="metres counted as the same location (0: no such band)"),
    iterations: int = typer.Option(99, help="Monte Carlo permutations (99 allows p down to 0.01)"),
    metric: str = typer.Option("manhattan", help="manhattan or euclidean"),
    by_day: bool = typer.Option(False, "--by-day", help="count whole calendar days, as the Near Repeat Calculator does"),
    seed: int = typer.Option(0),
    warehouse: Optional[Path] = WarehouseOption,
) -> None:
    """Knox near-repeat test on internal records: observed/expected and p-value per space-time band."""
    from datetime import date

    from tasks.near_repeat import KnoxBands, finding, near_repeat_for_warehouse

    warehouse = existing_warehouse(warehouse)
    try:
        bands = KnoxBands.regular(spatial_bandwidth, spatial_bands, temporal_bandwidth, temporal_bands,
                                  same_location or None)
        result = near_repeat_for_warehouse(warehouse, force, crime_type,
                                           date.fromisoformat(date_from) if date_from else None,
                                           date.fromisoformat(date_to) if date_to else None,
                                           bands, iterations, metric, by_day, seed)
    except (ValueError, FileNotFoundError) as error:
        console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=1)
    cells = result.table()
    table = Table(title=f"Knox test: {crime_type}, {force}, {result.events:,} events, {iterations} permutations ({metric})")
    table.add_column("distance")
    for label in bands.temporal_labels:
        table.add_column(label, justify="right")
    for label, group in cells.groupby("spatial_band", sort=False):
        table.add_row(label, *[f"{r.observed:,} ({r.knox_ratio:.2f}, p={r.p_value:.3f})" if r.expected > 0 else f"{r.observed:,}"
                              for r in group.itertuples(index=False)])
    console.print(table)
    console.print("Cells show observed pairs (observed/expected, p). Bands are [lower, upper): see docs/near-repeat.md.")
    for sentence in finding(result, 0.05, same_location or 0.0).sentences(crime_type):
        console.print(sentence)


