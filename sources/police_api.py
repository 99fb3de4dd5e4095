"""A client for data.police.uk: the monthly archive zips and the API (last updated, forces, street crimes).

data.police.uk allows 15 requests a second with a burst of 30 and answers 429 beyond that; every request
here waits on a token bucket with those figures, and 429 and 5xx answers are retried with exponential
backoff, honouring `Retry-After`. An archive is streamed to a temporary file beside its destination and
renamed into place only after it is verified (length as announced, every zip member's CRC, every CSV's
published header), so a truncated or corrupt download never reaches ingest.
"""
from __future__ import annotations

import email.utils
import logging
import os
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from sources.police_uk import COLUMNS, parse_file_name

DEFAULT_BASE_URL = "https://data.police.uk"
PUBLISHED_RATE_PER_SECOND = 15.0
PUBLISHED_BURST = 30
# data.police.uk answers 400 to a GET longer than this; longer polygons go in a POST body.
MAX_GET_URL_LENGTH = 4094
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Each retry is logged here; flows send the `tasking` loggers to the Prefect run's log (docs/operations.md).
logger = logging.getLogger("tasking.police_api")


class PoliceApiError(Exception):
    """A request that did not succeed; the message names the URL and what went wrong."""


class DownloadRejected(PoliceApiError):
    """A download that arrived but failed verification; nothing was written to its destination."""


class _Retryable(Exception):
    """One attempt that may succeed if tried again (429, 5xx, a dropped or cut-short transfer)."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.retry_after = retry_after


class TokenBucket:
    """At most `burst` requests at once, refilled at `rate` a second; thread-safe, blocks until a token is free."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        # Holding the lock while sleeping queues callers in order instead of letting them race for tokens.
        with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                # The tolerance stops float rounding from asking for a sleep too short to move the clock.
                if self._tokens >= 1 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                self._sleep((1 - self._tokens) / self.rate)


def month_text(month: date | str) -> str:
    """'YYYY-MM' from a date or a 'YYYY-MM[-DD]' string."""
    if isinstance(month, date):
        return month.strftime("%Y-%m")
    text = str(month)[:7]
    datetime.strptime(text, "%Y-%m")
    return text


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None when absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


@dataclass(frozen=True)
class VerifiedArchive:
    path: Path
    bytes: int
    members: int          # published CSV files inside
    months: tuple[str, ...]
    forces: tuple[str, ...]


