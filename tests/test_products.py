"""The three products rendered on real data (Northumbria, City of London), read back from the PDF with pypdf.

Each product is rendered once per module (WeasyPrint is slow-ish) and every test reads the same files.
"""
from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tasks import indicators, review, reviewers
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.products import build_problem_profile, build_strategic_assessment, build_tactical_assessment
from tasks.render import check_marking, number

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA, REFERENCE

HOSTILE_LOCATION = 'On or near <script>alert("x")</script> Street'
HOSTILE_LSOA_NAME = "City of London {{ 7*7 }} {% raw %}"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Both real forces and the reference files, loaded without the quality gate."""
    path = tmp_path_factory.mktemp("products") / "warehouse.duckdb"
    report = ingest_paths([NORTHUMBRIA, CITY_OF_LONDON], path, gate=None)
    assert report.ok, [b.error for b in report.failed]
    assert ingest_reference_paths([REFERENCE], path).ok
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("store")


def pdf_pages(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def assert_marked_on_every_page(pages: list[str], marking: str, version_id: str) -> None:
    """The marking in the top margin (between 'DRAFT for review' and the version id) and the bottom margin
    (before the page number) of every page, as pypdf reads the margin boxes back."""
    assert len(pages) >= 5
    total = len(pages)
    for number_, text in enumerate(pages, start=1):
        assert f"DRAFT for review {marking} {version_id}" in text, f"page {number_}: no marking at the top"
        assert f" {marking} Page {number_} of {total}" in text, f"page {number_}: no marking at the bottom"


def squashed(text: str) -> str:
    """Text without whitespace: long hashes wrap inside narrow table cells."""
    return "".join(text.split())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def tactical(warehouse, store):
    result = build_tactical_assessment(warehouse, "northumbria", marking="OFFICIAL", store_dir=store)
    return result, pdf_pages(result.pdf_path)


@pytest.fixture(scope="module")
def strategic(warehouse, store):
    result = build_strategic_assessment(warehouse, "city-of-london", months=36, store_dir=store)
    return result, pdf_pages(result.pdf_path)


@pytest.fixture(scope="module")
def hostile_warehouse(warehouse, tmp_path_factory):
    """A copy of the real warehouse in which one real location and one LSOA name carry markup."""
    path = tmp_path_factory.mktemp("hostile") / "warehouse.duckdb"
    shutil.copy(warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE street_crime SET location = ? WHERE force = 'city-of-london' AND location = 'On or near Bishopsgate'",
                    [HOSTILE_LOCATION])
        con.execute("UPDATE street_crime SET lsoa_name = ? WHERE force = 'city-of-london' AND lsoa_code = 'E01032739'",
                    [HOSTILE_LSOA_NAME])
        con.execute("UPDATE lsoa SET lsoa11_name = ? WHERE lsoa11_code = 'E01032739'", [HOSTILE_LSOA_NAME])
    return path


@pytest.fixture(scope="module")
def profile(hostile_warehouse, store):
    result = build_problem_profile(
        hostile_warehouse, "city-of-london", area=None, crime_types=["Theft from the person", "Robbery"],
        period_from="2023-09", period_to="2024-08", requested_by="DI Example",
        terms_of_reference="Why is theft from the person rising in the City, and where should patrols go?",
        store_dir=store)
    return result, pdf_pages(result.pdf_path)


# ----------------------------------------------------------------------------------------------------------- tactical

def test_tactical_marking_is_on_top_and_bottom_of_every_page(tactical):
    result, pages = tactical
    assert_marked_on_every_page(pages, "OFFICIAL", result.version_id)


def test_tactical_carries_version_tor_and_the_indicator_figures(tactical, warehouse):
    result, pages = tactical
    text = flat("\n".join(pages))
    assert result.version_id.startswith("TA-northumbria-2022-09-") and result.version == 1
    for heading in ("Terms of reference", "Key findings", "Emerging and exceptional issues", "Hotspots and their change",
                    "Repeat locations", "Outcomes", "Stop and search", "What changed since the previous tactical assessment",
                    "Draft recommendations", "Intelligence gaps", "Information sources and methods",
                    "Appendix A. Lineage of figures and tables"):
        assert heading in text, heading
    # Total crime for September 2022: the indicator's figure, and the published file's own row count.
    change = indicators.period_change(warehouse, indicators.Scope("northumbria", "2022-09", "2022-09"))
    total = int(change.set_index("crime_type").loc["All crime", "crimes"])
    with open(NORTHUMBRIA / "2022-09-northumbria-street.csv", newline="", encoding="utf-8-sig") as handle:
        assert total == sum(1 for _ in csv.DictReader(handle))
    assert f"{number(total)} crimes and ASB incidents were recorded in September 2022" in text
    searches = indicators.stop_search(warehouse, indicators.Scope("northumbria", "2022-09", "2022-09"))
    all_searches = int(searches.loc[searches["dimension"] == "all", "searches"].iloc[0])
    assert f"{number(all_searches)} stop and searches in September 2022" in text


def test_tactical_lists_every_source_file_with_its_sha256(tactical, warehouse):
    _, pages = tactical
    text = squashed("\n".join(pages))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute("SELECT path, sha256 FROM ingest_log WHERE force = 'northumbria' AND status = 'loaded'"
                             " AND month BETWEEN '2021-09-01' AND '2022-09-01'").fetchall()
        # Reference files, and the boundary files whose polygons are held (a later file may replace all of an
        # earlier one's: the London shapefile holds the City's six LSOAs too).
        reference = con.execute("SELECT sha256 FROM ingest_log WHERE force IS NULL AND status = 'loaded'"
                                " AND kind NOT LIKE 'boundary-%' UNION SELECT DISTINCT source_sha256 FROM boundary").fetchall()
    assert len(loaded) == 7  # 3 street, 3 stop and search, the 2022-09 outcomes (2022-10 is after the period)
    for path, sha in loaded + [(None, s) for (s,) in reference]:
        assert sha in text, f"{path}: sha256 not printed"


def test_tactical_states_gaps_and_draft_recommendations_from_the_figures(tactical):
    _, pages = tactical
    text = flat("\n".join(pages))
    # Northumbria: three months held, so the 12-month baseline is missing and said to be.
    assert "Baseline months not held" in text and "2 of the 12 months 2021-09 to 2022-08" in text
    assert "Exceedance could not be tested: only 2 of 12 baseline months are held." in text
    assert "Quality checks not evidenced" in text and "Crimes with no location" in text
    assert "DRAFT for the analyst" in text
    assert "Load the 12 months before the assessment month so emerging issues can be tested." in text


def test_tactical_data_pack_and_registry(tactical, warehouse):
    result, _ = tactical
    assert result.html_path.is_file() and result.pdf_path.is_file()
    names = {p.name for p in result.data_pack}
    assert {"exceedance.csv", "exceedance.parquet", "hotspots.csv", "hotspots.parquet", "sources.csv"} <= names
    exceed = pd.read_parquet(result.folder / "data" / "exceedance.parquet")
    assert set(exceed["flag"]) == {"insufficient baseline"}
    charts = sorted((result.folder / "charts").glob("*.svg"))
    assert len(charts) >= 2 and all(c.read_text(encoding="utf-8").lstrip().startswith("<?xml") for c in charts)
    figures = json.loads((result.folder / "data" / "key_figures.json").read_text())
    assert figures == result.key_figures and figures["period_end"] == "2022-09"
    assert review.verify(warehouse, result.version_id) == []


def test_approving_then_regenerating_makes_version_2_compared_with_version_1(tactical, warehouse, store):
    first, _ = tactical
    manifest_before = json.loads((first.folder / "manifest.json").read_text())
    reviewers.add(warehouse, "DI Smith", "intelligence-manager", added_by="head of intelligence")
    review.approve(warehouse, first.version_id, "DI Smith", "approved for the TT&CG")
    # Nothing new has been loaded: a second run says so and drafts nothing; --force-new drafts one on purpose.
    versions = len(review.list_versions(warehouse))
    same = build_tactical_assessment(warehouse, "northumbria", store_dir=store)
    assert same.version_id == first.version_id and same.status == "APPROVED"
    assert same.reason.startswith(f"no new data since {first.version_id} (APPROVED)")
    assert len(review.list_versions(warehouse)) == versions
    second = build_tactical_assessment(warehouse, "northumbria", store_dir=store, force_new=True)
    assert (second.product_id, second.version) == (first.product_id, 2)
    assert second.key_figures["inputs_fingerprint"] == first.key_figures["inputs_fingerprint"]
    assert json.loads((first.folder / "manifest.json").read_text()) == manifest_before
    assert review.verify(warehouse, first.version_id) == []
    text = flat("\n".join(pdf_pages(second.pdf_path)))
    assert f"Compared with {first.version_id} (APPROVED), which assessed 2022-09." in text
    assert squashed(f"supersedes {first.version_id}") in squashed(text)
    # Someone edits the approved PDF after the fact: the registry's hashes expose it.
    first.pdf_path.chmod(0o644)
    with open(first.pdf_path, "ab") as handle:
        handle.write(b"%edited")
    assert [p for p in review.verify(warehouse, first.version_id) if p.startswith("product.pdf: changed")]
    with pytest.raises(review.ReviewError, match="only a DRAFT"):
        review.reject(warehouse, first.version_id, "DI Jones", "too late")


def test_every_table_and_figure_has_a_lineage_row(tactical):
    result, _ = tactical
    html = result.html_path.read_text(encoding="utf-8")
    body, appendix = html.split('id="lineage"', 1)
    captions = re.findall(r'<span class="ref">((?:Table|Figure) \d+)</span>', body)
    lineage_refs = re.findall(r"<td class=\"text\">((?:Table|Figure) \d+)</td>", appendix)
    assert len(captions) > 10 and sorted(captions) == sorted(lineage_refs)
    assert "Table B1" in re.findall(r'<span class="ref">(Table B\d+)</span>', appendix)


# ---------------------------------------------------------------------------------------------------------- strategic

def test_strategic_on_36_months_of_city_of_london(strategic, warehouse):
    result, pages = strategic
    assert_marked_on_every_page(pages, "OFFICIAL", result.version_id)
    text = flat("\n".join(pages))
    assert result.version_id.startswith("SA-city-of-london-2024-08-")
    assert "September 2021 to August 2024" in text
    matrix = indicators.priority_matrix(warehouse, indicators.Scope("city-of-london", "2023-09", "2024-08"))
    top = matrix.sort_values("rank").head(3)
    expected = "; ".join(f"{r.rank}. {r.crime_type} (score {r.priority_score}" for r in top.itertuples(index=False))
    assert all(part in text for part in expected.split("; "))
    for heading in ("Seasonality", "Harm-ranked priorities", "Place and deprivation", "Intelligence requirement",
                    "Horizon scanning (PESTELO)", "Organisational position", "For the analyst to complete."):
        assert heading in text, heading
    assert "Harm weights are approximations" in text
    assert "No stop and search data" in text  # City of London stop and search is not in the test data
    sha = duckdb.connect(str(warehouse), read_only=True).execute(
        "SELECT sha256 FROM ingest_log WHERE path LIKE '%2021-09-city-of-london-street.csv'").fetchone()[0]
    assert sha in squashed(text)


def count_rows(months: list[str], crime_type: str) -> int:
    """Street crimes of one type in the City's published files for those months, read straight from the CSVs."""
    total = 0
    for month in months:
        with open(CITY_OF_LONDON / f"{month}-city-of-london-street.csv", newline="", encoding="utf-8-sig") as handle:
            total += sum(1 for row in csv.DictReader(handle) if row["Crime type"] == crime_type)
    return total


