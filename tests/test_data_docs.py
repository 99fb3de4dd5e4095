"""GX Data Docs kept in a file context beside the warehouse: a gate group's joint result and each re-validated
month get a page, the suites are kept, and a run's build lists the pages of its own results."""
from __future__ import annotations

from pathlib import Path

from tasks.data_docs import build, data_docs_index, gx_root, latest_pages
from tasks.ingest import ingest_paths
from tasks.validate import revalidate

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA


def test_gate_and_revalidation_results_become_data_docs_pages(warehouse_file):
    files = [CITY_OF_LONDON / "2022-08-city-of-london-street.csv", NORTHUMBRIA / "2022-08-northumbria-street.csv"]
    report = ingest_paths(files, warehouse_file)
    assert report.ok
    assert data_docs_index(warehouse_file) is None  # pages are rendered when a run builds them

    ingested = build(warehouse_file)
    # Both forces' August files were gated together: one joint GX result, one page for the group.
    assert [label for label, _ in ingested.pages] == ["street batches-1-2 (gate)"]
    assert ingested.index == gx_root(warehouse_file) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert (gx_root(warehouse_file) / "gx" / "expectations" / "street.json").is_file()

    assert len(revalidate(warehouse_file)) == 2
    revalidated = build(warehouse_file)
    assert sorted(label for label, _ in revalidated.pages) == ["street batch-1 (revalidate)", "street batch-2 (revalidate)"]
    assert all(url.startswith("file://") and url.endswith(".html") for _, url in revalidated.pages)
    newest = latest_pages(warehouse_file)["street"]
    assert newest.name in {"batch-1.html", "batch-2.html"} and newest.parts[-3] == "revalidate " + newest.stem


def test_an_in_process_run_renders_its_own_pages_and_the_index_is_rebuilt_when_next_opened(warehouse_file):
    from urllib.parse import quote, unquote, urlparse

    from tasks.data_docs import current_index

    assert ingest_paths([CITY_OF_LONDON / "2022-08-city-of-london-street.csv"], warehouse_file).ok
    first = build(warehouse_file, index=False)
    assert first.index is None  # nobody has been handed a link yet: the index waits
    ((label, url),) = first.pages
    page = Path(unquote(urlparse(url).path))
    html = page.read_text(encoding="utf-8")  # GX's page of the result: the suite's checks of the published columns
    assert "Crime ID" in html and "Longitude" in html and "Succeeded" in html

    index = current_index(warehouse_file)  # the health page asks: the index is built, listing the page
    assert index == data_docs_index(warehouse_file)
    assert quote(page.relative_to(index.parent).as_posix()) in index.read_text(encoding="utf-8")
    built_at = index.stat().st_mtime_ns
    assert current_index(warehouse_file) == index and index.stat().st_mtime_ns == built_at  # not rebuilt when current
