-- A run's process and its heartbeat, so a run whose process died (kill -9, power loss) is marked CRASHED
-- instead of staying RUNNING forever (tasks/runs.py: mark_crashed_runs).
ALTER TABLE flow_run ADD COLUMN heartbeat_at TIMESTAMPTZ;
ALTER TABLE flow_run ADD COLUMN pid INTEGER;
ALTER TABLE flow_run ADD COLUMN host VARCHAR;
