"""Emerging hot spots: every grid cell classed over the months in the product's window (new, consecutive,
intensifying, persistent, diminishing, sporadic, oscillating, historical; tasks.stats.emerging), as a map and a
table of the cells a tasking group should hear about, each named by its busiest street."""
from __future__ import annotations

import pandas as pd

from tasks import charts
from tasks.draft import period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.grid import GI_CELL_M
from tasks.indicators.scope import add_months
from tasks.products.common import is_generic_point, street_name
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number, p_text
from tasks.stats import thresholds as T
from tasks.stats.emerging import (METHOD, cell_centres, cells_by_month, classify_emerging, is_emerging, pattern_counts,
                                  with_lonlat)

TACTICAL_MONTHS = 12
TABLE_ROWS = 12
STREET_MONTHS = 3
POINTS_SQL = """
SELECT strftime(month, '%Y-%m') AS month, longitude, latitude, any_value(location) AS location, count(*) AS crimes
FROM scoped_street
WHERE month BETWEEN $period_from AND $period_to AND longitude IS NOT NULL AND latitude IS NOT NULL
GROUP BY ALL
"""
SHOWN = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")


def monthly_points(session: IndicatorSession, scope: Scope) -> pd.DataFrame:
    """Crimes per published map point and month over the scope's period (one scan per build)."""
    def compute() -> pd.DataFrame:
        scoped = session.scoped(scope)
        return scoped.df(POINTS_SQL, scoped.period_params())
    return session.memo(("emerging_points", scope), compute)


def _cell_streets(points: pd.DataFrame) -> dict[tuple[float, float], str]:
    """The busiest street-named published point in each cell over its last STREET_MONTHS months with crime (where
    the crimes are now: a new hot spot is named by what made it hot), never a snap-point label such as
    'Supermarket'; a cell with only such points says so."""
    if points.empty:
        return {}
    cell_x, cell_y = cell_centres(points["longitude"], points["latitude"], GI_CELL_M)
    located = points.assign(cell_x=cell_x, cell_y=cell_y, street=[
        "" if is_generic_point(p) else street_name(p) for p in points["location"]])
    named = located[located["street"] != ""]
    recent = named.groupby(["cell_x", "cell_y"])["month"].transform(
        lambda m: m >= sorted(m.unique())[-min(STREET_MONTHS, m.nunique())])
    streets = (named[recent].groupby(["cell_x", "cell_y", "street"], as_index=False)["crimes"].sum()
               .sort_values(["crimes", "street"], ascending=[False, True]).drop_duplicates(["cell_x", "cell_y"]))
    by_cell = {(r.cell_x, r.cell_y): r.street for r in streets.itertuples(index=False)}
    return {key: by_cell.get(key, "no street-named point (snap points only)")
            for key in zip(located["cell_x"], located["cell_y"])}


def emerging_window(scope: Scope, ctx: ProductContext) -> Scope:
    """The months classed: the strategic assessment's whole period, or the tactical's last TACTICAL_MONTHS."""
    first = ctx.first if ctx.kind == "strategic" else add_months(ctx.latest, -(TACTICAL_MONTHS - 1))
    return scope.shifted(first, ctx.latest)


