//! Triggers: what a user does ([`TriggerEvent`], carried by the store's trigger jobs as
//! [`UserTrigger`]), the declarations campaigns and canvases react to ([`Trigger`]: add an
//! email address, change a custom attribute value, perform a custom event, make a purchase),
//! and which events are worth a job at all ([`TriggerInterest`]).

mod declared;
mod event;
mod interest;

pub use declared::{PropertyFilter, Trigger, first_match};
pub use event::{TriggerEvent, UserTrigger, read_stored_event};
pub use interest::{NameFilter, TriggerInterest};

#[cfg(test)]
mod tests;
