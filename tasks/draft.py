"""What every product shares: numbered tables and figures with their lineage, the data pack, the sources and
methods section, the intelligence gaps, and publishing a version (reserve, render, hash, register).

The product builders in `tasks.products` decide what goes in; this module only keeps it numbered, traceable and
stored. Figures come from the indicators (`tasks.indicators`) and the quality checks (`tasks.validate`); the
queries here read lineage and coverage (which files, which months, which batches), never indicator values.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from tasking import faults, warehouse
from tasks import render, review
from tasks.csv_safe import write_csv
from tasks.reviewers import PIPELINE_AUTHOR

DEFAULT_AUTHOR = PIPELINE_AUTHOR
KIND_LABEL = {"tactical": "Tactical assessment", "strategic": "Strategic assessment", "problem_profile": "Problem profile"}


@dataclass
class ProductResult:
    """A stored draft: where its files are and how the registry knows it."""

    product_id: str
    version: int
    version_id: str
    kind: str
    status: str
    folder: Path
    html_path: Path
    pdf_path: Path
    data_pack: list[Path]
    content_sha256: str
    key_figures: dict


def author_name(explicit: str | None = None) -> str:
    return explicit or os.environ.get("TASKING_AUTHOR") or DEFAULT_AUTHOR


def month_label(month: date) -> str:
    return month.strftime("%B %Y")


def period_text(first: date, last: date) -> str:
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"


def params_text(params: dict) -> str:
    """Parameters as `name=value` pairs, stable and readable, for the lineage appendix."""
    parts = []
    for name, value in params.items():
        if isinstance(value, date):
            value = value.strftime("%Y-%m")
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value)) if value else "all"
        parts.append(f"{name}={value}")
    return "; ".join(parts)


def scope_params(scope) -> dict:
    """The lineage parameters of an indicator Scope."""
    params = {"force": scope.force, "from": scope.period_from, "to": scope.period_to,
              "crime_types": list(scope.crime_types), "area": scope.area_label}
    return params


@dataclass
class Draft:
    """Collects one product's sections, numbering tables and figures and recording where each came from."""

    folder: Path
    sections: list[dict] = field(default_factory=list)
    lineage_rows: list[dict] = field(default_factory=list)
    data_pack: list[Path] = field(default_factory=list)
    _tables: int = 0
    _figures: int = 0

    def table(self, caption: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]], *,
              indicator: str, params: dict, note: str | None = None, empty: str = "Nothing to show for this period.",
              flags: Sequence[bool] | None = None, data: pd.DataFrame | None = None, data_name: str | None = None,
              css: str | None = None, appendix_ref: str | None = None) -> dict:
        """A numbered table. `columns` are (label, 'text'|'num'|'mono'); cells are already formatted text.

        `data` (the indicator's frame) goes into the data pack as CSV and Parquet under `data_name`.
        `appendix_ref` (e.g. "Table B1") names a table printed in an appendix, outside the body's numbering.
        """
        if appendix_ref:
            ref = appendix_ref
        else:
            self._tables += 1
            ref = f"Table {self._tables}"
        self._lineage(ref, caption, indicator, params, data, data_name)
        flags = list(flags) if flags is not None else [False] * len(rows)
        return {"kind": "table", "ref": ref, "anchor": ref.lower().replace(" ", "-"), "caption": caption, "note": note,
                "css": css,
                "empty": empty, "columns": [{"label": label, "align": align} for label, align in columns],
                "rows": [{"cells": [str(c) for c in row], "flag": flag} for row, flag in zip(rows, flags)]}

    def figure(self, caption: str, draw: Callable[[Path], Path], *, indicator: str, params: dict,
               note: str | None = None, data_name: str | None = None) -> dict:
        """A numbered chart drawn by `draw(path)` into charts/ (linked relatively from the HTML); `data_name` names
        the data pack file holding its figures when the product saves them (save_data)."""
        self._figures += 1
        ref = f"Figure {self._figures}"
        name = f"charts/figure-{self._figures}.svg"
        draw(self.folder / name)
        self._lineage(ref, caption, indicator, params, None, None)
        if data_name:
            self.lineage_rows[-1]["data"] = f"data/{data_name}.csv"
        return {"kind": "figure", "ref": ref, "anchor": f"figure-{self._figures}", "caption": caption, "src": name,
                "note": note}

    def section(self, heading: str, paragraphs: Sequence[str] = (), items: Sequence[dict] = (),
                analyst_input: str | None = None) -> dict:
        section = {"number": len(self.sections) + 3, "heading": heading, "anchor": f"section-{len(self.sections) + 3}",
                   "paragraphs": [p for p in paragraphs if p], "items": list(items), "analyst_input": analyst_input}
        self.sections.append(section)
        return section

    def save_data(self, frame: pd.DataFrame, name: str) -> None:
        """Write a frame into the data pack as `data/<name>.csv` and `data/<name>.parquet`."""
        target = self.folder / "data"
        target.mkdir(parents=True, exist_ok=True)
        frame = frame.copy()
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype) or str(frame[column].dtype).startswith("datetime"):
                continue
            if frame[column].dtype == object:
                frame[column] = frame[column].map(lambda v: v.isoformat() if isinstance(v, (date, datetime)) else v)
        csv_path, parquet_path = target / f"{name}.csv", target / f"{name}.parquet"
        frame.to_parquet(parquet_path, index=False)
        write_csv(frame, csv_path)
        self.data_pack += [csv_path, parquet_path]

    def _lineage(self, ref, caption, indicator, params, data, data_name) -> None:
        if data is not None and data_name:
            self.save_data(data, data_name)
        self.lineage_rows.append({"ref": ref, "caption": caption, "indicator": indicator, "params": params_text(params),
                                  "data": f"data/{data_name}.csv" if data is not None and data_name else ""})

    def lineage_table(self) -> dict:
        rows = [[r["ref"], r["caption"], r["indicator"], r["params"], r["data"]] for r in self.lineage_rows]
        return {"kind": "table", "ref": "Table A1", "anchor": "table-a1", "css": "lineage",
                "caption": "Indicator and parameters behind each figure and table", "note": None, "empty": "",
                "columns": [{"label": l, "align": a} for l, a in (("Ref", "text"), ("Shows", "text"),
                            ("Indicator", "mono"), ("Parameters", "text"), ("Data pack file", "mono"))],
                "rows": [{"cells": row, "flag": False} for row in rows]}


