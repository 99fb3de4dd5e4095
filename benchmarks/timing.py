"""The one timing rule every benchmark here uses (the median of repeated runs), and the one input several of them
time: a month of SYNTHETIC street crime in the data.police.uk format."""
from __future__ import annotations

import statistics
import time
from pathlib import Path


def timed(fn, repeat: int) -> float:
    """Median wall-clock seconds of `repeat` calls of `fn()`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_street_month(folder: Path, rows: int):
    """One month (2024-01) of SYNTHETIC street rows for one force, street file only: (its path, the summary)."""
    from sources.synthetic import generate

    summary = generate(folder, force="bench-shire", months=("2024-01", "2024-01"), seed=1, rows_per_month=rows,
                       outcomes=False, stop_search=False, reference=False)
    return next(p for p in summary.files if p.name.endswith("-street.csv")), summary
