"""A real Prefect server for tests: `prefect server start` on 127.0.0.1 with its own PREFECT_HOME, and a tiny
webhook receiver on 127.0.0.1 that records what Prefect's notifications POST to it. Every wait is bounded."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import httpx

STARTUP_SECONDS = 150  # a two-core CI machine shared with other work takes 30-60 s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], seconds: float, what: str, every: float = 0.5):
    """Poll `check` until it returns something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """Start a Prefect server; yields its API URL. Late runs are marked after 3 s (Prefect's default is 15 s) and
    the scheduler is off, so only the runs a test makes exist."""
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "3", "PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS": "1",
           "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false", "PREFECT_UI_URL": f"http://127.0.0.1:{port}"}
    env.pop("PREFECT_API_URL", None)
    log = open(home / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"

    def healthy():
        if server.poll() is not None:
            raise AssertionError(f"prefect server exited ({server.returncode}); see {home / 'server.log'}")
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, STARTUP_SECONDS, f"the Prefect server on port {port}", every=1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


class Webhook:
    """Records the JSON bodies POSTed to it."""

    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.url = ""

    def matching(self, text: str) -> list[dict]:
        with self.lock:
            return [m for m in self.received if text in m.get("subject", "") + m.get("body", "")]


@contextmanager
def webhook_receiver() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with hook.lock:
                hook.received.append(json.loads(body or b"{}"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