def section(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    title = "Emerging hot spots"
    window = emerging_window(scope, ctx)
    first = window.period_from
    points = monthly_points(session, window)
    months = sorted(points["month"].unique()) if not points.empty else []
    if len(months) < T.EMERGING_MIN_MONTHS:
        return SectionResult(title, [f"Emerging hot spots need at least {T.EMERGING_MIN_MONTHS} months of located "
                                     f"crime; {len(months)} are held for {period_text(first, ctx.latest)}."])
    cells = cells_by_month(points, GI_CELL_M)
    context = cells.groupby(["cell_x", "cell_y"], as_index=False)["crimes"].sum()
    classified = with_lonlat(classify_emerging(cells, cell_size_m=GI_CELL_M))
    streets = _cell_streets(points)
    classified["place"] = [streets.get((x, y), "") for x, y in zip(classified["cell_x"], classified["cell_y"])]
    counts = pattern_counts(classified)
    shown = classified[classified["pattern"].isin(SHOWN)]
    params = {**scope_params(window), "cell_m": GI_CELL_M, "hot_z": T.HOT_SPOT_Z, "trend_alpha": T.TREND_ALPHA}
    span = period_text(first, ctx.latest)
    held = len(months)
    lineage = Lineage("tasks.stats.emerging", params, classified, "emerging_hotspots")
    ordered = shown.sort_values(["pattern", "hot_months", "crimes"], ascending=[True, False, False]).head(TABLE_ROWS)
    # The table's rows are numbered on the map, so a reader can find each cell.
    number_of = {(r.cell_x, r.cell_y): str(i) for i, r in enumerate(ordered.itertuples(index=False), start=1)}
    map_labels = [number_of.get((x, y), "") for x, y in zip(shown["cell_x"], shown["cell_y"])]
    figure = Figure(
        "emerging_map", f"Emerging hot spot classes of {GI_CELL_M:g} m cells, {span}",
        lambda path: charts.emerging_map(
            path, shown["cell_x"].tolist(), shown["cell_y"].tolist(), shown["pattern"].astype(str).tolist(),
            GI_CELL_M, title="Emerging hot spot classes",
            context_x=context["cell_x"].tolist(), context_y=context["cell_y"].tolist(),
            context_crimes=context["crimes"].tolist(), labels=map_labels),
        Lineage("tasks.stats.emerging", params, None, "emerging_hotspots"),
        note=f"Numbers: the rows of {ref('emerging_hotspots')}. Grey dots: cells with located crime in the window "
             "(larger: more crime). Cells with no pattern are not coloured.")
    table = Table(
        "emerging_hotspots", f"Emerging hot spot cells, {span}: the classes a tasking group should hear about first",
        [("#", "num"), ("Class", "text"), ("Busiest street in the cell", "text"), ("Months hot", "num"),
         ("Crimes", "num"), ("Trend in Gi*", "text")],
        [[str(i), str(r.pattern), r.place, f"{r.hot_months} of {r.months}", number(r.crimes),
          f"{r.trend} ({p_text(r.trend_p)})"] for i, r in enumerate(ordered.itertuples(index=False), start=1)],
        lineage, flags=[is_emerging(str(p)) for p in ordered["pattern"]],
        note=f"Cells per class: " + ", ".join(f"{p} {c}" for p, c in zip(counts["pattern"], counts["cells"]) if c)
             + f". Method: {METHOD}. Street: the busiest street-named published point in the cell over its last "
             f"{STREET_MONTHS} months with crime (published points are anonymised snap points).",
        empty="No cell was a hot spot in this window.")
    emerging = classified[classified["pattern"].isin(["new", "consecutive", "intensifying"])]
    paragraphs = [
        f"Each {GI_CELL_M:g} m cell was tested every month of {span} ({held} months held) for a hot spot (Gi* at 95%) "
        f"and classed by its pattern over the window ({ref('emerging_map')}, {ref('emerging_hotspots')})."]
    findings = []
    if emerging.empty:
        paragraphs.append("No cell is a new, consecutive or intensifying hot spot.")
    else:
        parts = []
        for pattern in ("new", "consecutive", "intensifying"):
            cells_of = emerging[emerging["pattern"] == pattern].sort_values("crimes", ascending=False)
            if cells_of.empty:
                continue
            places = list(dict.fromkeys(cells_of["place"]))[:3]
            parts.append(f"{len(cells_of)} {pattern} ({', '.join(places)})")
        text = (f"Emerging hot spot cells: {'; '.join(parts)} ({ref('emerging_hotspots')}). A new or consecutive "
                "hot spot is one that was not hot before this run of months; an intensifying one has been hot in "
                "almost every month and is getting hotter.")
        paragraphs.append(text)
        findings.append(text)
    persistent = int(classified["pattern"].isin(["persistent", "intensifying", "diminishing"]).sum())
    if persistent:
        paragraphs.append(f"{persistent} cell{'s were' if persistent > 1 else ' was'} a hot spot in at least "
                          f"{T.PERSISTENT_SHARE:.0%} of months (persistent, intensifying or diminishing): the "
                          "long-standing hot spots, for problem-solving rather than short-term tasking.")
    return SectionResult(title, paragraphs, [figure, table], findings=findings, methods=[METHOD + "."],
                         facts={"classified": classified, "counts": counts})


