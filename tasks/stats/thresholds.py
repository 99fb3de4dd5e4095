"""Every named threshold the statistics use, in one place, with the reason for its value.

Sections and indicators import these names; none holds a threshold of its own. Change a value here and the
methods text (which quotes these names' values) follows.
"""
from __future__ import annotations

# --- Significance -------------------------------------------------------------------------------------------
ALPHA = 0.05
"""Significance level for a single test (two-sided unless a test says otherwise)."""

EXCEPTIONAL_P = 0.01
"""An exceedance is 'exceptional' below this (adjusted) p-value: well beyond the 5% level, so that a tasking
group acting on it would expect roughly one false alarm in a hundred tests, before multiple-comparison control."""

ELEVATED_P = ALPHA
"""An exceedance is 'elevated' below this (adjusted) p-value and at or above EXCEPTIONAL_P."""

CONFIDENCE = 0.95
"""Confidence level of every interval the statistics report (rate-ratio intervals, upper expected bounds)."""

MULTIPLE_COMPARISONS = "fdr_bh"
"""Default correction across crime types and areas: Benjamini-Hochberg false discovery rate. A tasking product
tests 14 types (or many areas) at once; controlling the expected share of false 'significant' calls suits a
screening list better than Holm's family-wise control, which would hide most real changes at these counts."""

# --- Minimum counts -----------------------------------------------------------------------------------------
MIN_COUNT_TO_FLAG = 5
"""A count below this is never called exceptional or elevated, whatever its p-value: after a baseline of zeros a
single crime is 'surprising' but not something a tasking group can act on."""

MIN_BASELINE_MONTHS = 6
"""Fewest baseline months for an exceedance test (fewer: 'insufficient baseline')."""

MIN_BASELINE_FOR_DISPERSION = 6
"""Fewest baseline months before the index-of-dispersion test may switch a baseline to the negative binomial;
with fewer, the variance estimate is too loose to judge and the Poisson is used."""

DISPERSION_ALPHA = 0.05
"""Level of the index-of-dispersion test (variance/mean, chi-squared on n-1 degrees of freedom): a baseline whose
variance exceeds its mean at this level is treated as over-dispersed (negative binomial)."""

ZERO_BASELINE_COUNT = 0.5
"""An all-zero baseline is taken to hold half a crime over its months (a continuity correction), so that the
expected count is small but not zero and a later count is not infinitely surprising."""

# --- Breaks in monthly series -------------------------------------------------------------------------------
MIN_MONTHS_FOR_BREAKS = 8
"""Shortest series searched for breaks: with fewer months, two segments of BREAK_MIN_SEGMENT cannot be told from
noise and seasonality."""

BREAK_MIN_SEGMENT = 2
"""Shortest segment between breaks, in months: two months, so a dip of two months can be found but a single odd
month (an outlier, not a level) is not a segment."""

BREAK_PENALTY_PER_LOG_N = 3.0
"""PELT penalty = BREAK_PENALTY_PER_LOG_N * ln(n) on the deseasonalised Anscombe-transformed series scaled to unit
noise. BIC for one new mean plus a location is 2 ln(n); half as much again allows for what the segment model does
not represent (seasonality left after a three-year profile, over-dispersion). Calibrated on simulated 36-month
seasonal Poisson series (200 seeds per mean, tests/test_stats_breaks.py): no break found in about 98-100% of
stable series at means 3-200, a halving found within a month in 98% at mean 40 (74% at mean 10), and a
three-month dip to a tenth found in 99% at mean 40 (81% at mean 10)."""

SEASONAL_MIN_MONTHS = 24
"""With at least two years, a robust month-of-year profile is removed before searching for breaks, so a seasonal
peak is not read as a level shift."""

MIN_SHIFT_RATIO = 1.5
"""A change in level smaller than this factor (either way) is not reported as a break: seasonal swings of crime
series are typically 10-30%, and a real but gradual trend is the trend section's business, not a break."""

RECORDING_BREAK_RATIO = 0.2
"""A permanent change in level to below this fraction (or above its inverse) between one month and the next is
labelled 'recording break?': real crime rarely moves five-fold in a month; recording, classification or data
supply does."""

DIP_RATIO = 0.35
"""A short segment whose level is at most this fraction of the level before it, and which recovers, is a dip."""

DIP_MAX_MONTHS = 6
"""Longest dip (months) still classed as a likely recording break when the series recovers afterwards."""

DIP_RECOVERY_RATIO = 0.5
"""The level after a dip must be at least this fraction of the level before it to count as recovered."""

# --- Forecasts ----------------------------------------------------------------------------------------------
FORECAST_LEVELS = (0.80, 0.95)
"""Prediction interval levels of every forecast."""

MIN_MONTHS_FOR_MODEL = 24
"""Fewest months (after the last break) to fit a seasonal ETS model; shorter series fall back to seasonal naive
(or the mean when under 12 months), because a seasonal model needs two full cycles to separate season from
level."""

MIN_MONTHS_FOR_SEASONAL_NAIVE = 12
"""Fewest months for seasonal naive; shorter series are forecast by their mean."""

SEASONALITY_ALPHA = 0.05
"""A forecast keeps a month-of-year profile when a one-way ANOVA of the detrended square-root counts across the
twelve calendar months is significant at this level."""

MIN_MEAN_FOR_MODEL = 5.0
"""A series averaging fewer crimes a month than this is forecast by its mean with Poisson/NB intervals: an ETS
fit to counts of 0-4 mostly fits noise and its Gaussian intervals go negative."""

# --- Emerging hot spots -------------------------------------------------------------------------------------
HOT_SPOT_Z = 1.960
"""A cell is a hot spot in a month when its Gi* z-score is at least this (95% two-sided)."""

TREND_ALPHA = 0.05
"""Level of the Mann-Kendall trend test on a cell's monthly Gi* z-scores."""

PERSISTENT_SHARE = 0.9
"""Share of months a cell must be a hot spot to be persistent, intensifying or diminishing (ArcGIS: 90%)."""

EMERGING_MIN_MONTHS = 6
"""Fewest months for an emerging hot spot classification (fewer: the Mann-Kendall test has no power)."""

# --- Places and denominators (product engine) ---------------------------------------------------------------
MIN_LSOAS_FOR_DEPRIVATION = 30
"""Fewest LSOAs with residents before crime is related to deprivation (rates by IMD decile, Spearman correlation):
with fewer, each decile holds a handful of places (often one), so a decile chart or a correlation describes those
places, not a relationship; the analysis is withheld and the product says why."""

NON_RESIDENT_RATE_PER_1000_YEAR = 500.0
"""Crimes a year per 1,000 residents above which residents cannot be the population at risk: about five times the
highest force-wide rates of police-recorded crime and ASB in England and Wales. An LSOA beyond it (a city centre,
a shopping or transport hub) is visited by far more people than live there, so its resident-based rate is
caveated wherever it is printed."""
