"""Every indicator for one scope over one warehouse connection, and writing them out as CSV and Parquet."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from tasks.csv_safe import write_csv

from tasks.indicators.harm_index import HARM_APPROXIMATION, _harm, _priority_matrix
from tasks.indicators.grid import GI_CELL_M, KDE_BANDWIDTH_M, KDE_CELL_M, _hotspot_change, _hotspots, _kde_grid
from tasks.indicators.justice import _outcome_shares, _outcome_timing, _stop_search
from tasks.indicators.place import _concentration, _deprivation, _deprivation_correlation, _location_counts, _lsoa_counts
from tasks.indicators.scope import IndicatorSession, Scope, method_notes, session
from tasks.indicators.volume import _exceedance, _monthly_volumes, _period_change, _seasonality

# name -> computation over an open session; the names are the output file names.
INDICATORS: dict[str, Callable[[IndicatorSession], pd.DataFrame]] = {
    "monthly_volumes": _monthly_volumes,
    "period_change": _period_change,
    "exceedance": lambda s: _exceedance(s, 1),
    "seasonality": _seasonality,
    "harm": _harm,
    "lsoa_counts": _lsoa_counts,
    "concentration": _concentration,
    "repeat_locations": lambda s: _location_counts(s).query("months_with_crime >= 2").reset_index(drop=True),
    "kde_grid": lambda s: _kde_grid(s, KDE_CELL_M, KDE_BANDWIDTH_M),
    "hotspots": lambda s: _hotspots(s, GI_CELL_M),
    "hotspot_change": lambda s: _hotspot_change(s, GI_CELL_M, s.scope.previous_period),
    "outcome_shares": _outcome_shares,
    "outcome_timing": _outcome_timing,
    "stop_search": _stop_search,
    "deprivation": _deprivation,
    "deprivation_correlation": _deprivation_correlation,
    "priority_matrix": _priority_matrix,
}


def compute(s: IndicatorSession, name: str, **options) -> pd.DataFrame:
    """One indicator over an open session. Options: `min_months` for repeat_locations (default 2), `cell_size_m`
    for hotspots, `cell_size_m` and `bandwidth_m` for kde_grid; any other indicator takes none."""
    if name not in INDICATORS:
        raise ValueError(f"unknown indicator {name!r}; known: {sorted(INDICATORS)}")
    if name == "repeat_locations" and options:
        frame = _location_counts(s)
        return frame[frame["months_with_crime"] >= options.pop("min_months", 2)].reset_index(drop=True)
    if name == "hotspots" and options:
        return _hotspots(s, options.pop("cell_size_m", GI_CELL_M))
    if name == "kde_grid" and options:
        return _kde_grid(s, options.pop("cell_size_m", KDE_CELL_M), options.pop("bandwidth_m", KDE_BANDWIDTH_M))
    if options:
        raise ValueError(f"indicator {name!r} takes no options, got {sorted(options)}")
    return INDICATORS[name](s)


def all_indicators(warehouse_file: str | Path | None, scope: Scope, only: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """{indicator name: DataFrame} for every indicator (or those named in `only`), over one connection."""
    unknown = sorted(set(only or []) - set(INDICATORS))
    if unknown:
        raise ValueError(f"unknown indicators {unknown}; known: {sorted(INDICATORS)}")
    with session(warehouse_file, scope) as s:
        return {name: compute(s) for name, compute in INDICATORS.items() if not only or name in only}


def scope_description(scope: Scope) -> dict:
    return {
        "force": scope.force,
        "period_from": scope.period_from.strftime("%Y-%m"),
        "period_to": scope.period_to.strftime("%Y-%m"),
        "area": scope.area_label,
        "area_kind": scope.area_kind,
        "lsoa_codes": list(scope.lsoa_codes),
        "local_authority": scope.local_authority,
        "bbox": list(scope.bbox) if scope.bbox else None,
        "polygon_wkt": scope.polygon_wkt,
        "crime_types": list(scope.crime_types),
    }


def write_indicators(results: dict[str, pd.DataFrame], scope: Scope, out_dir: str | Path) -> list[Path]:
    """Write `<name>.csv` and `<name>.parquet` per indicator plus `scope.json` (scope, method notes, harm
    approximation) into out_dir; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in results.items():
        csv_path, parquet_path = out / f"{name}.csv", out / f"{name}.parquet"
        write_csv(frame, csv_path)  # no cell runs as a spreadsheet formula
        frame.to_parquet(parquet_path, index=False)
        written += [csv_path, parquet_path]
    about = out / "scope.json"
    about.write_text(json.dumps({"scope": scope_description(scope), "method_notes": method_notes(),
                                 "harm_approximation": HARM_APPROXIMATION,
                                 "indicators": {name: len(frame) for name, frame in results.items()}}, indent=2))
    written.append(about)
    return written
