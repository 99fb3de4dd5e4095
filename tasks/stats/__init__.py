"""Statistics for the products: thresholds, tests on counts, breaks, forecasts, emerging hot spots.

Modules: thresholds (every named threshold), tests (compare_counts, exceedance, adjust), breaks (detect_breaks,
breaks_between), forecast (forecast), backtest, emerging (classify_emerging).
"""
