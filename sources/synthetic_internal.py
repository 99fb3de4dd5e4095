"""A SYNTHETIC force records-system export, its mapping file, and SYNTHETIC nominals linked to its records.

The export looks like a records system's daily crime extract, not like the canonical schema: upper-case column
names, UK day-first date-times, the force's own offence names, grid references, Y/N flags. Records follow the
patterns a tactical assessment looks for: volume by category, time of day and day of week differing by
category (night-time weekend violence, daytime shoplifting, overnight vehicle crime), hotspots, and burglaries
that cluster as near repeats (a share of burglaries are followed within days by others a few tens of metres
away), so the Knox test has something real to find. Every file says SYNTHETIC in its name and content.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DATETIME_FORMAT = "%d/%m/%Y %H:%M"
EXPORT_COLUMNS = {
    "reference": "CRIME_REF", "recorded_at": "RECORDED_DT", "occurred_from": "OCC_FROM_DT", "occurred_to": "OCC_TO_DT",
    "offence": "OFFENCE_DESC", "location_text": "LOCATION", "easting": "GRID_X", "northing": "GRID_Y",
    "lsoa_code": "LSOA_CD", "outcome": "LAST_OUTCOME", "domestic": "DA_FLAG", "repeat_victim": "REPEAT_VICTIM_FLAG",
}
# The SYNTHETIC demo-shire of sources/synthetic.py lies within 12.5 km of 52.6N 1.2W, which is about
# (454281, 300546) on the British National Grid: the internal extract uses the same 25 km square.
DEFAULT_AREA = {"min_easting": 441800.0, "max_easting": 466800.0, "min_northing": 288000.0, "max_northing": 313000.0}
LSOA_CELL_METRES = 1000.0

# (force offence name, published category, share of records, hour-of-day profile, weekday weights Mon..Sun,
#  occurrence window hours: 0 means the time is known exactly)
_DAYTIME = "daytime"
_NIGHT = "night"
_EVENING = "evening"
_OVERNIGHT = "overnight"
OFFENCES = (
    ("BURGLARY - RESIDENTIAL", "Burglary", 0.08, _DAYTIME, (1, 1, 1, 1, 1.1, 0.9, 0.8), 8),
    ("BURGLARY - BUSINESS AND COMMUNITY", "Burglary", 0.02, _OVERNIGHT, (1, 1, 1, 1, 1, 1.2, 1.2), 10),
    ("ASSAULT OCCASIONING ABH", "Violence and sexual offences", 0.07, _NIGHT, (0.8, 0.8, 0.8, 0.9, 1.3, 1.8, 1.6), 0),
    ("COMMON ASSAULT", "Violence and sexual offences", 0.10, _NIGHT, (0.8, 0.8, 0.9, 0.9, 1.3, 1.7, 1.6), 0),
    ("HARASSMENT", "Violence and sexual offences", 0.07, _EVENING, (1, 1, 1, 1, 1, 1, 1), 0),
    ("SEXUAL ASSAULT", "Violence and sexual offences", 0.02, _NIGHT, (0.9, 0.9, 0.9, 1, 1.2, 1.5, 1.4), 0),
    ("ROBBERY OF PERSONAL PROPERTY", "Robbery", 0.02, _EVENING, (0.9, 0.9, 1, 1, 1.2, 1.3, 1.1), 0),
    ("SHOPLIFTING", "Shoplifting", 0.10, _DAYTIME, (1.1, 1.1, 1.1, 1.1, 1.2, 1.3, 0.7), 0),
    ("THEFT FROM MOTOR VEHICLE", "Vehicle crime", 0.05, _OVERNIGHT, (1, 1, 1, 1, 1, 1.1, 1.1), 10),
    ("THEFT OF MOTOR VEHICLE", "Vehicle crime", 0.02, _OVERNIGHT, (1, 1, 1, 1, 1, 1.1, 1.1), 10),
    ("THEFT OF PEDAL CYCLE", "Bicycle theft", 0.02, _DAYTIME, (1.1, 1.1, 1.1, 1.1, 1, 0.9, 0.8), 6),
    ("THEFT FROM THE PERSON", "Theft from the person", 0.02, _EVENING, (0.9, 0.9, 0.9, 1, 1.2, 1.4, 1), 0),
    ("THEFT - OTHER", "Other theft", 0.09, _DAYTIME, (1, 1, 1, 1, 1, 1, 1), 4),
    ("CRIMINAL DAMAGE TO DWELLING", "Criminal damage and arson", 0.05, _EVENING, (0.9, 0.9, 0.9, 1, 1.2, 1.3, 1.1), 6),
    ("CRIMINAL DAMAGE TO VEHICLE", "Criminal damage and arson", 0.04, _OVERNIGHT, (0.9, 0.9, 0.9, 1, 1.2, 1.3, 1.1), 10),
    ("ARSON", "Criminal damage and arson", 0.01, _NIGHT, (1, 1, 1, 1, 1.1, 1.2, 1.1), 0),
    ("POSSESSION OF CONTROLLED DRUG", "Drugs", 0.04, _EVENING, (1, 1, 1, 1.1, 1.2, 1.2, 0.9), 0),
    ("POSSESSION OF BLADED ARTICLE", "Possession of weapons", 0.01, _NIGHT, (1, 1, 1, 1, 1.2, 1.4, 1.2), 0),
    ("PUBLIC ORDER SECTION 4A", "Public order", 0.06, _NIGHT, (0.8, 0.8, 0.9, 1, 1.3, 1.7, 1.5), 0),
    ("FRAUD BY FALSE REPRESENTATION", "Other crime", 0.02, _DAYTIME, (1.1, 1.1, 1.1, 1.1, 1, 0.8, 0.7), 0),
    ("ASB - PERSONAL", "Anti-social behaviour", 0.07, _EVENING, (0.9, 0.9, 0.9, 1, 1.3, 1.5, 1.1), 0),
)
OUTCOMES = (
    "Investigation complete; no suspect identified", "Under investigation", "Unable to prosecute suspect",
    "Offender given a caution", "Local resolution", "Awaiting court outcome", "Suspect charged as part of another case",
    "Further investigation is not in the public interest",
)
OUTCOME_WEIGHTS = (0.45, 0.15, 0.17, 0.05, 0.06, 0.07, 0.02, 0.03)
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Victoria Street", "Queens Road",
           "Manor Way", "Chapel Street", "North Terrace", "Front Street", "Albert Road", "Grange Close", "West Lane")
SURNAMES = ("Ashdown", "Brackley", "Cawthorne", "Dunmore", "Elstow", "Fenwick", "Garside", "Hartlepoole", "Ingleby",
            "Jessop", "Kirkham", "Lowther", "Marsden", "Norbury", "Ormerod", "Pennock", "Quarmby", "Rawcliffe",
            "Skelton", "Thwaite", "Usher", "Varley", "Wardle", "Yeadon")
FORENAMES_F = ("Amy", "Beth", "Chloe", "Dawn", "Ella", "Faye", "Gemma", "Holly", "Jade", "Kerry", "Leah", "Megan")
FORENAMES_M = ("Adam", "Ben", "Craig", "Dean", "Euan", "Frank", "Gary", "Harry", "Jack", "Kyle", "Lee", "Mark")
WARNING_MARKERS = ("VIOLENT", "WEAPONS", "DRUGS", "ESCAPER", "SELF HARM", "MENTAL HEALTH", "SUICIDAL", "FIREARMS")


def _hour_weights(profile: str) -> np.ndarray:
    hours = np.arange(24)
    shapes = {
        _DAYTIME: np.exp(-0.5 * ((hours - 14) / 3.5) ** 2) + 0.05,
        _EVENING: np.exp(-0.5 * ((hours - 19) / 3.0) ** 2) + 0.08,
        _NIGHT: np.exp(-0.5 * (((hours + 1) % 24 - 0) / 3.0) ** 2) + 0.05 * (hours >= 12),
        _OVERNIGHT: np.exp(-0.5 * (((hours + 6) % 24 - 8) / 3.0) ** 2) + 0.05,
    }
    weights = shapes[profile]
    return weights / weights.sum()


@dataclass
class InternalSummary:
    out_dir: Path
    extract: Path
    mapping: Path
    nominals: Path
    records: int
    burglaries: int
    planted_near_repeats: int
    nominal_count: int


def mapping_document(force: str, area: dict[str, float] | None = None) -> dict:
    """The YAML mapping for the synthetic export (what a force writes once for its own records system)."""
    return {
        "force": force,
        "system": "SYNTHETIC records system (generated by tasking synth --internal)",
        "synthetic": True,
        "delimiter": ",",
        "encoding": "utf-8",
        "datetime_format": DATETIME_FORMAT,
        "columns": dict(EXPORT_COLUMNS),
        "true_values": ["Y"],
        "false_values": ["N", ""],
        "offence_categories": {name: category for name, category, *_ in OFFENCES},
        "force_area": dict(area or DEFAULT_AREA),
    }


def _lsoa_code(easting: np.ndarray, northing: np.ndarray, area: dict[str, float]) -> np.ndarray:
    """SYNTHETIC LSOA-like codes, one per kilometre square: E0195xxxx, a range neither England's real LSOAs nor
    the published-format SYNTHETIC files (E0190xxxx, E0191xxxx) use, so no join can pretend they match."""
    columns = int(np.ceil((area["max_easting"] - area["min_easting"]) / LSOA_CELL_METRES))
    col = ((easting - area["min_easting"]) // LSOA_CELL_METRES).astype(int)
    row = ((northing - area["min_northing"]) // LSOA_CELL_METRES).astype(int)
    return np.array([f"E01{950000 + r * columns + c:06d}" for r, c in zip(row, col)])


def _times(rng: np.random.Generator, days: pd.DatetimeIndex, weekday_weights, hour_profile: str, n: int) -> np.ndarray:
    """n timestamps over `days`, drawn by weekday and hour of day."""
    day_weights = np.asarray(weekday_weights, float)[days.dayofweek]
    day_index = rng.choice(len(days), size=n, p=day_weights / day_weights.sum())
    hours = rng.choice(24, size=n, p=_hour_weights(hour_profile))
    minutes = rng.integers(0, 60, size=n)
    return (days.values[day_index] + hours.astype("timedelta64[h]") + minutes.astype("timedelta64[m]")).astype("datetime64[m]")


def _places(rng: np.random.Generator, n: int, area: dict[str, float], hotspots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Half the records in Gaussian hotspots, half spread over the area."""
    in_hotspot = rng.random(n) < 0.5
    which = rng.integers(0, len(hotspots), size=n)
    east = np.where(in_hotspot, hotspots[which, 0] + rng.normal(0, 400, n), rng.uniform(area["min_easting"], area["max_easting"], n))
    north = np.where(in_hotspot, hotspots[which, 1] + rng.normal(0, 400, n), rng.uniform(area["min_northing"], area["max_northing"], n))
    east = np.clip(east, area["min_easting"] + 1, area["max_easting"] - 1)
    north = np.clip(north, area["min_northing"] + 1, area["max_northing"] - 1)
    return np.round(east), np.round(north)


