-- What /metrics counts of Bulk API 2.0 jobs (by template and state, with their row counts)
-- read from this index alone: the table's rows column holds a line per CSV row, which a
-- scan of the table would read through.
CREATE INDEX salesforce_bulk_jobs_tally ON salesforce_bulk_jobs
    (template, state, row_count, processed, failed);
