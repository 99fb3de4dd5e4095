"""kill -9 during ingest at named points (tasking/faults.py) leaves whole months only, no temporary files after
the next run, and exact counts when the run is repeated."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from tasks.ingest import ingest_paths

from shared_paths import CITY_OF_LONDON, PROJECT_ROOT

MONTHS = ["2023-01", "2023-02", "2023-03"]
ORIGINALS = [CITY_OF_LONDON / f"{m}-city-of-london-street.csv" for m in MONTHS]
SETTLED = (b"Investigation complete; no suspect identified", b"Unable to prosecute suspect")

CHILD = """
import sys
from tasks.ingest import ingest_paths
report = ingest_paths(sys.argv[3:], sys.argv[1], gate=None, group_files=int(sys.argv[2]))
print([(b.name, b.status, b.error) for b in report.batches])
"""

# Where the child kills itself, loading file by file (group size 1: a commit per month): the second archive member
# mid-extraction, the UTF-16 member after normalising, the second month with its rows written but not committed,
# the second and third months committed but not logged. Then loading the three months as one group (the default:
# one commit for all): mid-extraction, written but not committed, committed but not logged.
# Nine kills in all (eight here, one below). The value is how many months (in file order) the kill finds already
# re-published.
GROUPED = 64
KILL_POINTS = {("extract:block@2", 1): 1, ("prepare:normalised", 1): 2, ("ingest:before-commit@2", 1): 1,
               ("ingest:after-commit@2", 1): 2, ("ingest:after-commit@3", 1): 3,
               ("extract:block@2", GROUPED): 0, ("ingest:before-commit", GROUPED): 0, ("ingest:after-commit", GROUPED): 3}


def run_child(warehouse_file: Path, paths: list[Path], scratch: Path, fault: str | None,
              group_files: int = GROUPED) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TASKING_TMP": str(scratch)}
    env.pop("TASKING_FAULT", None)
    if fault:
        env["TASKING_FAULT"] = fault
    return subprocess.run([sys.executable, "-c", CHILD, str(warehouse_file), str(group_files), *map(str, paths)],
                          env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def republished_archive(folder: Path) -> Path:
    """The three months re-published with settled outcomes, as an archive; the last month in UTF-16 with a BOM."""
    archive = folder / "republished.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for month, original in zip(MONTHS, ORIGINALS):
            data = original.read_bytes().replace(*SETTLED)
            if month == MONTHS[-1]:
                data = data.decode("utf-8").encode("utf-16")
            z.writestr(f"{month}/{original.name}", data)
    return archive


def month_state(warehouse_file: Path) -> dict[str, tuple[int, int, int]]:
    """Per month: rows, distinct source files' hashes, rows still carrying the unsettled outcome."""
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        rows = con.execute("SELECT strftime(month, '%Y-%m'), count(*), count(DISTINCT source_sha256),"
                           " count(*) FILTER (last_outcome_category = ?) FROM street_crime GROUP BY ALL",
                           [SETTLED[0].decode()]).fetchall()
    return {month: (n, hashes, unsettled) for month, n, hashes, unsettled in rows}


@pytest.mark.parametrize("fault, group_files, months_done", [(*point, done) for point, done in KILL_POINTS.items()],
                         ids=[f"{fault}-group{size}" for fault, size in KILL_POINTS])
def test_kill_during_ingest_leaves_whole_months_and_the_rerun_is_exact(tmp_path, warehouse_file, fault, group_files,
                                                                       months_done):
    scratch = tmp_path / "scratch"
    expected_rows = {m: p.read_bytes().count(b"\r\n") - 1 for m, p in zip(MONTHS, ORIGINALS)}
    unsettled_before = {m: p.read_bytes().count(SETTLED[0]) for m, p in zip(MONTHS, ORIGINALS)}
    assert all(unsettled_before.values())
    assert ingest_paths(ORIGINALS, warehouse_file, gate=None).ok
    archive = republished_archive(tmp_path)

    killed = run_child(warehouse_file, [archive], scratch, fault, group_files)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    # Whole months only: every month holds all its rows from exactly one file, old or new.
    state = month_state(warehouse_file)
    assert {m: (n, h) for m, (n, h, _) in state.items()} == {m: (n, 1) for m, n in expected_rows.items()}
    assert [state[m][2] for m in MONTHS] == [0 if i < months_done else unsettled_before[m] for i, m in enumerate(MONTHS)]
    left = list(scratch.glob("run-*"))
    assert len(left) == 1  # the killed run's scratch folder stays until the next run
    if fault.startswith("extract:"):
        assert [p.stat().st_size for p in left[0].iterdir()] != []  # a partly extracted member was left behind

    rerun = run_child(warehouse_file, [archive], scratch, None)
    assert rerun.returncode == 0, rerun.stderr
    assert list(scratch.glob("run-*")) == []  # the stale folder removed at start, its own at exit
    assert month_state(warehouse_file) == {m: (n, 1, 0) for m, n in expected_rows.items()}
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        # A month committed before the kill but not logged is written again on the re-run ('replaced', same rows).
        last = con.execute("SELECT strftime(month, '%Y-%m'), arg_max(status, batch_id) FROM ingest_log"
                           " WHERE kind = 'street' GROUP BY ALL ORDER BY 1").fetchall()
    assert all(status in ("replaced", "unchanged") for _, status in last), last


def test_a_run_of_plain_files_also_removes_a_killed_runs_scratch_folder(tmp_path, warehouse_file):
    scratch = tmp_path / "scratch"
    archive = republished_archive(tmp_path)
    killed = run_child(warehouse_file, [archive], scratch, "extract:block")
    assert killed.returncode == -signal.SIGKILL and len(list(scratch.glob("run-*"))) == 1
    plain = run_child(warehouse_file, [ORIGINALS[0]], scratch, None)  # needs no scratch file of its own
    assert plain.returncode == 0, plain.stderr
    assert list(scratch.glob("run-*")) == []
