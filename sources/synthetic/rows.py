"""The monthly rows of the SYNTHETIC generator: street rows (snap point and crime type per row, in published
order), the resolution of each crime into a last outcome category and the outcome events of later months, the
stop-and-search file of a month, and the vectorised joining of rows into CSV bytes.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from sources.synthetic.area import Area
from sources.synthetic.draws import probabilities
from sources.synthetic.model import (
    ACO, ASB, CHARGED, CLASSES, COURT_CLASS, COURT_LAG_GEOMETRIC, COURT_RESULT_SHARES, COURT_RESULTS, CRIME_TYPES,
    DIRECT, LAG_GEOMETRIC, LAG_LONG_SHARE, LAG_P0, LAG_P0_QUICK, OT, OUTCOME_MODEL, PLANTED_SPLIT, ROBBERY, SO, SS_AGE,
    SS_GENDER, SS_HOUR_WEIGHTS, SS_KHAT_CANNABIS, SS_MINUTE_WEIGHTS, SS_OFFICER_ETHNICITY, SS_OUTCOME, SS_POWERS,
    SS_SELF_ETHNICITY, SS_TYPE, STOP_SEARCH_HEADER, SU, SU_CLASS, TYPE_MODEL, UI,
)
from sources.synthetic.months import last_sunday


def join_rows(prefix: bytes, ids: np.ndarray, middle: bytes, keys: np.ndarray, text_of_key) -> bytes:
    """Rows `id + middle + text(key)`, assembled without a Python loop over rows: each distinct key is formatted
    once and the rows are joined in C."""
    if len(keys) == 0:
        return prefix
    unique, inverse = np.unique(keys, return_inverse=True)
    texts = np.empty(len(unique), dtype=object)
    texts[:] = [text_of_key(int(k)) for k in unique]
    return prefix + b"".join(map(b"".join, zip(ids.tolist(), repeat(middle), texts[inverse.reshape(-1)].tolist())))


@dataclass
class Pending:
    """Outcome events waiting for their month: crime IDs, snap point (-1: no location), outcome type."""
    ids: list[np.ndarray]
    points: list[np.ndarray]
    types: list[np.ndarray]


def street_month(area: Area, rng: np.random.Generator, expected: np.ndarray, planted_extra: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(snap point per row, -1 for no location; crime type per row), in published order."""
    points: list[np.ndarray] = []
    types: list[np.ndarray] = []
    n_points = len(area.point_text)
    for c, crime in enumerate(CRIME_TYPES):
        n = int(rng.poisson(expected[c]))
        no_location = int(rng.binomial(n, TYPE_MODEL[crime][4]))
        counts = rng.multinomial(n - no_location, area.point_weights[c])
        located = np.repeat(np.arange(n_points, dtype=np.int64), counts)
        if c == ROBBERY and planted_extra:
            extra = rng.multinomial(planted_extra, PLANTED_SPLIT)
            located = np.concatenate([located, np.repeat(area.planted_points, extra)])
        points += [located, np.full(no_location, -1, dtype=np.int64)]
        types += [np.full(len(located) + no_location, c, dtype=np.int64)]
    point = np.concatenate(points)
    ctype = np.concatenate(types)
    lsoa_rank = np.where(point >= 0, area.lsoa_sort_rank[np.maximum(point, 0)], len(area.l21_code))
    order = np.lexsort((point, ctype, lsoa_rank))
    return point[order], ctype[order]


