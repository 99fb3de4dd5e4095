"""The subject store's file at rest: encrypted with Fernet (AES-128-CBC with an HMAC-SHA256, from the
`cryptography` package) under a key from `$TASKING_SUBJECTS_KEY`, so no process without the key (a DuckDB
shell, a backup reader, a copy of the file) can read a nominal.

A session decrypts the store into a private folder in memory (`/dev/shm` when there is one), opens DuckDB on
that copy, and writes it back encrypted (written aside, fsynced, renamed over the store) when it ends, and
whenever `persist` is called mid-session. Sessions queue on `<store>.lock`; plaintext a killed session left
is removed at the next start. A store from before encryption (a plain DuckDB file) is read as it is and
encrypted when its first session ends.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import duckdb
from cryptography.fernet import Fernet, InvalidToken
from tasking.processes import process_alive

KEY_ENV = "TASKING_SUBJECTS_KEY"
ENCRYPTED_HEADER = b"TASKING-SUBJECTS-FERNET-1\n"
LOCK_WAIT_SECONDS = 120


class SubjectAccessError(Exception):
    """A read or store operation that is not allowed; the message says which and why."""


def new_key() -> str:
    """A fresh key for `$TASKING_SUBJECTS_KEY` (keep it in the force's secret store, not beside the file)."""
    return Fernet.generate_key().decode("ascii")


def _cipher() -> Fernet:
    key = os.environ.get(KEY_ENV)
    if not key:
        raise SubjectAccessError(
            f"the subject store is encrypted and {KEY_ENV} is not set; set it to the store's key "
            f"(a new store: make a key with `tasking subjects new-key`)")
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SubjectAccessError(f"{KEY_ENV} is not a valid key (expected 32 url-safe base64-encoded bytes, "
                                 f"as `tasking subjects new-key` prints)") from None


def plaintext_root() -> Path:
    """Memory-backed when possible, so decrypted nominals never reach a disk."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def _remove_stale_plaintext() -> None:
    for folder in plaintext_root().glob("tasking-subjects-*"):
        try:
            pid = int(folder.name.split("-")[2])
        except (ValueError, IndexError):
            continue
        if not process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _store_lock(target: Path) -> Iterator[None]:
    """One tasking session at a time on a store (each rewrites the whole encrypted file); others wait."""
    lock = target.with_name(target.name + ".lock")
    handle = open(lock, "a+")
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SubjectAccessError(f"{target}: another tasking process has held the subject store for "
                                             f"{LOCK_WAIT_SECONDS} s; try again when it has finished") from None
                time.sleep(0.1)
        yield
    finally:
        handle.close()


def _decrypt_into(target: Path, plain: Path, cipher: Fernet) -> bool:
    """Write the store's plaintext to `plain`; returns True when the store was not yet encrypted."""
    data = target.read_bytes()
    if data.startswith(ENCRYPTED_HEADER):
        try:
            plain.write_bytes(cipher.decrypt(data[len(ENCRYPTED_HEADER):]))
        except InvalidToken:
            raise SubjectAccessError(f"{target}: {KEY_ENV} is not the key this subject store was encrypted with "
                                     f"(or the file has been altered)") from None
        return False
    if data[8:12] == b"DUCK":  # a store written before encryption: encrypted when this session ends
        plain.write_bytes(data)
        return True
    raise SubjectAccessError(f"{target}: not a subject store (neither an encrypted store nor a DuckDB file)")


def _encrypt_back(plain: Path, target: Path, cipher: Fernet) -> None:
    token = cipher.encrypt(plain.read_bytes())
    aside = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(aside, "wb") as handle:
        handle.write(ENCRYPTED_HEADER + token)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(aside, 0o600)
    os.replace(aside, target)


_SAVERS: dict[int, Callable[[], None]] = {}


def persist(con: duckdb.DuckDBPyConnection) -> None:
    """Write the session's store back (encrypted) now: called after an audit row, before any data is released."""
    _SAVERS[id(con)]()


@contextmanager
def encrypted_session(target: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, bool]]:
    """(connection on the decrypted copy, whether the store was still unencrypted) for one locked session; the
    copy is written back encrypted and removed when the session ends, even by an error (a refused read is
    still logged)."""
    cipher = _cipher()
    _remove_stale_plaintext()
    with _store_lock(target):
        work = Path(tempfile.mkdtemp(prefix=f"tasking-subjects-{os.getpid()}-", dir=plaintext_root()))
        try:
            plain = work / "subjects.duckdb"
            was_plain = target.exists() and _decrypt_into(target, plain, cipher)
            con = duckdb.connect(str(plain))

            def save() -> None:
                con.execute("CHECKPOINT")
                _encrypt_back(plain, target, cipher)

            _SAVERS[id(con)] = save
            try:
                yield con, was_plain
            finally:
                _SAVERS.pop(id(con), None)
                con.close()
                _encrypt_back(plain, target, cipher)
        finally:
            shutil.rmtree(work, ignore_errors=True)
