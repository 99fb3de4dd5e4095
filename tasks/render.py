"""Render a product's context into HTML and PDF with the Jinja2 templates in `report_templates/`.

Templates hold layout only and are rendered with autoescaping on and undefined names as errors, so text from
the data (a location called `<script>` or `{{ x }}`) is printed as text and a missing figure fails loudly
instead of leaving a blank. The PDF is made by WeasyPrint from the written HTML, with the same relative
links to the chart files.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "report_templates"

# Government Security Classifications tiers, optionally with an upper-case descriptor (e.g. "OFFICIAL-SENSITIVE PERSONAL").
_MARKING = re.compile(r"^(OFFICIAL|OFFICIAL-SENSITIVE|SECRET|TOP SECRET)( [A-Z][A-Z-]{1,20}){0,3}$")


def check_marking(marking: str) -> str:
    """The marking, normalised to upper case; anything that is not a GSC tier is refused."""
    normalised = " ".join(marking.strip().upper().split())
    if not _MARKING.match(normalised):
        raise ValueError(
            f"{marking!r} is not a government security classification marking; use OFFICIAL, OFFICIAL-SENSITIVE,"
            " SECRET or TOP SECRET, optionally followed by an upper-case descriptor"
        )
    return normalised


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value, digits: int = 0) -> str:
    if _missing(value):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value, digits: int = 1) -> str:
    if _missing(value):
        return "–"
    return f"{value * 100:.{digits}f}%"


def signed(value, digits: int = 0) -> str:
    if _missing(value):
        return "–"
    return f"{value:+,.{digits}f}"


def when(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d %B %Y %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%d %B %Y")
    return str(value)


def p_value(value) -> str:
    if _missing(value):
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_text(value) -> str:
    """A p-value as it reads in a sentence: 'p < 0.001' or 'p = 0.004'."""
    shown = p_value(value)
    return f"p {shown[0]} {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def _css_string(value: str) -> str:
    """A value placed inside a CSS string literal (the page margin boxes): quotes and backslashes escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment for every page the project renders (products, subject profiles, the health and
    quality pages): autoescaped, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, percent=percent, signed=signed, when=when, css_string=_css_string)
    return env


def render_html(template_name: str, context: dict) -> str:
    return environment().get_template(template_name).render(**context)


def write_html_and_pdf(template_name: str, context: dict, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write `<stem>.html` and `<stem>.pdf` into `folder` (charts are linked relative to it)."""
    from weasyprint import HTML  # imported here: it loads Pango and fonts, which costs about a second

    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"{stem}.html"
    pdf_path = folder / f"{stem}.pdf"
    html_path.write_text(render_html(template_name, context), encoding="utf-8")
    HTML(filename=str(html_path), base_url=str(folder)).write_pdf(str(pdf_path))
    return html_path, pdf_path
