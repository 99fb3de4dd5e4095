"""National scale in one run: SYNTHETIC data for many forces, ingested, assessed, timed against baselines.

`--scale 1` is the national set of issue 12: 43 forces x 36 months at 11,600 street rows a force-month (about
18M street rows, 4,644 files). `--scale s` keeps every force-month's volume and takes round(43 s) forces (at
least 2), so the per-file costs stay as they are nationally. Forces are named with the real data.police.uk
slugs (the config accepts no others); every file and label still says SYNTHETIC.

Measured, each against a baseline in the same run:
- the whole ingest (`tasking ingest` of every file, as a process: quality gate, lineage, ingest_log) against
  DuckDB's own read_csv of the same files into tables (throughput ratio); peak RSS of that process; the
  warehouse's size; and one month of every force loaded file by file against in groups (issue 12's change);
- `tasking --help`, `tasking ingest` of one month of one force and `tasking status`, whole processes, with no
  Prefect API (against `python -c pass`);
- the tactical assessment of every force, one after another against fanned out over local processes;
- one force's tactical and strategic assessment on the national warehouse;
- all indicators for one force at 1x, 4x and 16x rows (the growth exponent b in time ~ rows^b);
- starting a process pool against starting a Dask LocalCluster (why runs without Prefect use the pool).

    .venv/bin/python benchmarks/national.py [--scale 0.1] [--months 2021-09..2024-08] [--workers 2] [--keep DIR]
        [--parts cli products indicators startup]
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import duckdb
import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sources.police_uk import COLUMNS  # noqa: E402
from sources.synthetic import generate, parse_month_range  # noqa: E402
from tasking.config import POLICE_UK_FORCES  # noqa: E402

ROWS_PER_FORCE_MONTH = 11_600
PARTS = ["cli", "products", "indicators", "startup"]  # measured after the ingest, which every part needs
TERRITORIAL = sorted(slug for slug in POLICE_UK_FORCES if slug not in ("btp", "northern-ireland"))
TASKING = [sys.executable, "-m", "cli.main"]


def clock(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def cpu_clock(fn):
    """(wall seconds, CPU seconds of this process and its children, value)."""
    start, cpu = time.perf_counter(), time.process_time() + children_cpu()
    value = fn()
    return time.perf_counter() - start, time.process_time() + children_cpu() - cpu, value


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {}  # CPU seconds of each measure, beside its wall time: robust on a shared machine


def run_cli(args: list[str], **env) -> float:
    """Seconds for one whole `tasking` process (no Prefect API: runs in-process, no temporary server); its CPU
    seconds go to CPU under the command's name."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), "COLUMNS": "200", **env}
    environment.pop("PREFECT_API_URL", None)
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(TASKING + args, cwd=PROJECT, env=environment, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    CPU[" ".join(args[:1])] = children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"tasking {' '.join(args)} failed: {done.stderr[-2000:]}")
    return seconds


def generate_national(folder: Path, forces: list[str], months: tuple[str, str], rows: int) -> dict:
    totals = {"street": 0, "outcomes": 0, "stop-and-search": 0}
    for seed, force in enumerate(forces, start=1):
        summary = generate(folder, force=force, months=months, seed=seed, rows_per_month=rows, reference=seed == 1)
        totals["street"] += summary.street_rows
        totals["outcomes"] += summary.outcome_rows
        totals["stop-and-search"] += summary.stop_search_rows
    return totals


def duckdb_read_csv(files: list[Path], target: Path) -> None:
    """The baseline: DuckDB's read_csv of the same files, one table per kind, no checks."""
    with duckdb.connect(str(target)) as con:
        for kind in COLUMNS:
            paths = [str(p) for p in files if p.name.endswith(f"-{kind}.csv")]
            if paths:
                con.execute(f"CREATE TABLE \"{kind}\" AS SELECT * FROM read_csv(?, header = true)", [paths])


