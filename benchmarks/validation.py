"""Cost of the quality gate against the ingest of the same rows, measured in the same run.

For a one-row month (the gate's fixed cost per batch), one real Northumbria street month and one SYNTHETIC
street month made from --rows rows per month (sources.synthetic):
the ingest without the gate into a fresh warehouse (the baseline), and the gate itself (`gate_batch`: the GX
suite run inside DuckDB plus storing its results), timed inside a full gated ingest. Both are medians of
--repeat runs. The one-off cost per process (GX import, context and suite) is reported apart.
Target (issue 4): the gate costs no more than the ingest itself (ratio <= 1).

    .venv/bin/python benchmarks/validation.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tasks.ingest import ingest_paths  # noqa: E402

NORTHUMBRIA_MONTH = PROJECT.parent / "shared" / "data" / "police-uk" / "northumbria" / "2022-07-northumbria-street.csv"


def measure(csv_file: Path, tmp: Path, repeat: int) -> dict:
    from tasks.validate import gate_batch

    fresh = (tmp / f"wh{n}.duckdb" for n in count())
    ingest_times, gated_times, gate_times = [], [], []
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        report = ingest_paths([csv_file], next(fresh), gate=None)
        ingest_times.append(time.perf_counter() - start)
        assert report.ok, report.failed
        rows = report.batches[0].rows

        def timed_gate(con, staged, source, batch_id):
            began = time.perf_counter()
            verdict = gate_batch(con, staged, source, batch_id)
            gate_times.append(time.perf_counter() - began)
            return verdict

        start = time.perf_counter()
        report = ingest_paths([csv_file], next(fresh), gate=timed_gate)
        gated_times.append(time.perf_counter() - start)
        assert report.ok, [b.error for b in report.failed]
    ingest, gate = statistics.median(ingest_times), statistics.median(gate_times)
    return {"rows": rows, "ingest": ingest, "gate": gate, "gated_ingest": statistics.median(gated_times),
            "ratio": gate / ingest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the synthetic month")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    from tasks.validate import _gx_suite

    _gx_suite("street")
    setup = time.perf_counter() - start
    print(f"one-off per process: GX import, context and street suite {setup:.2f} s")

    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        tmp = Path(tmp)
        from timing import synthetic_street_month

        synthetic, summary = synthetic_street_month(tmp / "data", args.rows)
        one_row = tmp / "one-row" / NORTHUMBRIA_MONTH.name
        one_row.parent.mkdir()
        one_row.write_bytes(b"".join(NORTHUMBRIA_MONTH.read_bytes().splitlines(keepends=True)[:2]))
        cases = [("one-row month (fixed cost)", one_row), ("Northumbria 2022-07 street (real)", NORTHUMBRIA_MONTH),
                 ("SYNTHETIC street month", synthetic)]
        print(f"{'case':<36} {'rows':>10} {'ingest s':>9} {'gate s':>8} {'gate/ingest':>12} {'gated ingest s':>15} {'gate rows/s':>12}")
        for label, path in cases:
            m = measure(path, tmp, args.repeat)
            print(f"{label:<36} {m['rows']:>10,} {m['ingest']:>9.3f} {m['gate']:>8.3f} {m['ratio']:>12.2f}"
                  f" {m['gated_ingest']:>15.3f} {m['rows'] / m['gate']:>12,.0f}")


if __name__ == "__main__":
    main()
