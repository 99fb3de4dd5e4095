"""Actions from the last meeting (tactical assessment): the previous TT&CG meeting's decisions, its actions with
owner, due date, status and measured change in their place and crime types since each started, and the profiles
it commissioned. The measured change is an association, not proof of effect (tasks/tasking_loop/action_change.py)."""
from __future__ import annotations

import math

import pandas as pd

from tasks.indicators import Scope
from tasks.products.common import area_place
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number, p_value
from tasks.tasking_loop.action_change import ASSOCIATION_LABEL, measure

LAST_MEETING_SQL = """
SELECT meeting_id, held_on, chair, tactical_version_id FROM tasking_meeting
WHERE force = $force AND held_on <= $today ORDER BY held_on DESC, meeting_id DESC LIMIT 1
"""


def _held(session: IndicatorSession) -> bool:
    found = session.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'tasking_meeting'")
    return bool(int(found["n"].iloc[0]))


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    title = "Actions from the last meeting"
    meeting = session.df(LAST_MEETING_SQL, {"force": scope.force, "today": ctx.created_at.date()}) if _held(session) \
        else pd.DataFrame()
    if meeting.empty:
        return SectionResult(title, paragraphs=["No TT&CG meeting is recorded for this force yet (`tasking meeting "
                                                "record`), so there are no earlier actions to report."])
    m = meeting.iloc[0]
    params = {"meeting_id": m["meeting_id"]}
    decisions = session.df("SELECT seq, decision FROM meeting_decision WHERE meeting_id = $meeting_id ORDER BY seq", params)
    actions = session.df("SELECT * FROM tasking_action WHERE meeting_id = $meeting_id ORDER BY action_id", params)
    commissions = session.df("SELECT tor_id, title, requester, status FROM terms_of_reference"
                             " WHERE commissioned_by = $meeting_id ORDER BY tor_id", params)
    took = f", which took {m['tactical_version_id']}" if m["tactical_version_id"] else ""
    paragraphs = [f"The last TT&CG meeting, {m['meeting_id']} on {pd.Timestamp(m['held_on']):%d %B %Y} (chair "
                  f"{m['chair']}){took}, recorded {len(decisions)} decision{'s' * (len(decisions) != 1)}, set "
                  f"{len(actions)} action{'s' * (len(actions) != 1)} and commissioned {len(commissions)} "
                  f"profile{'s' * (len(commissions) != 1)}."]
    paragraphs += [f"Decision {d.seq}: {d.decision}" for d in decisions.itertuples(index=False)]
    volumes = lambda s: session.indicator("monthly_volumes", s)  # noqa: E731  (the build's one session)
    changes = [measure(volumes, row, ctx.latest) for row in actions.to_dict("records")]
    items, findings = [], []
    if changes:
        paragraphs.append(f"Each action's status and measured change since it started are in "
                          f"{ref('last_meeting_actions')}; read the change as an association, not proof of effect.")
        rows, flags = [], []
        for row, c in zip(actions.to_dict("records"), changes):
            ratio = "–"
            if c.measurable:
                high = f"{c.ci_high:.2f}" if math.isfinite(c.ci_high) else "inf"
                ratio = f"{c.rate_ratio:.2f} ({c.ci_low:.2f}-{high})"
            rows.append([f"{c.action_id}: {row['description']} ({row['owner']}, due "
                         f"{pd.Timestamp(row['due_on']):%Y-%m-%d}, {row['status'].replace('_', ' ')})",
                         f"{', '.join(c.crime_types) or 'all crime'} in "
                         f"{area_place(session, scope.force, row.get('area'), ctx.latest)}",
                         number(c.target_before), number(c.target_after), number(c.expected_after, 1), ratio,
                         p_value(c.p_value), c.verdict if c.measurable else f"not measured: {c.reason}"])
            flags.append(bool(c.measurable and "rise" in c.verdict))
            if c.measurable:
                findings.append(f"{c.action_id} ({row['description']}, {row['status']}): {c.summary()} (association, "
                                "not proof of effect).")
        frame = pd.DataFrame([c.__dict__ for c in changes]).astype(str)
        items.append(Table(
            "last_meeting_actions", f"Actions set by {m['meeting_id']}: status and measured change since each started",
            [("Action (owner, due, status)", "text"), ("Target", "text"), ("Before", "num"), ("After", "num"),
             ("Expected", "num"), ("Ratio to expected (95% CI)", "num"), ("p", "num"), ("Reading", "text")],
            rows, Lineage("tasks.tasking_loop.action_change.measure (tasking_action; tasks.indicators.monthly_volumes; "
                          "tasks.stats.tests.compare_counts)", {**params, "latest": f"{ctx.latest:%Y-%m}"}, frame,
                          "last_meeting_actions"),
            flags=flags,
            note="Before and after: whole months either side of the start, equal in length (at most 12). Expected: "
                 "the before count scaled by the change in the same crime types in the rest of the force. "
                 + ASSOCIATION_LABEL))
    if not commissions.empty:
        items.append(Table(
            "last_meeting_commissions", f"Profiles commissioned by {m['meeting_id']}",
            [("ToR", "text"), ("Title", "text"), ("Requester", "text"), ("Status", "text")],
            [[r.tor_id, r.title, r.requester, r.status] for r in commissions.itertuples(index=False)],
            Lineage("terms_of_reference", params, commissions, "last_meeting_commissions")))
    return SectionResult(title, paragraphs=paragraphs, items=items, findings=findings,
                         methods=sorted({c.method for c in changes if c.method}),
                         facts={"meeting_id": m["meeting_id"], "changes": changes})