def ingest_grouped_vs_file_by_file(files: list[Path], work: Path) -> tuple[tuple, tuple]:
    """(wall, CPU) seconds of loading `files` in groups and file by file, through the gate (GX warmed first)."""
    from tasks.ingest import ingest_paths

    assert ingest_paths(files[:1], work / "warm.duckdb").ok
    grouped = cpu_clock(lambda: ingest_paths(files, work / "grouped.duckdb"))
    one_by_one = cpu_clock(lambda: ingest_paths(files, work / "one_by_one.duckdb", group_files=1))
    return grouped[:2], one_by_one[:2]


def tactical_all(config: Path, workers: int) -> tuple[float, float, list[float]]:
    """(wall, CPU, seconds of each warehouse snapshot this process published) of the scheduled tactical flow over
    every configured force, without Prefect. Builders only read, so this process makes every snapshot."""
    from flows.engine import run_flow
    from flows.products import tactical_assessment_flow
    from tasking import warehouse

    os.environ["TASKING_ORCHESTRATE"] = "never"
    snapshots, publish = [], warehouse.publish_snapshot

    def timed_publish(*args, **kwargs):
        seconds, published = clock(lambda: publish(*args, **kwargs))
        snapshots.append(seconds)
        return published

    warehouse.publish_snapshot = timed_publish
    try:
        wall, cpu, _ = cpu_clock(lambda: run_flow(tactical_assessment_flow, config_path=str(config), workers=workers,
                                                  force_new=True))  # each timed run drafts: nothing is 'unchanged'
    finally:
        warehouse.publish_snapshot = publish
    return wall, cpu, snapshots


def one_force(warehouse: Path, store: Path, force: str, months: int) -> tuple[float, float]:
    from tasks.products import build_strategic_assessment, build_tactical_assessment

    tactical, _ = clock(lambda: build_tactical_assessment(warehouse, force, store_dir=store, force_new=True))
    strategic, _ = clock(lambda: build_strategic_assessment(warehouse, force, months=months, store_dir=store,
                                                            force_new=True))
    return tactical, strategic


def indicator_growth(work: Path, base_rows: int, months: tuple[str, str]) -> list[tuple[int, int, float]]:
    from tasks.indicators import Scope, all_indicators
    from tasks.ingest import ingest_paths
    from tasks.ingest_reference import ingest_reference_paths

    found = []
    for factor in (1, 4, 16):
        folder = work / f"indicators-x{factor}"
        summary = generate(folder / "data", force="bench-shire", months=months, seed=7, rows_per_month=base_rows * factor)
        warehouse = folder / "warehouse.duckdb"
        assert ingest_reference_paths([folder / "data" / "reference"], warehouse, gate=None).ok
        assert ingest_paths([folder / "data"], warehouse, gate=None).ok
        scope = Scope("bench-shire", *months)
        all_indicators(warehouse, scope)  # warm: imports, first open
        seconds, _ = clock(lambda: all_indicators(warehouse, scope))
        found.append((factor, summary.street_rows, seconds))
    return found


def month_count(months: tuple[str, str]) -> int:
    (y1, m1), (y2, m2) = (map(int, m.split("-")) for m in months)
    return (y2 - y1) * 12 + m2 - m1 + 1


def pool_vs_cluster(workers: int) -> tuple[float, float]:
    logging.getLogger("distributed").setLevel(logging.WARNING)
    def pool():
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as executor:
            list(executor.map(_nothing_map, range(workers)))

    def cluster():
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.WARNING) as local, \
                Client(local) as client:
            client.gather(client.map(_nothing_map, range(workers)))

    return clock(pool)[0], clock(cluster)[0]


def _nothing_map(_: int) -> None:
    return None


def python_alone() -> tuple[float, float]:
    """(wall, CPU) of `python -c pass`: what any command costs before it imports anything of its own."""
    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start, children_cpu() - cpu


