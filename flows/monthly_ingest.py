"""Monthly ingest: when data.police.uk has published a month the configured forces lack, fetch it, ingest it
(every batch through the quality gate), and check each force's months for completeness."""
from __future__ import annotations

from flows.engine import flow, in_prefect_run, log, step
from flows.ingest import IngestFailed
from flows.recording import RECORDING_HOOKS, load_settings, recorded_run
from tasks.data_docs import build as build_data_docs, markdown_links
from tasks.fetch import check_publication, download_archive, extract_force_months
from tasks.ingest import ingest_paths
from tasks.validate import completeness

check_publication_task = step(check_publication, name="check-publication")
download_archive_task = step(download_archive, name="download-archive")
extract_task = step(extract_force_months, name="extract-force-months")
ingest_task = step(ingest_paths, name="ingest-police-files")
completeness_task = step(completeness, name="check-completeness")
data_docs_task = step(build_data_docs, name="build-data-docs")


def _publish(markdown: str, description: str) -> None:
    if in_prefect_run():
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(key="monthly-ingest", markdown=markdown, description=description)


def _markdown(title: str, lines: list[str], table: list[dict] | None = None) -> str:
    text = [f"# {title}", ""] + [f"- {line}" for line in lines]
    if table:
        headings = list(table[0])
        text += ["", "| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
        text += ["| " + " | ".join("" if row[h] is None else str(row[h]).replace("|", "\\|") for h in headings) + " |"
                 for row in table]
    return "\n".join(text) + "\n"


@flow(name="monthly-ingest", **RECORDING_HOOKS)
def monthly_ingest_flow(config_path: str = "tasking.yaml", refresh: bool = False) -> dict:
    """Fetch and ingest the newest published month for the configured forces.

    refresh: fetch the latest archive even when every force already holds the latest month (to pick up
    re-published outcomes in earlier months).
    """
    config = load_settings(config_path)
    with recorded_run(config.warehouse_file) as run:
        publication = check_publication_task(config)
        published = publication.latest_month.strftime("%Y-%m")
        notes = [f"data.police.uk last updated to {published}"]
        notes += [f"{force}: latest street month loaded {m.strftime('%Y-%m') if m else 'none'},"
                  f" published {publication.expected(force):%Y-%m}" for force, m in publication.loaded.items()]
        if publication.missing_from_api:
            notes.append(f"not in data.police.uk's force list: {', '.join(publication.missing_from_api)}")
        for note in notes:
            log().info(note)
        if not publication.behind and not refresh:
            run.summary = f"nothing to fetch: every configured force holds what {published} published for it"
            log().info(run.summary)
            _publish(_markdown("Monthly ingest", notes + [run.summary]), run.summary)
            return {"published": published, "fetched": 0}

        log().info("behind: %s; downloading the %s archive", ", ".join(publication.behind) or "none (refresh)", published)
        archive = download_archive_task(config, publication.latest_month)
        log().info("archive %s verified: %d files, %s bytes", archive.path.name, archive.members, f"{archive.bytes:,}")
        files = extract_task(config, archive.path)
        log().info("extracted %d files for %s", len(files), ", ".join(config.forces))
        report = ingest_task([str(f) for f in files], config.warehouse_file)
        for batch in report.batches:
            (log().warning if batch.status in ("failed", "quarantined") else log().info)(
                "%s %s%s", batch.status, batch.name.rsplit("/", 1)[-1], f": {batch.error}" if batch.error else "")
        docs = data_docs_task(config.warehouse_file)
        gaps = [completeness_task(config.warehouse_file, force) for force in config.forces]
        gap_count = sum(len(g) for g in gaps)
        log().info("incomplete force-months after ingest: %d", gap_count)

        counts = {status: report.count(status) for status in ("loaded", "replaced", "unchanged", "quarantined", "failed")}
        run.summary = (f"{published}: {len(files)} files from {archive.path.name} "
                       + ", ".join(f"{n} {status}" for status, n in counts.items() if n)
                       + f"; {gap_count} incomplete force-months")
        notes += [f"archive {archive.path.name}: {archive.members} files, {archive.bytes:,} bytes, verified",
                  f"{len(files)} files extracted for {', '.join(config.forces)}",
                  f"incomplete force-months after ingest: {gap_count}"]
        table = [{"file": b.name.rsplit("/", 1)[-1], "status": b.status, "kind": b.kind, "force": b.force, "month": b.month,
                  "rows": b.rows, "error": b.error} for b in report.batches]
        _publish(_markdown("Monthly ingest", notes, table) + "\n## Quality gate\n\n" + markdown_links(docs), run.summary)
        if not report.ok:
            raise IngestFailed(report)  # the run ends Failed; the files that passed stay loaded
        return {"published": published, "fetched": len(files), **counts}
