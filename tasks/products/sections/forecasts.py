"""Looking ahead: a forecast per priority crime type with 80% and 95% prediction intervals (tasks.stats.forecast),
3 months ahead in the tactical assessment and 12 in the strategic. An issue is said to be "likely to affect" the
coming months more (or less) only where the whole 80% interval of every forecast month lies above (or below)
the average of the last 12 months; otherwise the product says no change is indicated."""
from __future__ import annotations

from datetime import date

import pandas as pd

from tasks import charts
from tasks.draft import month_label, period_text, scope_params
from tasks.indicators import Scope
from tasks.indicators.volume import ALL_CRIME, monthly_series
from tasks.products.common import harm_weight
from tasks.products.engine import Figure, IndicatorSession, Lineage, ProductContext, SectionResult, Table, ref
from tasks.render import number
from tasks.stats.backtest import methods_sentence
from tasks.stats.forecast import Forecast, forecast, interval_supports_rise

HISTORY_MONTHS = 36          # months drawn in the strategic chart (24 in the tactical); the fit uses all after a break
TACTICAL_HORIZON, STRATEGIC_HORIZON = 3, 12
TACTICAL_SERIES = 4          # flagged types first, then the most harmful, up to this many
REFERENCE_MONTHS = 12        # "likely to affect" is judged against the mean of the last 12 months
METHOD_TEXT = ("Forecasts: per crime type, exponential smoothing (ETS, statsmodels) on square-root monthly counts with "
               "a month-of-year profile where the data show one, the lowest-AICc of level, trend and damped trend; "
               "seasonal naive with under 24 months and the 12-month mean with under 12 months or under 5 crimes a "
               "month; never fitted across a level shift or recording break (docs/forecasting.md). An issue is called "
               "likely to affect the coming months more only where the whole 80% interval lies above the last 12 "
               "months' average.")


def history(session: IndicatorSession, scope: Scope, latest: date) -> dict[str, pd.Series]:
    """Crimes per month for every crime type: the unbroken run of held months ending at `latest`, the same series
    the breaks section searches (so the forecast and the gaps agree on where a series broke)."""
    def compute() -> dict[str, pd.Series]:
        series = monthly_series(session.scoped(scope), latest)
        return {t: s.fillna(0).astype(float) for t, s in series.items() if t != ALL_CRIME}
    return session.memo(("forecast_series", scope, latest), compute)


def _tactical_types(series: dict[str, pd.Series], ctx: ProductContext) -> list[str]:
    """Types the assessment singled out (exceptional, elevated, local issues), then the most harmful over the
    last 12 months, up to TACTICAL_SERIES."""
    local = ctx.fact("local_emerging", "local")
    flagged = (ctx.fact("exceedance", "emerging", []) + ctx.fact("exceedance", "elevated", [])
               + ([] if local is None else local["crime_type"].tolist()))
    harm = sorted(series, key=lambda t: -harm_weight(t) * float(series[t].iloc[-REFERENCE_MONTHS:].sum()))
    return [t for t in dict.fromkeys(flagged + harm) if t in series][:TACTICAL_SERIES]


def _reference(history: pd.Series, result: Forecast) -> float:
    """The level a forecast is judged against: the mean of the last 12 months, or of the months since a break
    if that is later (a year that holds a recording break is not the level to compare with)."""
    recent = history.iloc[-REFERENCE_MONTHS:]
    if result.fitted_from is not None:
        recent = recent[recent.index >= pd.Timestamp(result.fitted_from)]
    return float(recent.mean())


def _judgement(result: Forecast, reference: float) -> str:
    if interval_supports_rise(result, reference):
        return "rise"
    if bool((result.frame["hi80"] < reference).all()):
        return "fall"
    return "no change indicated"


def _since(result: Forecast) -> str:
    return f", since the break in {month_label(result.fitted_from)}" if result.fitted_from else ""


def _statement(crime_type: str, result: Forecast, reference: float, horizon: int) -> str:
    """The sentence for a forecast whose 80% interval clears the recent level (a rise or a fall)."""
    months = f"the next {horizon} months" if horizon > 1 else "next month"
    span = period_text(result.frame["month"].iloc[0], result.frame["month"].iloc[-1])
    if _judgement(result, reference) == "rise":
        return (f"{crime_type} is likely to affect {months} more than the last year: the 80% prediction interval of "
                f"every month of {span} lies above the recent level ({number(reference, 1)} a month{_since(result)}).")
    return (f"{crime_type} is forecast to stay below the last year's level over {months}: the 80% interval of "
            f"every month of {span} lies below the recent level ({number(reference, 1)} a month{_since(result)}).")


def _no_change(types: list[str], results: dict[str, Forecast], references: dict[str, float]) -> str:
    """One sentence for every type whose forecast stays within the range of its recent level."""
    first = results[types[0]].frame["month"]
    parts = [f"{t.lower() if t != 'Anti-social behaviour' else 'anti-social behaviour'} "
             f"({number(results[t].frame['mean'].sum())} forecast against a recent level of "
             f"{number(references[t], 1)} a month{_since(results[t])})" for t in types]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (f"No change is indicated for {listed} over {period_text(first.iloc[0], first.iloc[-1])}: each "
            "forecast's 80% intervals include its recent level.")


