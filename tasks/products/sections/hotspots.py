"""Hotspots and their change: kernel density, Getis-Ord Gi* hot spots as separate local peaks, their change on
the previous period, and the LSOAs with most crime.

`tactical`: the assessment month against the previous month. `profile_location`: VOLT's L for a problem
profile (map, hot spots, repeat locations, LSOAs)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tasks import charts
from tasks.draft import month_label, period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.scope import add_months
from tasks.products.common import (HOTSPOT_MIN_CRIMES, TOP_N, concentration_text, findable_place, first_value, harm_days_at, hotspot_peaks,
                                   is_generic_point, kde_surface, place_name, resident_caveat)
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, Recommendation, SectionResult, Table, ref
from tasks.products.maps import hotspot_places, layers_for, map_note
from tasks.render import number, percent, signed


def _map(key: str, located: pd.DataFrame, spots: pd.DataFrame, kde: pd.DataFrame, hot: pd.DataFrame, params: dict,
         caption: str, title: str, table_key: str, layers) -> Figure:
    cell_size = int(hot["cell_size_m"].iloc[0]) if not hot.empty else 0
    return Figure(
        key, f"{caption}, kernel density and the hot spots of {ref(table_key)}",
        lambda path: charts.hotspot_map(path, np.repeat(located["longitude"], located["crimes"]),
                                        np.repeat(located["latitude"], located["crimes"]),
                                        list(zip(spots["longitude"], spots["latitude"], spots["label"])),
                                        title=title, density=kde_surface(kde), layers=layers),
        Lineage("tasks.indicators.kde_grid; tasks.indicators.hotspots; boundaries (tasks.indicators.geography)",
                {**params, "kde_cell_m": first_value(kde, "cell_size_m"), "bandwidth_m": first_value(kde, "bandwidth_m"),
                 "gi_cell_m": cell_size}, kde, "kde_grid"),
        note=map_note(layers))


def _named_spots(session: IndicatorSession, scope: Scope, spots: pd.DataFrame, cell_size: int) -> pd.DataFrame:
    """The hot spots with the street and LSOA a reader can find (`around` becomes that street)."""
    spots = hotspot_places(session, scope, spots, cell_size or 250)
    # `prefer`: the street alone, for the place a recommendation names ("near" is the map's and table's word).
    prefer = [None if s == "no named street" else s.removeprefix("near ") for s in spots["street"]]
    return spots.assign(around=spots["street"], prefer=prefer)


def _lsoa_text(spot) -> str:
    return f"{spot.lsoa_name} ({spot.lsoa_code})" if spot.lsoa_name else spot.lsoa_code


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    latest = ctx.latest
    previous_month = add_months(latest, -1)
    params = scope_params(scope)
    kde, hot = session.indicator("kde_grid", scope), session.indicator("hotspots", scope)
    hot_change = session.indicator("hotspot_change", scope)
    lsoas = session.indicator("lsoa_counts", scope)
    concentration = session.indicator("concentration", scope)
    lsoas_before = session.indicator("lsoa_counts", scope.shifted(previous_month, previous_month))
    located = session.indicator("repeat_locations", scope, min_months=1).sort_values("crimes", ascending=False)
    cell_size = int(hot["cell_size_m"].iloc[0]) if not hot.empty else 0
    spots = _named_spots(session, scope, hotspot_peaks(hot, located, TOP_N), cell_size)
    status_of = {(r.cell_x, r.cell_y): r.status for r in hot_change.itertuples(index=False)}
    spots["status"] = [status_of.get(k, "–") for k in zip(spots["cell_x"], spots["cell_y"])]
    layers, _ = layers_for(session, scope)
    map_figure = _map("hotspot_map", located, spots, kde, hot, params, f"Located crimes in {month_label(latest)}",
                      f"Located crimes and hot spots, {month_label(latest)}", "hotspots", layers)
    hotspot_table = Table(
        "hotspots",
        f"Hot spots, {month_label(latest)}: the busiest {cell_size} m cells that are Getis-Ord Gi* hot spots at 99%, "
        f"at least {2 * cell_size} m apart and holding {HOTSPOT_MIN_CRIMES} or more crimes",
        [("#", "num"), ("Street (of the busiest published point, or near)", "text"), ("LSOA", "text"),
         ("Crimes", "num"), ("Gi* z", "num"), ("Against previous month", "text")],
        [[p.spot, p.around, _lsoa_text(p), number(p.crimes), number(p.gi_z, 1), p.status]
         for p in spots.itertuples(index=False)],
        Lineage("tasks.indicators.hotspots; tasks.indicators.hotspot_change; local peaks (tasks.products.common)",
                {**params, "cell_size_m": cell_size, "min_separation_m": 2 * cell_size, "previous": previous_month},
                hot[(hot["crimes"] > 0) | (hot["gi_class"] != "not significant")], "hotspots"),
        note="Against previous month: new = not a hot spot (95%) in the previous month; persistent = hot in both. "
             "The Gi* classes are not corrected for multiple testing: read them as where to look.",
        empty=f"No cell holding {HOTSPOT_MIN_CRIMES} or more crimes is a hot spot at the 99% level this month.")
    before = lsoas_before.set_index("lsoa_code")["crimes"]
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N).copy()
    top_lsoas["previous"] = top_lsoas["lsoa_code"].map(before).fillna(0).astype(int)
    top_lsoas["change"] = top_lsoas["crimes"] - top_lsoas["previous"]
    lsoa_table = Table(
        "top_lsoas",
        f"LSOAs with most crime in {month_label(latest)} and their change on {month_label(previous_month)}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Previous month", "num"), ("Change", "num"),
         ("Rate per 1,000 residents", "num"), ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.previous), signed(r.change), number(r.rate_per_1000, 1),
          number(r.imd_decile)] for r in top_lsoas.itertuples(index=False)],
        Lineage("tasks.indicators.lsoa_counts", {**params, "compared_with": previous_month}, lsoas, "lsoa_counts"),
        note="Rate per 1,000 residents: the LSOA's crimes this month divided by its mid-2015 residents (IoD 2019), "
             "times 1,000. Residents only: workers, shoppers and visitors are not in the denominator.")
    conc = concentration.set_index("unit")
    counts = hot_change["status"].value_counts() if not hot_change.empty else pd.Series(dtype=int)
    paragraphs = [
        f"{number(int((hot['gi_class'] == 'hot spot 99%').sum()))} of {number(len(hot))} {cell_size} m cells are hot "
        f"spots at the 99% level this month. Against {month_label(previous_month)} (95% level): "
        f"{number(counts.get('new', 0))} new, {number(counts.get('persistent', 0))} persistent and "
        f"{number(counts.get('cooling', 0))} cooling hot spot cells."]
    findings = []
    if "lsoa" in conc.index and pd.notna(conc.loc["lsoa", "top_10pct_share"]):
        c = conc.loc["lsoa"]
        paragraphs.append(f"Crime is concentrated: {concentration_text(c)}.")
        findings.append(paragraphs[-1])
    caveat = resident_caveat(lsoas, scope.months)
    if caveat:
        paragraphs.append(caveat)
    if not top_lsoas.empty:
        riser = top_lsoas.sort_values("change", ascending=False).iloc[0]
        paragraphs.append(f"The busiest LSOA was {top_lsoas.iloc[0]['lsoa_name']} ({number(top_lsoas.iloc[0]['crimes'])} "
                          f"crimes); the largest rise among the ten was {riser['lsoa_name']} ({signed(riser['change'])} "
                          f"on {month_label(previous_month)}).")
    recommendations = []
    new_spots = spots[(spots["status"] == "new") & (spots["lsoa_code"] != "–")]
    if not new_spots.empty:
        first = new_spots.iloc[0]
        place = findable_place(session, scope.force, first["lsoa_code"], scope.crime_types, latest, latest,
                               prefer=first["prefer"])
        recommendations.append(Recommendation(
            issue="New hot spot", place=place, purpose="reassurance",
            action=f"Add the new hot spot at {place} to neighbourhood patrol plans for the coming fortnight and tell "
                   "local residents and businesses what is being done.",
            evidence=f"Hot spot {first['spot']}: {number(first['crimes'])} crimes in the cell, Gi* z = "
                     f"{number(first['gi_z'], 1)}; not a hot spot in {month_label(previous_month)} ({ref('hotspots')}).",
            harm=harm_days_at(session, scope.force, first["crimes"], first["lsoa_code"], scope.crime_types, latest,
                              latest)))
    return SectionResult("Hotspots and their change", paragraphs, [map_figure, hotspot_table, lsoa_table],
                         findings=findings, recommendations=recommendations,
                         data={"hotspot_change": hot_change, "location_counts": located},
                         facts={"top_lsoas": top_lsoas["lsoa_code"].head(5).tolist(), "lsoas": lsoas})


def profile_location(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    """VOLT's L: where the problem is, from the published points."""
    params = scope_params(scope)
    label = period_text(scope.period_from, scope.period_to)
    kde, hot = session.indicator("kde_grid", scope), session.indicator("hotspots", scope)
    lsoas = session.indicator("lsoa_counts", scope)
    located = session.indicator("repeat_locations", scope, min_months=1).sort_values("crimes", ascending=False)
    cell_size = int(hot["cell_size_m"].iloc[0]) if not hot.empty else 0
    spots = _named_spots(session, scope, hotspot_peaks(hot, located, TOP_N), cell_size)
    items = []
    if not located.empty:
        layers, _ = layers_for(session, scope)
        items.append(_map("profile_map", located, spots, kde, hot, params, f"Located crimes in scope, {label}",
                          f"Located crimes and hot spots, {label}", "profile_hotspots", layers))
    items.append(Table(
        "profile_hotspots",
        f"Hot spots of the crimes in scope: busiest {cell_size} m Gi* 99% cells, at least {2 * cell_size} m apart "
        f"and holding {HOTSPOT_MIN_CRIMES} or more crimes",
        [("#", "num"), ("Street (of the busiest published point, or near)", "text"), ("LSOA", "text"),
         ("Crimes", "num"), ("Gi* z", "num")],
        [[p.spot, p.around, _lsoa_text(p), number(p.crimes), number(p.gi_z, 1)] for p in spots.itertuples(index=False)],
        Lineage("tasks.indicators.hotspots; local peaks (tasks.products.common)",
                {**params, "cell_size_m": cell_size, "min_separation_m": 2 * cell_size},
                hot[(hot["crimes"] > 0) | (hot["gi_class"] != "not significant")], "hotspots"),
        empty=f"No cell holding {HOTSPOT_MIN_CRIMES} or more of these crimes is a hot spot at the 99% level."))
    repeat = located[located["months_with_crime"] >= 2].head(TOP_N)
    items.append(Table(
        "profile_repeats",
        f"Repeat locations: published locations with crimes in scope in two or more months of {label}",
        [("Location", "text"), ("LSOA", "text"), ("Crimes", "num"), ("Months", "num"), ("First", "text"), ("Last", "text")],
        [[place_name(r.location), r.lsoa_code, number(r.crimes), number(r.months_with_crime), r.first_month, r.last_month]
         for r in repeat.itertuples(index=False)],
        Lineage("tasks.indicators.repeat_locations", {**params, "min_months": 2}, located, "location_counts"),
        empty="No location had crimes in scope in more than one month."))
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N)
    items.append(Table(
        "profile_lsoas", f"LSOAs with most crimes in scope, {label}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Rate per 1,000 residents", "num"), ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.rate_per_1000, 1), number(r.imd_decile)]
         for r in top_lsoas.itertuples(index=False)],
        Lineage("tasks.indicators.lsoa_counts", params, lsoas, "lsoa_counts"),
        note=f"Rate per 1,000 residents: the LSOA's crimes in scope over {label} divided by its mid-2015 residents "
             "(IoD 2019), times 1,000."))
    lines, findings, recommendations = [], [], []
    if not located.empty:
        located_total = int(located["crimes"].sum())
        top_share = located["crimes"].head(TOP_N).sum() / located_total if located_total else float("nan")
        lines.append(f"{number(located_total)} of the crimes in scope have a published location, at "
                     f"{number(len(located))} distinct points; the ten busiest points hold {percent(top_share)}.")
        findings.append(lines[-1])
    if not spots.empty:
        first = spots.iloc[0]
        lines.append(f"The leading hot spot is around {first['around']} ({first['lsoa_code']}): {number(first['crimes'])} "
                     f"crimes in one {cell_size} m cell (Gi* z = {number(first['gi_z'], 1)}).")
        if first["lsoa_code"] != "–":
            place = findable_place(session, scope.force, first["lsoa_code"], scope.crime_types, scope.period_from,
                                   scope.period_to, prefer=first["prefer"])
            recommendations.append(Recommendation(
                issue="Leading hot spot", place=place, purpose="enforcement",
                action=f"Focus patrols and operations on {place} and the other hot spots of {ref('profile_hotspots')}.",
                evidence=f"Hot spot 1: {number(first['crimes'])} crimes in one {cell_size} m cell, Gi* z = "
                         f"{number(first['gi_z'], 1)} ({label}).",
                harm=harm_days_at(session, scope.force, first["crimes"], first["lsoa_code"], scope.crime_types,
                                  scope.period_from, scope.period_to)))
    named = repeat[[not is_generic_point(v) for v in repeat["location"]]]
    if not named.empty:
        r = named.iloc[0]
        place = findable_place(session, scope.force, r["lsoa_code"], scope.crime_types, scope.period_from, scope.period_to,
                               prefer=r["location"])
        recommendations.append(Recommendation(
            issue="Repeat location", place=place, purpose="prevention",
            action=f"Problem-solve (SARA) with the owners and managers of premises on {place}: the busiest repeat "
                   "location of these crimes.",
            evidence=f"{number(r['crimes'])} crimes in {number(r['months_with_crime'])} different months "
                     f"({r['first_month']} to {r['last_month']}) ({ref('profile_repeats')}).",
            harm=harm_days_at(session, scope.force, r["crimes"], r["lsoa_code"], scope.crime_types, scope.period_from,
                              scope.period_to, location=r["location"])))
    caveat = resident_caveat(lsoas, scope.months)
    if caveat:
        lines.append(caveat)
    lines.append("Locations are anonymised map points (\"On or near\"): they locate a problem to a street or "
                 "place, not an address.")
    return SectionResult("Location (VOLT: L)", lines, items, findings=findings, recommendations=recommendations,
                         data={"kde_grid": kde}, facts={"lsoas": lsoas})

