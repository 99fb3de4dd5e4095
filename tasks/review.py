"""Product registry, product store and review: every draft is a numbered version whose files are hashed.

A product is one scope (kind, force and the parameters that define what was asked); each rendering of that
scope is a new version, written once into its own folder of the product store (`var/products/` under the working
directory unless `store_dir` or `$TASKING_PRODUCTS` says otherwise) and never written again. The warehouse
records each file's sha256, so `verify` detects any change made on disk afterwards.

Review moves a version from DRAFT to APPROVED or REJECTED, once. An approved version can never change: a second
decision, an approval of a version whose files no longer match their hashes, and any attempt to write into an
existing version folder all fail with a ReviewError, and each decision or refusal is logged in `review_event`
with who and when.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from sources.police_uk import sha256_of
from tasking import warehouse

DEFAULT_STORE = Path("var") / "products"
STATUSES = ("DRAFT", "APPROVED", "REJECTED")
KIND_PREFIX = {"tactical": "TA", "strategic": "SA", "problem_profile": "PP"}
MANIFEST_NAME = "manifest.json"


class ReviewError(Exception):
    """A review action or store write that is not allowed; the message says which version and why."""


@dataclass(frozen=True)
class DraftSlot:
    """Where a new version will live, reserved before rendering so the pages can carry its id and version."""

    product_id: str
    version: int
    version_id: str
    kind: str
    force: str
    folder: Path
    created_at: datetime


def store_path(explicit: str | os.PathLike | None = None) -> Path:
    """`store_dir`, else `$TASKING_PRODUCTS`, else `var/products/` under the working directory."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("TASKING_PRODUCTS")
    return Path(from_env) if from_env else DEFAULT_STORE


def scope_key(kind: str, force: str, scope: dict) -> str:
    """Canonical JSON of what defines a product: the same request gives the same key, whatever the order."""
    return json.dumps({"kind": kind, "force": force, **scope}, sort_keys=True, default=str, separators=(",", ":"))


def product_id_for(kind: str, force: str, period_label: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]
    return f"{KIND_PREFIX[kind]}-{force}-{period_label}-{digest}"