def test_strategic_opens_on_what_changed_ranked_by_harm_on_the_real_city_series(strategic):
    _, pages = strategic
    text = flat("\n".join(pages))
    start, tor = text.index("1. This half-year: what changed and what to do"), text.index("2. Terms of reference")
    assert start < tor < text.index("3. Current picture and long-term trends")
    front = text[start:tor]
    # Shoplifting doubled from August 2023 and stayed doubled: a significant year-to-date rise, kept as a change with
    # its level shift named and a check-recording caveat; the figures are the published files' own row counts.
    this_year = count_rows([f"2024-{m:02d}" for m in range(1, 9)], "Shoplifting")
    last_year = count_rows([f"2023-{m:02d}" for m in range(1, 9)], "Shoplifting")
    assert (this_year, last_year) == (1126, 563)
    packed = squashed(front)  # table cells wrap at hyphens
    assert squashed("Shoplifting: rise Year to date (January-August 2024) against the same months of 2023") in packed
    assert squashed(f"{number(this_year)} {number(last_year)} 2.00 (1.81-2.22) almost certain (95-100%)") in packed
    assert squashed("a level shift from August 2023") in packed and squashed("check recording before acting") in packed
    # Anti-social behaviour's August 2023 lies in a recording dip (5 against about 80 a month before): the +1060%
    # is marked as a break and never called a change.
    assert count_rows(["2024-08"], "Anti-social behaviour") == 58 and count_rows(["2023-08"], "Anti-social behaviour") == 5
    assert "+1060%(break)" in packed and "Anti-socialbehaviour:rise" not in packed
    findings = front[front.index("Key findings"):]
    assert findings.index("Shoplifting rose 100%") < findings.index("crimes and ASB incidents were recorded in the last 12")


