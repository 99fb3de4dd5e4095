"""The data.police.uk client against a local stand-in serving archives built from the real shared files."""
from __future__ import annotations

import threading
import zipfile
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

import duckdb
import pytest

from sources.police_api import (
    PUBLISHED_BURST,
    PUBLISHED_RATE_PER_SECOND,
    DownloadRejected,
    PoliceApiClient,
    PoliceApiError,
    TokenBucket,
    retry_after_seconds,
)
from tasks.ingest import ingest_paths

from shared_paths import CITY_OF_LONDON, NORTHUMBRIA
from police_server import FakePoliceUk, build_archive, published_files, serve

MONTHS = ["2024-06", "2024-07", "2024-08"]


@pytest.fixture
def archive(tmp_path):
    files = published_files(CITY_OF_LONDON, MONTHS) + published_files(NORTHUMBRIA, ["2022-09"])
    return build_archive(tmp_path / "built" / "2024-08.zip", files)


@pytest.fixture
def server(archive):
    state = FakePoliceUk(street_files={"2024-08": CITY_OF_LONDON / "2024-08-city-of-london-street.csv"})
    state.add_archive(archive)
    with serve(state) as running:
        yield running


def client_for(server, **kwargs) -> PoliceApiClient:
    kwargs.setdefault("sleep", lambda seconds: None)
    return PoliceApiClient(server.base_url, **kwargs)


def test_token_bucket_allows_the_burst_then_the_rate():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    bucket = TokenBucket(15, 30, clock=lambda: clock[0], sleep=sleep)
    for _ in range(30):
        bucket.acquire()
    assert clock[0] == 0.0
    for _ in range(15):
        bucket.acquire()
    assert clock[0] == pytest.approx(1.0)
    assert all(s == pytest.approx(1 / 15) for s in slept)


def test_rate_limit_holds_against_the_server(server):
    requests, threads = 60, 4
    with PoliceApiClient(server.base_url) as client:
        def work(n):
            for _ in range(n):
                client.forces()

        workers = [threading.Thread(target=work, args=(requests // threads,)) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert server.hits("/api/forces") == requests
    # Any one second may hold the burst plus a second's refill (45). The server stamps arrival, not sending, so
    # 0.2 s of scheduling delay on a loaded machine (3 requests at 15/s) is allowed for. Unlimited, all 60
    # arrive within one second (measured: 60 in 0.8 s; limited: 45 at most in any second, 60 in 2.05 s).
    assert server.busiest_second() <= PUBLISHED_BURST + PUBLISHED_RATE_PER_SECOND + 3


def test_429_is_retried_after_the_time_the_server_asks(server):
    server.script("/api/crime-last-updated", 429, {"Retry-After": "7"})
    slept = []
    with client_for(server, sleep=slept.append) as client:
        assert client.last_updated() == date(2024, 8, 1)
    assert server.hits("/api/crime-last-updated") == 2
    assert slept == [7.0]


def test_5xx_backs_off_exponentially_then_gives_up_naming_the_url(server, caplog):
    for _ in range(3):
        server.script("/api/forces", 502)
    slept = []
    with client_for(server, sleep=slept.append, max_retries=2, backoff_seconds=0.5) as client:
        with pytest.raises(PoliceApiError, match=r"/api/forces: gave up after 3 attempts \(last: HTTP 502\)"):
            client.forces()
    assert slept == [0.5, 1.0]
    assert server.hits("/api/forces") == 3
    # Each retry is logged as it happens (flows send these to the Prefect run's log), not only the last error.
    retries = [r.getMessage() for r in caplog.records if r.name == "tasking.police_api"]
    assert retries == [f"GET {server.base_url}/api/forces: HTTP 502 (attempt {n} of 3); retrying in {s} s"
                       for n, s in ((1, "0.5"), (2, "1.0"))]


def test_retry_after_as_an_http_date():
    now = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=12), usegmt=True), now) == 12
    assert retry_after_seconds("soon", now) is None