def build_manifest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} for every file in a version folder except the manifest itself."""
    return {
        path.relative_to(folder).as_posix(): sha256_of(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


def manifest_sha256(manifest: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode("utf-8")).hexdigest()


def reserve_version(
    warehouse_file,
    *,
    kind: str,
    force: str,
    scope: dict,
    period_label: str,
    title: str,
    requested_by: str | None = None,
    terms_of_reference: str | None = None,
    store_dir: str | os.PathLike | None = None,
) -> DraftSlot:
    """Register the product if new and reserve its next version number and folder (nothing is written yet).

    The version number is one past both the registry's and the store's highest, so a folder left by a
    rendering that failed part-way is never reused or overwritten.
    """
    if kind not in KIND_PREFIX:
        raise ValueError(f"unknown product kind {kind!r}; expected one of {sorted(KIND_PREFIX)}")
    key = scope_key(kind, force, scope)
    now = datetime.now(timezone.utc)
    with warehouse.connect(warehouse_file) as con:
        row = con.execute("SELECT product_id FROM product WHERE scope_key = ?", [key]).fetchone()
        if row:
            product_id = row[0]
        else:
            product_id = product_id_for(kind, force, period_label, key)
            con.execute(
                "INSERT INTO product (product_id, kind, force, scope_key, title, requested_by, terms_of_reference, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [product_id, kind, force, key, title, requested_by, terms_of_reference, now],
            )
        registered = con.execute(
            "SELECT coalesce(max(version), 0) FROM product_version WHERE product_id = ?", [product_id]
        ).fetchone()[0]
    product_folder = store_path(store_dir).resolve() / product_id
    on_disk = [int(p.name[1:]) for p in product_folder.glob("v*") if p.name[1:].isdigit()] if product_folder.is_dir() else []
    version = max([registered, *on_disk]) + 1
    return DraftSlot(product_id, version, f"{product_id}-v{version}", kind, force,
                     product_folder / f"v{version}", now)


@contextmanager
def writing(slot: DraftSlot) -> Iterator[Path]:
    """A fresh folder to render a version into; moved into the store only when rendering finished cleanly."""
    if slot.folder.exists():
        raise ReviewError(f"{slot.folder}: version folder already exists; a stored version is never overwritten")
    slot.folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{slot.folder.name}-", dir=slot.folder.parent))
    try:
        yield work
        if slot.folder.exists():
            raise ReviewError(f"{slot.folder}: appeared while rendering; a stored version is never overwritten")
        work.chmod(0o755)  # mkdtemp makes it private; a stored product is for the intelligence unit to read
        work.rename(slot.folder)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def record_version(
    warehouse_file,
    slot: DraftSlot,
    *,
    marking: str,
    author: str,
    period_start: date | None,
    period_end: date | None,
    key_figures: dict | None = None,
) -> str:
    """Hash the stored files, write the manifest, and register the version as DRAFT; returns the content hash."""
    manifest = build_manifest(slot.folder)
    if not manifest:
        raise ReviewError(f"{slot.folder}: holds no files; nothing to register")
    (slot.folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    content = manifest_sha256(manifest)
    with warehouse.connect(warehouse_file) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO product_version (version_id, product_id, version, status, marking, author, period_start,"
                " period_end, store_path, content_sha256, manifest_json, key_figures_json, created_at)"
                " VALUES (?, ?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [slot.version_id, slot.product_id, slot.version, marking, author, period_start, period_end,
                 str(slot.folder), content, json.dumps(manifest, sort_keys=True),
                 json.dumps(key_figures, sort_keys=True, default=str) if key_figures is not None else None,
                 slot.created_at],
            )
            _log(con, slot.version_id, "drafted", None, "DRAFT", author, None)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return content


def _log(con, version_id: str, action: str, from_status: str | None, to_status: str | None, actor: str, comment: str | None) -> None:
    con.execute(
        "INSERT INTO review_event (version_id, action, from_status, to_status, actor, comment, event_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [version_id, action, from_status, to_status, actor, comment, datetime.now(timezone.utc)],
    )


def _version_row(con, version_id: str) -> dict:
    found = con.execute("SELECT * FROM product_version WHERE version_id = ?", [version_id]).df()
    if found.empty:
        raise ReviewError(f"{version_id}: no such product version (see `tasking review list`)")
    return found.iloc[0].to_dict()


def integrity_problems(row: dict) -> list[str]:
    """What no longer matches the hashes recorded when the version was drafted (empty when intact)."""
    folder = Path(row["store_path"])
    recorded: dict[str, str] = json.loads(row["manifest_json"])
    if not folder.is_dir():
        return [f"{folder}: the version folder is missing"]
    problems = []
    current = build_manifest(folder)
    for name, sha in recorded.items():
        if name not in current:
            problems.append(f"{name}: missing")
        elif current[name] != sha:
            problems.append(f"{name}: changed (sha256 {current[name][:12]}..., recorded {sha[:12]}...)")
    problems += [f"{name}: added after drafting" for name in sorted(set(current) - set(recorded))]
    return problems


def verify(warehouse_file, version_id: str) -> list[str]:
    with warehouse.connect(warehouse_file) as con:
        return integrity_problems(_version_row(con, version_id))


def _freeze(folder: Path) -> None:
    """Make an approved version's files read-only, so an editor or a script cannot change one by accident."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def _decide(warehouse_file, version_id: str, to_status: str, reviewer: str, comment: str | None) -> dict:
    if not reviewer or not reviewer.strip():
        raise ReviewError(f"{version_id}: a reviewer name is required")
    action = {"APPROVED": "approved", "REJECTED": "rejected"}[to_status]
    with warehouse.connect(warehouse_file) as con:
        row = _version_row(con, version_id)
        if row["status"] != "DRAFT":
            when = pd.Timestamp(row["decided_at"]).strftime("%Y-%m-%d %H:%M UTC") if row["decided_at"] is not None else "?"
            reason = (f"{version_id} is {row['status']} (by {row['decided_by']} at {when}); only a DRAFT can be decided"
                      + ("; an approved version can never be changed: generate a new draft instead"
                         if row["status"] == "APPROVED" else ""))
            _log(con, version_id, "refused", row["status"], to_status, reviewer, f"refused {action}: {reason}")
            raise ReviewError(reason)
        problems = integrity_problems(row)
        if problems:
            reason = f"{version_id}: files differ from those drafted, so it cannot be {action}: " + "; ".join(problems)
            _log(con, version_id, "integrity_failed", "DRAFT", None, reviewer, reason)
            raise ReviewError(reason)
        now = datetime.now(timezone.utc)
        con.execute("BEGIN TRANSACTION")
        try:
            changed = con.execute(
                "UPDATE product_version SET status = ?, decided_at = ?, decided_by = ? WHERE version_id = ? AND status = 'DRAFT'"
                " RETURNING version_id",
                [to_status, now, reviewer, version_id],
            ).fetchall()
            if not changed:
                raise ReviewError(f"{version_id}: was decided by someone else meanwhile")
            _log(con, version_id, action, "DRAFT", to_status, reviewer, comment)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        row = _version_row(con, version_id)
    if to_status == "APPROVED":
        _freeze(Path(row["store_path"]))
    return row


