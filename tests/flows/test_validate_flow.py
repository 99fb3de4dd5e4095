"""The quality summary as Prefect table artifacts, after an ingest flow run and from the validate flow."""
from __future__ import annotations

import csv
import io
import json

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.ingest import IngestFailed, ingest_flow
from flows.validate import validate_flow

from shared_paths import CITY_OF_LONDON


def latest_table(key: str) -> list[dict]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    newest = max(found, key=lambda artifact: artifact.created)
    return json.loads(newest.data) if isinstance(newest.data, str) else newest.data


def latest_markdown(key: str) -> str:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return max(found, key=lambda artifact: artifact.created).data


def test_quality_artifacts_show_pass_rates_quarantine_and_gaps(tmp_path):
    warehouse_file = tmp_path / "warehouse.duckdb"
    good = [CITY_OF_LONDON / f"2021-{m}-city-of-london-street.csv" for m in ("09", "10")]
    december = CITY_OF_LONDON / "2021-12-city-of-london-street.csv"
    with open(december, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("Crime type")] = "Alien abduction"
    bad = tmp_path / december.name
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    bad.write_text(buffer.getvalue(), encoding="utf-8")

    # A quarantined file fails the run; the good ones stay loaded, and the report comes with the failure.
    with pytest.raises(IngestFailed) as failed:
        ingest_flow([str(p) for p in good] + [str(bad)], str(warehouse_file))
    report = failed.value.report
    assert [b.status for b in report.batches].count("quarantined") == 1

    summary = latest_table("quality-summary")
    street = next(row for row in summary if row["suite"] == "street")
    assert (street["batches"], street["passed"], street["quarantined"]) == (3, 2, 1)
    gaps = latest_table("quality-gaps")
    # 2021-11 was never offered, 2021-12 was quarantined: both are gaps inside the range offered.
    assert [(g["month"], g["status"]) for g in gaps] == [("2021-11", "missing"), ("2021-12", "missing")]
    assert "quarantined" in gaps[1]["reason"]

    checks = validate_flow(str(warehouse_file))
    assert len(checks) == 2 and all(check.run.passed for check in checks)
    assert (warehouse_file.parent / "quality" / "index.html").is_file()

    # Every gate and re-validation result is kept in the file-backed GX context beside the warehouse, and the
    # runs' artifacts link their Data Docs pages.
    index = warehouse_file.parent / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.is_file()
    pages = list((index.parent / "validations" / "street").rglob("*.html"))
    # The three files were gated as one group (tasks.gate_groups): one GX run over them all, whose page shows the
    # quarantined file's unexpected value, + 2 re-validations. Each file's own results are in validation_result.
    assert len(pages) == 3
    group_page = next(p for p in pages if "batches-" in p.name)
    assert "Alien abduction" in group_page.read_text(encoding="utf-8")
    links = latest_markdown("data-docs")
    assert f"]({index.as_uri()})" in links and links.count("(file://") == 3  # the index and this run's two pages
