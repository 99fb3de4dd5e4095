"""The scheduled tactical assessment built one force per process gives the same products as built one after
another (the strategic flow fans out through the same code, flows.fanout)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.engine import run_flow
from flows.products import tactical_assessment_flow

from several_forces import FORCES, build_warehouse, data_packs, write_config


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """Run the flows without Prefect (as `tasking` does with no PREFECT_API_URL), even inside a test harness."""
    monkeypatch.setenv("TASKING_ORCHESTRATE", "never")


@pytest.fixture(scope="module")
def warehouse_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forces")
    build_warehouse(folder)
    return folder


def test_fanned_out_tactical_assessments_match_the_sequential_ones(warehouse_folder):
    sequential = run_flow(tactical_assessment_flow, config_path=str(write_config(warehouse_folder, "sequential")), workers=1)
    # force_new: the same warehouse gives the same inputs, which would otherwise leave the products unchanged.
    fanned = run_flow(tactical_assessment_flow, config_path=str(write_config(warehouse_folder, "fanned")), workers=2,
                      force_new=True)
    assert [v.split("-v")[0] for v in sequential] == [v.split("-v")[0] for v in fanned]
    assert len(fanned) == len(FORCES) and all(f"TA-{force}-" in v for force, v in zip(FORCES, fanned))
    packs = data_packs(warehouse_folder / "fanned")
    assert len(packs) >= 4 * len(FORCES)  # every product has its data pack
    assert packs == data_packs(warehouse_folder / "sequential")
    with duckdb.connect(str(warehouse_folder / "warehouse.duckdb"), read_only=True) as con:
        registered = con.execute("SELECT version_id, status FROM product_version ORDER BY ALL").fetchall()
        runs = con.execute("SELECT state FROM flow_run WHERE flow_name = 'tactical-assessment'").fetchall()
    assert registered == sorted((v, "DRAFT") for v in sequential + fanned)
    assert runs == [("COMPLETED",), ("COMPLETED",)]

