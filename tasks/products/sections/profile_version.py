"""A profile kept up to date (tasks/tasking_loop/profiles.py): which version this is of the profile its agreed
terms of reference asked for, and what changed since the last version. The change lines are computed before the
build from the stored figures of the last version and passed in the plan's options."""
from __future__ import annotations

from tasks.indicators import Scope
from tasks.products.engine import IndicatorSession, ProductContext, SectionResult

OPTION = "profile_version"


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    given = ctx.options.get(OPTION)
    if not given:
        return SectionResult("What changed since the last version", shown=False)
    paragraphs = [f"{given['heading']}, drafted from {given['tor_id']}. This profile is re-drafted each tactical cycle "
                  "until it is closed (resolved, apprehended, protected or withdrawn)."] + list(given["changes"])
    return SectionResult("What changed since the last version", paragraphs=paragraphs,
                         facts={"profile_id": given["profile_id"], "version": given["version"]})
