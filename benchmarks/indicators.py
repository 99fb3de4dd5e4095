"""All indicators for one force over 36 months at 1x, 4x and 16x synthetic volume.

For each scale: generate SYNTHETIC data (sources.synthetic), ingest it without the quality gate (not timed),
then time `all_indicators` for the whole force over all 36 months (median of --repeat runs) and, as a baseline
measured in the same run on the same warehouse, one plain DuckDB GROUP BY over the street table. Reports
seconds, rows per second, each scale's cost relative to 1x against its volume ratio, and the growth exponent
b in time ~ rows^b (b = 1 is linear), overall and for the slowest indicators.

    .venv/bin/python benchmarks/indicators.py [--base-rows 5000] [--scales 1 4 16] [--repeat 3]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import duckdb

from sources.synthetic import generate
from tasks.indicators import INDICATORS, Scope, all_indicators
from tasks.indicators.scope import session
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from timing import timed

FORCE = "bench-shire"
MONTHS = ("2021-09", "2024-08")


def per_indicator(warehouse_file: Path, scope: Scope) -> dict[str, float]:
    seconds = {}
    with session(warehouse_file, scope) as s:
        for name, compute in INDICATORS.items():
            s.memo.clear()  # each indicator pays for what it computes
            start = time.perf_counter()
            compute(s)
            seconds[name] = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-rows", type=int, default=5000, help="street rows per month at 1x")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scope = Scope(FORCE, *MONTHS)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as tmp:
        for scale in args.scales:
            folder = Path(tmp) / f"x{scale}"
            summary = generate(folder / "data", force=FORCE, months=MONTHS, seed=7, rows_per_month=args.base_rows * scale)
            warehouse_file = folder / "warehouse.duckdb"
            assert ingest_reference_paths([folder / "data" / "reference"], warehouse_file).ok
            report = ingest_paths([folder / "data"], warehouse_file, gate=None)
            assert report.ok, [b.error for b in report.failed]

            def baseline():
                with duckdb.connect(str(warehouse_file), read_only=True) as con:
                    con.execute("SELECT crime_type, month, count(*) FROM street_crime WHERE force = ? GROUP BY ALL",
                                [FORCE]).fetchall()

            base_seconds = timed(baseline, args.repeat)
            all_seconds = timed(lambda: all_indicators(warehouse_file, scope), args.repeat)
            results.append({"scale": scale, "rows": summary.street_rows, "outcomes": summary.outcome_rows,
                            "searches": summary.stop_search_rows, "baseline": base_seconds, "all": all_seconds,
                            "parts": per_indicator(warehouse_file, scope)})
            print(f"{scale:>3}x  {summary.street_rows:>10,} street rows  all indicators {all_seconds:7.2f} s "
                  f"({summary.street_rows / all_seconds:>10,.0f} rows/s)  baseline GROUP BY {base_seconds:6.3f} s  "
                  f"ratio to baseline {all_seconds / base_seconds:6.1f}")

    first = results[0]
    print("\nscale  volume ratio  time ratio  (linear: time ratio = volume ratio)")
    for r in results:
        print(f"{r['scale']:>4}x  {r['rows'] / first['rows']:>12.2f}  {r['all'] / first['all']:>10.2f}")
    last = results[-1]
    if len(results) > 1:
        exponent = math.log(last["all"] / first["all"]) / math.log(last["rows"] / first["rows"])
        verdict = "about linear or better" if exponent <= 1.15 else "faster than linear: look at the indicators below"
        print(f"\ngrowth exponent b (time ~ rows^b), {first['scale']}x..{last['scale']}x: {exponent:.2f}  -> {verdict}")
        print("\nper indicator at the largest scale (seconds, and its own exponent):")
        for name, seconds in sorted(last["parts"].items(), key=lambda item: -item[1]):
            own = math.log(max(seconds, 1e-6) / max(first["parts"][name], 1e-6)) / math.log(last["rows"] / first["rows"])
            print(f"  {name:<25} {seconds:8.3f}  b={own:5.2f}")


if __name__ == "__main__":
    main()
