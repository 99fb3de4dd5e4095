-- Operations: every flow run, and what data.police.uk said it had published.

-- One row per flow run, written by the flow itself when it starts and ends, and again by Prefect's state hooks
-- when the run reaches its final state, so a run whose body never recorded its end (crashed, cancelled) still
-- shows, and a run whose hooks did not fire still shows.
CREATE TABLE flow_run (
    run_id VARCHAR PRIMARY KEY,           -- Prefect's flow run id
    flow_name VARCHAR NOT NULL,
    deployment VARCHAR,                   -- NULL when the flow was called outside a deployment
    state VARCHAR NOT NULL,               -- RUNNING | COMPLETED | FAILED | CRASHED | CANCELLED
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    seconds DOUBLE,
    parameters_json VARCHAR,
    summary VARCHAR,                      -- what the run did, one line
    error VARCHAR,
    recorded_by_flow BOOLEAN NOT NULL DEFAULT false,
    recorded_by_hook BOOLEAN NOT NULL DEFAULT false
);

-- What data.police.uk said it had published, each time it was asked: the site's latest month
-- (/api/crime-last-updated, force NULL) and, from each downloaded archive, the latest month held per force.
CREATE TABLE publication_check (
    checked_at TIMESTAMPTZ NOT NULL,
    force VARCHAR,
    latest_month DATE NOT NULL,
    source VARCHAR NOT NULL               -- crime-last-updated | archive YYYY-MM.zip
);
