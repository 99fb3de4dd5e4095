"""`make demo`'s flow, at a small scale: SYNTHETIC data in, a DRAFT tactical assessment PDF out."""
from __future__ import annotations

import duckdb
from pypdf import PdfReader

from flows.demo import demo_flow


def test_demo_flow_drafts_a_synthetic_tactical_assessment(tmp_path):
    warehouse = tmp_path / "var" / "warehouse.duckdb"
    result = demo_flow(out_dir=str(tmp_path / "data"), warehouse=str(warehouse), store_dir=str(tmp_path / "products"),
                       months="2023-07..2024-08", rows_per_month=3000)
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
