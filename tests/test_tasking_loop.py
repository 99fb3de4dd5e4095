"""The tasking loop's records on a small real warehouse (three City of London months): terms of reference agreed
only by the requester, a profile built only from an agreed ToR, the control strategy adopted only from an
approved strategic assessment, meetings and actions, closed profiles kept as they are, every change in the
hash-chained event log, and an action's measured change checked against counts taken straight from the rows."""
from __future__ import annotations

import json
import math

import duckdb
import pytest
from typer.testing import CliRunner

from tasking import warehouse as wh
from tasking.chain import verify_chain
from tasks.ingest import ingest_paths
from tasks.tasking_loop import LoopError, meetings, profiles, strategy, tor
from tasks.tasking_loop.action_change import ASSOCIATION_LABEL, measure
from tasks.tasking_loop.records import stream

from shared_paths import CITY_OF_LONDON

FORCE = "city-of-london"
MONTHS = ("2024-06", "2024-07", "2024-08")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("loop") / "warehouse.duckdb"
    files = [CITY_OF_LONDON / f"{m}-{FORCE}-street.csv" for m in MONTHS]
    report = ingest_paths(files, path, gate=None)
    assert report.ok, [b.error for b in report.failed]
    return path


@pytest.fixture
def warehouse(loaded, tmp_path):
    """A fresh copy of the loaded warehouse for each test, so records never leak between tests."""
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(loaded.read_bytes())
    return copy


def proposal(**overrides) -> dict:
    fields = dict(force=FORCE, product_kind="problem_profile", title="Theft from the person around Bank",
                  requester="DI Smith", author="Analyst Jones", area=None, types=["Theft from the person"],
                  period_from="2024-06", period_to="2024-08", questions=["Where and when is it concentrated?"],
                  deadline="2024-10-01", marking="OFFICIAL-SENSITIVE")
    return {**fields, **overrides}


def events(path, kind: str) -> list[dict]:
    with wh.connect(path) as con:
        rows = con.execute("SELECT actor, payload_json FROM event_log WHERE stream = ? ORDER BY seq",
                           [stream(kind)]).fetchall()
    return [{"actor": actor, **json.loads(payload)} for actor, payload in rows]


def test_only_the_requester_agrees_a_tor_and_each_attempt_is_logged(warehouse):
    made = tor.propose(warehouse, proposed_by="Analyst Jones", **proposal())
    assert made.status == "proposed" and made.tor_id == "ToR-0001"
    with pytest.raises(LoopError, match=r"only the requester \(DI Smith\) can agree .* not Analyst Jones"):
        tor.agree(warehouse, made.tor_id, "Analyst Jones")
    assert tor.get(warehouse, made.tor_id).status == "proposed"
    agreed = tor.agree(warehouse, made.tor_id, "  di   smith ")  # the same person, typed differently
    assert agreed.agreed and agreed.agreed_by == "DI Smith" and agreed.agreed_at is not None
    with pytest.raises(LoopError, match="is agreed .*only a proposed terms of reference can be agreed"):
        tor.agree(warehouse, made.tor_id, "DI Smith")
    logged = events(warehouse, "tor")
    assert [e["event"] for e in logged] == ["tor.proposed", "tor.agreed", "tor.agreed", "tor.agreed"]
    assert [("refused" in e) for e in logged] == [False, True, False, True]
    assert logged[1]["actor"] == "Analyst Jones"
    with wh.connect(warehouse) as con:
        assert verify_chain(con, stream("tor")) == []


def test_a_profile_is_never_built_from_an_unagreed_or_withdrawn_tor(warehouse):
    made = tor.propose(warehouse, proposed_by="Analyst Jones", **proposal())
    with pytest.raises(LoopError, match="ToR-0001 is proposed, not agreed"):
        profiles.build_from_tor(warehouse, made.tor_id)
    tor.withdraw(warehouse, made.tor_id, "DI Smith", "covered by another operation")
    with pytest.raises(LoopError, match="ToR-0001 is withdrawn, not agreed"):
        profiles.build_from_tor(warehouse, made.tor_id)
    with wh.connect(warehouse) as con:
        assert con.execute("SELECT count(*) FROM product_version").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM profile_record").fetchone()[0] == 0


