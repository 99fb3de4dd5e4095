"""Every product builds on any data (issue 21, item 8): a property test over small SYNTHETIC warehouses holding any
prefix of 36 months and any subset of the published kinds (street only; with outcomes; with stop and search; all
three), with and without the force's own records and boundary files.

Each example builds one product (tactical, strategic, problem profile, subject profile) and reads its HTML back:
it must exist, open on what it is for, and print no raw missing value (nan, None, NaT, <NA>, inf). The HTML is
what every section, the composer and the templates produce; WeasyPrint's PDF of it is left to the end-to-end
product tests (it is most of a build's time and does not depend on the data). The examples are derandomised, so
the suite is repeatable; TASKING_ANY_DATA_EXAMPLES=200 explores further.
"""
from __future__ import annotations

import os
import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tasks import render
from tasks.products import build_problem_profile, build_strategic_assessment, build_tactical_assessment
from tasks.subject_profile import draft_subject_profile

from any_data import FORCE, KIND_SETS, MONTHS, Holding, SyntheticWorld, as_at, first_nominal, profile_months

PRODUCTS = ("tactical", "strategic", "problem_profile", "subject_profile")
ALL_KINDS = KIND_SETS[-1]
# A raw missing value printed as text; "[21, inf) days" (a near-repeat band) is a label, not a missing value.
RAW_MISSING = re.compile(r"\bnan\b|\bNaN\b|\bNone\b|\binf\b(?!\))|\bNaT\b|&lt;NA&gt;")


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> SyntheticWorld:
    return SyntheticWorld.generate(tmp_path_factory.mktemp("any-data"))


def html_only(template_name, context, folder, stem):
    """render.write_html_and_pdf without WeasyPrint: the HTML in full, an empty stand-in for the PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
    html_path.write_text(render.render_html(template_name, context), encoding="utf-8")
    pdf_path.write_bytes(b"")
    return html_path, pdf_path


def build(product: str, holding: Holding, warehouse_file, subjects_file, folder):
    store = folder / "products"
    if product == "tactical":
        return build_tactical_assessment(warehouse_file, FORCE, store_dir=store)
    if product == "strategic":
        return build_strategic_assessment(warehouse_file, FORCE, months=36, store_dir=store)
    if product == "problem_profile":
        first, last = profile_months(holding)
        return build_problem_profile(warehouse_file, FORCE, area=None, crime_types=("Anti-social behaviour",),
                                     period_from=first, period_to=last, requested_by="Chair, TT&CG",
                                     terms_of_reference="Anti-social behaviour across the force: where and when?",
                                     store_dir=store)
    return draft_subject_profile(first_nominal(folder), "DS Example", "Operation SYNTH: pre-arrest risk assessment",
                                 subjects_file=subjects_file, warehouse_file=warehouse_file, as_at=as_at(holding))


def visible_text(html: str) -> str:
    body = html.split("</style>", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


HOLDINGS = st.builds(Holding, months=st.integers(1, len(MONTHS)), kinds=st.sampled_from(KIND_SETS),
                     force_records=st.booleans(), boundaries=st.booleans())


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("TASKING_ANY_DATA_EXAMPLES", "5")), deadline=None, derandomize=True,
          database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(holding=Holding(1, ("street",), False, False), product="tactical")        # one month: KeyError 'crimes' once
@example(holding=Holding(2, ("street", "outcomes"), False, True), product="tactical")
@example(holding=Holding(1, ALL_KINDS, True, False), product="strategic")           # a strategic on one month
@example(holding=Holding(13, ("street", "stop_search"), True, True), product="tactical")
@example(holding=Holding(36, ALL_KINDS, True, True), product="strategic")
@example(holding=Holding(3, ("street",), False, False), product="problem_profile")
@example(holding=Holding(4, ("street",), False, False), product="subject_profile")   # records not loaded
@given(holding=HOLDINGS, product=st.sampled_from(PRODUCTS))
def test_every_product_builds_on_any_prefix_of_months_and_any_kinds(world, tmp_path_factory, holding, product):
    folder = tmp_path_factory.mktemp("holding")
    warehouse_file, subjects_file = world.warehouse(holding, folder)
    with mock.patch.object(render, "write_html_and_pdf", html_only):
        result = build(product, holding, warehouse_file, subjects_file, folder)
    html = result.html_path.read_text(encoding="utf-8")
    text = visible_text(html)
    found = sorted({m.group(0) for m in RAW_MISSING.finditer(text)})
    assert not found, f"{product} on {holding.describe()}: raw missing values printed: {found}"
    if product in ("tactical", "strategic"):
        front = text[:text.index("2. Terms of reference")]
        assert ("This fortnight" if product == "tactical" else "This half-year") in front
        # Only the tactical assessment offers the last 28 days; without force records it says why it cannot.
        assert ("Published data is monthly" in front) is (product == "tactical" and not holding.force_records)
        assert "CompStat view" in front and "Key findings" in front


# ------------------------------------------------------------------------------- crashes found on any data, pinned

def test_emerging_hot_spots_class_a_single_cell_instead_of_dropping_it():
    """All crime at one published point: Gi* is undefined (no variance across cells); the cell is classed as not
    hot, where it once vanished and the section crashed (KeyError: 'cell_x')."""
    import pandas as pd

    from tasks.stats.emerging import classify_emerging

    cells = pd.DataFrame({"cell_x": [100.0] * 8, "cell_y": [200.0] * 8,
                          "month": [f"2024-0{m}" for m in range(1, 9)], "crimes": [5] * 8})
    [row] = classify_emerging(cells, cell_size_m=250).to_dict("records")
    assert (row["pattern"], row["hot_months"], row["crimes"]) == ("no pattern detected", 0, 40)
