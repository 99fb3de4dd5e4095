"""The product store on disk: staging a version's files, moving them into place, freezing them, and tidying up
after a crash.

A version is rendered into a hidden staging folder beside its final place
(`<product>/.v<N>.staging-<pid>-<token>`), its manifest (every file's sha256) written there, the registry row
committed in the warehouse, and only then is the staging folder renamed to `v<N>`. So a crash leaves one of three states, each put right by `tidy` at the
start of the next publish or review command:

- a staging folder and no registry row (crashed while rendering or before the commit): removed;
- a registry row and a staging folder holding exactly the registered manifest (crashed between commit and
  rename): renamed into place, completing the publish;
- a `v<N>` folder with no registry row (left by older versions of tasking, or copied in by hand): moved out of
  the store into `<store>/.unregistered/`, so the next build of that product is still `v<N>`.

Staging folders of a process that is still running are left alone (it may be mid-publish).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

from sources.police_uk import sha256_of
from tasking.processes import process_alive

MANIFEST_NAME = "manifest.json"
UNREGISTERED = ".unregistered"
# .v<N>.staging-<registering pid>[-r<rendering pid, when another process>]-<token>
_STAGING = re.compile(r"^\.v(\d+)\.staging-(\d+)(?:-r(\d+))?(?:-[0-9a-f]+)?$")
_OLD_TEMPORARY = re.compile(r"^\.v(\d+)-[A-Za-z0-9_]+$")  # tempfile.mkdtemp folders of earlier releases
_VERSION = re.compile(r"^v(\d+)$")
WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
# Staging folders this process is rendering into or registering right now (a flow may build several at once).
ACTIVE: set[Path] = set()
# The process that registers what this one renders, when another: a fan-out's workers render, its flow registers
# (flows.fanout sets it in each worker), so a staging folder stays someone's for as long as that process lives.
REGISTRAR_PID: int | None = None


def staging_folder(final: Path) -> Path:
    """A staging folder for one publish: the pid says whose it is (the registering process; then the rendering
    one, when another), the token keeps two publishes apart."""
    renderer = f"-r{os.getpid()}" if REGISTRAR_PID and REGISTRAR_PID != os.getpid() else ""
    return final.parent / f".{final.name}.staging-{REGISTRAR_PID or os.getpid()}{renderer}-{secrets.token_hex(4)}"


def build_manifest(folder: Path) -> dict[str, str]:
    """{relative path: sha256} for every file in a version folder except the manifest itself."""
    return {
        path.relative_to(folder).as_posix(): sha256_of(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


def manifest_sha256(manifest: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode("utf-8")).hexdigest()


def manifest_text(manifest: dict[str, str]) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def integrity_problems(folder: Path, recorded: dict[str, str]) -> list[str]:
    """What in `folder` no longer matches the recorded manifest, the manifest file included (empty when intact)."""
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
    manifest_file = folder / MANIFEST_NAME
    try:
        on_disk = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        on_disk = None
    if on_disk != recorded:
        problems.append(f"{MANIFEST_NAME}: missing or changed (it no longer lists the registered hashes)")
    return problems


def freeze(folder: Path) -> None:
    """Make every file of a version read-only for everyone, so an editor or a script cannot change one by accident."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def unfrozen_files(folder: Path) -> list[str]:
    """Files of an approved version that are writable again (someone undid the freeze)."""
    if not folder.is_dir():
        return []
    return [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.stat().st_mode & WRITE_BITS]


def _alive(pid: int, renderer: int | None, folder: Path) -> bool:
    """Whether a staging folder is still someone's: its registering process lives (for that process itself: the
    folder is one it holds, or another process still renders into it for it)."""
    if pid == os.getpid():
        return folder in ACTIVE or (renderer is not None and process_alive(renderer))
    return process_alive(pid)


def _remove(folder: Path) -> None:
    for path in folder.rglob("*"):  # frozen files are read-only; their folders may be too
        if path.is_dir():
            path.chmod(0o755)
    folder.chmod(0o755)
    shutil.rmtree(folder)


def tidy(product_folders: set[Path], registered: dict[tuple[str, int], dict]) -> list[str]:
    """Put right what crashed publishes left in these product folders; returns one sentence per action taken.

    `registered` maps (product_id, version) to the registry row (`store_path`, `manifest_json`).
    """
    actions: list[str] = []
    for product_folder in sorted(product_folders):
        if not product_folder.is_dir():
            continue
        product_id = product_folder.name
        for entry in sorted(product_folder.iterdir()):
            staging = _STAGING.match(entry.name)
            old_temporary = _OLD_TEMPORARY.match(entry.name)
            final = _VERSION.match(entry.name)
            if staging and entry.is_dir():
                version, pid = int(staging.group(1)), int(staging.group(2))
                if _alive(pid, int(staging.group(3)) if staging.group(3) else None, entry):
                    continue
                row = registered.get((product_id, version))
                target = product_folder / f"v{version}"
                if row is not None and not target.exists() and Path(row["store_path"]) == target \
                        and build_manifest(entry) == json.loads(row["manifest_json"]):
                    entry.rename(target)
                    actions.append(f"{target}: completed a publish that stopped after registering (folder moved into place)")
                else:
                    _remove(entry)
                    actions.append(f"{entry}: removed the files of a publish that stopped before registering")
            elif old_temporary and entry.is_dir():
                _remove(entry)
                actions.append(f"{entry}: removed a temporary folder left by an interrupted rendering")
            elif final and entry.is_dir() and (product_id, int(final.group(1))) not in registered:
                actions.append(_set_aside(entry))
    return actions


def _set_aside(folder: Path) -> str:
    """Move an unregistered version folder out of the store (empty ones are simply removed)."""
    if not any(folder.iterdir()):
        folder.rmdir()
        return f"{folder}: removed an empty version folder no registry row knows"
    store = folder.parent.parent
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = store / UNREGISTERED / f"{folder.parent.name}-{folder.name}-{stamp}"
    target.parent.mkdir(parents=True, exist_ok=True)
    folder.rename(target)
    return f"{folder}: no registry row knows this version; moved to {target} (its number will be reused)"
