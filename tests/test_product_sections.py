"""Each product section on tiny hand-made inputs (like an asset test): a fake session hands the section the
indicator frames it asks for, and the test reads the typed SectionResult back. No warehouse, no rendering."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pytest

from tasks.indicators import Scope
from tasks.products import common
from tasks.products.compose import Resolver
from tasks.products.engine import (Figure, Gap, Lineage, ProductContext, Recommendation, SectionResult, Table, ref)
from tasks.products.sections import (analyst_input, breaks, current_picture, exceedance, gaps, local_emerging, outcomes,
                                     priorities, recommendations, repeat_locations, seasonality, stop_search,
                                     what_changed)
from tasks.products.sections.deprivation import section as deprivation_section

LATEST = date(2024, 8, 1)
SCOPE = Scope("test-force", "2024-08", "2024-08")


class FakeSession:
    """Hands out hand-made indicator frames by name (or by (name, period_from) when one name is asked for over
    several periods), and answers the place-name queries from small frames."""

    def __init__(self, frames: dict, places: pd.DataFrame | None = None, names: pd.DataFrame | None = None,
                 memo: dict | None = None, queries: dict | None = None):
        self.frames, self.places, self.names, self._memo = frames, places, names, memo or {}
        self.queries = queries or {}
        self.warehouse_file = None
        self.asked: list[str] = []

    def indicator(self, name, scope, **options):
        self.asked.append(name)
        return self.frames.get((name, scope.period_from), self.frames.get(name))

    def df(self, sql, params=None):
        if sql in self.queries:
            return self.queries[sql]
        if sql == common.FINDABLE_PLACE_SQL:
            return self.places if self.places is not None else pd.DataFrame({"location": [], "crimes": []})
        if sql == common.LSOA_NAME_SQL:
            return self.names if self.names is not None else pd.DataFrame({"lsoa_name": [], "lad19_name": []})
        if sql == what_changed.PREVIOUS_VERSION_SQL:
            return pd.DataFrame({"version_id": [], "status": [], "key_figures_json": []})
        raise AssertionError(f"unexpected query: {sql[:60]}")

    def memo(self, key, compute):
        return self._memo[key[0]] if key[0] in self._memo else compute()


def ctx(**options) -> ProductContext:
    return ProductContext("tactical", "test-force", LATEST, date(2023, 8, 1), datetime(2024, 10, 1, tzinfo=timezone.utc),
                          options=options)


def change_frame(rows) -> pd.DataFrame:
    """period_change rows: (crime_type, crimes, previous, year_earlier, p_rise, p_fall)."""
    frame = pd.DataFrame(rows, columns=["crime_type", "crimes", "previous_crimes", "year_earlier_crimes",
                                        "p_rise_vs_year_earlier", "p_fall_vs_year_earlier"])
    frame["change_vs_previous"] = frame["crimes"] - frame["previous_crimes"]
    frame["change_vs_year_earlier"] = frame["crimes"] - frame["year_earlier_crimes"]
    frame["rate_ratio_vs_year_earlier"] = frame["crimes"] / frame["year_earlier_crimes"]
    frame["rate_ratio_ci_low"] = frame["rate_ratio_vs_year_earlier"] * 0.8
    frame["rate_ratio_ci_high"] = frame["rate_ratio_vs_year_earlier"] * 1.25
    frame["p_vs_year_earlier"] = 2 * frame[["p_rise_vs_year_earlier", "p_fall_vs_year_earlier"]].min(axis=1)
    frame["p_rise_adjusted_vs_year_earlier"] = frame["p_rise_vs_year_earlier"]
    frame["p_fall_adjusted_vs_year_earlier"] = frame["p_fall_vs_year_earlier"]
    frame["break_note"] = ""
    frame["comparable"] = True
    return frame


def exceed_frame(rows, held=12) -> pd.DataFrame:
    """exceedance rows: (crime_type, observed, expected, p_value, flag)."""
    frame = pd.DataFrame(rows, columns=["crime_type", "observed", "expected", "p_value", "flag"])
    return frame.assign(baseline_months_held=held, baseline_from="2023-08", baseline_to="2024-07",
                        latest_from="2024-08", latest_to="2024-08", p_adjusted=frame["p_value"], upper_95=None,
                        dispersion=1.0, overdispersed=False, break_note="")


CHANGE = change_frame([("Robbery", 30, 10, 12, 0.0001, 0.99), ("Burglary", 20, 22, 21, 0.6, 0.5),
                       ("All crime", 50, 32, 33, 0.001, 0.99)])
PLACES = pd.DataFrame({"location": ["On or near Supermarket", "On or near ", "On or near Station Approach"],
                       "crimes": [9, 5, 4]})
NAMES = pd.DataFrame({"lsoa_name": ["Testville 001A"], "lad19_name": ["Testville"]})


# ------------------------------------------------------------------------------------------------ current picture

def test_current_picture_states_the_total_and_its_changes():
    months = pd.DataFrame({"month": ["2024-07", "2024-08"] * 2, "crime_type": ["Robbery"] * 2 + ["Burglary"] * 2,
                           "crimes": [10, 30, 22, 20]})
    result = current_picture.tactical(FakeSession({"period_change": CHANGE, "monthly_volumes": months}), SCOPE, ctx())
    assert result.paragraphs[0] == ("50 crimes and ASB incidents were recorded in August 2024, +18 (+56%) on July 2024 "
                                    "and +17 on August 2023: a significant rise (rate ratio 1.52, 95% CI 1.21 to 1.89, two-sided "
                                    "p = 0.002).")
    table = result.tables[0]
    assert [row[0] for row in table.rows] == ["Robbery", "Burglary", "All crime"]
    assert [type(i) for i in result.items] == [Figure, Table] and result.findings == result.paragraphs[:1]


# ----------------------------------------------------------------------------------------------------- exceedance

def test_exceedance_without_a_baseline_says_so_as_a_gap_and_one_recommendation():
    exceed = exceed_frame([("Robbery", 30, None, None, "insufficient baseline"),
                           ("All crime", 50, None, None, "insufficient baseline")], held=2)
    result = exceedance.tactical(FakeSession({"exceedance": exceed, "period_change": CHANGE}), SCOPE, ctx())
    assert result.facts["baseline_usable"] is False
    assert [g.gap for g in result.gaps] == ["Baseline months not held"]
    assert [r.purpose for r in result.recommendations] == ["intelligence"]
    assert ref("current_change") in result.paragraphs[0]


def test_a_comparison_across_a_break_is_not_called_significant():
    change = CHANGE.copy()
    change.loc[change["crime_type"] == "All crime", ["comparable", "break_note"]] = (
        False, "a likely recording break from March 2024: about 3 a month before, 30 a month after")
    months = pd.DataFrame({"month": ["2024-08"], "crime_type": ["Robbery"], "crimes": [30]})
    result = current_picture.tactical(FakeSession({"period_change": change, "monthly_volumes": months}), SCOPE, ctx())
    assert "not comparable with a year earlier: a likely recording break from March 2024" in result.paragraphs[0]
    assert "significant" not in result.paragraphs[0]
    assert result.tables[0].rows[-1][-2:] == ["break", "–"] and result.tables[0].flags[-1] is False


def test_a_type_with_a_break_in_its_baseline_is_reported_not_tested():
    exceed = exceed_frame([("Anti-social behaviour", 46, 25.0, 1e-6, "break in baseline"),
                           ("All crime", 50, 31.0, 0.3, "within expected range")])
    exceed.loc[0, "break_note"] = "a likely recording break from August 2023: about 33 a month before, 10 a month after"
    result = exceedance.tactical(FakeSession({"exceedance": exceed, "period_change": CHANGE}), SCOPE, ctx())
    assert result.facts["exceptional"] == [] and not result.recommendations
    assert any("not tested against its baseline" in p and "August 2023" in p for p in result.paragraphs)


def test_an_exceptional_type_is_sent_to_a_street_never_to_a_snap_point_label():
    exceed = exceed_frame([("Robbery", 30, 10.0, 1e-6, "exceptional"), ("Burglary", 20, 21.0, 0.6, "normal"),
                           ("All crime", 50, 31.0, 0.001, "exceptional")])
    where = pd.DataFrame({"lsoa_code": ["E01000001"], "lsoa_name": ["Testville 001A"], "crimes": [25], "imd_decile": [2]})
    session = FakeSession({"exceedance": exceed, "period_change": CHANGE, "lsoa_counts": where}, PLACES, NAMES)
    result = exceedance.tactical(session, SCOPE, ctx())
    assert result.facts["emerging"] == ["Robbery"]
    [recommendation] = result.recommendations
    assert recommendation.place == "Station Approach, Testville 001A (E01000001), Testville"
    assert "Supermarket" not in recommendation.action and recommendation.purpose == "enforcement"


# -------------------------------------------------------------------------------------------------- repeat places

def test_repeat_location_recommendation_skips_generic_snap_points():
    repeats = pd.DataFrame({"location": ["On or near Parking Area", "On or near High Street"],
                            "lsoa_code": ["E01000002", "E01000001"], "crimes": [40, 12], "months_with_crime": [3, 3],
                            "longitude": [0.0, 0.0], "latitude": [0.0, 0.0]})
    places = pd.DataFrame({"location": ["On or near High Street"], "crimes": [12]})
    mix = pd.DataFrame({"crime_type": ["Robbery", "Shoplifting"], "crimes": [3, 9]})
    session = FakeSession({"repeat_locations": repeats}, places, NAMES, queries={common.PLACE_MIX_SQL: mix})
    result = repeat_locations.tactical(session, SCOPE, ctx())
    [recommendation] = result.recommendations
    assert recommendation.place.startswith("High Street, Testville 001A") and "Parking Area" not in recommendation.action
    # Ranked by the harm of the crimes there (CCHI days), not by their count.
    assert recommendation.harm == pytest.approx(3 * common.harm_weight("Robbery") + 9 * common.harm_weight("Shoplifting"))
    assert recommendation.harm > 12 * 10
    assert result.tables[0].rows[0][0] == "On or near Parking Area"  # listed in the table, not recommended


def test_repeat_locations_with_none_held_lists_none_and_recommends_nothing():
    """One or two months held: no location can have crime in each of three (this was KeyError: 'crimes')."""
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
        ("longitude", float), ("latitude", float), ("location", object), ("lsoa_code", object), ("crimes", int),
        ("months_with_crime", int), ("first_month", object), ("last_month", object))})
    result = repeat_locations.tactical(FakeSession({"repeat_locations": empty}), SCOPE, ctx())
    assert result.tables[0].rows == [] and result.recommendations == []
    assert result.paragraphs[0].startswith("0 published locations had crime in each of the three months")


# --------------------------------------------------------------------------------------------------------- outcomes

def test_outcomes_gives_the_denominator_and_one_recommendation_when_most_go_unsolved():
    shares = pd.DataFrame({"crime_type": ["All crime"] * 2, "outcome_group": ["no suspect identified", "charged or summonsed"],
                           "crimes": [60, 40], "share": [0.6, 0.4]})
    result = outcomes.section(FakeSession({"outcome_shares": shares}), SCOPE, ctx())
    assert result.tables[0].rows[-1] == ["Crimes with a Crime ID (the denominator)", "100"]
    assert [r.purpose for r in result.recommendations] == ["intelligence"]
    assert "60.0% of 100 crimes" in result.recommendations[0].evidence


# --------------------------------------------------------------------------------------------------- stop and search

def test_stop_search_find_rate_is_a_positive_outcome_linked_to_the_object():
    search = pd.DataFrame({"dimension": ["all", "object_of_search"], "value": ["all searches", "Controlled drugs"],
                           "searches": [100, 100], "share": [1.0, 1.0], "arrests": [10, 10], "arrest_rate": [0.1, 0.1],
                           "any_action": [25, 25], "any_action_rate": [0.25, 0.25], "linked_to_object": [60, 60],
                           "linked_to_object_rate": [0.6, 0.6], "finds": [20, 20], "find_rate": [0.2, 0.2]})
    search = pd.concat([search, search.iloc[[1]].assign(dimension="officer_defined_ethnicity", value="White")])
    result = stop_search.section(FakeSession({"stop_search": search}), SCOPE, ctx())
    assert "The find rate (a positive outcome linked to the object of the search) was 20.0% (20 of 100)" in result.paragraphs[0]
    assert result.tables[0].columns[-1] == ("Find rate", "num") and result.tables[0].rows[0][-1] == "20.0%"


def test_stop_search_with_no_records_says_so():
    search = pd.DataFrame({"dimension": ["all"], "value": ["all"], "searches": [0]})
    result = stop_search.section(FakeSession({"stop_search": search}), SCOPE, ctx())
    assert result.paragraphs == ["The warehouse holds no stop and search records for August 2024."] and not result.items


# ------------------------------------------------------------------------------------------------------ what changed

def test_what_changed_names_new_exceptional_types_and_local_issues():
    now = {"period_end": "2024-08", "total": 50, "by_type": {"Robbery": 30}, "exceptional": ["Robbery"],
           "local_issues": ["Robbery in E01000001"], "top_lsoas": ["E01000001"]}
    before = {"version_id": "TA-1", "status": "APPROVED", "period_end": "2024-07", "total": 40, "by_type": {"Robbery": 10},
              "exceptional": [], "local_issues": [], "top_lsoas": []}
    lines, rows = what_changed.compare(now, before)
    assert "Newly exceptional: Robbery. No longer exceptional: none." in lines
    assert rows[-1] == ["All crime", "40", "50", "+10"]
    assert what_changed.compare(now, None)[1] == []


# ------------------------------------------------------------------------------------------------------------ gaps

def test_outcome_gap_tells_no_files_from_files_that_end_early():
    coverage = pd.DataFrame({"kind": ["outcomes"], "first_month": [None], "last_month": [None]})
    [gap] = gaps.outcome_gaps(coverage, date(2024, 1, 1), LATEST)
    assert gap.gap == "No outcomes files" and "available only from the street files" in gap.missing
    coverage = pd.DataFrame({"kind": ["outcomes"], "first_month": [date(2024, 1, 1)], "last_month": [date(2024, 6, 1)]})
    [gap] = gaps.outcome_gaps(coverage, date(2024, 1, 1), LATEST)
    assert gap.gap == "Outcomes files end early" and "June 2024" in gap.missing
    coverage = pd.DataFrame({"kind": ["outcomes"], "first_month": [date(2024, 1, 1)], "last_month": [LATEST]})
    assert gaps.outcome_gaps(coverage, date(2024, 1, 1), LATEST) == []


def test_gaps_section_lists_earlier_sections_gaps_first():
    earlier = SectionResult("x", gaps=[Gap("Baseline months not held", "2 of 12", "no test")])
    context = ctx()
    context.results["exceedance"] = earlier

    class Sources:
        rejected = pd.DataFrame(columns=["batch_id", "path", "kind", "month", "status", "error", "earlier_version_used"])
        validation = None
        no_location = {"crimes": 100, "no_location": 5, "period": "August 2024"}
        reference = pd.DataFrame({"kind": ["iod-population", "iod-imd", "iod-domains", "lsoa-lookup"]})
        coverage = pd.DataFrame({"kind": ["street crime", "outcomes", "stop and search"],
                                 "first_month": [LATEST, LATEST, None], "last_month": [LATEST, LATEST, None]})

    context.sources = Sources()
    lsoas = pd.DataFrame({"lsoa_code": ["A", "B"], "crimes": [90, 5], "in_area_population": [True, False]})
    from unittest import mock

    session = FakeSession({"lsoa_counts": lsoas},
                          queries={gaps.NO_LOCATION_SQL: pd.DataFrame({"crimes": [100], "no_location": [7]})})
    with mock.patch.object(gaps, "completeness_gaps", return_value=([], "check", set())):
        result = gaps.section(session, SCOPE, context)
    names = [g.gap for g in result.gaps]
    assert names[0] == "Baseline months not held" and "No stop and search data" in names
    by_name = {g.gap: g for g in result.gaps}
    assert by_name["Crimes with no location"].missing.startswith("7 of the force's 100 street crimes in August 2024")
    assert by_name["Crimes snapped outside the force area"].missing.startswith("5 of 95 located crimes")
    assert "No outcomes files" not in names and not result.body


# --------------------------------------------------------------------------------------------------- recommendations

def test_recommendations_keep_one_per_issue_most_harmful_first_and_never_repeat_an_action():
    given = [Recommendation("Robbery rise", "Patrol A.", "enforcement", "e1", "A", harm=10),
             Recommendation("Robbery rise", "Design out at A.", "prevention", "e1", "A", harm=5),
             Recommendation("Burglary rise", "Patrol B.", "enforcement", "e2", "B", harm=500),
             Recommendation("Other issue", "Patrol B.", "enforcement", "e3", "C", harm=1)]
    ranked = recommendations.rank(given)
    assert [r.issue for r in ranked] == ["Burglary rise", "Robbery rise"]
    assert ranked[1].action == "Patrol A."
    with pytest.raises(ValueError, match="purpose"):
        Recommendation("x", "y", "hope", "z")


# --------------------------------------------------------------------------------------------------------- compose

def test_numbering_is_in_one_place_and_references_resolve():
    one = SectionResult("One", [f"See {ref('b')}."], [Figure("a", "A", lambda p: p, Lineage("i", {})),
                                                       Table("b", "B", [], [], Lineage("i", {}))])
    two = SectionResult("Two", [], [Table("c", f"C, after {ref('b')}", [], [], Lineage("i", {}))])
    resolve = Resolver([one, two])
    assert resolve(one.paragraphs[0]) == "See Table 1."
    assert resolve.refs == {"a": "Figure 1", "b": "Table 1", "c": "Table 2", "recommendations": "Table 3",
                            "gaps": "Table 4"}
    with pytest.raises(KeyError, match="nowhere"):
        resolve(f"{ref('nowhere')}")


# ------------------------------------------------------------------------------------------- deprivation, priorities

def lsoa_frame(rows) -> pd.DataFrame:
    """lsoa_counts rows: (code, crimes, population, in_area)."""
    frame = pd.DataFrame(rows, columns=["lsoa_code", "crimes", "population", "in_area_population"])
    return frame.assign(lsoa_name=frame["lsoa_code"], rate_per_1000=frame["crimes"] * 1000 / frame["population"],
                        imd_decile=5)


def test_deprivation_is_withheld_for_few_lsoas_and_resident_rates_are_caveated():
    lsoas = lsoa_frame([("A", 6000, 800, True), ("B", 100, 1300, True), ("C", 50, 2000, False)])
    concentration = pd.DataFrame({"unit": ["lsoa"], "units": [2], "top_10pct_units": [1], "top_10pct_share": [0.98],
                                  "gini": [0.5], "top_5pct_units": [1], "top_5pct_share": [0.98]})
    deprivation = pd.DataFrame({"domain": ["imd"], "decile": [5], "lsoas": [2], "rate_per_1000": [3000.0]})
    correlation = pd.DataFrame({"lsoas": [2], "spearman_rho": [0.9], "spearman_p": [0.01]})
    session = FakeSession({"lsoa_counts": lsoas, "concentration": concentration, "deprivation": deprivation,
                           "deprivation_correlation": correlation})
    result = deprivation_section(session, Scope("test-force", "2023-09", "2024-08"), ctx())
    text = " ".join(result.paragraphs)
    assert "only 2 LSOAs with residents are in scope, fewer than the 30 needed" in text
    assert "Spearman" not in text and not result.figures  # no decile chart, no correlation
    assert "1 of the area's 2 LSOAs with residents record more than 500 crimes a year per 1,000 residents" in text
    assert [g.gap for g in result.gaps] == ["Residents are not the population at risk"]
    assert "the busiest LSOA of 2" in text


def test_priorities_give_one_control_strategy_recommendation_not_one_template_per_type():
    matrix = pd.DataFrame({
        "rank": [1, 2, 3, 4], "crime_type": ["Violence and sexual offences", "Burglary", "Robbery", "Public order"],
        "crimes": [1700, 330, 180, 670], "crime_share": [0.17, 0.03, 0.02, 0.07], "harm_share": [0.67, 0.15, 0.1, 0.01],
        "harm_days": [9e5, 2e5, 1.4e5, 1e4], "harm_score": [5, 4, 4, 1], "volume_score": [4, 2, 1, 3],
        "trend_score": [5, 3, 3, 5], "priority_score": [19, 13, 12, 10], "comparable": [True, True, True, True],
        "break_note": ["", "", "", ""], "rate_ratio_vs_year_earlier": [1.18, 1.0, 0.9, 1.19]})
    result = priorities.section(FakeSession({"priority_matrix": matrix}), Scope("test-force", "2023-09", "2024-08"), ctx())
    assert [r.issue for r in result.recommendations] == ["Control strategy priorities",
                                                         "Significant rises outside the priorities"]
    assert "violence and sexual offences, burglary and robbery" in result.recommendations[0].action
    assert "public order" in result.recommendations[1].action
    assert len({r.purpose for r in result.recommendations}) == 2


def test_local_emerging_section_names_the_findings_street_and_ranks_by_harm():
    local = pd.DataFrame({
        "lsoa_code": ["E01000001"], "lsoa_name": ["Testville 001A"], "crime_type": ["Robbery"], "observed": [30],
        "baseline_crimes": [36], "year_earlier": [3], "expected": [3.0], "p_value": [1e-9], "p_adjusted": [1e-7],
        "p_vs_year_earlier": [1e-5], "overdispersed": [False], "break_note": [""],
        "top_location": ["On or near Station Approach"], "top_location_crimes": [14], "tests": [120]})
    context = ctx()
    context.results["exceedance"] = SectionResult("x", facts={"baseline_usable": True})
    session = FakeSession({}, PLACES, NAMES, memo={"local_scan": local})
    result = local_emerging.section(session, SCOPE, context)
    [recommendation] = result.recommendations
    assert recommendation.place == "Station Approach, Testville 001A (E01000001), Testville"
    assert recommendation.harm == common.harm_weight("Robbery") * 30
    assert "14 of them on or near Station Approach" in result.paragraphs[0]


# ----------------------------------------------------------------------------------- breaks, on a tiny warehouse

@pytest.fixture()
def tiny_warehouse(tmp_path):
    """20 hand-made months of two crime types in one LSOA: burglary steady at 40 a month, robbery recorded at
    about a tenth of its level for four months (a recording break) and back."""
    from tasking import warehouse

    path = tmp_path / "tiny.duckdb"
    rows = []
    for i, month in enumerate(pd.period_range("2023-01", "2024-08", freq="M")):
        counts = {"Burglary": 40 + (i % 3), "Robbery": 4 if 6 <= i <= 9 else 40 + (i % 2)}
        for crime_type, n in counts.items():
            rows += [(f"{crime_type[:3]}-{month}-{k}", month.to_timestamp().date(), -1.5, 53.0, "On or near Test Street",
                      "E01000001", "Testville 001A", crime_type) for k in range(n)]
    with warehouse.connect(path) as con:
        con.executemany(
            "INSERT INTO street_crime (crime_id, month, longitude, latitude, location, lsoa_code, lsoa_name, crime_type,"
            " force, source_file, source_sha256, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'test-force', 'f', 's', now())",
            rows)
    return path


def test_breaks_section_states_the_recording_break_as_a_gap(tiny_warehouse):
    from tasks.products.engine import IndicatorSession

    context = ProductContext("tactical", "test-force", LATEST, date(2023, 8, 1), datetime.now(timezone.utc))
    with IndicatorSession(tiny_warehouse) as session:
        result = breaks.section(session, SCOPE, context)
    # The dip began in July 2023, before the product's window (August 2023 on); its end in November is inside it.
    assert [g.gap for g in result.gaps] == ["Likely recording break: Robbery"]
    assert result.gaps[0].missing.startswith("A likely recording break from November 2023: about 4 a month before")
    assert "Probably a change in recording" in result.gaps[0].effect
    assert not result.body and result.methods[0].startswith("Breaks: every monthly series was searched")


# ------------------------------------------------------------------------------- hot spots, seasonality, requirement

def test_a_hot_spot_is_named_after_its_street_not_the_snap_point_label():
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(-0.08, 51.515)
    cell_x, cell_y = (x // 250) * 250 + 125, (y // 250) * 250 + 125
    hot = pd.DataFrame({"cell_x": [cell_x], "cell_y": [cell_y], "crimes": [40], "gi_z": [7.7],
                        "gi_class": ["hot spot 99%"], "cell_size_m": [250.0], "longitude": [-0.08], "latitude": [51.515]})
    locations = pd.DataFrame({"location": ["On or near Shopping Area", "On or near Pancras Lane"],
                              "lsoa_code": ["E01032739", "E01032739"], "crimes": [30, 10],
                              "longitude": [-0.08, -0.0801], "latitude": [51.515, 51.5151]})
    peaks = common.hotspot_peaks(hot, locations, 10)
    assert peaks["around"].tolist() == ["On or near Pancras Lane"]


def test_seasonality_is_not_assessed_on_under_two_years():
    context = ctx()
    context.results["current_picture"] = SectionResult("x", facts={"held": ["2024-01"] * 13, "top_types": ["Robbery"]})
    result = seasonality.strategic(FakeSession({}), SCOPE, context)
    assert result.paragraphs == ["Seasonality needs at least two years of months; 13 are held, so it is not assessed "
                                 "here."] and not result.items


def test_the_requirement_asks_once_about_every_change_in_recording():
    context = ctx()
    context.results["gaps"] = SectionResult("g", gaps=[
        Gap("Likely recording break: Anti-social behaviour", "from August 2023", "e"),
        Gap("Change in level: Anti-social behaviour", "from March 2024", "e"),
        Gap("Change in level: Shoplifting", "from August 2023", "e"), Gap("No outcomes files", "none", "e")])
    result = analyst_input.requirement(FakeSession({}), SCOPE, context)
    subjects = [row[0] for row in result.tables[0].rows]
    assert subjects == ["Changes in recording", "No outcomes files"]
    assert "anti-social behaviour, shoplifting" in result.tables[0].rows[0][1]