def generate_records(force: str, start: date, end: date, seed: int = 7, records_per_day: int = 150,
                     area: dict[str, float] | None = None, near_repeat_share: float = 0.3) -> tuple[pd.DataFrame, int]:
    """SYNTHETIC records in canonical field names (export column names are applied when written).

    Returns the records and how many burglaries were planted as near repeats of an earlier burglary.
    """
    area = dict(area or DEFAULT_AREA)
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end, freq="D")
    total = records_per_day * len(days)
    hotspots = np.column_stack([rng.uniform(area["min_easting"] + 2000, area["max_easting"] - 2000, 6),
                                rng.uniform(area["min_northing"] + 2000, area["max_northing"] - 2000, 6)])
    shares = np.array([share for _, _, share, *_ in OFFENCES])
    counts = rng.multinomial(total, shares / shares.sum())
    frames = []
    planted = 0
    for (offence, category, _, hour_profile, weekday_weights, window_hours), count in zip(OFFENCES, counts):
        if count == 0:
            continue
        seeds_n = count
        followers_n = 0
        if offence == "BURGLARY - RESIDENTIAL":
            # Near repeats: a share of the residential burglaries are followers of an earlier one nearby.
            followers_n = int(round(count * near_repeat_share))
            seeds_n = count - followers_n
        occurred = _times(rng, days, weekday_weights, hour_profile, seeds_n)
        east, north = _places(rng, seeds_n, area, hotspots)
        if followers_n:
            source = rng.integers(0, seeds_n, size=followers_n)
            distance = rng.uniform(0, 90, followers_n)
            angle = rng.uniform(0, 2 * np.pi, followers_n)
            lag = rng.uniform(0.1, 6.5, followers_n) * 24 * 60
            follower_east = np.clip(np.round(east[source] + distance * np.cos(angle)), area["min_easting"] + 1, area["max_easting"] - 1)
            follower_north = np.clip(np.round(north[source] + distance * np.sin(angle)), area["min_northing"] + 1, area["max_northing"] - 1)
            follower_time = occurred[source] + lag.astype("timedelta64[m]")
            keep = follower_time <= np.datetime64(days[-1] + pd.Timedelta(hours=23, minutes=59), "m")
            planted = int(keep.sum())
            occurred = np.concatenate([occurred, follower_time[keep]])
            east = np.concatenate([east, follower_east[keep]])
            north = np.concatenate([north, follower_north[keep]])
        n = len(occurred)
        window = rng.uniform(0, window_hours, n) * 60 if window_hours else np.zeros(n)
        occurred_to = occurred + window.astype("timedelta64[m]")
        recorded = occurred_to + (rng.exponential(6, n) * 60).astype("timedelta64[m]")
        frames.append(pd.DataFrame({
            "occurred_from": occurred, "occurred_to": np.where(window > 0, occurred_to, np.datetime64("NaT")),
            "recorded_at": recorded, "offence": offence, "category": category, "easting": east, "northing": north,
        }))
    records = pd.concat(frames, ignore_index=True).sort_values("recorded_at", kind="stable").reset_index(drop=True)
    n = len(records)
    records["reference"] = [f"SYN/{force.upper()[:4]}/{i:07d}" for i in range(1, n + 1)]
    house = rng.integers(1, 200, n)
    street = rng.integers(0, len(STREETS), n)
    records["location_text"] = [f"SYNTHETIC {h} {STREETS[s]}" for h, s in zip(house, street)]
    records["lsoa_code"] = _lsoa_code(records["easting"].to_numpy(), records["northing"].to_numpy(), area)
    records["outcome"] = rng.choice(OUTCOMES, size=n, p=np.array(OUTCOME_WEIGHTS) / sum(OUTCOME_WEIGHTS))
    violent = records["category"].eq("Violence and sexual offences").to_numpy()
    records["domestic"] = np.where(rng.random(n) < np.where(violent, 0.35, 0.03), "Y", "N")
    records["repeat_victim"] = np.where(rng.random(n) < 0.08, "Y", "N")
    return records, planted


