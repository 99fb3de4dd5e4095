"""An unknown or mistyped force gets one clear error from every command that takes one."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from shared_paths import CITY_OF_LONDON
from tasks.ingest import ingest_paths


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory):
    target = tmp_path_factory.mktemp("unknown-force") / "warehouse.duckdb"
    assert ingest_paths(sorted(CITY_OF_LONDON.glob("*-street.csv"))[:2], target, gate=None).ok
    return target


@pytest.mark.parametrize("command", [
    ["indicators", "--from", "2021-09", "--to", "2021-10"],
    ["assess", "tactical"],
    ["assess", "tactical", "--period-end", "2021-10"],
    ["assess", "strategic"],
    ["tor", "propose", "--crime-types", "Robbery", "--from", "2021-09", "--to", "2021-10", "--title", "Robbery",
     "--requester", "x", "--author", "y", "--question", "Where and when?", "--by", "y"],
])
def test_a_mistyped_force_is_named_with_the_forces_held_and_a_suggestion(warehouse_file, tmp_path, command):
    from cli.main import app

    result = CliRunner().invoke(app, [*command, "--force", "city-of-londn", "--warehouse", str(warehouse_file)],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert ("force 'city-of-londn': not a force slug this warehouse knows; the warehouse holds street crime for "
            "city-of-london; did you mean 'city-of-london'?") in result.output


def test_a_real_force_not_yet_ingested_says_so(warehouse_file):
    from cli.main import app

    result = CliRunner().invoke(app, ["indicators", "--from", "2021-09", "--to", "2021-10", "--force", "northumbria",
                                      "--warehouse", str(warehouse_file)], env={"COLUMNS": "300"})
    assert result.exit_code == 1 and "has not been ingested yet" in result.output