def measure_cli(rows: dict, work: Path, one_month_of_one_force: list[str]) -> None:
    """The command line as whole processes, no Prefect API (in-process: Prefect is not imported at all). The
    one-month warehouse sits beside the national one, so its Data Docs share the national GX store."""
    t_python, c_python = python_alone()
    rows["python -c pass (the interpreter alone)"] = (t_python, f"CPU {c_python:.1f} s")
    rows["tasking --help"] = (run_cli(["--help"]), f"CPU {CPU['--help']:.1f} s (target about 1 s)")
    fresh = work / "one-month.duckdb"
    rows["tasking ingest: one month of one force"] = (
        run_cli(["ingest", *one_month_of_one_force, "--warehouse", str(fresh)]), f"CPU {CPU['ingest']:.1f} s (target < 5 s)")
    rows["the same again (unchanged, no gate)"] = (
        run_cli(["ingest", *one_month_of_one_force, "--warehouse", str(fresh)]), f"CPU {CPU['ingest']:.1f} s")
    rows["tasking status of that warehouse"] = (run_cli(["status", "--warehouse", str(fresh)]), f"CPU {CPU['status']:.1f} s")


def measure_products(rows: dict, work: Path, warehouse: Path, forces: list[str], months: tuple[str, str],
                     workers: int) -> None:
    """Every force's tactical assessment one after another, then fanned out; one force's two assessments."""
    def config(store: str) -> Path:
        path = work / f"tasking-{store}.yaml"
        path.write_text(yaml.safe_dump({"forces": forces, "warehouse": str(warehouse),
                                        "product_store": str(work / store)}), encoding="utf-8")
        return path

    t_sequential, c_sequential, _ = tactical_all(config("sequential"), 1)
    t_fanned, c_fanned, snapshots = tactical_all(config("fanned"), workers)
    rows[f"{len(forces)} tactical assessments, one after another"] = (t_sequential, f"CPU {c_sequential:.0f} s")
    # CPU of this process only: it builds too; the pool's workers are children of the forkserver, not counted.
    rows[f"{len(forces)} tactical assessments, {workers} processes"] = (
        t_fanned, f"{t_sequential / t_fanned:.2f}x faster (target >= 1.7x); CPU here {c_fanned:.0f} s")
    rows["  warehouse snapshots published by that run"] = (
        sum(snapshots), f"{len(snapshots)} (run start, registration, run end)")
    t_tactical, t_strategic = one_force(warehouse, work / "one-force", forces[0], min(36, month_count(months)))
    rows[f"one force's tactical assessment ({forces[0]})"] = (t_tactical, "target < 20 s")
    rows[f"one force's strategic assessment ({forces[0]})"] = (t_strategic, "")
    print("products measured", flush=True)


