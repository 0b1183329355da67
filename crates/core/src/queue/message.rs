//! The message a `POST /messages/send` gives in its request, carried by its send tasks
//! and by the pages of its broadcast.

use serde::{Deserialize, Serialize};

use crate::activity::MessageSource;

/// A webhook given in a request (`POST /messages/send`'s `messages.webhook`): the URL,
/// header values and body are Braze Liquid, rendered per user like a template's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdHocWebhook {
    pub url: String,
    /// `POST`, `PUT`, `PATCH`, `DELETE` or `GET`.
    pub method: String,
    /// Header names and values, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The body as sent (an object body is serialized first); `None`: no body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The message of a `POST /messages/send`: what each recipient's send carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdHocMessage {
    pub webhook: AdHocWebhook,
    /// The label the sends are logged under (the API campaign's variant, or
    /// `messages/send`).
    pub template: String,
    pub source: MessageSource,
}
