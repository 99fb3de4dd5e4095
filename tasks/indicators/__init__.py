"""Assessment indicators: plain functions taking (warehouse_file, scope, ...) and returning DataFrames.

See docs/indicators.md for every indicator's method and columns. Each function opens the warehouse
read-only; `tasks.indicators.run.all_indicators` computes them all over one connection.
"""
from tasks.indicators.place import concentration, deprivation, deprivation_correlation, lsoa_counts, repeat_locations
from tasks.indicators.scope import Scope, ScopeError, method_notes
from tasks.indicators.volume import exceedance, monthly_volumes, period_change, seasonality

__all__ = [
    "Scope", "ScopeError", "method_notes",
    "monthly_volumes", "period_change", "exceedance", "seasonality",
    "lsoa_counts", "concentration", "repeat_locations", "deprivation", "deprivation_correlation",
]
