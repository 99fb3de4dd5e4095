"""Products built with force records loaded: the tactical assessment's last 14 and 28 days, the problem profile's
hour x weekday heatmap and near repeats; and no subject store data in any product or data pack."""
from __future__ import annotations

import json
from datetime import date

import pytest
from pypdf import PdfReader

from sources.synthetic import generate
from sources.synthetic_internal import generate_internal
from tasks.ingest import ingest_paths
from tasks.ingest_reference import ingest_reference_paths
from tasks.ingest_internal import ingest_internal_paths
from tasks.products import build_problem_profile, build_tactical_assessment
from tasks.subject_profile import draft_subject_profile
from tasks.subjects import load_nominals


def flat_pdf(path) -> str:
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(str(path)).pages).split())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """SYNTHETIC published data for four months, six months of SYNTHETIC force records, and the subject store."""
    root = tmp_path_factory.mktemp("internal-products")
    published = generate(root / "published", force="demo-shire", months=("2024-03", "2024-06"), seed=3, rows_per_month=400)
    warehouse_file = root / "warehouse.duckdb"
    assert ingest_paths([root / "published"], warehouse_file, gate=None).ok
    assert ingest_reference_paths([published.out_dir / "reference"], warehouse_file).ok
    internal = generate_internal(root, "demo-shire", date(2024, 1, 1), date(2024, 6, 30), seed=3, records_per_day=50,
                                 nominal_count=15)
    assert ingest_internal_paths([internal.extract], internal.mapping, warehouse_file, gate=None).ok
    subjects_file = root / "restricted" / "subjects.duckdb"
    load_nominals(internal.nominals, subjects_file, loaded_by="test")
    people = json.loads(internal.nominals.read_text())["nominals"]
    for person in people[:1]:
        draft_subject_profile(person["nominal_id"], "DS Example", "Operation SYNTH: pre-arrest risk assessment",
                              subjects_file=subjects_file, warehouse_file=warehouse_file, as_at=date(2024, 7, 1))
    store = root / "products"
    tactical = build_tactical_assessment(warehouse_file, "demo-shire", "2024-06", store_dir=store)
    profile = build_problem_profile(warehouse_file, "demo-shire", area=None, crime_types=("Burglary",),
                                    period_from="2024-01", period_to="2024-06", requested_by="Chair, TT&CG",
                                    terms_of_reference="Residential burglary across the force: where, when, near repeats",
                                    store_dir=store)
    return {"tactical": tactical, "profile": profile, "people": people, "store": store}


def test_tactical_assessment_covers_the_last_14_and_28_days_from_force_records(world):
    text = flat_pdf(world["tactical"].pdf_path)
    assert "The last 14 and 28 days (force records)" in text
    assert "Last 14 days to 30 June 2024 against the mean of the previous 336 days" in text
    assert "Last 28 days to 30 June 2024" in text
    assert "SYNTHETIC-demo-shire-crime-extract-20240101-20240630.csv" in "".join(text.split())  # wraps in its cell
    assert (world["tactical"].folder / "data" / "internal_last_14_days.csv").is_file()


def test_problem_profile_has_the_hour_by_weekday_heatmap_and_near_repeats(world):
    text = flat_pdf(world["profile"].pdf_path)
    assert "When it happens (force records)" in text and "by hour and day of the week" in text
    assert "Near repeats: Burglary (force records)" in text
    assert "near repeats are over-represented within" in text
    charts = list((world["profile"].folder / "charts").glob("*.svg"))
    assert any("Mon" in chart.read_text() and "Sun" in chart.read_text() for chart in charts)
    assert (world["profile"].folder / "data" / "near_repeat_burglary.csv").is_file()


def test_no_subject_store_data_reaches_any_product_or_data_pack(world):
    identifiers = {p["nominal_id"] for p in world["people"]} | {p["surname"] for p in world["people"]}
    files = [path for path in world["store"].rglob("*") if path.is_file()]
    assert any(path.suffix == ".csv" for path in files)
    for path in files:
        content = path.read_bytes().decode("utf-8", errors="ignore") if path.suffix != ".pdf" else flat_pdf(path)
        leaked = sorted(i for i in identifiers if i in content)
        assert not leaked, f"{path} carries subject store data: {leaked[:3]}"