def _nominals(rng: np.random.Generator, records: pd.DataFrame, force: str, count: int) -> list[dict]:
    """SYNTHETIC people linked to records: prolific burglars, violent offenders, repeat victims."""
    burglaries = records.index[records["category"].eq("Burglary")].to_numpy()
    violence = records.index[records["category"].eq("Violence and sexual offences")].to_numpy()
    anything = records.index.to_numpy()
    people = []
    for i in range(1, count + 1):
        female = rng.random() < 0.35
        forename = rng.choice(FORENAMES_F if female else FORENAMES_M)
        surname = rng.choice(SURNAMES)
        born = date(1965, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 40)))
        kind = rng.choice(["burglar", "violent", "victim"], p=[0.4, 0.35, 0.25])
        pool, role = {"burglar": (burglaries, "SUSPECT"), "violent": (violence, "SUSPECT"), "victim": (anything, "VICTIM")}[kind]
        linked = rng.choice(pool, size=min(len(pool), int(rng.integers(2, 9))), replace=False) if len(pool) else []
        markers = []
        if kind != "victim":
            for marker in rng.choice(WARNING_MARKERS, size=int(rng.integers(0, 3)), replace=False):
                markers.append({"marker": str(marker), "recorded": str(born + timedelta(days=int(rng.integers(6570, 18000))))})
        people.append({
            "nominal_id": f"N-SYN-{i:05d}",
            "surname": f"{surname} (SYNTHETIC)",
            "forenames": str(forename),
            "date_of_birth": born.isoformat(),
            "sex": "F" if female else "M",
            "aliases": [f"{forename[0]}. {surname}"] if rng.random() < 0.3 else [],
            "address_text": f"SYNTHETIC {int(rng.integers(1, 200))} {rng.choice(STREETS)}",
            "warning_markers": markers,
            "links": [{"force": force, "reference": records.at[int(index), "reference"],
                       "role": "OFFENDER" if role == "SUSPECT" and records.at[int(index), "outcome"] in ("Offender given a caution", "Awaiting court outcome") else role}
                      for index in linked],
        })
    return people


