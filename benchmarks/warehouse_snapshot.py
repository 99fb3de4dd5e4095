"""What the reader snapshot costs a writer, against the ingest it follows, measured in the same run.

A writer that changed the warehouse copies it to `<file>.snapshot` as it closes (tasking/warehouse.py), so that
readers (review list, status, product builds) read the last committed state while an ingest holds the file
instead of waiting for it. This prints, for a warehouse of --rows synthetic street rows (one month):
(a) the ingest of that month without the gate, (b) the snapshot publish (checkpoint + copy + rename), and
(c) a read-only open of the snapshot; with the file size and the ratio b/a. The alternative, readers waiting,
costs them the whole ingest: (a).

    .venv/bin/python benchmarks/warehouse_snapshot.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tasking import warehouse
from tasks.ingest import ingest_paths
from timing import synthetic_street_month, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as tmp:
        tmp = Path(tmp)
        street, summary = synthetic_street_month(tmp / "data", args.rows)
        counter = iter(range(10_000))

        def ingest():
            target = tmp / f"wh{next(counter)}.duckdb"
            assert ingest_paths([street], target, gate=None).ok

        ingest_seconds = timed(ingest, args.repeat)
        target = tmp / "wh0.duckdb"

        def publish():
            with warehouse.connect(target, snapshot=False) as con:
                assert warehouse.publish_snapshot(con, target)

        def read_snapshot():
            with warehouse.connect(warehouse.snapshot_path(target), read_only=True) as con:
                con.execute("SELECT count(*) FROM street_crime").fetchone()

        publish_seconds = timed(publish, args.repeat)
        read_seconds = timed(read_snapshot, args.repeat)
        size_mb = target.stat().st_size / 1e6
        print(f"{summary.street_rows:,} street rows, warehouse {size_mb:.1f} MB")
        print(f"(a) ingest without gate    {ingest_seconds:7.2f} s")
        print(f"(b) snapshot publish       {publish_seconds:7.2f} s   b/a = {publish_seconds / ingest_seconds:.1%}"
              f"   ({size_mb / publish_seconds:.0f} MB/s)")
        print(f"(c) read-only snapshot open + count {read_seconds:7.3f} s")


if __name__ == "__main__":
    main()