def measure_indicators(rows: dict, work: Path, scale: float) -> None:
    """All indicators at 1x, 4x, 16x rows of one force, 13 months."""
    growth = indicator_growth(work, max(500, round(ROWS_PER_FORCE_MONTH * min(1.0, scale))),
                              parse_month_range("2023-08..2024-08"))
    (_, rows1, seconds1) = growth[0]
    for factor, street_rows, seconds in growth:
        rows[f"all indicators, one force, {factor}x ({street_rows:,} street rows)"] = (
            seconds, f"time {seconds / seconds1:.1f}x for rows {street_rows / rows1:.1f}x")
    (_, rows16, seconds16) = growth[-1]
    exponent = math.log(seconds16 / seconds1) / math.log(rows16 / rows1)
    rows["indicator growth exponent b (time ~ rows^b)"] = (None, f"{exponent:.2f} (target <= 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of the 43 forces (1 = national)")
    parser.add_argument("--months", default="2021-09..2024-08", help="month range YYYY-MM..YYYY-MM")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="products built at once")
    parser.add_argument("--keep", type=Path, help="keep the data and warehouse in this folder")
    parser.add_argument("--parts", nargs="*", default=PARTS, choices=PARTS,
                        help="measure these after the ingest (default all; none: the ingest alone)")
    args = parser.parse_args()
    months = parse_month_range(args.months)
    forces = TERRITORIAL[:max(2, round(len(TERRITORIAL) * args.scale))]
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-national-"))
    work.mkdir(parents=True, exist_ok=True)
    data, warehouse = work / "data", work / "warehouse.duckdb"
    rows = {}
    try:
        t_generate, totals = clock(lambda: generate_national(data, forces, months, ROWS_PER_FORCE_MONTH))
        files = sorted(p for p in data.rglob("*.csv") if p.parent.name != "reference")
        size = sum(p.stat().st_size for p in files)
        print(f"SYNTHETIC: {len(forces)} forces, {len(files):,} files, {size / 2**30:.2f} GiB, "
              f"{totals['street']:,} street rows ({t_generate:.0f} s to generate)", flush=True)

        # 1. The whole ingest as one process, first child of this one (so RUSAGE_CHILDREN is its peak RSS).
        run_cli(["ingest-reference", str(data / "reference"), "--warehouse", str(warehouse)])
        t_ingest = run_cli(["ingest", str(data), "--warehouse", str(warehouse)])
        cpu_ingest = CPU["ingest"]
        peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        t_duckdb, cpu_duckdb, _ = cpu_clock(lambda: duckdb_read_csv(files, work / "read_csv.duckdb"))
        rows["ingest: tasking ingest (all kinds, gated)"] = (t_ingest, f"{size / t_ingest / 2**20:,.1f} MiB/s, CPU {cpu_ingest:,.0f} s")
        rows["ingest: DuckDB read_csv, same files"] = (t_duckdb, f"{size / t_duckdb / 2**20:,.1f} MiB/s, CPU {cpu_duckdb:,.0f} s")
        rows["ingest throughput / read_csv throughput"] = (
            None, f"{t_duckdb / t_ingest:.0%} wall, {cpu_duckdb / cpu_ingest:.0%} CPU (target >= 25%)")
        rows["ingest peak RSS"] = (None, f"{peak_rss / 2**30:.2f} GiB (target < 4 GiB)")
        rows["warehouse size"] = (None, f"{warehouse.stat().st_size / 2**30:.2f} GiB")
        month = months[1]
        month_files = [p for p in files if p.name.startswith(month)]
        (t_grouped, c_grouped), (t_single, c_single) = ingest_grouped_vs_file_by_file(month_files, work)
        rows[f"one month, {len(month_files)} files: in groups"] = (t_grouped, f"CPU {c_grouped:.1f} s")
        rows[f"one month, {len(month_files)} files: file by file"] = (
            t_single, f"CPU {c_single:.1f} s; groups {t_single / t_grouped:.1f}x faster ({c_single / c_grouped:.1f}x CPU)")
        print("ingest measured", flush=True)

        if "cli" in args.parts:
            measure_cli(rows, work, [str(p) for p in month_files if f"-{forces[0]}-" in p.name])
        if "products" in args.parts:
            measure_products(rows, work, warehouse, forces, months, args.workers)
        if "indicators" in args.parts:
            measure_indicators(rows, work, args.scale)
        if "startup" in args.parts:
            t_pool, t_cluster = pool_vs_cluster(args.workers)
            rows[f"start {args.workers} worker processes (process pool)"] = (t_pool, "")
            rows[f"start a Dask LocalCluster of {args.workers} workers"] = (t_cluster, "")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nnational benchmark at scale {args.scale} ({len(forces)} forces, {len(files):,} files, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"| {'measure':<62} | {'seconds':>9} | {'':<46} |")
    print(f"|{'-' * 64}|{'-' * 11}|{'-' * 48}|")
    for name, (seconds, note) in rows.items():
        print(f"| {name:<62} | {'' if seconds is None else f'{seconds:9.2f}':>9} | {note:<46} |")


if __name__ == "__main__":
    main()
