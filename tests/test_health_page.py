"""The ops page in a real browser (Debian's headless chromium driven by Selenium): what a person sees at a glance
without opening Prefect: what needs attention, freshness and completeness per force and source, the last run of
each deployment, the quality pass rate with a working link to the GX Data Docs, and drafts waiting for review."""
from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tasking import warehouse
from tasks.health import health_report
from tasks.health_page import write_health_html
from tasks.ingest import ingest_paths
from tasks.runs import record_end
from tasks.data_docs import build

from shared_paths import CITY_OF_LONDON

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
NOW = datetime.now(timezone.utc)


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed (make test installs Debian's chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1800"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def tampered_copy(source: Path, target: Path) -> Path:
    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("Crime type")] = "Alien abduction"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """A warehouse as an analyst would meet it: two months through the gate, one quarantined, a failed run, and
    two drafts (one waiting 20 days), and its ops page."""
    folder = tmp_path_factory.mktemp("ops")
    warehouse_file = folder / "warehouse.duckdb"
    good = [CITY_OF_LONDON / f"2024-0{m}-city-of-london-street.csv" for m in (6, 8)]
    bad = tampered_copy(CITY_OF_LONDON / "2024-07-city-of-london-street.csv", folder / "2024-07-city-of-london-street.csv")
    ingest_paths([*good, bad], warehouse_file)
    build(warehouse_file)
    record_end(warehouse_file, "run-1", "FAILED", by="flow", flow_name="tactical-assessment",
               deployment="tactical-assessment", started_at=NOW - timedelta(hours=3), finished_at=NOW - timedelta(hours=3),
               error="no street data for force 'kent'")
    with warehouse.connect(warehouse_file) as con:
        for product, age in (("TA-old", 20), ("TA-new", 2)):
            created = NOW - timedelta(days=age)
            con.execute("INSERT INTO product VALUES (?, 'tactical', 'city-of-london', ?, 'Tactical assessment', NULL,"
                        " NULL, ?)", [product, product, created])
            con.execute("INSERT INTO product_version (version_id, product_id, version, status, marking, author,"
                        " store_path, content_sha256, manifest_json, created_at)"
                        " VALUES (?, ?, 1, 'DRAFT', 'OFFICIAL', 'a', ?, 'h', '{}', ?)",
                        [f"{product}-v1", product, str(folder / product), created])
        (folder / "TA-old").mkdir()
        (folder / "TA-old" / "product.pdf").write_bytes(b"%PDF-1.4\n")
    report = health_report(warehouse_file, forces=["city-of-london"], sources=["street"], review_max_age_days=14)
    return write_health_html(report, folder / "health.html")


def visible_table(driver, section: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    table = driver.find_element(By.XPATH, f"//h2[@id='{section}']/following-sibling::table[1]")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


def test_the_ops_page_shows_what_needs_attention_at_a_glance(browser, page, tmp_path_factory):
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    attention = browser.find_element(By.ID, "attention")
    assert attention.is_displayed() and attention.text.startswith("Needs attention (exit code 3)")
    items = [li.text for li in attention.find_elements(By.TAG_NAME, "li")]
    assert "tactical-assessment: last run failed: no street data for force 'kent'" in items
    assert any(i.startswith("city-of-london: street due ") and "months behind" in i for i in items)
    assert "1 batch(es) in quarantine" in items
    assert any(i.startswith("TA-old-v1 (tactical, city-of-london) has waited 20 days") for i in items)

    (street,) = visible_table(browser, "freshness")
    assert street[:4] == ["city-of-london", "street", "2024-08", "2"]
    assert street[5].endswith("months behind")
    assert street[6] == "1 incomplete: 2024-07"  # the quarantined month is a gap
    stale = browser.find_element(By.XPATH, "//h2[@id='freshness']/following-sibling::table[1]//td[6]")
    assert stale.value_of_css_property("color") == "rgba(180, 35, 24, 1)"  # shown in red

    runs = {row[0]: row for row in visible_table(browser, "last_runs")}
    assert runs["tactical-assessment"][1] == "FAILED" and runs["monthly-ingest"][1] == "NEVER RUN"
    assert runs["tactical-assessment"][6] == "no street data for force 'kent'"

    # 3 warnings (blank outcomes and the like); the suite's newest result opens in the Data Docs.
    assert visible_table(browser, "pass_rates") == [["street", "3", "2", "66.7", "4", "newest result"]]
    reviews = {row[0]: row for row in visible_table(browser, "awaiting_review")}
    assert (reviews["TA-old-v1"][5], reviews["TA-old-v1"][6]) == ("20", "overdue")
    assert (reviews["TA-new-v1"][5], reviews["TA-new-v1"][6], reviews["TA-new-v1"][7]) == ("2", "waiting", "PDF missing")
    pdf = browser.find_element(By.LINK_TEXT, "PDF")
    assert pdf.get_attribute("href").endswith("/TA-old/product.pdf")

    # The central store, as `tasking products` lists it: newest first, each version's PDF a link.
    store = browser.find_element(By.ID, "products")
    assert store.text == "Central store: recent products"
    assert visible_table(browser, "products") == [
        ["TA-new-v1", "tactical", "city-of-london", "", "DRAFT", "", "", "Tactical assessment", "PDF missing"],
        ["TA-old-v1", "tactical", "city-of-london", "", "DRAFT", "", "", "Tactical assessment", "PDF"]]
    stored_pdf = browser.find_element(By.XPATH, "//h2[@id='products']/following-sibling::table[1]//a[text()='PDF']")
    assert stored_pdf.is_displayed() and stored_pdf.get_attribute("href").endswith("/TA-old/product.pdf")
    note = browser.find_element(By.XPATH, "//h2[@id='products']/following-sibling::p[1]").text
    assert note.startswith("Every version in the store; `tasking products` filters them")

    shots = Path(os.environ.get("TASKING_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    browser.save_screenshot(str(shots / "ops-page.png"))

    # The links open GX's Data Docs: the index, and the page of the suite's newest result (the three months'
    # files, gated together as one group).
    index = browser.find_element(By.PARTIAL_LINK_TEXT, "Open the Data Docs").get_attribute("href")
    browser.find_element(By.LINK_TEXT, "newest result").click()
    assert "Great Expectations" in browser.title
    assert browser.current_url.endswith("/batches-1-2-3.html")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Expectation Validation Result" in body and "Every row names the reporting force" in body
    browser.save_screenshot(str(shots / "data-docs.png"))
    browser.get(index)
    assert "Great Expectations" in browser.title
