"""Product registry, product store and review: every draft is a numbered version whose files are hashed.

A product is one scope (kind, force and the parameters that define what was asked); each rendering of that
scope is a new version, written once into its own folder of the product store (`var/products/` under the working
directory unless `store_dir` or `$TASKING_PRODUCTS` says otherwise) and never written again. The warehouse
records each file's sha256, so `verify` detects any change made on disk afterwards.

Publishing is atomic (tasks/product_store.py): files are staged, the registry row and its `drafted` event are
committed together, and only then is the folder moved into place; `recover` at the start of the next publish or
review command completes or removes whatever a crash left.

Review moves a version from DRAFT to APPROVED or REJECTED, once, by a registered reviewer who is not its author
(tasks/reviewers.py). An approved version's files are frozen and re-hashed before the approval commits. An
approved version can never change: a second decision, an approval of a version whose files no longer match their
hashes, and any attempt to write into an existing version folder all fail with a ReviewError. Each decision or
refusal is logged in `review_event` and in the hash-chained `review` stream (tasking/chain.py), whose events carry
the content hash, so `verify_all` detects an edited registry row, a deleted or reordered event, a changed
manifest or file, and an approved version whose files are writable again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from tasking import chain, faults, warehouse
from tasks import product_store, reviewers
from tasks.review_audit import (  # noqa: F401  (verify_all: re-exported for callers of tasks.review)
    STREAM, chained_by_version, integrity_problems, row_problems, verify_all, version_problems)
from tasks.product_store import MANIFEST_NAME, build_manifest, manifest_sha256

DEFAULT_STORE = Path("var") / "products"
STATUSES = ("DRAFT", "APPROVED", "REJECTED")
KIND_PREFIX = {"tactical": "TA", "strategic": "SA", "problem_profile": "PP"}


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
    staging: Path | None = None  # where this publish renders before registering (product_store.staging_folder)
    # The product's registry row when this is its first version: inserted with the version when it registers, so
    # reserving writes nothing (builders only read the warehouse; the one writer registers).
    new_product: dict | None = field(default=None, compare=False, hash=False)

    @property
    def work(self) -> Path:
        return self.staging or self.folder.with_name(f".{self.folder.name}.staging-{os.getpid()}")


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


def _registered(con) -> dict[tuple[str, int], dict]:
    rows = con.execute("SELECT product_id, version, store_path, manifest_json FROM product_version").fetchall()
    return {(p, v): {"store_path": sp, "manifest_json": m} for p, v, sp, m in rows}


def recover(warehouse_file, store_dir: str | os.PathLike | None = None) -> list[str]:
    """Complete or remove what crashed publishes and approvals left; returns one sentence per repair.

    Run at the start of every publish and review command: staging folders are removed or moved into place,
    unregistered version folders set aside (tasks/product_store.tidy), and an APPROVED version whose files are
    writable (an approval from before approvals froze first) is frozen.
    """
    target = warehouse.warehouse_path(warehouse_file)
    if not target.exists():
        return []
    with warehouse.reading(warehouse_file) as con:
        registered = _registered(con)
        approved = [r[0] for r in con.execute(
            "SELECT store_path FROM product_version WHERE status = 'APPROVED'").fetchall()]
    product_folders = {Path(row["store_path"]).parent for row in registered.values()}
    root = store_path(store_dir).resolve()
    if root.is_dir():
        product_folders |= {p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    actions = product_store.tidy(product_folders, registered)
    manifests = {row["store_path"]: json.loads(row["manifest_json"]) for row in registered.values()}
    for folder in approved:
        # Only an intact version is re-frozen: a changed one stays as found, for `review verify` to report.
        if product_store.unfrozen_files(Path(folder)) and not product_store.integrity_problems(Path(folder), manifests[folder]):
            product_store.freeze(Path(folder))
            actions.append(f"{folder}: an approved version's files were writable; frozen")
    return actions


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

    What a crashed publish left is put right first (`recover`), so the number is one past the registry's
    highest and no unregistered folder stands in its way.
    """
    if kind not in KIND_PREFIX:
        raise ValueError(f"unknown product kind {kind!r}; expected one of {sorted(KIND_PREFIX)}")
    recover(warehouse_file, store_dir)
    key = scope_key(kind, force, scope)
    now = datetime.now(timezone.utc)
    new_product = None
    with warehouse.reading(warehouse_file) as con:  # read-only: the product row is written when a version registers
        row = con.execute("SELECT product_id FROM product WHERE scope_key = ?", [key]).fetchone()
        if row:
            product_id = row[0]
        else:
            product_id = product_id_for(kind, force, period_label, key)
            new_product = {"product_id": product_id, "kind": kind, "force": force, "scope_key": key, "title": title,
                           "requested_by": requested_by, "terms_of_reference": terms_of_reference, "created_at": now}
        registered = con.execute(
            "SELECT coalesce(max(version), 0) FROM product_version WHERE product_id = ?", [product_id]
        ).fetchone()[0]
    product_folder = store_path(store_dir).resolve() / product_id
    version = registered + 1
    final = product_folder / f"v{version}"
    return DraftSlot(product_id, version, f"{product_id}-v{version}", kind, force, final, now,
                     product_store.staging_folder(final), new_product)