def test_the_cli_says_when_nothing_changed_and_force_new_drafts_anyway(tactical, warehouse, store):
    from cli.main import app

    runner = CliRunner()
    args = ["assess", "tactical", "--force", "northumbria", "--warehouse", str(warehouse), "--store", str(store)]
    before = len(review.list_versions(warehouse))
    same = runner.invoke(app, args)
    assert same.exit_code == 0 and "unchanged: no new data since TA-northumbria-2022-09-" in flat(same.output)
    assert len(review.list_versions(warehouse)) == before
    forced = runner.invoke(app, args + ["--force-new"])
    assert forced.exit_code == 0 and "DRAFT written" in forced.output
    assert len(review.list_versions(warehouse)) == before + 1


# ---------------------------------------------------------------------------------------------------- problem profile

def test_profile_states_its_terms_of_reference_first(profile):
    result, pages = profile
    assert_marked_on_every_page(pages, "OFFICIAL-SENSITIVE", result.version_id)
    text = flat("\n".join(pages))
    tor = text.index("Why is theft from the person rising in the City, and where should patrols go?")
    assert tor < text.index("Key findings") < text.index("The problem in context")
    assert "DI Example" in text
    for heading in ("Location", "Time", "Victims and offenders", "Intelligence gaps", "Draft recommendations"):
        assert heading in text
    assert "day of week and time of day cannot be analysed" in text


