"""Rolling-origin backtest of the monthly forecasts (tasks.stats.forecast) against seasonal naive and the
12-month mean, per crime type, on the real City of London street files and on SYNTHETIC forces.

Writes the tables to docs/forecasting.md (between the BACKTEST markers) and the headline figures to
tasks/stats/backtest_summary.json, which tasks.stats.backtest.methods_sentence() reads for the products.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/backtest.py [--horizon 3] [--step 1] [--synthetic-step 3]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sources.synthetic import generate  # noqa: E402
from tasks.stats.backtest import (  # noqa: E402
    FORECAST, MEAN_12, SEASONAL_NAIVE, headline, rolling_origin, summarise, write_summary,
)

CITY_OF_LONDON = PROJECT.parent / "shared" / "data" / "police-uk" / "city-of-london"
DOC = PROJECT / "docs" / "forecasting.md"
BEGIN, END = "<!-- BACKTEST BEGIN (benchmarks/backtest.py) -->", "<!-- BACKTEST END -->"
SYNTHETIC_FORCES = (("demo-shire", 20000), ("north-demo", 6000), ("west-demo", 2500))


def monthly_counts(folder: Path) -> pd.DataFrame:
    """Crimes per month and crime type from every *-street.csv under `folder` (published layout), months with
    none of a type filled with 0."""
    files = sorted(folder.rglob("*-street.csv"))
    if not files:
        raise SystemExit(f"{folder}: no *-street.csv files")
    parts = [pd.read_csv(f, usecols=["Month", "Crime type"], dtype=str) for f in files]
    rows = pd.concat(parts, ignore_index=True)
    table = rows.groupby(["Month", "Crime type"]).size().unstack(fill_value=0)
    table.index = pd.to_datetime(table.index + "-01")
    full = pd.date_range(table.index.min(), table.index.max(), freq="MS")
    return table.reindex(full, fill_value=0).sort_index(axis=1)


def markdown(table: pd.DataFrame) -> str:
    wide = table.pivot(index="crime_type", columns="method")
    lines = ["| Crime type | mean a month | MASE forecast | MASE seasonal naive | MASE 12-month mean | "
             "80% cover (forecast / s.naive / mean) | 95% cover (forecast / s.naive / mean) | beats s.naive |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    for crime_type, row in wide.iterrows():
        pct = lambda c: " / ".join(f"{row[(c, m)]:.0%}" for m in (FORECAST, SEASONAL_NAIVE, MEAN_12))  # noqa: E731
        beats = "yes" if row[("mase", FORECAST)] < row[("mase", SEASONAL_NAIVE)] else "no"
        lines.append(f"| {crime_type} | {row[('mean_count', FORECAST)]:.0f} | {row[('mase', FORECAST)]:.2f} | "
                     f"{row[('mase', SEASONAL_NAIVE)]:.2f} | {row[('mase', MEAN_12)]:.2f} | {pct('coverage80')} | "
                     f"{pct('coverage95')} | {beats} |")
    pooled = table.groupby("method").agg(mase=("mase", "mean"))
    lines.append(f"| **mean over types** | | **{pooled.loc[FORECAST, 'mase']:.2f}** | "
                 f"**{pooled.loc[SEASONAL_NAIVE, 'mase']:.2f}** | **{pooled.loc[MEAN_12, 'mase']:.2f}** | | | |")
    return "\n".join(lines)


def run(name: str, counts: pd.DataFrame, horizon: int, step: int, cache: Path | None = None):
    started = time.perf_counter()
    key = hashlib.sha256(f"{name}|{horizon}|{step}|{counts.to_csv()}".encode()).hexdigest()[:16]
    cached = None if cache is None else cache / f"{key}.pkl"
    if cached is not None and cached.exists():
        scored = pd.read_pickle(cached)
    else:
        scored = rolling_origin(counts, horizon=horizon, step=step)
        if cached is not None:
            cache.mkdir(parents=True, exist_ok=True)
            scored.to_pickle(cached)
    table = summarise(scored)
    head = headline(scored, name, horizon)
    seconds = time.perf_counter() - started
    print(f"{name}: {len(counts)} months, {counts.shape[1]} types, {scored['origin'].nunique()} origins, "
          f"{seconds:.0f} s\n  {head.sentence()}")
    coverage = scored.groupby("method")[["in80", "in95"]].mean()
    section = (f"### {name[:1].upper() + name[1:]}\n\n{len(counts)} months ({counts.index.min():%Y-%m} to {counts.index.max():%Y-%m}), "
               f"origins every {step} month(s) from month 24, {horizon} months ahead: "
               f"{scored['origin'].nunique()} origins, {head.held_out_months} held-out type-months per method. "
               f"Pooled coverage, 80% / 95%: forecast {coverage.loc[FORECAST, 'in80']:.0%} / "
               f"{coverage.loc[FORECAST, 'in95']:.0%}, seasonal naive {coverage.loc[SEASONAL_NAIVE, 'in80']:.0%} / "
               f"{coverage.loc[SEASONAL_NAIVE, 'in95']:.0%}, 12-month mean {coverage.loc[MEAN_12, 'in80']:.0%} / "
               f"{coverage.loc[MEAN_12, 'in95']:.0%}. Forecast beats the 12-month mean on {head.beats_mean} of "
               f"{head.types} types.\n\n> {head.sentence()}\n\n{markdown(table)}\n")
    return head, section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--step", type=int, default=1, help="months between origins on the real data")
    parser.add_argument("--synthetic-step", type=int, default=3, help="months between origins on SYNTHETIC data")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs and the summary alone")
    parser.add_argument("--cache", type=Path, help="keep scored backtests here and reuse them (same data and options)")
    args = parser.parse_args()

    heads, sections = [], []
    head, section = run("the real City of London data (data.police.uk)", monthly_counts(CITY_OF_LONDON), args.horizon, args.step,
                         args.cache)
    heads.append(head)
    sections.append(section)
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = []
        for force, rows in SYNTHETIC_FORCES:
            generate(Path(tmp) / force, force=force, rows_per_month=rows, outcomes=False, stop_search=False,
                     reference=False)
            counts = monthly_counts(Path(tmp) / force)
            counts.columns = [f"{force}: {c}" for c in counts.columns]
            synthetic.append(counts)
        combined = pd.concat(synthetic, axis=1).fillna(0)
    names = ", ".join(f for f, _ in SYNTHETIC_FORCES)
    head, section = run(f"SYNTHETIC data for {len(SYNTHETIC_FORCES)} forces ({names})", combined, args.horizon, args.synthetic_step, args.cache)
    heads.append(head)
    sections.append(section)
    if args.no_write:
        return
    write_summary(heads)
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {BEGIN} and {END} are missing")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + BEGIN + "\n\n" + "\n".join(sections) + "\n" + END + after, encoding="utf-8")
    print(f"wrote {DOC.relative_to(PROJECT)} and the summary for methods_sentence()")


if __name__ == "__main__":
    main()