def generate_internal(out_dir: str | Path, force: str, start: date, end: date, seed: int = 7,
                      records_per_day: int = 150, nominal_count: int = 60,
                      area: dict[str, float] | None = None) -> InternalSummary:
    """Write the SYNTHETIC export, its mapping YAML and the SYNTHETIC nominals into `out_dir/internal/`."""
    import yaml

    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    folder = Path(out_dir) / "internal"
    folder.mkdir(parents=True, exist_ok=True)
    records, planted = generate_records(force, start, end, seed, records_per_day, area)
    stem = f"SYNTHETIC-{force}-crime-extract-{start:%Y%m%d}-{end:%Y%m%d}"
    extract = folder / f"{stem}.csv"
    export = pd.DataFrame({column: records[field] for field, column in EXPORT_COLUMNS.items()})
    for field in ("recorded_at", "occurred_from", "occurred_to"):
        export[EXPORT_COLUMNS[field]] = pd.to_datetime(records[field]).dt.strftime(DATETIME_FORMAT).fillna("")
    for field in ("easting", "northing"):
        export[EXPORT_COLUMNS[field]] = records[field].astype(int)
    export.to_csv(extract, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    mapping = folder / f"SYNTHETIC-{force}-mapping.yaml"
    header = "# SYNTHETIC: mapping for the synthetic records-system export written by `tasking synth --internal`.\n"
    mapping.write_text(header + yaml.safe_dump(mapping_document(force, area), sort_keys=False), encoding="utf-8")

    rng = np.random.default_rng(seed + 1)
    nominals = folder / f"SYNTHETIC-{force}-nominals.json"
    people = _nominals(rng, records, force, nominal_count)
    nominals.write_text(json.dumps({"synthetic": True, "force": force, "nominals": people}, indent=1), encoding="utf-8")
    return InternalSummary(out_dir=folder, extract=extract, mapping=mapping, nominals=nominals, records=len(records),
                           burglaries=int(records["category"].eq("Burglary").sum()), planted_near_repeats=planted,
                           nominal_count=len(people))


def month_span(first_month: str, last_month: str) -> tuple[date, date]:
    """('2024-01', '2024-03') -> (1 January 2024, 31 March 2024)."""
    start = date.fromisoformat(f"{first_month}-01")
    last = date.fromisoformat(f"{last_month}-01")
    end = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).date()
    return start, end