def test_profile_data_pack_holds_the_rows_used(profile, hostile_warehouse):
    result, _ = profile
    rows = pd.read_parquet(result.folder / "data" / "rows_used.parquet")
    with duckdb.connect(str(hostile_warehouse), read_only=True) as con:
        expected = con.execute(
            "SELECT count(*) FROM street_crime WHERE force = 'city-of-london' AND month BETWEEN '2023-09-01' AND '2024-08-01'"
            " AND crime_type IN ('Theft from the person', 'Robbery')").fetchone()[0]
    assert len(rows) == expected > 1000
    assert set(rows["crime_type"]) == {"Theft from the person", "Robbery"}
    assert len(pd.read_csv(result.folder / "data" / "rows_used.csv")) == expected
    assert (result.folder / "data" / "harm.parquet").is_file()


def test_markup_in_place_names_is_shown_as_text(profile):
    result, pages = profile
    html = result.html_path.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49 {%" not in html
    text = flat("\n".join(pages))
    assert 'On or near <script>alert("x")</script> Street' in text
    assert "City of London {{ 7*7 }} {% raw %}" in text
    for chart in (result.folder / "charts").glob("*.svg"):
        assert "<script>" not in chart.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------------- bad requests

def test_bad_marking_and_unknown_force_fail_clearly_and_register_nothing(warehouse, store):
    with pytest.raises(ValueError, match="not a government security classification"):
        check_marking("SECRETISH")
    before = review.list_versions(warehouse)
    from cli.main import app

    runner = CliRunner()
    wrong = runner.invoke(app, ["assess", "tactical", "--force", "northumbria", "--marking", "RESTRICTED",
                                "--warehouse", str(warehouse), "--store", str(store)])
    assert wrong.exit_code == 1 and "not a government security classification" in flat(wrong.output)
    unknown = runner.invoke(app, ["assess", "strategic", "--force", "atlantis", "--warehouse", str(warehouse),
                                  "--store", str(store)])
    assert unknown.exit_code == 1 and "force 'atlantis': not a force slug this warehouse knows" in flat(unknown.output)
    # A problem profile is built only from an agreed ToR (tasks/tasking_loop; refusals in tests/test_tasking_loop.py).
    no_tor = runner.invoke(app, ["profile", "problem", "--tor-id", "ToR-0404", "--warehouse", str(warehouse),
                                 "--store", str(store)])
    assert no_tor.exit_code == 1 and "ToR-0404: no such terms of reference" in flat(no_tor.output)
    future = runner.invoke(app, ["assess", "tactical", "--force", "northumbria", "--period-end", "2030-01",
                                 "--warehouse", str(warehouse), "--store", str(store)])
    assert future.exit_code == 1 and "no street crime for force 'northumbria' in 2030-01 (months held: 2022-07 to 2022-09)" \
        in flat(future.output)
    typo = runner.invoke(app, ["tor", "propose", "--force", "city-of-london", "--crime-types", "Robery", "--title", "t",
                               "--from", "2024-01", "--to", "2024-03", "--requester", "DI Example", "--author", "A",
                               "--question", "Where?", "--by", "A", "--warehouse", str(warehouse)])
    assert typo.exit_code == 1 and "unknown crime type 'Robery'" in flat(typo.output)
    assert len(review.list_versions(warehouse)) == len(before)


# -------------------------------------------------------------------------------------------------- gaps, no render

def test_a_quarantined_month_becomes_one_intelligence_gap(warehouse_file, tmp_path):
    from tasks.draft import collect_sources
    from tasks.ingest import GateVerdict
    from tasks.products.sections.gaps import common_gaps

    street = sorted(NORTHUMBRIA.glob("*-street.csv"))
    assert ingest_paths(street, warehouse_file, gate=None).ok
    # A file for the next month that the quality gate rejects: the month is offered but holds no rows.
    rejected = tmp_path / "2022-10-northumbria-street.csv"
    shutil.copy(street[-1], rejected)
    report = ingest_paths([rejected], warehouse_file, gate=lambda *args: GateVerdict(False, "test rejection"))
    assert [b.status for b in report.batches] == ["quarantined"]
    first, last = pd.Timestamp("2022-07-01").date(), pd.Timestamp("2022-10-01").date()
    sources = collect_sources(warehouse_file, "northumbria", first, last)
    from tasks.products.engine import IndicatorSession

    with IndicatorSession(warehouse_file) as session:
        gaps, check = common_gaps(session, "northumbria", first, last, sources)
    assert check == "tasks.validate.completeness"
    about_october = [g for g in gaps if "2022-10" in g.gap]
    assert len(about_october) == 1, gaps
    assert about_october[0].gap == "Incomplete data: street 2022-10" and "quarantined" in about_october[0].missing
    assert "No outcomes files" in [g.gap for g in gaps] and "No stop and search data" in [g.gap for g in gaps]


def test_local_scan_finds_the_planted_synthetic_robbery_problem(tmp_path):
    """The SYNTHETIC force has robbery rising sharply in its station quarter in the last two months (and only
    there): force-wide robbery stays unremarkable, the local scan must name the station quarter."""
    from sources.synthetic import generate
    from tasks.products import local_emerging_issues

    generate(tmp_path / "data", months=("2023-07", "2024-08"), rows_per_month=8000, outcomes=False, stop_search=False)
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest_paths([tmp_path / "data"], warehouse, gate=None).ok
    assert ingest_reference_paths([tmp_path / "data" / "reference"], warehouse).ok
    found = local_emerging_issues(warehouse, "demo-shire", pd.Timestamp("2024-08-01").date())
    robbery = found[found["crime_type"] == "Robbery"]
    assert not robbery.empty, found
    first = robbery.iloc[0]
    assert first["lsoa_name"].startswith("Demo-shire 034")  # the station quarter's LSOAs
    assert first["top_location"] in ("On or near Station Approach", "On or near Pedestrian Subway",
                                     "On or near Bus/Coach Station")
    assert first["p_adjusted"] < 0.01 and first["observed"] > 3 * first["expected"] and first["break_note"] == ""


# ------------------------------------------------------------------------------- judgements checked on real data

def test_stop_search_find_rate_is_a_positive_outcome_linked_to_the_object(tactical):
    """Most Northumbria searches 'linked to the object' ended in no further action: the find rate counts only a
    positive outcome AND a link to the object, counted here from the published file itself."""
    _, pages = tactical
    with open(NORTHUMBRIA / "2022-09-northumbria-stop-and-search.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    nfa = {"A no further action disposal", "Nothing found - no further action", "No further action", ""}
    finds = sum(1 for r in rows if r["Outcome"] not in nfa and r["Outcome linked to object of search"] == "True")
    linked = sum(1 for r in rows if r["Outcome linked to object of search"] == "True")
    assert finds < linked
    text = flat("\n".join(pages))
    assert (f"The find rate (a positive outcome linked to the object of the search) was {100 * finds / len(rows):.1f}% "
            f"({number(finds)} of {number(len(rows))})") in text


def test_profile_gaps_equal_an_independent_count_over_its_own_scope(profile):
    """The profile's no-location gap counts the crimes of its own types and months, not the whole force's."""
    _, pages = profile
    types = {"Theft from the person", "Robbery"}
    crimes = no_location = 0
    for path in sorted(CITY_OF_LONDON.glob("*-street.csv")):
        if not ("2023-09" <= path.name[:7] <= "2024-08"):
            continue
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for r in csv.DictReader(handle):
                if r["Crime type"] in types:
                    crimes += 1
                    no_location += not r["Longitude"]
    text = flat("\n".join(pages))
    assert (f"{number(no_location)} of the force's {number(crimes)} street crimes of the types in scope in September "
            "2023 to August 2024") in text


def test_an_area_profile_counts_the_crimes_just_outside_it(warehouse):
    """For a local-authority area the gaps are the area's own: crimes of its types and months with no location,
    and those published just outside its boundary (which the area filter excluded), counted independently."""
    from tasks.indicators import Scope
    from tasks.products.engine import IndicatorSession
    from tasks.products.sections.gaps import BOUNDARY_METRES, scope_location_gaps

    scope = Scope("northumbria", "2022-07", "2022-09", (), local_authority="Newcastle upon Tyne")
    with IndicatorSession(warehouse) as session:
        found = {g.gap: g for g in scope_location_gaps(session, scope, session.indicator("lsoa_counts", scope))}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT s.longitude, s.latitude, l.lad19_name = 'Newcastle upon Tyne' AS inside FROM street_crime s "
            "LEFT JOIN lsoa l ON l.lsoa11_code = s.lsoa_code WHERE s.force = 'northumbria' "
            "AND s.month BETWEEN '2022-07-01' AND '2022-09-01' AND s.longitude IS NOT NULL").df()
    inside = rows[rows["inside"].fillna(False).astype(bool)]
    outside = rows[~rows["inside"].fillna(False).astype(bool)]
    points = inside[["longitude", "latitude"]].drop_duplicates().to_numpy()
    box = outside["longitude"].between(points[:, 0].min() - 0.01, points[:, 0].max() + 0.01) & \
        outside["latitude"].between(points[:, 1].min() - 0.01, points[:, 1].max() + 0.01)
    outside = outside[box]
    near = 0
    for lon, lat in outside[["longitude", "latitude"]].to_numpy():
        dx = abs(points[:, 0] - lon) * 111320 * np.cos(np.radians(lat))
        dy = abs(points[:, 1] - lat) * 111320
        near += bool(((dx < BOUNDARY_METRES) & (dy < BOUNDARY_METRES)).any())
    assert near > 0
    assert found["Crimes just outside the area"].missing.startswith(f"{number(near)} crimes in July 2022 to September 2022")
    assert "Crimes snapped outside the force area" not in found
