"""A stand-in for data.police.uk on 127.0.0.1, serving archives built from the real files in ../shared/data.

It answers the paths the client uses, records when each request arrived (to count requests per second), and
can be told to misbehave: answer a path with a scripted status first (e.g. 429 with Retry-After), or send an
archive cut short.
"""
from __future__ import annotations

import csv
import json
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlparse

from sources.police_uk import parse_file_name
from tasking.config import POLICE_UK_FORCES


def build_archive(target: Path, files: list[Path]) -> Path:
    """A zip laid out like data.police.uk's archive: `YYYY-MM/YYYY-MM-<force>-<kind>.csv`, the real bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, f"{path.name[:7]}/{path.name}")
    return target


def inside(polygon: list[tuple[float, float]], lat: float, lng: float) -> bool:
    """Ray casting: is (lat, lng) inside the polygon of (lat, lng) points."""
    hit = False
    for (lat1, lng1), (lat2, lng2) in zip(polygon, polygon[1:] + polygon[:1]):
        if (lng1 > lng) != (lng2 > lng) and lat < (lat2 - lat1) * (lng - lng1) / (lng2 - lng1) + lat1:
            hit = not hit
    return hit


@dataclass
class Scripted:
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class FakePoliceUk:
    last_updated: str = "2024-08-01"
    archives: dict[str, bytes] = field(default_factory=dict)     # "2024-08.zip" -> bytes
    street_files: dict[str, Path] = field(default_factory=dict)  # "2024-08" -> a street CSV answering crimes-street
    scripted: list[Scripted] = field(default_factory=list)
    cut_archives_short: bool = False
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic time, method, path)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def add_archive(self, path: Path) -> None:
        self.archives[path.name] = path.read_bytes()

    def script(self, path: str, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.scripted.append(Scripted(path, status, headers or {}, body))

    def hits(self, path_prefix: str) -> int:
        return sum(1 for _, _, path in self.requests if path.startswith(path_prefix))

    def busiest_second(self) -> int:
        """The most requests that arrived within any one-second window."""
        times = sorted(t for t, _, _ in self.requests)
        busiest, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        return busiest

    def crimes_in(self, month: str, polygon: list[tuple[float, float]]) -> list[dict]:
        source = self.street_files[month]
        with open(source, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        found = []
        for row in rows:
            if not row["Latitude"]:
                continue
            lat, lng = float(row["Latitude"]), float(row["Longitude"])
            if inside(polygon, lat, lng):
                found.append({"category": row["Crime type"], "persistent_id": row["Crime ID"], "month": month,
                              "location": {"latitude": row["Latitude"], "longitude": row["Longitude"],
                                           "street": {"name": row["Location"]}}})
        return found


def _handler(state: FakePoliceUk):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _reply(self, status: int, body: bytes, content_type: str = "application/json",
                   headers: dict[str, str] | None = None, send: bytes | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if send is not None:
                # Announce the whole body, send part of it, and hang up.
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(send)
                self.wfile.flush()
                self.close_connection = True
                return
            self.end_headers()
            self.wfile.write(body)

        def _json(self, value) -> None:
            self._reply(200, json.dumps(value).encode())

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            with state.lock:
                state.requests.append((time.monotonic(), method, url.path))
                scripted = next((s for s in state.scripted if url.path.startswith(s.path)), None)
                if scripted:
                    state.scripted.remove(scripted)
            if scripted:
                self._reply(scripted.status, scripted.body, headers=scripted.headers)
                return
            if url.path == "/api/crime-last-updated":
                self._json({"date": state.last_updated})
            elif url.path == "/api/forces":
                self._json([{"id": slug, "name": name} for slug, name in POLICE_UK_FORCES.items() if slug != "btp"])
            elif url.path.startswith("/api/crimes-street/"):
                if method == "POST":
                    length = int(self.headers.get("Content-Length", 0))
                    query = parse_qs(self.rfile.read(length).decode())
                else:
                    query = parse_qs(url.query)
                if len(self.path) > 4094:
                    self._reply(400, b"request URI too long")
                    return
                polygon = [tuple(map(float, point.split(","))) for point in query["poly"][0].split(":")]
                self._json(state.crimes_in(query["date"][0], polygon))
            elif url.path.startswith("/data/archive/") and url.path.rsplit("/", 1)[-1] in state.archives:
                body = state.archives[url.path.rsplit("/", 1)[-1]]
                self._reply(200, body, "application/zip", send=body[: len(body) // 2] if state.cut_archives_short else None)
            else:
                self._reply(404, b'{"error": "not found"}')

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@contextmanager
def serve(state: FakePoliceUk | None = None) -> Iterator[FakePoliceUk]:
    """Run the stand-in on a free port of 127.0.0.1 for the duration of the block."""
    state = state or FakePoliceUk()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def published_files(folder: Path, months: list[str]) -> list[Path]:
    """The real files in `folder` for the given months, by their published names."""
    return sorted(p for p in folder.glob("*.csv") if parse_file_name(p.name) and p.name[:7] in months)
