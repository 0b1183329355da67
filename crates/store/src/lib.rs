//! Storage: repository traits with SQLite and PostgreSQL implementations, migrations, and the durable job queue.
