"""What changed since the previous tactical assessment: newly exceptional types, new local issues, new busiest
LSOAs and the count by type against the previous version's key figures."""
from __future__ import annotations

import json

from tasks.indicators import Scope
from tasks.products.common import ALL_CRIME, as_int
from tasks.products.engine import IndicatorSession, Lineage, ProductContext, SectionResult, Table
from tasks.render import number, signed


# The registry's latest version of this kind for the force before a time (any status but REJECTED); the same
# question as tasks.review.previous_version, asked on the build's read-only connection.
PREVIOUS_VERSION_SQL = """
SELECT v.version_id, v.status, v.key_figures_json FROM product_version v JOIN product p USING (product_id)
WHERE p.kind = $kind AND p.force = $force AND v.created_at < $before AND v.status <> 'REJECTED'
ORDER BY v.created_at DESC LIMIT 1
"""


def previous_figures(session: IndicatorSession, kind: str, force: str, before) -> dict | None:
    found = session.df(PREVIOUS_VERSION_SQL, {"kind": kind, "force": force, "before": before})
    if found.empty or not found["key_figures_json"].iloc[0]:
        return None
    row = found.iloc[0]
    figures = json.loads(row["key_figures_json"])
    figures["version_id"] = row["version_id"]
    figures["status"] = row["status"]
    return figures


def tactical_key_figures(ctx: ProductContext) -> dict:
    """The figures stored with a tactical assessment and compared by the next one."""
    total = ctx.fact("current_picture", "total")
    by_type = ctx.fact("current_picture", "by_type")
    local = ctx.fact("local_emerging", "local")
    return {
        "period_end": ctx.latest.strftime("%Y-%m"),
        "total": as_int(total["crimes"]),
        "by_type": {r.crime_type: as_int(r.crimes) for r in by_type.itertuples(index=False)},
        "exceptional": ctx.fact("exceedance", "exceptional", []),
        "elevated": ctx.fact("exceedance", "elevated", []),
        "local_issues": [] if local is None else [f"{r.crime_type} in {r.lsoa_code}" for r in local.itertuples(index=False)],
        "top_lsoas": ctx.fact("hotspots", "top_lsoas", []),
    }


def compare(key_figures: dict, previous: dict | None) -> tuple[list[str], list[list[str]]]:
    """Sentences and table rows comparing this assessment's key figures with the previous version's."""
    if previous is None:
        return ["No earlier tactical assessment for this force is stored, so there is nothing to compare with: this "
                "is the first."], []
    lines = [f"Compared with {previous['version_id']} ({previous['status']}), which assessed {previous['period_end']}."]
    new_exc = sorted(set(key_figures["exceptional"]) - set(previous.get("exceptional", [])))
    gone_exc = sorted(set(previous.get("exceptional", [])) - set(key_figures["exceptional"]))
    lines.append("Newly exceptional: " + (", ".join(new_exc) if new_exc else "none") +
                 ". No longer exceptional: " + (", ".join(gone_exc) if gone_exc else "none") + ".")
    new_local = [i for i in key_figures["local_issues"] if i not in previous.get("local_issues", [])]
    lines.append("New local emerging issues: " + (", ".join(new_local) if new_local else "none") + ".")
    new_lsoas = [c for c in key_figures["top_lsoas"] if c not in previous.get("top_lsoas", [])]
    lines.append("LSOAs new to the five busiest: " + (", ".join(new_lsoas) if new_lsoas else "none") + ".")
    rows = []
    for crime_type in sorted(set(key_figures["by_type"]) | set(previous.get("by_type", {}))):
        now, then = key_figures["by_type"].get(crime_type), previous.get("by_type", {}).get(crime_type)
        rows.append([crime_type, number(then), number(now), signed(now - then) if now is not None and then is not None else "–"])
    before, now = previous.get("total"), key_figures["total"]
    rows.append([ALL_CRIME, number(before), number(now), signed(now - before) if before is not None and now is not None else "–"])
    return lines, rows


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    key_figures = tactical_key_figures(ctx)
    previous = previous_figures(session, ctx.kind, ctx.force, ctx.created_at)
    lines, rows = compare(key_figures, previous)
    items = []
    if previous is not None:
        items.append(Table(
            "what_changed",
            f"Crimes by type: this assessment ({key_figures['period_end']}) against {previous['version_id']} "
            f"({previous['period_end']})",
            [("Crime type", "text"), ("Previous assessment", "num"), ("This assessment", "num"), ("Change", "num")], rows,
            Lineage("product_version.key_figures_json (previous) and tasks.indicators.period_change (this)",
                    {"previous_version": previous["version_id"], "this_period": ctx.latest})))
    return SectionResult("What changed since the previous tactical assessment", lines, items,
                         facts={"key_figures": key_figures})
