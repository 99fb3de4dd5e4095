"""Every indicator family on real data (City of London, 36 months; Northumbria, 3 months), each figure
recomputed here from the published files with pandas and the csv module, never with the project's SQL.
Counts compare exactly, rates and statistics to 1e-9."""
from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from scipy import stats

from tasks.indicators import (
    Scope, all_indicators, concentration, deprivation, deprivation_correlation, exceedance, harm, hotspot_change,
    hotspots, kde_grid, lsoa_counts, monthly_volumes, outcome_shares, outcome_timing, period_change,
    priority_matrix, repeat_locations, seasonality, stop_search, write_indicators,
)
from tasks.indicators.harm_index import HARM_WEIGHTS_FILE
from tasks.indicators.justice import OUTCOME_GROUPS_FILE
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA, REFERENCE

CITY = "city-of-london"
NORTH = "northumbria"
TOL = 1e-9


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("indicators") / "warehouse.duckdb"
    assert ingest_reference_paths([REFERENCE], path).ok
    assert ingest_paths([CITY_OF_LONDON, NORTHUMBRIA], path, gate=None).ok
    return path


# ---- the published files, read independently -------------------------------------------------------------

def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame


@pytest.fixture(scope="module")
def street() -> dict[str, pd.DataFrame]:
    frames = {}
    for force, folder in ((CITY, CITY_OF_LONDON), (NORTH, NORTHUMBRIA)):
        frames[force] = pd.concat([_read(p) for p in sorted(folder.glob("*-street.csv"))], ignore_index=True)
    return frames


