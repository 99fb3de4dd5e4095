"""`make demo`'s flow, at a small scale: SYNTHETIC data in, two tasking cycles, the last tactical assessment's
PDF out (the action set at the first cycle's meeting measured in the second, the profile re-drafted as v2)."""
from __future__ import annotations

import duckdb
import pytest
from pypdf import PdfReader

from flows.demo import demo_flow
from tasks.catalogue import list_products
from tasks.tasking_loop.action_change import measure_meeting_actions
from tasks.tasking_loop.records import as_date


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(str(path)).pages).split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    warehouse, store = root / "var" / "warehouse.duckdb", root / "products"
    result = demo_flow(out_dir=str(root / "data"), warehouse=str(warehouse), store_dir=str(store),
                       months="2023-07..2024-08", rows_per_month=3000)
    return {"result": result, "warehouse": warehouse, "root": root, "store": store}


def test_demo_flow_drafts_a_synthetic_tactical_assessment(demo):
    result, warehouse = demo["result"].tactical, demo["warehouse"]
    assert result.status == "DRAFT" and result.pdf_path.is_file()
    pages = [page.extract_text() for page in PdfReader(result.pdf_path).pages]
    assert all(text.count("OFFICIAL") >= 2 for text in pages)
    assert "SYNTHETIC" in pages[0] and "August 2024" in pages[0]
    full = "\n".join(pages)
    assert "The last 14 and 28 days (force records)" in full
    with duckdb.connect(str(warehouse), read_only=True) as con:
        months = con.execute("SELECT count(DISTINCT month) FROM street_crime WHERE force = 'demo-shire'").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM ingest_log WHERE status IN ('failed', 'quarantined')").fetchone()[0]
        recorded = con.execute("SELECT state FROM flow_run WHERE flow_name = 'demo'").fetchall()
    assert (months, quarantined) == (14, 0)
    assert recorded == [("COMPLETED",)]


def test_the_first_cycle_ran_on_every_month_but_the_last(demo):
    loop, warehouse = demo["result"].loop, demo["warehouse"]
    assert loop.tactical_1.version_id.startswith("TA-demo-shire-2024-07")
    assert "The ST&CG adopted 2 priorities from " + loop.strategic.version_id in pdf_text(loop.tactical_1.pdf_path)
    approved = list_products(warehouse, status="approved")
    # Approved by the registered SYNTHETIC reviewer, never by the pipeline that drafted them.
    assert set(approved["version_id"]) == {loop.strategic.version_id, loop.profile_v1.version_id}
    assert [p.label for p in loop.priorities] == ["Robbery", "Burglary"]
    assert (loop.profile_v1.profile_id, loop.profile_v1.version) == ("PRF-0001", 1)
    assert f"{loop.tor_id}, agreed by DI Smith (SYNTHETIC) on" in pdf_text(loop.profile_v1.pdf_path)


def test_the_second_tactical_assessment_shows_the_action_and_its_measured_change(demo):
    loop, warehouse = demo["result"].loop, demo["warehouse"]
    assert demo["result"].tactical.version_id == loop.tactical_2.version_id
    text = pdf_text(loop.tactical_2.pdf_path)
    code, name = loop.place
    assert f"The last TT&CG meeting, {loop.meeting_id} on 01 August 2024" in text
    assert f"{loop.action_id} (High-visibility patrols in {name}" in text and "done" in text
    (change,) = measure_meeting_actions(warehouse, loop.meeting_id, as_date("2024-08-01", "latest month"))
    assert change.measurable and change.place == f"lsoa:{code}"
    assert f"{change.target_before} before (2024-07) vs {change.target_after} after (2024-08)" in text
    assert "Association, not proof of effect" in text


def test_the_profile_is_redrafted_as_version_2(demo):
    loop = demo["result"].loop
    v2 = loop.profile_v2
    assert (v2.profile_id, v2.version, v2.drafted) == ("PRF-0001", 2, True)
    assert v2.version_id == loop.profile_v1.version_id[:-1] + "2"
    text = pdf_text(v2.pdf_path)
    assert f"PRF-0001 version 2, drafted from {loop.tor_id}." in text
    assert "months added (crimes): 2024-08 (" in text


def test_the_command_prints_the_pdf_then_the_loop_and_what_to_try(demo, monkeypatch):
    from typer.testing import CliRunner

    import flows.demo
    from cli.main import app

    monkeypatch.setattr(flows.demo.demo_flow, "fn", lambda **_: demo["result"])  # the run itself is the fixture's
    shown = CliRunner().invoke(app, ["demo", "--warehouse", str(demo["warehouse"])], env={"COLUMNS": "250"})
    loop = demo["result"].loop
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert out.index(f"PDF:  {loop.tactical_2.pdf_path}") < out.index("The tasking loop") < out.index("Try next")
    for artefact in (loop.strategic.version_id, loop.meeting_id, loop.action_id, loop.tor_id,
                     str(loop.tactical_1.pdf_path), str(loop.profile_v2.pdf_path)):
        assert artefact in out
    assert f"tasking action measure --meeting {loop.meeting_id}" in out


def test_a_second_demo_in_the_same_warehouse_does_not_repeat_the_loop(demo, monkeypatch):
    from typer.testing import CliRunner

    import flows.demo
    from cli.main import app

    again = demo_flow(out_dir=str(demo["root"] / "data"), warehouse=str(demo["warehouse"]),
                      store_dir=str(demo["store"]), months="2023-07..2024-08", rows_per_month=3000)
    assert again.loop is None and "already holds a TT&CG meeting for demo-shire" in again.note
    assert again.tactical.pdf_path.is_file()
    monkeypatch.setattr(flows.demo.demo_flow, "fn", lambda **_: again)
    shown = CliRunner().invoke(app, ["demo", "--warehouse", str(demo["warehouse"])], env={"COLUMNS": "250"})
    assert shown.exit_code == 0 and f"PDF:  {again.tactical.pdf_path}" in shown.output
    assert "the loop was shown before" in shown.output and "Try next" not in shown.output
