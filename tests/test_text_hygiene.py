"""Stored text stays text: formula cells neutralised in data-pack CSVs (OWASP CSV injection)."""
from __future__ import annotations

import pandas as pd

from tasks.csv_safe import neutralise_formulas
from tasks.draft import Draft


def test_formula_cells_are_neutralised_in_the_csv_and_kept_exactly_in_the_parquet(tmp_path):
    frame = pd.DataFrame({
        "location": ['=HYPERLINK("http://evil","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "On or near High St"],
        "change": ["-3", "+12.5%", "-1,200", "4", "=1+1", "-"],
        "n": [-1, 2, -3, 4, 5, 6],
    })
    draft = Draft(tmp_path)
    draft.save_data(frame, "places")
    written = pd.read_csv(tmp_path / "data" / "places.csv", dtype=str, keep_default_na=False)
    assert written["location"].tolist() == ["'=HYPERLINK(\"http://evil\",\"click\")", "'+cmd|' /C calc'!A0", "'-2+3",
                                            "'@SUM(A1)", "'\tTAB", "On or near High St"]
    assert written["change"].tolist() == ["-3", "+12.5%", "-1,200", "4", "'=1+1", "'-"]
    assert written["n"].tolist() == ["-1", "2", "-3", "4", "5", "6"]  # numbers are numbers, untouched
    assert all(not cell.startswith(("=", "+", "@", "\t")) or cell in ("+12.5%",)
               for column in written for cell in written[column])
    assert pd.read_parquet(tmp_path / "data" / "places.parquet")["location"].tolist() == frame["location"].tolist()


def test_a_column_name_that_is_a_formula_is_neutralised():
    assert list(neutralise_formulas(pd.DataFrame({"=cmd": ["x"]})).columns) == ["'=cmd"]


def test_ingest_reports_print_file_names_and_errors_with_brackets_as_typed():
    import pytest
    import typer
    from rich.console import Console

    from cli import common
    from tasks.ingest import BatchResult, IngestReport

    report = IngestReport([BatchResult(name="data/[/x]2024-01-city-of-london-street.csv", status="failed",
                                       error="data/[/x]2024-01-city-of-london-street.csv: [bold]bad[/] header")])
    recorder = Console(record=True, width=300)
    recorder.print(common.batch_table(report, "Ingest"))
    original, common.console = common.console, recorder
    try:
        with pytest.raises(typer.Exit):
            common.finish(report)
    finally:
        common.console = original
    text = recorder.export_text()
    assert "[/x]2024-01-city-of-london-street.csv" in text and "[bold]bad[/] header" in text
