"""SYNTHETIC data in the exact data.police.uk format and layout, for a fictional force area.

`generate()` writes, under `out_dir`:

- `YYYY-MM/YYYY-MM-<force>-street.csv`, `-outcomes.csv` and `-stop-and-search.csv`, byte for byte in the
  published format: the published headers and column order, CRLF, no quoting (no value contains a comma or a
  quote), 6-decimal coordinates, 64-hex Crime IDs, empty Crime ID and outcome for anti-social behaviour, rows
  ordered as data.police.uk orders them (by LSOA name, then crime type, `No Location` rows last);
- `reference/` with SYNTHETIC IoD 2019 Files 1, 2 and 6 (UTF-8 BOM, CRLF, no final newline, `"29,199"` style
  numbers where the real files have them, gzip) and a SYNTHETIC LSOA 2011 -> 2021 lookup (quoted text, LF);
- `SYNTHETIC.txt`, which says plainly that none of it is real crime and describes the planted problem.

Everything that can carry a marker says SYNTHETIC: file names of the reference files, the force name
(`Demo-shire Police (SYNTHETIC)`), LSOA and local authority names (`Demo-shire 001A (SYNTHETIC)`).

The area is fictional: ~300 LSOAs with codes E019xxxxx (a range England does not use) around 52.6N 1.2W,
~2,000 named snap points, eight hotspots, deprivation that drives crime, seasonality, a mild trend and
Poisson noise, plus one planted emerging problem (robbery in the station quarter rising sharply in the last
two months). Crime files use LSOA 2021 codes as data.police.uk does; a few 2011 LSOAs are split or merged,
and the lookup maps them, so the IoD (2011 codes) joins through it as it must for the real data.

The generator is deterministic: the same arguments give byte-identical files. Every random draw comes from a
numpy Generator seeded from (seed, force, purpose, month). Rows are generated and written with numpy
vectorisation, so a million street rows a month take seconds.
"""
from __future__ import annotations

import calendar
import gzip
import hashlib
import io
import math
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat
from pathlib import Path

import numpy as np

GENERATOR_VERSION = "1"

STREET_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")
OUTCOMES_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"
STOP_SEARCH_HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
                      "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
                      "Outcome linked to object of search,Removal of more than just outer clothing")

IOD_FILE_1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
IOD_FILE_2 = "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
IOD_FILE_6 = "File_6_-_IoD2019_Population_Denominators.csv.gz"
LOOKUP_FILE = "LSOA11_LSOA21PopLookups.csv"
SYNTHETIC_PREFIX = "SYNTHETIC_"

_IOD_ID = "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019)"
IOD_FILE_1_HEADER = _IOD_ID + ",Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile"
IOD_DOMAINS = ("Index of Multiple Deprivation (IMD)", "Income", "Employment", "Education, Skills and Training",
               "Health Deprivation and Disability", "Crime", "Barriers to Housing and Services", "Living Environment")


def _csv_field(text: str) -> str:
    return f'"{text}"' if ("," in text or '"' in text) else text


IOD_FILE_2_HEADER = _IOD_ID + "," + ",".join(
    f"{_csv_field(f'{d} Rank (where 1 is most deprived)')},"
    f"{_csv_field(f'{d} Decile (where 1 is most deprived 10% of LSOAs)')}" for d in IOD_DOMAINS)
IOD_FILE_6_HEADER = _IOD_ID + (
    ",Total population: mid 2015 (excluding prisoners),Dependent Children aged 0-15: mid 2015 (excluding prisoners),"
    "Population aged 16-59: mid 2015 (excluding prisoners),Older population aged 60 and over: mid 2015 (excluding prisoners),"
    "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)")
LOOKUP_HEADER = '"LSOA11CD","LSOA21CD","LinkCode","TotPersons","LSOA11Denom","LSOA21Denom","Prop11of21","Prop21of11","Category"'

N_ENGLAND_LSOAS = 32844  # IoD 2019 ranks run 1..32844; decile = ceil(rank / 3284.4)

# Crime types in the order data.police.uk sorts them within an LSOA (anti-social behaviour first, Other crime last).
CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other theft",
    "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences", "Other crime",
)
_C = {name: i for i, name in enumerate(CRIME_TYPES)}
ASB = _C["Anti-social behaviour"]
ROBBERY = _C["Robbery"]

# Share of all street rows, seasonal amplitude and peak month, trend per year.
_TYPE_MODEL = {
    #                                 share  amp   peak  trend/yr  no-location share
    "Violence and sexual offences": (0.330, 0.10, 7, +0.02, 0.012),
    "Anti-social behaviour":        (0.200, 0.25, 7, -0.08, 0.006),
    "Public order":                 (0.090, 0.08, 7, +0.01, 0.008),
    "Criminal damage and arson":    (0.080, 0.06, 10, -0.01, 0.004),
    "Other theft":                  (0.070, 0.06, 8, +0.00, 0.012),
    "Shoplifting":                  (0.070, 0.08, 12, +0.12, 0.008),
    "Vehicle crime":                (0.050, 0.08, 1, -0.03, 0.003),
    "Burglary":                     (0.040, 0.15, 1, -0.04, 0.004),
    "Drugs":                        (0.020, 0.05, 6, +0.00, 0.020),
    "Other crime":                  (0.015, 0.00, 1, +0.03, 0.060),
    "Possession of weapons":        (0.010, 0.05, 7, +0.03, 0.010),
    "Robbery":                      (0.010, 0.10, 12, +0.02, 0.010),
    "Bicycle theft":                (0.010, 0.35, 8, -0.02, 0.010),
    "Theft from the person":        (0.005, 0.10, 12, +0.08, 0.030),
}

# Last outcome categories (street files) and outcome types (outcomes files).
IC = "Investigation complete; no suspect identified"
UP = "Unable to prosecute suspect"
SU = "Status update unavailable"
UI = "Under investigation"
ACO = "Awaiting court outcome"
CHARGED = "Suspect charged"
_DIRECT = (IC, UP, "Local resolution", "Offender given a caution", "Offender given penalty notice",
           "Offender given a drugs possession warning", "Further investigation is not in the public interest",
           "Formal action is not in the public interest", "Further action is not in the public interest",
           "Action to be taken by another organisation", "Suspect charged as part of another case")
_COURT_RESULTS = {
    "Offender given community sentence": 0.17, "Offender fined": 0.15, "Offender sent to prison": 0.15,
    "Offender given suspended prison sentence": 0.12, "Court result unavailable": 0.10,
    "Offender given conditional discharge": 0.07, "Defendant found not guilty": 0.07,
    "Court case unable to proceed": 0.05, "Offender otherwise dealt with": 0.03,
    "Offender ordered to pay compensation": 0.03, "Defendant sent to Crown Court": 0.03,
    "Offender given absolute discharge": 0.015, "Offender deprived of property": 0.015,
}
COURT_RESULTS = tuple(_COURT_RESULTS)
# Resolution classes: the direct outcomes, then "Status update unavailable", then the court path.
_CLASSES = _DIRECT + (SU, "COURT")
_SU_CLASS = len(_DIRECT)
_COURT_CLASS = len(_DIRECT) + 1
_OUTCOME_MODEL = {
    "Violence and sexual offences": {IC: .28, UP: .35, SU: .06, "COURT": .12, "Local resolution": .04, "Offender given a caution": .03,
                                     "Further investigation is not in the public interest": .04, "Formal action is not in the public interest": .01,
                                     "Further action is not in the public interest": .01, "Action to be taken by another organisation": .04,
                                     "Suspect charged as part of another case": .02},
    "Public order": {IC: .30, UP: .35, SU: .06, "COURT": .10, "Local resolution": .06, "Offender given a caution": .04,
                     "Offender given penalty notice": .02, "Further investigation is not in the public interest": .03,
                     "Formal action is not in the public interest": .01, "Action to be taken by another organisation": .02,
                     "Suspect charged as part of another case": .01},
    "Criminal damage and arson": {IC: .65, UP: .12, SU: .06, "COURT": .05, "Local resolution": .05, "Offender given a caution": .02,
                                  "Further investigation is not in the public interest": .02,
                                  "Action to be taken by another organisation": .02, "Suspect charged as part of another case": .01},
    "Other theft": {IC: .70, UP: .10, SU: .06, "COURT": .05, "Local resolution": .03, "Offender given a caution": .02,
                    "Further investigation is not in the public interest": .02, "Action to be taken by another organisation": .01,
                    "Suspect charged as part of another case": .01},
    "Shoplifting": {IC: .40, UP: .10, SU: .05, "COURT": .22, "Local resolution": .06, "Offender given a caution": .05,
                    "Offender given penalty notice": .03, "Further investigation is not in the public interest": .02,
                    "Formal action is not in the public interest": .01, "Action to be taken by another organisation": .01,
                    "Suspect charged as part of another case": .05},
    "Vehicle crime": {IC: .85, UP: .04, SU: .05, "COURT": .03, "Local resolution": .01,
                      "Further investigation is not in the public interest": .01, "Suspect charged as part of another case": .01},
    "Burglary": {IC: .72, UP: .08, SU: .06, "COURT": .07, "Local resolution": .01, "Offender given a caution": .01,
                 "Further investigation is not in the public interest": .02, "Action to be taken by another organisation": .01,
                 "Suspect charged as part of another case": .02},
    "Drugs": {IC: .05, UP: .08, SU: .05, "COURT": .25, "Local resolution": .15, "Offender given a caution": .10,
              "Offender given a drugs possession warning": .20, "Offender given penalty notice": .04,
              "Formal action is not in the public interest": .03, "Further action is not in the public interest": .02,
              "Suspect charged as part of another case": .03},
    "Other crime": {IC: .25, UP: .30, SU: .08, "COURT": .15, "Local resolution": .04, "Offender given a caution": .04,
                    "Further investigation is not in the public interest": .04, "Action to be taken by another organisation": .08,
                    "Suspect charged as part of another case": .02},
    "Possession of weapons": {IC: .08, UP: .20, SU: .05, "COURT": .45, "Local resolution": .04, "Offender given a caution": .08,
                              "Formal action is not in the public interest": .03,
                              "Further investigation is not in the public interest": .03, "Suspect charged as part of another case": .04},
    "Robbery": {IC: .50, UP: .22, SU: .05, "COURT": .14, "Local resolution": .01, "Offender given a caution": .01,
                "Further investigation is not in the public interest": .02, "Action to be taken by another organisation": .01,
                "Suspect charged as part of another case": .04},
    "Bicycle theft": {IC: .88, UP: .04, SU: .05, "COURT": .02, "Local resolution": .01},
    "Theft from the person": {IC: .82, UP: .07, SU: .05, "COURT": .03,
                              "Further investigation is not in the public interest": .02, "Suspect charged as part of another case": .01},
}
# Street "Last outcome category" vocabulary (index 0 is the empty value of anti-social behaviour).
STREET_OUTCOMES = ("",) + _DIRECT + (SU, UI, ACO) + COURT_RESULTS
_SO = {name: i for i, name in enumerate(STREET_OUTCOMES)}
# Outcomes-file "Outcome type" vocabulary.
OUTCOME_TYPES = _DIRECT + (CHARGED,) + COURT_RESULTS
_OT = {name: i for i, name in enumerate(OUTCOME_TYPES)}

