//! Where each thing the console shows lives: the paths pages link to, with names encoded as
//! path segments.

use uuid::Uuid;

use crate::console::error::encode_segment;

pub fn campaign(api_id: &str) -> String {
    format!("/console/campaigns/{}", encode_segment(api_id))
}

pub fn canvas(api_id: &str) -> String {
    format!("/console/canvases/{}", encode_segment(api_id))
}

pub fn canvas_step(api_id: &str, step: &str) -> String {
    format!("{}/steps/{}", canvas(api_id), encode_segment(step))
}

pub fn template(name: &str) -> String {
    format!("/console/templates/{}", encode_segment(name))
}

pub fn user(id: Uuid) -> String {
    format!("/console/users/{id}")
}

pub fn activity_entry(id: Uuid) -> String {
    format!("/console/log/{id}")
}

/// The activity log of one user.
pub fn user_activity(id: Uuid) -> String {
    format!("/console/log?user={id}")
}

/// The activity log of one send: every attempt.
pub fn send_activity(send_id: Uuid) -> String {
    format!("/console/log?send_id={send_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_as_segments() {
        assert_eq!(
            canvas_step("Lead Scoring", "Mark as MQL"),
            "/console/canvases/Lead%20Scoring/steps/Mark%20as%20MQL"
        );
        assert_eq!(template("a/b"), "/console/templates/a%2Fb");
    }
}
