//! The Braze-compatible REST API: routes, auth, and the single place where errors become HTTP responses.
