"""The one timing rule every benchmark here uses: the median of repeated runs."""
from __future__ import annotations

import statistics
import time


def timed(fn, repeat: int) -> float:
    """Median wall-clock seconds of `repeat` calls of `fn()`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