# ---------------------------------------------------------------------------------------------- sources and methods

SOURCE_FILES_SQL = """
SELECT 'street crime' AS kind, source_file, source_sha256, min(month) AS first_month, max(month) AS last_month,
       count(*) AS rows_used
FROM street_crime WHERE force = $force AND month BETWEEN $first AND $last GROUP BY ALL
UNION ALL
SELECT 'outcomes', source_file, source_sha256, min(month), max(month), count(*)
FROM outcome WHERE force = $force AND month BETWEEN $first AND $last GROUP BY ALL
UNION ALL
SELECT 'stop and search', source_file, source_sha256, min(month), max(month), count(*)
FROM stop_search WHERE force = $force AND month BETWEEN $first AND $last GROUP BY ALL
ORDER BY kind, first_month, source_file
"""

# The latest loaded version of each reference file (deprivation, population, LSOA lookup).
REFERENCE_FILES_SQL = """
SELECT kind, path AS source_file, sha256 AS source_sha256, rows
FROM ingest_log WHERE force IS NULL AND kind IS NOT NULL AND kind NOT LIKE 'boundary-%'
  AND status IN ('loaded', 'replaced', 'unchanged')
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY batch_id DESC) = 1
ORDER BY kind
"""
# Boundary files (several per kind: one per council area, say) whose polygons the warehouse holds, each with the
# sha256 it was loaded with (docs/geography.md).
BOUNDARY_FILES_SQL = """
SELECT 'boundary-' || kind AS kind, source_file, source_sha256, count(*) AS rows FROM boundary
GROUP BY ALL ORDER BY kind, source_file
"""

