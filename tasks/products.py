"""The three intelligence products, each a plain function: tactical assessment, strategic assessment, problem
profile. Each gathers the indicators (`tasks.indicators`) for its scope, turns them into sections, findings,
draft recommendations and intelligence gaps, and publishes a new DRAFT version through `tasks.draft.publish`.

Every sentence that states a figure is built from an indicator's output, and every table and chart is
registered with the indicator and parameters that produced it (the lineage appendix). Recommendations are
derived mechanically from those figures and marked DRAFT: the analyst confirms them.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from tasks import charts, indicators, internal_analysis
from tasks.draft import (Draft, ProductResult, author_name, collect_sources, completeness_gaps, data_lag_months,
                         latest_street_month, month_label, period_text, publish, require_street_month, scope_params,
                         sources_section)
from tasks.indicators import Scope
from tasks.indicators.scope import add_months, parse_month
from tasks.render import number, p_text, p_value, percent, signed

ALL_CRIME = "All crime"
TOP_N = 10


# ----------------------------------------------------------------------------------------------------- small helpers

def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _pct_change(now, before) -> str:
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return "–"
    change = (now - before) * 100.0 / before
    return f"{change:+.1f}%" if abs(change) < 1 else f"{change:+.0f}%"


def _types_phrase(names: list[str]) -> str:
    names = [n.lower() if n != "Anti-social behaviour" else "anti-social behaviour" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _recommendation(area: str, text: str, basis: str) -> dict:
    return {"area": area, "text": text, "basis": basis}


def _recommendations_table(draft: Draft, recommendations: list[dict], params: dict) -> dict:
    order = {"Prevention": 0, "Intelligence": 1, "Enforcement": 2, "Reassurance": 3}
    ordered = sorted(recommendations, key=lambda r: order.get(r["area"], 9))
    return draft.table(
        "Draft recommendations for the group, each with the figures it rests on",
        [("Area", "text"), ("Draft recommendation", "text"), ("Basis in the figures", "text")],
        [[r["area"], r["text"], r["basis"]] for r in ordered],
        indicator="tasks.products (derived from the tables cited in each basis)", params=params,
        empty="The figures support no specific recommendation this period.")


def _gaps_table(draft: Draft, gaps: list[list[str]], params: dict, check: str) -> dict:
    return draft.table(
        "Intelligence gaps and their effect on this product",
        [("Gap", "text"), ("What is missing", "text"), ("Effect on this product", "text")], gaps,
        indicator=f"{check}; ingest_log; street_crime coverage", params=params,
        empty="No gaps found in the data for this period.")


def _common_gaps(warehouse_file, force: str, first: date, last: date, sources, lsoas: pd.DataFrame | None) -> tuple[list[list[str]], str]:
    """Gaps every product states: incomplete months, rejected batches, no-location and out-of-force rows, lag."""
    gaps: list[list[str]] = []
    incomplete, check, explained = completeness_gaps(warehouse_file, force, first, last)
    for what, status, detail in incomplete:
        gaps.append([f"Incomplete data: {what}", f"{status}: {detail}",
                     "Counts for that month are understated or absent; comparisons that include it are unreliable."])
    for r in sources.rejected.itertuples(index=False):
        if r.batch_id in explained:  # already stated as that month's gap
            continue
        gaps.append([f"File {r.status}: {r.kind} {r.month}", f"{Path(str(r.path)).name}: {r.error}",
                     "The earlier version of this month is used; the rejected file's rows are in no figure here."
                     if r.earlier_version_used else "Its rows are not in the warehouse and not in any figure here."])
    if sources.validation is None or sources.validation.empty:
        gaps.append(["Quality checks not evidenced", "No quality-gate results are recorded for the files used",
                     "Completeness and validity of the rows rest on the publisher; read the figures with that caution."])
    counts = sources.no_location
    if counts["crimes"]:
        share = counts["no_location"] / counts["crimes"]
        gaps.append(["Crimes with no location", f"{number(counts['no_location'])} of {number(counts['crimes'])} street "
                     f"crimes in {counts['period']} ({percent(share)}) were published without coordinates",
                     "They count in force totals but cannot be mapped or placed in an LSOA, hotspot or repeat location."])
    # Which LSOAs are the force's own needs the reference data; without it every LSOA would look "outside".
    if lsoas is not None and not lsoas.empty and lsoas["in_area_population"].astype(bool).any():
        outside = lsoas.loc[~lsoas["in_area_population"].astype(bool), "crimes"].sum()
        total = lsoas["crimes"].sum()
        if total:
            gaps.append(["Crimes snapped outside the force area",
                         f"{number(outside)} of {number(total)} located crimes ({percent(outside / total)}) fall in LSOAs "
                         "outside the force's own local authorities",
                         "Published locations are snapped to map points that can cross boundaries; these crimes are "
                         "counted but have no residents in the rate base."])
    reference_effects = {
        "iod-population": "no residents, so no rates per 1,000",
        "iod-imd": "no Index of Multiple Deprivation, so no deprivation analysis",
        "iod-domains": "no deprivation domains",
        "lsoa-lookup": "2021 LSOA codes cannot be matched to the 2011 reference data",
    }
    missing_reference = [kind for kind in reference_effects if kind not in set(sources.reference["kind"])]
    if missing_reference:
        gaps.append(["Reference data not loaded", "Not loaded: " + ", ".join(missing_reference),
                     _sentence("; ".join(reference_effects[k] for k in missing_reference))])
    held = sources.coverage.set_index("kind")
    for kind, effect in (("outcomes", "Outcome figures cannot be given."),
                         ("stop and search", "Stop and search cannot be described.")):
        if pd.isna(held.loc[kind, "first_month"]):
            gaps.append([f"No {kind} data", f"The warehouse holds no {kind} files for this force", effect])
    lag = data_lag_months(last)
    gaps.append(["Publication lag", f"The latest month used is {month_label(last)}, {lag} months before this product "
                 "was drafted; data.police.uk publishes each month about two months after it ends",
                 "Anything that happened since is not in these figures: add current force and partner information."])
    gaps.append(["Police-recorded crime only", "The data are crimes and ASB as recorded and published by the police; "
                 "unreported crime, victim and offender details, times of day and modus operandi are not published",
                 "Victim and offender analysis and time-of-day patterns need force systems (RMS, command and control)."])
    return gaps, check


def _approximations(extra: list[str] | None = None) -> list[str]:
    notes = indicators.method_notes()
    return notes + (extra or [])


def _tor_rows(rows: list[tuple[str, str]]) -> list[dict]:
    return [{"label": label, "value": value} for label, value in rows]


def _first(frame: pd.DataFrame, column: str):
    return frame[column].iloc[0] if not frame.empty else None


def _kde_surface(kde: pd.DataFrame):
    """The KDE cells as a full lattice (x centres, y centres, density[y, x]) for contouring; None when empty."""
    if kde.empty:
        return None
    xs = np.sort(kde["cell_x"].unique())
    ys = np.sort(kde["cell_y"].unique())
    size = float(kde["cell_size_m"].iloc[0])
    full_x = np.arange(xs.min(), xs.max() + size / 2, size)
    full_y = np.arange(ys.min(), ys.max() + size / 2, size)
    grid = np.zeros((len(full_y), len(full_x)))
    col = np.rint((kde["cell_x"].to_numpy() - full_x[0]) / size).astype(int)
    row = np.rint((kde["cell_y"].to_numpy() - full_y[0]) / size).astype(int)
    grid[row, col] = kde["density_per_km2"].to_numpy()
    return full_x, full_y, grid


def place_name(location) -> str:
    """A published location as a reader should see it: 'On or near ' with no street becomes explicit."""
    text = str(location).strip() if isinstance(location, str) else ""
    return text if text and text != "On or near" else "an unnamed published point"


HOTSPOT_MIN_CRIMES = 5


def _hotspot_peaks(hot: pd.DataFrame, locations: pd.DataFrame, limit: int, separation_cells: int = 2) -> pd.DataFrame:
    """The busiest Gi* 99% hot spot cells that are local peaks, each named after its busiest named location.

    In a dense centre most cells are hot at 99% and contiguous, so neither "all hot cells" nor "contiguous hot
    areas" gives separate places to send patrols to. A cell is kept only if no busier kept cell lies within
    `separation_cells` cells (500 m with 250 m cells), and only if it holds at least HOTSPOT_MIN_CRIMES crimes
    itself (Gi* also marks a near-empty cell hot when its neighbours are busy: no place to send a patrol to).
    Columns: spot, cell_x, cell_y, crimes, gi_z, longitude, latitude, around, lsoa_code.
    """
    from pyproj import Transformer

    columns = ["spot", "cell_x", "cell_y", "crimes", "gi_z", "longitude", "latitude", "around", "lsoa_code"]
    candidates = hot[(hot["gi_class"] == "hot spot 99%") & (hot["crimes"] >= HOTSPOT_MIN_CRIMES)].sort_values(
        ["crimes", "gi_z"], ascending=False)
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    size = float(hot["cell_size_m"].iloc[0])
    kept = []
    for cell in candidates.itertuples(index=False):
        if all(max(abs(cell.cell_x - k.cell_x), abs(cell.cell_y - k.cell_y)) > separation_cells * size for k in kept):
            kept.append(cell)
            if len(kept) == limit:
                break
    peaks = pd.DataFrame(kept)[["cell_x", "cell_y", "crimes", "gi_z", "longitude", "latitude"]]
    peaks["around"], peaks["lsoa_code"] = place_name(None), "–"
    if not locations.empty:
        x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
            locations["longitude"].to_numpy(float), locations["latitude"].to_numpy(float))
        placed = locations.assign(cell_x=(np.floor(x / size) + 0.5) * size, cell_y=(np.floor(y / size) + 0.5) * size,
                                  named=[place_name(v) != place_name(None) for v in locations["location"]])
        best = (placed.sort_values(["named", "crimes"], ascending=False).drop_duplicates(["cell_x", "cell_y"])
                .set_index(["cell_x", "cell_y"]))
        keys = list(zip(peaks["cell_x"], peaks["cell_y"]))
        peaks["around"] = [place_name(best.at[k, "location"]) if k in best.index else place_name(None) for k in keys]
        peaks["lsoa_code"] = [best.at[k, "lsoa_code"] if k in best.index else "–" for k in keys]
    peaks.insert(0, "spot", range(1, len(peaks) + 1))
    return peaks[columns]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _previous_months(months: int) -> str:
    return "the previous month" if months == 1 else f"the previous {months} months"


def _priority_band(score) -> str:
    """Display bands for the matrix chart only (the table gives every score)."""
    return "15-20" if score >= 15 else ("11-14" if score >= 11 else "4-10")


def _month_axis(frame: pd.DataFrame) -> list[date]:
    return [parse_month(m) for m in frame["month"]]


def _outcomes_section(draft: Draft, warehouse_file, scope: Scope, focus_types: list[str], key_findings: list[str],
                      recommendations: list[dict], shares: pd.DataFrame | None = None) -> None:
    """Latest known outcome of the period's crimes, for all crime and the types in focus (`shares`: the
    outcome_shares indicator when already computed)."""
    shares = indicators.outcome_shares(warehouse_file, scope) if shares is None else shares
    params = scope_params(scope)
    label = period_text(scope.period_from, scope.period_to)
    if shares.empty:
        draft.section("Outcomes", [f"No crimes with a Crime ID in {label}, so no outcomes to report."])
        return
    wanted = [ALL_CRIME] + [t for t in focus_types if t in set(shares["crime_type"])]
    groups = shares[shares["crime_type"] == ALL_CRIME].sort_values("crimes", ascending=False)["outcome_group"].tolist()
    pivot = shares.pivot_table(index="outcome_group", columns="crime_type", values="share", aggfunc="sum")
    totals = shares.groupby("crime_type")["crimes"].sum()
    rows = [[group] + [percent(pivot.at[group, t]) if t in pivot.columns and pd.notna(pivot.at[group, t]) else "–"
                       for t in wanted] for group in groups]
    rows.append(["Crimes with a Crime ID"] + [number(totals.get(t)) for t in wanted])
    table = draft.table(
        f"Latest known outcome of crimes recorded in {label}, share by outcome group",
        [("Outcome group", "text")] + [(t, "num") for t in wanted], rows,
        indicator="tasks.indicators.outcome_shares", params=params, data=shares, data_name="outcome_shares",
        note="From the outcomes files where held, otherwise the street file's last outcome category. Recent crimes "
             "are mostly still under investigation: shares change as later files are published.")
    whole = shares[shares["crime_type"] == ALL_CRIME].set_index("outcome_group")
    charged = whole["share"].get("charged or summonsed", 0.0)
    no_suspect = whole["share"].get("no suspect identified", 0.0)
    paragraph = (f"Of {number(totals.get(ALL_CRIME))} crimes with a Crime ID recorded in {label}, "
                 f"{percent(charged)} have so far led to a charge or summons and {percent(no_suspect)} were closed "
                 "with no suspect identified.")
    key_findings.append(paragraph)
    if no_suspect >= 0.4:
        focus = _types_phrase(focus_types) if focus_types else "the highest-volume crime types"
        recommendations.append(_recommendation(
            "Intelligence", f"Review the intelligence available to investigations of {focus} closed with no suspect "
                            "identified (forensic, CCTV, informant and partner sources).",
            f"{percent(no_suspect)} of crimes in {label} closed with no suspect identified (Table {draft._tables})."))
    draft.section("Outcomes", [paragraph], [table])


def _stop_search_section(draft: Draft, warehouse_file, scope: Scope, key_findings: list[str],
                         recommendations: list[dict], search: pd.DataFrame | None = None) -> None:
    search = indicators.stop_search(warehouse_file, scope) if search is None else search
    label = period_text(scope.period_from, scope.period_to)
    params = scope_params(scope)
    everything = search[search["dimension"] == "all"]
    if everything.empty or not int(everything["searches"].iloc[0]):
        draft.section("Stop and search", [f"The warehouse holds no stop and search records for {label}."])
        return
    a = everything.iloc[0]
    paragraph = (f"{number(a['searches'])} stop and searches in {label}: {percent(a['arrest_rate'])} led to arrest, "
                 f"{percent(a['any_action_rate'])} to any further action, and {percent(a['linked_to_object_rate'])} had "
                 "an outcome linked to the object of the search.")
    key_findings.append(paragraph)
    items = []
    for dimension, caption in (("object_of_search", "object of search"), ("officer_defined_ethnicity",
                                                                        "officer-defined ethnicity")):
        part = search[search["dimension"] == dimension].sort_values("searches", ascending=False)
        items.append(draft.table(
            f"Stop and search by {caption}, {label}",
            [(caption.capitalize(), "text"), ("Searches", "num"), ("Share", "num"), ("Arrest rate", "num"),
             ("Any action", "num"), ("Linked to object", "num")],
            [[r.value, number(r.searches), percent(r.share), percent(r.arrest_rate), percent(r.any_action_rate),
              percent(r.linked_to_object_rate)] for r in part.itertuples(index=False)],
            indicator="tasks.indicators.stop_search", params={**params, "dimension": dimension},
            data=search if dimension == "object_of_search" else None, data_name="stop_search"))
    draft.section("Stop and search", [
        paragraph,
        "Searches are counted where the published record falls; ethnicity is as recorded by the officer. Rates are "
        "descriptive: comparing groups fairly needs the population available to be searched, which published data "
        "do not give.",
    ], items)
    recommendations.append(_recommendation(
        "Reassurance", "Share the stop and search figures with the community scrutiny panel, with the find and arrest "
                       "rates by object of search.",
        f"{number(a['searches'])} searches, arrest rate {percent(a['arrest_rate'])}, linked-to-object rate "
        f"{percent(a['linked_to_object_rate'])} ({label})."))



# Local emerging issues. The indicators test whole scopes (one crime type over the whole area); a problem confined
# to a few streets is diluted at force level (the demo's station-quarter robberies are "elevated" force-wide but
# ten times the usual count where they happen). No indicator scans every LSOA and crime type, so this does, over
# the indicators' own scoped rows, with their Poisson test.
LOCAL_SCAN_SQL = """
WITH by_location AS (
    SELECT lsoa_code, crime_type, location, count(*) AS crimes FROM scoped_street
    WHERE month = $latest AND lsoa_code IS NOT NULL GROUP BY ALL
),
counts AS (
    SELECT lsoa_code, any_value(lsoa_name) AS lsoa_name, crime_type,
           count(*) FILTER (WHERE month = $latest) AS observed,
           count(*) FILTER (WHERE month BETWEEN $base_from AND $base_to) AS baseline_crimes,
           count(*) FILTER (WHERE month = $base_from) AS year_earlier
    FROM scoped_street WHERE lsoa_code IS NOT NULL AND month BETWEEN $base_from AND $latest GROUP BY ALL
)
SELECT c.*, (SELECT count(*) FROM counts WHERE observed >= $min_count) AS tests,
       (SELECT arg_max(location, crimes) FROM by_location b WHERE b.lsoa_code = c.lsoa_code AND b.crime_type = c.crime_type) AS top_location,
       (SELECT max(crimes) FROM by_location b WHERE b.lsoa_code = c.lsoa_code AND b.crime_type = c.crime_type) AS top_location_crimes
