"""The fictional force area of the SYNTHETIC generator: the `Area` it is described by, each force's slot, codes
and centre on the grid over England and Wales, and `build_area`, which places the LSOAs (2011 and 2021, with
the lookup between them), their population and deprivation, the snap points with their names, hotspots and
weights per crime type, and checks that no value would need CSV quoting.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import numpy as np

from sources.synthetic.draws import cap_shares, place, ranks_for, seeded_rng
from sources.synthetic.model import (
    BOX_KM, COMMERCIAL_SHARE, CRIME_INDEX, CRIME_TYPES, DEPRIVATION_ALPHA, EMPTY_NAME_SHARE, HOTSPOTS, MAIN_TOWN,
    N_ENGLAND_LSOAS, N_LSOA, N_NEIGHBOUR_LSOA, N_NEIGHBOUR_WITH_POINTS, NEIGHBOUR_ROW_SHARE, ODD_NAMES, OUTCOME_TYPES,
    PLANTED_HOTSPOT, PLANTED_POINTS, POINT_CAP, REPEAT_SHARE, ROBBERY, SECOND_TOWN, STREET_FIRST, STREET_OUTCOMES,
    STREET_SUFFIX,
)


def _display_name(force: str) -> str:
    """'demo-shire' -> 'Demo-shire'; 'west-midlands' -> 'West Midlands'; 'city-of-london' -> 'City of London'."""
    words = force.split("-")
    if len(words) == 2 and words[1] == "shire":
        return words[0].capitalize() + "-shire"
    small = {"of", "and", "the"}
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))



@dataclass
class Area:
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
    point_hotspot: np.ndarray     # index into HOTSPOTS, -1 for none
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


def build_area(seed: int, force: str) -> Area:
    rng = seeded_rng(seed, force, "area")
    display = _display_name(force)
    lat0, lon0 = _centre(force)
    km_per_lon = 111.32 * math.cos(math.radians(lat0))
    km_per_lat = 111.2

    def sample_in_force(r: np.random.Generator) -> tuple[float, float]:
        u = r.random()
        if u < 0.50:
            x, y = r.normal(MAIN_TOWN[0], 2.3), r.normal(MAIN_TOWN[1], 2.3)
        elif u < 0.65:
            x, y = r.normal(SECOND_TOWN[0], 1.2), r.normal(SECOND_TOWN[1], 1.2)
        else:
            x, y = r.uniform(-BOX_KM, BOX_KM), r.uniform(-BOX_KM, BOX_KM)
        return float(np.clip(x, -BOX_KM + 0.3, BOX_KM - 0.3)), float(np.clip(y, -BOX_KM + 0.3, BOX_KM - 0.3))

    def sample_neighbour(r: np.random.Generator) -> tuple[float, float]:
        return float(r.uniform(BOX_KM + 0.4, BOX_KM + 22)), float(r.uniform(-BOX_KM, BOX_KM))

    xy_in = place(rng, N_LSOA, sample_in_force, 0.28)
    xy_nb = place(rng, N_NEIGHBOUR_LSOA, sample_neighbour, 0.9, existing=xy_in)
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

    hot = {h[0]: h for h in HOTSPOTS}
    dist_main = np.hypot(xy11[:, 0], xy11[:, 1])
    latent = (-0.10 * dist_main + 1.8 * near(hot["northfield_estate"][2], 1.4) + 1.8 * near(hot["westbrook_estate"][2], 1.5)
              + 1.0 * near(hot["town_centre"][2], 1.0) + 0.8 * near(hot["station_quarter"][2], 0.8)
              + 0.7 * near(SECOND_TOWN, 1.2) + rng.normal(0, 0.75, len(xy11)))
    latent[~in_force] = rng.normal(-0.3, 0.9, n_nb)
    z = (latent - latent.mean()) / latent.std()
    domain_corr = (0.95, 0.90, 0.80, 0.80, 0.70, -0.15, 0.50)  # income .. living environment
    ranks = np.empty((len(xy11), 8), dtype=np.int64)
    ranks[:, 0] = ranks_for(z, rng)
    for d, r in enumerate(domain_corr, start=1):
        ranks[:, d] = ranks_for(r * z + math.sqrt(1 - r * r) * rng.normal(0, 1, len(z)), rng)

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
            px.append(float(np.clip(xy_in[i, 0] + rng.normal(0, 0.35 * s), -BOX_KM, BOX_KM)))
            py.append(float(np.clip(xy_in[i, 1] + rng.normal(0, 0.35 * s), -BOX_KM, BOX_KM)))
            hotspot.append(-1)
            named.append("")
    for h, (_, _, (hx, hy), radius, count, names, _, _) in enumerate(HOTSPOTS):
        for k in range(count):
            r, a = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
            px.append(hx + r * math.cos(a))
            py.append(hy + r * math.sin(a))
            hotspot.append(h)
            named.append(names[k] if k < len(names) else "")
    boundary = np.argsort(xy_nb[:, 0])[:N_NEIGHBOUR_WITH_POINTS]
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
    pool_names = [f"{a} {b}" for a in STREET_FIRST for b in STREET_SUFFIX]
    taken = set(n for n in named if n)
    pool_names = [n for n in pool_names if n not in taken]
    chosen = rng.choice(len(pool_names), size=n_points, replace=False)
    names: list[str] = []
    empty = rng.random(n_points) < EMPTY_NAME_SHARE
    odd = rng.random(n_points) < 0.01
    for p in range(n_points):
        if named[p]:
            names.append(named[p])
        elif empty[p]:
            names.append("")
        elif odd[p]:
            names.append(ODD_NAMES[int(rng.integers(len(ODD_NAMES)))])
        else:
            names.append(pool_names[int(chosen[p])])

    # Crime weights per point and type.
    base = np.minimum(rng.lognormal(0.0, 1.0, n_points), 5.0)
    d_main = np.hypot(pxy[:, 0] - MAIN_TOWN[0], pxy[:, 1] - MAIN_TOWN[1])
    d_second = np.hypot(pxy[:, 0] - SECOND_TOWN[0], pxy[:, 1] - SECOND_TOWN[1])
    urban = 0.5 + 1.2 * np.exp(-d_main / 4.0) + 0.6 * np.exp(-d_second / 2.0)
    pop_factor = total[point_l11] / 1700.0
    deprivation = 1.0 - ranks[point_l11, 0] / N_ENGLAND_LSOAS
    commercial = (rng.random(n_points) < COMMERCIAL_SHARE) | np.isin(
        np.array(names, dtype=object), ["Supermarket", "Shopping Area", "Petrol Station", "High Street", "Market Place",
                                        "Market Square", "Retail Park Way"])
    repeat_location = rng.random(n_points) < REPEAT_SHARE
    focal = np.array([bool(named[p]) for p in range(n_points)])
    general = base * urban * pop_factor * np.where(repeat_location, 5.0, 1.0) * np.where(focal, 2.0, 1.0)
    weights = np.empty((len(CRIME_TYPES), n_points))
    for c, crime in enumerate(CRIME_TYPES):
        w = general * np.exp(1.0 * DEPRIVATION_ALPHA[crime] * deprivation)
        multiplier = np.ones(n_points)
        for h, spec in enumerate(HOTSPOTS):
            multiplier[hotspot_arr == h] = spec[6] * spec[7].get(crime, 1.0)
        w = w * multiplier
        if crime == "Shoplifting":
            w = w * np.where(commercial, 1.0, 0.03)
        elif crime == "Other theft":
            w = w * np.where(commercial, 1.5, 1.0)
        inside = w[~is_neighbour_point].sum()
        outside = w[is_neighbour_point].sum()
        w[is_neighbour_point] *= (NEIGHBOUR_ROW_SHARE / (1 - NEIGHBOUR_ROW_SHARE)) * inside / outside
        weights[c] = cap_shares(w / w.sum(), POINT_CAP.get(crime, 0.012))
    stop = (2.0 * weights[CRIME_INDEX["Drugs"]] + 2.0 * weights[CRIME_INDEX["Possession of weapons"]] + weights[ROBBERY]
            + 0.5 * weights[CRIME_INDEX["Violence and sexual offences"]] + 0.3 * weights[CRIME_INDEX["Shoplifting"]])
    stop[is_neighbour_point] = 0.0
    stop = stop / stop.sum()

    planted_h = next(h for h, spec in enumerate(HOTSPOTS) if spec[0] == PLANTED_HOTSPOT)
    planted = np.array([next(p for p in range(n_points) if hotspot[p] == planted_h and names[p] == name)
                        for name in PLANTED_POINTS])

    lon = np.round(lon0 + pxy[:, 0] / km_per_lon, 6)
    lat = np.round(lat0 + pxy[:, 1] / km_per_lat, 6)
    point_text = [f"{lon[p]:.6f},{lat[p]:.6f},On or near {names[p]},{l21_code[point_l21[p]]},{l21_name[point_l21[p]]}".encode()
                  for p in range(n_points)]
    name_rank = {name: r for r, name in enumerate(sorted(set(l21_name)))}
    lsoa_sort_rank = np.array([name_rank[l21_name[point_l21[p]]] for p in range(n_points)], dtype=np.int64)

    area = Area(
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


def _check_csv_safe(area: Area) -> None:
    """Rows are written without a CSV library: no value may need quoting (the published files quote nothing)."""
    values = [area.force_label, *area.point_name, *area.l21_name, *area.l21_code, *CRIME_TYPES, *STREET_OUTCOMES,
              *OUTCOME_TYPES]
    bad = [v for v in values if any(ch in v for ch in ',"\r\n')]
    if bad:
        raise AssertionError(f"values would need CSV quoting: {bad[:3]}")
