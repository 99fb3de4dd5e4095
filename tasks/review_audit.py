"""Tamper evidence for the product registry: each version's files, manifest and registry row checked against
the hash-chained `review` stream (tasking/chain.py) that every drafted, approved, rejected and refused event is
appended to.

So editing an approved file and then the registry's hashes, resetting a version to DRAFT (with or without
deleting its review events), editing `manifest.json`, changing who decided, deleting a registry row, or making
an approved file writable again are each reported, by `tasking review verify` and in `tasking review list`.
"""
from __future__ import annotations

import json
from pathlib import Path

from tasking import chain, warehouse
from tasks import product_store, reviewers
from tasks.product_store import manifest_sha256

STREAM = "review"
DECISIONS = {"approved": "APPROVED", "rejected": "REJECTED"}


def integrity_problems(row: dict) -> list[str]:
    """What no longer matches the hashes recorded when the version was drafted (empty when intact)."""
    return product_store.integrity_problems(Path(row["store_path"]), json.loads(row["manifest_json"]))


def chained_by_version(con) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for event in chain.read_events(con, STREAM):
        found.setdefault(str(event["payload"].get("version_id")), []).append(event)
    return found


def row_problems(con, row: dict, chained: dict[str, list[dict]] | None = None) -> list[str]:
    """Where the registry row disagrees with its own manifest or with the chained review events."""
    chained = chained_by_version(con) if chained is None else chained
    problems = []
    try:
        manifest = json.loads(row["manifest_json"])
    except (TypeError, ValueError):
        manifest = None
    if manifest is None or manifest_sha256(manifest) != row["content_sha256"]:
        problems.append("registry row: manifest and content hash disagree (the row was edited)")
    events = chained.get(row["version_id"], [])
    drafted = [e["payload"] for e in events if e["payload"].get("action") == "drafted"]
    if not drafted:
        problems.append("review log: no chained `drafted` event for this version (deleted, or drafted before the log was chained)")
    else:
        first = drafted[0]
        for field in ("content_sha256", "store_path", "author"):
            if first.get(field) != row[field]:
                problems.append(f"registry row: {field} differs from the value recorded when it was drafted (the row was edited)")
    decisions = [e for e in events if e["payload"].get("action") in DECISIONS]
    expected_status = DECISIONS[decisions[-1]["payload"]["action"]] if decisions else "DRAFT"
    if row["status"] != expected_status:
        problems.append(f"registry row: status {row['status']} but the review log says {expected_status} (the row was edited)")
    if decisions:
        last = decisions[-1]
        if last["actor"] != row["decided_by"]:
            problems.append(f"registry row: decided_by {row['decided_by']!r} but the review log says {last['actor']!r}")
        if last["payload"].get("content_sha256") != row["content_sha256"]:
            problems.append("registry row: content hash differs from the one approved (the row was edited)")
    return problems


def version_problems(con, row: dict, chained: dict[str, list[dict]] | None = None) -> list[str]:
    """Everything wrong with one version: its files, its manifest, its registry row against the review log,
    and (approved) files that are writable again."""
    problems = integrity_problems(row) + row_problems(con, row, chained)
    if row["status"] == "APPROVED":
        problems += [f"{name}: writable again (approved files are frozen read-only)"
                     for name in product_store.unfrozen_files(Path(row["store_path"]))]
    return problems


def verify_all(warehouse_file) -> dict:
    """The review log's chain, then every version; {"chain": [...], "versions": {version_id: [...]}, "head": ...}."""
    with warehouse.reading(warehouse_file) as con:
        chain_problems = chain.verify_chain(con, STREAM) + chain.verify_chain(con, reviewers.STREAM)
        chained = chained_by_version(con)
        rows = con.execute("SELECT * FROM product_version ORDER BY created_at, version_id").df()
        versions = {row["version_id"]: version_problems(con, row, chained) for row in rows.to_dict("records")}
        for version_id in sorted(set(chained) - set(versions)):
            chain_problems.append(f"review log: events for {version_id}, which the registry no longer holds (its row was deleted)")
        head = chain.head(con, STREAM)
    return {"chain": chain_problems, "versions": {k: v for k, v in versions.items() if v}, "checked": len(versions),
            "head": head}
