-- Salesforce Bulk API 2.0 ingest jobs of a backfill, stored before their upload so a restart
-- resumes them and never uploads twice. rows maps each CSV row (in upload order) to its user
-- and the key its result rows are matched by: one "user:key" line a row.
CREATE TABLE salesforce_bulk_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    run_id TEXT NOT NULL,
    template TEXT NOT NULL,
    connection TEXT NOT NULL,
    api_base TEXT NOT NULL,
    operation TEXT NOT NULL,
    external_id_field TEXT,
    sf_job_id TEXT,
    state TEXT NOT NULL,
    sf_state TEXT,
    rows TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    processed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX salesforce_bulk_jobs_state ON salesforce_bulk_jobs (state, created_at);
