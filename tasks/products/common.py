"""Small helpers every section uses: wording, place names, hot spot peaks and the KDE lattice."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from tasks.indicators.geography import GENERIC_SNAP_LABELS
from tasks.indicators.scope import parse_month

ALL_CRIME = "All crime"
TOP_N = 10
HOTSPOT_MIN_CRIMES = 5
MONTH_NAMES = ["", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]


def as_int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def pct_change(now, before) -> str:
    if now is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
        return "–"
    change = (now - before) * 100.0 / before
    return f"{change:+.1f}%" if abs(change) < 1 else f"{change:+.0f}%"


def types_phrase(names: list[str]) -> str:
    names = [n.lower() if n != "Anti-social behaviour" else "anti-social behaviour" for n in names]
    if not names:
        return "all crime"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    return capitalised(text) + "."


def previous_months(months: int) -> str:
    return "the previous month" if months == 1 else f"the previous {months} months"


def priority_band(score) -> str:
    """Display bands for the matrix chart only (the table gives every score)."""
    return "15-20" if score >= 15 else ("11-14" if score >= 11 else "4-10")


def month_axis(frame: pd.DataFrame) -> list[date]:
    return [parse_month(m) for m in frame["month"]]


def tor_rows(rows: list[tuple[str, str]]) -> list[dict]:
    return [{"label": label, "value": value} for label, value in rows]


def first_value(frame: pd.DataFrame, column: str):
    return frame[column].iloc[0] if not frame.empty else None


def series(values: pd.Series) -> np.ndarray:
    """Counts as floats with missing months as NaN (a gap in a line chart)."""
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def place_name(location) -> str:
    """A published location as a reader should see it: 'On or near ' with no street becomes explicit."""
    text = str(location).strip() if isinstance(location, str) else ""
    return text if text and text != "On or near" else "an unnamed published point"


def kde_surface(kde: pd.DataFrame):
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


def concentration_text(c) -> str:
    """'the busiest LSOA of 6 held 74.7% of located crime' from a concentration row (unit 'lsoa')."""
    from tasks.render import number, percent

    top, units = int(c["top_10pct_units"]), int(c["units"])
    who = "the busiest LSOA" if top == 1 else f"the busiest {number(top)} LSOAs"
    return f"{who} of {number(units)} (the top 10%, at least one) held {percent(c['top_10pct_share'])} of located crime " \
           f"(Gini {number(c['gini'], 2)})"


def hotspot_peaks(hot: pd.DataFrame, locations: pd.DataFrame, limit: int, separation_cells: int = 2) -> pd.DataFrame:
    """The busiest Gi* 99% hot spot cells that are local peaks, each named after its busiest named location.

    In a dense centre most cells are hot at 99% and contiguous, so neither "all hot cells" nor "contiguous hot
    areas" gives separate places to send patrols to. A cell is kept only if no busier kept cell lies within
    `separation_cells` cells (500 m with 250 m cells), and only if it holds at least HOTSPOT_MIN_CRIMES crimes
    itself (Gi* also marks a near-empty cell hot when its neighbours are busy: no place to send a patrol to).
    Columns: spot, cell_x, cell_y, crimes, gi_z, longitude, latitude, around, lsoa_code.
    """
    from pyproj import Transformer

    columns = ["spot", "cell_x", "cell_y", "crimes", "gi_z", "longitude", "latitude", "around", "lsoa_code"]
    if hot.empty:
        return pd.DataFrame(columns=columns)
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
                                  named=[not is_generic_point(v) for v in locations["location"]])
        best = (placed.sort_values(["named", "crimes"], ascending=False).drop_duplicates(["cell_x", "cell_y"])
                .set_index(["cell_x", "cell_y"]))
        keys = list(zip(peaks["cell_x"], peaks["cell_y"]))
        peaks["around"] = [place_name(best.at[k, "location"]) if k in best.index else place_name(None) for k in keys]
        peaks["lsoa_code"] = [best.at[k, "lsoa_code"] if k in best.index else "–" for k in keys]
    peaks.insert(0, "spot", range(1, len(peaks) + 1))
    return peaks[columns]


# Labels data.police.uk gives to anonymisation snap points that are public places or premises types, not streets
# (DOMAIN.md: each crime is snapped to the nearest of about 750,000 map points). "On or near Supermarket" is not
# a supermarket anyone can find: a recommendation names the street instead. One list, kept with the maps' own use.
GENERIC_POINT_LABELS = GENERIC_SNAP_LABELS


def is_generic_point(location) -> bool:
    """True for a snap point named after a kind of place ('On or near Supermarket') or with no name at all."""
    text = str(location).strip() if isinstance(location, str) else ""
    name = text[len("On or near"):].strip() if text.lower().startswith("on or near") else text
    return not name or name.lower() in GENERIC_POINT_LABELS


def street_name(location) -> str:
    """'On or near Bishopsgate' -> 'Bishopsgate'."""
    text = str(location).strip()
    return text[len("On or near"):].strip() if text.lower().startswith("on or near") else text


# The busiest street-named point of an LSOA for some crime types and months, with the LSOA's name and local
# authority: what a recommendation names so a reader can find the place.
FINDABLE_PLACE_SQL = """
SELECT c.location, count(*) AS crimes
FROM street_crime c
WHERE c.force = $force AND c.lsoa_code = $lsoa_code AND c.month BETWEEN $first AND $last
  AND (len($crime_types) = 0 OR c.crime_type IN (SELECT unnest($crime_types)))
