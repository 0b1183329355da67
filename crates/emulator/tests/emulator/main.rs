//! Integration tests of the emulator over real HTTP: one binary, one module per resource.

mod harness;

mod admin_faults;
mod bulk;
mod collection_faults;
mod collections;
mod composite;
mod discovery;
mod lead_errors;
mod leads_crud;
mod oauth;
mod persist;
mod query;
mod soql_fuzz;
