"""Assessment indicators: plain functions taking (warehouse_file, scope, ...) and returning DataFrames.

docs/indicators.md gives every indicator's method and columns. Each function opens the warehouse read-only;
`all_indicators` computes them all over one connection and `write_indicators` saves them as CSV and Parquet.
Products must print `method_notes()` and, wherever harm is used, `HARM_APPROXIMATION`.
"""
from __future__ import annotations

import importlib

# Where each public name lives. The package imports a module only when one of its names is first read: importing
# them all (scipy.stats among them, over 1 s of CPU) made every `from tasks.indicators.scope import ...` pay it,
# e.g. `tasking health` and `tasking products` through the catalogue's month parsing.
_HOME = {
    "harm_index": ("HARM_APPROXIMATION", "harm", "harm_weights", "priority_matrix"),
    "grid": ("hotspot_change", "hotspots", "kde_grid"),
    "justice": ("latest_outcomes", "outcome_shares", "outcome_timing", "stop_search"),
    "place": ("concentration", "deprivation", "deprivation_correlation", "lsoa_counts", "repeat_locations"),
    "run": ("INDICATORS", "all_indicators", "write_indicators"),
    "scope": ("Scope", "ScopeError", "method_notes"),
    "volume": ("exceedance", "monthly_volumes", "period_change", "seasonality"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
        globals()[name] = value  # read once: later reads are plain attribute reads
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__all__ = [
    "Scope", "ScopeError", "method_notes", "HARM_APPROXIMATION",
    "monthly_volumes", "period_change", "exceedance", "seasonality",
    "harm", "harm_weights", "priority_matrix",
    "lsoa_counts", "concentration", "repeat_locations", "deprivation", "deprivation_correlation",
    "kde_grid", "hotspots", "hotspot_change",
    "latest_outcomes", "outcome_shares", "outcome_timing", "stop_search",
    "INDICATORS", "all_indicators", "write_indicators",
]
