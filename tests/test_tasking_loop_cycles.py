"""Two tasking cycles on real City of London data, end to end as far as today's products allow:

cycle 1 (data to 2024-07): strategic assessment approved -> the ST&CG adopts two priorities -> tactical
assessment -> TT&CG meeting takes it, sets an action on a named place and commissions a problem profile -> the
requester agrees the ToR -> the profile is drafted from it (ToR id printed first) and approved;
cycle 2 (2024-08 published): the next tactical assessment -> the last meeting's action measured against the
rest of the force -> the open profile re-drafted as version 2 saying what changed -> closed, kept, findable.
"""
from __future__ import annotations

import pytest
from pypdf import PdfReader

from tasking import warehouse as wh
from tasks import review
from tasks.catalogue import list_products
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.products import build_strategic_assessment, build_tactical_assessment
from tasks.tasking_loop import LoopError, meetings, profiles, strategy, tor
from tasks.tasking_loop.action_change import measure_meeting_actions
from tasks.tasking_loop.records import as_date

from shared_paths import CITY_OF_LONDON, REFERENCE

FORCE = "city-of-london"
REVIEWER = "DCI Reviewer (senior intelligence)"


def approve(warehouse, version_id: str) -> None:
    from tasks import reviewers

    with wh.connect(warehouse) as con:
        registered = reviewers.role_of(con, REVIEWER)
    if registered is None:
        reviewers.add(warehouse, REVIEWER, "senior-analyst", "Head of Intelligence")
    review.approve(warehouse, version_id, REVIEWER, "checked against the ToR")


def pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(str(path)).pages).split())


@pytest.fixture(scope="module")
def cycles(tmp_path_factory):
    """Both cycles run once; each test reads what they left."""
    root = tmp_path_factory.mktemp("cycles")
    warehouse, store = root / "warehouse.duckdb", root / "store"
    streets = sorted(CITY_OF_LONDON.glob("*-street.csv"))
    assert streets[-1].name.startswith("2024-08")
    assert ingest_paths(streets[:-1], warehouse, gate=None).ok
    assert ingest_reference_paths([REFERENCE], warehouse).ok
    out: dict = {"warehouse": warehouse, "store": store}

    # --- cycle 1: the ST&CG sets the control strategy
    strategic = build_strategic_assessment(warehouse, FORCE, months=24, store_dir=store)
    approve(warehouse, strategic.version_id)
    out["priorities"] = [
        strategy.adopt(warehouse, strategic.version_id, label="Theft from the person", types=["Theft from the person"],
                       requirement="Where and when are phones and bags taken, and by whom?", by="ACC Brown"),
        strategy.adopt(warehouse, strategic.version_id, label="Shoplifting", types=["Shoplifting"],
                       requirement="Which premises suffer repeat shoplifting and at what times?", by="ACC Brown"),
    ]
    # --- the TT&CG takes the tactical assessment, sets an action on a named place, commissions a profile
    tactical_1 = build_tactical_assessment(warehouse, FORCE, period_end="2024-07", store_dir=store)
    meeting_id = meetings.record_meeting(warehouse, force=FORCE, held_on="2024-08-01", chair="Supt Green",
                                         recorded_by="PC Clerk", tactical_version_id=tactical_1.version_id)
    meetings.add_decision(warehouse, meeting_id, "Theft from the person stays the first priority", "PC Clerk")
    place = _busiest_lsoa(warehouse, "Theft from the person")
    action_id = meetings.add_action(warehouse, meeting_id, description="High-visibility patrols, evening peak",
                                    owner="Insp White", due_on="2024-08-31", by="PC Clerk", area=f"lsoa:{place}",
                                    types=["Theft from the person"])
    tor_id = meetings.commission(warehouse, meeting_id, by="PC Clerk", force=FORCE, product_kind="problem_profile",
                                 title=f"Theft from the person in {place}", requester="DI Smith",
                                 author="Analyst Jones", area=f"lsoa:{place}", types=["Theft from the person"],
                                 period_from="2023-08", period_to=None, deadline="2024-08-20",
                                 questions=["When is theft from the person concentrated?",
                                            "Which locations repeat?"])
    with pytest.raises(LoopError, match="is proposed, not agreed"):
        profiles.build_from_tor(warehouse, tor_id, store_dir=store)
    with pytest.raises(LoopError, match="only the requester"):
        tor.agree(warehouse, tor_id, "Analyst Jones")
    tor.agree(warehouse, tor_id, "DI Smith")
    first = profiles.build_from_tor(warehouse, tor_id, store_dir=store)
    approve(warehouse, first.version_id)
    out.update(strategic=strategic, tactical_1=tactical_1, meeting_id=meeting_id, place=place, action_id=action_id,
               tor_id=tor_id, first=first)

    # --- cycle 2: next month's data, the next tactical assessment, the action measured, the profile re-drafted
    meetings.set_action_status(warehouse, action_id, "done", "Insp White", "patrols ran 1-31 August")
    assert ingest_paths([streets[-1]], warehouse, gate=None).ok
    out["tactical_2"] = build_tactical_assessment(warehouse, FORCE, period_end="2024-08", store_dir=store)
    previous = meetings.previous_meeting(warehouse, FORCE, before=as_date("2024-08-15", "next meeting"))
    out["measured"] = measure_meeting_actions(warehouse, previous, as_date("2024-08-01", "latest month"))
    out["refreshed"], out["refresh_failures"] = profiles.refresh_open(warehouse, force=FORCE, store_dir=store)
    return out