def _panel(crime_type: str, history: pd.Series, result: Forecast, months_shown: int) -> dict:
    shown = history.iloc[-months_shown:]
    frame = result.frame
    return {"name": crime_type, "months": [d.date() for d in shown.index], "history": shown.to_numpy(float),
            "future": list(frame["month"]), "mean": frame["mean"].to_numpy(), "lo80": frame["lo80"].to_numpy(),
            "hi80": frame["hi80"].to_numpy(), "lo95": frame["lo95"].to_numpy(), "hi95": frame["hi95"].to_numpy(),
            "fitted_from": result.fitted_from}


def _interval(lo, hi) -> str:
    return f"{number(lo)}–{number(hi)}"


def _build(scope: Scope, types: list[str], series: dict[str, pd.Series], horizon: int,
           detail_by_month: bool) -> SectionResult:
    title = f"Looking ahead: forecasts for the next {horizon} months"
    if not types:
        return SectionResult(title, ["No crime type has months enough to forecast."], methods=[METHOD_TEXT])
    params = {**scope_params(scope), "horizon": horizon, "crime_types": ", ".join(types)}
    results = {t: forecast(series[t], horizon) for t in types}
    references = {t: _reference(series[t], results[t]) for t in types}
    changing = [t for t in types if _judgement(results[t], references[t]) != "no change indicated"]
    steady = [t for t in types if t not in changing]
    findings = [_statement(t, results[t], references[t], horizon) for t in changing]
    statements = findings + ([_no_change(steady, results, references)] if steady else [])
    judgements = {t: _judgement(results[t], references[t]) for t in types}
    data = pd.concat([results[t].frame.assign(crime_type=t, method=results[t].method, note=results[t].note,
                                              fitted_from=results[t].fitted_from, recent_level=references[t])
                      for t in types], ignore_index=True)
    figure = Figure(
        f"forecast_chart_{horizon}",
        f"Recorded crimes and the forecast for the next {horizon} months with 80% and 95% prediction intervals",
        lambda path: charts.forecast_panels(path, [_panel(t, series[t], results[t], 24 if horizon <= 3 else HISTORY_MONTHS) for t in types],
                                            title="Recorded and forecast crimes per month"),
        Lineage("tasks.stats.forecast", params, None, f"forecast_{horizon}"),
        note="Dashed: forecast; shaded: 80% (darker) and 95% prediction intervals; dotted: a level shift or likely "
             "recording break, after which the forecast was fitted.")
    if detail_by_month:
        rows = [[t if i == 0 else "", f"{r.month:%b %Y}", number(r.mean), _interval(r.lo80, r.hi80),
                 _interval(r.lo95, r.hi95), number(references[t], 1) if i == 0 else ""]
                for t in types for i, r in enumerate(results[t].frame.itertuples(index=False))]
        columns = [("Crime type", "text"), ("Month", "text"), ("Forecast", "num"), ("80% interval", "num"),
                   ("95% interval", "num"), ("Recent level, a month", "num")]
    else:
        rows = [[t, number(series[t].iloc[-REFERENCE_MONTHS:].sum()), number(results[t].frame["mean"].sum()),
                 f"{number(results[t].frame['lo80'].min())}–{number(results[t].frame['hi80'].max())}",
                 judgements[t]] for t in types]
        columns = [("Crime type", "text"), ("Last 12 months", "num"), ("Forecast, next 12 months", "num"),
                   ("Monthly 80% range", "num"), ("Assessment", "text")]
    table = Table(
        f"forecast_{horizon}", f"Forecast per crime type, {period_text(results[types[0]].frame['month'].iloc[0], results[types[0]].frame['month'].iloc[-1])}",
        columns, rows, Lineage("tasks.stats.forecast", params, data, f"forecast_{horizon}"),
        note="Recent level: the mean of the last 12 months, or of the months since a break if later. "
             "Method per type: " + "; ".join(f"{t}: {results[t].method}" + (f" ({results[t].note})" if results[t].note else "")
                                              for t in types))
    paragraphs = [f"Forecasts for {len(types)} crime types ({ref(f'forecast_chart_{horizon}')}, "
                  f"{ref(f'forecast_{horizon}')}). {methods_sentence(first_only=True)}"] + statements
    return SectionResult(title, paragraphs, [figure, table], findings=findings,
                         methods=[METHOD_TEXT, methods_sentence()],
                         facts={"forecasts": results, "judgements": judgements})


def tactical(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    series = history(session, scope, ctx.latest)
    return _build(scope, _tactical_types(series, ctx), series, TACTICAL_HORIZON, detail_by_month=True)


def strategic(session: IndicatorSession, scope: Scope, ctx: ProductContext) -> SectionResult:
    series = history(session, scope, ctx.latest)
    top = ctx.fact("priorities", "top")
    types = [t for t in ([] if top is None else top["crime_type"].tolist()) if t in series]
    return _build(scope, types, series, STRATEGIC_HORIZON, detail_by_month=False)


