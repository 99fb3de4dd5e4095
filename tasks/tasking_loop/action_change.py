"""The measured change in an action's targeted place and crime types since it started: an association, not
proof that the action caused it.

Counts in the target (the action's place and crime types) over the whole months after the action started are
compared with the same number of months just before, against the area's own background trend: the same crime
types in the rest of the force over the same two windows (the control). If the rest of the force changed by a
factor c, the target is expected to change by c too; the test asks whether the target's after/before ratio
differs from c (tasks.stats `compare_counts` with exposure ratio c: an exact conditional binomial test of two
Poisson counts). An action on the whole force has no rest of force to compare with, so its before/after change
is tested against no change (exposure ratio 1) and says so.

Why this is association only: other things changed too (other operations, seasons that differ between the
place and the rest of the force, displacement into the control, regression to the mean after a spike that
prompted the action, recording practice). The product prints that label with every figure.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Callable

import pandas as pd

from tasks.indicators import monthly_volumes
from tasks.indicators.scope import Scope, add_months, months_between
from tasks.stats import thresholds
from tasks.stats.tests import compare_counts

WINDOW_MAX_MONTHS = 12
"""Longest window either side of the start: beyond a year, the after window measures much more than the action."""

ASSOCIATION_LABEL = ("Association, not proof of effect: the change is measured in the targeted place and crime "
                     "types against the rest of the force, and other causes (other activity, displacement, "
                     "regression to the mean, recording) are not ruled out.")


@dataclass(frozen=True)
class ActionChange:
    action_id: str
    place: str
    crime_types: tuple[str, ...]
    measurable: bool
    reason: str                      # why not measurable, or '' when measured
    before: tuple[date, date] | None = None
    after: tuple[date, date] | None = None
    target_before: int | None = None
    target_after: int | None = None
    control_label: str = ""
    control_before: int | None = None
    control_after: int | None = None
    expected_after: float | None = None   # target_before scaled by the control's change
    rate_ratio: float | None = None       # target change relative to the control's change
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    method: str = ""
    verdict: str = ""
    label: str = ASSOCIATION_LABEL

    def summary(self) -> str:
        """One sentence for a table cell or the CLI."""
        if not self.measurable:
            return f"Not measured: {self.reason}"
        span = lambda w: f"{w[0]:%Y-%m} to {w[1]:%Y-%m}" if w[0] != w[1] else f"{w[0]:%Y-%m}"  # noqa: E731
        ci = f"{self.ci_low:.2f}-{self.ci_high:.2f}" if math.isfinite(self.ci_high) else f"{self.ci_low:.2f}-inf"
        return (f"{self.target_before} before ({span(self.before)}) vs {self.target_after} after ({span(self.after)}); "
                f"{self.expected_after:.1f} expected from {self.control_label}; ratio to expected "
                f"{self.rate_ratio:.2f} (95% CI {ci}, p = {self.p_value:.3g}): {self.verdict}")


Volumes = Callable[[Scope], pd.DataFrame]


def _counts(volumes: Volumes, scope: Scope, windows) -> tuple[list[int], bool]:
    """Crimes in scope in each window, and whether every month of both windows is held."""
    frame = volumes(scope)
    per_month = frame.groupby("month")["crimes"].sum(min_count=1)
    complete = bool(per_month.notna().all()) and len(per_month) == scope.months
    totals = []
    for first, last in windows:
        inside = per_month[(per_month.index >= f"{first:%Y-%m}") & (per_month.index <= f"{last:%Y-%m}")]
        totals.append(int(inside.fillna(0).sum()))
    return totals, complete


def warehouse_volumes(warehouse_file) -> Volumes:
    """Monthly volumes read from the warehouse file (a product build passes its session's indicator instead)."""
    return lambda scope: monthly_volumes(warehouse_file, scope)


def first_whole_month(started_on: date) -> date:
    """The first month wholly after the start (the start month itself when the action started on its 1st)."""
    month = date(started_on.year, started_on.month, 1)
    return month if started_on.day == 1 else add_months(month, 1)


def measure(source, action: dict, latest_month: date) -> ActionChange:
    """The measured change of one action (a `tasking_action` row as a dict) up to `latest_month` (the latest month
    of street crime held for the force). `source`: the warehouse file, or a function giving monthly volumes for a
    scope (a product build's session)."""
    volumes = source if callable(source) else warehouse_volumes(source)
    types = tuple(json.loads(action["crime_types_json"]))
    area = None if action.get("area") is None or pd.isna(action.get("area")) else action["area"]
    started = pd.Timestamp(action["started_on"]).date()
    after_from = first_whole_month(started)
    place = area or f"whole force ({action['force']})"
    base = dict(action_id=action["action_id"], place=place, crime_types=types)
    if after_from > latest_month:
        return ActionChange(**base, measurable=False,
                            reason=f"no whole month of data since it started on {started:%Y-%m-%d} (latest month held "
                                   f"{latest_month:%Y-%m})")
    months = min(months_between(after_from, latest_month), WINDOW_MAX_MONTHS)
    after = (after_from, add_months(after_from, months - 1))
    before = (add_months(after_from, -months), add_months(after_from, -1))
    # A month that is neither wholly before nor wholly after (the start month, when mid-month) is left out.
    before = (before[0] if started.day == 1 else add_months(before[0], -1),
              before[1] if started.day == 1 else add_months(before[1], -1))
    target_scope = Scope.from_area_text(action["force"], before[0], after[1], area, types)
    (target_before, target_after), complete = _counts(volumes, target_scope, [before, after])
    if not complete:
        return ActionChange(**base, measurable=False, before=before, after=after,
                            reason=f"months missing from the data between {before[0]:%Y-%m} and {after[1]:%Y-%m}")
    if area is None:
        control_label, control_before, control_after, exposure = "no change (the action covers the whole force)", None, None, 1.0
    else:
        force_scope = Scope(action["force"], before[0], after[1], types)
        (force_before, force_after), _ = _counts(volumes, force_scope, [before, after])
        control_before, control_after = force_before - target_before, force_after - target_after
        control_label = "the same crime types in the rest of the force"
        if control_before <= 0 or control_after <= 0:
            return ActionChange(**base, measurable=False, before=before, after=after, target_before=target_before,
                                target_after=target_after,
                                reason="the rest of the force has no crimes of these types in one window, so there is "
                                       "no background trend to compare with")
        exposure = control_after / control_before
    test = compare_counts(target_after, target_before, exposure_ratio=exposure)
    if test.p_value < thresholds.ALPHA and test.rate_ratio < 1:
        verdict = f"a fall beyond {'the rest of the force' if area else 'chance'} (p < {thresholds.ALPHA})"
    elif test.p_value < thresholds.ALPHA:
        verdict = f"a rise beyond {'the rest of the force' if area else 'chance'} (p < {thresholds.ALPHA})"
    else:
        verdict = "no change beyond " + ("the rest of the force's trend" if area else "chance")
    return ActionChange(**base, measurable=True, reason="", before=before, after=after, target_before=target_before,
                        target_after=target_after, control_label=control_label, control_before=control_before,
                        control_after=control_after, expected_after=target_before * exposure,
                        rate_ratio=test.rate_ratio, ci_low=test.ci_low, ci_high=test.ci_high, p_value=test.p_value,
                        method=test.method + ("; exposure ratio = the rest of the force's after/before count"
                                              if area else "; exposure ratio 1"),
                        verdict=verdict)


def measure_meeting_actions(warehouse_file, meeting_id: str, latest_month: date) -> list[ActionChange]:
    """Every action of one meeting, measured: what 'actions from the last meeting' reports."""
    from tasks.tasking_loop.meetings import actions_of

    return [measure(warehouse_file, row, latest_month) for row in actions_of(warehouse_file, meeting_id).to_dict("records")]
