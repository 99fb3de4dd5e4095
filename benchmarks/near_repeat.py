"""Knox near-repeat test on 10,000 and 40,000 events: seconds, growth, and a brute-force baseline.

Events are SYNTHETIC burglaries over one year: uniform background plus near-repeat followers (20%). Two
growth regimes are timed, because the cost follows the number of pairs closer than the last spatial break:
  fixed area (20 km x 20 km): density grows with n, so close pairs grow about as n squared;
  fixed density: the area grows with n, so close pairs grow about as n.
The baseline, measured in the same run at the smaller size, is the observed table alone counted by brute
force over all n(n-1)/2 pairs (scipy pdist), which is what an implementation without the k-d tree does once
per permutation.

    .venv/bin/python benchmarks/near_repeat.py [--sizes 10000 40000] [--iterations 99] [--repeat 3]
"""
from __future__ import annotations

import argparse

import numpy as np
from scipy.spatial.distance import pdist

from tasks.near_repeat import KnoxBands, knox_test
from timing import timed

DAY = 86_400


def events(n: int, side_metres: float, seed: int = 1):
    rng = np.random.default_rng(seed)
    background = int(n * 0.8)
    x = rng.uniform(0, side_metres, background)
    y = rng.uniform(0, side_metres, background)
    t = rng.uniform(0, 365, background) * DAY
    source = rng.integers(0, background, n - background)
    angle = rng.uniform(0, 2 * np.pi, n - background)
    reach = rng.uniform(0, 90, n - background)
    x = np.concatenate([x, x[source] + reach * np.cos(angle)])
    y = np.concatenate([y, y[source] + reach * np.sin(angle)])
    t = np.concatenate([t, t[source] + rng.uniform(0, 6, n - background) * DAY])
    return x, y, np.round(t).astype(np.int64)


def brute_force_observed(x, y, t, bands: KnoxBands) -> np.ndarray:
    distance = pdist(np.column_stack([x, y]), "cityblock")
    gap = pdist(t[:, None].astype(float), "cityblock")
    s_edges = np.array([*bands.spatial_breaks, np.inf])
    t_edges = np.array([*(b * DAY for b in bands.temporal_breaks_days), np.inf])
    table, _, _ = np.histogram2d(distance, gap, bins=[s_edges, t_edges])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000])
    parser.add_argument("--iterations", type=int, default=99)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bands = KnoxBands()
    smallest = min(args.sizes)
    base_side = 20_000.0

    rows = []
    for regime in ("fixed area", "fixed density"):
        for n in args.sizes:
            side = base_side if regime == "fixed area" else base_side * np.sqrt(n / smallest)
            x, y, t = events(n, side)
            seconds = timed(lambda: knox_test(x, y, t, bands, iterations=args.iterations, seed=0), args.repeat)
            result = knox_test(x, y, t, bands, iterations=1, seed=0)
            close_pairs = int(result.observed[:-1].sum())
            rows.append((regime, n, side / 1000, close_pairs, seconds))

    x, y, t = events(smallest, base_side)
    brute = timed(lambda: brute_force_observed(x, y, t, bands), 1)
    ours_observed_only = timed(lambda: knox_test(x, y, t, bands, iterations=1, seed=0), args.repeat)

    print(f"Knox test, {args.iterations} permutations, bands {bands.spatial_labels[1:-1]} x {bands.temporal_labels[:-1]};"
          f" median of {args.repeat} runs")
    print(f"{'regime':<15}{'events':>8}{'side km':>9}{'pairs < 300 m':>15}{'seconds':>9}{'growth vs smallest':>20}")
    for regime, n, side_km, close_pairs, seconds in rows:
        first = next(s for r, m, _, _, s in rows if r == regime and m == smallest)
        print(f"{regime:<15}{n:>8,}{side_km:>9.1f}{close_pairs:>15,}{seconds:>9.2f}{seconds / first:>19.1f}x")
    print(f"baseline at {smallest:,} events: brute-force observed table over all pairs {brute:.2f} s;"
          f" tasking (observed + 1 permutation) {ours_observed_only:.3f} s, {brute / ours_observed_only:.0f}x faster;"
          f" a brute-force test with {args.iterations} permutations would take about {brute * (args.iterations + 1):.0f} s")


if __name__ == "__main__":
    main()