@contextmanager
def writing(slot: DraftSlot) -> Iterator[Path]:
    """A fresh staging folder to render a version into; `record_version` registers it and moves it into place.

    A rendering that fails removes its staging folder; one that is killed leaves it for `recover` to remove.
    """
    if slot.folder.exists():
        raise ReviewError(f"{slot.folder}: version folder already exists; a stored version is never overwritten")
    work = slot.work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, mode=0o755)
    product_store.ACTIVE.add(work)
    try:
        yield work
        faults.point("publish:after-render")
    except BaseException:
        product_store.ACTIVE.discard(work)
        shutil.rmtree(work, ignore_errors=True)
        raise


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
    """Hash the staged files, write the manifest, register the version as DRAFT and move it into the store.

    The registry row and its chained `drafted` event commit in one transaction before the folder is renamed into
    place; a crash between the two is completed by `recover`. Returns the content hash.
    """
    [content] = record_versions(warehouse_file, [(slot, dict(marking=marking, author=author, period_start=period_start,
                                                             period_end=period_end, key_figures=key_figures))])
    if isinstance(content, BaseException):
        raise content
    return content


def record_versions(warehouse_file, staged: list[tuple[DraftSlot, dict]]) -> list[str | BaseException]:
    """record_version for several staged versions (each with its keyword arguments) over one write of the
    warehouse: one lock, one snapshot, each version in its own transaction. Returns each version's content hash,
    or the error that kept that version out (the others are registered all the same)."""
    outcomes: list[str | BaseException | None] = [None] * len(staged)
    manifests: dict[int, dict] = {}
    for index, (slot, _) in enumerate(staged):  # hashing the files needs no lock: done before taking it
        product_store.ACTIVE.add(slot.work)  # registered here, maybe rendered by another process: not debris
        try:
            manifest = build_manifest(slot.work)
            if not manifest:
                raise ReviewError(f"{slot.folder}: holds no files; nothing to register")
            (slot.work / MANIFEST_NAME).write_text(product_store.manifest_text(manifest), encoding="utf-8")
            faults.point("publish:after-files")
            manifests[index] = manifest
        except BaseException as error:
            outcomes[index] = _discard(slot, error)
    committed: list[int] = []
    try:
        if manifests:
            with warehouse.connect(warehouse_file) as con:
                for index, manifest in manifests.items():
                    slot, options = staged[index]
                    try:
                        outcomes[index] = _register(con, slot, manifest, **options)
                        committed.append(index)
                    except Exception as error:
                        outcomes[index] = _discard(slot, error)
        # Moved into place only once the connection closed and published its snapshot: a reader of the snapshot
        # never finds a version folder its registry lacks (recover would set it aside as unregistered).
        for index in committed:
            faults.point("publish:after-commit")
            try:
                staged[index][0].work.rename(staged[index][0].folder)
            except OSError as error:  # registered all the same: recover() moves it into place
                outcomes[index] = error
            faults.point("publish:after-rename")
    except BaseException as error:  # no connection (busy), or interrupted: what did not commit is not kept
        for index in manifests:
            if outcomes[index] is None:
                outcomes[index] = _discard(staged[index][0], error)
        if not isinstance(error, Exception):
            raise
    finally:
        for slot, _ in staged:
            product_store.ACTIVE.discard(slot.work)
    return outcomes


def _discard(slot: DraftSlot, error: BaseException) -> BaseException:
    shutil.rmtree(slot.work, ignore_errors=True)
    return error


