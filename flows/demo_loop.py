"""The demo's two tasking cycles on SYNTHETIC data (docs/tasking-loop.md), step by step as
tests/test_tasking_loop_cycles.py runs them on real data.

Cycle 1 (data to month N-1): a strategic assessment drafted and approved by a registered SYNTHETIC reviewer ->
the ST&CG adopts two priorities -> the tactical assessment for N-1 -> a TT&CG meeting takes it, sets an action on
the busiest LSOA of the first priority and commissions a problem profile (a proposed ToR) -> the requester agrees
the ToR -> profile version 1. Cycle 2 is `second_cycle`, run after month N has been ingested: the next tactical
assessment (the action's status and measured change) and the open profile re-drafted as version 2.

Every person here is a SYNTHETIC demo role, and every record says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flows.engine import log, step
from tasking import warehouse as wh
from tasks import review, reviewers
from tasks.products import build_strategic_assessment, build_tactical_assessment
from tasks.tasking_loop import meetings, profiles, strategy, tor
from tasks.tasking_loop.places import busiest_lsoa

DEMO = "(SYNTHETIC)"  # every person in the demo is invented; the data and places say SYNTHETIC themselves
REVIEWER = f"DCI Reviewer {DEMO}"
ST_CG = f"ACC Brown {DEMO}"
CHAIR, CLERK, OWNER = f"Supt Green {DEMO}", f"PC Clerk {DEMO}", f"Insp White {DEMO}"
REQUESTER, AUTHOR = f"DI Smith {DEMO}", f"Analyst Jones {DEMO}"
# The two adopted priorities: robbery (the generator plants a rise in the station quarter) and burglary.
PRIORITIES = (("Robbery", "Where, when and by whom are robberies committed around the station quarter?"),
              ("Burglary", "Which homes are burgled again, and how soon after the first burglary?"))

strategic_assessment = step(build_strategic_assessment, name="build-strategic-assessment")
tactical_assessment = step(build_tactical_assessment, name="build-tactical-assessment")
profile_from_tor = step(profiles.build_from_tor, name="build-profile-from-tor")
refresh_open_profiles = step(profiles.refresh_open, name="refresh-open-profiles")


@dataclass
class DemoLoop:
    """What the loop left, for the demo's closing summary."""
    strategic: object = None
    priorities: list = field(default_factory=list)
    tactical_1: object = None
    meeting_id: str = ""
    action_id: str = ""
    place: tuple[str, str] = ("", "")
    tor_id: str = ""
    profile_v1: object = None
    tactical_2: object = None
    profile_v2: object = None


def month_start(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


def first_cycle(warehouse: str, store_dir: str, force: str, last_month: str, strategic_months: int = 24,
                marking: str = "OFFICIAL") -> DemoLoop:
    """Cycle 1 on the months up to `last_month` (N-1); the meeting is held on the first day of month N."""
    loop = DemoLoop()
    log().info("cycle 1 (data to %s): strategic assessment, approved by the SYNTHETIC reviewer %s", last_month, REVIEWER)
    loop.strategic = strategic_assessment(warehouse, force, months=strategic_months, period_end=last_month, marking=marking,
                                          store_dir=store_dir)
    approve(warehouse, loop.strategic.version_id, "SYNTHETIC demo: checked before the ST&CG")
    loop.priorities = [strategy.adopt(warehouse, loop.strategic.version_id, label=crime_type,
                                      types=[crime_type], requirement=requirement, by=ST_CG)
                       for crime_type, requirement in PRIORITIES]
    log().info("the ST&CG adopted %s; tactical assessment for %s", ", ".join(p.priority_id for p in loop.priorities),
               last_month)
    loop.tactical_1 = tactical_assessment(warehouse, force, period_end=last_month, marking=marking, store_dir=store_dir)

    held_on = month_after(last_month)
    first_type = PRIORITIES[0][0]
    loop.meeting_id = meetings.record_meeting(warehouse, force=force, held_on=held_on, chair=CHAIR, recorded_by=CLERK,
                                              tactical_version_id=loop.tactical_1.version_id)
    meetings.add_decision(warehouse, loop.meeting_id, f"{first_type} stays the first priority", CLERK)
    loop.place = busiest_lsoa(warehouse, force, first_type)
    code, name = loop.place
    loop.action_id = meetings.add_action(
        warehouse, loop.meeting_id, description=f"High-visibility patrols in {name}, evening peak",
        owner=OWNER, due_on=month_end(held_on), by=CLERK, area=f"lsoa:{code}", types=[first_type])
    loop.tor_id = meetings.commission(
        warehouse, loop.meeting_id, by=CLERK, force=force, product_kind="problem_profile",
        title=f"{first_type} in {name}", requester=REQUESTER, author=AUTHOR, area=f"lsoa:{code}",
        types=[first_type], period_from=f"{held_on.year - 1}-{held_on.month:02d}", period_to=None,
        deadline=held_on.replace(day=20), questions=[f"When is {first_type.lower()} in {name} concentrated?",
                                                     "Which locations repeat?"])
    tor.agree(warehouse, loop.tor_id, REQUESTER, "SYNTHETIC demo: agreed as commissioned")
    log().info("TT&CG %s: action %s on %s, %s agreed by its requester; problem profile v1", loop.meeting_id,
               loop.action_id, name, loop.tor_id)
    loop.profile_v1 = profile_from_tor(warehouse, loop.tor_id, drafted_by=AUTHOR, store_dir=store_dir)
    approve(warehouse, loop.profile_v1.version_id, "SYNTHETIC demo: answers the agreed ToR")
    meetings.set_action_status(warehouse, loop.action_id, "done", OWNER, "patrols ran all month")
    return loop


def second_cycle(loop: DemoLoop, warehouse: str, store_dir: str, force: str, month: str,
                 marking: str = "OFFICIAL") -> DemoLoop:
    """Cycle 2, once month N is held: the next tactical assessment reports the meeting's action and its measured
    change; the open profile is re-drafted as its next version."""
    log().info("cycle 2: tactical assessment for %s (the action measured); open profiles re-drafted", month)
    loop.tactical_2 = tactical_assessment(warehouse, force, period_end=month, marking=marking, store_dir=store_dir)
    redrafted, failures = refresh_open_profiles(warehouse, force=force, store_dir=store_dir, drafted_by=AUTHOR)
    if failures:
        raise RuntimeError("demo profile not re-drafted: " + "; ".join(failures))
    loop.profile_v2 = next((p for p in redrafted if p.profile_id == loop.profile_v1.profile_id), None)
    return loop


def approve(warehouse: str, version_id: str, comment: str) -> None:
    """Approve as the registered SYNTHETIC reviewer (registered on first use; the pipeline cannot approve)."""
    with_reviewer(warehouse)
    review.approve(warehouse, version_id, REVIEWER, comment)


def with_reviewer(warehouse: str) -> None:
    with wh.reading(warehouse) as con:
        registered = reviewers.role_of(con, REVIEWER)
    if registered is None:
        reviewers.add(warehouse, REVIEWER, "senior-analyst", f"Head of Intelligence {DEMO}")


def month_after(month: str) -> date:
    start = month_start(month)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def month_end(first_day: date) -> date:
    following = date(first_day.year + first_day.month // 12, first_day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