# How many months after the crime an outcome is recorded: 0 with probability p0, otherwise geometric (mean ~3.6).
_LAG_P0_QUICK = 0.55   # "Investigation complete; no suspect identified" is usually recorded in the month itself
_LAG_P0 = 0.30
_LAG_GEOMETRIC = 0.24
_LAG_LONG_SHARE = 0.04     # long-running investigations: 6 to 48 months
_COURT_LAG_GEOMETRIC = 0.08  # months from charge to court result (mean 12.5: court backlogs)

# Stop and search vocabularies (as in the published Northumbria files) and shares.
_SS_TYPE = {"Person search": 0.90, "Person and Vehicle search": 0.07, "Vehicle search": 0.03}
_SS_GENDER = {"Male": 0.875, "Female": 0.125}
_SS_AGE = {"10-17": 0.21, "18-24": 0.30, "25-34": 0.25, "over 34": 0.235, "": 0.005}
_SS_SELF_ETHNICITY = {
    "White - English/Welsh/Scottish/Northern Irish/British": 0.74, "": 0.06,
    "White - Any other White background": 0.035, "Asian/Asian British - Pakistani": 0.03,
    "Asian/Asian British - Any other Asian background": 0.025, "Asian/Asian British - Indian": 0.02,
    "Black/African/Caribbean/Black British - African": 0.02, "Asian/Asian British - Bangladeshi": 0.012,
    "Black/African/Caribbean/Black British - Caribbean": 0.01,
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": 0.006,
    "Mixed/Multiple ethnic groups - White and Black Caribbean": 0.008,
    "Mixed/Multiple ethnic groups - White and Black African": 0.005, "Mixed/Multiple ethnic groups - White and Asian": 0.005,
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": 0.007, "White - Irish": 0.003,
    "Other ethnic group - Any other ethnic group": 0.009,
}
_SS_OFFICER_ETHNICITY = {"White": 0.83, "Asian": 0.07, "Black": 0.04, "Mixed": 0.01, "Other": 0.02, "": 0.03}
# (legislation, object of search, share)
_SS_POWERS = (
    ("Misuse of Drugs Act 1971 (section 23)", "Controlled drugs", 0.50),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Offensive weapons", 0.20),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Stolen goods", 0.16),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Articles for use in criminal damage", 0.09),
    ("Criminal Justice Act 1988 (section 139B)", "Offensive weapons", 0.02),
    ("Firearms Act 1968 (section 47)", "Firearms", 0.015),
    ("Poaching Prevention Act 1862 (section 2)", "Game or poaching equipment", 0.01),
    ("Psychoactive Substances Act 2016 (s36(2))", "Psychoactive substances", 0.005),
)
_SS_OUTCOME = {"A no further action disposal": 0.72, "Arrest": 0.15, "Summons / charged by post": 0.05,
               "Community resolution": 0.03, "Caution (simple or conditional)": 0.012,
               "Penalty Notice for Disorder": 0.008}
_SS_KHAT_CANNABIS = "Khat or Cannabis warning"  # drugs searches only
_SS_HOUR_WEIGHTS = np.array([5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 3, 4, 4.5, 5, 5.5, 6, 7, 8, 8.5, 9, 9, 8.5, 8, 7.5, 6.5])
# Minutes are recorded mostly on the hour, half hour and 5-minute marks.
_SS_MINUTE_WEIGHTS = np.array([15.0 if m in (0, 30) else 7.0 if m % 15 == 0 else 5.0 if m % 5 == 0 else 0.8
                               for m in range(60)])

# The fictional area, in km east/north of its centre.
_BOX_KM = 12.5
_MAIN_TOWN = (0.0, 0.0)
_SECOND_TOWN = (7.0, -6.0)
_N_LSOA = 300
_N_NEIGHBOUR_LSOA = 120       # the neighbouring district in the IoD files
_N_NEIGHBOUR_WITH_POINTS = 14  # the ones by the boundary, where a few crimes snap
_NEIGHBOUR_ROW_SHARE = 0.004

# (key, label, centre km, radius km, points, named points, general boost, {crime type: multiplier})
_HOTSPOTS = (
    ("town_centre", "Town centre", (0.0, 0.0), 0.45, 45,
     ("High Street", "Market Place", "Shopping Area", "Theatre/Concert Hall", "Supermarket", "Church Street"), 1.5,
     {"Violence and sexual offences": 3, "Public order": 4, "Theft from the person": 8, "Shoplifting": 6,
      "Other theft": 4, "Robbery": 3, "Anti-social behaviour": 3, "Bicycle theft": 3, "Drugs": 3,
      "Criminal damage and arson": 1.5, "Possession of weapons": 2}),
    ("night_time_economy", "Night-time economy strip", (-0.7, 0.45), 0.25, 25,
     ("Nightclub", "Tannery Row", "Lantern Street", "Quayside Walk"), 1.5,
     {"Violence and sexual offences": 6, "Public order": 6, "Drugs": 4, "Criminal damage and arson": 3,
      "Theft from the person": 4, "Robbery": 2, "Anti-social behaviour": 2, "Possession of weapons": 4}),
    ("retail_park", "Retail park", (3.6, -2.4), 0.30, 18,
     ("Supermarket", "Parking Area", "Shopping Area", "Retail Park Way", "Petrol Station"), 1.5,
     {"Shoplifting": 25, "Vehicle crime": 5, "Other theft": 3, "Bicycle theft": 2, "Anti-social behaviour": 1.5}),
    ("station_quarter", "Station quarter", (0.85, -0.75), 0.25, 20,
     ("Station Approach", "Pedestrian Subway", "Bus/Coach Station", "Railway Terrace"), 2.0,
     {"Robbery": 5, "Theft from the person": 6, "Bicycle theft": 6, "Drugs": 3, "Violence and sexual offences": 2,
      "Anti-social behaviour": 2, "Possession of weapons": 3, "Public order": 2}),
    ("northfield_estate", "Northfield estate (housing)", (2.4, 3.1), 0.70, 40,
     ("Northfield Road", "Sports/Recreation Area"), 1.6,
     {"Burglary": 3, "Criminal damage and arson": 3, "Anti-social behaviour": 3, "Vehicle crime": 2, "Drugs": 2.5,
      "Violence and sexual offences": 2, "Robbery": 1.5, "Possession of weapons": 2}),
    ("westbrook_estate", "Westbrook estate (housing)", (-3.2, -2.0), 0.80, 40,
     ("Westbrook Road", "Park/Open Space"), 1.6,
     {"Burglary": 3, "Criminal damage and arson": 3, "Anti-social behaviour": 3, "Vehicle crime": 2, "Drugs": 2.5,
      "Violence and sexual offences": 2, "Other crime": 1.5}),
    ("campus", "University campus and student quarter", (-1.9, 2.6), 0.50, 25,
     ("Further/Higher Educational Building", "College Road"), 1.3,
     {"Bicycle theft": 8, "Burglary": 2, "Other theft": 3, "Drugs": 1.5, "Theft from the person": 2}),
    ("second_town", "Market town centre (south-east)", (7.0, -6.0), 0.35, 20,
     ("High Street", "Market Square", "Supermarket"), 2.0,
     {"Violence and sexual offences": 2.5, "Shoplifting": 5, "Anti-social behaviour": 2.5, "Public order": 2.5,
      "Other theft": 2}),
)
_PLANTED_HOTSPOT = "station_quarter"
_PLANTED_POINTS = ("Station Approach", "Pedestrian Subway", "Bus/Coach Station")
_PLANTED_SPLIT = (0.5, 0.3, 0.2)
_PLANTED_EXTRA = (0.0012, 0.0025)  # extra robberies per street row, second-last and last month (exact, no noise)
_PLANTED_MINIMUM = (6, 12)         # at least this many when rows_per_month >= 1000, so it is findable at small scale

