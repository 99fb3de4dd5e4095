"""Fetch what data.police.uk has published that the warehouse lacks: ask what is published, download the month's
archive, and extract the configured forces' files for ingest.

What the site said is recorded in `publication_check` (migration 004), so health can compare the latest month
loaded per force with the latest month published.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path, PurePosixPath

from sources.police_api import PoliceApiClient, VerifiedArchive
from sources.police_uk import parse_file_name
from tasking import warehouse
from tasking.config import TaskingConfig


@dataclass
class Publication:
    latest_month: date                       # data.police.uk's crime-last-updated month
    loaded: dict[str, date | None]           # configured force -> latest street month in the warehouse
    # Configured force -> the latest month that month's archive was seen to hold for it, when it was already
    # fetched: a force that publishes late or not at all (whole force-months are missing) is not fetched again.
    in_archive: dict[str, date] = field(default_factory=dict)
    missing_from_api: list[str] = field(default_factory=list)  # configured forces /api/forces does not list

    def expected(self, force: str) -> date:
        return self.in_archive.get(force, self.latest_month)

    @property
    def behind(self) -> list[str]:
        """Forces whose latest loaded street month is older than what is published for them."""
        return [force for force, month in self.loaded.items() if month is None or month < self.expected(force)]


def _record(con, rows: list[tuple[str | None, date, str]]) -> None:
    checked_at = datetime.now(timezone.utc)
    for force, month, source in rows:
        con.execute("INSERT INTO publication_check (checked_at, force, latest_month, source) VALUES (?, ?, ?, ?)",
                    [checked_at, force, month, source])


def check_publication(config: TaskingConfig) -> Publication:
    """Ask data.police.uk for its latest month and its forces; compare with what each configured force has loaded."""
    with PoliceApiClient.from_config(config) as client:
        latest = client.last_updated()
        listed = {force["id"] for force in client.forces()}
    # /api/forces leaves out British Transport Police, whose files the archive does carry.
    missing = [force for force in config.forces if force not in listed and force != "btp"]
    with warehouse.connect(config.warehouse_file) as con:
        _record(con, [(None, latest, "crime-last-updated")])
        loaded = {
            force: con.execute("SELECT max(month) FROM street_crime WHERE force = ?", [force]).fetchone()[0]
            for force in config.forces
        }
        in_archive = dict(con.execute(
            "SELECT force, arg_max(latest_month, checked_at) FROM publication_check"
            " WHERE source = ? AND list_contains(?, force) GROUP BY force",
            [f"archive {latest:%Y-%m}.zip", config.forces],
        ).fetchall())
    return Publication(latest, loaded, in_archive, missing)


def download_archive(config: TaskingConfig, month: date) -> VerifiedArchive:
    """The month's archive zip, verified, in the download folder; older archives there are removed once it is in."""
    with PoliceApiClient.from_config(config) as client:
        verified = client.download_archive(month, config.download_dir)
    for older in config.download_dir.glob("*.zip"):
        if older != verified.path:
            older.unlink()
    return verified


def extract_force_months(config: TaskingConfig, archive: Path) -> list[Path]:
    """Extract the configured forces' and kinds' files of each force's newest `ingest.refresh_months` months.

    Files go to `<download_dir>/extracted/YYYY-MM/`, each written beside its destination and renamed into place.
    The latest month the archive holds for each force is recorded as what data.police.uk published for it.
    """
    dest_dir = config.download_dir / "extracted"
    forces, kinds = set(config.forces), set(config.ingest.kinds)
    with zipfile.ZipFile(archive) as zipped:
        members = [(info, parse_file_name(info.filename)) for info in zipped.infolist() if not info.is_dir()]
        members = [(info, parsed) for info, parsed in members if parsed is not None]
        months_per_force: dict[str, set[date]] = {}
        for _, (_, force, month) in members:
            months_per_force.setdefault(force, set()).add(month)
        # Each force's own newest months: a force publishing late still gets its latest ones.
        wanted = {force: set(sorted(months)[-config.ingest.refresh_months:]) for force, months in months_per_force.items()}
        latest_per_force = {force: max(months) for force, months in months_per_force.items() if force in forces}
        extracted: list[Path] = []
        for info, (kind, force, month) in members:
            if force not in forces or kind not in kinds or month not in wanted[force]:
                continue
            target = dest_dir / month.strftime("%Y-%m") / PurePosixPath(info.filename).name
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False)
            try:
                with handle, zipped.open(info) as source:
                    while block := source.read(1 << 20):
                        handle.write(block)
                os.replace(handle.name, target)
            finally:
                Path(handle.name).unlink(missing_ok=True)
            extracted.append(target)
    with warehouse.connect(config.warehouse_file) as con:
        _record(con, [(force, month, f"archive {archive.name}") for force, month in sorted(latest_per_force.items())])
    return sorted(extracted)


def latest_published(warehouse_file=None):
    """Per force, the latest month data.police.uk was last seen to hold (site-wide month as force NULL)."""
    return warehouse.query_df(
        warehouse_file,
        "SELECT force, arg_max(latest_month, checked_at) AS latest_month, max(checked_at) AS checked_at"
        " FROM publication_check GROUP BY force ORDER BY force NULLS FIRST",
    )
