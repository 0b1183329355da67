//! Webhook delivery: the policies that decide how a send is attempted, retried and recorded.

pub mod breaker;
pub mod http;
pub mod redact;
pub mod retry;
pub mod url_policy;
