"""The first page a chair reads: what changed, how sure we are, and what to do.

Reads every earlier section's `changes` (tasks.products.engine.Change) and the recommendations section; ranks
every adjusted-significant rise or fall by harm (CCHI days of the difference, largest first, whatever its
direction), each with its confidence in PHIA words; sets the CompStat view beside it; and names the top draft
recommendations. Its findings (one sentence per change, in harm order) open the key findings. The composer prints
it before the terms of reference (`body=False`: it is not a numbered body section).
"""
from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from tasks.indicators import Scope
from tasks.products.common import ALL_CRIME, MONTH_NAMES, types_phrase
from tasks.products.engine import Change, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number, p_text, signed

KEY = "first_page"
TOP_ACTIONS = 3
HEADINGS = {"tactical": "This fortnight: what changed and what to do",
            "strategic": "This half-year: what changed and what to do"}


def ranked(changes: list[Change]) -> list[Change]:
    """The adjusted-significant changes of crime types (not 'All crime'), one per subject, measure and place, the
    most harm first (absolute CCHI days, so a large fall ranks with a large rise); ties keep section order."""
    kept: dict[tuple, Change] = {}
    for change in changes:
        if not change.significant or change.subject == ALL_CRIME:
            continue
        kept.setdefault((change.subject.lower(), change.measure, change.place), change)
    return sorted(kept.values(), key=lambda c: -abs(c.harm_days))


def headline_changes(changes: list[Change]) -> list[Change]:
    """The adjusted-significant changes of all crime together, in section order."""
    return [c for c in changes if c.significant and c.subject == ALL_CRIME]


def size(change: Change) -> str:
    """'rose 80%' / 'fell 25%' / 'rose from none to 6'."""
    if change.expected == 0:
        return f"rose from none to {number(change.observed)}"
    percent = (change.observed - change.expected) * 100.0 / change.expected
    shown = f"{abs(percent):.1f}%" if abs(percent) < 1 else f"{abs(percent):.0f}%"
    return f"{'rose' if change.direction == 'rise' else 'fell'} {shown}"


def interval(change: Change) -> str:
    return f"rate ratio {number(change.ratio, 2)}, 95% CI {number(change.ci_low, 2)} to {number(change.ci_high, 2)}"


def subject_text(change: Change) -> str:
    return change.subject + (f" in {change.place}" if change.place else "")


def citable(ctx: ProductContext) -> set[str]:
    """Keys of the tables and figures the product prints (the first page's and the shown body sections'): a change
    cites its table only when it is printed."""
    printed = [r for name, r in ctx.results.items() if (r.body and r.shown) or name == "compstat"]
    return {item.key for r in printed for item in r.items}


def cite(change: Change, keys: set[str]) -> str:
    return f" ({ref(change.ref_key)})" if change.ref_key in keys else ""


def mid_sentence(text: str) -> str:
    """A measure as it reads inside a sentence: 'Year to date ...' -> 'year to date ...'; month names keep capitals."""
    first = text.split(" ", 1)[0].split("-", 1)[0]
    return text if first in MONTH_NAMES else text[:1].lower() + text[1:]


def sentence(change: Change, keys: set[str]) -> str:
    """One key finding: what, how much, over what, how sure, how much harm, and what to bear in mind."""
    where = cite(change, keys).strip()[1:-1]
    details = [interval(change)] + ([f"adjusted {p_text(change.p_adjusted)}"] if change.p_adjusted is not None else []) \
        + ([where] if where else [])
    text = (f"{subject_text(change)} {size(change)}, {mid_sentence(change.measure)}: "
            f"{number(change.observed)} against {number(change.expected)} ({'; '.join(details)}). "
            f"It is {change.confidence} that this is a real {change.direction}; "
            f"{signed(change.harm_days)} harm days (CCHI).")
    return text + (f" {change.caveat[:1].upper() + change.caveat[1:]}." if change.caveat else "")