# Largest share of one crime type's located rows that one snap point may take (default 1.2%).
_POINT_CAP = {"Shoplifting": 0.05, "Bicycle theft": 0.03, "Theft from the person": 0.03, "Robbery": 0.02}

# How strongly each crime type follows deprivation (0: not at all).
_DEPRIVATION_ALPHA = {
    "Anti-social behaviour": 1.0, "Bicycle theft": 0.2, "Burglary": 0.9, "Criminal damage and arson": 1.1, "Drugs": 1.2,
    "Other theft": 0.4, "Possession of weapons": 1.0, "Public order": 0.9, "Robbery": 0.9, "Shoplifting": 0.3,
    "Theft from the person": 0.2, "Vehicle crime": 0.6, "Violence and sexual offences": 1.0, "Other crime": 0.8,
}

_STREET_FIRST = (
    "Abbey Acorn Albany Albert Alder Alma Ash Aspen Aston Balmoral Barley Beacon Beech Belgrave Birch Blackthorn "
    "Bluebell Bramble Bridge Brook Buttercup Byron Canal Castle Cedar Chapel Chaucer Cherry Chestnut Clarence Clover "
    "Coniston Coronation Cowslip Cromwell Daisy Dale Derwent Dove Elm Ennerdale Fairfield Falcon Fern Field Forest "
    "Foxglove Garden Glebe Gorse Grange Granville Hardy Harebell Hawthorn Hazel Heath Heather Highfield Hill Holly "
    "Honeysuckle Juniper Kestrel Keswick Kingfisher Laburnum Larch Lark Laurel Lavender Lime Linden Linnet Lodge "
    "Magnolia Mallard Manor Maple Meadow Melbourne Mill Milton Moor Mulberry Nelson Newton Oak Orchard Osprey Paddock "
    "Park Peel Pine Poplar Primrose Priory Quarry Raven Rectory Redwood Regent Riverside Robin Rosemary Rowan Rutland "
    "Sandpiper School Shelley Sherwood Skylark Spencer Spinney Spring Stanley Swallow Swan Sycamore Tennyson Thistle "
    "Thornton Tudor Valley Vicarage Victoria Violet Walnut Warren Waterloo Wellington Westfield Willow Windermere "
    "Windmill Windsor Woodland Wren Yew"
).split()
_STREET_SUFFIX = ("Road Street Lane Close Avenue Drive Way Crescent Grove Place Gardens Court Walk Rise Terrace View "
                  "Mews").split()
# A few names as data.police.uk writes them (capital after an apostrophe) and places it names by type.
_ODD_NAMES = ("St Peter'S Road", "King'S Walk", "St Mary'S Close", "Supermarket", "Petrol Station", "Parking Area",
              "Shopping Area", "Park/Open Space", "Sports/Recreation Area", "Hospital", "Police Station")
_EMPTY_NAME_SHARE = 0.05
_REPEAT_SHARE = 0.04
_COMMERCIAL_SHARE = 0.12

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_FORCE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class SyntheticSummary:
    out_dir: Path
    force: str
    months: list[str]
    files: list[Path]
    street_rows: int
    outcome_rows: int
    stop_search_rows: int


# ---------------------------------------------------------------------------------------------------------------
# Months


def _parse_month(text: str, context: str) -> int:
    """Month index (year * 12 + month - 1) of 'YYYY-MM'; ValueError naming the bad part otherwise."""
    match = _MONTH_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{context}: {text!r} is not a month written YYYY-MM (e.g. 2021-09)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{context}: {text!r} has month {month:02d}; months run 01 to 12")
    if not 2000 <= year <= 2100:
        raise ValueError(f"{context}: {text!r} has year {year}; expected 2000..2100")
    return year * 12 + month - 1


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _check_range(start: str, end: str, context: str) -> tuple[int, int]:
    first, last = _parse_month(start, context), _parse_month(end, context)
    if first > last:
        raise ValueError(f"{context}: the range runs backwards ({_month_text(first)} is after {_month_text(last)}); "
                         f"write the earlier month first, e.g. {_month_text(last)}..{_month_text(first)}")
    return first, last


def parse_month_range(text: str) -> tuple[str, str]:
    """'2021-09..2024-08' -> ('2021-09', '2024-08'); a single 'YYYY-MM' means that one month.

    Raises ValueError with the reason for anything else (not a month, month outside 01..12, reversed range).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"month range {text!r}: expected YYYY-MM..YYYY-MM, e.g. 2021-09..2024-08")
    parts = text.strip().split("..")
    if len(parts) > 2:
        raise ValueError(f"month range {text!r}: expected YYYY-MM..YYYY-MM with one '..', e.g. 2021-09..2024-08")
    start, end = (parts[0], parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    first, last = _check_range(start, end, f"month range {text!r}")
    return _month_text(first), _month_text(last)


# ---------------------------------------------------------------------------------------------------------------
# Randomness and names


def _rng(seed: int, force: str, *labels: object) -> np.random.Generator:
    """A Generator for one purpose: independent of every other purpose, identical on every run and platform."""
    digest = hashlib.sha256("\x1f".join([str(int(seed)), force, *map(str, labels)]).encode()).digest()
    words = [int(w) for w in np.frombuffer(digest, dtype="<u4")]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def _display_name(force: str) -> str:
    """'demo-shire' -> 'Demo-shire'; 'west-midlands' -> 'West Midlands'; 'city-of-london' -> 'City of London'."""
    words = force.split("-")
    if len(words) == 2 and words[1] == "shire":
        return words[0].capitalize() + "-shire"
    small = {"of", "and", "the"}
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


def _probabilities(table: dict[str, float]) -> tuple[list[str], np.ndarray]:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return keys, p / p.sum()


_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 64-lowercase-hex identifiers (as S64), shaped like the published SHA-256 Crime IDs."""
    raw = np.frombuffer(rng.bytes(32 * n), dtype=np.uint8)
    return np.ascontiguousarray(_HEX[raw]).view("S64").reshape(n)


# ---------------------------------------------------------------------------------------------------------------
# The fictional area


@dataclass
class _Area:
    force: str
    force_label: str        # "Demo-shire Police (SYNTHETIC)"
    lad_code: str
    lad_name: str
    neighbour_lad_code: str
    neighbour_lad_name: str
    # 2011 LSOAs (in force first, then the neighbouring district), for the IoD files
    l11_code: list[str]
    l11_name: list[str]
    l11_in_force: np.ndarray
    l11_population: np.ndarray    # (n, 5): total, 0-15, 16-59, 60+, working age
    l11_ranks: np.ndarray         # (n, 8): IMD and 7 domain ranks
    lookup_lines: list[str]
    # 2021 LSOAs, as the crime files carry them
    l21_code: list[str]
    l21_name: list[str]
    # snap points
    point_lon: np.ndarray
    point_lat: np.ndarray
    point_name: list[str]
    point_l21: np.ndarray
    point_hotspot: np.ndarray     # index into _HOTSPOTS, -1 for none
    point_weights: np.ndarray     # (14, n_points) allocation probabilities per crime type
    stop_weights: np.ndarray      # (n_points,) where stop and search happens
    planted_points: np.ndarray    # the three station points
    point_text: list[bytes]       # "lon,lat,On or near X,LSOA code,LSOA name" per point
    lsoa_sort_rank: np.ndarray    # per point: rank of its LSOA name (published files are sorted by it)
    # geography, for the SYNTHETIC boundary files
    codes: "_Codes" = None
    neighbour_label: str = ""
    l11_xy: np.ndarray = None     # (n, 2) km east/north of the centre
    l21_xy: np.ndarray = None
    l21_parents: list = None      # per 2021 LSOA: indices of its 2011 parents
    origin: tuple = (0.0, 0.0, 1.0, 1.0)  # lat0, lon0, km per degree of longitude, of latitude


