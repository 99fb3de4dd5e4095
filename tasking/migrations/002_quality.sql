-- Quality gate results: one row per expectation each time a batch is validated, either by the gate before the
-- batch is merged (run 'gate') or by `tasking validate` over the rows already stored (run 'revalidate').
CREATE SEQUENCE validation_result_id;
CREATE TABLE validation_result (
    result_id BIGINT PRIMARY KEY DEFAULT nextval('validation_result_id'),
    batch_id BIGINT,                 -- ingest_log.batch_id of the file whose rows were validated
    run VARCHAR NOT NULL,            -- gate | revalidate
    validated_at TIMESTAMPTZ NOT NULL,
    suite VARCHAR NOT NULL,          -- expectations/<suite>.json
    expectation VARCHAR NOT NULL,    -- GX expectation type
    column_name VARCHAR,
    description VARCHAR,
    severity VARCHAR NOT NULL,       -- critical (blocks the merge) | warning (stored and shown only)
    success BOOLEAN NOT NULL,
    observed_value VARCHAR,          -- JSON
    unexpected_count BIGINT,
    unexpected_percent DOUBLE,
    unexpected_examples VARCHAR,     -- JSON list of at most a few offending values or rows
    error VARCHAR                    -- set when GX could not compute the expectation (counts as a failure)
);

-- Force-months that products must state as intelligence gaps, per kind and force:
--   missing: no rows stored for a month inside the range of months loaded or offered to ingest;
--   partial: rows below half the median of the previous 12 months that have rows (needs 3 such months).
CREATE VIEW completeness AS
WITH loaded AS (
    SELECT 'street' AS kind, force, month, count(*) AS rows FROM street_crime GROUP BY ALL
    UNION ALL SELECT 'outcomes', force, month, count(*) FROM outcome GROUP BY ALL
    UNION ALL SELECT 'stop-and-search', force, month, count(*) FROM stop_search GROUP BY ALL
),
offered AS (
    SELECT kind, force, month FROM loaded
    UNION SELECT kind, force, month FROM ingest_log
    WHERE kind IN ('street', 'outcomes', 'stop-and-search') AND force IS NOT NULL AND month IS NOT NULL
),
spans AS (SELECT kind, force, min(month) AS first_month, max(month) AS last_month FROM offered GROUP BY ALL),
calendar AS (
    SELECT kind, force, CAST(unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH)) AS DATE) AS month
    FROM spans
),
filled AS (
    SELECT c.kind, c.force, c.month, coalesce(l.rows, 0) AS rows, l.rows IS NULL AS missing
    FROM calendar c LEFT JOIN loaded l USING (kind, force, month)
),
with_baseline AS (
    SELECT *,
        median(rows) FILTER (WHERE NOT missing) OVER previous_year AS baseline_median,
        count(*) FILTER (WHERE NOT missing) OVER previous_year AS baseline_months
    FROM filled
    WINDOW previous_year AS (PARTITION BY kind, force ORDER BY month
                        RANGE BETWEEN INTERVAL 12 MONTH PRECEDING AND INTERVAL 1 MONTH PRECEDING)
),
last_attempt AS (
    SELECT kind, force, month, arg_max(status, batch_id) AS status, max(batch_id) AS batch_id, arg_max(error, batch_id) AS error
    FROM ingest_log WHERE month IS NOT NULL GROUP BY ALL
)
SELECT
    b.kind, b.force, b.month, b.rows, b.baseline_median, b.baseline_months,
    CASE WHEN b.missing THEN 'missing' ELSE 'partial' END AS status,
    CASE
        WHEN b.missing AND a.status IN ('quarantined', 'failed')
            THEN 'no rows stored: the last file offered for this month (batch ' || a.batch_id || ') was ' || a.status
        WHEN b.missing THEN 'no rows stored for this month, inside the range of months loaded'
        ELSE b.rows || ' rows, below half the median (' || b.baseline_median || ') of the previous '
             || b.baseline_months || ' months with data'
    END AS reason,
    CASE WHEN b.missing AND a.status IN ('quarantined', 'failed') THEN a.batch_id END AS rejected_batch_id
FROM with_baseline b LEFT JOIN last_attempt a USING (kind, force, month)
WHERE b.missing OR (b.baseline_months >= 3 AND b.rows < 0.5 * b.baseline_median);