def approve(warehouse_file, version_id: str, reviewer: str, comment: str | None = None) -> dict:
    return _decide(warehouse_file, version_id, "APPROVED", reviewer, comment)


def reject(warehouse_file, version_id: str, reviewer: str, comment: str) -> dict:
    if not comment or not comment.strip():
        raise ReviewError(f"{version_id}: a rejection needs a comment saying what to change")
    return _decide(warehouse_file, version_id, "REJECTED", reviewer, comment)


def list_versions(warehouse_file, *, status: str | None = None, force: str | None = None) -> pd.DataFrame:
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    return warehouse.query_df(
        warehouse_file,
        "SELECT v.version_id, p.kind, p.force, v.version, v.status, v.marking, v.period_end, v.author, v.created_at,"
        " v.decided_by, v.decided_at, v.store_path FROM product_version v JOIN product p USING (product_id)"
        " WHERE (CAST(? AS VARCHAR) IS NULL OR v.status = ?) AND (CAST(? AS VARCHAR) IS NULL OR p.force = ?)"
        " ORDER BY v.created_at DESC, v.version_id",
        [status, status, force, force],
    )


def show(warehouse_file, version_id: str) -> dict:
    """The version, its product, its review events and whether its files still match their hashes."""
    with warehouse.connect(warehouse_file) as con:
        row = _version_row(con, version_id)
        product = con.execute("SELECT * FROM product WHERE product_id = ?", [row["product_id"]]).df().iloc[0].to_dict()
        events = con.execute(
            "SELECT event_at, action, from_status, to_status, actor, comment FROM review_event WHERE version_id = ? ORDER BY event_id",
            [version_id],
        ).df()
    return {"version": row, "product": product, "events": events, "integrity_problems": integrity_problems(row)}


def previous_version(warehouse_file, kind: str, force: str, before: datetime) -> dict | None:
    """The latest stored version of this kind for the force created before `before` (any status but REJECTED)."""
    with warehouse.connect(warehouse_file) as con:
        found = con.execute(
            "SELECT v.* FROM product_version v JOIN product p USING (product_id)"
            " WHERE p.kind = ? AND p.force = ? AND v.created_at < ? AND v.status <> 'REJECTED'"
            " ORDER BY v.created_at DESC LIMIT 1",
            [kind, force, before],
        ).df()
    return None if found.empty else found.iloc[0].to_dict()