# Forces other than demo-shire each take one slot of a 6 x 8 grid over England and Wales: their own place, LSOA,
# district and force-area codes, so a national SYNTHETIC set (tasking synth --force force-N, N = 1..43) holds
# forces that neither overlap on the map nor share a code. Slots: force-N takes N - 1; a data.police.uk slug its
# place in the sorted list of slugs; any other slug a hash (which may collide with another force's slot).
_SLOTS = 48
_SLOT_COLUMNS = 6


@dataclass(frozen=True)
class _Codes:
    first_in: int        # first 2011 LSOA number in the force (E01 + 6 digits)
    first_neighbour: int
    first_new: int       # first 2021 code of a split or merged LSOA
    lad: str
    neighbour_lad: str
    pfa: str
    neighbour_pfa: str
    neighbour_force: str


def _slot(force: str) -> int | None:
    if force == "demo-shire":
        return None
    from tasking.config import POLICE_UK_FORCES

    numbered = re.fullmatch(r"force-(\d+)", force)
    if numbered:
        return (int(numbered.group(1)) - 1) % _SLOTS
    if force in POLICE_UK_FORCES:
        return sorted(POLICE_UK_FORCES).index(force) % _SLOTS
    return int.from_bytes(hashlib.sha256(force.encode()).digest()[:4], "big") % _SLOTS


def _codes(force: str) -> _Codes:
    slot = _slot(force)
    if slot is None:  # demo-shire keeps the codes it has always had
        return _Codes(900001, 910001, 950001, "E06000901", "E06000902", "E23900001", "E23900002", "neighbourshire")
    block = 100 + slot
    return _Codes(block * 1000 + 1, block * 1000 + 401, block * 1000 + 601, f"E06{900000 + 10 * block + 1:06d}",
                  f"E06{900000 + 10 * block + 2:06d}", f"E23{900000 + 10 * block + 1:06d}",
                  f"E23{900000 + 10 * block + 2:06d}", f"{force}-neighbour")


def _centre(force: str) -> tuple[float, float]:
    slot = _slot(force)
    if slot is None:
        return 52.6, -1.2
    row, column = divmod(slot, _SLOT_COLUMNS)
    # 0.75 degrees of longitude (about 50 km) holds the force (25 km) and its neighbouring district (22 km).
    return round(50.9 + 0.5 * row, 3), round(-3.6 + 0.75 * column, 3)


def _place(rng: np.random.Generator, n: int, sample, min_gap: float, existing: np.ndarray | None = None) -> np.ndarray:
    """n points from `sample(rng)` at least `min_gap` km apart (and from `existing`)."""
    placed = np.empty((0, 2)) if existing is None else existing.copy()
    new: list[tuple[float, float]] = []
    tries = 0
    while len(new) < n:
        tries += 1
        x, y = sample(rng)
        if placed.size and np.min(np.hypot(placed[:, 0] - x, placed[:, 1] - y)) < min_gap and tries < 200 * n:
            continue
        new.append((x, y))
        placed = np.vstack([placed, [[x, y]]])
    return np.array(new)


def _msoa_names(xy: np.ndarray, rng: np.random.Generator, first_msoa: int) -> tuple[list[tuple[int, str]], np.ndarray]:
    """Group LSOAs into MSOAs of 4-6 (numbered north to south, as ONS roughly does) and letter them A, B, ..."""
    band = np.floor(-xy[:, 1] / 2.5)
    order = np.lexsort((xy[:, 0], band))
    labels: list[tuple[int, str]] = [(0, "")] * len(xy)
    msoa, i = first_msoa, 0
    while i < len(order):
        size = int(rng.integers(4, 7))
        for j, k in enumerate(order[i:i + size]):
            labels[k] = (msoa, "ABCDEFGHIJ"[j])
        i += size
        msoa += 1
    return labels, order


