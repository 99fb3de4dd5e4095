"""Forecasts of monthly crime counts with 80% and 95% prediction intervals.

Model: exponential smoothing (ETS, statsmodels ETSModel: a state-space model with a likelihood, so models can be
compared by AICc and intervals come from the model rather than from ad-hoc residual rules) fitted to the square
root of the counts. The square root makes Poisson-like counts roughly constant in variance, so additive errors
fit; squaring the interval ends back gives intervals that are never negative and widen with the level, as count
intervals should.

Choice rule, per series (tasks.stats.thresholds names the numbers):
1. Find breaks (tasks.stats.breaks). Fit only from the first month of the level the series is at now (the
   month of the last break); the forecast's `note` says so. Never fit across a break.
2. If the months left (after the break) average under MIN_MEAN_FOR_MODEL crimes, or number fewer than
   MIN_MONTHS_FOR_SEASONAL_NAIVE: the mean of those months (at most the last 12), with Poisson or negative
   binomial intervals (negative binomial when the index-of-dispersion test says the months vary more than Poisson).
3. If fewer than MIN_MONTHS_FOR_MODEL (two seasonal cycles): seasonal naive (the same month a year earlier),
   intervals from its own seasonal errors on the square-root scale (at least the Poisson value).
4. Otherwise: a month-of-year profile is removed when a one-way ANOVA of the STL-detrended square-root counts
   across calendar months finds one (p < SEASONALITY_ALPHA), and the rest is forecast by the lowest-AICc of
   ETS(A,N,N) (level only), ETS(A,A,N) (trend) and ETS(A,Ad,N) (damped trend). A full seasonal ETS (12 seasonal states) is not used:
   with 24-36 months AICc almost never prefers it even for clearly seasonal series, and its fit is slow; the
   profile costs 11 parameters estimated once, and its estimation variance is added to the interval. A fit
   that fails falls back to seasonal naive, and says so.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from tasks.stats import thresholds as T
from tasks.stats.breaks import detect_breaks, month_start

LO_HI = {level: (f"lo{round(level * 100)}", f"hi{round(level * 100)}") for level in T.FORECAST_LEVELS}
COLUMNS = ["month", "mean", *[c for pair in LO_HI.values() for c in pair]]

ETS_CANDIDATES = (  # (name, trend, damped)
    ("ETS(A,N,N)", None, False),
    ("ETS(A,A,N)", "add", False),
    ("ETS(A,Ad,N)", "add", True),
)
SEASONAL_NAIVE = "seasonal naive"
MEAN = "12-month mean"
# Variance of sqrt(Poisson) is about 1/4, so the difference of two such months has variance about 1/2: the
# smallest spread a seasonal naive interval may have on the square-root scale.
POISSON_SQRT_DIFF_VAR = 0.5


@dataclass(frozen=True)
class Forecast:
    frame: pd.DataFrame          # month, mean, lo80, hi80, lo95, hi95
    method: str
    note: str
    fitted_from: date | None     # first month used in the fit when a break cut the series (None: whole series)


def future_months(last: date, horizon: int) -> list[date]:
    start = pd.Timestamp(last) + pd.offsets.MonthBegin(1)
    return [d.date() for d in pd.date_range(start, periods=horizon, freq="MS")]


def _frame(months: list[date], mean, bounds: dict[float, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    frame = pd.DataFrame({"month": months, "mean": np.maximum(np.asarray(mean, float), 0.0)})
    for level, (lo, hi) in bounds.items():
        lo_name, hi_name = LO_HI[level]
        frame[lo_name] = np.maximum(np.asarray(lo, float), 0.0)
        frame[hi_name] = np.maximum(np.asarray(hi, float), frame[lo_name])
    return frame[COLUMNS]


def _from_sqrt_scale(months, z_mean: np.ndarray, z_sd: np.ndarray) -> pd.DataFrame:
    """Back from the square-root scale: interval ends squared (after clipping at 0), mean = E[Z^2] = mu^2 + sd^2."""
    bounds = {}
    for level in T.FORECAST_LEVELS:
        q = stats.norm.ppf(0.5 + level / 2)
        bounds[level] = (np.clip(z_mean - q * z_sd, 0, None) ** 2, np.clip(z_mean + q * z_sd, 0, None) ** 2)
    return _frame(months, np.clip(z_mean, 0, None) ** 2 + z_sd ** 2, bounds)


def mean_forecast(values: np.ndarray, months: list[date]) -> tuple[pd.DataFrame, str]:
    """The mean of the last 12 months (or fewer), with count intervals: Poisson, or negative binomial (method of
    moments) when the months are over-dispersed; either way widened for the uncertainty of a mean estimated from
    n months (predictive variance = variance * (1 + 1/n), as a negative binomial)."""
    from tasks.stats.tests import dispersion_test

    recent = np.asarray(values, float)[-12:]
    n = recent.size
    mean = max(float(recent.mean()), T.ZERO_BASELINE_COUNT / n)
    dispersion, p = dispersion_test(recent)
    overdispersed = n >= T.MIN_BASELINE_FOR_DISPERSION and not math.isnan(p) and p < T.DISPERSION_ALPHA and dispersion > 1
    variance = (float(recent.var(ddof=1)) if overdispersed else mean) * (1.0 + 1.0 / n)
    size = mean * mean / (variance - mean)
    distribution = stats.nbinom(size, size / (size + mean))
    name = "negative binomial" if overdispersed else "Poisson"
    bounds = {level: (np.full(len(months), distribution.ppf(0.5 - level / 2)),
                      np.full(len(months), distribution.ppf(0.5 + level / 2))) for level in T.FORECAST_LEVELS}
    label = MEAN if n == 12 else f"{n}-month mean"
    return _frame(months, np.full(len(months), mean), bounds), f"{label} ({name} intervals, allowing for the estimated mean)"


def seasonal_naive_forecast(values: np.ndarray, months: list[date]) -> tuple[pd.DataFrame, str]:
    """Each month as the same month a year earlier; intervals on the square-root scale from the seasonal errors
    (at least the Poisson spread), widening with each further year ahead (Hyndman & Athanasopoulos, 5.5)."""
    y = np.asarray(values, float)
    if y.size < 12:
        raise ValueError(f"seasonal naive needs 12 months, got {y.size}")
    z = np.sqrt(y)
    errors = z[12:] - z[:-12]
    variance = max(float(np.mean(errors ** 2)) if errors.size else 0.0, POISSON_SQRT_DIFF_VAR)
    h = np.arange(1, len(months) + 1)
    years_ahead = (h - 1) // 12 + 1
    point_z = z[y.size - 12 + (h - 1) % 12]
    frame = _from_sqrt_scale(months, point_z, np.sqrt(variance * years_ahead))
    frame["mean"] = point_z ** 2  # the naive value itself, not a bias-corrected mean
    return frame, SEASONAL_NAIVE


def _fit_ets(z: pd.Series, trend, damped):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(z, error="add", trend=trend, damped_trend=damped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=200)


def seasonal_profile(z: pd.Series) -> tuple[np.ndarray | None, float, str]:
    """Month-of-year profile of a square-root series, if the data show one.

    The series less its STL trend (robust) is grouped by calendar month; a one-way ANOVA across the twelve months
    (p < SEASONALITY_ALPHA) decides whether there is a seasonal pattern to keep. Returns (profile indexed by
    calendar month 1-12 and centred on zero, or None; the variance of each month's profile estimate; a phrase).
    """
    from statsmodels.tsa.seasonal import STL

    if z.size < T.MIN_MONTHS_FOR_MODEL:
        return None, 0.0, "too short to test seasonality"
    detrended = z - STL(z, period=12, robust=True).fit().trend
    calendar = z.index.month
    groups = [detrended[calendar == m].to_numpy() for m in range(1, 13)]
    p = float(stats.f_oneway(*groups).pvalue)
    if not p < T.SEASONALITY_ALPHA:
        return None, 0.0, f"no seasonal pattern (month-of-year ANOVA p = {p:.2f})"
    means = np.array([g.mean() for g in groups])
    within = sum(((g - g.mean()) ** 2).sum() for g in groups) / (z.size - 12)
    per_month = z.size / 12
    return means - means.mean(), within / per_month, f"seasonal (month-of-year ANOVA p = {p:.3f})"


def ets_forecast(values: np.ndarray, months: list[date], first_month: date) -> tuple[pd.DataFrame, str]:
    """Square-root counts, less their month-of-year profile when the data show one, forecast by the lowest-AICc
    of ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N); the profile is added back and its estimation variance added to the interval's."""
    y = np.asarray(values, float)
    index = pd.date_range(pd.Timestamp(first_month), periods=y.size, freq="MS")
    z = pd.Series(np.sqrt(y), index=index)
    profile, profile_var, seasonality = seasonal_profile(z)
    adjusted = z if profile is None else z - profile[index.month - 1]
    best = None
    for name, trend, damped in ETS_CANDIDATES:
        try:
            fit = _fit_ets(adjusted, trend, damped)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(fit.aicc) and (best is None or fit.aicc < best[1].aicc):
            best = (name, fit)
    if best is None:
        raise ValueError("no ETS candidate could be fitted")
    name, fit = best
    prediction = fit.get_prediction(start=y.size, end=y.size + len(months) - 1).summary_frame(alpha=0.05)
    z_mean = prediction["mean"].to_numpy()
    z_var = ((prediction["pi_upper"].to_numpy() - z_mean) / stats.norm.ppf(0.975)) ** 2
    # The ETS error variance is a maximum-likelihood estimate (divided by n) on a series whose profile was itself
    # fitted to the same months (11 more parameters): without a degrees-of-freedom correction the intervals are
    # about a fifth too narrow on 36 months (simulated coverage 67% for a nominal 80%).
    used = len(fit.params) + (11 if profile is not None else 0)
    z_var = z_var * y.size / max(y.size - used, 1)
    if profile is not None:
        z_mean = z_mean + profile[np.array([m.month for m in months]) - 1]
        z_var = z_var + profile_var
    adjusted_name = "seasonally adjusted " if profile is not None else ""
    return (_from_sqrt_scale(months, z_mean, np.sqrt(z_var)),
            f"{name} on {adjusted_name}square-root counts ({seasonality}; lowest AICc of {len(ETS_CANDIDATES)})")