FROM counts c WHERE observed >= $min_count
"""
LOCAL_MIN_COUNT = 5
LOCAL_FAMILY_P = 0.01
LOCAL_YEAR_P = 0.05


def local_emerging_issues(warehouse_file, force: str, latest: date) -> pd.DataFrame:
    """LSOA x crime type pairs whose latest-month count is exceptional against their own previous 12 months and
    above the same month a year earlier.

    expected = (baseline crimes + 0.5) / 12 (the half avoids a zero expectation); p = P(X >= observed),
    X ~ Poisson(expected); only pairs with at least 5 crimes in the month are tested, and one is flagged when
    p < 0.01 / (number of pairs tested) (Bonferroni: hundreds of pairs are tested at once) and the count is also
    above the same month a year earlier (p_vs_year_earlier < 0.05 against year_earlier + 0.5), so a summer peak
    of anti-social behaviour is not reported as a new problem. Empty when the 12 baseline months are not all held.
    Columns: lsoa_code, lsoa_name, crime_type, observed, baseline_crimes, year_earlier, expected, p_value,
    p_vs_year_earlier, threshold, top_location, top_location_crimes, tests.
    """
    from tasks.indicators.scope import session
    from tasks.indicators.volume import poisson_upper_p

    base_from, base_to = add_months(latest, -12), add_months(latest, -1)
    scope = Scope(force, base_from, latest)
    with session(warehouse_file, scope) as s:
        if s.months_held(base_from, base_to) < 12 or s.months_held(latest, latest) < 1:
            return pd.DataFrame(columns=["lsoa_code", "lsoa_name", "crime_type", "observed", "baseline_crimes",
                                         "year_earlier", "expected", "p_value", "p_vs_year_earlier", "threshold",
                                         "top_location", "top_location_crimes", "tests"])
        frame = s.df(LOCAL_SCAN_SQL, {"latest": latest, "base_from": base_from, "base_to": base_to,
                                      "min_count": LOCAL_MIN_COUNT})
    frame["expected"] = (frame["baseline_crimes"] + 0.5) / 12.0
    frame["p_value"] = poisson_upper_p(frame["observed"].to_numpy(float), frame["expected"].to_numpy(float))
    frame["p_vs_year_earlier"] = poisson_upper_p(frame["observed"].to_numpy(float),
                                                 frame["year_earlier"].to_numpy(float) + 0.5)
    frame["threshold"] = LOCAL_FAMILY_P / frame["tests"].clip(lower=1)
    flagged = frame[(frame["p_value"] < frame["threshold"]) & (frame["p_vs_year_earlier"] < LOCAL_YEAR_P)]
    flagged = flagged.sort_values(["p_value", "observed"], ascending=[True, False])
    return flagged.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- tactical assessment

def build_tactical_assessment(
    warehouse_file,
    force: str,
    period_end: str | date | None = None,
    marking: str = "OFFICIAL",
    store_dir=None,
    author: str | None = None,
    requested_by: str = "Chair, Tactical Tasking and Coordination Group",
) -> ProductResult:
    """The fortnightly tactical assessment for the TT&CG: the latest complete month against its baseline.

    period_end: the month assessed ('YYYY-MM'); default the latest month of street crime held for the force.
    """
    latest = parse_month(period_end) if period_end else latest_street_month(warehouse_file, force)
    require_street_month(warehouse_file, force, latest)
    trend_from = add_months(latest, -12)
    scope = Scope(force, latest, latest)
    title = f"Tactical assessment: {month_label(latest)}"
    author = author_name(author)

    def build(draft: Draft, slot) -> dict:
        return _tactical_content(draft, warehouse_file, force, latest, trend_from, scope, slot, requested_by)

    return publish(
        warehouse_file, kind="tactical", force=force, scope={"period_end": latest.strftime("%Y-%m")},
        period_label=latest.strftime("%Y-%m"), title=title, marking=marking, author=author, requested_by=requested_by,
        terms_of_reference="Fortnightly tactical assessment for the TT&CG", period_start=latest, period_end=latest,
        store_dir=store_dir, build=build,
    )


def _previous_tactical(warehouse_file, force: str, created_at) -> dict | None:
    from tasks.review import previous_version
    import json

    found = previous_version(warehouse_file, "tactical", force, created_at)
    if found is None or not found.get("key_figures_json"):
        return None
    figures = json.loads(found["key_figures_json"])
    figures["version_id"] = found["version_id"]
    figures["status"] = found["status"]
    return figures


def _tactical_content(draft: Draft, warehouse_file, force: str, latest: date, trend_from: date, scope: Scope, slot,
                      requested_by: str) -> dict:
    previous_month = add_months(latest, -1)
    params = scope_params(scope)
    # The month's indicators over one connection (all_indicators: exceedance against 12 months, hotspot change
    # against the previous month, the default KDE and Gi* cells).
    month = indicators.all_indicators(warehouse_file, scope, only=[
        "period_change", "exceedance", "lsoa_counts", "concentration", "kde_grid", "hotspots", "hotspot_change",
        "outcome_shares", "stop_search"])
    change, exceed, lsoas, concentration = (month["period_change"], month["exceedance"], month["lsoa_counts"],
                                            month["concentration"])
    trend = indicators.monthly_volumes(warehouse_file, scope.shifted(trend_from, latest))
    lsoas_before = indicators.lsoa_counts(warehouse_file, scope.shifted(previous_month, previous_month))
    locations = indicators.repeat_locations(warehouse_file, scope, min_months=1)
    repeat_scope = scope.shifted(add_months(latest, -2), latest)
    repeats = indicators.repeat_locations(warehouse_file, repeat_scope, min_months=3)
    sources = collect_sources(warehouse_file, force, trend_from, latest, focus=(latest, latest))

    total = change.set_index("crime_type").loc[ALL_CRIME]
    exceed_types = exceed[exceed["crime_type"] != ALL_CRIME]
    exceptional = exceed_types[exceed_types["flag"] == "exceptional"].sort_values("p_value")
    elevated = exceed_types[exceed_types["flag"] == "elevated"].sort_values("p_value")
    baseline_usable = exceed["flag"].ne("insufficient baseline").any()
    key_findings: list[str] = []
    recommendations: list[dict] = []

    # --- current picture
    lines = [
        f"{number(total['crimes'])} crimes and ASB incidents were recorded in {month_label(latest)}"
        + (f", {signed(total['change_vs_previous'])} ({_pct_change(total['crimes'], total['previous_crimes'])}) "
           f"on {month_label(previous_month)}" if pd.notna(total["previous_crimes"]) else "")
        + (f" and {signed(total['change_vs_year_earlier'])} on {month_label(add_months(latest, -12))}"
           f" (Poisson {p_text(total['p_rise_vs_year_earlier'])} for a rise)" if pd.notna(total["year_earlier_crimes"]) else "")
        + "."
    ]
    key_findings += lines
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    change_table = draft.table(
        f"Crimes by type, {month_label(latest)}, against the previous month and a year earlier",
        [("Crime type", "text"), (month_label(latest), "num"), (month_label(previous_month), "num"), ("Change", "num"),
         ("A year earlier", "num"), ("Change", "num"), ("p (rise)", "num")],
        [[r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
          number(r.year_earlier_crimes), signed(r.change_vs_year_earlier), p_value(r.p_rise_vs_year_earlier)]
         for r in pd.concat([by_type, change[change["crime_type"] == ALL_CRIME]]).itertuples(index=False)],
        indicator="tasks.indicators.period_change", params=params, data=change, data_name="period_change",
        note="p (rise): Poisson probability of a count at least this high if the year-earlier count were the "
             "expectation; blank where the year-earlier month is not held.")
    top_types = by_type["crime_type"].head(4).tolist()
    held = sorted(trend.loc[trend["crimes"].notna(), "month"].unique())
    requested_months = trend["month"].nunique()
    # Chart from the first month held: a year of empty axis before three months of data says nothing.
    shown = trend[trend["month"] >= held[0]] if held else trend
    months_axis = sorted(set(_month_axis(shown)))
    series = {ALL_CRIME: shown.groupby("month", sort=True)["crimes"].sum(min_count=1).astype("Float64").to_numpy(dtype=float, na_value=np.nan)}
    for crime_type in top_types:
        series[crime_type] = shown[shown["crime_type"] == crime_type].sort_values("month")["crimes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    trend_figure = draft.figure(
        f"Monthly crimes, {period_text(months_axis[0], latest)}: all crime and the four largest types",
        lambda path: charts.monthly_trend(path, months_axis, series, title="Crimes recorded per month",
                                          shade_from=latest, shade_label=month_label(latest)),
        indicator="tasks.indicators.monthly_volumes", params=scope_params(scope.shifted(trend_from, latest)),
        note="Gaps in a line are months the warehouse does not hold.", data_name="monthly_volumes")
    draft.save_data(trend, "monthly_volumes")
    data_period = period_text(parse_month(held[0]), latest) if held else month_label(latest)
    if len(held) < requested_months:
        data_period += f" ({len(held)} of the {requested_months} months requested are held)"
    draft.section("Current picture", [
        lines[0],
        f"The largest volumes were {_types_phrase(top_types)}.",
    ], [trend_figure, change_table])

    # --- emerging and exceptional issues
    paragraphs = []
    drill_items = []
    year_p = change.set_index("crime_type")["p_rise_vs_year_earlier"]
    year_before = month_label(add_months(latest, -12))
    # Exceptional against the 12-month mean but not above the same month last year is most likely the season.
    above_year = exceptional["crime_type"].map(year_p)
    emerging = exceptional[~(above_year >= 0.05)]
    seasonal = exceptional[above_year >= 0.05]
    local = (local_emerging_issues(warehouse_file, force, latest) if baseline_usable
             else pd.DataFrame(columns=["lsoa_code", "lsoa_name", "crime_type", "observed", "expected", "p_value"]))
    if not baseline_usable:
        months_held = int(exceed["baseline_months_held"].iloc[0])
        paragraphs.append(
            f"The warehouse holds {months_held} of the 12 months before {month_label(latest)} for this force, so no "
            "crime type can be tested against a 12-month baseline. The changes in Table 1 are descriptive only and "
            "are not evidence of a rise or fall.")
        key_findings.append(f"Exceedance could not be tested: only {months_held} of 12 baseline months are held.")
        recommendations.append(_recommendation(
            "Intelligence", "Load the 12 months before the assessment month so emerging issues can be tested.",
            f"{months_held} of 12 baseline months held ({exceed['baseline_from'].iloc[0]} to {exceed['baseline_to'].iloc[0]})."))
    else:
        for r in local.head(5).itertuples(index=False):
            sentence = (f"Local emerging issue: {r.crime_type.lower()} in {r.lsoa_name} ({r.lsoa_code}), "
                        f"{number(r.observed)} in {month_label(latest)} against an expected {number(r.expected, 1)} from "
                        f"its own previous 12 months ({p_text(r.p_value)}); {number(r.top_location_crimes)} of them "
                        f"{place_name(r.top_location)}.".replace(" of them On or near", " of them on or near"))
            paragraphs.append(sentence)
            key_findings.insert(1, sentence)
        if exceptional.empty:
            paragraphs.append(f"No crime type was exceptionally high force-wide in {month_label(latest)} (Poisson p < 0.01 "
                              "against the monthly mean of the previous 12 months).")
            key_findings.append(f"No crime type was exceptionally high force-wide in {month_label(latest)}.")
        for r in emerging.itertuples(index=False):
            year_text = (f", and above {year_before} ({p_text(year_p[r.crime_type])})" if pd.notna(year_p[r.crime_type])
                         else f"; {year_before} is not held, so the season cannot be ruled out")
            sentence = (f"{r.crime_type}: {number(r.observed)} recorded against an expected {number(r.expected, 1)} "
                        f"(12-month mean, {p_text(r.p_value)}): exceptional force-wide{year_text}.")
            paragraphs.append(sentence)
            key_findings.append(sentence)
        if not seasonal.empty:
            names = seasonal["crime_type"].tolist()
            sentence = (f"{_types_phrase(names)[:1].upper() + _types_phrase(names)[1:]} "
                        f"{'is' if len(names) == 1 else 'are'} exceptional against the 12-month mean but not above "
                        f"{year_before} (Table 1): consistent with the seasonal pattern rather than a new problem.")
            paragraphs.append(sentence)
            key_findings.append(sentence)
            recommendations.append(_recommendation(
                "Intelligence", f"Plan for the seasonal peak in {_types_phrase(names)}; no new problem is indicated.",
                "; ".join(f"{r.crime_type} {number(r.observed)} vs {number(r.expected, 1)} expected, vs {year_before} "
                          f"{p_text(year_p[r.crime_type])}" for r in seasonal.itertuples(index=False)) + "."))
        for r in elevated.itertuples(index=False):
            paragraphs.append(f"{r.crime_type}: {number(r.observed)} against an expected {number(r.expected, 1)} "
                              f"({p_text(r.p_value)}): elevated, below the exceptional threshold; monitor.")
            recommendations.append(_recommendation(
                "Intelligence", f"Keep {r.crime_type.lower()} under review at the next meeting; not yet exceptional "
                                "force-wide.",
                f"{number(r.observed)} against {number(r.expected, 1)} expected, {p_text(r.p_value)} "
                f"(Table {draft._tables + 1})."))
        shown = exceed_types.sort_values("p_value").head(14)
        exceed_figure = draft.figure(
            f"Crimes in {month_label(latest)} against the expectation from the previous 12 months",
            lambda path: charts.observed_vs_expected(
                path, shown["crime_type"].tolist(), shown["observed"].astype(float).tolist(),
                shown["expected"].astype(float).tolist(), (shown["flag"] == "exceptional").tolist(),
                title="Recorded and expected crimes by type"),
            indicator="tasks.indicators.exceedance", params={**params, "latest_months": 1, "baseline_months": 12},
            data_name="exceedance")
        drill_items.append(exceed_figure)
    ordered = exceed.sort_values(["p_value", "crime_type"], na_position="last")
    exceed_table = draft.table(
        f"Exceedance test, {month_label(latest)} against the monthly mean of the previous 12 months",
        [("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"), ("Baseline months", "num"), ("p", "num"),
         ("Assessment", "text"), (f"p against {year_before}", "num")],
        [[r.crime_type, number(r.observed), number(r.expected, 1), number(r.baseline_months_held), p_value(r.p_value), r.flag,
          p_value(year_p.get(r.crime_type))] for r in ordered.itertuples(index=False)],
        flags=(ordered["flag"] == "exceptional").tolist(),
        indicator="tasks.indicators.exceedance; tasks.indicators.period_change",
        params={**params, "latest_months": 1, "baseline_months": 12}, data=exceed, data_name="exceedance",
        note="Exceptional: p < 0.01; elevated: p < 0.05 (Poisson, expected = baseline monthly mean). The last column "
             "tests the month against the same month a year earlier, which separates seasonal peaks from new rises.")
    drill_items.append(exceed_table)
    if baseline_usable:
        drill_items.append(draft.table(
            f"Local emerging issues, {month_label(latest)}: LSOA and crime type pairs far above their own previous 12 months",
            [("LSOA", "text"), ("Name", "text"), ("Crime type", "text"), ("Recorded", "num"), ("Expected", "num"),
             ("p", "num"), (year_before, "num"), ("Busiest location", "text")],
            [[r.lsoa_code, r.lsoa_name, r.crime_type, number(r.observed), number(r.expected, 1), p_value(r.p_value),
              number(r.year_earlier), f"{place_name(r.top_location)} ({number(r.top_location_crimes)})"]
             for r in local.head(TOP_N).itertuples(index=False)],
            indicator="tasks.products.local_emerging_issues (Poisson per LSOA and crime type, Bonferroni)",
            params={**params, "baseline_months": 12, "min_count": LOCAL_MIN_COUNT, "family_p": LOCAL_FAMILY_P,
                    "year_earlier_p": LOCAL_YEAR_P,
                    "tests": int(local["tests"].iloc[0]) if not local.empty else 0},
            data=local, data_name="local_emerging_issues",
            note=f"Every LSOA and crime type pair with at least {LOCAL_MIN_COUNT} crimes in the month is tested; listed "
                 "when p is below 0.01 divided by the number of pairs tested (Bonferroni), against (baseline + 0.5) / 12, "
                 f"and the count is also above {year_before} (p < 0.05).",
            empty="No LSOA and crime type pair is exceptional once the number of pairs tested is allowed for."))
        local_recommendations = []
        for r in local.head(2).itertuples(index=False):
            place = f"{place_name(r.top_location)} in {r.lsoa_name} ({r.lsoa_code})"
            basis = (f"{r.crime_type} in {r.lsoa_code}: {number(r.observed)} against {number(r.expected, 1)} expected "
                     f"({p_text(r.p_value)}); {number(r.top_location_crimes)} at {place_name(r.top_location)} "
                     f"(Table {draft._tables}).")
            local_recommendations += [
                _recommendation("Enforcement", f"Direct visible patrols and proactive operations against "
                                f"{r.crime_type.lower()} to {place} for the coming fortnight.", basis),
                _recommendation("Prevention", f"Agree designing-out and target-hardening measures for {r.crime_type.lower()} "
                                f"at {place} with the site owner and local authority (lighting, CCTV, guardianship).", basis),
                _recommendation("Intelligence", f"Task collection on suspects, linked series and near-repeat patterns for "
                                f"{r.crime_type.lower()} around {place}.", basis),
                _recommendation("Reassurance", f"Brief the neighbourhood team and partners for {r.lsoa_name}; give "
                                f"{r.crime_type.lower()} prevention advice to people using {place_name(r.top_location)}.", basis),
            ]
        # Local emerging issues lead each area of the recommendations: they are the sharpest finding.
        recommendations[:0] = local_recommendations
    for r in emerging.head(2).itertuples(index=False):
        focus = Scope(force, latest, latest, crime_types=(r.crime_type,))
        where = indicators.lsoa_counts(warehouse_file, focus)
        spots = indicators.repeat_locations(warehouse_file, focus, min_months=1).sort_values("crimes", ascending=False)
        where = where[where["crimes"] > 0].head(5)
        top_lsoa = where.iloc[0] if not where.empty else None
        drill_items.append(draft.table(
            f"{r.crime_type}, {month_label(latest)}: where it was recorded (top LSOAs)",
            [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Share of type", "num"), ("IMD decile", "num")],
            [[w.lsoa_code, w.lsoa_name, number(w.crimes), percent(w.crimes / r.observed) if r.observed else "–",
              number(w.imd_decile)] for w in where.itertuples(index=False)],
            indicator="tasks.indicators.lsoa_counts", params=scope_params(focus),
            data=where, data_name=f"lsoa_counts_{r.crime_type.lower().replace(' ', '_')}"))
        top_spots = spots.head(3)
        spot_text = "; ".join(f"{place_name(s.location)} ({number(s.crimes)})" for s in top_spots.itertuples(index=False))
        lsoa_text = (f"{top_lsoa['lsoa_name']} ({top_lsoa['lsoa_code']}, {number(top_lsoa['crimes'])} of "
                     f"{number(r.observed)})") if top_lsoa is not None else "no single LSOA"
        basis = (f"{r.crime_type}: {number(r.observed)} against {number(r.expected, 1)} expected, "
                 f"{p_text(r.p_value)} (exceptional force-wide); most in {lsoa_text} (Table {draft._tables}).")
        recommendations += [
            _recommendation("Enforcement", f"Direct patrols and proactive enforcement for {r.crime_type.lower()} to "
                            f"{lsoa_text}" + (f", especially {spot_text}." if spot_text else "."), basis),
            _recommendation("Prevention", f"Agree target-hardening and design-out measures with partners for "
                            f"{r.crime_type.lower()} in {lsoa_text}.", basis),
            _recommendation("Intelligence", f"Task intelligence collection on suspects, linked series and "
                            f"near-repeat patterns for {r.crime_type.lower()} force-wide, starting in {lsoa_text}.", basis),
            _recommendation("Reassurance", f"Brief neighbourhood teams and local partners on {r.crime_type.lower()} "
                            f"in {lsoa_text}; give crime-prevention advice to residents and businesses.", basis),
        ]
    draft.section("Emerging and exceptional issues", paragraphs, drill_items)

    # --- hotspots and change
    located = locations.sort_values("crimes", ascending=False)
    kde, hot, hot_change = month["kde_grid"], month["hotspots"], month["hotspot_change"]
    spots = _hotspot_peaks(hot, located, TOP_N)
    status_of = {(r.cell_x, r.cell_y): r.status for r in hot_change.itertuples(index=False)}
    spots["status"] = [status_of.get(k, "–") for k in zip(spots["cell_x"], spots["cell_y"])]
    cell_size = int(hot["cell_size_m"].iloc[0]) if not hot.empty else 0
    map_figure = draft.figure(
        f"Located crimes in {month_label(latest)}, kernel density and the hot spots of Table {draft._tables + 1}",
        lambda path: charts.hotspot_map(path, np.repeat(located["longitude"], located["crimes"]),
                                        np.repeat(located["latitude"], located["crimes"]),
                                        list(zip(spots["longitude"], spots["latitude"], spots["around"])),
                                        title=f"Located crimes and hot spots, {month_label(latest)}",
                                        density=_kde_surface(kde)),
        indicator="tasks.indicators.kde_grid; tasks.indicators.hotspots",
        params={**params, "kde_cell_m": _first(kde, "cell_size_m"), "bandwidth_m": _first(kde, "bandwidth_m"),
                "gi_cell_m": cell_size},
        note="Grey dots: published (snapped) crime locations. Shading: quartic kernel density. Numbered circles: the "
             "hot spots of the table. British National Grid, drawn from the data's own coordinates; no base map.",
        data_name="kde_grid")
    draft.save_data(kde, "kde_grid")
    hotspot_table = draft.table(
        f"Hot spots, {month_label(latest)}: the busiest {cell_size} m cells that are Getis-Ord Gi* hot spots at 99%, "
        f"at least {2 * cell_size} m apart and holding {HOTSPOT_MIN_CRIMES} or more crimes",
        [("#", "num"), ("Around (busiest named location in the cell)", "text"), ("LSOA", "text"), ("Crimes", "num"),
         ("Gi* z", "num"), ("Against previous month", "text")],
        [[p.spot, p.around, p.lsoa_code, number(p.crimes), number(p.gi_z, 1), p.status]
         for p in spots.itertuples(index=False)],
        indicator="tasks.indicators.hotspots; tasks.indicators.hotspot_change; local peaks (tasks.products)",
        params={**params, "cell_size_m": cell_size, "min_separation_m": 2 * cell_size, "previous": previous_month},
        data=hot[(hot["crimes"] > 0) | (hot["gi_class"] != "not significant")], data_name="hotspots",
        note="Against previous month: new = not a hot spot (95%) in the previous month; persistent = hot in both. "
             "The Gi* classes are not corrected for multiple testing: read them as where to look.",
        empty=f"No cell holding {HOTSPOT_MIN_CRIMES} or more crimes is a hot spot at the 99% level this month.")
    draft.save_data(hot_change, "hotspot_change")
    draft.save_data(located, "location_counts")
    before = lsoas_before.set_index("lsoa_code")["crimes"]
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N).copy()
    top_lsoas["previous"] = top_lsoas["lsoa_code"].map(before).fillna(0).astype(int)
    top_lsoas["change"] = top_lsoas["crimes"] - top_lsoas["previous"]
    lsoa_table = draft.table(
        f"LSOAs with most crime in {month_label(latest)} and their change on {month_label(previous_month)}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Previous month", "num"), ("Change", "num"),
         ("Rate per 1,000", "num"), ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.previous), signed(r.change), number(r.rate_per_1000, 1),
          number(r.imd_decile)] for r in top_lsoas.itertuples(index=False)],
        indicator="tasks.indicators.lsoa_counts", params={**params, "compared_with": previous_month},
        data=lsoas, data_name="lsoa_counts")
    conc = concentration.set_index("unit")
    hot_paragraphs = []
    counts = hot_change["status"].value_counts() if not hot_change.empty else pd.Series(dtype=int)
    hot_paragraphs.append(
        f"{number(int((hot['gi_class'] == 'hot spot 99%').sum()))} of {number(len(hot))} {cell_size} m cells are hot "
        f"spots at the 99% level this month. Against {month_label(previous_month)} (95% level): "
        f"{number(counts.get('new', 0))} new, {number(counts.get('persistent', 0))} persistent and "
        f"{number(counts.get('cooling', 0))} cooling hot spot cells.")
    if "lsoa" in conc.index and pd.notna(conc.loc["lsoa", "top_10pct_share"]):
        c = conc.loc["lsoa"]
        hot_paragraphs.append(f"Crime is concentrated: the busiest {number(c['top_10pct_units'])} of {number(c['units'])} "
                              f"LSOAs (10%) held {percent(c['top_10pct_share'])} of located crimes "
                              f"(Gini {number(c['gini'], 2)}).")
        key_findings.append(hot_paragraphs[-1])
    if not top_lsoas.empty:
        riser = top_lsoas.sort_values("change", ascending=False).iloc[0]
        hot_paragraphs.append(f"The busiest LSOA was {top_lsoas.iloc[0]['lsoa_name']} ({number(top_lsoas.iloc[0]['crimes'])} "
                              f"crimes); the largest rise among the ten was {riser['lsoa_name']} ({signed(riser['change'])} "
                              f"on {month_label(previous_month)}).")
    new_spots = spots[spots["status"] == "new"]
    if not new_spots.empty:
        first_new = new_spots.iloc[0]
        recommendations.append(_recommendation(
            "Enforcement", f"Include the new hot spot around {first_new['around']} ({first_new['lsoa_code']}) in "
                           "patrol plans for the coming fortnight.",
            f"Hot spot {first_new['spot']}: {number(first_new['crimes'])} crimes in the cell, Gi* z = "
            f"{number(first_new['gi_z'], 1)}; not a hot spot in {month_label(previous_month)} (Table {draft._tables - 1})."))
    draft.section("Hotspots and their change", hot_paragraphs, [map_figure, hotspot_table, lsoa_table])

    # --- repeat locations
    repeat_top = repeats.sort_values(["crimes"], ascending=False).head(TOP_N)
    named_repeats = repeats[[place_name(v) != place_name(None) for v in repeats["location"]]]
    repeat_table = draft.table(
        f"Locations with crime in each of the three months {period_text(repeat_scope.period_from, latest)}",
        [("Location", "text"), ("LSOA", "text"), ("Crimes (3 months)", "num"), ("Months", "num")],
        [[place_name(r.location), r.lsoa_code, number(r.crimes), number(r.months_with_crime)] for r in repeat_top.itertuples(index=False)],
        indicator="tasks.indicators.repeat_locations", params={**scope_params(repeat_scope), "min_months": 3},
        data=repeats, data_name="repeat_locations")
    repeat_paragraphs = [f"{number(len(repeats))} published locations had crime in each of the three months to "
                         f"{month_label(latest)}; the ten with most crime are listed."]
    if not named_repeats.empty:
        first = named_repeats.sort_values("crimes", ascending=False).iloc[0]
        recommendations.append(_recommendation(
            "Prevention", f"Start problem-solving (SARA) with the owner or manager at {place_name(first['location'])} "
                          f"({first['lsoa_code']}), the busiest named repeat location.",
            f"{number(first['crimes'])} crimes over three months, every month (Table {draft._tables})."))
    draft.section("Repeat locations", repeat_paragraphs, [repeat_table])

    focus_types = list(dict.fromkeys(local["crime_type"].tolist() + emerging["crime_type"].tolist()
                                     + elevated["crime_type"].tolist()))[:3]
    _outcomes_section(draft, warehouse_file, scope, focus_types, key_findings, recommendations,
                      shares=month["outcome_shares"])
    _stop_search_section(draft, warehouse_file, scope, key_findings, recommendations, search=month["stop_search"])
    # Force records, when loaded: the last 14 and 28 days against a baseline (issue 8, tasks.internal_analysis).
    internal_analysis.tactical_recent_section(draft, warehouse_file, force, key_findings, recommendations)

    # --- what changed since the previous tactical assessment
    previous = _previous_tactical(warehouse_file, force, slot.created_at)
    key_figures = {
        "period_end": latest.strftime("%Y-%m"),
        "total": _int(total["crimes"]),
        "by_type": {r.crime_type: _int(r.crimes) for r in by_type.itertuples(index=False)},
        "exceptional": exceptional["crime_type"].tolist(),
        "elevated": elevated["crime_type"].tolist(),
        "local_issues": [f"{r.crime_type} in {r.lsoa_code}" for r in local.itertuples(index=False)],
        "top_lsoas": top_lsoas["lsoa_code"].head(5).tolist(),
    }
    changed_items, changed_paragraphs = [], []
    if previous is None:
        changed_paragraphs.append("No earlier tactical assessment for this force is stored, so there is nothing to "
                                  "compare with: this is the first.")
    else:
        changed_paragraphs.append(
            f"Compared with {previous['version_id']} ({previous['status']}), which assessed {previous['period_end']}.")
        new_exc = sorted(set(key_figures["exceptional"]) - set(previous.get("exceptional", [])))
        gone_exc = sorted(set(previous.get("exceptional", [])) - set(key_figures["exceptional"]))
        changed_paragraphs.append("Newly exceptional: " + (", ".join(new_exc) if new_exc else "none") +
                                  ". No longer exceptional: " + (", ".join(gone_exc) if gone_exc else "none") + ".")
        new_local = [i for i in key_figures["local_issues"] if i not in previous.get("local_issues", [])]
        changed_paragraphs.append("New local emerging issues: " + (", ".join(new_local) if new_local else "none") + ".")
        new_lsoas = [c for c in key_figures["top_lsoas"] if c not in previous.get("top_lsoas", [])]
        changed_paragraphs.append("LSOAs new to the five busiest: " + (", ".join(new_lsoas) if new_lsoas else "none") + ".")
        rows = []
        for crime_type in sorted(set(key_figures["by_type"]) | set(previous.get("by_type", {}))):
            now, then = key_figures["by_type"].get(crime_type), previous.get("by_type", {}).get(crime_type)
            rows.append([crime_type, number(then), number(now),
                         signed(now - then) if now is not None and then is not None else "–"])
        rows.append([ALL_CRIME, number(previous.get("total")), number(key_figures["total"]),
                     signed(key_figures["total"] - previous["total"]) if previous.get("total") is not None and key_figures["total"] is not None else "–"])
        changed_items.append(draft.table(
            f"Crimes by type: this assessment ({key_figures['period_end']}) against {previous['version_id']} "
            f"({previous['period_end']})",
            [("Crime type", "text"), ("Previous assessment", "num"), ("This assessment", "num"), ("Change", "num")], rows,
            indicator="product_version.key_figures_json (previous) and tasks.indicators.period_change (this)",
            params={"previous_version": previous["version_id"], "this_period": latest}))
    draft.section("What changed since the previous tactical assessment", changed_paragraphs, changed_items)

    # --- gaps, sources
    gaps, check = _common_gaps(warehouse_file, force, trend_from, latest, sources, lsoas)
    if not baseline_usable:
        gaps.insert(0, ["Baseline months not held",
                        f"{int(exceed['baseline_months_held'].iloc[0])} of the 12 months {exceed['baseline_from'].iloc[0]} "
                        f"to {exceed['baseline_to'].iloc[0]} are in the warehouse",
                        "Emerging and exceptional issues cannot be tested; month-on-month changes are descriptive only."])
    if not recommendations:
        recommendations.append(_recommendation(
            "Intelligence", "No crime type exceeds its expected level: maintain current deployments and review at "
                            "the next meeting.", f"All {len(exceed_types)} crime types within the expected range ({exceed_table['ref']})."))
    tor = _tor_rows([
        ("Requested by", requested_by),
        ("Purpose", "Identify short-term issues for the TT&CG to consider: emerging and exceptional crime, hotspots, "
                    "repeat locations, and options for prevention, intelligence, enforcement and reassurance."),
        ("Area", f"The whole force area ({force})"),
        ("Period assessed", f"{month_label(latest)} (the latest month held), against the previous 12 months"),
        ("Questions", "What is higher than expected? Where is it concentrated? What has changed since the last "
                      "assessment? What should the group consider doing?"),
        ("Out of scope", "Named individuals (subject profiles), force-internal data not yet loaded, partner data."),
    ])
    return {
        "tor": tor,
        "key_findings": key_findings,
        "recommendations": _recommendations_table(draft, recommendations, params),
        "gaps": _gaps_table(draft, gaps, {"force": force, "from": trend_from, "to": latest}, check),
        "sources": sources_section(draft, force, sources, [
            "Exceedance: the latest month's count per crime type tested against a Poisson distribution whose mean is "
            "the monthly average of the previous 12 months (exceptional p < 0.01, elevated p < 0.05).",
            "Hotspots: counts per published location and per LSOA for the month; concentration as the share of "
            "located crime in the busiest 10% of LSOAs and the Gini coefficient.",
            "Repeat locations: published locations with at least one crime in each of the last three months.",
        ], _approximations(), trend_from, latest),
        "key_figures": key_figures,
        "data_period": f"{data_period}; assessment month {month_label(latest)}",
        "handling": "For the TT&CG and intelligence staff. Built from published open data"
                    + (" and the force's own records" if internal_analysis.held(warehouse_file, force)["records"] else " only")
                    + "; the marking reflects the analysis and recommendations it contains.",
    }


# --------------------------------------------------------------------------------------------- strategic assessment

def build_strategic_assessment(
    warehouse_file,
    force: str,
    months: int = 36,
    period_end: str | date | None = None,
    marking: str = "OFFICIAL",
    store_dir=None,
    author: str | None = None,
    requested_by: str = "Chair, Strategic Tasking and Coordination Group",
) -> ProductResult:
    """The strategic assessment for the ST&CG over `months` months to `period_end` (default the latest held)."""
    if months < 12:
        raise ValueError("a strategic assessment needs at least 12 months (--months)")
    latest = parse_month(period_end) if period_end else latest_street_month(warehouse_file, force)
    require_street_month(warehouse_file, force, latest)
    first = add_months(latest, -(months - 1))
    title = f"Strategic assessment: {period_text(first, latest)}"
    author = author_name(author)

    def build(draft: Draft, slot) -> dict:
        return _strategic_content(draft, warehouse_file, force, first, latest, requested_by)

    return publish(
        warehouse_file, kind="strategic", force=force, scope={"period_end": latest.strftime("%Y-%m"), "months": months},
        period_label=latest.strftime("%Y-%m"), title=title, marking=marking, author=author, requested_by=requested_by,
        terms_of_reference="Strategic assessment for the ST&CG: control strategy and intelligence requirement",
        period_start=first, period_end=latest, store_dir=store_dir, build=build,
    )


def _strategic_content(draft: Draft, warehouse_file, force: str, first: date, latest: date, requested_by: str) -> dict:
    whole = Scope(force, first, latest)
    year = Scope(force, add_months(latest, -11), latest)
    year_params = scope_params(year)
    long_run = indicators.all_indicators(warehouse_file, whole, only=["monthly_volumes", "seasonality"])
    volumes, season = long_run["monthly_volumes"], long_run["seasonality"]
    last_year = indicators.all_indicators(warehouse_file, year, only=[
        "period_change", "priority_matrix", "lsoa_counts", "concentration", "deprivation", "deprivation_correlation",
        "outcome_shares", "stop_search"])
    change, priorities, lsoas = last_year["period_change"], last_year["priority_matrix"], last_year["lsoa_counts"]
    concentration, deprivation = last_year["concentration"], last_year["deprivation"]
    correlation = last_year["deprivation_correlation"]
    sources = collect_sources(warehouse_file, force, first, latest, focus=(year.period_from, latest))
    key_findings: list[str] = []
    recommendations: list[dict] = []
    held = sorted(volumes.loc[volumes["crimes"].notna(), "month"].unique())
    requested = volumes["month"].nunique()

    # --- long-term trends
    monthly_total = volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    top_types = (volumes.groupby("crime_type")["crimes"].sum().sort_values(ascending=False).head(5).index.tolist())
    months_axis = [parse_month(m) for m in monthly_total.index]
    series = {ALL_CRIME: monthly_total.astype("Float64").to_numpy(dtype=float, na_value=np.nan)}
    for crime_type in top_types:
        series[crime_type] = (volumes[volumes["crime_type"] == crime_type].sort_values("month")["crimes"]
                              .astype("Float64").to_numpy(dtype=float, na_value=np.nan))
    trend_figure = draft.figure(
        f"Monthly crimes, {period_text(first, latest)}: all crime and the five largest types",
        lambda path: charts.monthly_trend(path, months_axis, series, title="Crimes recorded per month"),
        indicator="tasks.indicators.monthly_volumes", params=scope_params(whole),
        note="Gaps in a line are months the warehouse does not hold.", data_name="monthly_volumes")
    draft.save_data(volumes, "monthly_volumes")
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    total = change.set_index("crime_type").loc[ALL_CRIME]
    flags = [(pd.notna(r.p_rise_vs_year_earlier) and r.p_rise_vs_year_earlier < 0.01) for r in by_type.itertuples(index=False)]
    change_table = draft.table(
        f"Crimes by type, the last 12 months ({period_text(year.period_from, latest)}) against the 12 months before",
        [("Crime type", "text"), ("Last 12 months", "num"), ("Previous 12", "num"), ("Change", "num"), ("Change %", "num"),
         ("p (rise)", "num"), ("p (fall)", "num")],
        [[r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
          _pct_change(r.crimes, r.previous_crimes), p_value(r.p_rise_vs_year_earlier), p_value(r.p_fall_vs_year_earlier)]
         for r in pd.concat([by_type, change[change["crime_type"] == ALL_CRIME]]).itertuples(index=False)],
        flags=flags + [False], indicator="tasks.indicators.period_change", params=year_params, data=change,
        data_name="period_change",
        note="Rows shaded: a rise significant at p < 0.01 (Poisson, the previous 12 months as the expectation).")
    trend_lines = []
    year_held = sum(1 for m in held if parse_month(m) >= year.period_from)
    if pd.isna(total["crimes"]):
        trend_lines.append(f"Only {year_held} of the last 12 months are held, so no 12-month totals or changes can be "
                           "given; Figure 1 shows the months held.")
    elif pd.notna(total["previous_crimes"]):
        trend_lines.append(f"{number(total['crimes'])} crimes and ASB incidents were recorded in the last 12 months, "
                           f"{signed(total['change_vs_previous'])} ({_pct_change(total['crimes'], total['previous_crimes'])}) "
                           "on the 12 months before.")
    else:
        trend_lines.append(f"{number(total['crimes'])} crimes and ASB incidents were recorded in the last 12 months; the 12 "
                           "months before are not fully held, so no change can be stated.")
    rising = by_type[by_type["p_rise_vs_year_earlier"] < 0.01]
    falling = by_type[by_type["p_fall_vs_year_earlier"] < 0.01]
    if not rising.empty:
        trend_lines.append("Significant rises (p < 0.01): " + "; ".join(
            f"{r.crime_type} {signed(r.change_vs_previous)} ({_pct_change(r.crimes, r.previous_crimes)})"
            for r in rising.itertuples(index=False)) + ".")
    if not falling.empty:
        trend_lines.append("Significant falls (p < 0.01): " + "; ".join(
            f"{r.crime_type} {signed(r.change_vs_previous)} ({_pct_change(r.crimes, r.previous_crimes)})"
            for r in falling.itertuples(index=False)) + ".")
    key_findings += trend_lines
    draft.section("Current picture and long-term trends", trend_lines,
                  [trend_figure, change_table] if pd.notna(total["crimes"]) else [trend_figure])

    # --- seasonality
    if len(held) < 24:
        draft.section("Seasonality", [
            f"Seasonality needs at least two years of months; {len(held)} are held, so it is not assessed here."])
    else:
        season_types = top_types[:4]
        # Every calendar month on the axis; a month not held is a gap in the line.
        season_series = {t: season[season["crime_type"] == t].set_index("month_of_year")["seasonal_index"]
                         .reindex(range(1, 13)).to_numpy(float) for t in season_types}
        years_held = int(season["months_held"].min()) if not season.empty else 0
        season_figure = draft.figure(
            "Seasonal index by calendar month for the four largest crime types (100 = an average month)",
            lambda path: charts.seasonality(path, list(range(1, 13)), season_series, title="Seasonality"),
            indicator="tasks.indicators.seasonality", params=scope_params(whole),
            note=f"Each calendar month is averaged over the {years_held} or more years held for it.", data_name="seasonality")
        peaks = []
        for crime_type, group in season.groupby("crime_type"):
            if group["seasonal_index"].notna().any():
                top = group.loc[group["seasonal_index"].idxmax()]
                low = group.loc[group["seasonal_index"].idxmin()]
                peaks.append((crime_type, int(top["month_of_year"]), top["seasonal_index"], int(low["month_of_year"]),
                              low["seasonal_index"]))
        month_names = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                       "November", "December"]
        season_table = draft.table(
            "Peak and lowest calendar month per crime type",
            [("Crime type", "text"), ("Peak month", "text"), ("Index", "num"), ("Lowest month", "text"), ("Index", "num")],
            [[t, month_names[pm], number(pi), month_names[lm], number(li)] for t, pm, pi, lm, li in
             sorted(peaks, key=lambda p: -p[2])],
            indicator="tasks.indicators.seasonality", params=scope_params(whole), data=season, data_name="seasonality")
        season_lines = [f"Seasonality is measured over {len(held)} months held; with {years_held} of each calendar month "
                        "at least, an index describes past years and is a guide, not a forecast."]
        strongest = sorted(peaks, key=lambda p: -p[2])[:3]
        if strongest:
            season_lines.append("The most seasonal types peak in " + "; ".join(
                f"{month_names[pm]} ({t.lower()}, index {number(pi)})" for t, pm, pi, _, _ in strongest) + ".")
        draft.section("Seasonality", season_lines, [season_figure, season_table])

    # --- harm and priorities
    ranked = priorities.sort_values("rank")
    matrix_figure = draft.figure(
        "Priority matrix: harm share against volume share per crime type, numbered by rank and coloured by score band",
        lambda path: charts.priority_matrix(
            path, ranked["crime_type"].tolist(), (ranked["harm_share"].fillna(0) * 100).tolist(),
            (ranked["crime_share"].fillna(0) * 100).tolist(),
            [_priority_band(s) for s in ranked["priority_score"]],
            title="Harm and volume, last 12 months", xlabel="share of crimes (%, square-root scale)",
            ylabel="share of harm (%, square-root scale)"),
        indicator="tasks.indicators.priority_matrix", params=year_params, data_name="priority_matrix")
    priority_table = draft.table(
        f"Priority matrix, {period_text(year.period_from, latest)}: candidate control strategy priorities",
        [("Rank", "num"), ("Crime type", "text"), ("Crimes", "num"), ("Harm share", "num"), ("Harm", "num"),
         ("Volume", "num"), ("Trend", "num"), ("Exceedance", "num"), ("Score", "num"), ("Organisational position", "text")],
        [[r.rank, r.crime_type, number(r.crimes), percent(r.harm_share), r.harm_score, r.volume_score, r.trend_score,
          r.exceedance_score, r.priority_score, "for the analyst"] for r in ranked.itertuples(index=False)],
        flags=(ranked["rank"] <= 3).tolist(), indicator="tasks.indicators.priority_matrix", params=year_params,
        data=priorities, data_name="priority_matrix",
        note="Each component is scored 1-5 (docs/indicators.md): harm and volume by share bands, trend by a Poisson test "
             "against the previous 12 months, exceedance by the latest month against its 12-month baseline. The score "
             "is their sum (4-20). Organisational position (capacity, capability, confidence) is for people to add.")
    top3 = ranked.head(3)
    priority_lines = [
        "The candidate priorities for the control strategy, ranked on harm, volume, trend and exceedance, are "
        + "; ".join(f"{r.rank}. {r.crime_type} (score {r.priority_score}, {percent(r.harm_share)} of harm, "
                    f"{percent(r.crime_share)} of crimes)" for r in top3.itertuples(index=False)) + "."]
    key_findings.append(priority_lines[0])
    if year_held < 12:
        priority_lines.append(f"Only {year_held} of the last 12 months are held: the matrix ranks what those months show, "
                              "and the trend component has no year-earlier data to test.")
    for r in top3.itertuples(index=False):
        basis = (f"Rank {r.rank}, score {r.priority_score}: {number(r.crimes)} crimes, {percent(r.harm_share)} of harm, "
                 f"trend score {r.trend_score} (Table {draft._tables}).")
        recommendations.append(_recommendation(
            "Prevention", f"Adopt {r.crime_type.lower()} as a control strategy priority with a named strategic lead and "
                          "a partnership prevention plan.", basis))
        recommendations.append(_recommendation(
            "Intelligence", f"Set an intelligence requirement for {r.crime_type.lower()}: offenders, repeat victims, "
                            "locations and emerging methods.", basis))
    draft.section("Harm-ranked priorities: the candidate control strategy", priority_lines, [matrix_figure, priority_table],
                  analyst_input="Score the organisational position (capacity, capability, confidence) for each candidate "
                                "priority and confirm or amend the ranking; the matrix scores only what the data show.")

    # --- place and deprivation
    place_items, place_lines = [], []
    conc = concentration.set_index("unit")
    if "lsoa" in conc.index and pd.notna(conc.loc["lsoa", "top_10pct_share"]):
        c = conc.loc["lsoa"]
        place_lines.append(f"Over the last 12 months the busiest {number(c['top_10pct_units'])} of {number(c['units'])} LSOAs "
                           f"(10%) held {percent(c['top_10pct_share'])} of located crime (Gini {number(c['gini'], 2)}).")
    if "location" in conc.index and pd.notna(conc.loc["location", "top_5pct_share"]):
        c = conc.loc["location"]
        place_lines.append(f"The busiest 5% of published locations ({number(c['top_5pct_units'])}) held "
                           f"{percent(c['top_5pct_share'])} of located crime.")
    key_findings += place_lines[:1]
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N)
    place_items.append(draft.table(
        f"LSOAs with most crime, {period_text(year.period_from, latest)}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Residents", "num"), ("Rate per 1,000", "num"),
         ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.population), number(r.rate_per_1000, 1),
          number(r.imd_decile)] for r in top_lsoas.itertuples(index=False)],
        indicator="tasks.indicators.lsoa_counts", params=year_params, data=lsoas, data_name="lsoa_counts"))
    imd = deprivation[deprivation["domain"] == "imd"].sort_values("decile")
    if not imd.empty:
        place_items.append(draft.figure(
            "Crime rate per 1,000 residents by IMD 2019 decile (1 = most deprived 10% in England)",
            lambda path: charts.horizontal_bars(path, [f"decile {d} ({n} LSOA{'s' if n != 1 else ''})" for d, n in zip(imd["decile"], imd["lsoas"])],
                                                imd["rate_per_1000"].tolist(), title="Crime rate by deprivation decile",
                                                xlabel="crimes per 1,000 residents (12 months)", value_format="{:,.0f}"),
            indicator="tasks.indicators.deprivation", params={**year_params, "domain": "imd"}, data_name="deprivation"))
        draft.save_data(deprivation, "deprivation")
    corr = correlation.iloc[0]
    if pd.notna(corr["spearman_rho"]):
        strength = "no clear" if corr["spearman_p"] >= 0.05 else ("a" if abs(corr["spearman_rho"]) < 0.3 else "a marked")
        direction = "" if corr["spearman_p"] >= 0.05 else (" (more crime where deprivation is higher)"
                                                             if corr["spearman_rho"] < 0 else " (more crime where deprivation is lower)")
        place_lines.append(f"Across {number(corr['lsoas'])} LSOAs there is {strength} relationship between crime rate and "
                           f"deprivation{direction}: Spearman rho = {number(corr['spearman_rho'], 2)}, "
                           f"{p_text(corr['spearman_p'])}.")
        draft.save_data(correlation, "deprivation_correlation")
    else:
        place_lines.append("Too few LSOAs with residents to relate crime to deprivation.")
    draft.section("Place and deprivation", place_lines, place_items)

    _outcomes_section(draft, warehouse_file, year, top3["crime_type"].tolist(), key_findings, recommendations,
                      shares=last_year["outcome_shares"])
    _stop_search_section(draft, warehouse_file, year, key_findings, recommendations, search=last_year["stop_search"])

    # --- intelligence requirement
    requirement_rows = []
    for r in top3.itertuples(index=False):
        requirement_rows.append([r.crime_type, "Who offends, against whom, where and when; links to organised crime; "
                                 "emerging methods.", "Force crime and intelligence systems; partner data; "
                                 "victim and offender management.", f"Priority rank {r.rank} (score {r.priority_score})"])
    gaps, check = _common_gaps(warehouse_file, force, first, latest, sources, lsoas)
    if len(held) < requested:
        gaps.insert(0, ["Months not held", f"{len(held)} of the {requested} months requested are in the warehouse",
                        "Trends and seasonality rest on fewer years than intended."])
    for gap, what, _ in gaps:
        if gap.startswith(("Incomplete data", "No ", "Months not held", "Batch")):
            requirement_rows.append([gap, what, "data.police.uk re-publication or the force's own extract",
                                     "Intelligence gap (see Intelligence gaps)"])
    requirement_table = draft.table(
        "Intelligence requirement (draft): what the force needs to know, and where it may be found",
        [("Subject", "text"), ("What we need to know", "text"), ("Sources to task", "text"), ("Why", "text")],
        requirement_rows, indicator="tasks.indicators.priority_matrix (top 3) and the intelligence gaps",
        params=year_params)
    draft.section("Intelligence requirement", [
        "A draft intelligence requirement follows from the candidate priorities and the gaps in this assessment."],
        [requirement_table])
    draft.section("Horizon scanning (PESTELO)", [
        "Political, economic, social, technological, environmental, legal and organisational factors likely to affect "
        "crime and demand over the next three years cannot be derived from recorded crime."],
        analyst_input="Add the PESTELO horizon scan: for each factor, the expected change, its likely effect on the "
                      "priorities above, and the source.")
    draft.section("Organisational position and areas for development", [
        "Capacity, capability and confidence to tackle each priority, and the areas for development, are judgements for "
        "the force."], analyst_input="Add the organisational position for each candidate priority and the areas for "
                                     "development identified with departments and partners.")

    tor = _tor_rows([
        ("Requested by", requested_by),
        ("Purpose", "Describe the current and long-term issues for the force to inform the control strategy and the "
                    "intelligence requirement."),
        ("Area", f"The whole force area ({force})"),
        ("Period", f"{period_text(first, latest)}; priorities over the last 12 months"),
        ("Questions", "What are the long-term trends and seasonal patterns? Which issues cause most harm? Where is crime "
                      "concentrated and how does it relate to deprivation? What should the control strategy and "
                      "intelligence requirement contain?"),
        ("Analyst input required", "PESTELO horizon scanning; organisational position; partner information."),
    ])
    return {
        "tor": tor,
        "key_findings": key_findings,
        "recommendations": _recommendations_table(draft, recommendations, year_params),
        "gaps": _gaps_table(draft, gaps, {"force": force, "from": first, "to": latest}, check),
        "sources": sources_section(draft, force, sources, [
            "Trends: the last 12 months against the 12 before, tested with a Poisson test (p < 0.01).",
            "Seasonality: mean crimes per calendar month over every month held, as an index (100 = average month).",
            "Priority matrix: harm, volume, trend and exceedance each scored 1-5 and summed; organisational position "
            "left for people (MoRiLE-style, with this project's documented scales).",
            "Deprivation: crime rates per 1,000 residents by IMD 2019 decile and a Spearman correlation across LSOAs.",
        ], _approximations([indicators.HARM_APPROXIMATION]), first, latest),
        "key_figures": {"period_end": latest.strftime("%Y-%m"), "months_held": len(held),
                        "priorities": top3["crime_type"].tolist(), "total_12_months": _int(total["crimes"])},
        "data_period": period_text(parse_month(held[0]), latest) + (f" ({len(held)} of {requested} months requested held)"
                                                                    if len(held) < requested else "") if held else "none held",
        "handling": "For the ST&CG and intelligence staff. Built only from published open data; the marking reflects "
                    "the analysis and recommendations it contains.",
    }


# -------------------------------------------------------------------------------------------------- problem profile

def build_problem_profile(
    warehouse_file,
    force: str,
    *,
    area: str | None,
    crime_types: tuple[str, ...] | list[str],
    period_from: str | date,
    period_to: str | date,
    requested_by: str,
    terms_of_reference: str,
    marking: str = "OFFICIAL-SENSITIVE",
    store_dir=None,
    author: str | None = None,
) -> ProductResult:
    """A problem profile of `crime_types` in `area` (the indicators' area syntax: lsoa:, la:, bbox:, wkt:, or none
    for the whole force) over `period_from`..`period_to`, with the requester's terms of reference first and a data
    pack (CSV and Parquet of the rows and indicators used) beside the PDF."""
    if not requested_by or not requested_by.strip():
        raise ValueError("a problem profile needs the name of whoever requested it (--requested-by)")
    if not terms_of_reference or not terms_of_reference.strip():
        raise ValueError("a problem profile needs its terms of reference agreed first (--tor)")
    scope = Scope.from_area_text(force, period_from, period_to, area, tuple(crime_types))
    in_scope = int(indicators.monthly_volumes(warehouse_file, scope)["crimes"].sum())
    if not in_scope:
        raise ValueError(f"no street crimes of {', '.join(scope.crime_types) or 'any type'} in {scope.area_label} from "
                         f"{scope.period_from:%Y-%m} to {scope.period_to:%Y-%m}: nothing to profile (check the force, "
                         "area, crime type names and months)")
    types_label = _types_phrase(list(scope.crime_types)) if scope.crime_types else "all crime"
    title = f"Problem profile: {types_label[:1].upper() + types_label[1:]}, {scope.area_label}"
    author = author_name(author)

    def build(draft: Draft, slot) -> dict:
        return _profile_content(draft, warehouse_file, scope, requested_by, terms_of_reference, types_label)

    return publish(
        warehouse_file, kind="problem_profile", force=force,
        scope={"area": area or "", "crime_types": sorted(scope.crime_types), "from": scope.period_from.strftime("%Y-%m"),
               "to": scope.period_to.strftime("%Y-%m")},
        period_label=scope.period_to.strftime("%Y-%m"), title=title, marking=marking, author=author,
        requested_by=requested_by, terms_of_reference=terms_of_reference, period_start=scope.period_from,
        period_end=scope.period_to, store_dir=store_dir, build=build,
    )


def _profile_content(draft: Draft, warehouse_file, scope: Scope, requested_by: str, terms_of_reference: str,
                     types_label: str) -> dict:
    from tasks.indicators.scope import session

    force = scope.force
    params = scope_params(scope)
    label = period_text(scope.period_from, scope.period_to)
    force_scope = Scope(force, scope.period_from, scope.period_to, crime_types=scope.crime_types)
    found = indicators.all_indicators(warehouse_file, scope, only=[
        "monthly_volumes", "period_change", "exceedance", "lsoa_counts", "kde_grid", "hotspots", "seasonality", "harm",
        "outcome_shares", "stop_search"])
    volumes, change, exceed, lsoas = found["monthly_volumes"], found["period_change"], found["exceedance"], found["lsoa_counts"]
    kde, hot, season, harm = found["kde_grid"], found["hotspots"], found["seasonality"], found["harm"]
    force_volumes = indicators.monthly_volumes(warehouse_file, force_scope)
    locations = indicators.repeat_locations(warehouse_file, scope, min_months=1)
    sources = collect_sources(warehouse_file, force, add_months(scope.period_from, -12), scope.period_to,
                              focus=(scope.period_from, scope.period_to))
    with session(warehouse_file, scope) as s:
        rows = s.df("SELECT * FROM scoped_street WHERE month BETWEEN $period_from AND $period_to ORDER BY month, crime_id",
                    s.period_params())
    draft.save_data(rows, "rows_used")
    key_findings: list[str] = []
    recommendations: list[dict] = []
    total = change.set_index("crime_type").loc[ALL_CRIME]
    area_total = int(volumes["crimes"].sum())
    force_total = int(force_volumes["crimes"].sum())

    # --- the problem in context (general to specific)
    area_series = volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    force_series = force_volumes.groupby("month", sort=True)["crimes"].sum(min_count=1)
    months_axis = [parse_month(m) for m in area_series.index]
    whole_force = scope.area_kind == "force"
    context_lines = [
        f"{number(area_total)} crimes of the types in scope ({types_label}) were recorded in {scope.area_label} in {label}"
        + ("." if whole_force else f": {percent(area_total / force_total) if force_total else '–'} of the force's "
                                   f"{number(force_total)}."),
    ]
    if pd.notna(total["previous_crimes"]):
        context_lines.append(f"That is {signed(total['change_vs_previous'])} ({_pct_change(total['crimes'], total['previous_crimes'])}) "
                             f"on {_previous_months(scope.months)}.")
    if pd.notna(total["year_earlier_crimes"]):
        p_rise, p_fall = total["p_rise_vs_year_earlier"], total["p_fall_vs_year_earlier"]
        verdict = ("a significant rise" if p_rise < 0.01 else "a significant fall" if p_fall < 0.01 else "no significant change")
        context_lines.append(f"Against the same months a year earlier ({number(total['year_earlier_crimes'])}) this is "
                             f"{verdict} (Poisson {p_text(min(p_rise, p_fall))}).")
    key_findings += context_lines
    lines = {scope.area_label: area_series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)}
    if not whole_force:
        lines[f"whole force ({force})"] = force_series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    # A line chart of one or two months says nothing the sentences do not.
    context_figure = draft.figure(
        f"Monthly crimes of the types in scope, {label}" + ("" if whole_force else ": the area against the whole force"),
        lambda path: charts.monthly_trend(path, months_axis, lines, title="Crimes recorded per month"),
        indicator="tasks.indicators.monthly_volumes",
        params=params if whole_force else {**params, "compared_with": "whole force, same types"},
        data_name="monthly_volumes") if scope.months >= 3 else None
    draft.save_data(volumes, "monthly_volumes")
    draft.save_data(force_volumes, "monthly_volumes_force")
    by_type = change[change["crime_type"] != ALL_CRIME].sort_values("crimes", ascending=False)
    change_table = draft.table(
        f"Crimes in scope by type, {label}, against {_previous_months(scope.months)} and a year earlier",
        [("Crime type", "text"), ("This period", "num"), ("Previous period", "num"), ("Change", "num"),
         ("A year earlier", "num"), ("p (rise)", "num"), ("p (fall)", "num")],
        [[r.crime_type, number(r.crimes), number(r.previous_crimes), signed(r.change_vs_previous),
          number(r.year_earlier_crimes), p_value(r.p_rise_vs_year_earlier), p_value(r.p_fall_vs_year_earlier)]
         for r in pd.concat([by_type, change[change["crime_type"] == ALL_CRIME]]).itertuples(index=False)],
        indicator="tasks.indicators.period_change", params=params, data=change, data_name="period_change")
    exceed_row = exceed.set_index("crime_type").loc[ALL_CRIME]
    if exceed_row["flag"] in ("exceptional", "elevated"):
        context_lines.append(f"The latest month, {exceed_row['latest_to']}, is {exceed_row['flag']}: {number(exceed_row['observed'])} "
                             f"against an expected {number(exceed_row['expected'], 1)} ({p_text(exceed_row['p_value'])}).")
        key_findings.append(context_lines[-1])
    draft.save_data(exceed, "exceedance")
    harm_table = draft.table(
        f"Harm of the crimes in scope, {label} (Cambridge Crime Harm Index days, approximate)",
        [("Crime type", "text"), ("Crimes", "num"), ("Weight (days)", "num"), ("Harm (days)", "num"), ("Share of harm", "num")],
        [[r.crime_type, number(r.crimes), number(r.harm_weight_days, 1), number(r.harm_days), percent(r.harm_share)]
         for r in harm.itertuples(index=False)],
        indicator="tasks.indicators.harm", params=params, data=harm, data_name="harm")
    draft.section("The problem in context", context_lines,
                  ([context_figure] if context_figure else []) + [change_table, harm_table])

    # --- location (VOLT: L)
    located = locations.sort_values("crimes", ascending=False)
    spots = _hotspot_peaks(hot, located, TOP_N)
    cell_size = int(hot["cell_size_m"].iloc[0]) if not hot.empty else 0
    location_items = []
    if not located.empty:
        location_items.append(draft.figure(
            f"Located crimes in scope, {label}, kernel density and the hot spots of Table {draft._tables + 1}",
            lambda path: charts.hotspot_map(path, np.repeat(located["longitude"], located["crimes"]),
                                            np.repeat(located["latitude"], located["crimes"]),
                                            list(zip(spots["longitude"], spots["latitude"], spots["around"])),
                                            title=f"Located crimes and hot spots, {label}", density=_kde_surface(kde)),
            indicator="tasks.indicators.kde_grid; tasks.indicators.hotspots",
            params={**params, "kde_cell_m": _first(kde, "cell_size_m"), "bandwidth_m": _first(kde, "bandwidth_m"),
                    "gi_cell_m": cell_size},
            note="Grey dots: published (snapped) locations. Shading: quartic kernel density. British National Grid, "
                 "drawn from the data's own coordinates; no base map.", data_name="kde_grid"))
    location_items.append(draft.table(
        f"Hot spots of the crimes in scope: busiest {cell_size} m Gi* 99% cells, at least {2 * cell_size} m apart "
        f"and holding {HOTSPOT_MIN_CRIMES} or more crimes",
        [("#", "num"), ("Around (busiest named location in the cell)", "text"), ("LSOA", "text"), ("Crimes", "num"),
         ("Gi* z", "num")],
        [[p.spot, p.around, p.lsoa_code, number(p.crimes), number(p.gi_z, 1)] for p in spots.itertuples(index=False)],
        indicator="tasks.indicators.hotspots; local peaks (tasks.products)",
        params={**params, "cell_size_m": cell_size, "min_separation_m": 2 * cell_size},
        data=hot[(hot["crimes"] > 0) | (hot["gi_class"] != "not significant")], data_name="hotspots",
        empty=f"No cell holding {HOTSPOT_MIN_CRIMES} or more of these crimes is a hot spot at the 99% level."))
    draft.save_data(kde, "kde_grid")
    repeat = located[located["months_with_crime"] >= 2].head(TOP_N)
    location_items.append(draft.table(
        f"Repeat locations: published locations with crimes in scope in two or more months of {label}",
        [("Location", "text"), ("LSOA", "text"), ("Crimes", "num"), ("Months", "num"), ("First", "text"), ("Last", "text")],
        [[place_name(r.location), r.lsoa_code, number(r.crimes), number(r.months_with_crime), r.first_month, r.last_month]
         for r in repeat.itertuples(index=False)],
        indicator="tasks.indicators.repeat_locations", params={**params, "min_months": 2},
        data=located, data_name="location_counts", empty="No location had crimes in scope in more than one month."))
    top_lsoas = lsoas[lsoas["crimes"] > 0].head(TOP_N)
    location_items.append(draft.table(
        f"LSOAs with most crimes in scope, {label}",
        [("LSOA", "text"), ("Name", "text"), ("Crimes", "num"), ("Rate per 1,000", "num"), ("IMD decile", "num")],
        [[r.lsoa_code, r.lsoa_name, number(r.crimes), number(r.rate_per_1000, 1), number(r.imd_decile)]
         for r in top_lsoas.itertuples(index=False)],
        indicator="tasks.indicators.lsoa_counts", params=params, data=lsoas, data_name="lsoa_counts"))
    location_lines = []
    if not located.empty:
        located_total = int(located["crimes"].sum())
        top_share = located["crimes"].head(TOP_N).sum() / located_total if located_total else float("nan")
        location_lines.append(f"{number(located_total)} of the crimes in scope have a published location, at "
                              f"{number(len(located))} distinct points; the ten busiest points hold {percent(top_share)}.")
        key_findings.append(location_lines[-1])
    if not spots.empty:
        first = spots.iloc[0]
        location_lines.append(f"The leading hot spot is around {first['around']} ({first['lsoa_code']}): {number(first['crimes'])} "
                              f"crimes in one {cell_size} m cell (Gi* z = {number(first['gi_z'], 1)}).")
        basis = f"Hot spot 1: {number(first['crimes'])} crimes, Gi* z = {number(first['gi_z'], 1)} ({label})."
        recommendations += [
            _recommendation("Enforcement", f"Focus patrols and operations on the area around {first['around']} "
                                           f"({first['lsoa_code']}) and the other hot spots listed.", basis),
            _recommendation("Prevention", f"Commission a crime prevention survey and environmental visual audit around "
                                          f"{first['around']} with the local authority and premises owners.", basis),
        ]
    if not repeat.empty:
        r = repeat.iloc[0]
        recommendations.append(_recommendation(
            "Prevention", f"Problem-solve with the owner or manager at {place_name(r['location'])} ({r['lsoa_code']}).",
            f"{number(r['crimes'])} crimes in {number(r['months_with_crime'])} different months ({r['first_month']} to "
            f"{r['last_month']})."))
    location_lines.append("Locations are anonymised map points (\"On or near\"): they locate a problem to a street or "
                          "place, not an address.")
    draft.section("Location (VOLT: L)", location_lines, location_items)

    # --- time (VOLT: T)
    season_all = season.groupby("month_of_year").agg(crimes=("crimes", "sum"), months_held=("months_held", "max")).reset_index()
    overall = season_all["crimes"].sum() / season_all["months_held"].sum() if season_all["months_held"].sum() else np.nan
    season_all["index"] = (season_all["crimes"] / season_all["months_held"]) * 100.0 / overall if overall else np.nan
    force_records = internal_analysis.held(warehouse_file, force)["records"] > 0
    time_lines = [(f"Month by month in {label}: see Figure 1. " if context_figure else "")
                  + "The published data give the month only: day of week and time of day "
                  + ("come from the force's own records (below)." if force_records
                     else "cannot be analysed from them and need force systems.")]
    time_items = []
    months_for_season = int(season_all["months_held"].sum()) if not season_all.empty else 0
    if months_for_season < 24:
        time_lines.append(f"Seasonality needs at least two years of months; {months_for_season} are held for the force, "
                          "so it is not assessed.")
    elif season_all["index"].notna().any():
        top = season_all.loc[season_all["index"].idxmax()]
        time_lines.append(f"Across every month held for the force, the crimes in scope peak in "
                          f"{date(2000, int(top['month_of_year']), 1):%B} (index {number(top['index'])}; 100 = average month).")
        time_items.append(draft.figure(
            "Seasonal index of the crimes in scope by calendar month (100 = an average month)",
            lambda path: charts.seasonality(path, season_all["month_of_year"].tolist(),
                                            {types_label: season_all["index"].tolist()}, title="Seasonality"),
            indicator="tasks.indicators.seasonality", params={**params, "combined": "sum over the types in scope"},
            note="Built from the seasonality indicator's counts per type, summed over the types in scope.",
            data_name="seasonality"))
        draft.save_data(season, "seasonality")
    draft.section("Time (VOLT: T)", time_lines, time_items)
    # Force records, when loaded: hour x weekday and near repeats (issue 8, tasks.internal_analysis).
    internal_analysis.problem_profile_sections(draft, warehouse_file, scope, key_findings, recommendations)

    # --- victims and offenders (VOLT: V, O)
    _outcomes_section(draft, warehouse_file, scope, list(scope.crime_types)[:3], key_findings, recommendations,
                      shares=found["outcome_shares"])
    draft.section("Victims and offenders (VOLT: V and O)", [
        "Published data carry no victim or offender details, so this profile cannot describe who is harmed or who "
        "offends. The outcomes above show how far investigations identify suspects."],
        analyst_input="Add victim and offender analysis from force systems: repeat victims, known and suspected "
                      "offenders, links between them, and any organised crime group mapping.")
    _stop_search_section(draft, warehouse_file, scope, key_findings, recommendations, search=found["stop_search"])

    gaps, check = _common_gaps(warehouse_file, force, add_months(scope.period_from, -12), scope.period_to, sources, lsoas)
    if force_records:
        gaps.insert(0, ["Victim and offender", "Not in published data",
                        "VOLT headings V and O are left for the analyst."])
    else:
        gaps.insert(0, ["Victim, offender and time of day", "Not in published data",
                        "VOLT headings V and O and time-of-day analysis are left for the analyst."])
    recommendations.append(_recommendation(
        "Intelligence", "Fill the victim and offender gaps from force systems before the profile is finalised.",
        "Published data hold no victim or offender details (Intelligence gaps)."))
    recommendations.append(_recommendation(
        "Reassurance", f"Agree with neighbourhood teams how to tell residents in {scope.area_label} what is being done "
                       f"about {types_label}.", f"{number(area_total)} crimes in scope in {label}."))
    tor = _tor_rows([
        ("Requested by", requested_by),
        ("Terms of reference (as agreed)", terms_of_reference),
        ("Problem", f"{types_label[:1].upper() + types_label[1:]} in {scope.area_label}"),
        ("Period", label),
        ("Structure", "General to specific: the problem in context, then location, time, victims and offenders "
                      "(VOLT), outcomes and stop and search, then recommendations and gaps."),
        ("Data pack", "CSV and Parquet of the rows and every indicator used sit in data/ beside this PDF."),
    ])
    return {
        "tor": tor,
        "key_findings": key_findings,
        "recommendations": _recommendations_table(draft, recommendations, params),
        "gaps": _gaps_table(draft, gaps, {"force": force, "from": scope.period_from, "to": scope.period_to}, check),
        "sources": sources_section(draft, force, sources, [
            "Scope: the street crimes of the force in the area and crime types asked for, over the period; the previous "
            "period and a year earlier for comparison (Poisson tests, p < 0.01).",
            "Location: kernel density (quartic), Getis-Ord Gi* hot spots with the busiest cells at least two cells "
            "apart, repeat locations (crime in two or more months), LSOA counts and rates.",
            "Time: monthly counts and a month-of-year index over every month held.",
            "Harm: Cambridge Crime Harm Index days per crime type (approximate, see below).",
        ], _approximations([indicators.HARM_APPROXIMATION]), add_months(scope.period_from, -12), scope.period_to),
        "key_figures": {"period_from": scope.period_from.strftime("%Y-%m"), "period_to": scope.period_to.strftime("%Y-%m"),
                        "area": scope.area_label, "crimes": area_total, "force_crimes": force_total},
        "data_period": f"{label} (with the 12 months before for comparison)",
        "handling": "OFFICIAL-SENSITIVE by default: a profile names places and can direct operations. Share only with "
                    "those who need it for the purpose in the terms of reference.",
    }
