"""Ingest throughput on synthetic data against two baselines measured in the same run.

(a) DuckDB's own read_csv into a table, no checks; (b) pandas read_csv + insert into DuckDB;
then the project's ingest without the quality gate and with it. Prints rows/s and ratios to (a).
Target (issue 3): the full ingest reaches at least 50% of (a)'s throughput.

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from tasks.ingest import default_gate, ingest_paths
from timing import synthetic_street_month, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp = Path(tmp)
        street, summary = synthetic_street_month(tmp / "data", args.rows)
        rows = summary.street_rows
        counter = iter(range(10_000))

        def fresh_db() -> Path:
            return tmp / f"wh{next(counter)}.duckdb"

        def duckdb_baseline():
            with duckdb.connect(str(fresh_db())) as con:
                con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(street)])

        def pandas_baseline():
            frame = pd.read_csv(street)
            with duckdb.connect(str(fresh_db())) as con:
                con.execute("CREATE TABLE t AS SELECT * FROM frame")

        def ingest(gate):
            def run():
                report = ingest_paths([street], fresh_db(), gate=gate)
                assert report.ok, report.failed
            return run

        gate = default_gate()
        if gate is not None:
            ingest(gate)()  # warm the quality gate's one-off setup (GX import, suites) outside the timings
        results = {
            "(a) duckdb read_csv, no checks": timed(duckdb_baseline, args.repeat),
            "(b) pandas read_csv + insert": timed(pandas_baseline, args.repeat),
            "tasking ingest, no gate": timed(ingest(None), args.repeat),
        }
        if gate is not None:
            results["tasking ingest + quality gate"] = timed(ingest(gate), args.repeat)
    base = results["(a) duckdb read_csv, no checks"]
    print(f"{rows:,} street rows, median of {args.repeat} runs")
    print(f"{'method':<34}{'seconds':>9}{'rows/s':>14}{'throughput vs (a)':>20}")
    for name, seconds in results.items():
        print(f"{name:<34}{seconds:>9.2f}{rows / seconds:>14,.0f}{base / seconds:>19.0%}")


if __name__ == "__main__":
    main()
