"""The in-memory staging database both the ingest and the quality gate read batches from.

Batches are staged in an in-memory database attached to the warehouse connection: the gate (and its own
cursors on the same DuckDB instance) can read them, and the rows are written to disk once, when merged.
It lives apart from tasks.ingest so that tasks.validate can use it without importing the ingest (which
imports the gate): imports run one way, ingest -> validate -> staging.
"""
from __future__ import annotations

STAGING = "stage_mem"


def attach_staging(con) -> None:
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {STAGING}")