def test_forces_and_a_client_error_are_reported(server):
    with client_for(server) as client:
        slugs = {force["id"] for force in client.forces()}
        assert {"city-of-london", "northumbria"} <= slugs
        with pytest.raises(PoliceApiError, match="HTTP 404"):
            client._json("GET", "/api/no-such-thing")


def test_long_polygon_is_posted_and_finds_the_same_crimes(server):
    south, north, west, east = 51.510, 51.520, -0.100, -0.080
    square = [(south, west), (north, west), (north, east), (south, east)]
    # The same square with 200 points on each side: too long for a GET.
    steps = 200
    dense = (
        [(south + (north - south) * i / steps, west) for i in range(steps)]
        + [(north, west + (east - west) * i / steps) for i in range(steps)]
        + [(north - (north - south) * i / steps, east) for i in range(steps)]
        + [(south, east - (east - west) * i / steps) for i in range(steps)]
    )
    with client_for(server) as client:
        by_get = client.street_crimes(square, "2024-08")
        by_post = client.street_crimes(dense, "2024-08")
    methods = [method for _, method, path in server.requests if path.startswith("/api/crimes-street/")]
    assert methods == ["GET", "POST"]
    assert by_get, "the square over the City should hold crimes"
    assert sorted(c["persistent_id"] for c in by_post) == sorted(c["persistent_id"] for c in by_get)


def test_archive_download_is_verified_and_renamed_into_place(server, tmp_path):
    downloads = tmp_path / "downloads"
    with client_for(server) as client:
        verified = client.download_archive("2024-08", downloads)
    assert verified.path == downloads / "2024-08.zip"
    assert verified.months == ("2022-09", "2024-06", "2024-07", "2024-08")
    assert verified.forces == ("city-of-london", "northumbria")
    assert verified.members == len(zipfile.ZipFile(verified.path).namelist()) == 6
    assert sorted(p.name for p in downloads.iterdir()) == ["2024-08.zip"]


def test_truncated_download_is_rejected_and_nothing_is_ingested(server, tmp_path):
    server.cut_archives_short = True
    downloads = tmp_path / "downloads"
    warehouse_file = tmp_path / "warehouse.duckdb"
    with client_for(server, max_retries=2) as client:
        with pytest.raises(DownloadRejected, match="2024-08.zip: rejected after 3 attempts: transfer cut short"):
            client.download_archive("2024-08", downloads)
    assert server.hits("/data/archive/2024-08.zip") == 3
    assert list(downloads.iterdir()) == []
    report = ingest_paths([downloads], warehouse_file, gate=None)
    assert report.batches == []
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM street_crime").fetchone()[0] == 0


def test_complete_but_corrupt_archive_is_rejected_without_retrying(server, archive, tmp_path):
    whole = archive.read_bytes()
    server.archives["2024-08.zip"] = whole[: len(whole) - 200]  # announced length matches what is sent
    downloads = tmp_path / "downloads"
    with client_for(server) as client:
        with pytest.raises(DownloadRejected, match="not a complete zip archive"):
            client.download_archive("2024-08", downloads)
    assert server.hits("/data/archive/") == 1
    assert list(downloads.iterdir()) == []


def test_archive_with_a_wrong_header_is_rejected(server, tmp_path):
    mislabelled = tmp_path / "2024-08-mislabelled.zip"
    with zipfile.ZipFile(mislabelled, "w") as archive:
        # A real street file under an outcomes name.
        archive.write(CITY_OF_LONDON / "2024-08-city-of-london-street.csv", "2024-08/2024-08-city-of-london-outcomes.csv")
    server.archives["2024-08.zip"] = mislabelled.read_bytes()
    with client_for(server) as client:
        with pytest.raises(DownloadRejected, match="2024-08-city-of-london-outcomes.csv does not start with the published outcomes header"):
            client.download_archive("2024-08", tmp_path / "downloads")