@pytest.mark.parametrize("overrides, message", [
    ({"types": ["Theft from teh person"]}, "unknown crime type 'Theft from teh person'"),
    ({"questions": ["  "]}, "at least one question"),
    ({"area": "postcode:EC2"}, "area 'postcode:EC2'"),
    ({"period_from": "2024-08", "period_to": "2024-06"}, r"period ends \(2024-06\) before it starts \(2024-08\)"),
    ({"marking": "RESTRICTED"}, "not a government security classification"),
    ({"requester": " "}, "the requester's name is required"),
    ({"product_kind": "subject_profile"}, "needs the nominal id"),
    ({"deadline": "next week"}, "deadline 'next week' is not a date"),
])
def test_a_bad_proposal_is_refused_with_the_field_named(warehouse, overrides, message):
    with pytest.raises(LoopError, match=message):
        tor.propose(warehouse, proposed_by="Analyst Jones", **proposal(**overrides))
    assert tor.list_tors(warehouse).empty


def _register(warehouse, version_id: str, kind: str, status: str) -> None:
    """A registry row as review.record_version leaves it (the store's files are not needed here)."""
    with wh.connect(warehouse) as con:
        con.execute("INSERT INTO product VALUES (?, ?, ?, ?, ?, NULL, NULL, now())",
                    [version_id[:-3], kind, FORCE, version_id, f"{kind} test"])
        con.execute("INSERT INTO product_version (version_id, product_id, version, status, marking, author, period_start,"
                    " period_end, store_path, content_sha256, manifest_json, created_at) VALUES"
                    " (?, ?, 1, ?, 'OFFICIAL', 'pipeline', DATE '2022-09-01', DATE '2024-08-01', '/nowhere', 'x', '{}', now())",
                    [version_id, version_id[:-3], status])


def test_priorities_are_adopted_only_from_an_approved_strategic_assessment(warehouse):
    _register(warehouse, "SA-city-of-london-2024-08-abc123-v1", "strategic", "DRAFT")
    _register(warehouse, "TA-city-of-london-2024-08-def456-v1", "tactical", "APPROVED")
    args = dict(label="Theft from the person", types=["Theft from the person"], by="ACC Brown",
                requirement="Who is stealing phones in the night-time economy, and where do they go?")
    with pytest.raises(LoopError, match="is DRAFT: the ST&CG adopts priorities from an approved strategic assessment"):
        strategy.adopt(warehouse, "SA-city-of-london-2024-08-abc123-v1", **args)
    with pytest.raises(LoopError, match="is a tactical; priorities are adopted from a strategic assessment"):
        strategy.adopt(warehouse, "TA-city-of-london-2024-08-def456-v1", **args)
    with wh.connect(warehouse) as con:
        con.execute("UPDATE product_version SET status = 'APPROVED' WHERE version_id LIKE 'SA-%'")
    first = strategy.adopt(warehouse, "SA-city-of-london-2024-08-abc123-v1", **args)
    strategy.adopt(warehouse, "SA-city-of-london-2024-08-abc123-v1", label="Shoplifting in the retail core",
                   types=["Shoplifting"], area="lsoa:E01032739", by="ACC Brown", requirement="Which stores, which times?")
    assert [p.priority_id for p in strategy.adopted(warehouse, FORCE)] == ["CS-0001", "CS-0002"]
    strategy.retire(warehouse, first.priority_id, "ACC Brown", "no longer a force priority")
    kept = strategy.adopted(warehouse, FORCE)
    assert [(p.priority_id, p.area, p.crime_types) for p in kept] == [("CS-0002", "lsoa:E01032739", ("Shoplifting",))]
    assert len(strategy.list_priorities(warehouse, force=FORCE)) == 2  # retired, never deleted


