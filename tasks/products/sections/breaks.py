"""Breaks in the data: level shifts and likely recording breaks in the monthly series of every crime type in
scope over the product's window (tasks.stats.breaks). They print nowhere as a section of their own: each becomes
an intelligence gap (what changed and when) and the method joins sources and methods; the indicators already
refuse to call a comparison across a break significant or exceptional."""
from __future__ import annotations

from tasks.indicators import Scope
from tasks.indicators.volume import monthly_series
from tasks.products.engine import Gap, IndicatorSession, ProductContext, SectionResult
from tasks.indicators.scope import add_months
from tasks.stats.breaks import METHOD, RECORDING_BREAK, breaks_between


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    # Searched on every month held (as the indicators do), reported when the new level starts inside the window.
    series = monthly_series(session.scoped(scope), scope.period_to)
    gaps, found = [], {}
    for crime_type, counts in sorted(series.items()):
        for b in breaks_between(counts, add_months(ctx.first, 1), scope.period_to):
            found.setdefault(crime_type, []).append(b)
            gaps.append(Gap(
                f"{'Likely recording break' if b.kind == RECORDING_BREAK else 'Change in level'}: {crime_type}",
                b.describe()[:1].upper() + b.describe()[1:],
                ("Probably a change in recording or data supply, not in crime: " if b.kind == RECORDING_BREAK else
                 "The series changed level: ")
                + "no comparison across it is called significant or exceptional; ask the force what changed."))
    methods = []
    if found:
        methods.append(f"Breaks: every monthly series was searched for level shifts and recording breaks ({METHOD}). "
                       "A comparison or baseline that spans one is not called significant or exceptional; each break "
                       "is listed as an intelligence gap.")
    else:
        methods.append(f"Breaks: every monthly series was searched for level shifts and recording breaks ({METHOD}); "
                       "none was found in the months used.")
    return SectionResult("Breaks in the data", gaps=gaps, methods=methods, body=False, facts={"breaks": found})