def _busiest_lsoa(warehouse, crime_type: str) -> str:
    with wh.connect(warehouse) as con:
        return con.execute("SELECT lsoa_code FROM street_crime WHERE crime_type = ? AND lsoa_code IS NOT NULL"
                           " AND month >= DATE '2024-01-01' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
                           [crime_type]).fetchone()[0]


def test_the_control_strategy_holds_the_two_adopted_priorities(cycles):
    adopted = strategy.adopted(cycles["warehouse"], FORCE)
    assert [(p.label, p.strategic_version_id) for p in adopted] == [
        ("Theft from the person", cycles["strategic"].version_id), ("Shoplifting", cycles["strategic"].version_id)]


def test_the_profile_prints_the_agreed_tor_and_its_id_first(cycles):
    first = cycles["first"]
    assert (first.profile_id, first.version) == ("PRF-0001", 1)
    text = pdf_text(first.pdf_path)
    assert f"{cycles['tor_id']}, agreed by DI Smith on" in text
    assert "Requester: DI Smith. Author: Analyst Jones." in text
    assert "(1) When is theft from the person concentrated? (2) Which locations repeat?" in text
    assert "Commissioned by MTG-0001." in text
    assert f"Terms of reference id {cycles['tor_id']}" in text and "Profile PRF-0001 version 1 (kept up to date" in text
    assert "What changed since the last version PRF-0001 version 1, drafted from ToR-0001." in text


def test_the_tactical_assessment_reports_against_the_control_strategy_first(cycles):
    text = pdf_text(cycles["tactical_1"].pdf_path)
    first_section = text.index("Against the control strategy")
    assert first_section < text.index("Actions from the last meeting") < text.index("Current picture")
    assert "The ST&CG adopted 2 priorities from " + cycles["strategic"].version_id in text
    assert "Theft from the person: " in text and "Shoplifting: " in text
    assert "No TT&CG meeting is recorded for this force yet" in text


def test_the_next_tactical_assessment_shows_the_last_meetings_actions(cycles):
    text = pdf_text(cycles["tactical_2"].pdf_path)
    squashed = "".join(text.split())  # long ids wrap inside table cells
    assert "The last TT&CG meeting, MTG-0001 on 01 August 2024 (chair Supt Green), which took" in text
    assert "tookTA-" + cycles["tactical_1"].version_id[3:] in squashed
    assert "Decision 1: Theft from the person stays the first priority" in text
    assert "ACT-0001" in text and "Insp White" in text and "Association, not proof of effect" in text
    (found,) = cycles["measured"]
    assert f"{found.target_before} before (2024-07) vs {found.target_after} after (2024-08)" in text
    # The action's target is named as a reader finds it (LSOA name, code), not as the stored `lsoa:` text.
    with wh.connect(cycles["warehouse"], read_only=True) as con:
        name = con.execute("SELECT any_value(lsoa_name) FROM street_crime WHERE lsoa_code = ?", [cycles["place"]]).fetchone()[0]
    assert "".join(f"{name} ({cycles['place']})".split()) in squashed and f"lsoa:{cycles['place']}" not in squashed