# Rejected files still standing: no later file of the same kind and month was loaded after them.
REJECTED_BATCHES_SQL = """
SELECT l.batch_id, l.path, l.kind, strftime(l.month, '%Y-%m') AS month, l.status, l.error,
       EXISTS (SELECT 1 FROM ingest_log k WHERE k.kind = l.kind AND k.force = l.force AND k.month = l.month
               AND k.batch_id < l.batch_id AND k.status IN ('loaded', 'replaced')) AS earlier_version_used
FROM ingest_log l
WHERE l.force = $force AND l.status IN ('failed', 'quarantined') AND l.month BETWEEN $first AND $last
  AND NOT EXISTS (SELECT 1 FROM ingest_log k WHERE k.kind = l.kind AND k.force = l.force AND k.month = l.month
                  AND k.batch_id > l.batch_id AND k.status IN ('loaded', 'replaced', 'unchanged'))
ORDER BY month, kind, batch_id
"""

HELD_MONTHS_SQL = """
SELECT 'street crime' AS kind, min(month) AS first_month, max(month) AS last_month, count(DISTINCT month) AS months
FROM street_crime WHERE force = $force
UNION ALL SELECT 'outcomes', min(month), max(month), count(DISTINCT month) FROM outcome WHERE force = $force
UNION ALL SELECT 'stop and search', min(month), max(month), count(DISTINCT month) FROM stop_search WHERE force = $force
"""

# Share of the period's street crimes published without a location (they cannot be mapped or put in an LSOA).
NO_LOCATION_SQL = """
SELECT count(*) AS crimes, count(*) FILTER (WHERE longitude IS NULL OR latitude IS NULL) AS no_location,
       count(*) FILTER (WHERE lsoa_code IS NULL) AS no_lsoa
FROM street_crime WHERE force = $force AND month BETWEEN $first AND $last
"""


def force_name(warehouse_file, force: str) -> str:
    """The force's published name (e.g. 'Northumbria Police') or its slug when no rows name it."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        row = con.execute("SELECT any_value(falls_within) FROM street_crime WHERE force = ?", [force]).fetchone()
    return row[0] if row and row[0] else force


def held_months(warehouse_file, force: str) -> pd.DataFrame:
    with warehouse.connect(warehouse_file, read_only=True) as con:
        return con.execute(HELD_MONTHS_SQL, {"force": force}).df()


def latest_street_month(warehouse_file, force: str) -> date:
    from tasks.indicators.scope import require_force_held

    with warehouse.connect(warehouse_file, read_only=True) as con:
        require_force_held(con, force)  # an unknown force: one error naming the forces held
    held = held_months(warehouse_file, force)
    last = held.loc[held["kind"] == "street crime", "last_month"].iloc[0]
    if pd.isna(last):
        raise ValueError(f"the warehouse holds no street crime for force {force!r}; run `tasking ingest` first")
    return pd.Timestamp(last).date()


def require_street_month(warehouse_file, force: str, month: date) -> None:
    """Refuse to assess a month the warehouse holds no street crime for, naming the months it does hold."""
    from tasks.indicators.scope import require_force_held

    held = held_months(warehouse_file, force).set_index("kind").loc["street crime"]
    with warehouse.connect(warehouse_file, read_only=True) as con:
        require_force_held(con, force)
        found = con.execute("SELECT count(*) FROM street_crime WHERE force = ? AND month = ?", [force, month]).fetchone()[0]
    if not found:
        span = ("none" if pd.isna(held["first_month"]) else
                f"{pd.Timestamp(held['first_month']):%Y-%m} to {pd.Timestamp(held['last_month']):%Y-%m}")
        raise ValueError(f"the warehouse holds no street crime for force {force!r} in {month:%Y-%m} "
                         f"(months held: {span}); load it with `tasking ingest` or choose another month")


def _table_exists(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0] > 0


# The quality gate's latest results for the batches that loaded the files in use (same path and sha256).
VALIDATION_SQL = """
WITH batches AS (
    SELECT batch_id, path FROM ingest_log
    WHERE status IN ('loaded', 'replaced') AND path IN (SELECT unnest($files)) AND sha256 IN (SELECT unnest($shas))
),
latest AS (
    SELECT batch_id, suite, max(validated_at) AS validated_at FROM validation_result
    WHERE batch_id IN (SELECT batch_id FROM batches) GROUP BY ALL
)
SELECT b.path AS source_file, v.batch_id, v.run, v.suite, v.severity, v.expectation, v.column_name, v.description,
       v.success, v.unexpected_count, v.validated_at