def resolve(rng: np.random.Generator, ctype: np.ndarray, month: int, last: int):
    """Street 'Last outcome category' per row, and the outcome events (month, row, outcome type) up to `last`."""
    n = len(ctype)
    street = np.zeros(n, dtype=np.int64)  # "" for anti-social behaviour
    resolution = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    for c, crime in enumerate(CRIME_TYPES):
        if c == ASB:
            continue
        rows = np.flatnonzero(ctype == c)
        table = OUTCOME_MODEL[crime]
        p = np.array([table.get(k, 0.0) for k in CLASSES])
        cdf = np.cumsum(p / p.sum())
        resolution[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(CLASSES) - 1)
    crime_rows = resolution >= 0
    p0 = np.where(resolution == 0, LAG_P0_QUICK, LAG_P0)
    lag = np.where(rng.random(n) < p0, 0, rng.geometric(LAG_GEOMETRIC, n))
    lag = np.where(rng.random(n) < LAG_LONG_SHARE, rng.integers(6, 49, n), lag)
    court_lag = rng.geometric(COURT_LAG_GEOMETRIC, n)
    court_keys, court_p = probabilities(COURT_RESULT_SHARES)
    court_result = rng.choice(len(court_keys), size=n, p=court_p)
    first = month + lag
    second = first + court_lag

    direct = crime_rows & (resolution < len(DIRECT))
    court = resolution == COURT_CLASS
    street[resolution == SU_CLASS] = SO[SU]
    done = direct & (first <= last)
    street[direct & ~done] = SO[UI]
    street[done] = 1 + resolution[done]  # STREET_OUTCOMES[1 + i] == DIRECT[i]
    charged = court & (first <= last)
    decided = court & (second <= last)
    street[court & ~charged] = SO[UI]
    street[charged & ~decided] = SO[ACO]
    street[decided] = SO[COURT_RESULTS[0]] + court_result[decided]

    event_month = np.concatenate([first[done], first[charged], second[decided]])
    event_row = np.concatenate([np.flatnonzero(done), np.flatnonzero(charged), np.flatnonzero(decided)])
    event_type = np.concatenate([resolution[done], np.full(int(charged.sum()), OT[CHARGED]),
                                 OT[COURT_RESULTS[0]] + court_result[decided]])
    return street, event_month, event_row, event_type


def stop_search_month(area: Area, rng: np.random.Generator, month_index: int, n: int) -> bytes:
    header = (STOP_SEARCH_HEADER + "\r\n").encode()
    if n == 0:
        return header
    year, month = month_index // 12, month_index % 12 + 1
    days = calendar.monthrange(year, month)[1]
    start = np.datetime64(f"{year:04d}-{month:02d}-01T00:00", "m")
    minute_of_day = (rng.choice(24, size=n, p=SS_HOUR_WEIGHTS / SS_HOUR_WEIGHTS.sum()) * 60
                     + rng.choice(60, size=n, p=SS_MINUTE_WEIGHTS / SS_MINUTE_WEIGHTS.sum()))
    local = start + (rng.integers(0, days, n) * 1440 + minute_of_day).astype("timedelta64[m]")
    # UK clocks: BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
    spring = np.datetime64(f"{last_sunday(year, 3).isoformat()}T01:00", "m")
    autumn = np.datetime64(f"{last_sunday(year, 10).isoformat()}T02:00", "m")
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

    types, p = probabilities(SS_TYPE)
    kind = rng.choice(len(types), size=n, p=p)
    vehicle_only = kind == types.index("Vehicle search")
    point = rng.choice(len(area.stop_weights), size=n, p=area.stop_weights)
    no_coordinates = rng.random(n) < 0.01
    operation = rng.choice(3, size=n, p=[0.90, 0.09, 0.01])
    genders, p = probabilities(SS_GENDER)
    gender = rng.choice(len(genders), size=n, p=p)
    ages, p = probabilities(SS_AGE)
    age = rng.choice(len(ages), size=n, p=p)
    selfs, p = probabilities(SS_SELF_ETHNICITY)
    self_eth = rng.choice(len(selfs), size=n, p=p)
    officers, p = probabilities(SS_OFFICER_ETHNICITY)
    officer_random = rng.choice(len(officers), size=n, p=p)
    agrees = rng.random(n) < 0.92
    powers_p = np.array([w for _, _, w in SS_POWERS])
    power = rng.choice(len(SS_POWERS), size=n, p=powers_p / powers_p.sum())
    outcomes, p = probabilities(SS_OUTCOME)
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
        legislation, obj, _ = SS_POWERS[power[r]]
        if obj == "Controlled drugs" and khat[r]:
            result = SS_KHAT_CANNABIS
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
