"""Emerging hot spots by LSOA: every LSOA of the area classed over the same months as the grid cells of the
emerging_hotspots section (tasks.indicators.lsoa_emerging: monthly Gi* on queen contiguity, the same class rules),
as a table beside the grid's and the classes drawn on the LSOA boundary map. Without LSOA boundaries, one line."""
from __future__ import annotations

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.lsoa_emerging import lsoa_emerging_in
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.products.maps import layers_for
from tasks.products.sections.emerging_hotspots import SHOWN, TABLE_ROWS, emerging_window
from tasks.render import number, p_text
from tasks.stats import thresholds as T
from tasks.stats.emerging import is_emerging, pattern_counts

TITLE = "Emerging hot spots by LSOA"
METHOD = (f"LSOA emerging hot spot classes: Getis-Ord Gi* each month on binary queen-contiguity neighbours of the "
          f"LSOA polygons (the LSOA itself included), hot at z >= {T.HOT_SPOT_Z:g} (95%, uncorrected, as for the "
          f"grid cells), classed by the grid's rules (hot in {T.PERSISTENT_SHARE:.0%} of months, a Mann-Kendall trend "
          f"at p < {T.TREND_ALPHA:g} on the monthly z-scores)")


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    window = emerging_window(scope, ctx)
    span = period_text(window.period_from, window.period_to)
    layers, geography = layers_for(session, window)
    if geography.lsoas.empty:
        return SectionResult(TITLE, ["No LSOA boundaries are held for this area (tasking ingest-reference with the "
                                     "ONS LSOA boundary files), so LSOAs are not classed; the grid cells stand alone."])
    classified = session.memo(("lsoa_emerging", window), lambda: lsoa_emerging_in(session.scoped(window)))
    if classified.empty:
        return SectionResult(TITLE, [f"LSOAs are classed over at least {T.EMERGING_MIN_MONTHS} months of crime; "
                                     f"fewer are held for {span}."])
    counts = pattern_counts(classified)
    shown = classified[classified["pattern"].isin(SHOWN)]
    if shown.empty:
        # An empty map and table would fill a page to say nothing: one line. (A handful of LSOAs, such as the City
        # of London's six, are each other's neighbours, so none stands out with its neighbourhood.)
        return SectionResult(TITLE, [f"None of the {number(len(classified))} LSOAs of the area was a Gi* hot spot in "
                                     f"the last month or in most months of {span}, so none is classed."],
                             methods=[METHOD + "."], facts={"classified": classified, "counts": counts})
    ordered = shown.sort_values(["pattern", "hot_months", "crimes"], ascending=[True, False, False]).head(TABLE_ROWS)
    params = {**scope_params(window), "hot_z": T.HOT_SPOT_Z, "trend_alpha": T.TREND_ALPHA}
    lineage = Lineage("tasks.indicators.lsoa_emerging", params, classified, "lsoa_emerging_hotspots")
    # The table's rows are numbered on the map, as for the grid cells.
    number_of = {code: str(i) for i, code in enumerate(ordered["lsoa_code"], start=1)}
    pattern_of = dict(zip(classified["lsoa_code"], classified["pattern"].astype(str)))
    lsoas = geography.lsoas
    polygons = list(lsoas["geometry"])
    patterns = [pattern_of.get(code, "no pattern detected") for code in lsoas["code"]]
    labels = [number_of.get(code, "") for code in lsoas["code"]]
    figure = Figure(
        "lsoa_emerging_map", f"Emerging hot spot classes of LSOAs, {span}",
        lambda path: charts.emerging_lsoa_map(path, polygons, patterns, title="Emerging hot spot classes of LSOAs",
                                              labels=labels, layers=layers),
        Lineage("tasks.indicators.lsoa_emerging", params, None, "lsoa_emerging_hotspots"),
        note=f"Numbers: the rows of {ref('lsoa_emerging_hotspots')}. Grey lines: LSOA boundaries; LSOAs with no "
             "pattern are not filled.")
    table = Table(
        "lsoa_emerging_hotspots", f"Emerging hot spot LSOAs, {span}: the classes a tasking group should hear about first",
        [("#", "num"), ("LSOA", "text"), ("Name", "text"), ("Local authority", "text"), ("Class", "text"),
         ("Months hot", "num"), ("Trend in Gi*", "text")],
        [[str(i), r.lsoa_code, r.lsoa_name, r.local_authority, str(r.pattern), f"{r.hot_months} of {r.months}",
          f"{r.trend} ({p_text(r.trend_p)})"] for i, r in enumerate(ordered.itertuples(index=False), start=1)],
        lineage, flags=[is_emerging(str(p)) for p in ordered["pattern"]],
        note="LSOAs per class: " + ", ".join(f"{p} {c}" for p, c in zip(counts["pattern"], counts["cells"]) if c)
             + f". Method: {METHOD}.",
        empty="No LSOA was a hot spot in this window.")
    emerging = ordered[ordered["pattern"].isin(["new", "consecutive", "intensifying"])]
    paragraphs = [
        f"The {number(len(classified))} LSOAs of the area were classed the same way over {span} "
        f"({ref('lsoa_emerging_map')}, {ref('lsoa_emerging_hotspots')}): a hot spot is an LSOA whose crimes, with its "
        "neighbours', are high that month, so it reads beside the grid cells as the same pattern on areas a "
        "partner agency knows."]
    findings = []
    if not emerging.empty:
        names = ", ".join(f"{r.lsoa_name} ({r.pattern})" for r in emerging.head(3).itertuples(index=False))
        text = f"Emerging hot spot LSOAs: {names} ({ref('lsoa_emerging_hotspots')})."
        paragraphs.append(text)
        findings.append(text)
    return SectionResult(TITLE, paragraphs, [figure, table], findings=findings, methods=[METHOD + "."],
                         facts={"classified": classified, "counts": counts})
