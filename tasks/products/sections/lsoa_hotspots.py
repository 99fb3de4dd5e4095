"""LSOA hot spots: Getis-Ord Gi* over the area's LSOAs on queen contiguity, corrected for multiple testing
(tasks.indicators.lsoa_gistar), beside the 250 m grid of the hotspots section."""
from __future__ import annotations

from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.lsoa_gistar import GI_FDR_ALPHA, METHOD, lsoa_gi_star_in
from tasks.products.common import TOP_N
from tasks.products.engine import Gap, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number

TITLE = "LSOA hot spots (Gi*, corrected for multiple testing)"


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    gi = session.memo(("lsoa_gi_star", scope), lambda: lsoa_gi_star_in(session.scoped(scope)))
    label = period_text(scope.period_from, scope.period_to)
    if gi.empty:
        return SectionResult(TITLE, shown=False, gaps=[Gap(
            "No LSOA boundaries held", "No LSOA polygons are loaded for this area (tasking ingest-reference with the "
            "ONS LSOA boundary files)", "LSOA-level hot spots (Gi* on neighbouring LSOAs) cannot be computed; the "
            "grid hot spots stand alone.")])
    hot = gi[gi["gi_class"] == "hot spot"]
    unadjusted = int((gi["gi_class_unadjusted"] == "hot spot").sum())
    shown = hot.head(TOP_N)
    table = Table(
        "lsoa_gi_star", f"LSOAs that are Gi* hot spots after correction for multiple testing, {label}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Neighbours", "num"), ("Gi* z", "num"),
         ("q (FDR)", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.neighbours), number(r.gi_z, 1),
          f"{r.q_value:.2g}"] for r in shown.itertuples(index=False)],
        Lineage("tasks.indicators.lsoa_gistar", {**scope_params(scope), "fdr_alpha": GI_FDR_ALPHA}, gi, "lsoa_gi_star"),
        note=METHOD + ". Neighbours: LSOAs sharing a boundary or corner. A hot spot LSOA is one whose crimes, with its "
             "neighbours', are more than chance would give; it may hold few crimes itself.",
        empty=f"No LSOA is a Gi* hot spot once the false discovery rate is held at {GI_FDR_ALPHA:g}.")
    paragraphs = [
        f"Over the {number(len(gi))} LSOAs of the area, {number(len(hot))} are hot spots with their neighbours once the "
        f"false discovery rate is held at {GI_FDR_ALPHA:g} ({ref('lsoa_gi_star')}); an uncorrected test at the same "
        f"level would have called {number(unadjusted)}."]
    findings = []
    if not hot.empty:
        first = hot.iloc[0]
        paragraphs.append(f"The strongest is {first['lsoa_name']} ({first['lsoa_code']}): {number(first['crimes'])} "
                          f"crimes, Gi* z = {number(first['gi_z'], 1)}.")
        findings.append(paragraphs[0])
    return SectionResult(TITLE, paragraphs, [table], findings=findings, methods=[METHOD],
                         facts={"hot": hot["lsoa_code"].tolist()})
