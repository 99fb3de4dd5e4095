"""Crimes the force published in LSOAs outside its own area, by the neighbouring force area each point falls
in (tasks.indicators.out_of_force). Feeds the intelligence gaps (the gaps section reads `facts["text"]`); it prints
no section of its own."""
from __future__ import annotations

from tasks.indicators import Scope
from tasks.indicators.out_of_force import out_of_force_in
from tasks.products.engine import IndicatorSession, ProductContext, SectionResult
from tasks.render import number


def resolution_text(table) -> str:
    """'by the force area their point falls in: Metropolitan Police 34 (1 at points in no force area, nearest to
    it)'."""
    if table.empty or table["force_area_code"].isna().all():
        return ""
    parts = []
    named = table.assign(nearest=table["crimes"].where(table["resolved_by"] == "nearest", 0))
    for name, group in named.groupby("force_area_name", sort=False):
        nearest = int(group["nearest"].sum())
        parts.append(f"{name} {number(int(group['crimes'].sum()))}"
                     + (f" ({number(nearest)} at points in no force area, nearest to it)" if nearest else ""))
    return "by the force area their point falls in: " + ", ".join(parts)


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    if scope.area_kind != "force":
        return SectionResult("Out-of-force crimes", body=False)
    table = session.memo(("out_of_force", scope), lambda: out_of_force_in(session.scoped(scope)))
    return SectionResult("Out-of-force crimes", body=False, data={"out_of_force": table},
                         facts={"table": table, "text": resolution_text(table)})
