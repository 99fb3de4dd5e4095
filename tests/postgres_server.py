"""A real PostgreSQL server for the tests, from Debian's package (`postgresql`, installed by `make test`): a fresh
cluster in a temporary folder, listening on 127.0.0.1 on a free port with trust authentication, stopped at the
end of the session. As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).

`postgres_url` (a session fixture in conftest) gives the server's URL; `fresh_database(url)` a new empty database
on it, so tests never share state.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def available() -> bool:
    return _bin() is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextmanager
def running_server() -> Iterator[str]:
    """Start a throwaway cluster; yields its SQLAlchemy URL (database `postgres`, user `postgres`)."""
    bin_dir = _bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's `postgresql` (make test does)")
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="tasking-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    user = "postgres" if owner else pwd.getpwuid(os.geteuid()).pw_name
    port = _free_port()
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                              "--no-sync", "-E", "UTF8", "--locale=C"], owner),
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} -c fsync=off"
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                              "-l", str(root / "server.log"), "start"], owner), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], owner),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