def test_a_meeting_records_decisions_actions_and_commissions_a_proposed_tor(warehouse):
    _register(warehouse, "TA-city-of-london-2024-07-aaa111-v1", "tactical", "APPROVED")
    with pytest.raises(LoopError, match="no such product version"):
        meetings.record_meeting(warehouse, force=FORCE, held_on="2024-08-01", chair="Supt Green", recorded_by="PC Clerk",
                                tactical_version_id="TA-nope-v1")
    meeting_id = meetings.record_meeting(warehouse, force=FORCE, held_on="2024-08-01", chair="Supt Green",
                                         recorded_by="PC Clerk", tactical_version_id="TA-city-of-london-2024-07-aaa111-v1")
    meetings.add_decision(warehouse, meeting_id, "Theft from the person around Bank is the fortnight's priority", "PC Clerk")
    action_id = meetings.add_action(warehouse, meeting_id, description="High-visibility patrols at Bank junction",
                                    owner="Insp White", due_on="2024-08-31", by="PC Clerk", area="lsoa:E01032739",
                                    types=["Theft from the person"])
    tor_id = meetings.commission(warehouse, meeting_id, by="PC Clerk", **proposal())
    found = meetings.meeting(warehouse, meeting_id)
    assert found["decisions"]["decision"].tolist() == ["Theft from the person around Bank is the fortnight's priority"]
    action = found["actions"].iloc[0]
    assert (action["action_id"], action["owner"], str(action["started_on"])[:10], action["status"]) == \
        (action_id, "Insp White", "2024-08-01", "open")
    assert found["commissions"][["tor_id", "status"]].values.tolist() == [[tor_id, "proposed"]]
    assert tor.get(warehouse, tor_id).commissioned_by == meeting_id
    meetings.set_action_status(warehouse, action_id, "done", "Insp White", "patrols completed")
    with pytest.raises(LoopError, match="is done: a finished action is not reopened"):
        meetings.set_action_status(warehouse, action_id, "open", "Insp White")
    with pytest.raises(LoopError, match="status 'maybe'"):
        meetings.set_action_status(warehouse, action_id, "maybe", "Insp White")
    assert meetings.previous_meeting(warehouse, FORCE) == meeting_id
    assert meetings.previous_meeting(warehouse, FORCE, before=meetings.as_date("2024-08-01", "d")) is None
    with wh.connect(warehouse) as con:
        for kind in ("meeting", "action", "tor"):
            assert verify_chain(con, stream(kind)) == []
    assert [e["event"] for e in events(warehouse, "action")] == ["action.set", "action.status"]


def test_a_closed_profile_is_kept_and_cannot_be_redrafted_or_closed_again(warehouse):
    made = tor.propose(warehouse, proposed_by="Analyst Jones", **proposal())
    tor.agree(warehouse, made.tor_id, "DI Smith")
    with wh.connect(warehouse) as con:  # a profile with one version, as build_from_tor leaves it
        con.execute("INSERT INTO profile_record (profile_id, tor_id, force, kind, status, opened_at)"
                    " VALUES ('PRF-0001', ?, ?, 'problem_profile', 'open', now())", [made.tor_id, FORCE])
    with pytest.raises(LoopError, match="close reason 'fixed'"):
        profiles.close(warehouse, "PRF-0001", "fixed", "DI Smith")
    closed = profiles.close(warehouse, "PRF-0001", "resolved", "DI Smith", "no offences for three months")
    assert (closed["status"], closed["close_reason"], closed["closed_by"]) == ("closed", "resolved", "DI Smith")
    with pytest.raises(LoopError, match=r"PRF-0001 \(ToR-0001\) was closed \(resolved\) by DI Smith .* never re-drafted"):
        profiles.build_from_tor(warehouse, made.tor_id)
    with pytest.raises(LoopError, match="already closed"):
        profiles.close(warehouse, "PRF-0001", "withdrawn", "DI Smith")
    assert profiles.refresh_open(warehouse) == ([], [])  # the schedule leaves it alone
    kept = profiles.list_profiles(warehouse, status="closed")
    assert kept["profile_id"].tolist() == ["PRF-0001"] and kept["title"].tolist() == ["Theft from the person around Bank"]
    refused = [e for e in events(warehouse, "profile") if "refused" in e]
    assert [e["event"] for e in refused] == ["profile.redraft", "profile.closed"]


def _count(path, where: str, params: list) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM street_crime WHERE force = '{FORCE}' AND {where}", params).fetchone()[0]
    finally:
        con.close()