def _number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def reference():
    """(File 6 population and LAD by 2011 LSOA, File 2 deciles, lookup rows) read with the csv module."""
    with gzip.open(REFERENCE / "File_6_-_IoD2019_Population_Denominators.csv.gz", "rt", encoding="utf-8-sig", newline="") as handle:
        population = {row["LSOA code (2011)"]: (_number(row["Total population: mid 2015 (excluding prisoners)"]),
                                                row["Local Authority District code (2019)"])
                      for row in csv.DictReader(handle)}
    with gzip.open(REFERENCE / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz", "rt", encoding="utf-8-sig", newline="") as handle:
        domains = list(csv.DictReader(handle))
    with open(REFERENCE / "LSOA11_LSOA21PopLookups.csv", encoding="utf-8-sig", newline="") as handle:
        lookup = list(csv.DictReader(handle))
    return population, domains, lookup


def in_period(frame: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    return frame[(frame["Month"] >= first) & (frame["Month"] <= last)]


def months(first: str, last: str) -> list[str]:
    return [m.strftime("%Y-%m") for m in pd.period_range(first, last, freq="M")]


def force_area_lsoas(street_rows: pd.DataFrame, population) -> set[str]:
    """2011 LSOAs of the local authorities where the force's crimes touch at least half of the LSOAs."""
    touched = set(street_rows["LSOA code"])
    by_lad: dict[str, list[str]] = {}
    for code, (_, lad) in population.items():
        by_lad.setdefault(lad, []).append(code)
    area = set()
    for codes in by_lad.values():
        if sum(code in touched for code in codes) >= 0.5 * len(codes):
            area.update(codes)
    return area


def close(a, b, tol=TOL) -> bool:
    if (a is None or (isinstance(a, float) and math.isnan(a))) and (b is None or (isinstance(b, float) and math.isnan(b))):
        return True
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


# ---- 1. volumes, rates and change ---------------------------------------------------------------------------

def test_monthly_volumes_and_rates_match_the_files(wh, street, reference):
    population, _, _ = reference
    rows = street[CITY]
    area = force_area_lsoas(rows, population)
    residents = sum(population[c][0] for c in area)
    got = monthly_volumes(wh, Scope(CITY, "2023-09", "2024-08"))
    expected = in_period(rows, "2023-09", "2024-08").groupby(["Month", "Crime type"]).size()
    types = sorted(rows["Crime type"].unique())
    assert len(got) == 12 * len(types)
    for row in got.itertuples():
        count = int(expected.get((row.month, row.crime_type), 0))
        assert row.crimes == count, (row.month, row.crime_type)
        assert close(row.rate_per_1000, count * 1000.0 / residents)
    assert int(got["crimes"].sum()) == len(in_period(rows, "2023-09", "2024-08"))


def test_rates_for_2021_lsoa_codes_use_apportioned_2011_residents(wh, street, reference):
    population, _, lookup = reference
    codes = ("E01035697", "E01000001")
    apportioned = sum(population[r["LSOA11CD"]][0] * float(r["Prop21of11"]) for r in lookup if r["LSOA21CD"] == "E01035697")
    residents = apportioned + population["E01000001"][0]
    got = monthly_volumes(wh, Scope(CITY, "2021-09", "2024-08", lsoa_codes=codes))
    rows = street[CITY][street[CITY]["LSOA code"].isin(codes)]
    assert int(got["crimes"].sum()) == len(rows)
    assert close(got["population"].iloc[0], residents)
    lsoas = lsoa_counts(wh, Scope(CITY, "2021-09", "2024-08", lsoa_codes=codes)).set_index("lsoa_code")
    assert close(lsoas.loc["E01035697", "population"], apportioned)
    assert lsoas.loc["E01035697", "crimes"] == (rows["LSOA code"] == "E01035697").sum()


def test_whole_force_lsoa_counts_fold_2021_codes_into_their_2011_lsoa(wh, street, reference):
    population, _, lookup = reference
    rows = street[CITY]
    children = {r["LSOA21CD"] for r in lookup if r["LSOA11CD"] == "E01004294"}  # split into two 2021 LSOAs
    published = set(rows["LSOA code"]) & (children | {"E01004294"})
    got = lsoa_counts(wh, Scope(CITY, "2021-09", "2024-08")).set_index("lsoa_code")
    assert got.loc["E01004294", "crimes"] == rows["LSOA code"].isin(children | {"E01004294"}).sum()
    assert set(got.loc["E01004294", "published_codes"].split(",")) == published
    assert close(got.loc["E01004294", "population"], population["E01004294"][0])
    assert not (got.index.isin(children)).any()
    assert int(got["crimes"].sum()) == (rows["LSOA code"] != "").sum()


def test_period_change_counts_previous_and_year_earlier(wh, street):
    rows = street[CITY]
    got = period_change(wh, Scope(CITY, "2024-03", "2024-08")).set_index("crime_type")
    now = in_period(rows, "2024-03", "2024-08")["Crime type"].value_counts()
    before = in_period(rows, "2023-09", "2024-02")["Crime type"].value_counts()
    year = in_period(rows, "2023-03", "2023-08")["Crime type"].value_counts()
    for crime_type in rows["Crime type"].unique():
        n, p, y = int(now.get(crime_type, 0)), int(before.get(crime_type, 0)), int(year.get(crime_type, 0))
        assert (got.loc[crime_type, "crimes"], got.loc[crime_type, "previous_crimes"], got.loc[crime_type, "year_earlier_crimes"]) == (n, p, y)
        # Two observed counts: the exact conditional binomial test (scipy), not a Poisson test against y as if known.
        if n + y:
            assert close(got.loc[crime_type, "p_rise_vs_year_earlier"], stats.binomtest(n, n + y, 0.5, "greater").pvalue)
            assert close(got.loc[crime_type, "p_fall_vs_year_earlier"], stats.binomtest(n, n + y, 0.5, "less").pvalue)
            assert close(got.loc[crime_type, "p_vs_year_earlier"], stats.binomtest(n, n + y, 0.5).pvalue)
            ci = stats.binomtest(n, n + y, 0.5).proportion_ci(0.95, method="exact")
            if y and ci.high < 1:
                assert close(got.loc[crime_type, "rate_ratio_ci_low"], ci.low / (1 - ci.low))
                assert close(got.loc[crime_type, "rate_ratio_ci_high"], ci.high / (1 - ci.high))
    assert got.loc["All crime", "crimes"] == int(now.sum())


def test_period_change_is_missing_not_zero_when_months_are_not_held(wh):
    got = period_change(wh, Scope(NORTH, "2022-08", "2022-09")).set_index("crime_type")
    assert got["previous_crimes"].isna().all()  # 2022-06..07: June is not held
    assert got["year_earlier_crimes"].isna().all()
    assert got["crimes"].notna().all()


# ---- 2. exceedance ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("latest_months", [1, 3])
def test_exceedance_poisson_against_trailing_twelve_months(wh, street, latest_months):
    rows = street[CITY]
    latest = months("2024-08", "2024-08") if latest_months == 1 else months("2024-06", "2024-08")
    baseline = months("2023-08", "2024-07") if latest_months == 1 else months("2023-06", "2024-05")
    got = exceedance(wh, Scope(CITY, "2023-09", "2024-08"), latest_months=latest_months).set_index("crime_type")
    observed = rows[rows["Month"].isin(latest)]["Crime type"].value_counts()
    base = rows[rows["Month"].isin(baseline)]["Crime type"].value_counts()
    from statsmodels.stats.multitest import multipletests

    from tasks.stats.tests import exceedance as exceedance_test

    by_month = rows[rows["Month"].isin(baseline)].groupby(["Crime type", "Month"]).size()
    raw = {}
    for crime_type in list(rows["Crime type"].unique()) + ["All crime"]:
        obs = int(observed.sum()) if crime_type == "All crime" else int(observed.get(crime_type, 0))
        mean = (int(base.sum()) if crime_type == "All crime" else int(base.get(crime_type, 0))) / 12.0
        expected = mean * latest_months
        monthly = np.array([by_month.xs(m, level="Month").sum() if crime_type == "All crime" else
                            by_month.get((crime_type, m), 0) for m in baseline], dtype=float)
        blocks = monthly.reshape(-1, latest_months).sum(axis=1)
        raw[crime_type] = exceedance_test(obs, blocks).p_value
        assert got.loc[crime_type, "observed"] == obs
        assert close(got.loc[crime_type, "expected"], expected)
        assert close(got.loc[crime_type, "p_value"], raw[crime_type])
    types = [t for t in raw if t != "All crime"]
    adjusted = dict(zip(types, multipletests([raw[t] for t in types], method="fdr_bh")[1]), **{"All crime": raw["All crime"]})
    for crime_type, p in adjusted.items():
        n = int(got.loc[crime_type, "observed"])
        flag = ("break in baseline" if got.loc[crime_type, "break_note"] else "within expected range" if n < 5 else
                "exceptional" if p < 0.01 else "elevated" if p < 0.05 else "within expected range")
        assert close(got.loc[crime_type, "p_adjusted"], p)
        assert got.loc[crime_type, "flag"] == flag


def test_a_real_recording_break_is_not_called_exceptional(wh, street):
    """City of London anti-social behaviour fell to about a tenth of its level from August 2023 for three months
    and recovered in November: August 2024 against that baseline is a recording change, not an exceptional month."""
    rows = street[CITY]
    asb = rows[rows["Crime type"] == "Anti-social behaviour"]["Month"].value_counts()
    assert asb["2023-09"] < asb["2023-06"] / 3 and asb["2024-08"] > 2 * asb["2023-09"]  # the dip, in the file itself
    got = exceedance(wh, Scope(CITY, "2024-08", "2024-08")).set_index("crime_type").loc["Anti-social behaviour"]
    assert got["flag"] == "break in baseline"
    assert "recording break from November 2023" in got["break_note"]  # the recovery from the dip
    change = period_change(wh, Scope(CITY, "2023-09", "2024-08")).set_index("crime_type").loc["Anti-social behaviour"]
    assert not change["comparable"]  # the 12 months against the 12 before span the same break


# ---- 3. seasonality -----------------------------------------------------------------------------------------

def test_seasonality_index_over_all_years(wh, street):
    rows = street[CITY]
    got = seasonality(wh, Scope(CITY, "2023-09", "2024-08")).set_index(["crime_type", "month_of_year"])
    rows = rows.assign(moy=rows["Month"].str[5:].astype(int))
    for crime_type, group in rows.groupby("Crime type"):
        overall = len(group) / 36.0
        per_month = group["moy"].value_counts()
        for moy in range(1, 13):
            mean = per_month.get(moy, 0) / 3.0
            assert got.loc[(crime_type, moy), "crimes"] == per_month.get(moy, 0)
            assert close(got.loc[(crime_type, moy), "seasonal_index"], 100.0 * mean / overall)


# ---- 4. harm ------------------------------------------------------------------------------------------------

def test_harm_weighted_volume(wh, street):
    with open(HARM_WEIGHTS_FILE, newline="") as handle:
        components = list(csv.DictReader(handle))
    weights = {}
    for crime_type in {c["crime_type"] for c in components}:
        parts = [c for c in components if c["crime_type"] == crime_type]
        if len(parts) == 1:
            weights[crime_type] = float(parts[0]["cchi_days"])
        else:
            total = sum(float(c["national_offences"]) for c in parts)
            weights[crime_type] = sum(float(c["cchi_days"]) * float(c["national_offences"]) for c in parts) / total
    counts = in_period(street[NORTH], "2022-07", "2022-09")["Crime type"].value_counts()
    total_harm = sum(weights[t] * n for t, n in counts.items())
    got = harm(wh, Scope(NORTH, "2022-07", "2022-09")).set_index("crime_type")
    for crime_type, n in counts.items():
        assert got.loc[crime_type, "crimes"] == n
        assert close(got.loc[crime_type, "harm_days"], n * weights[crime_type])
        assert close(got.loc[crime_type, "harm_share"], n * weights[crime_type] / total_harm)


# ---- 5. concentration, LSOAs, locations, KDE, Gi* -----------------------------------------------------------

def gini_from_lorenz_curve(values) -> float:
    """1 - twice the area under the Lorenz curve (trapezoids), a different route to the same coefficient."""
    x = np.sort(np.asarray(values, dtype=float))
    lorenz = np.concatenate([[0.0], np.cumsum(x) / x.sum()])
    return float(1.0 - (lorenz[1:] + lorenz[:-1]).sum() / len(x))


def test_lsoa_counts_rates_and_concentration(wh, street, reference):
    population, _, _ = reference
    rows = in_period(street[NORTH], "2022-07", "2022-09")
    area = force_area_lsoas(street[NORTH], population)
    per_lsoa = rows["LSOA code"].value_counts()
    got = lsoa_counts(wh, Scope(NORTH, "2022-07", "2022-09")).set_index("lsoa_code")
    codes = sorted(area)
    expected_crimes = np.array([per_lsoa.get(code, 0) for code in codes])
    expected_rates = expected_crimes * 1000.0 / np.array([population[code][0] for code in codes])
    assert (got.loc[codes, "crimes"].to_numpy() == expected_crimes).all()
    assert np.allclose(got.loc[codes, "rate_per_1000"].to_numpy(dtype=float), expected_rates, rtol=TOL, atol=0)
    assert set(got.index[got["in_area_population"]]) == area
    in_area = np.array(sorted((per_lsoa.get(code, 0) for code in area), reverse=True), dtype=float)
    located = rows[rows["Longitude"] != ""].groupby(["Longitude", "Latitude"]).size().sort_values(ascending=False).to_numpy(dtype=float)
    result = concentration(wh, Scope(NORTH, "2022-07", "2022-09")).set_index("unit")
    for unit, values in (("lsoa", in_area), ("location", located)):
        assert result.loc[unit, "units"] == len(values)
        assert result.loc[unit, "crimes"] == values.sum()
        for fraction, column in ((0.05, "top_5pct_share"), (0.10, "top_10pct_share")):
            assert close(result.loc[unit, column], values[: math.ceil(fraction * len(values))].sum() / values.sum())
        assert close(result.loc[unit, "gini"], gini_from_lorenz_curve(values))


def test_repeat_locations(wh, street):
    rows = in_period(street[CITY], "2024-01", "2024-06")
    rows = rows[rows["Longitude"] != ""]
    spread = rows.groupby(["Longitude", "Latitude"])["Month"].nunique()
    got = repeat_locations(wh, Scope(CITY, "2024-01", "2024-06"), min_months=3)
    assert len(got) == int((spread >= 3).sum())
    top = got.iloc[0]
    key = (f"{top.longitude:.6f}", f"{top.latitude:.6f}")
    assert top.months_with_crime == spread[key]
    assert top.crimes == len(rows[(rows["Longitude"] == key[0]) & (rows["Latitude"] == key[1])])


def test_kde_density_at_the_densest_cell(wh, street):
    rows = in_period(street[CITY], "2024-06", "2024-08")
    rows = rows[rows["Longitude"] != ""]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        rows["Longitude"].astype(float).to_numpy(), rows["Latitude"].astype(float).to_numpy())
    got = kde_grid(wh, Scope(CITY, "2024-06", "2024-08"), cell_size_m=50, bandwidth_m=200)
    for cell in got.head(3).itertuples():
        d2 = (x - cell.cell_x) ** 2 + (y - cell.cell_y) ** 2
        h2 = 200.0 ** 2
        density = sum(3.0 / (math.pi * h2) * (1 - v / h2) ** 2 for v in d2 if v < h2) * 1e6
        assert close(cell.density_per_km2, density)
    # each crime's kernel integrates to one: the grid holds (almost exactly) the located crimes
    assert abs(got["density_per_km2"].sum() * 0.05 ** 2 - len(rows)) / len(rows) < 0.01


def test_gi_star_matches_esda_on_the_real_lattice(wh, street):
    import libpysal
    from esda import G_Local

    rows = in_period(street[CITY], "2024-06", "2024-08")
    rows = rows[rows["Longitude"] != ""]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        rows["Longitude"].astype(float).to_numpy(), rows["Latitude"].astype(float).to_numpy())
    col, row = np.floor(x / 250).astype(int), np.floor(y / 250).astype(int)
    c0, r0 = col.min() - 1, row.min() - 1
    ncols, nrows = col.max() + 1 - c0 + 1, row.max() + 1 - r0 + 1
    lattice = np.zeros((nrows, ncols))
    np.add.at(lattice, (row - r0, col - c0), 1)
    weights = libpysal.weights.lat2W(nrows, ncols, rook=False)
    reference = G_Local(lattice.ravel(), weights, transform="B", star=True, permutations=0)
    got = hotspots(wh, Scope(CITY, "2024-06", "2024-08"))
    assert len(got) == nrows * ncols
    index = ((got["cell_y"] / 250 - 0.5 - r0) * ncols + (got["cell_x"] / 250 - 0.5 - c0)).round().astype(int)
    assert (got["crimes"].to_numpy() == lattice.ravel()[index]).all()
    assert np.allclose(got["gi_z"].to_numpy(), reference.Zs[index], rtol=1e-9, atol=1e-9)
    hot = got[got["gi_class"].str.startswith("hot spot 95%") | got["gi_class"].str.startswith("hot spot 99%")]
    assert (hot["gi_z"] >= 1.96).all() and len(hot) > 0


