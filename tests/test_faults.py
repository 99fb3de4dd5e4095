"""Fault injection: publish and approve killed (SIGKILL, no cleanup) at each named point, then the invariants.

Each case runs the step in a subprocess with TASKING_FAULT naming the point (tasking/faults.py), so the process
dies there exactly as under `kill -9`. The next command must leave: no staging or unregistered folders, a folder
for every registered version, the next build numbered one past the registry, no APPROVED version whose files
are not frozen and intact, and a review log that verifies.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tasking import warehouse
from tasks import product_store, review, reviewers

ROOT = Path(__file__).resolve().parent.parent

STEP = textwrap.dedent("""
    import sys
    from datetime import date
    from tasks import review
    warehouse_file, store, action = sys.argv[1], sys.argv[2], sys.argv[3]
    if action == "publish":
        slot = review.reserve_version(warehouse_file, kind="tactical", force="northumbria", scope={"period_end": "2022-09"},
                                      period_label="2022-09", title="Tactical assessment", store_dir=store)
        with review.writing(slot) as folder:
            (folder / "product.html").write_text("<p>draft</p>", encoding="utf-8")
            (folder / "data").mkdir()
            for n in range(5):
                (folder / "data" / f"table{n}.csv").write_text(f"n\\n{n}\\n", encoding="utf-8")
        review.record_version(warehouse_file, slot, marking="OFFICIAL", author="analyst", period_start=date(2022, 9, 1),
                              period_end=date(2022, 9, 1))
        print(slot.version_id)
    else:
        review.approve(warehouse_file, sys.argv[4], "DI Smith", "ok")
""")

PUBLISH_POINTS = ["publish:after-render", "publish:after-files", "publish:before-commit", "publish:after-commit",
                  "publish:after-rename"]
APPROVE_POINTS = ["approve:after-check", "approve:after-freeze", "approve:before-commit", "approve:after-commit"]
# Whether the version exists in the registry after a kill at each point.
REGISTERED_AFTER = {"publish:after-render": False, "publish:after-files": False, "publish:before-commit": False,
                    "publish:after-commit": True, "publish:after-rename": True}
APPROVED_AFTER = {"approve:after-check": False, "approve:after-freeze": False, "approve:before-commit": False,
                  "approve:after-commit": True}


def run_step(warehouse_file, store, action, *extra, fault=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TASKING_FAULT", None)
    if fault:
        env["TASKING_FAULT"] = fault
    return subprocess.run([sys.executable, "-c", STEP, str(warehouse_file), str(store), action, *extra],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def assert_invariants(warehouse_file, store: Path) -> None:
    with warehouse.connect(warehouse_file, read_only=True) as con:
        rows = con.execute("SELECT product_id, version, status, store_path, manifest_json FROM product_version").fetchall()
    registered = {Path(r[3]) for r in rows}
    on_disk = {p for p in store.glob("*/*") if p.is_dir()}
    assert not [p for p in on_disk if p.name.startswith(".")], f"leftover staging folders: {on_disk}"
    assert on_disk == registered, (on_disk, registered)
    for product_id, _version, status, path, manifest in rows:
        assert product_store.integrity_problems(Path(path), json.loads(manifest)) == []
        if status == "APPROVED":
            assert product_store.unfrozen_files(Path(path)) == [], f"{path} APPROVED but not frozen"
    by_product: dict[str, list[int]] = {}
    for product_id, version, *_ in rows:
        by_product.setdefault(product_id, []).append(version)
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in by_product.values()), by_product
    found = review.verify_all(warehouse_file)
    assert found["chain"] == [] and found["versions"] == {}, found


@pytest.fixture
def setup(warehouse_file, tmp_path):
    reviewers.add(warehouse_file, "DI Smith", "intelligence-manager", added_by="head of intelligence")
    return warehouse_file, tmp_path / "store"


@pytest.mark.parametrize("point", PUBLISH_POINTS)
def test_publish_killed_at_each_point_is_completed_or_removed_by_the_next_publish(setup, point):
    warehouse_file, store = setup
    killed = run_step(warehouse_file, store, "publish", fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The next command (another publish of the same product) tidies first, then numbers its version.
    after = run_step(warehouse_file, store, "publish")
    assert after.returncode == 0, after.stderr
    expected = 2 if REGISTERED_AFTER[point] else 1
    assert after.stdout.strip().endswith(f"-v{expected}")
    assert_invariants(warehouse_file, store)


@pytest.mark.parametrize("point", APPROVE_POINTS)
def test_approve_killed_at_each_point_never_leaves_an_unfrozen_approval(setup, point):
    warehouse_file, store = setup
    version_id = run_step(warehouse_file, store, "publish").stdout.strip()
    killed = run_step(warehouse_file, store, "approve", version_id, fault=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_invariants(warehouse_file, store)  # already, before any repair
    status = review.list_versions(warehouse_file)["status"].tolist()
    assert status == (["APPROVED"] if APPROVED_AFTER[point] else ["DRAFT"])
    if not APPROVED_AFTER[point]:
        again = run_step(warehouse_file, store, "approve", version_id)
        assert again.returncode == 0, again.stderr
    assert review.list_versions(warehouse_file)["status"].tolist() == ["APPROVED"]
    assert_invariants(warehouse_file, store)


def test_a_staging_folder_of_a_running_publish_is_left_alone(setup):
    warehouse_file, store = setup
    run_step(warehouse_file, store, "publish")
    product = next(store.iterdir())
    busy = product / f".v2.staging-{os.getppid()}"  # a live process (pytest's parent) still rendering
    busy.mkdir()
    review.recover(warehouse_file, store)
    assert busy.is_dir()
    busy.rmdir()


LOOP = textwrap.dedent("""
    import sys
    from datetime import date
    from tasks import review
    warehouse_file, store = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    while True:
        slot = review.reserve_version(warehouse_file, kind="tactical", force="northumbria", scope={"period_end": "2022-09"},
                                      period_label="2022-09", title="Tactical assessment", store_dir=store)
        with review.writing(slot) as folder:
            for n in range(20):
                (folder / f"part{n}.csv").write_text(f"n\\n{n}\\n" * 200, encoding="utf-8")
        review.record_version(warehouse_file, slot, marking="OFFICIAL", author="analyst", period_start=date(2022, 9, 1),
                              period_end=date(2022, 9, 1))
        review.approve(warehouse_file, slot.version_id, "DI Smith", "ok")