def _ranks_for(latent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Distinct England-wide ranks (1 = most deprived), assigned so the highest latent gets the lowest rank."""
    chosen = np.sort(rng.choice(N_ENGLAND_LSOAS, size=len(latent), replace=False) + 1)
    ranks = np.empty(len(latent), dtype=np.int64)
    ranks[np.argsort(-latent, kind="stable")] = chosen
    return ranks


def _build_area(seed: int, force: str) -> _Area:
    rng = _rng(seed, force, "area")
    display = _display_name(force)
    lat0, lon0 = _centre(force)
    km_per_lon = 111.32 * math.cos(math.radians(lat0))
    km_per_lat = 111.2

    def sample_in_force(r: np.random.Generator) -> tuple[float, float]:
        u = r.random()
        if u < 0.50:
            x, y = r.normal(_MAIN_TOWN[0], 2.3), r.normal(_MAIN_TOWN[1], 2.3)
        elif u < 0.65:
            x, y = r.normal(_SECOND_TOWN[0], 1.2), r.normal(_SECOND_TOWN[1], 1.2)
        else:
            x, y = r.uniform(-_BOX_KM, _BOX_KM), r.uniform(-_BOX_KM, _BOX_KM)
        return float(np.clip(x, -_BOX_KM + 0.3, _BOX_KM - 0.3)), float(np.clip(y, -_BOX_KM + 0.3, _BOX_KM - 0.3))

    def sample_neighbour(r: np.random.Generator) -> tuple[float, float]:
        return float(r.uniform(_BOX_KM + 0.4, _BOX_KM + 22)), float(r.uniform(-_BOX_KM, _BOX_KM))

    xy_in = _place(rng, _N_LSOA, sample_in_force, 0.28)
    xy_nb = _place(rng, _N_NEIGHBOUR_LSOA, sample_neighbour, 0.9, existing=xy_in)
    n_in, n_nb = len(xy_in), len(xy_nb)

    codes = _codes(force)
    lad_code, lad_name = codes.lad, f"{display} (SYNTHETIC)"
    neighbour = "Neighbourshire" if display != "Neighbourshire" else "Borderland"
    nb_lad_code, nb_lad_name = codes.neighbour_lad, f"{neighbour} (SYNTHETIC)"

    labels_in, _ = _msoa_names(xy_in, rng, 1)
    labels_nb, _ = _msoa_names(xy_nb, rng, int(rng.integers(12, 30)))
    name_in = [f"{display} {m:03d}{letter} (SYNTHETIC)" for m, letter in labels_in]
    name_nb = [f"{neighbour} {m:03d}{letter} (SYNTHETIC)" for m, letter in labels_nb]
    # Codes follow the names (as ONS codes roughly follow names within a district).
    order_in = sorted(range(n_in), key=lambda i: name_in[i])
    order_nb = sorted(range(n_nb), key=lambda i: name_nb[i])
    code_in = [""] * n_in
    for k, i in enumerate(order_in):
        code_in[i] = f"E01{codes.first_in + k:06d}"
    code_nb = [""] * n_nb
    for k, i in enumerate(order_nb):
        code_nb[i] = f"E01{codes.first_neighbour + k:06d}"

    xy11 = np.vstack([xy_in, xy_nb])
    l11_code, l11_name = code_in + code_nb, name_in + name_nb
    in_force = np.r_[np.ones(n_in, bool), np.zeros(n_nb, bool)]

    # Deprivation: estates and the town centre are deprived, the countryside less so, plus noise.
    def near(point: tuple[float, float], scale: float) -> np.ndarray:
        return np.exp(-((xy11[:, 0] - point[0]) ** 2 + (xy11[:, 1] - point[1]) ** 2) / scale ** 2)

    hot = {h[0]: h for h in _HOTSPOTS}
    dist_main = np.hypot(xy11[:, 0], xy11[:, 1])
    latent = (-0.10 * dist_main + 1.8 * near(hot["northfield_estate"][2], 1.4) + 1.8 * near(hot["westbrook_estate"][2], 1.5)
              + 1.0 * near(hot["town_centre"][2], 1.0) + 0.8 * near(hot["station_quarter"][2], 0.8)
              + 0.7 * near(_SECOND_TOWN, 1.2) + rng.normal(0, 0.75, len(xy11)))
    latent[~in_force] = rng.normal(-0.3, 0.9, n_nb)
    z = (latent - latent.mean()) / latent.std()
    domain_corr = (0.95, 0.90, 0.80, 0.80, 0.70, -0.15, 0.50)  # income .. living environment
    ranks = np.empty((len(xy11), 8), dtype=np.int64)
    ranks[:, 0] = _ranks_for(z, rng)
    for d, r in enumerate(domain_corr, start=1):
        ranks[:, d] = _ranks_for(r * z + math.sqrt(1 - r * r) * rng.normal(0, 1, len(z)), rng)

    # Mid-2015 population.
    total = np.round(1000 + 1900 * rng.beta(2.0, 2.6, len(xy11))).astype(np.int64)
    children = np.round(total * rng.uniform(0.13, 0.26, len(total))).astype(np.int64)
    older = np.round(total * rng.uniform(0.10, 0.32, len(total))).astype(np.int64)
    middle = total - children - older
    working = np.round(middle * rng.uniform(0.92, 0.98, len(total)) + older * rng.uniform(0.15, 0.25, len(total))).astype(np.int64)
    population = np.column_stack([total, children, middle, older, working])

    # 2021 LSOAs: most unchanged; a few grew and split, a few pairs merged.
    spacing = np.array([np.sort(np.hypot(xy_in[:, 0] - x, xy_in[:, 1] - y))[1] for x, y in xy_in])
    candidates = rng.permutation(n_in)
    split = [int(i) for i in candidates[:12]]
    merged_pairs: list[tuple[int, int]] = []
    used = set(split)
    for i in candidates[12:]:
        if len(merged_pairs) == 5:
            break
        i = int(i)
        if i in used:
            continue
        d = np.hypot(xy_in[:, 0] - xy_in[i, 0], xy_in[:, 1] - xy_in[i, 1])
        d[list(used | {i})] = np.inf
        j = int(np.argmin(d))
        if np.isfinite(d[j]) and d[j] < 1.5:
            merged_pairs.append((i, j))
            used |= {i, j}
    new_code = iter(f"E01{codes.first_new + k:06d}" for k in range(1000))
    letters_used: dict[int, set[str]] = {}
    for m, letter in labels_in:
        letters_used.setdefault(m, set()).add(letter)

    def new_name(i: int) -> str:
        m = labels_in[i][0]
        letter = next(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in letters_used[m])
        letters_used[m].add(letter)
        return f"{display} {m:03d}{letter} (SYNTHETIC)"

    persons21 = np.round(total * rng.uniform(0.98, 1.12, len(total))).astype(np.int64)
    l21_code: list[str] = []
    l21_name: list[str] = []
    l21_xy: list[tuple[float, float]] = []
    l11_to_l21: dict[int, list[int]] = {}
    l21_parents: list[list[int]] = []
    lookup: list[tuple[str, str, int, int, int, float, float, str]] = []
    merged_of = {i: pair for pair in merged_pairs for i in pair}
    for i in range(len(xy11)):
        if i in split:
            k = 2 if rng.random() < 0.8 else 3
            grown = int(round(total[i] * rng.uniform(1.5, 2.2)))
            shares = rng.dirichlet(np.full(k, 6.0))
            parts = np.round(grown * shares).astype(np.int64)
            parts[-1] = grown - parts[:-1].sum()
            angle = rng.uniform(0, 2 * math.pi)
            children21 = []
            for part_index, persons in enumerate(parts):
                a = angle + 2 * math.pi * part_index / k
                r = 0.3 * min(spacing[i], 1.5)
                l21_code.append(next(new_code))
                l21_name.append(new_name(i))
                l21_xy.append((xy11[i, 0] + r * math.cos(a), xy11[i, 1] + r * math.sin(a)))
                l21_parents.append([i])
                children21.append(len(l21_code) - 1)
                lookup.append((l11_code[i], l21_code[-1], int(persons), grown, int(persons), 1.0, int(persons) / grown, "S"))
            l11_to_l21[i] = children21
        elif i in merged_of:
            a, b = merged_of[i]
            if i != a:
                continue
            l21_code.append(next(new_code))
            l21_name.append(new_name(a))
            l21_xy.append(tuple((xy11[a] + xy11[b]) / 2))
            l21_parents.append([a, b])
            l11_to_l21[a] = l11_to_l21[b] = [len(l21_code) - 1]
            both = int(persons21[a] + persons21[b])
            for part in (a, b):
                lookup.append((l11_code[part], l21_code[-1], int(persons21[part]), int(persons21[part]), both,
                               int(persons21[part]) / both, 1.0, "M"))
        else:
            l21_code.append(l11_code[i])
            l21_name.append(l11_name[i])
            l21_xy.append((xy11[i, 0], xy11[i, 1]))
            l21_parents.append([i])
            l11_to_l21[i] = [len(l21_code) - 1]
            p = int(persons21[i])
            lookup.append((l11_code[i], l11_code[i], p, p, p, 1.0, 1.0, "U"))
    lookup.sort(key=lambda row: (row[0], row[1]))

    def prop(v: float) -> str:
        return "1" if v == 1.0 else f"{v:.15g}"

    lookup_lines = [f'"{a}","{b}","{a}_{b}",{p},{d11},{d21},{prop(p1)},{prop(p2)},"{cat}"'
                    for a, b, p, d11, d21, p1, p2, cat in lookup]
    l21_xy_arr = np.array(l21_xy)

    # Snap points: background points around each LSOA, hotspot points, and a few just over the boundary.
    px: list[float] = []
    py: list[float] = []
    hotspot: list[int] = []
    named: list[str] = []
    for i in range(n_in):
        s = min(max(spacing[i], 0.15), 2.0)
        for _ in range(3 + int(rng.poisson(2.8))):
            px.append(float(np.clip(xy_in[i, 0] + rng.normal(0, 0.35 * s), -_BOX_KM, _BOX_KM)))
            py.append(float(np.clip(xy_in[i, 1] + rng.normal(0, 0.35 * s), -_BOX_KM, _BOX_KM)))
            hotspot.append(-1)
            named.append("")
    for h, (_, _, (hx, hy), radius, count, names, _, _) in enumerate(_HOTSPOTS):
        for k in range(count):
            r, a = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            px.append(hx + r * math.cos(a))
            py.append(hy + r * math.sin(a))
            hotspot.append(h)
            named.append(names[k] if k < len(names) else "")
    boundary = np.argsort(xy_nb[:, 0])[:_N_NEIGHBOUR_WITH_POINTS]
    first_neighbour_point = len(px)
    for i in boundary:
        for _ in range(2):
            px.append(float(xy_nb[i, 0] + rng.normal(0, 0.25)))
            py.append(float(xy_nb[i, 1] + rng.normal(0, 0.25)))
            hotspot.append(-1)
            named.append("")
    pxy = np.column_stack([px, py])
    n_points = len(pxy)
    is_neighbour_point = np.arange(n_points) >= first_neighbour_point
    hotspot_arr = np.array(hotspot)

    # Which 2011 LSOA each point is in (nearest centroid, own side of the boundary), then its 2021 LSOA.
    point_l11 = np.empty(n_points, dtype=np.int64)
    for side, pool in ((False, np.flatnonzero(in_force)), (True, np.flatnonzero(~in_force))):
        sel = np.flatnonzero(is_neighbour_point == side)
        d = (pxy[sel, None, 0] - xy11[None, pool, 0]) ** 2 + (pxy[sel, None, 1] - xy11[None, pool, 1]) ** 2
        point_l11[sel] = pool[np.argmin(d, axis=1)]
    point_l21 = np.empty(n_points, dtype=np.int64)
    for p in range(n_points):
        options = l11_to_l21[int(point_l11[p])]
        if len(options) == 1:
            point_l21[p] = options[0]
        else:
            d = np.hypot(l21_xy_arr[options, 0] - pxy[p, 0], l21_xy_arr[options, 1] - pxy[p, 1])
            point_l21[p] = options[int(np.argmin(d))]

    # Street names: unique generated names, the hotspots' own, a few published oddities and some left empty.
    pool_names = [f"{a} {b}" for a in _STREET_FIRST for b in _STREET_SUFFIX]
    taken = set(n for n in named if n)
    pool_names = [n for n in pool_names if n not in taken]
    chosen = rng.choice(len(pool_names), size=n_points, replace=False)
    names: list[str] = []
    empty = rng.random(n_points) < _EMPTY_NAME_SHARE
    odd = rng.random(n_points) < 0.01
    for p in range(n_points):
        if named[p]:
            names.append(named[p])
        elif empty[p]:
            names.append("")
        elif odd[p]:
            names.append(_ODD_NAMES[int(rng.integers(len(_ODD_NAMES)))])
        else:
            names.append(pool_names[int(chosen[p])])

    # Crime weights per point and type.
    base = np.minimum(rng.lognormal(0.0, 1.0, n_points), 5.0)
    d_main = np.hypot(pxy[:, 0] - _MAIN_TOWN[0], pxy[:, 1] - _MAIN_TOWN[1])
    d_second = np.hypot(pxy[:, 0] - _SECOND_TOWN[0], pxy[:, 1] - _SECOND_TOWN[1])
    urban = 0.5 + 1.2 * np.exp(-d_main / 4.0) + 0.6 * np.exp(-d_second / 2.0)
    pop_factor = total[point_l11] / 1700.0
    deprivation = 1.0 - ranks[point_l11, 0] / N_ENGLAND_LSOAS
    commercial = (rng.random(n_points) < _COMMERCIAL_SHARE) | np.isin(
        np.array(names, dtype=object), ["Supermarket", "Shopping Area", "Petrol Station", "High Street", "Market Place",
                                        "Market Square", "Retail Park Way"])
    repeat_location = rng.random(n_points) < _REPEAT_SHARE
    focal = np.array([bool(named[p]) for p in range(n_points)])
    general = base * urban * pop_factor * np.where(repeat_location, 5.0, 1.0) * np.where(focal, 2.0, 1.0)
    weights = np.empty((len(CRIME_TYPES), n_points))
    for c, crime in enumerate(CRIME_TYPES):
        w = general * np.exp(1.0 * _DEPRIVATION_ALPHA[crime] * deprivation)
        multiplier = np.ones(n_points)
        for h, spec in enumerate(_HOTSPOTS):
            multiplier[hotspot_arr == h] = spec[6] * spec[7].get(crime, 1.0)
        w = w * multiplier
        if crime == "Shoplifting":
            w = w * np.where(commercial, 1.0, 0.03)
        elif crime == "Other theft":
            w = w * np.where(commercial, 1.5, 1.0)
        inside = w[~is_neighbour_point].sum()
        outside = w[is_neighbour_point].sum()
        w[is_neighbour_point] *= (_NEIGHBOUR_ROW_SHARE / (1 - _NEIGHBOUR_ROW_SHARE)) * inside / outside
        weights[c] = _cap_shares(w / w.sum(), _POINT_CAP.get(crime, 0.012))
    stop = (2.0 * weights[_C["Drugs"]] + 2.0 * weights[_C["Possession of weapons"]] + weights[ROBBERY]
            + 0.5 * weights[_C["Violence and sexual offences"]] + 0.3 * weights[_C["Shoplifting"]])
    stop[is_neighbour_point] = 0.0
    stop = stop / stop.sum()

    planted_h = next(h for h, spec in enumerate(_HOTSPOTS) if spec[0] == _PLANTED_HOTSPOT)
    planted = np.array([next(p for p in range(n_points) if hotspot[p] == planted_h and names[p] == name)
                        for name in _PLANTED_POINTS])

    lon = np.round(lon0 + pxy[:, 0] / km_per_lon, 6)
    lat = np.round(lat0 + pxy[:, 1] / km_per_lat, 6)
    point_text = [f"{lon[p]:.6f},{lat[p]:.6f},On or near {names[p]},{l21_code[point_l21[p]]},{l21_name[point_l21[p]]}".encode()
                  for p in range(n_points)]
    name_rank = {name: r for r, name in enumerate(sorted(set(l21_name)))}
    lsoa_sort_rank = np.array([name_rank[l21_name[point_l21[p]]] for p in range(n_points)], dtype=np.int64)

    area = _Area(
        force=force, force_label=f"{display} Police (SYNTHETIC)", lad_code=lad_code, lad_name=lad_name,
        neighbour_lad_code=nb_lad_code, neighbour_lad_name=nb_lad_name,
        l11_code=l11_code, l11_name=l11_name, l11_in_force=in_force, l11_population=population, l11_ranks=ranks,
        lookup_lines=lookup_lines, l21_code=l21_code, l21_name=l21_name,
        point_lon=lon, point_lat=lat, point_name=names, point_l21=point_l21, point_hotspot=hotspot_arr,
        point_weights=weights, stop_weights=stop, planted_points=planted, point_text=point_text,
        lsoa_sort_rank=lsoa_sort_rank, codes=codes, neighbour_label=neighbour, l11_xy=xy11, l21_xy=l21_xy_arr,
        l21_parents=l21_parents, origin=(lat0, lon0, km_per_lon, km_per_lat),
    )
    _check_csv_safe(area)
    return area


def _cap_shares(p: np.ndarray, cap: float) -> np.ndarray:
    """Shares with none above `cap`, the excess spread over the others in proportion (no single snap point
    takes an implausible share of a force's crime)."""
    p = p.copy()
    for _ in range(50):
        over = p > cap
        if not over.any():
            break
        excess = float((p[over] - cap).sum())
        p[over] = cap
        free = ~over & (p < cap)
        p[free] += excess * p[free] / p[free].sum()
    return p / p.sum()


def _check_csv_safe(area: _Area) -> None:
    """Rows are written without a CSV library: no value may need quoting (the published files quote nothing)."""
    values = [area.force_label, *area.point_name, *area.l21_name, *area.l21_code, *CRIME_TYPES, *STREET_OUTCOMES,
              *OUTCOME_TYPES]
    bad = [v for v in values if any(ch in v for ch in ',"\r\n')]
    if bad:
        raise AssertionError(f"values would need CSV quoting: {bad[:3]}")


# ---------------------------------------------------------------------------------------------------------------
# Monthly volumes


def _expected_counts(rows_per_month: int, month_indices: list[int]) -> np.ndarray:
    """(months, types) expected street rows: share x seasonality x trend x days in month."""
    n = len(month_indices)
    middle = (n - 1) / 2
    out = np.empty((n, len(CRIME_TYPES)))
    for m, index in enumerate(month_indices):
        year, month = index // 12, index % 12 + 1
        days = calendar.monthrange(year, month)[1] / (365.25 / 12)
        for c, crime in enumerate(CRIME_TYPES):
            share, amplitude, peak, trend, _ = _TYPE_MODEL[crime]
            season = 1.0 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)
            growth = (1.0 + trend) ** ((m - middle) / 12)
            out[m, c] = rows_per_month * share * season * growth * days
    return out


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - 6) % 7)


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _rows(prefix: bytes, ids: np.ndarray, middle: bytes, keys: np.ndarray, text_of_key) -> bytes:
    """Rows `id + middle + text(key)`, assembled without a Python loop over rows: each distinct key is formatted
    once and the rows are joined in C."""
    if len(keys) == 0:
        return prefix
    unique, inverse = np.unique(keys, return_inverse=True)
    texts = np.empty(len(unique), dtype=object)
    texts[:] = [text_of_key(int(k)) for k in unique]
    return prefix + b"".join(map(b"".join, zip(ids.tolist(), repeat(middle), texts[inverse.reshape(-1)].tolist())))


