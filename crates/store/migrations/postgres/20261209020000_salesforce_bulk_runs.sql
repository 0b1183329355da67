-- Salesforce Bulk API 2.0 runs: one row per backfill of a template, so a backfill started
-- again continues after the last profile it handed to a job (last_profile_id) instead of
-- starting over. That cursor moves in the transaction that stores the job taking them.
-- source says what started the run (backfill); audience is the audience it was started
-- with, as given, or NULL for a run adopted from jobs stored before runs were.
CREATE TABLE salesforce_bulk_runs (
    id TEXT PRIMARY KEY NOT NULL,
    template TEXT NOT NULL,
    connection TEXT NOT NULL,
    source TEXT NOT NULL,
    audience TEXT,
    last_profile_id TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX salesforce_bulk_runs_template ON salesforce_bulk_runs (template, state, created_at);
-- A backfill whose jobs were stored before runs were: its run, resumed after the last
-- profile of those jobs.
INSERT INTO salesforce_bulk_runs
    (id, template, connection, source, audience, last_profile_id, state, created_at, updated_at)
SELECT run_id, MIN(template), MIN(connection), 'backfill', NULL, NULL, 'running',
    MIN(created_at), MAX(updated_at)
FROM salesforce_bulk_jobs
WHERE state NOT IN ('recorded', 'abandoned')
GROUP BY run_id;