def forecast(counts: pd.Series, horizon: int) -> Forecast:
    """Forecast the next `horizon` months of a monthly count series (index: month dates, values: counts)."""
    if horizon < 1:
        raise ValueError(f"forecast needs a horizon of at least one month, got {horizon}")
    series = counts.sort_index()
    if series.empty:
        raise ValueError("forecast needs at least one month of counts")
    months_all = [month_start(m) for m in series.index]
    future = future_months(months_all[-1], horizon)
    breaks = detect_breaks(series)
    notes, fitted_from = [], None
    if breaks:
        last = breaks[-1]
        fitted_from = last.month
        series = series[[m >= last.month for m in months_all]]
        notes.append(f"Fitted from {last.month:%B %Y} only: {last.describe()}; earlier months are not used.")
    values = series.to_numpy(float)
    first = month_start(series.index[0])
    if values.size < T.MIN_MONTHS_FOR_SEASONAL_NAIVE or values.mean() < T.MIN_MEAN_FOR_MODEL:
        why = (f"{values.size} months" if values.size < T.MIN_MONTHS_FOR_SEASONAL_NAIVE
               else f"under {T.MIN_MEAN_FOR_MODEL:g} crimes a month on average")
        frame, method = mean_forecast(values, future)
        notes.append(f"Mean forecast: {why}, too few to model.")
    elif values.size < T.MIN_MONTHS_FOR_MODEL:
        frame, method = seasonal_naive_forecast(values, future)
        notes.append(f"Seasonal naive: {values.size} months, fewer than the {T.MIN_MONTHS_FOR_MODEL} a seasonal model needs.")
    else:
        try:
            frame, method = ets_forecast(values, future, first)
        except ValueError as error:
            frame, method = seasonal_naive_forecast(values, future)
            notes.append(f"Seasonal naive: the ETS fit failed ({error}).")
    return Forecast(frame, method, " ".join(notes), fitted_from)


def interval_supports_rise(forecast_: Forecast, reference: float, level: float = 0.80) -> bool:
    """True when the whole `level` interval of every forecast month lies above `reference` (e.g. the last 12
    months' mean): only then may a product say the issue is 'likely to affect' the coming months more."""
    lo_name, _ = LO_HI[level]
    return bool((forecast_.frame[lo_name] > reference).all())