def test_hotspot_change_against_esda_on_both_periods(wh, street):
    import libpysal
    from esda import G_Local

    rows = street[CITY][street[CITY]["Longitude"] != ""]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        rows["Longitude"].astype(float).to_numpy(), rows["Latitude"].astype(float).to_numpy())
    col, row, month = np.floor(x / 250).astype(int), np.floor(y / 250).astype(int), rows["Month"].to_numpy()
    now_rows = (month >= "2024-03") & (month <= "2024-08")
    before_rows = (month >= "2023-09") & (month <= "2024-02")
    both = now_rows | before_rows
    c0, r0 = col[both].min() - 1, row[both].min() - 1
    ncols, nrows = col[both].max() + 2 - c0, row[both].max() + 2 - r0
    weights = libpysal.weights.lat2W(nrows, ncols, rook=False)
    z = {}
    for name, chosen in (("now", now_rows), ("before", before_rows)):
        lattice = np.zeros((nrows, ncols))
        np.add.at(lattice, (row[chosen] - r0, col[chosen] - c0), 1)
        z[name] = G_Local(lattice.ravel(), weights, transform="B", star=True, permutations=0).Zs
    expected = {}
    for index in range(nrows * ncols):
        hot_now, hot_before = z["now"][index] >= 1.96, z["before"][index] >= 1.96
        status = "persistent" if hot_now and hot_before else "new" if hot_now else "cooling" if hot_before else None
        if status:
            cell = ((index % ncols + c0 + 0.5) * 250, (index // ncols + r0 + 0.5) * 250)
            expected[cell] = (status, z["now"][index], z["before"][index])
    got = hotspot_change(wh, Scope(CITY, "2024-03", "2024-08"))
    assert {(c.cell_x, c.cell_y): c.status for c in got.itertuples()} == {cell: v[0] for cell, v in expected.items()}
    for cell in got.itertuples():
        assert close(cell.gi_z, expected[(cell.cell_x, cell.cell_y)][1])
        assert close(cell.previous_gi_z, expected[(cell.cell_x, cell.cell_y)][2])
    assert set(got["status"]) == {"new", "persistent", "cooling"}


# ---- 6. outcomes --------------------------------------------------------------------------------------------

def test_outcome_shares_and_timing(wh, street):
    with open(OUTCOME_GROUPS_FILE, newline="") as handle:
        groups = {r["outcome"]: r["outcome_group"] for r in csv.DictReader(handle)}
    crimes = in_period(street[NORTH], "2022-09", "2022-09")
    crimes = crimes[crimes["Crime ID"] != ""].groupby("Crime ID").agg(
        crime_type=("Crime type", "first"), last=("Last outcome category", "max"), month=("Month", "min"))
    outcomes = pd.concat([_read(p) for p in sorted(NORTHUMBRIA.glob("*-outcomes.csv"))], ignore_index=True)
    outcomes = outcomes[outcomes["Crime ID"].isin(crimes.index)]
    latest = outcomes.sort_values(["Month", "Outcome type"]).groupby("Crime ID").last()
    crimes["outcome"] = latest["Outcome type"].reindex(crimes.index)
    crimes["outcome_month"] = latest["Month"].reindex(crimes.index)
    crimes["outcome"] = crimes["outcome"].fillna(crimes["last"].replace("", np.nan))
    crimes["group"] = [groups.get(o, "other or unavailable") if isinstance(o, str) else "no outcome recorded" for o in crimes["outcome"]]
    got = outcome_shares(wh, Scope(NORTH, "2022-09", "2022-09"))
    whole = got[got["crime_type"] == "All crime"].set_index("outcome_group")["crimes"]
    assert whole.to_dict() == crimes["group"].value_counts().to_dict()
    ids_by_type = crimes.groupby(["crime_type", "group"]).size()
    per_type = got[got["crime_type"] != "All crime"].set_index(["crime_type", "outcome_group"])["crimes"]
    assert per_type.sort_index().to_dict() == ids_by_type.sort_index().to_dict()
    timed = crimes[crimes["outcome_month"].notna()]
    lag = (timed["outcome_month"].str[:4].astype(int) - 2022) * 12 + timed["outcome_month"].str[5:].astype(int) - 9
    timing = outcome_timing(wh, Scope(NORTH, "2022-09", "2022-09")).set_index("outcome_group")
    for group, values in lag.groupby(timed["group"]):
        assert timing.loc[group, "crimes"] == len(values)
        assert close(timing.loc[group, "mean_months"], values.mean())


# ---- 7. stop and search -------------------------------------------------------------------------------------

def test_stop_search_volumes_and_outcome_rates(wh):
    rows = pd.concat([_read(p) for p in sorted(NORTHUMBRIA.glob("*-stop-and-search.csv"))], ignore_index=True)
    no_action = {"A no further action disposal", "Nothing found - no further action", "No further action"}
    got = stop_search(wh, Scope(NORTH, "2022-07", "2022-09")).set_index(["dimension", "value"])
    assert got.loc[("all", "all searches"), "searches"] == len(rows)
    for column, dimension in (("Legislation", "legislation"), ("Object of search", "object_of_search"),
                              ("Officer-defined ethnicity", "officer_defined_ethnicity"), ("Age range", "age_range")):
        for value, group in rows.groupby(column):
            key = (dimension, value if value else "(not recorded)")
            arrests = (group["Outcome"] == "Arrest").sum()
            action = ((group["Outcome"] != "") & ~group["Outcome"].isin(no_action)).sum()
            linked = (group["Outcome linked to object of search"] == "True").sum()
            assert (got.loc[key, "searches"], got.loc[key, "arrests"], got.loc[key, "any_action"], got.loc[key, "linked_to_object"]) == (len(group), arrests, action, linked)
            assert close(got.loc[key, "arrest_rate"], arrests / len(group))
    assert got.loc[("all", "all searches"), "no_location"] == ((rows["Latitude"] == "") | (rows["Longitude"] == "")).sum()


# ---- 8. deprivation -----------------------------------------------------------------------------------------

def test_deprivation_rates_by_decile_and_correlation(wh, street, reference):
    population, domains, _ = reference
    rows = in_period(street[NORTH], "2022-07", "2022-09")
    area = force_area_lsoas(street[NORTH], population)
    per_lsoa = rows["LSOA code"].value_counts()
    decile = {d["LSOA code (2011)"]: int(d["Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"]) for d in domains}
    health = {d["LSOA code (2011)"]: int(d["Health Deprivation and Disability Decile (where 1 is most deprived 10% of LSOAs)"]) for d in domains}
    rank = {d["LSOA code (2011)"]: int(_number(d["Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"])) for d in domains}
    got = deprivation(wh, Scope(NORTH, "2022-07", "2022-09")).set_index(["domain", "decile"])
    for domain, by in (("imd", decile), ("health", health)):
        for d in range(1, 11):
            members = [c for c in area if by[c] == d]
            if not members:
                continue
            crimes = sum(per_lsoa.get(c, 0) for c in members)
            residents = sum(population[c][0] for c in members)
            assert got.loc[(domain, d), "crimes"] == crimes
            assert close(got.loc[(domain, d), "rate_per_1000"], crimes * 1000.0 / residents)
    codes = sorted(area)
    rates = [per_lsoa.get(c, 0) * 1000.0 / population[c][0] for c in codes]
    rho = stats.spearmanr([rank[c] for c in codes], rates).statistic
    correlation = deprivation_correlation(wh, Scope(NORTH, "2022-07", "2022-09")).iloc[0]
    assert correlation["lsoas"] == len(codes)
    assert close(correlation["spearman_rho"], rho)


# ---- 9. priority matrix -------------------------------------------------------------------------------------

def points(share: float) -> int:
    return 5 if share >= 0.20 else 4 if share >= 0.10 else 3 if share >= 0.05 else 2 if share >= 0.02 else 1


def test_priority_matrix_scores_every_component(wh):
    scope = Scope(CITY, "2023-09", "2024-08")
    got = priority_matrix(wh, scope)
    harm_frame = harm(wh, scope).set_index("crime_type")
    change = period_change(wh, scope).set_index("crime_type")
    for row in got.itertuples():
        assert row.harm_score == points(harm_frame.loc[row.crime_type, "harm_share"])
        assert row.volume_score == points(harm_frame.loc[row.crime_type, "crime_share"])
        rise = change.loc[row.crime_type, "p_rise_adjusted_vs_year_earlier"]
        fall = change.loc[row.crime_type, "p_fall_adjusted_vs_year_earlier"]
        trend = 5 if rise < 0.01 else 4 if rise < 0.05 else 1 if fall < 0.01 else 2 if fall < 0.05 else 3
        assert row.trend_score == (trend if change.loc[row.crime_type, "comparable"] else 3)
        # Harm counts twice; one month's exceedance plays no part (the ranking is the 12 months' trend).
        assert row.priority_score == 2 * row.harm_score + row.volume_score + row.trend_score
    assert list(got["rank"]) == list(range(1, len(got) + 1))
    assert got["priority_score"].is_monotonic_decreasing
    assert got["organisational_position"].isna().all()


def test_all_indicators_written_as_csv_and_parquet(wh, tmp_path):
    scope = Scope(NORTH, "2022-09", "2022-09", local_authority="Newcastle upon Tyne")
    results = all_indicators(wh, scope)
    written = write_indicators(results, scope, tmp_path)
    for name, frame in results.items():
        assert len(pd.read_parquet(tmp_path / f"{name}.parquet")) == len(frame)
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
    assert (tmp_path / "scope.json") in written
    assert results["monthly_volumes"]["crimes"].sum() == results["period_change"].set_index("crime_type").loc["All crime", "crimes"]


def test_command_line_writes_every_indicator_and_refuses_a_bad_month(wh, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["indicators", "--force", CITY, "--from", "2024-06", "--to", "2024-08", "--area",
                                 "la:City of London", "--only", "harm", "--only", "exceedance", "--out", str(out),
                                 "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["exceedance.csv", "exceedance.parquet", "harm.csv", "harm.parquet", "scope.json"]
    assert pd.read_csv(out / "harm.csv")["crimes"].sum() == harm(wh, Scope(CITY, "2024-06", "2024-08", local_authority="City of London"))["crimes"].sum()
    bad = runner.invoke(app, ["indicators", "--force", CITY, "--from", "2024-6", "--to", "2024-08", "--warehouse", str(wh), "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    assert not (tmp_path / "bad").exists()