FROM validation_result v JOIN latest USING (batch_id, suite, validated_at) JOIN batches b USING (batch_id)
ORDER BY source_file, v.severity, v.expectation
"""


def validation_summary(warehouse_file, files: pd.DataFrame) -> pd.DataFrame | None:
    """The quality gate's results for these files, or None when this warehouse has no validation results."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        return validation_summary_on(con, files)


def validation_summary_on(con, files: pd.DataFrame) -> pd.DataFrame | None:
    """validation_summary over an open connection."""
    if not _table_exists(con, "validation_result"):
        return None
    return con.execute(VALIDATION_SQL, {"files": files["source_file"].tolist(),
                                        "shas": files["source_sha256"].tolist()}).df()


@dataclass
class SourcesAndMethods:
    files: pd.DataFrame
    reference: pd.DataFrame
    rejected: pd.DataFrame
    coverage: pd.DataFrame
    validation: pd.DataFrame | None
    no_location: dict


def collect_sources(warehouse_file, force: str, first: date, last: date,
                    focus: tuple[date, date] | None = None) -> SourcesAndMethods:
    """Files, reference data, rejected batches and coverage for the months used (`first`..`last`); the
    no-location counts are for `focus` (the months the product assesses), default the same months."""
    with warehouse.connect(warehouse_file, read_only=True) as con:
        return collect_sources_on(con, force, first, last, focus)


def collect_sources_on(con, force: str, first: date, last: date,
                       focus: tuple[date, date] | None = None) -> SourcesAndMethods:
    """collect_sources over an open connection (a product build's one read-only session)."""
    params = {"force": force, "first": first, "last": last}
    focus_params = {"force": force, "first": (focus or (first, last))[0], "last": (focus or (first, last))[1]}
    files = con.execute(SOURCE_FILES_SQL, params).df()
    reference = con.execute(REFERENCE_FILES_SQL).df()
    if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'boundary'").fetchone()[0]:
        reference = pd.concat([reference, con.execute(BOUNDARY_FILES_SQL).df()], ignore_index=True)
    rejected = con.execute(REJECTED_BATCHES_SQL, params).df()
    coverage = con.execute(HELD_MONTHS_SQL, {"force": force}).df()
    counts = con.execute(NO_LOCATION_SQL, focus_params).df().iloc[0].to_dict()
    counts["period"] = period_text(focus_params["first"], focus_params["last"])
    return SourcesAndMethods(files, reference, rejected, coverage, validation_summary_on(con, files), counts)