def test_the_last_meetings_action_is_measured_against_the_rest_of_the_force(cycles):
    (found,) = cycles["measured"]
    assert found.action_id == cycles["action_id"] and found.place == f"lsoa:{cycles['place']}"
    assert found.measurable, found.reason
    # Started 1 August: August after, July before.
    assert (f"{found.before[0]:%Y-%m}", f"{found.after[0]:%Y-%m}") == ("2024-07", "2024-08")
    # Target plus control is the whole force's count of the type in each month, read straight from the rows.
    with wh.connect(cycles["warehouse"]) as con:
        july, august = (con.execute("SELECT count(*) FROM street_crime WHERE force = ? AND crime_type = ? AND month = ?",
                                    [FORCE, "Theft from the person", as_date(m, "month")]).fetchone()[0]
                        for m in ("2024-07-01", "2024-08-01"))
    assert found.target_before > 0 and found.target_before + found.control_before == july
    assert found.target_after + found.control_after == august
    assert "association" in found.label.lower() and "not proof" in found.label
    status = meetings.actions_of(cycles["warehouse"], cycles["meeting_id"])["status"].tolist()
    assert status == ["done"]


def test_the_open_profile_is_redrafted_as_version_2_saying_what_changed(cycles):
    assert cycles["refresh_failures"] == []
    (second,) = cycles["refreshed"]
    assert (second.profile_id, second.version) == ("PRF-0001", 2)
    # The same registry product, one version on: the store's version number is the profile's.
    assert second.version_id == cycles["first"].version_id[:-1] + "2"
    changes = " ".join(second.changes)
    assert f"Since {cycles['first'].version_id} (period 2023-08 to 2024-07)" in changes
    assert "Period now 2023-08 to 2024-08; months added (crimes): 2024-08 (" in changes
    text = pdf_text(second.pdf_path)
    assert f"PRF-0001 version 2, drafted from {cycles['tor_id']}." in text
    assert f"Since {cycles['first'].version_id} (period 2023-08 to 2024-07):" in text


def test_a_closed_profile_stays_findable_and_is_never_redrafted(cycles):
    warehouse, store = cycles["warehouse"], cycles["store"]
    profiles.close(warehouse, "PRF-0001", "resolved", "DI Smith", "patrols and arrests; no offences in September")
    with pytest.raises(LoopError, match="never re-drafted"):
        profiles.build_from_tor(warehouse, cycles["tor_id"], store_dir=store)
    assert profiles.refresh_open(warehouse, force=FORCE, store_dir=store) == ([], [])
    found = list_products(warehouse, tor_id=cycles["tor_id"])
    assert sorted(found["version_id"]) == sorted([cycles["first"].version_id, cycles["refreshed"][0].version_id])
    assert set(found["profile_status"]) == {"closed"} and set(found["close_reason"]) == {"resolved"}


def test_the_central_store_filters_by_kind_status_period_and_title(cycles):
    warehouse = cycles["warehouse"]
    tactical = list_products(warehouse, kind="tactical", force=FORCE)
    assert set(tactical["version_id"]) == {cycles["tactical_1"].version_id, cycles["tactical_2"].version_id}
    assert list_products(warehouse, kind="tactical", period="2024-08")["version_id"].tolist() == \
        [cycles["tactical_2"].version_id]
    approved = list_products(warehouse, status="approved")
    assert set(approved["version_id"]) == {cycles["strategic"].version_id, cycles["first"].version_id}
    assert list_products(warehouse, text="THEFT FROM")["kind"].unique().tolist() == ["problem_profile"]
    assert list_products(warehouse, force="atlantis").empty


def test_the_commands_show_the_loop(cycles):
    from typer.testing import CliRunner

    from cli.main import app

    run = lambda *args: CliRunner().invoke(app, [*args, "--warehouse", str(cycles["warehouse"])],  # noqa: E731
                                           env={"COLUMNS": "250"})
    found = run("products", "--tor", cycles["tor_id"])
    assert found.exit_code == 0 and "Central store: 2 versions" in found.output
    assert cycles["first"].version_id in found.output
    measured = run("action", "measure", "--meeting", cycles["meeting_id"])
    (change,) = cycles["measured"]
    assert measured.exit_code == 0 and f"ACT-0001 Theft from the person in lsoa:{cycles['place']}" in measured.output
    assert f"{change.target_before} before (2024-07) vs {change.target_after} after (2024-08)" in measured.output
    assert "Association, not proof of effect" in measured.output
    shown = run("profile", "show", "PRF-0001")
    assert shown.exit_code == 0 and "v2 " in shown.output and "Period now 2023-08 to 2024-08" in shown.output
    bad = run("products", "--kind", "bulletin")
    assert bad.exit_code == 1 and "kind 'bulletin': expected one of tactical, strategic, problem_profile" in bad.output
