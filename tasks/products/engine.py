"""The product engine's shared types: one read-only indicator session per build, the product context every
section reads, and the typed result every section returns.

A section is a plain function `section(session, scope, ctx) -> SectionResult`. It reads the warehouse only
through `session` (one read-only connection for the whole build), reads earlier sections' results only through
`ctx.results` (never changing them), and returns its own text, tables, figures (each with its lineage), findings,
recommendations and gaps. Numbering of sections, tables and figures happens in one place, `compose.compose`,
after every section has run; a section refers to its own or another section's table with `ref(key)`.
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Union

import pandas as pd

from tasking import warehouse
from tasks.indicators import Scope
from tasks.indicators import scope as indicator_scope
from tasks.indicators.run import compute

PURPOSES = ("prevention", "intelligence", "enforcement", "reassurance")


def ref(key: str) -> str:
    """A placeholder for the number of the table or figure registered under `key` ("Table 4"), filled in by the
    composer once everything is numbered. Usable in paragraphs, findings, captions, notes and evidence."""
    return f"\u27e6{key}\u27e7"


@dataclass(frozen=True)
class Lineage:
    """Where a table or figure came from: the indicator, its parameters, and the frame saved in the data pack."""

    indicator: str
    params: dict
    data: pd.DataFrame | None = None
    data_name: str | None = None


@dataclass
class Table:
    key: str
    caption: str
    columns: list[tuple[str, str]]
    rows: list[list[str]]
    lineage: Lineage
    note: str | None = None
    empty: str = "Nothing to show for this period."
    flags: list[bool] | None = None
    css: str | None = None


@dataclass
class Figure:
    key: str
    caption: str
    draw: Callable[[Path], Path]
    lineage: Lineage
    note: str | None = None


Item = Union[Table, Figure]


@dataclass(frozen=True)
class Recommendation:
    """One draft recommendation: the issue it answers, what to do, where (a place a user can find), which of the
    four NIM purposes it serves, and the figures it rests on. `harm` ranks it (higher first); the composer keeps
    one recommendation per issue."""

    issue: str
    action: str
    purpose: str
    evidence: str
    place: str | None = None
    harm: float = 0.0

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"recommendation purpose {self.purpose!r} is not one of {PURPOSES}")


@dataclass(frozen=True)
class Change:
    """One tested change a chair may act on (the first page ranks every section's changes by harm).

    `observed` and `expected` are in like units (the same months, or the same exposure when months are missing);
    `significant` is after the product's multiple-comparison correction; `confidence` is PHIA words with their
    range (tasks.stats.probability); `caveat` says what a reader must know (a level shift to check with
    recording, months missing from the release); `ref_key` is the table or figure it comes from (engine.ref)."""

    subject: str                # a crime type, or "All crime"
    measure: str                # what was compared, e.g. "April 2024 against April 2023"
    observed: float
    expected: float
    ratio: float
    ci_low: float
    ci_high: float
    p_adjusted: float | None
    significant: bool
    harm_days: float            # Cambridge Crime Harm Index days of the difference (observed - expected)
    confidence: str
    place: str | None = None    # None: the product's whole scope
    caveat: str | None = None
    ref_key: str | None = None

    @property
    def direction(self) -> str:
        return "rise" if self.observed >= self.expected else "fall"


@dataclass(frozen=True)
class Gap:
    gap: str
    missing: str
    effect: str


@dataclass
class SectionResult:
    """What one section contributes. `body` False: the section feeds the product's closing parts (recommendations,
    gaps) rather than printing as a numbered body section."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    analyst_input: str | None = None
    facts: dict = field(default_factory=dict)
    body: bool = True
    shown: bool = True

    @property
    def tables(self) -> list[Table]:
        return [i for i in self.items if isinstance(i, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [i for i in self.items if isinstance(i, Figure)]


@dataclass
class ProductContext:
    """What every section of one build may read: the product, its dates and requester, and the results of the
    sections before it (read-only: a section never changes another's result)."""

    kind: str
    force: str
    latest: date
    first: date
    created_at: datetime
    requested_by: str = ""
    terms_of_reference: str = ""
    options: dict = field(default_factory=dict)
    sources: object = None  # tasks.draft.SourcesAndMethods for the product's window, gathered before the sections
    results: dict[str, SectionResult] = field(default_factory=dict)

    def fact(self, section: str, name: str, default=None):
        result = self.results.get(section)
        return default if result is None else result.facts.get(name, default)


class IndicatorSession:
    """One read-only warehouse connection for a whole product build, computing indicators for any scope.

    The indicators' own per-scope session (tasks.indicators.scope.IndicatorSession: temp tables of the scoped
    rows) is rebuilt on this connection when the scope changes; every result is kept, so asking twice for the
    same indicator and scope costs nothing.
    """

    def __init__(self, warehouse_file):
        self.warehouse_file = warehouse_file
        self._stack = ExitStack()
        self.con = self._stack.enter_context(warehouse.connect(warehouse_file, read_only=True))
        self._scoped: indicator_scope.IndicatorSession | None = None
        self._cache: dict = {}

    def __enter__(self) -> "IndicatorSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._scoped = None
        self._stack.close()

    def scoped(self, scope: Scope) -> indicator_scope.IndicatorSession:
        """The indicators' session for `scope` on this connection (its temp tables rebuilt when the scope changes)."""
        if self._scoped is None or self._scoped.scope != scope:
            self._scoped = indicator_scope.IndicatorSession(self.con, scope)
        return self._scoped

    def indicator(self, name: str, scope: Scope, **options) -> pd.DataFrame:
        """The named indicator (tasks.indicators.INDICATORS, plus options) for `scope`, computed once per build."""
        key = (name, scope, tuple(sorted(options.items())))
        if key not in self._cache:
            self._cache[key] = compute(self.scoped(scope), name, **options)
        return self._cache[key]

    def df(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def memo(self, key, compute_fn: Callable[[], object]):
        """Any other value computed once per build (e.g. a scan several sections read)."""
        if key not in self._cache:
            self._cache[key] = compute_fn()
        return self._cache[key]


Section = Callable[[IndicatorSession, Scope, ProductContext], SectionResult]