def sources_section(draft: Draft, force: str, sources: SourcesAndMethods, methods: Sequence[str],
                    approximations: Sequence[str], first: date, last: date) -> dict:
    """The 'information sources and methods' block: every file with its sha256, coverage, validation, methods."""
    files = sources.files

    def months(first_month, last_month) -> str:
        first_month, last_month = pd.Timestamp(first_month), pd.Timestamp(last_month)
        return f"{first_month:%Y-%m}" if first_month == last_month else f"{first_month:%Y-%m}..{last_month:%Y-%m}"

    rows = [[r.kind, Path(r.source_file).name, months(r.first_month, r.last_month), render.number(r.rows_used),
             r.source_sha256] for r in files.itertuples(index=False)]
    rows += [[r.kind, Path(r.source_file).name, "reference", render.number(r.rows), r.source_sha256]
             for r in sources.reference.itertuples(index=False)]
    summary_rows = []
    for kind, group in files.groupby("kind", sort=True):
        summary_rows.append([kind, render.number(len(group)), months(group["first_month"].min(), group["last_month"].max()),
                             render.number(group["rows_used"].sum())])
    for r in sources.reference.itertuples(index=False):
        summary_rows.append([r.kind, "1", "reference (ONS boundaries)" if r.kind.startswith("boundary-")
                             else "reference (IoD 2019, LSOA lookup)", render.number(r.rows)])
    summary_table = draft.table(
        "Data used, by kind (every file with its sha256 is listed in Appendix B)",
        [("Kind", "text"), ("Files", "num"), ("Months", "text"), ("Rows used", "num")], summary_rows,
        indicator="warehouse lineage (street_crime/outcome/stop_search; ingest_log)",
        params={"force": force, "from": first, "to": last},
        empty="No files: the warehouse holds no rows for this force and period.")
    file_table = draft.table(
        "Files used, with the sha256 of each file as loaded",
        [("Kind", "text"), ("File", "text"), ("Months", "text"), ("Rows used", "num"), ("sha256", "mono")], rows,
        indicator="warehouse lineage (street_crime/outcome/stop_search.source_sha256; ingest_log)",
        params={"force": force, "from": first, "to": last},
        empty="No files: the warehouse holds no rows for this force and period.",
        data=pd.concat([files.assign(source="data.police.uk"), sources.reference.assign(source="reference")],
                       ignore_index=True),
        data_name="sources", css="sources", appendix_ref="Table B1",
    )
    frame = sources.validation
    if frame is None or frame.empty:
        validation_table = draft.table(
            "Validation results for these files", [("File", "text"), ("Result", "text")], [],
            indicator="tasks.validate (validation_result)", params={},
            empty="No validation results are recorded for these files: they were loaded without the quality gate, so "
                  "their checks are not evidenced here (see intelligence gaps).")
    else:
        rows = []
        for source_file, group in frame.groupby("source_file", sort=True):
            critical = group[group["severity"] == "critical"]
            failed = group[~group["success"].astype(bool)]
            described = [f"{d if isinstance(d, str) and d else e} ({render.number(n)} rows)" if pd.notna(n) else
                         (d if isinstance(d, str) and d else e)
                         for d, e, n in zip(failed["description"], failed["expectation"], failed["unexpected_count"])]
            rows.append([Path(source_file).name, f"{int(group['success'].sum())} of {len(group)}",
                         f"{int(critical['success'].sum())} of {len(critical)}", "; ".join(described) or "none"])
        validation_table = draft.table(
            "Validation results for these files (quality gate, latest run)",
            [("File", "text"), ("Checks passed", "num"), ("Critical passed", "num"), ("Checks not met", "text")],
            rows, indicator="tasks.validate (validation_result)", params={"files": len(rows)},
            data=frame, data_name="validation")
    held = []
    for r in sources.coverage.itertuples(index=False):
        if pd.notna(r.first_month):
            held.append(f"{r.kind} {pd.Timestamp(r.first_month):%Y-%m} to {pd.Timestamp(r.last_month):%Y-%m} "
                        f"({int(r.months)} months)")
    paragraphs = [
        "Sources: data.police.uk street-level crime, outcomes and stop and search files for the force as "
        "published (Open Government Licence v3.0), and the English Indices of Deprivation 2019 with their "
        "population denominators (MHCLG). The warehouse holds " + ("; ".join(held) if held else "no rows") + ".",
        f"This product uses the data from {period_text(first, last)}. Each file was loaded once; its sha256 (Appendix "
        "B) is that of the file as published, recorded on every row loaded from it.",
    ]
    return {"paragraphs": paragraphs, "summary": summary_table, "files": file_table, "validation": validation_table,
            "methods": list(methods), "approximations": list(approximations)}


# ------------------------------------------------------------------------------------------------- intelligence gaps

def completeness_gaps(warehouse_file, force: str, first: date, last: date) -> tuple[list[list[str]], str, set[int]]:
    """Missing or partial force-months in the window, from the quality checks.

    Returns (rows of [what, status, reason], which check was used, ids of the rejected batches the rows explain).
    """
    try:
        from tasks.validate import completeness
    except ImportError:  # the quality module is optional for products: fall back to the months absent in a range
        completeness = None
    rows = []
    if completeness is not None:
        frame = completeness(warehouse_file, force=force)
        months = pd.to_datetime(frame["month"]).dt.date
        in_window = frame[(months >= first) & (months <= last)]
        for r in in_window.itertuples(index=False):
            rows.append([f"{r.kind} {pd.Timestamp(r.month):%Y-%m}", r.status, r.reason])
        explained = {int(b) for b in in_window["rejected_batch_id"] if pd.notna(b)}
        return rows, "tasks.validate.completeness", explained
    from tasks.status import month_gaps

    for (kind, gap_force), months in sorted(month_gaps(warehouse_file=warehouse_file).items()):
        if gap_force != force:
            continue
        for month in months:
            if first.strftime("%Y-%m") <= month <= last.strftime("%Y-%m"):
                rows.append([f"{kind} {month}", "missing", "no file loaded for this month inside the loaded range"])
    return rows, "tasks.status.month_gaps", set()


