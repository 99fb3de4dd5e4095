"""What the SYNTHETIC data is made of: the published file headers and reference-file names, the crime types
and their share, seasonality and trend, the outcome and stop-and-search vocabularies and distributions, and the
constants of the fictional area's geography (towns, hotspots, the planted problem, street names). Data only.
"""
from __future__ import annotations

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


def csv_field(text: str) -> str:
    return f'"{text}"' if ("," in text or '"' in text) else text


IOD_FILE_2_HEADER = _IOD_ID + "," + ",".join(
    f"{csv_field(f'{d} Rank (where 1 is most deprived)')},"
    f"{csv_field(f'{d} Decile (where 1 is most deprived 10% of LSOAs)')}" for d in IOD_DOMAINS)
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
CRIME_INDEX = {name: i for i, name in enumerate(CRIME_TYPES)}
ASB = CRIME_INDEX["Anti-social behaviour"]
ROBBERY = CRIME_INDEX["Robbery"]

# Share of all street rows, seasonal amplitude and peak month, trend per year.
TYPE_MODEL = {
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
DIRECT = (IC, UP, "Local resolution", "Offender given a caution", "Offender given penalty notice",
           "Offender given a drugs possession warning", "Further investigation is not in the public interest",
           "Formal action is not in the public interest", "Further action is not in the public interest",
           "Action to be taken by another organisation", "Suspect charged as part of another case")
COURT_RESULT_SHARES = {
    "Offender given community sentence": 0.17, "Offender fined": 0.15, "Offender sent to prison": 0.15,
    "Offender given suspended prison sentence": 0.12, "Court result unavailable": 0.10,
    "Offender given conditional discharge": 0.07, "Defendant found not guilty": 0.07,
    "Court case unable to proceed": 0.05, "Offender otherwise dealt with": 0.03,
    "Offender ordered to pay compensation": 0.03, "Defendant sent to Crown Court": 0.03,
    "Offender given absolute discharge": 0.015, "Offender deprived of property": 0.015,
}
COURT_RESULTS = tuple(COURT_RESULT_SHARES)
# Resolution classes: the direct outcomes, then "Status update unavailable", then the court path.
CLASSES = DIRECT + (SU, "COURT")
SU_CLASS = len(DIRECT)
COURT_CLASS = len(DIRECT) + 1
OUTCOME_MODEL = {
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
STREET_OUTCOMES = ("",) + DIRECT + (SU, UI, ACO) + COURT_RESULTS
SO = {name: i for i, name in enumerate(STREET_OUTCOMES)}
# Outcomes-file "Outcome type" vocabulary.
OUTCOME_TYPES = DIRECT + (CHARGED,) + COURT_RESULTS
OT = {name: i for i, name in enumerate(OUTCOME_TYPES)}

# How many months after the crime an outcome is recorded: 0 with probability p0, otherwise geometric (mean ~3.6).
LAG_P0_QUICK = 0.55   # "Investigation complete; no suspect identified" is usually recorded in the month itself
LAG_P0 = 0.30
LAG_GEOMETRIC = 0.24
LAG_LONG_SHARE = 0.04     # long-running investigations: 6 to 48 months
COURT_LAG_GEOMETRIC = 0.08  # months from charge to court result (mean 12.5: court backlogs)

# Stop and search vocabularies (as in the published Northumbria files) and shares.
SS_TYPE = {"Person search": 0.90, "Person and Vehicle search": 0.07, "Vehicle search": 0.03}
SS_GENDER = {"Male": 0.875, "Female": 0.125}
SS_AGE = {"10-17": 0.21, "18-24": 0.30, "25-34": 0.25, "over 34": 0.235, "": 0.005}
SS_SELF_ETHNICITY = {
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
SS_OFFICER_ETHNICITY = {"White": 0.83, "Asian": 0.07, "Black": 0.04, "Mixed": 0.01, "Other": 0.02, "": 0.03}
# (legislation, object of search, share)
SS_POWERS = (
    ("Misuse of Drugs Act 1971 (section 23)", "Controlled drugs", 0.50),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Offensive weapons", 0.20),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Stolen goods", 0.16),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Articles for use in criminal damage", 0.09),
    ("Criminal Justice Act 1988 (section 139B)", "Offensive weapons", 0.02),
    ("Firearms Act 1968 (section 47)", "Firearms", 0.015),
    ("Poaching Prevention Act 1862 (section 2)", "Game or poaching equipment", 0.01),
    ("Psychoactive Substances Act 2016 (s36(2))", "Psychoactive substances", 0.005),
)
SS_OUTCOME = {"A no further action disposal": 0.72, "Arrest": 0.15, "Summons / charged by post": 0.05,
               "Community resolution": 0.03, "Caution (simple or conditional)": 0.012,
               "Penalty Notice for Disorder": 0.008}
SS_KHAT_CANNABIS = "Khat or Cannabis warning"  # drugs searches only
SS_HOUR_WEIGHTS = np.array([5, 4, 3, 2, 1.5, 1, 1, 1.5, 2, 3, 4, 4.5, 5, 5.5, 6, 7, 8, 8.5, 9, 9, 8.5, 8, 7.5, 6.5])
# Minutes are recorded mostly on the hour, half hour and 5-minute marks.
SS_MINUTE_WEIGHTS = np.array([15.0 if m in (0, 30) else 7.0 if m % 15 == 0 else 5.0 if m % 5 == 0 else 0.8
                               for m in range(60)])

# The fictional area, in km east/north of its centre.
BOX_KM = 12.5
MAIN_TOWN = (0.0, 0.0)
SECOND_TOWN = (7.0, -6.0)
N_LSOA = 300
N_NEIGHBOUR_LSOA = 120       # the neighbouring district in the IoD files
N_NEIGHBOUR_WITH_POINTS = 14  # the ones by the boundary, where a few crimes snap
NEIGHBOUR_ROW_SHARE = 0.004

# (key, label, centre km, radius km, points, named points, general boost, {crime type: multiplier})
HOTSPOTS = (
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
PLANTED_HOTSPOT = "station_quarter"
PLANTED_POINTS = ("Station Approach", "Pedestrian Subway", "Bus/Coach Station")
PLANTED_SPLIT = (0.5, 0.3, 0.2)
PLANTED_EXTRA = (0.0012, 0.0025)  # extra robberies per street row, second-last and last month (exact, no noise)
PLANTED_MINIMUM = (6, 12)         # at least this many when rows_per_month >= 1000, so it is findable at small scale

# Largest share of one crime type's located rows that one snap point may take (default 1.2%).
POINT_CAP = {"Shoplifting": 0.05, "Bicycle theft": 0.03, "Theft from the person": 0.03, "Robbery": 0.02}

# How strongly each crime type follows deprivation (0: not at all).
DEPRIVATION_ALPHA = {
    "Anti-social behaviour": 1.0, "Bicycle theft": 0.2, "Burglary": 0.9, "Criminal damage and arson": 1.1, "Drugs": 1.2,
    "Other theft": 0.4, "Possession of weapons": 1.0, "Public order": 0.9, "Robbery": 0.9, "Shoplifting": 0.3,
    "Theft from the person": 0.2, "Vehicle crime": 0.6, "Violence and sexual offences": 1.0, "Other crime": 0.8,
}

STREET_FIRST = (
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
STREET_SUFFIX = ("Road Street Lane Close Avenue Drive Way Crescent Grove Place Gardens Court Walk Rise Terrace View "
                  "Mews").split()
# A few names as data.police.uk writes them (capital after an apostrophe) and places it names by type.
ODD_NAMES = ("St Peter'S Road", "King'S Walk", "St Mary'S Close", "Supermarket", "Petrol Station", "Parking Area",
              "Shopping Area", "Park/Open Space", "Sports/Recreation Area", "Hospital", "Police Station")
EMPTY_NAME_SHARE = 0.05
REPEAT_SHARE = 0.04
COMMERCIAL_SHARE = 0.12
