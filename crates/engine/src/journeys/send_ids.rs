//! The send ids leadwire makes ([`leadwire_core::send_id`] holds Braze's rules for one):
//! for `POST /sends/id/create` without a `send_id`, and for a broadcast of a campaign sent
//! without one, as Braze gives such a broadcast a send id of its own.

use uuid::Uuid;

/// A new send id: 32 lowercase hex digits, time-ordered.
pub fn generate() -> String {
    Uuid::now_v7().simple().to_string()
}

/// The send id a campaign broadcast is tracked under: the one given, or a new one.
pub(crate) fn for_broadcast(given: Option<&str>) -> String {
    given.map_or_else(generate, str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_send_id_is_a_valid_one_and_a_given_one_is_kept() {
        let made = generate();
        assert_eq!(leadwire_core::send_id::check(&made), Ok(()));
        assert_ne!(made, generate());
        assert_eq!(for_broadcast(Some("spring")), "spring");
        assert_eq!(for_broadcast(None).len(), 32);
    }
}