GROUP BY 1 ORDER BY crimes DESC, location
"""
LSOA_NAME_SQL = """
SELECT lsoa11_name AS lsoa_name, lad19_name FROM lsoa
WHERE lsoa11_code = coalesce((SELECT lsoa11_code FROM lsoa_lookup WHERE lsoa21_code = $lsoa_code
                              ORDER BY prop_11_of_21 DESC LIMIT 1), $lsoa_code)
UNION ALL
SELECT lsoa_name, NULL FROM (SELECT lsoa_name FROM street_crime WHERE force = $force AND lsoa_code = $lsoa_code LIMIT 1)
"""


def findable_place(session, force: str, lsoa_code: str, crime_types, first, last, prefer=None) -> str:
    """'Bishopsgate, City of London 001F (E01032739), City of London': `prefer` (the location the finding names)
    when it is a street, else the busiest street-named point of the LSOA for these crimes (never a snap-point label
    like 'Supermarket'), with its LSOA and its local authority."""
    points = session.df(FINDABLE_PLACE_SQL, {"force": force, "lsoa_code": lsoa_code, "crime_types": list(crime_types),
                                             "first": first, "last": last})
    streets = [street_name(p) for p in points["location"] if not is_generic_point(p)]
    if prefer is not None and not is_generic_point(prefer):
        streets.insert(0, street_name(prefer))
    lsoa_name, authority = lsoa_names(session, force, lsoa_code)
    where = f"{lsoa_name} ({lsoa_code})" if lsoa_name else f"LSOA {lsoa_code}"
    return ", ".join(([streets[0]] if streets else []) + [where] + ([authority] if authority else []))


def lsoa_names(session, force: str, lsoa_code: str) -> tuple[str | None, str | None]:
    """(LSOA name, local authority name) of a 2011 or 2021 LSOA code; None where the warehouse does not say."""
    try:
        names = session.df(LSOA_NAME_SQL, {"lsoa_code": lsoa_code, "force": force})
    except Exception:  # a warehouse without the reference tables: the code alone
        names = pd.DataFrame()
    lsoa_name = names["lsoa_name"].iloc[0] if not names.empty and pd.notna(names["lsoa_name"].iloc[0]) else None
    authority = names["lad19_name"].iloc[0] if not names.empty and pd.notna(names["lad19_name"].iloc[0]) else None
    return lsoa_name, authority


# An area of more LSOAs than this is named by its count (as Scope.area_label does), not LSOA by LSOA.
NAMED_LSOAS_MAX = 3


def area_place(session, force: str, area: str | None, month: date) -> str:
    """How a reader finds a stored area (the `lsoa:`/`la:`/`bbox:`/`wkt:` text of an action or priority): LSOAs by
    name, code and local authority ('City of London 001F (E01032739), City of London'), else the scope's label."""
    from tasks.indicators import Scope

    if area is None or pd.isna(area) or not area:
        return "whole force"
    scope = Scope.from_area_text(force, month, month, area)
    if scope.area_kind != "lsoa" or len(scope.lsoa_codes) > NAMED_LSOAS_MAX:
        return scope.area_label
    named = []
    for code in scope.lsoa_codes:
        lsoa_name, authority = lsoa_names(session, force, code)
        named.append(", ".join([f"{lsoa_name} ({code})" if lsoa_name else f"LSOA {code}"] + ([authority] if authority else [])))
    return "; ".join(named)


def harm_weight(crime_type: str) -> float:
    """Cambridge Crime Harm Index days for one crime (tasks.indicators.harm_weights), used to rank
    recommendations by harm; anti-social behaviour has no CCHI value and ranks by a nominal 1 day per incident."""
    from tasks.indicators import harm_weights

    global _WEIGHTS
    if _WEIGHTS is None:
        _WEIGHTS = harm_weights().set_index("crime_type")["harm_weight_days"].to_dict()
    return max(float(_WEIGHTS.get(crime_type, 1.0)), 1.0)


_WEIGHTS: dict | None = None