def _register(con, slot: DraftSlot, manifest: dict, *, marking: str, author: str, period_start: date | None,
              period_end: date | None, key_figures: dict | None = None) -> str:
    """One staged version and its `drafted` event (and its product row, when new) in one transaction."""
    content = manifest_sha256(manifest)
    taken = con.execute("SELECT count(*) FROM product_version WHERE version_id = ?", [slot.version_id]).fetchone()[0]
    if slot.folder.exists() or taken:
        raise ReviewError(f"{slot.version_id}: another publish of the same product registered this version while "
                          f"this one was rendering; nothing of this draft was kept, run it again for the next version")
    with warehouse.transaction(con):
        if slot.new_product is not None:
            row = slot.new_product
            con.execute(
                "INSERT INTO product (product_id, kind, force, scope_key, title, requested_by, terms_of_reference,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [row["product_id"], row["kind"], row["force"], row["scope_key"], row["title"], row["requested_by"],
                 row["terms_of_reference"], row["created_at"]],
            )
        con.execute(
            "INSERT INTO product_version (version_id, product_id, version, status, marking, author, period_start,"
            " period_end, store_path, content_sha256, manifest_json, key_figures_json, created_at)"
            " VALUES (?, ?, ?, 'DRAFT', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [slot.version_id, slot.product_id, slot.version, marking, author, period_start, period_end,
             str(slot.folder), content, json.dumps(manifest, sort_keys=True),
             json.dumps(key_figures, sort_keys=True, default=str) if key_figures is not None else None,
             slot.created_at],
        )
        _log(con, slot.version_id, "drafted", None, "DRAFT", author, None,
             {"content_sha256": content, "store_path": str(slot.folder), "author": author, "marking": marking})
        faults.point("publish:before-commit")
    return content


def _log(con, version_id: str, action: str, from_status: str | None, to_status: str | None, actor: str,
         comment: str | None, extra: dict | None = None) -> None:
    """One review event, in the `review_event` table (read by `show`) and in the hash-chained `review` stream."""
    con.execute(
        "INSERT INTO review_event (version_id, action, from_status, to_status, actor, comment, event_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [version_id, action, from_status, to_status, actor, comment, datetime.now(timezone.utc)],
    )
    chain.append_event(con, STREAM, actor, {"version_id": version_id, "action": action, "from": from_status,
                                            "to": to_status, "comment": comment, **(extra or {})})


def _version_row(con, version_id: str) -> dict:
    found = con.execute("SELECT * FROM product_version WHERE version_id = ?", [version_id]).df()
    if found.empty:
        raise ReviewError(f"{version_id}: no such product version (see `tasking review list`)")
    return found.iloc[0].to_dict()


def verify(warehouse_file, version_id: str) -> list[str]:
    with warehouse.reading(warehouse_file) as con:
        return integrity_problems(_version_row(con, version_id))


def _refuse(con, row: dict, action: str, to_status: str, reviewer: str, reason: str) -> ReviewError:
    _log(con, row["version_id"], "refused", row["status"], to_status, reviewer, f"refused {action}: {reason}")
    return ReviewError(reason)


def _decide(warehouse_file, version_id: str, to_status: str, reviewer: str, comment: str | None) -> dict:
    if not reviewer or not reviewer.strip():
        raise ReviewError(f"{version_id}: a reviewer name is required")
    reviewer = " ".join(reviewer.split())
    action = {"APPROVED": "approved", "REJECTED": "rejected"}[to_status]
    recover(warehouse_file)
    with warehouse.connect(warehouse_file) as con:
        row = _version_row(con, version_id)
        if row["status"] != "DRAFT":
            when = pd.Timestamp(row["decided_at"]).strftime("%Y-%m-%d %H:%M UTC") if row["decided_at"] is not None else "?"
            reason = (f"{version_id} is {row['status']} (by {row['decided_by']} at {when}); only a DRAFT can be decided"
                      + ("; an approved version can never be changed: generate a new draft instead"
                         if row["status"] == "APPROVED" else ""))
            raise _refuse(con, row, action, to_status, reviewer, reason)
        refusal = reviewers.decision_refusal(con, reviewer, row["author"])
        if refusal:
            raise _refuse(con, row, action, to_status, reviewer, f"{version_id}: {refusal}")
        problems = integrity_problems(row) + row_problems(con, row)
        if problems:
            reason = f"{version_id}: files differ from those drafted, so it cannot be {action}: " + "; ".join(problems)
            _log(con, version_id, "integrity_failed", "DRAFT", None, reviewer, reason)
            raise ReviewError(reason)
        faults.point("approve:after-check")
        if to_status == "APPROVED":
            # Freeze and re-hash before the approval commits: no version is ever APPROVED with writable files.
            folder = Path(row["store_path"])
            product_store.freeze(folder)
            faults.point("approve:after-freeze")
            problems = integrity_problems(row) + [f"{name}: still writable" for name in product_store.unfrozen_files(folder)]
            if problems:
                reason = f"{version_id}: files changed while being frozen, so it cannot be approved: " + "; ".join(problems)
                _log(con, version_id, "integrity_failed", "DRAFT", None, reviewer, reason)
                raise ReviewError(reason)
        now = datetime.now(timezone.utc)
        with warehouse.transaction(con):
            changed = con.execute(
                "UPDATE product_version SET status = ?, decided_at = ?, decided_by = ? WHERE version_id = ? AND status = 'DRAFT'"
                " RETURNING version_id",
                [to_status, now, reviewer, version_id],
            ).fetchall()
            if not changed:
                raise ReviewError(f"{version_id}: was decided by someone else meanwhile")
            _log(con, version_id, action, "DRAFT", to_status, reviewer, comment,
                 {"content_sha256": row["content_sha256"], "role": reviewers.role_of(con, reviewer)})
            faults.point("approve:before-commit")
        faults.point("approve:after-commit")
        return _version_row(con, version_id)


