"""The first page a chair reads (sections/first_page.py) and the CompStat view beside it (sections/compstat.py,
tasks/indicators/compstat.py): hand-made changes ranked by harm with their confidence, a steady climb that the
exceedance test calls "within range" still reaching the key findings, and the CompStat figures against an
independent count on tiny hand-made warehouses."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd
import pytest

from tasking import warehouse
from tasks.indicators import Scope, exceedance
from tasks.indicators import compstat as indicator
from tasks.indicators.scope import session
from tasks.products import build_tactical_assessment
from tasks.products.compose import Resolver, key_findings
from tasks.products.engine import Change, ProductContext, Recommendation, SectionResult, Table, Lineage
from tasks.products.sections import compstat, first_page
from tasks.stats import probability

FORCE = "test-force"
NOW = datetime(2024, 10, 1, tzinfo=timezone.utc)


def change(subject, observed, expected, harm, significant=True, p=0.001, measure="August 2024 against August 2023",
           **more) -> Change:
    return Change(subject=subject, measure=measure, observed=observed, expected=expected,
                  ratio=observed / expected if expected else float("inf"), ci_low=0.5, ci_high=2.0, p_adjusted=p,
                  significant=significant, harm_days=harm, confidence=probability.phrase(1 - p), **more)


def context(results: dict[str, SectionResult], kind: str = "tactical") -> ProductContext:
    ctx = ProductContext(kind, FORCE, date(2024, 8, 1), date(2023, 8, 1), NOW)
    ctx.results.update(results)
    return ctx


# ------------------------------------------------------------------------------------------ the first page, hand-made

def test_the_first_page_ranks_every_significant_change_by_harm_with_its_confidence():
    trend = SectionResult("Trend", changes=[
        change("Robbery", 40, 20, harm=20 * 365.0),                                  # a rise, most harm
        change("Burglary", 30, 60, harm=-30 * 200.0, p=0.004),                       # a fall, second
        change("Shoplifting", 300, 200, harm=100.0, caveat="level shift from March 2024: check recording"),
        change("Drugs", 12, 10, harm=60.0, significant=False, p=0.4),                # not significant: left out
        change("All crime", 900, 800, harm=9000.0),                                  # the headline, not ranked
    ])
    places = SectionResult("Places", changes=[
        change("Robbery", 40, 20, harm=20 * 365.0),                                  # the same change again
        change("Theft from the person", 9, 2, harm=-5.0 + 7 * 2, place="Station quarter", p=0.02,
               measure="The 28 days to 30 September 2024 against the 28 days before"),
    ])
    recommendations = SectionResult("Draft recommendations", body=False, recommendations=[
        Recommendation(f"Issue {n}", f"Action {n}.", "prevention", "Evidence.", harm=10.0 - n) for n in range(5)])
    ctx = context({"trend": trend, "places": places, "recommendations": recommendations})
    result = first_page.section(None, Scope(FORCE, "2024-08", "2024-08"), ctx)

    ranked = result.facts["ranked"]
    assert [(c.subject, c.direction) for c in ranked] == [
        ("Robbery", "rise"), ("Burglary", "fall"), ("Shoplifting", "rise"), ("Theft from the person", "rise")]
    assert result.title == "This fortnight: what changed and what to do"
    table = result.items[0]
    assert [row[1] for row in table.rows] == ["Robbery: rise", "Burglary: fall", "Shoplifting: rise",
                                              "Theft from the person in Station quarter: rise"]
    assert [row[6] for row in table.rows] == [probability.phrase(0.999), probability.phrase(0.996),
                                              probability.phrase(0.999), probability.phrase(0.98)]
    assert "(note 1)" in table.rows[2][2] and "Note 1: Level shift from March 2024: check recording." in table.note
    # Key findings: all crime first, then every ranked change in harm order, each saying how sure.
    assert [f.split(" ")[0] for f in result.findings] == ["All", "Robbery", "Burglary", "Shoplifting", "Theft"]
    assert result.findings[1].startswith("Robbery rose 100%, August 2024 against August 2023: 40 against 20")
    assert "It is almost certain (95-100%) that this is a real rise" in result.findings[1]
    assert "Burglary fell 50%" in result.findings[2] and "highly likely" not in result.findings[2]
    assert "a real fall" in result.findings[2]
    assert "Check recording" not in result.findings[1] and "Level shift from March 2024" in result.findings[3]
    assert [r.issue for r in result.facts["actions"]] == ["Issue 0", "Issue 1", "Issue 2"]
    assert "2 rises" not in result.paragraphs[-1] and "4 adjusted-significant changes (3 rises and 1 fall)" in \
        result.paragraphs[-1]


def test_with_no_significant_change_the_first_page_says_so_and_keeps_the_compstat_view():
    view = Table("compstat", "CompStat view", [("Crime type", "text")], [["Robbery"]], Lineage("x", {}))
    ctx = context({"compstat": SectionResult("CompStat view", items=[view], body=False,
                                             facts={"as_at": None, "days_view": True}),
                   "trend": SectionResult("Trend", changes=[change("Drugs", 12, 10, 20.0, significant=False, p=0.3)])},
                  kind="strategic")
    result = first_page.section(None, Scope(FORCE, "2024-08", "2024-08"), ctx)
    assert result.title == "This half-year: what changed and what to do"
    assert result.items == [view] and result.facts["views"] == ["compstat"] and result.findings == []
    assert "Published data is monthly" in result.paragraphs[0]
    assert "No crime type rose or fell significantly" in result.paragraphs[-1]


def test_key_findings_open_with_the_first_page_then_every_other_section_once():
    results = {"picture": SectionResult("Picture", findings=["Total up.", "Robbery rose."]),
               "first_page": SectionResult("First", findings=["Robbery rose."], body=False),
               "outcomes": SectionResult("Outcomes", findings=["Outcomes fell."])}
    assert key_findings(results, Resolver([])) == ["Robbery rose.", "Total up.", "Outcomes fell."]


def test_a_change_cites_its_table_only_when_the_product_prints_it():
    printed = SectionResult("Trend", items=[Table("year_change", "t", [], [], Lineage("x", {}))])
    hidden = SectionResult("Hidden", items=[Table("hidden_table", "t", [], [], Lineage("x", {}))], shown=False)
    ctx = context({"trend": printed, "hidden": hidden})
    keys = first_page.citable(ctx)
    assert "year_change" in first_page.sentence(change("Robbery", 40, 20, 1.0, ref_key="year_change"), keys)
    assert "hidden_table" not in first_page.sentence(change("Robbery", 40, 20, 1.0, ref_key="hidden_table"), keys)


# ------------------------------------------------------------------------------------------------ tiny warehouses

def month_list(first: str, last: str) -> list[date]:
    return [p.to_timestamp().date() for p in pd.period_range(first, last, freq="M")]


def build(path, counts: dict[str, list[int]], months: list[date], held: list[date] | None = None):
    """A warehouse of FORCE whose street crime has counts[type][i] crimes in months[i]; only `held` months (default
    all) have their file loaded, so a month left out is missing from the release, not zero."""
    held = months if held is None else held
    stamp = datetime.now(timezone.utc)
    rows = [{"crime_id": f"{crime_type[:3]}{i}-{k}", "month": month, "reported_by": "Test", "falls_within": "Test",
             "longitude": -1.6, "latitude": 54.97, "location": "On or near Test Street", "lsoa_code": "E01000001",
             "lsoa_name": "Test 001A", "crime_type": crime_type, "last_outcome_category": None, "context": None,
             "force": FORCE, "source_file": "hand-made", "source_sha256": "0", "ingested_at": stamp}
            for crime_type, series in counts.items() for i, (month, n) in enumerate(zip(months, series))
            if month in held for k in range(n)]
    with warehouse.connect(path) as con:
        con.execute("INSERT INTO lsoa (lsoa11_code, lsoa11_name, lad19_code, lad19_name, imd_rank, imd_decile, "
                    "population_total) VALUES ('E01000001', 'Test 001A', 'E08000099', 'Test Town', 100, 1, 1500)")
        con.register("frame", pd.DataFrame(rows))
        con.execute("INSERT INTO street_crime BY NAME SELECT * FROM frame")
        con.unregister("frame")
        for month in held:
            con.execute("INSERT INTO ingest_log (path, kind, force, month, rows, status, started_at, sha256) "
                        "VALUES (?, 'street', ?, ?, 0, 'loaded', ?, ?)",
                        [f"{month:%Y-%m}-{FORCE}-street.csv", FORCE, month, stamp, f"{month:%Y%m}".ljust(64, "0")])
    return path


def independent_count(path, crime_type: str, months: list[date]) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM street_crime WHERE force = ? AND crime_type = ? AND month IN "
                           "(SELECT unnest(?::DATE[]))", [FORCE, crime_type, months]).fetchone()[0]


def comparisons(path, latest: date, half_year: bool = False) -> pd.DataFrame:
    scope = Scope(FORCE, latest, latest)
    with session(path, scope) as s:
        return indicator.monthly_comparisons(s, latest, half_year)


def test_compstat_figures_equal_an_independent_count_with_a_month_missing(tmp_path):
    months = month_list("2022-09", "2024-08")
    rng = np.random.default_rng(4)
    counts = {t: rng.poisson(mean, len(months)).tolist() for t, mean in (("Burglary", 12), ("Robbery", 5), ("Drugs", 3))}
    missing = date(2024, 3, 1)  # March 2024 missing from the release: March 2023 is left out of the other year too
    path = build(tmp_path / "w.duckdb", counts, months, held=[m for m in months if m != missing])
    frame = comparisons(path, date(2024, 8, 1), half_year=True).set_index(["measure", "crime_type"])
    this_year = [date(2024, m, 1) for m in range(1, 9) if m != 3]
    last_year = [date(2023, m, 1) for m in range(1, 9) if m != 3]
    half = [m for m in month_list("2024-03", "2024-08") if m != missing]
    for crime_type in counts:
        month = frame.loc[("month", crime_type)]
        assert (month["now"], month["before"]) == (independent_count(path, crime_type, [date(2024, 8, 1)]),
                                                   independent_count(path, crime_type, [date(2023, 8, 1)]))
        ytd = frame.loc[("year_to_date", crime_type)]
        assert (ytd["now"], ytd["before"]) == (independent_count(path, crime_type, this_year),
                                               independent_count(path, crime_type, last_year))
        assert (ytd["months_compared"], ytd["months_asked"], ytd["missing"]) == (7, 8, "March 2024")
        six = frame.loc[("half_year", crime_type)]
        assert (six["now"], six["before"]) == (independent_count(path, crime_type, half),
                                               independent_count(path, crime_type, [m.replace(year=2023) for m in half]))
    total = frame.loc[("year_to_date", "All crime")]
    assert total["now"] == sum(independent_count(path, t, this_year) for t in counts)
    assert frame.loc[("month", "All crime"), "label"] == "August 2024 against August 2023"


def test_a_month_whose_partner_is_not_held_is_not_compared(tmp_path):
    months = month_list("2024-01", "2024-08")  # no year earlier held at all
    path = build(tmp_path / "w.duckdb", {"Burglary": [10] * 8}, months)
    frame = comparisons(path, date(2024, 8, 1))
    assert not frame["compared"].any() and not frame["significant"].any()
    assert set(frame.loc[frame["measure"] == "month", "missing"]) == {"August 2023"}


def steady_climb(tmp_path):
    """Robbery climbing 3 a month from 100 for two years (a steady rise), three flat types beside it."""
    months = month_list("2022-09", "2024-08")
    counts = {"Robbery": [100 + 3 * i for i in range(len(months))], "Burglary": [60] * len(months),
              "Drugs": [30 + (i % 2) for i in range(len(months))], "Bicycle theft": [20] * len(months)}
    return build(tmp_path / "w.duckdb", counts, months)


def test_a_steady_climb_within_range_of_its_mean_is_a_significant_change_year_on_year(tmp_path):
    path = steady_climb(tmp_path)
    flags = exceedance(path, Scope(FORCE, "2024-08", "2024-08")).set_index("crime_type")["flag"]
    assert flags["Robbery"] == "within expected range"  # the exceedance test alone would say nothing
    frame = comparisons(path, date(2024, 8, 1)).set_index(["measure", "crime_type"])
    ytd = frame.loc[("year_to_date", "Robbery")]
    assert ytd["significant"] and ytd["now"] > ytd["before"]
    assert not frame.loc[("year_to_date", "Burglary"), "significant"]


@pytest.fixture(scope="module")
def climb_assessment(tmp_path_factory):
    path = steady_climb(tmp_path_factory.mktemp("climb"))
    return build_tactical_assessment(path, FORCE, store_dir=path.parent / "store")


def test_the_steady_climb_reaches_the_first_page_and_the_key_findings(climb_assessment):
    html = climb_assessment.html_path.read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html.split("</style>", 1)[1]).split())
    front = text[text.index("1. This fortnight: what changed and what to do"):text.index("2. Terms of reference")]
    assert "Robbery: rise" in front and "Year to date (January-August 2024) against the same months of 2023" in front
    findings = front[front.index("Key findings"):]
    # All crime's change heads the list, then the climb: before every other section's findings.
    assert findings.startswith("Key findings All crime rose")
    assert findings.index("Robbery rose") < findings.index("crimes and ASB incidents were recorded in August 2024")
    assert "It is almost certain (95-100%) that this is a real rise" in findings
    assert "Published data is monthly" in front
    # Numbered first: the changes table is Table 1 and the CompStat view Table 2, in the lineage appendix too.
    assert "Table 1 What changed: every adjusted-significant rise or fall, most harm first" in text
    assert "Table 2 CompStat view" in text
    assert (climb_assessment.folder / "data" / "compstat.csv").is_file()


# --------------------------------------------------------------------------------------------------- force records

def add_records(path, days: dict[date, int], crime_type: str = "Burglary"):
    stamp = datetime.now(timezone.utc)
    rows = [{"reference": f"R{day:%Y%m%d}-{k}", "recorded_at": datetime(day.year, day.month, day.day, 12),
             "occurred_from": datetime(day.year, day.month, day.day, 10), "offence": "Burglary dwelling",
             "crime_type": crime_type, "force": FORCE, "synthetic": True, "batch_id": 1, "source_file": "extract.csv",
             "source_sha256": "1" * 64, "ingested_at": stamp} for day, n in days.items() for k in range(n)]
    with warehouse.connect(path) as con:
        con.register("frame", pd.DataFrame(rows))
        con.execute("INSERT INTO internal_incident BY NAME SELECT * FROM frame")
        con.unregister("frame")


def test_the_last_28_days_equal_an_independent_count_of_force_records(tmp_path):
    months = month_list("2023-08", "2024-08")
    path = build(tmp_path / "w.duckdb", {"Burglary": [10] * len(months)}, months)
    rng = np.random.default_rng(9)
    first = date(2023, 8, 1)
    days = {first + timedelta(days=i): int(rng.poisson(2)) for i in range(430)}
    add_records(path, days)
    last_day = max(days)
    with warehouse.connect(path, read_only=True) as con:
        held = indicator.records_held(con, FORCE)
        as_at = held[1] - timedelta(days=1)
        frame = indicator.day_comparisons(con, FORCE, held[0], as_at, ["Burglary", "Robbery", "All crime"])
    assert not frame.duplicated(["measure", "crime_type"]).any()
    assert set(frame["crime_type"]) == {"Burglary", "Robbery", "All crime"}
    frame = frame.set_index(["measure", "crime_type"])
    assert held == (min(d for d, n in days.items() if n), max(d for d, n in days.items() if n)) and last_day >= held[1]

    def count(start, end):
        return sum(n for d, n in days.items() if start <= d <= end)

    now = count(as_at - timedelta(days=27), as_at)
    before = frame.loc[("days_previous", "Burglary")]
    assert (before["now"], before["before"]) == (now, count(as_at - timedelta(days=55), as_at - timedelta(days=28)))
    year = frame.loc[("days_year", "Burglary")]
    assert (year["now"], year["before"]) == (now, count(as_at - timedelta(days=27 + 364), as_at - timedelta(days=364)))
    assert year["compared"] and "same 28 days last year" in year["label"]


def test_records_too_short_for_a_year_earlier_are_not_compared(tmp_path):
    months = month_list("2024-08", "2024-08")
    path = build(tmp_path / "w.duckdb", {"Burglary": [10]}, months)
    add_records(path, {date(2024, 8, 1) + timedelta(days=i): 3 for i in range(60)})
    with warehouse.connect(path, read_only=True) as con:
        held = indicator.records_held(con, FORCE)
        frame = indicator.day_comparisons(con, FORCE, held[0], held[1] - timedelta(days=1), ["Burglary"])
    year = frame[frame["measure"] == "days_year"]
    assert not year["compared"].any() and year["missing"].iloc[0].startswith("records start 01 August 2024")
    assert frame[frame["measure"] == "days_previous"]["compared"].all()


def test_change_cells_mark_significance_breaks_and_zero_baselines():
    assert compstat.change_cell(40, 20, True, True, 2.0) == "+100% \u25b2"
    assert compstat.change_cell(10, 20, True, True, 0.5) == "-50% \u25bc"
    assert compstat.change_cell(21, 20, True, False, 1.05) == "+5%"
    assert compstat.change_cell(58, 5, True, False, 11.6, recording_break=True) == "+1060% (break)"
    assert compstat.change_cell(3, 0, True, False, float("inf")) == "+3 (none before)"
    assert compstat.change_cell(3, 0, False, False, float("nan")) == "\u2013"
    assert compstat.change_confidence(0.001) == "almost certain (95-100%)"
    assert compstat.change_confidence(float("nan")) == "not tested"


def test_a_measure_reads_inside_a_sentence_with_its_month_names_capitalised():
    assert first_page.mid_sentence("Year to date (January-August 2024) against 2023").startswith("year to date")
    assert first_page.mid_sentence("March-August 2024 against the same months").startswith("March-August")
    assert first_page.mid_sentence("August 2024 against August 2023") == "August 2024 against August 2023"
    assert first_page.mid_sentence("The 28 days to 30 September 2024").startswith("the 28 days")
