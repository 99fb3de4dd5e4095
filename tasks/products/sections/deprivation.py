"""Place and deprivation: concentration of crime across LSOAs, the busiest LSOAs with their residents, and crime
rates by IMD decile with a Spearman correlation."""
from __future__ import annotations

import pandas as pd

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.products.common import TOP_N, concentration_text, resident_caveat
from tasks.products.engine import Figure, Gap, IndicatorSession, Lineage, ProductContext, SectionResult, Table
from tasks.stats import thresholds as T
from tasks.render import number, p_text, percent


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    params = scope_params(scope)
    lsoas = session.indicator("lsoa_counts", scope)
    concentration = session.indicator("concentration", scope)
    deprivation = session.indicator("deprivation", scope)
    correlation = session.indicator("deprivation_correlation", scope)
    items, lines = [], []
    conc = concentration.set_index("unit")
    if "lsoa" in conc.index and pd.notna(conc.loc["lsoa", "top_10pct_share"]):
        c = conc.loc["lsoa"]
        lines.append(f"Over the last 12 months {concentration_text(c)}.")
    if "location" in conc.index and pd.notna(conc.loc["location", "top_5pct_share"]):
        c = conc.loc["location"]
        lines.append(f"The busiest 5% of published locations ({number(c['top_5pct_units'])}) held "
                     f"{percent(c['top_5pct_share'])} of located crime.")
    findings = lines[:1]
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N)
    label = period_text(scope.period_from, scope.period_to)
    items.append(Table(
        "place_lsoas", f"LSOAs with most crime, {label}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Residents", "num"), ("Rate per 1,000 residents", "num"),
         ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.population), number(r.rate_per_1000, 1),
          number(r.imd_decile)] for r in top_lsoas.itertuples(index=False)],
        Lineage("tasks.indicators.lsoa_counts", params, lsoas, "lsoa_counts"),
        note="Rate per 1,000 residents: the LSOA's crimes over the 12 months divided by its mid-2015 residents "
             "(IoD 2019), times 1,000. Residents only: workers, shoppers and visitors are not in the denominator."))
    caveat = resident_caveat(lsoas, scope.months)
    gaps = []
    if caveat:
        lines.append(caveat)
        findings.append(caveat)
        gaps.append(Gap("Residents are not the population at risk", caveat.split(":", 1)[1].strip().split(".")[0] + ".",
                        "Rates per 1,000 residents overstate risk; deprivation deciles describe where few people live."))
    corr = correlation.iloc[0]
    residents = int(corr["lsoas"]) if pd.notna(corr["lsoas"]) else 0
    enough = residents >= T.MIN_LSOAS_FOR_DEPRIVATION
    imd = deprivation[deprivation["domain"] == "imd"].sort_values("decile")
    if not enough:
        lines.append(f"Crime is not related to deprivation here: only {number(residents)} LSOAs with residents are in "
                     f"scope, fewer than the {T.MIN_LSOAS_FOR_DEPRIVATION} needed. With so few, each deprivation decile "
                     "holds a handful of places, so a decile chart or a correlation would describe those places, not a "
                     "relationship.")
    if enough and not imd.empty:
        items.append(Figure(
            "deprivation_chart", "Crime rate per 1,000 residents by IMD 2019 decile (1 = most deprived 10% in England): "
            "the decile's crimes over 12 months divided by its LSOAs' mid-2015 residents",
            lambda path: charts.horizontal_bars(
                path, [f"decile {d} ({n} LSOA{'s' if n != 1 else ''})" for d, n in zip(imd["decile"], imd["lsoas"])],
                imd["rate_per_1000"].tolist(), title="Crime rate by deprivation decile",
                xlabel="crimes per 1,000 residents (12 months)", value_format="{:,.0f}"),
            Lineage("tasks.indicators.deprivation", {**params, "domain": "imd"}, deprivation, "deprivation")))
    data = {}
    if enough and pd.notna(corr["spearman_rho"]):
        strength = "no clear" if corr["spearman_p"] >= 0.05 else ("a" if abs(corr["spearman_rho"]) < 0.3 else "a marked")
        direction = "" if corr["spearman_p"] >= 0.05 else (" (more crime where deprivation is higher)"
                                                             if corr["spearman_rho"] < 0 else " (more crime where deprivation is lower)")
        lines.append(f"Across {number(corr['lsoas'])} LSOAs there is {strength} relationship between crime rate and "
                     f"deprivation{direction}: Spearman rho = {number(corr['spearman_rho'], 2)}, {p_text(corr['spearman_p'])}.")
        data["deprivation_correlation"] = correlation
    elif enough:
        lines.append("Too few LSOAs with residents to relate crime to deprivation.")
    return SectionResult("Place and deprivation", lines, items, findings=findings, data=data, gaps=gaps)