def changes_table(changes: list[Change], keys: set[str], params: dict) -> Table:
    """One row per change, most harm first; a caveat becomes a numbered note under the table, so every row stays
    one or two lines high."""
    frame = pd.DataFrame([asdict(c) for c in changes])
    caveats = list(dict.fromkeys(c.caveat for c in changes if c.caveat))
    marks = {text: f" (note {n})" for n, text in enumerate(caveats, start=1)}
    notes = " ".join(f"Note {n}: {text[:1].upper() + text[1:]}." for n, text in enumerate(caveats, start=1))
    return Table(
        "first_page_changes", "What changed: every adjusted-significant rise or fall, most harm first",
        [("#", "num"), ("What changed", "text"), ("Compared", "text"), ("Now", "num"), ("Before", "num"),
         ("Rate ratio (95% CI)", "num"), ("How sure", "text"), ("Harm (CCHI days)", "num")],
        [[str(n), f"{subject_text(c)}: {c.direction}",
          c.measure + cite(c, keys) + marks.get(c.caveat, ""),
          number(c.observed), number(c.expected),
          f"{number(c.ratio, 2)} ({number(c.ci_low, 2)}-{number(c.ci_high, 2)})", c.confidence, signed(c.harm_days)]
         for n, c in enumerate(changes, start=1)],
        Lineage("every section's tested changes (tasks.products.engine.Change), ranked by harm", params, frame,
                "first_page_changes"),
        note="Before: the same period a year earlier, the previous period, or the expected level, as 'Compared' says, "
             "in the same units as 'Now'. How sure: the chance that the change is real rather than chance variation, "
             "on the PHIA probability yardstick. Harm: Cambridge Crime Harm Index days of the difference "
             "(docs/harm.md); ranked by its size, rises and falls together." + (f" {notes}" if notes else ""),
        css="changes")


def _currency(ctx: ProductContext) -> str:
    as_at = ctx.fact("compstat", "as_at")
    published = f"Published data runs to {ctx.latest:%B %Y}, the latest month released"
    if not ctx.fact("compstat", "days_view", False):
        return published + "."
    if as_at is None:
        return (published + ". Published data is monthly: no comparison of the last 28 days is possible until the "
                "force's own records (exact dates) are loaded.")
    return published + f"; the force's own records run to {as_at:%d %B %Y} (the last complete day)."


def _overview(ranked_changes: list[Change]) -> str:
    if not ranked_changes:
        return ("No crime type rose or fell significantly in any comparison on this page (after adjusting for the "
                "number of crime types tested): the counts alone call for no change of course.")
    rises = sum(c.direction == "rise" for c in ranked_changes)
    falls = len(ranked_changes) - rises
    parts = [f"{rises} rise{'s' if rises != 1 else ''}"] * bool(rises) + [f"{falls} fall{'s' if falls != 1 else ''}"] * bool(falls)
    return (f"{len(ranked_changes)} adjusted-significant change{'s' if len(ranked_changes) != 1 else ''} "
            f"({' and '.join(parts)}), the most harmful first in {ref('first_page_changes')}; "
            f"{types_phrase([ranked_changes[0].subject])} heads the list.")


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    everything = [c for name, result in ctx.results.items() if name != KEY for c in result.changes]
    ranking, headline = ranked(everything), headline_changes(everything)
    recommendations = ctx.results["recommendations"].recommendations if "recommendations" in ctx.results else []
    params = {"force": ctx.force, "latest": ctx.latest.strftime("%Y-%m"),
              "sections": [name for name, result in ctx.results.items() if result.changes]}
    keys = citable(ctx)
    items = [changes_table(ranking, keys, params)] if ranking else []
    compstat = ctx.results.get("compstat")
    views = [item for item in compstat.items] if compstat is not None else []
    items += views
    paragraphs = [_currency(ctx)] + [sentence(c, keys) for c in headline] + [_overview(ranking)]
    return SectionResult(
        HEADINGS.get(ctx.kind, "What changed and what to do"), paragraphs, items,
        findings=[sentence(c, keys) for c in headline + ranking], body=False,
        facts={"ranked": ranking, "actions": list(recommendations[:TOP_ACTIONS]), "views": [v.key for v in views],
               "recommendations": len(recommendations)})