def test_an_actions_measured_change_is_its_place_against_the_rest_of_the_force(warehouse):
    # The LSOA with the most theft from the person over the three months: the place an action would target.
    con = duckdb.connect(str(warehouse), read_only=True)
    lsoa = con.execute("SELECT lsoa_code FROM street_crime WHERE crime_type = 'Theft from the person' AND lsoa_code IS NOT NULL"
                       " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    con.close()
    meeting_id = meetings.record_meeting(warehouse, force=FORCE, held_on="2024-07-20", chair="Supt Green", recorded_by="PC Clerk")
    action_id = meetings.add_action(warehouse, meeting_id, description="Patrols", owner="Insp White", due_on="2024-08-31",
                                    by="PC Clerk", area=f"lsoa:{lsoa}", types=["Theft from the person"])
    row = meetings.actions_of(warehouse, meeting_id).iloc[0].to_dict()
    found = measure(warehouse, row, meetings.as_date("2024-08-01", "latest"))
    # Started 20 July: July is neither before nor after; August (after) against June (before).
    assert found.measurable and found.before[0].isoformat() == "2024-06-01" and found.after[0].isoformat() == "2024-08-01"
    theft = "crime_type = 'Theft from the person'"
    target_before = _count(warehouse, f"{theft} AND lsoa_code = ? AND month = DATE '2024-06-01'", [lsoa])
    target_after = _count(warehouse, f"{theft} AND lsoa_code = ? AND month = DATE '2024-08-01'", [lsoa])
    force_before = _count(warehouse, f"{theft} AND month = DATE '2024-06-01'", [])
    force_after = _count(warehouse, f"{theft} AND month = DATE '2024-08-01'", [])
    assert (found.target_before, found.target_after) == (target_before, target_after)
    assert (found.control_before, found.control_after) == (force_before - target_before, force_after - target_after)
    control_ratio = (force_after - target_after) / (force_before - target_before)
    assert math.isclose(found.expected_after, target_before * control_ratio)
    assert math.isclose(found.rate_ratio, (target_after / target_before) / control_ratio)
    assert found.ci_low <= found.rate_ratio <= found.ci_high and 0 <= found.p_value <= 1
    assert "binomial" in found.method and found.label == ASSOCIATION_LABEL
    assert found.summary().startswith(f"{target_before} before (2024-06) vs {target_after} after (2024-08)")
    # An action started after the latest month held has nothing to measure yet, and says so.
    late = {**row, "started_on": meetings.as_date("2024-09-01", "s")}
    assert not measure(warehouse, late, meetings.as_date("2024-08-01", "latest")).measurable


def test_cli_refuses_agreement_by_someone_else_and_a_build_from_an_unagreed_tor(warehouse):
    from cli.main import app

    runner = CliRunner()
    made = runner.invoke(app, ["tor", "propose", "--force", FORCE, "--title", "Robbery near stations",
                               "--requester", "DI Smith", "--author", "Analyst Jones", "--question", "Where?",
                               "--from", "2024-06", "--crime-types", "Robbery", "--by", "Analyst Jones",
                               "--warehouse", str(warehouse)])
    assert made.exit_code == 0 and "ToR-0001 proposed" in made.output
    build = runner.invoke(app, ["profile", "problem", "--tor-id", "ToR-0001", "--warehouse", str(warehouse)])
    assert build.exit_code == 1 and "ToR-0001 is proposed, not agreed" in " ".join(build.output.split())
    wrong = runner.invoke(app, ["tor", "agree", "ToR-0001", "--by", "Analyst Jones", "--warehouse", str(warehouse)])
    assert wrong.exit_code == 1 and "only the requester (DI Smith)" in " ".join(wrong.output.split())
    right = runner.invoke(app, ["tor", "agree", "ToR-0001", "--by", "DI Smith", "--warehouse", str(warehouse)])
    assert right.exit_code == 0 and "agreed by DI Smith" in right.output
    listed = runner.invoke(app, ["tor", "list", "--status", "agreed", "--warehouse", str(warehouse)])
    assert listed.exit_code == 0 and "ToR-0001" in listed.output


def test_the_profile_flows_build_from_a_tor_and_redraft_only_what_has_new_data(warehouse, tmp_path):
    """The deployments' flows, in-process (no Prefect API): v1 from the agreed ToR, then the scheduled re-draft."""
    import yaml

    from flows.engine import run_flow
    from flows.profiles import profile_from_tor_flow, profile_refresh_flow

    config = tmp_path / "tasking.yaml"
    config.write_text(yaml.safe_dump({"forces": [FORCE], "warehouse": warehouse.name, "product_store": "products"}),
                      encoding="utf-8")
    made = tor.propose(warehouse, proposed_by="Analyst Jones", **proposal(period_from="2024-07", period_to=None))
    with pytest.raises(LoopError, match="not agreed"):
        run_flow(profile_from_tor_flow, tor_id=made.tor_id, config_path=str(config))
    tor.agree(warehouse, made.tor_id, "DI Smith")
    first = run_flow(profile_from_tor_flow, tor_id=made.tor_id, config_path=str(config))["version_id"]
    # No month published since: the scheduled re-draft drafts nothing and says so (cycles test: a new month).
    (unchanged,) = run_flow(profile_refresh_flow, config_path=str(config))
    assert (unchanged["profile_id"], unchanged["drafted"]) == ("PRF-0001", False)
    assert unchanged["changes"][0].startswith(f"no new data since {first}")
    versions = profiles.get(warehouse, "PRF-0001")["versions"]
    assert versions["version_id"].tolist() == [first]
    with wh.connect(warehouse) as con:
        runs = con.execute("SELECT state, summary FROM flow_run ORDER BY started_at").fetchall()
    assert [state for state, _ in runs] == ["FAILED", "COMPLETED", "COMPLETED"]
    assert runs[1][1].startswith(f"drafted {first} as PRF-0001 v1 from {made.tor_id}")
    assert runs[2][1] == "re-drafted 0 open profiles; 1 unchanged (no new data)"


def _context(latest: str):
    from datetime import datetime, timezone

    from tasks.products.engine import ProductContext

    month = meetings.as_date(latest + "-01", "latest")
    return ProductContext(kind="tactical", force=FORCE, latest=month, first=month,
                          created_at=datetime(2024, 9, 2, tzinfo=timezone.utc))


def test_the_tactical_sections_report_the_strategy_and_the_last_meeting_from_the_records(warehouse):
    from tasks.indicators import Scope
    from tasks.products.engine import IndicatorSession
    from tasks.products.sections import control_strategy, last_meeting

    scope, ctx = Scope(FORCE, "2024-08", "2024-08"), _context("2024-08")
    with IndicatorSession(warehouse) as session:  # before any record: each section says what is missing
        assert "No control strategy is recorded" in control_strategy.tactical(session, scope, ctx).paragraphs[0]
        assert "No TT&CG meeting is recorded" in last_meeting.tactical(session, scope, ctx).paragraphs[0]
    _register(warehouse, "SA-city-of-london-2024-08-abc123-v1", "strategic", "APPROVED")
    strategy.adopt(warehouse, "SA-city-of-london-2024-08-abc123-v1", label="Shoplifting", types=["Shoplifting"],
                   requirement="Which stores, which times?", by="ACC Brown")
    meeting_id = meetings.record_meeting(warehouse, force=FORCE, held_on="2024-07-20", chair="Supt Green",
                                         recorded_by="PC Clerk")
    meetings.add_decision(warehouse, meeting_id, "Shoplifting first", "PC Clerk")
    meetings.add_action(warehouse, meeting_id, description="Store visits", owner="PCSO Lee", due_on="2024-08-15",
                        by="PC Clerk", area="lsoa:E01032739", types=["Shoplifting"])
    with IndicatorSession(warehouse) as session:
        strategy_result = control_strategy.tactical(session, scope, ctx)
        meeting_result = last_meeting.tactical(session, scope, ctx)
    (priority,) = strategy_result.facts["priorities"]
    august = _count(warehouse, "crime_type = 'Shoplifting' AND month = DATE '2024-08-01'", [])
    june_july = [_count(warehouse, f"crime_type = 'Shoplifting' AND month = DATE '2024-0{m}-01'", []) for m in (6, 7)]
    assert priority["count"] == august and priority["baseline_months"] == 2
    assert priority["expected"] == pytest.approx(sum(june_july) / 2)
    assert priority["flag"] == "insufficient baseline"  # two baseline months are too few to call anything
    assert strategy_result.tables[0].rows[0][:3] == ["Shoplifting", "whole force", f"{august:,}"]
    assert "Intelligence requirement: Which stores, which times?" in " ".join(strategy_result.paragraphs)
    assert meeting_result.facts["meeting_id"] == meeting_id
    (change,) = meeting_result.facts["changes"]
    direct = measure(warehouse, meetings.actions_of(warehouse, meeting_id).iloc[0].to_dict(), ctx.latest)
    assert (change.target_before, change.target_after, change.p_value) == \
        (direct.target_before, direct.target_after, direct.p_value)
    assert "Decision 1: Shoplifting first" in meeting_result.paragraphs
    assert ASSOCIATION_LABEL in meeting_result.tables[0].note


def test_a_subject_profile_follows_the_same_tor_versions_and_closing(tmp_path):
    """SYNTHETIC nominals: a subject profile from an agreed ToR, re-drafted as version 2, closed as apprehended."""
    from datetime import date

    from sources.synthetic_internal import generate_internal
    from tasks.ingest_internal import ingest_internal_paths
    from tasks.subjects import access_log, load_nominals

    synthetic = generate_internal(tmp_path, "demo-shire", date(2024, 1, 1), date(2024, 2, 29), seed=5,
                                  records_per_day=20, nominal_count=4)
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest_internal_paths([synthetic.extract], synthetic.mapping, warehouse, gate=None).ok
    subjects = tmp_path / "restricted" / "subjects.duckdb"
    load_nominals(synthetic.nominals, subjects, loaded_by="test loader")
    nominal = json.loads(synthetic.nominals.read_text())["nominals"][0]["nominal_id"]
    made = tor.propose(warehouse, proposed_by="Analyst Jones", **proposal(
        force="demo-shire", product_kind="subject_profile", nominal_id=nominal, types=[], title="Risk before arrest",
        period_from="2024-01", period_to=None))
    with pytest.raises(LoopError, match="not agreed"):
        profiles.build_from_tor(warehouse, made.tor_id, subjects_file=subjects)
    tor.agree(warehouse, made.tor_id, "DI Smith")
    first = profiles.build_from_tor(warehouse, made.tor_id, subjects_file=subjects)
    second = profiles.build_from_tor(warehouse, made.tor_id, subjects_file=subjects)
    assert (first.version, second.version) == (1, 2)
    assert (first.version_id, second.version_id) == (f"SP-{nominal}-v1", f"SP-{nominal}-v2")
    assert second.changes[0].startswith("Re-drafted from the subject store as at") and first.version_id in second.changes[0]
    # The agreed ToR (with its id) is the purpose written to the subject store's access log.
    purposes = access_log(subjects, nominal)["purpose"].tolist()
    assert any(p.startswith(f"{made.tor_id}, agreed by DI Smith") for p in purposes)
    profiles.close(warehouse, first.profile_id, "apprehended", "DI Smith")
    with pytest.raises(LoopError, match="closed \\(apprehended\\)"):
        profiles.build_from_tor(warehouse, made.tor_id, subjects_file=subjects)


def test_meeting_verify_shows_an_edited_tasking_event(warehouse):
    from cli.main import app

    tor.propose(warehouse, proposed_by="Analyst Jones", **proposal())
    runner = CliRunner()
    intact = runner.invoke(app, ["meeting", "verify", "--warehouse", str(warehouse)])
    assert intact.exit_code == 0 and "tasking-loop:tor: intact" in intact.output
    with wh.connect(warehouse) as con:  # someone rewrites who asked for the profile
        con.execute("UPDATE event_log SET payload_json = replace(payload_json, 'DI Smith', 'DI Jones')"
                    " WHERE stream = 'tasking-loop:tor'")
    edited = runner.invoke(app, ["meeting", "verify", "--warehouse", str(warehouse)])
    assert edited.exit_code == 1 and "tasking-loop:tor: 1 problems" in edited.output