def _gzip(name: str, text: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(text)
    return buffer.getvalue()


def _thousands(value: int) -> str:
    return f'"{value:,}"' if value >= 1000 else str(value)


def _decile(rank: int) -> int:
    return math.ceil(rank / (N_ENGLAND_LSOAS / 10))


def _write_reference(area: _Area, folder: Path) -> list[Path]:
    order = sorted(range(len(area.l11_code)), key=lambda i: area.l11_code[i])

    def ident(i: int) -> str:
        lad = (area.lad_code, area.lad_name) if area.l11_in_force[i] else (area.neighbour_lad_code, area.neighbour_lad_name)
        return f"{area.l11_code[i]},{_csv_field(area.l11_name[i])},{lad[0]},{_csv_field(lad[1])}"

    file1 = [IOD_FILE_1_HEADER] + [
        f"{ident(i)},{_thousands(int(area.l11_ranks[i, 0]))},{_decile(int(area.l11_ranks[i, 0]))}" for i in order]
    file2 = [IOD_FILE_2_HEADER] + [
        ident(i) + "".join(f",{int(r)},{_decile(int(r))}" for r in area.l11_ranks[i]) for i in order]
    file6 = [IOD_FILE_6_HEADER] + [
        ident(i) + "".join(f",{_thousands(int(v))}" for v in area.l11_population[i]) for i in order]
    written = []
    for name, lines in ((IOD_FILE_1, file1), (IOD_FILE_2, file2), (IOD_FILE_6, file6)):
        text = "\ufeff" + "\r\n".join(lines)  # BOM, CRLF, no final newline: as published
        full = SYNTHETIC_PREFIX + name
        written.append(_write(folder / full, _gzip(full[:-3], text.encode("utf-8"))))
    lookup = "\n".join([LOOKUP_HEADER] + area.lookup_lines) + "\n"  # quoted text, LF: as the real lookup
    written.append(_write(folder / (SYNTHETIC_PREFIX + LOOKUP_FILE), lookup.encode("utf-8")))
    return written


# ---------------------------------------------------------------------------------------------------------------
# Generation


@dataclass
class _Pending:
    """Outcome events waiting for their month: crime IDs, snap point (-1: no location), outcome type."""
    ids: list[np.ndarray]
    points: list[np.ndarray]
    types: list[np.ndarray]


def _street_month(area: _Area, rng: np.random.Generator, expected: np.ndarray, planted_extra: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(snap point per row, -1 for no location; crime type per row), in published order."""
    points: list[np.ndarray] = []
    types: list[np.ndarray] = []
    n_points = len(area.point_text)
    for c, crime in enumerate(CRIME_TYPES):
        n = int(rng.poisson(expected[c]))
        no_location = int(rng.binomial(n, _TYPE_MODEL[crime][4]))
        counts = rng.multinomial(n - no_location, area.point_weights[c])
        located = np.repeat(np.arange(n_points, dtype=np.int64), counts)
        if c == ROBBERY and planted_extra:
            extra = rng.multinomial(planted_extra, _PLANTED_SPLIT)
            located = np.concatenate([located, np.repeat(area.planted_points, extra)])
        points += [located, np.full(no_location, -1, dtype=np.int64)]
        types += [np.full(len(located) + no_location, c, dtype=np.int64)]
    point = np.concatenate(points)
    ctype = np.concatenate(types)
    lsoa_rank = np.where(point >= 0, area.lsoa_sort_rank[np.maximum(point, 0)], len(area.l21_code))
    order = np.lexsort((point, ctype, lsoa_rank))
    return point[order], ctype[order]


def _resolve(rng: np.random.Generator, ctype: np.ndarray, month: int, last: int):
    """Street 'Last outcome category' per row, and the outcome events (month, row, outcome type) up to `last`."""
    n = len(ctype)
    street = np.zeros(n, dtype=np.int64)  # "" for anti-social behaviour
    resolution = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    for c, crime in enumerate(CRIME_TYPES):
        if c == ASB:
            continue
        rows = np.flatnonzero(ctype == c)
        table = _OUTCOME_MODEL[crime]
        p = np.array([table.get(k, 0.0) for k in _CLASSES])
        cdf = np.cumsum(p / p.sum())
        resolution[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(_CLASSES) - 1)
    crime_rows = resolution >= 0
    p0 = np.where(resolution == 0, _LAG_P0_QUICK, _LAG_P0)
    lag = np.where(rng.random(n) < p0, 0, rng.geometric(_LAG_GEOMETRIC, n))
    lag = np.where(rng.random(n) < _LAG_LONG_SHARE, rng.integers(6, 49, n), lag)
    court_lag = rng.geometric(_COURT_LAG_GEOMETRIC, n)
    court_keys, court_p = _probabilities(_COURT_RESULTS)
    court_result = rng.choice(len(court_keys), size=n, p=court_p)
    first = month + lag
    second = first + court_lag

    direct = crime_rows & (resolution < len(_DIRECT))
    court = resolution == _COURT_CLASS
    street[resolution == _SU_CLASS] = _SO[SU]
    done = direct & (first <= last)
    street[direct & ~done] = _SO[UI]
    street[done] = 1 + resolution[done]  # STREET_OUTCOMES[1 + i] == _DIRECT[i]
    charged = court & (first <= last)
    decided = court & (second <= last)
    street[court & ~charged] = _SO[UI]
    street[charged & ~decided] = _SO[ACO]
    street[decided] = _SO[COURT_RESULTS[0]] + court_result[decided]

    event_month = np.concatenate([first[done], first[charged], second[decided]])
    event_row = np.concatenate([np.flatnonzero(done), np.flatnonzero(charged), np.flatnonzero(decided)])
    event_type = np.concatenate([resolution[done], np.full(int(charged.sum()), _OT[CHARGED]),
                                 _OT[COURT_RESULTS[0]] + court_result[decided]])
    return street, event_month, event_row, event_type


def _stop_search_month(area: _Area, rng: np.random.Generator, month_index: int, n: int) -> bytes:
    header = (STOP_SEARCH_HEADER + "\r\n").encode()
    if n == 0:
        return header
    year, month = month_index // 12, month_index % 12 + 1
    days = calendar.monthrange(year, month)[1]
    start = np.datetime64(f"{year:04d}-{month:02d}-01T00:00", "m")
    minute_of_day = (rng.choice(24, size=n, p=_SS_HOUR_WEIGHTS / _SS_HOUR_WEIGHTS.sum()) * 60
                     + rng.choice(60, size=n, p=_SS_MINUTE_WEIGHTS / _SS_MINUTE_WEIGHTS.sum()))
    local = start + (rng.integers(0, days, n) * 1440 + minute_of_day).astype("timedelta64[m]")
    # UK clocks: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
    spring = np.datetime64(f"{_last_sunday(year, 3).isoformat()}T01:00", "m")
    autumn = np.datetime64(f"{_last_sunday(year, 10).isoformat()}T02:00", "m")
    gap = (local >= spring) & (local < spring + np.timedelta64(60, "m"))
    local = np.where(gap, local + np.timedelta64(60, "m"), local)  # 01:xx does not exist that night
    bst = (local >= spring + np.timedelta64(60, "m")) & (local < autumn)
    # Keep the instant inside the month in UTC too: 00:xx BST on the 1st would be the previous month in UTC.
    local = np.where(bst & (local < start + np.timedelta64(60, "m")), local + np.timedelta64(60, "m"), local)
    instant = local - np.where(bst, 60, 0).astype("timedelta64[m]")
    order = np.argsort(instant, kind="stable")
    local, bst = local[order], bst[order]
    stamps = [s + (b"+01:00" if b else b"+00:00")
              for s, b in zip(np.datetime_as_string(local, unit="s").astype("S19").tolist(), bst.tolist())]

    types, p = _probabilities(_SS_TYPE)
    kind = rng.choice(len(types), size=n, p=p)
    vehicle_only = kind == types.index("Vehicle search")
    point = rng.choice(len(area.stop_weights), size=n, p=area.stop_weights)
    no_coordinates = rng.random(n) < 0.01
    operation = rng.choice(3, size=n, p=[0.90, 0.09, 0.01])
    genders, p = _probabilities(_SS_GENDER)
    gender = rng.choice(len(genders), size=n, p=p)
    ages, p = _probabilities(_SS_AGE)
    age = rng.choice(len(ages), size=n, p=p)
    selfs, p = _probabilities(_SS_SELF_ETHNICITY)
    self_eth = rng.choice(len(selfs), size=n, p=p)
    officers, p = _probabilities(_SS_OFFICER_ETHNICITY)
    officer_random = rng.choice(len(officers), size=n, p=p)
    agrees = rng.random(n) < 0.92
    powers_p = np.array([w for _, _, w in _SS_POWERS])
    power = rng.choice(len(_SS_POWERS), size=n, p=powers_p / powers_p.sum())
    outcomes, p = _probabilities(_SS_OUTCOME)
    outcome = rng.choice(len(outcomes), size=n, p=p)
    khat = rng.random(n) < 0.07
    linked_u = rng.random(n)
    removal = rng.random(n) < 0.055

    def officer_for(self_value: str, fallback: str, agree: bool) -> str:
        if not self_value or not agree:
            return fallback
        group = self_value.split(" - ")[0].split("/")[0]
        return {"White": "White", "Asian": "Asian", "Black": "Black", "Mixed": "Mixed", "Other ethnic group": "Other"}[group]

    lines = []
    for r in range(n):
        nfa = False
        legislation, obj, _ = _SS_POWERS[power[r]]
        if obj == "Controlled drugs" and khat[r]:
            result = _SS_KHAT_CANNABIS
        else:
            result = outcomes[outcome[r]]
            nfa = result == "A no further action disposal"
        if nfa:
            linked = "True" if linked_u[r] < 0.25 else "False" if linked_u[r] < 0.40 else ""
        else:
            linked = "True" if linked_u[r] < 0.80 else "False"
        if vehicle_only[r]:
            person = ",,,"  # gender, age range and both ethnicities are empty
        else:
            self_value = selfs[self_eth[r]]
            person = (f"{genders[gender[r]]},{ages[age[r]]},{self_value},"
                      f"{officer_for(self_value, officers[officer_random[r]], bool(agrees[r]))}")
        where = "," if no_coordinates[r] else f"{area.point_lat[point[r]]:.6f},{area.point_lon[point[r]]:.6f}"
        lines.append(f"{types[kind[r]]},{stamps[r].decode()},{('', 'False', 'True')[operation[r]]},,{where},{person},"
                     f"{legislation},{obj},{result},{linked},{'True' if removal[r] and not vehicle_only[r] else 'False'}")
    return header + ("\r\n".join(lines) + "\r\n").encode()


def _latlon(lat: float, lon: float) -> str:
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"


def _synthetic_note(area: _Area, seed: int, months: list[str], rows_per_month: int, planted: dict | None,
                    outcomes: bool, stop_search: bool, reference: bool) -> str:
    hotspot_lines = []
    for h, spec in enumerate(_HOTSPOTS):
        where = sorted({area.l21_name[area.point_l21[p]] for p in np.flatnonzero(area.point_hotspot == h)})
        top = ", ".join(f"{k} x{v:g}" for k, v in sorted(spec[7].items(), key=lambda kv: -kv[1])[:4])
        hotspot_lines.append(f"  - {spec[1]}: {len(where)} LSOAs ({', '.join(where[:3])}{', ...' if len(where) > 3 else ''}); "
                             f"strongest for {top}")
    if planted:
        counts = planted["counts"]
        baseline = planted["baseline_mean"]
        planted_text = (
            "PLANTED EMERGING PROBLEM (for testing the tactical assessment):\n"
            f"  Robbery in the station quarter rises sharply in the last two months, {planted['months'][0]} and "
            f"{planted['months'][1]}.\n"
            f"  Extra robberies added on top of the normal pattern: {planted['extra'][0]} and {planted['extra'][1]}, at "
            + ", ".join(f"'On or near {name}' ({lsoa})" for name, lsoa in planted["points"]) + ".\n"
            f"  Robberies at those three points, month by month (whole range): {', '.join(map(str, counts))}.\n"
            f"  Mean before the last two months: {baseline:.1f} a month.\n"
            "  Nothing else is planted: every other pattern is the steady model (seasonality, trend, noise).\n")
    else:
        planted_text = "PLANTED EMERGING PROBLEM: none (the range is shorter than three months).\n"
    kinds = ["street"] + (["outcomes"] if outcomes else []) + (["stop-and-search"] if stop_search else [])
    return (
        "ALL DATA IN THIS FOLDER IS SYNTHETIC.\n"
        "It was generated by tasking (sources/synthetic.py, generator version "
        f"{GENERATOR_VERSION}) with seed {seed}. It is NOT real crime, NOT real people and NOT a real place.\n"
        "It copies the format and layout of data.police.uk and the English Indices of Deprivation 2019 so that the\n"
        "pipeline can be demonstrated and tested; no conclusion about any real area may be drawn from it.\n\n"
        f"Force slug: {area.force}   Force name in the files: {area.force_label}\n"
        f"Months: {months[0]}..{months[-1]} ({len(months)} months), about {rows_per_month:,} street rows a month\n"
        f"Files: {', '.join(kinds)} per month"
        + (", plus reference/ (SYNTHETIC_ IoD 2019 Files 1, 2 and 6, LSOA 2011->2021 lookup, and in boundaries/ the"
           " LSOA 2011 and 2021 polygons and the force areas as GeoJSON)" if reference else "")
        + "\n\n"
        "THE FICTIONAL AREA:\n"
        f"  {int(area.l11_in_force.sum())} LSOAs (2011 codes E01{area.codes.first_in:06d}.., a range England does not use) in the local "
        f"authority {area.lad_code} '{area.lad_name}',\n"
        f"  centred near {_latlon(float(np.median(area.point_lat)), float(np.median(area.point_lon)))}, about 25 km across; "
        f"{len(area.point_text):,} snap points.\n"
        f"  A neighbouring district '{area.neighbour_lad_name}' ({int((~area.l11_in_force).sum())} LSOAs, codes "
        f"E01{area.codes.first_neighbour:06d}..) receives the few crimes that snap over the boundary.\n"
        "  Crime files carry 2021 LSOA codes, as data.police.uk does: most equal the 2011 codes, a few LSOAs were\n"
        f"  split or merged (new codes E01{area.codes.first_new:06d}..); the lookup in reference/ maps them to the 2011 codes of the IoD.\n"
        "  Deprived LSOAs (low IMD rank) have more crime. Hotspots:\n"
        + "\n".join(hotspot_lines) + "\n"
        "  Seasonality: violence and anti-social behaviour peak in summer, burglary and vehicle crime in winter,\n"
        "  shoplifting and theft from the person in December. Trend: shoplifting +12% a year, theft from the person\n"
        "  +8%, anti-social behaviour -8%, burglary -4%; others within a few per cent. Counts are Poisson.\n\n"
        + planted_text
    )


def generate(out_dir: Path, force: str = "demo-shire", months: tuple[str, str] = ("2021-09", "2024-08"), seed: int = 7,
             rows_per_month: int = 20000, outcomes: bool = True, stop_search: bool = True,
             reference: bool = True) -> SyntheticSummary:
    """Write SYNTHETIC data.police.uk-format files for `force` and every month in `months` (inclusive) under
    `out_dir`, and return what was written. The same arguments always give byte-identical files."""
    if not isinstance(force, str) or not _FORCE_RE.match(force):
        raise ValueError(f"force {force!r}: expected a lowercase slug such as demo-shire (letters, digits, hyphens)")
    if isinstance(months, str):
        months = parse_month_range(months)
    if len(months) != 2:
        raise ValueError(f"months {months!r}: expected (first, last), e.g. ('2021-09', '2024-08')")
    first, last = _check_range(months[0], months[1], f"months {months[0]}..{months[1]}")
    if int(rows_per_month) != rows_per_month or rows_per_month < 0:
        raise ValueError(f"rows_per_month {rows_per_month!r}: expected a whole number >= 0")
    rows_per_month = int(rows_per_month)
    out_dir = Path(out_dir)
    month_indices = list(range(first, last + 1))
    month_names = [_month_text(i) for i in month_indices]
    n_months = len(month_indices)

    area = _build_area(seed, force)
    expected = _expected_counts(rows_per_month, month_indices)
    plant = n_months >= 3
    label = area.force_label.encode()
    files: list[Path] = []
    street_rows = outcome_rows = stop_rows = 0
    pending: dict[int, _Pending] = {}
    planted_counts: list[int] = []
    planted_extra = [0, 0]

    def point_text(point: int) -> bytes:
        return area.point_text[point] if point >= 0 else b",,No Location,,"

    for m, (index, name) in enumerate(zip(month_indices, month_names)):
        folder = out_dir / name
        rng = _rng(seed, force, "street", name)
        extra = 0
        if plant and m >= n_months - 2:
            k = m - (n_months - 2)
            extra = int(round(rows_per_month * _PLANTED_EXTRA[k]))
            if rows_per_month >= 1000:
                extra = max(extra, _PLANTED_MINIMUM[k])
            planted_extra[k] = extra
        point, ctype = _street_month(area, rng, expected[m], extra)
        planted_counts.append(int(np.isin(point[ctype == ROBBERY], area.planted_points).sum()))
        n = len(point)
        ids = _hex_ids(rng, n)
        ids[ctype == ASB] = b""
        street, event_month, event_row, event_type = _resolve(rng, ctype, m, n_months - 1)

        n_types, n_outcomes = len(CRIME_TYPES), len(STREET_OUTCOMES)
        keys = ((point + 1) * n_types + ctype) * n_outcomes + street

        def street_text(key: int) -> bytes:
            rest, outcome = divmod(key, n_outcomes)
            p, c = divmod(rest, n_types)
            return b"".join([b",", point_text(p - 1), b",", CRIME_TYPES[c].encode(), b",",
                             STREET_OUTCOMES[outcome].encode(), b",\r\n"])

        body = _rows((STREET_HEADER + "\r\n").encode(), ids, b"," + name.encode() + b"," + label + b"," + label, keys, street_text)
        files.append(_write(folder / f"{name}-{force}-street.csv", body))
        street_rows += n

        if outcomes:
            # File the events by the month they happen in; this month's go out now, later ones wait.
            order = np.argsort(event_month, kind="stable")
            event_month, event_row, event_type = event_month[order], event_row[order], event_type[order]
            bounds = np.searchsorted(event_month, np.arange(m, n_months + 1))
            for target in range(m, n_months):
                lo, hi = bounds[target - m], bounds[target - m + 1]
                if hi > lo:
                    slot = pending.setdefault(target, _Pending([], [], []))
                    rows = event_row[lo:hi]
                    slot.ids.append(ids[rows])
                    slot.points.append(point[rows])
                    slot.types.append(event_type[lo:hi])
            slot = pending.pop(m, _Pending([], [], []))
            o_ids = np.concatenate(slot.ids) if slot.ids else np.empty(0, dtype="S64")
            o_points = np.concatenate(slot.points) if slot.points else np.empty(0, dtype=np.int64)
            o_types = np.concatenate(slot.types) if slot.types else np.empty(0, dtype=np.int64)
            n_types_out = len(OUTCOME_TYPES)

            def outcome_text(key: int) -> bytes:
                p, t = divmod(key, n_types_out)
                return b"".join([b",", point_text(p - 1), b",", OUTCOME_TYPES[t].encode(), b"\r\n"])

            body = _rows((OUTCOMES_HEADER + "\r\n").encode(), o_ids, b"," + name.encode() + b"," + label + b"," + label,
                         (o_points + 1) * n_types_out + o_types, outcome_text)
            files.append(_write(folder / f"{name}-{force}-outcomes.csv", body))
            outcome_rows += len(o_ids)
        del ids, point, ctype, street

        if stop_search:
            rng_ss = _rng(seed, force, "stop-and-search", name)
            moy = index % 12 + 1
            n_ss = int(rng_ss.poisson(rows_per_month * 0.025 * (1 + 0.08 * math.cos(2 * math.pi * (moy - 7) / 12))))
            files.append(_write(folder / f"{name}-{force}-stop-and-search.csv", _stop_search_month(area, rng_ss, index, n_ss)))
            stop_rows += n_ss

    if reference:
        from sources.synthetic_boundaries import write_boundary_files

        # demo-shire's reference files sit in reference/; another force's in reference/<force>/, so the forces
        # of a national set generated into one folder keep theirs side by side.
        folder = out_dir / "reference" if area.codes.first_in == 900001 else out_dir / "reference" / force
        files += _write_reference(area, folder)
        files += write_boundary_files(area, folder / "boundaries")

    planted = None
    if plant:
        before = planted_counts[:-2]
        planted = {
            "months": month_names[-2:], "extra": planted_extra, "counts": planted_counts,
            "baseline_mean": float(np.mean(before)),
            "points": [(area.point_name[p], area.l21_name[area.point_l21[p]]) for p in area.planted_points],
        }
    note = _synthetic_note(area, seed, month_names, rows_per_month, planted, outcomes, stop_search, reference)
    files.append(_write(out_dir / "SYNTHETIC.txt", note.encode("utf-8")))
    return SyntheticSummary(out_dir=out_dir, force=force, months=month_names, files=files, street_rows=street_rows,
                            outcome_rows=outcome_rows, stop_search_rows=stop_rows)
