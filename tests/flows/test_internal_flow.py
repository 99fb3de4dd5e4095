"""The internal-extract flow under the temporary Prefect server: loads once, then finds nothing new."""
from __future__ import annotations

from datetime import date

import duckdb

from flows.internal import internal_ingest_flow
from sources.synthetic_internal import generate_internal


def test_internal_ingest_flow_loads_an_extract_once(tmp_path):
    synthetic = generate_internal(tmp_path, "demo-shire", date(2024, 5, 1), date(2024, 5, 14), seed=2, records_per_day=20,
                                  nominal_count=1)
    warehouse_file = tmp_path / "warehouse.duckdb"
    first = internal_ingest_flow([str(synthetic.extract)], str(synthetic.mapping), str(warehouse_file))
    second = internal_ingest_flow([str(synthetic.extract)], str(synthetic.mapping), str(warehouse_file))
    assert [b.status for b in first.batches] == ["loaded"], first.batches[0].error
    assert [b.status for b in second.batches] == ["unchanged"]
    with duckdb.connect(str(warehouse_file), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM internal_incident").fetchall()[0][0] == synthetic.records
        assert con.execute("SELECT count(*) FROM validation_result WHERE suite = 'internal'").fetchall()[0][0] > 0
