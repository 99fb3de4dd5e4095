"""Assessment indicators: plain functions taking (warehouse_file, scope, ...) and returning DataFrames.

docs/indicators.md gives every indicator's method and columns. Each function opens the warehouse read-only;
`all_indicators` computes them all over one connection and `write_indicators` saves them as CSV and Parquet.
Products must print `method_notes()` and, wherever harm is used, `HARM_APPROXIMATION`.
"""
from tasks.indicators.harm_index import HARM_APPROXIMATION, harm, harm_weights, priority_matrix
from tasks.indicators.grid import hotspot_change, hotspots, kde_grid
from tasks.indicators.justice import latest_outcomes, outcome_shares, outcome_timing, stop_search
from tasks.indicators.place import concentration, deprivation, deprivation_correlation, lsoa_counts, repeat_locations
from tasks.indicators.run import INDICATORS, all_indicators, write_indicators
from tasks.indicators.scope import Scope, ScopeError, method_notes
from tasks.indicators.volume import exceedance, monthly_volumes, period_change, seasonality

__all__ = [
    "Scope", "ScopeError", "method_notes", "HARM_APPROXIMATION",
    "monthly_volumes", "period_change", "exceedance", "seasonality",
    "harm", "harm_weights", "priority_matrix",
    "lsoa_counts", "concentration", "repeat_locations", "deprivation", "deprivation_correlation",
    "kde_grid", "hotspots", "hotspot_change",
    "latest_outcomes", "outcome_shares", "outcome_timing", "stop_search",
    "INDICATORS", "all_indicators", "write_indicators",
]
