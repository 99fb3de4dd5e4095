"""A read-only builder holding the warehouse while an ingest starts: the ingest waits for it, then loads."""
from __future__ import annotations

import subprocess
import sys

import duckdb
from typer.testing import CliRunner

from cli.main import app
from sources.synthetic import generate
from tasks.ingest import ingest_paths

READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*) FROM street_crime").fetchone()[0], flush=True)
time.sleep(float(sys.argv[2]))
print(con.execute("SELECT count(*) FROM street_crime").fetchone()[0], flush=True)
con.close()
print(time.time(), flush=True)
"""


def test_an_ingest_waits_for_a_reader_then_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKING_ORCHESTRATE", "never")
    data = generate(tmp_path / "data", force="demo-shire", months=("2024-07", "2024-08"), seed=5, rows_per_month=300,
                    reference=False)
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest_paths([data.out_dir / "2024-07"], warehouse, gate=None).ok
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), "3"], stdout=subprocess.PIPE, text=True)
    held = int(reader.stdout.readline())  # the reader has the file open
    result = CliRunner().invoke(app, ["ingest", str(data.out_dir / "2024-08"), "--warehouse", str(warehouse)])
    assert reader.wait(timeout=60) == 0 and int(reader.stdout.readline()) == held  # the reader was never disturbed
    released = float(reader.stdout.readline())
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT month) FROM street_crime").fetchone()[0] == 2
        loaded_at = con.execute("SELECT epoch(min(started_at)) FROM ingest_log WHERE month = '2024-08-01'").fetchone()[0]
    assert loaded_at >= released  # it waited for the reader, then loaded