def data_lag_months(latest: date, today: date | None = None) -> int:
    today = today or datetime.now(timezone.utc).date()
    return (today.year - latest.year) * 12 + today.month - latest.month


# ------------------------------------------------------------------------------------------------------- publishing

@dataclass
class RenderedDraft:
    """A version rendered into its staging folder, not yet registered: what `register_drafts` needs. Builders
    render (reading the warehouse only) and hand these to the one process that writes the registry."""

    slot: review.DraftSlot
    marking: str
    author: str
    period_start: date
    period_end: date
    key_figures: dict
    data_pack: list[Path]

    @property
    def version_id(self) -> str:
        return self.slot.version_id


def render_draft(
    warehouse_file,
    *,
    kind: str,
    force: str,
    scope: dict,
    period_label: str,
    title: str,
    marking: str,
    author: str,
    requested_by: str,
    terms_of_reference: str,
    period_start: date,
    period_end: date,
    store_dir,
    build: Callable[[Draft, review.DraftSlot], dict],
) -> RenderedDraft:
    """Reserve the next version (read-only), let `build` fill the draft and return the page context, render it into
    the version's staging folder. Nothing is written to the warehouse: `register_drafts` registers it."""
    marking = render.check_marking(marking)
    slot = review.reserve_version(warehouse_file, kind=kind, force=force, scope=scope, period_label=period_label,
                                  title=title, requested_by=requested_by, terms_of_reference=terms_of_reference,
                                  store_dir=store_dir)
    previous = review.previous_version(warehouse_file, kind, force, slot.created_at)
    with review.writing(slot) as folder:
        draft = Draft(folder)
        context = build(draft, slot)
        faults.point("publish:mid-render")
        key_figures = context.pop("key_figures")
        context["product"] = {
            "product_id": slot.product_id, "version": slot.version, "version_id": slot.version_id, "title": title,
            "kind_label": KIND_LABEL[kind], "force_name": force_name(warehouse_file, force), "marking": marking,
            "author": author, "requested_by": requested_by, "period_label": period_text(period_start, period_end),
            "created_label": render.when(slot.created_at), "data_period": context.pop("data_period"),
            "previous_version_id": previous["version_id"] if previous is not None and previous["product_id"] == slot.product_id else None,
            "handling": context.pop("handling"),
        }
        context["sections"] = draft.sections
        context["numbers"] = {"recommendations": len(draft.sections) + 3, "gaps": len(draft.sections) + 4,
                              "sources": len(draft.sections) + 5}
        context["lineage"] = draft.lineage_table()
        (folder / "data").mkdir(exist_ok=True)
        (folder / "data" / "key_figures.json").write_text(json.dumps(key_figures, indent=2, sort_keys=True, default=str),
                                                          encoding="utf-8")
        render.write_html_and_pdf(f"{kind}.html", context, folder, "product")
        data_pack = [slot.folder / p.relative_to(folder) for p in draft.data_pack]
    return RenderedDraft(slot, marking, author, period_start, period_end, key_figures, data_pack)


def register_drafts(warehouse_file, drafts: Sequence[RenderedDraft]) -> list[ProductResult]:
    """Register rendered drafts as DRAFT versions over one write of the warehouse (one lock, one snapshot).

    Every draft that can be is registered; then the first refusal, if any, is raised (the others stand)."""
    outcomes = review.record_versions(warehouse_file, [
        (d.slot, dict(marking=d.marking, author=d.author, period_start=d.period_start, period_end=d.period_end,
                      key_figures=d.key_figures)) for d in drafts])
    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if failed:
        raise failed[0]
    return [ProductResult(d.slot.product_id, d.slot.version, d.slot.version_id, d.slot.kind, "DRAFT", d.slot.folder,
                          d.slot.folder / "product.html", d.slot.folder / "product.pdf", d.data_pack, content,
                          d.key_figures)
            for d, content in zip(drafts, outcomes)]


def publish(warehouse_file, **request) -> ProductResult:
    """Reserve the next version, let `build` fill the draft and return the page context, render, register
    (render_draft's arguments)."""
    [result] = register_drafts(warehouse_file, [render_draft(warehouse_file, **request)])
    return result