def verify_archive(path: Path, where: str) -> VerifiedArchive:
    """Check an archive zip completely: readable, every member's CRC, every published CSV's header.

    Raises DownloadRejected naming `where` and the first problem.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            if broken is not None:
                raise DownloadRejected(f"{where}: archive member {broken} is corrupt (CRC mismatch)")
            months, forces, members = set(), set(), 0
            for info in archive.infolist():
                parsed = parse_file_name(info.filename)
                if info.is_dir() or parsed is None:
                    continue
                kind, force, month = parsed
                expected = ",".join(published for published, _, _ in COLUMNS[kind])
                with archive.open(info) as member:
                    first_line = member.readline().decode("utf-8-sig", errors="replace").rstrip("\r\n")
                if first_line != expected:
                    raise DownloadRejected(f"{where}: {info.filename} does not start with the published {kind} header")
                members += 1
                months.add(month.strftime("%Y-%m"))
                forces.add(force)
    except zipfile.BadZipFile as error:
        raise DownloadRejected(f"{where}: not a complete zip archive ({error})") from error
    except (OSError, EOFError, zipfile.LargeZipFile) as error:
        raise DownloadRejected(f"{where}: archive cannot be read ({error})") from error
    if members == 0:
        raise DownloadRejected(f"{where}: archive holds no data.police.uk CSV files")
    return VerifiedArchive(path, path.stat().st_size, members, tuple(sorted(months)), tuple(sorted(forces)))


class PoliceApiClient:
    """data.police.uk over HTTP, rate limited and retrying. Use as a context manager or call close()."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        rate_per_second: float = PUBLISHED_RATE_PER_SECOND,
        burst: int = PUBLISHED_BURST,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        timeout_seconds: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.bucket = TokenBucket(rate_per_second, burst)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_seconds),
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": "tasking (NIM products pipeline)"},
        )

    @classmethod
    def from_config(cls, config) -> "PoliceApiClient":
        api = config.police_api
        return cls(api.base_url, rate_per_second=api.rate_per_second, burst=api.burst,
                   max_retries=api.max_retries, timeout_seconds=api.timeout_seconds)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "PoliceApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------------------------------

    def _retrying(self, what: str) -> Retrying:
        """tenacity's retry loop for one request: up to max_retries more attempts after _Retryable, waiting
        backoff_seconds * 2^n (capped), or what Retry-After said, and logging every attempt that failed."""

        def wait(state: RetryCallState) -> float:
            told = state.outcome.exception().retry_after
            delay = told if told is not None else self.backoff_seconds * 2 ** (state.attempt_number - 1)
            return min(delay, self.max_backoff_seconds)

        def before_sleep(state: RetryCallState) -> None:
            logger.warning("%s: %s (attempt %d of %d); retrying in %.1f s", what, state.outcome.exception(),
                           state.attempt_number, self.max_retries + 1, state.next_action.sleep)

        return Retrying(stop=stop_after_attempt(self.max_retries + 1), wait=wait, sleep=self._sleep,
                        retry=retry_if_exception_type(_Retryable), before_sleep=before_sleep, reraise=True)

    def _attempt(self, method: str, path: str, stream: bool, **kwargs) -> httpx.Response:
        self.bucket.acquire()
        try:
            response = self._http.send(self._http.build_request(method, path, **kwargs), stream=stream)
        except httpx.TransportError as error:
            raise _Retryable(f"{type(error).__name__}: {error}") from error
        if response.status_code in RETRY_STATUSES:
            response.close()
            raise _Retryable(f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")))
        if response.status_code >= 400:
            response.read()
            response.close()
            raise PoliceApiError(f"{method} {self.base_url}{path}: HTTP {response.status_code} {response.text[:200]!r}")
        return response

    def _send(self, method: str, path: str, *, stream: bool = False, **kwargs) -> httpx.Response:
        """One request with rate limiting and retries; a streamed response must be closed by the caller."""
        url = f"{self.base_url}{path}"
        try:
            return self._retrying(f"{method} {url}")(self._attempt, method, path, stream, **kwargs)
        except _Retryable as error:
            raise PoliceApiError(f"{method} {url}: gave up after {self.max_retries + 1} attempts (last: {error})") from None

    def _json(self, method: str, path: str, **kwargs):
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            raise PoliceApiError(f"{method} {self.base_url}{path}: answer is not JSON ({error})") from error

    # -- API ------------------------------------------------------------------------------------------------

    def last_updated(self) -> date:
        """The month data.police.uk's street crime data was last updated to (the first of that month)."""
        body = self._json("GET", "/api/crime-last-updated")
        try:
            return date.fromisoformat(str(body["date"])[:10])
        except (KeyError, TypeError, ValueError) as error:
            raise PoliceApiError(f"{self.base_url}/api/crime-last-updated: unexpected answer {body!r}") from error

    def forces(self) -> list[dict[str, str]]:
        """[{'id': slug, 'name': name}, ...] as published (British Transport Police is not in this list)."""
        body = self._json("GET", "/api/forces")
        if not isinstance(body, list) or not all(isinstance(f, dict) and "id" in f for f in body):
            raise PoliceApiError(f"{self.base_url}/api/forces: unexpected answer {str(body)[:200]!r}")
        return body

    def street_crimes(self, polygon: Iterable[tuple[float, float]], month: date | str,
                      category: str = "all-crime") -> list[dict]:
        """Street crimes of one month inside a polygon of (latitude, longitude) points.

        Long polygons go in a POST body, as a GET over 4,094 characters is refused.
        """
        points = list(polygon)
        if len(points) < 3:
            raise ValueError("a polygon needs at least three (latitude, longitude) points")
        poly = ":".join(f"{lat:.6f},{lng:.6f}" for lat, lng in points)
        params = {"poly": poly, "date": month_text(month)}
        path = f"/api/crimes-street/{category}"
        url_length = len(str(httpx.URL(f"{self.base_url}{path}", params=params)))
        try:
            if url_length <= MAX_GET_URL_LENGTH:
                body = self._json("GET", path, params=params)
            else:
                body = self._json("POST", path, data=params)
        except PoliceApiError as error:
            if "HTTP 503" in str(error):
                raise PoliceApiError(f"{error} (data.police.uk answers 503 to an area with over 10,000 crimes:"
                                     " use a smaller polygon or the monthly archive)") from error
            raise
        if not isinstance(body, list):
            raise PoliceApiError(f"{self.base_url}{path}: unexpected answer {str(body)[:200]!r}")
        return body

    # -- archive --------------------------------------------------------------------------------------------

    def download_archive(self, month: date | str, dest_dir: str | os.PathLike) -> VerifiedArchive:
        """Download `/data/archive/YYYY-MM.zip` to `dest_dir/YYYY-MM.zip`, verified, or raise.

        An archive already there and verifying is reused. A transfer cut short is retried like a 5xx; one that
        keeps failing, or arrives complete but corrupt, raises DownloadRejected and leaves no file behind.
        """
        name = f"{month_text(month)}.zip"
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        final = dest_dir / name
        path = f"/data/archive/{name}"
        url = f"{self.base_url}{path}"
        if final.exists():
            try:
                return verify_archive(final, str(final))
            except DownloadRejected:
                final.unlink()

        try:
            return self._retrying(f"GET {url}")(self._download_once, path, url, dest_dir, name, final)
        except _Retryable as error:
            raise DownloadRejected(f"{url}: rejected after {self.max_retries + 1} attempts: {error}") from None

    def _download_once(self, path: str, url: str, dest_dir: Path, name: str, final: Path) -> VerifiedArchive:
        """One transfer to a hidden .part file, verified and renamed into place; _Retryable when cut short."""
        response = self._send("GET", path, stream=True)
        handle = tempfile.NamedTemporaryFile(dir=dest_dir, prefix=f".{name}.", suffix=".part", delete=False)
        temporary = Path(handle.name)
        try:
            try:
                received = 0
                with handle:
                    for chunk in response.iter_bytes(1 << 20):
                        handle.write(chunk)
                        received += len(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
            finally:
                response.close()
            announced = response.headers.get("Content-Length")
            if announced is not None and int(announced) != received:
                raise _Retryable(f"received {received:,} bytes of the {int(announced):,} announced")
            # A complete transfer that fails verification would fail again: no retry.
            verified = verify_archive(temporary, url)
            os.replace(temporary, final)
            return VerifiedArchive(final, verified.bytes, verified.members, verified.months, verified.forces)
        except httpx.TransportError as error:
            raise _Retryable(f"transfer cut short ({type(error).__name__}: {error})") from error
        finally:
            temporary.unlink(missing_ok=True)