def approve(warehouse_file, version_id: str, reviewer: str, comment: str | None = None) -> dict:
    return _decide(warehouse_file, version_id, "APPROVED", reviewer, comment)


def reject(warehouse_file, version_id: str, reviewer: str, comment: str) -> dict:
    if not comment or not comment.strip():
        raise ReviewError(f"{version_id}: a rejection needs a comment saying what to change")
    return _decide(warehouse_file, version_id, "REJECTED", reviewer, comment)


def list_versions(warehouse_file, *, status: str | None = None, force: str | None = None) -> pd.DataFrame:
    """Every version (newest first) with `integrity`: "ok", or "TAMPERED: <first problem>" after re-checking its
    files' hashes, its manifest and its row against the review log."""
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    with warehouse.reading(warehouse_file) as con:
        listed = con.execute(
            "SELECT v.version_id, p.kind, p.force, v.version, v.status, v.marking, v.period_end, v.author, v.created_at,"
            " v.decided_by, v.decided_at, v.store_path FROM product_version v JOIN product p USING (product_id)"
            " WHERE (CAST(? AS VARCHAR) IS NULL OR v.status = ?) AND (CAST(? AS VARCHAR) IS NULL OR p.force = ?)"
            " ORDER BY v.created_at DESC, v.version_id",
            [status, status, force, force],
        ).df()
        chained = chained_by_version(con)
        integrity = []
        for version_id in listed["version_id"]:
            problems = version_problems(con, _version_row(con, version_id), chained)
            integrity.append("ok" if not problems else f"TAMPERED: {problems[0]}"
                             + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
    listed["integrity"] = integrity
    return listed


def show(warehouse_file, version_id: str) -> dict:
    """The version, its product, its chained review events (with OS users) and every problem found with it."""
    with warehouse.reading(warehouse_file) as con:
        row = _version_row(con, version_id)
        product = con.execute("SELECT * FROM product WHERE product_id = ?", [row["product_id"]]).df().iloc[0].to_dict()
        chained = chained_by_version(con)
        events = pd.DataFrame(
            [{"event_at": e["event_at"], "action": e["payload"].get("action"), "from_status": e["payload"].get("from"),
              "to_status": e["payload"].get("to"), "actor": e["actor"], "os_user": e["os_user"],
              "comment": e["payload"].get("comment")} for e in chained.get(version_id, [])],
            columns=["event_at", "action", "from_status", "to_status", "actor", "os_user", "comment"])
        problems = version_problems(con, row, chained)
    return {"version": row, "product": product, "events": events, "integrity_problems": problems}


def previous_version(warehouse_file, kind: str, force: str, before: datetime) -> dict | None:
    """The latest stored version of this kind for the force created before `before` (any status but REJECTED)."""
    with warehouse.reading(warehouse_file) as con:
        found = con.execute(
            "SELECT v.* FROM product_version v JOIN product p USING (product_id)"
            " WHERE p.kind = ? AND p.force = ? AND v.created_at < ? AND v.status <> 'REJECTED'"
            " ORDER BY v.created_at DESC LIMIT 1",
            [kind, force, before],
        ).df()
    return None if found.empty else found.iloc[0].to_dict()
