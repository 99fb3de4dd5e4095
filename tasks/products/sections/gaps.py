"""Intelligence gaps: what is missing from the data behind this product and what that does to it.

Every section states its own gaps (a baseline not held, months missing); this section adds the gaps every
product shares (incomplete months, rejected files, unchecked files, crimes without a location or outside the
area, reference data, lag, what police-recorded data never hold) and returns the full list, in section order.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from tasks.draft import completeness_gaps, data_lag_months, month_label
from tasks.indicators import Scope
from tasks.products.common import sentence
from tasks.products.engine import Gap, IndicatorSession, ProductContext, SectionResult
from tasks.render import number, percent

REFERENCE_EFFECTS = {
    "iod-population": "no residents, so no rates per 1,000",
    "iod-imd": "no Index of Multiple Deprivation, so no deprivation analysis",
    "iod-domains": "no deprivation domains",
    "lsoa-lookup": "2021 LSOA codes cannot be matched to the 2011 reference data",
}


def common_gaps(warehouse_file, force: str, first: date, last: date, sources,
                lsoas: pd.DataFrame | None) -> tuple[list[Gap], str]:
    """Gaps every product states: incomplete months, rejected batches, no-location and out-of-force rows, lag."""
    gaps: list[Gap] = []
    incomplete, check, explained = completeness_gaps(warehouse_file, force, first, last)
    for what, status, detail in incomplete:
        gaps.append(Gap(f"Incomplete data: {what}", f"{status}: {detail}",
                        "Counts for that month are understated or absent; comparisons that include it are unreliable."))
    for r in sources.rejected.itertuples(index=False):
        if r.batch_id in explained:  # already stated as that month's gap
            continue
        gaps.append(Gap(f"File {r.status}: {r.kind} {r.month}", f"{Path(str(r.path)).name}: {r.error}",
                        "The earlier version of this month is used; the rejected file's rows are in no figure here."
                        if r.earlier_version_used else "Its rows are not in the warehouse and not in any figure here."))
    if sources.validation is None or sources.validation.empty:
        gaps.append(Gap("Quality checks not evidenced", "No quality-gate results are recorded for the files used",
                        "Completeness and validity of the rows rest on the publisher; read the figures with that caution."))
    counts = sources.no_location
    if counts["crimes"]:
        share = counts["no_location"] / counts["crimes"]
        gaps.append(Gap("Crimes with no location",
                        f"{number(counts['no_location'])} of {number(counts['crimes'])} street crimes in "
                        f"{counts['period']} ({percent(share)}) were published without coordinates",
                        "They count in force totals but cannot be mapped or placed in an LSOA, hotspot or repeat location."))
    # Which LSOAs are the force's own needs the reference data; without it every LSOA would look "outside".
    if lsoas is not None and not lsoas.empty and lsoas["in_area_population"].astype(bool).any():
        outside = lsoas.loc[~lsoas["in_area_population"].astype(bool), "crimes"].sum()
        total = lsoas["crimes"].sum()
        if total:
            gaps.append(Gap("Crimes snapped outside the force area",
                            f"{number(outside)} of {number(total)} located crimes ({percent(outside / total)}) fall in LSOAs "
                            "outside the force's own local authorities",
                            "Published locations are snapped to map points that can cross boundaries; these crimes are "
                            "counted but have no residents in the rate base."))
    missing_reference = [kind for kind in REFERENCE_EFFECTS if kind not in set(sources.reference["kind"])]
    if missing_reference:
        gaps.append(Gap("Reference data not loaded", "Not loaded: " + ", ".join(missing_reference),
                        sentence("; ".join(REFERENCE_EFFECTS[k] for k in missing_reference))))
    held = sources.coverage.set_index("kind")
    for kind, effect in (("outcomes", "Outcome figures cannot be given."),
                         ("stop and search", "Stop and search cannot be described.")):
        if pd.isna(held.loc[kind, "first_month"]):
            gaps.append(Gap(f"No {kind} data", f"The warehouse holds no {kind} files for this force", effect))
    lag = data_lag_months(last)
    gaps.append(Gap("Publication lag", f"The latest month used is {month_label(last)}, {lag} months before this product "
                    "was drafted; data.police.uk publishes each month about two months after it ends",
                    "Anything that happened since is not in these figures: add current force and partner information."))
    gaps.append(Gap("Police-recorded crime only", "The data are crimes and ASB as recorded and published by the police; "
                    "unreported crime, victim and offender details, times of day and modus operandi are not published",
                    "Victim and offender analysis and time-of-day patterns need force systems (RMS, command and control)."))
    return gaps, check


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """Earlier sections' gaps first, then the shared ones, over the product's window (ctx.first..ctx.latest)."""
    lsoas = session.indicator("lsoa_counts", scope)
    shared, check = common_gaps(session.warehouse_file, ctx.force, ctx.first, scope.period_to, ctx.sources, lsoas)
    earlier = [g for result in ctx.results.values() for g in result.gaps]
    return SectionResult("Intelligence gaps", gaps=earlier + shared, body=False, facts={"check": check})