def harm_days_by_type(counts) -> float:
    """CCHI days of crimes given as {crime type: count} (or (type, count) pairs): every recommendation ranks by
    this one measure, so a handful of robberies can outrank a street of shoplifting."""
    pairs = counts.items() if hasattr(counts, "items") else counts
    return float(sum(harm_weight(crime_type) * float(count) for crime_type, count in pairs))


PLACE_MIX_SQL = """
SELECT crime_type, count(*) AS crimes
FROM street_crime
WHERE force = $force AND lsoa_code = $lsoa_code AND month BETWEEN $first AND $last
  AND ($location IS NULL OR location = $location)
  AND (len($crime_types) = 0 OR crime_type IN (SELECT unnest($crime_types)))
GROUP BY 1
"""


def harm_days_at(session, force: str, crimes: float, lsoa_code: str, crime_types, first, last,
                 location: str | None = None) -> float:
    """CCHI days of `crimes` crimes at a place: their count times the mean harm per crime of the place's crime
    mix (the published location when given, else its LSOA) over the months, in the crime types of the scope."""
    mix = session.df(PLACE_MIX_SQL, {"force": force, "lsoa_code": lsoa_code, "first": first, "last": last,
                                     "location": location, "crime_types": list(crime_types)})
    total = float(mix["crimes"].sum()) if not mix.empty else 0.0
    if not total:
        return float(crimes) * max((harm_weight(t) for t in crime_types), default=1.0)
    return float(crimes) * harm_days_by_type(zip(mix["crime_type"], mix["crimes"])) / total


def ratio_text(row) -> str:
    """'rate ratio 1.25 (95% CI 1.05 to 1.49)' from a period_change row (against the year earlier)."""
    from tasks.render import number

    ratio, low, high = (row["rate_ratio_vs_year_earlier"], row["rate_ratio_ci_low"], row["rate_ratio_ci_high"])
    if pd.isna(ratio) or np.isinf(ratio):
        return "no rate ratio (none a year earlier)"
    return f"rate ratio {number(ratio, 2)}, 95% CI {number(low, 2)} to {number(high, 2)}"


def year_verdict(row, adjusted: bool = True) -> str:
    """The judgement on a count against the same period a year earlier: a significant rise or fall only when the
    (adjusted) one-sided exact test says so and no break lies between the two periods."""
    from tasks.render import p_text
    from tasks.stats import thresholds as T

    if pd.isna(row["year_earlier_crimes"]) or pd.isna(row["crimes"]):
        return "no year-earlier figures to compare"
    if not row.get("comparable", True):
        return f"not comparable with a year earlier: {row['break_note']}"
    suffix = "_adjusted_vs_year_earlier" if adjusted and "p_rise_adjusted_vs_year_earlier" in row else "_vs_year_earlier"
    rise, fall = row[f"p_rise{suffix}"], row[f"p_fall{suffix}"]
    if rise < T.EXCEPTIONAL_P:
        verdict = "a significant rise"
    elif fall < T.EXCEPTIONAL_P:
        verdict = "a significant fall"
    else:
        verdict = "no significant change"
    return f"{verdict} ({ratio_text(row)}, two-sided {p_text(row['p_vs_year_earlier'])})"


def resident_caveat(lsoas: pd.DataFrame, months: int) -> str | None:
    """A caveat for resident-based rates when the data show a large non-resident population: LSOAs whose crimes a
    year per 1,000 residents exceed NON_RESIDENT_RATE_PER_1000_YEAR (tasks.stats.thresholds). None otherwise."""
    from tasks.render import number
    from tasks.stats import thresholds as T

    if lsoas is None or lsoas.empty or "population" not in lsoas or months < 1:
        return None
    if "in_area_population" in lsoas and lsoas["in_area_population"].astype(bool).any():
        lsoas = lsoas[lsoas["in_area_population"].astype(bool)]  # the area's own LSOAs, not neighbours'
    frame = lsoas[(lsoas["population"] > 0) & (lsoas["crimes"] > 0)]
    yearly = frame["crimes"] * 1000.0 / frame["population"] * 12.0 / months
    beyond = yearly[yearly > T.NON_RESIDENT_RATE_PER_1000_YEAR]
    if beyond.empty:
        return None
    return (f"Rates per 1,000 residents mislead here: {number(len(beyond))} of the area's {number(len(frame))} LSOAs "
            f"with residents record more than {number(T.NON_RESIDENT_RATE_PER_1000_YEAR)} crimes a year per 1,000 residents "
            f"(up to {number(beyond.max())}), far more than residents alone could account for. Most people there are "
            "workers, shoppers, visitors or travellers, who are not in the denominator: read the rates as crimes per "
            "resident, not as anyone's risk, and compare places by counts.")