""")
RANDOM_KILLS = 8


def test_kill_minus_nine_at_random_moments_of_a_publish_and_approve_loop(setup):
    """SIGKILL from outside at random moments (not at a marker), then the next command and the invariants."""
    import random
    import time

    warehouse_file, store = setup
    rng = random.Random(14)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TASKING_FAULT", None)
    for _ in range(RANDOM_KILLS):
        process = subprocess.Popen([sys.executable, "-c", LOOP, str(warehouse_file), str(store)], env=env, cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        review.recover(warehouse_file, store)  # what the next command does first
        assert_invariants(warehouse_file, store)
    listed = review.list_versions(warehouse_file)
    before = int(listed["version"].max()) if not listed.empty else 0
    after = run_step(warehouse_file, store, "publish")
    assert after.stdout.strip().endswith(f"-v{before + 1}"), (before, after.stdout, after.stderr)
    assert_invariants(warehouse_file, store)


def test_a_staging_folder_another_thread_of_this_process_renders_into_is_left_alone(setup):
    warehouse_file, store = setup
    slot = review.reserve_version(warehouse_file, kind="tactical", force="northumbria", scope={"period_end": "2022-09"},
                                  period_label="2022-09", title="Tactical assessment", store_dir=store)
    with review.writing(slot) as folder:
        (folder / "product.html").write_text("<p>half</p>")
        # Meanwhile another product's publish in this process tidies the store first.
        review.reserve_version(warehouse_file, kind="strategic", force="northumbria", scope={"months": 36},
                               period_label="2022-09", title="Strategic assessment", store_dir=store)
        assert (folder / "product.html").is_file()
    review.record_version(warehouse_file, slot, marking="OFFICIAL", author="analyst", period_start=None, period_end=None)
    assert (slot.folder / "product.html").is_file()
    assert_invariants(warehouse_file, store)
