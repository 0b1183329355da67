//! The `/users/track` write path, which Canvas User Update steps share. [`track`] writes one
//! request in a transaction of its own, [`track_within`] inside the caller's;
//! [`Ingestor`] (module `group`) writes concurrent requests together, one transaction for
//! all that are waiting, each applied exactly as [`track`] would apply it.
//!
//! Every object is validated and applied in memory first (attributes through
//! [`leadwire_core::attributes::apply_attributes`], events and purchases through
//! [`leadwire_core::track`]); a rejected object is reported and writes nothing, the valid
//! objects of the same request are kept. Then the changed profiles, events, purchases and
//! the trigger jobs they cause are written with a few multi-row statements and committed
//! together. An object whose user does not exist and that is update-only
//! (`_update_existing_only`, the default for `user_alias`) is skipped without an error and
//! counted as processed, as Braze answers it. Processing order is Braze's: attributes, then events, then purchases. A
//! [`StoreError::Conflict`] (two nodes creating one user at once) retries the whole request.

mod backlog;
mod group;
mod parts;
mod session;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::{
    AttributeError, AttributeLimits, ProfileChanges, apply_attributes,
};
use leadwire_core::track::{self, UserIdentifier};
use serde_json::{Map, Value};

use crate::error::{StoreError, StoreResult};
use crate::model::{NewEvent, NewPurchase};
use crate::repository::{Store, StoreTransaction};
pub use group::Ingestor;
pub use parts::PART_WEIGHT;
use session::Session;

const ATTEMPTS: usize = 5;

/// Which array of the request an object came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputArray {
    Attributes,
    Events,
    Purchases,
}

impl InputArray {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attributes => "attributes",
            Self::Events => "events",
            Self::Purchases => "purchases",
        }
    }
}

/// One rejected object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectError {
    pub input_array: InputArray,
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// The three arrays of a request; `None` when the array was not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackRequest {
    pub attributes: Option<Vec<Value>>,
    pub events: Option<Vec<Value>>,
    pub purchases: Option<Vec<Value>>,
}

/// What was written; a count is `None` when its array was not sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackOutcome {
    pub attributes_processed: Option<usize>,
    pub events_processed: Option<usize>,
    pub purchases_processed: Option<usize>,
    pub errors: Vec<ObjectError>,
}

impl TrackRequest {
    /// How many objects the request holds, over its three arrays.
    pub fn objects(&self) -> usize {
        [&self.attributes, &self.events, &self.purchases]
            .into_iter()
            .flatten()
            .map(Vec::len)
            .sum()
    }
}

impl TrackOutcome {
    pub fn processed(&self) -> usize {
        [
            self.attributes_processed,
            self.events_processed,
            self.purchases_processed,
        ]
        .iter()
        .flatten()
        .sum()
    }
}

enum Failure {
    Invalid(AttributeError),
    Store(StoreError),
}

impl From<AttributeError> for Failure {
    fn from(error: AttributeError) -> Self {
        Self::Invalid(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Applies a `/users/track` request in one transaction.
pub async fn track(
    store: &dyn Store,
    request: &TrackRequest,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> StoreResult<TrackOutcome> {
    let mut attempt = 1;
    loop {
        match track_once(store, request, limits, now).await {
            Err(StoreError::Conflict) if attempt < ATTEMPTS => {
                tracing::debug!(
                    attempt,
                    "track request conflicted with a concurrent write; retrying"
                );
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

async fn track_once(
    store: &dyn Store,
    request: &TrackRequest,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> StoreResult<TrackOutcome> {
    let mut tx = store.begin().await?;
    let outcome = track_within(tx.as_mut(), request, limits, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Applies a `/users/track`-shaped request inside `tx`, which the caller commits, exactly as
/// [`track`] applies it in a transaction of its own (a Canvas User Update step writes this
/// way, so its changes validate and cause triggers like an API write).
pub async fn track_within(
    tx: &mut dyn StoreTransaction,
    request: &TrackRequest,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> StoreResult<TrackOutcome> {
    let mut outcomes = track_in(tx, &[(request, now)], limits).await?;
    Ok(outcomes.pop().unwrap_or_default())
}

/// Applies `requests` in order inside `tx`, which the caller commits, each exactly as if it
/// were written and committed alone before the next began.
///
/// The requests share one working set: their profiles are read with one query up front,
/// and a profile a request changes is served to later requests from memory. Writes are
/// deferred and gathered into as few statements as keep that equivalence:
/// - before a request that names a user other than by external id (which may need a
///   lookup by email, phone, alias or braze_id), the pending writes are flushed, so its
///   lookups see the database as a lone request would;
/// - a request's events and purchases are written at its end, after the pending profile
///   writes, so trigger jobs keep the order lone requests give them (a request's attribute
///   changes, then its events, then its purchases).
async fn track_in(
    tx: &mut dyn StoreTransaction,
    requests: &[(&TrackRequest, DateTime<Utc>)],
    limits: &AttributeLimits,
) -> StoreResult<Vec<TrackOutcome>> {
    let mut session = Session::default();
    let external_ids = external_ids(requests.iter().map(|(request, _)| *request));
    session.preload(tx, &external_ids).await?;
    let mut outcomes = Vec::with_capacity(requests.len());
    for (request, now) in requests {
        if !named_by_external_ids(request) {
            session.flush(tx).await?;
        }
        session.forget_contact_lookups();
        let (outcome, events, purchases) =
            apply_request(tx, &mut session, request, limits, *now).await?;
        session.finish_request();
        if !events.is_empty() || !purchases.is_empty() {
            session.flush(tx).await?;
        }
        if !events.is_empty() {
            tx.record_events(&events).await?;
        }
        if !purchases.is_empty() {
            tx.record_purchases(&purchases).await?;
        }
        outcomes.push(outcome);
    }
    session.flush(tx).await?;
    Ok(outcomes)
}

/// Applies one request's objects to the working set: its outcome, events and purchases.
async fn apply_request(
    tx: &mut dyn StoreTransaction,
    session: &mut Session,
    request: &TrackRequest,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> StoreResult<(TrackOutcome, Vec<NewEvent>, Vec<NewPurchase>)> {
    let mut outcome = TrackOutcome::default();
    if let Some(attributes) = &request.attributes {
        let mut processed = 0;
        for (index, value) in attributes.iter().enumerate() {
            match attributes_object(tx, session, value, limits, now).await {
                Ok(()) => processed += 1,
                Err(Failure::Invalid(error)) => {
                    outcome
                        .errors
                        .push(object_error(InputArray::Attributes, index, error))
                }
                Err(Failure::Store(error)) => return Err(error),
            }
        }
        outcome.attributes_processed = Some(processed);
    }

    let mut events = Vec::new();
    if let Some(values) = &request.events {
        let mut processed = 0;
        for (index, value) in values.iter().enumerate() {
            match event_object(tx, session, value, limits, now).await {
                Ok(event) => {
                    processed += 1;
                    events.extend(event);
                }
                Err(Failure::Invalid(error)) => {
                    outcome
                        .errors
                        .push(object_error(InputArray::Events, index, error))
                }
                Err(Failure::Store(error)) => return Err(error),
            }
        }
        outcome.events_processed = Some(processed);
    }

    let mut purchases = Vec::new();
    if let Some(values) = &request.purchases {
        let mut processed = 0;
        for (index, value) in values.iter().enumerate() {
            match purchase_object(tx, session, value, limits, now).await {
                Ok(purchase) => {
                    processed += 1;
                    purchases.extend(purchase);
                }
                Err(Failure::Invalid(error)) => {
                    outcome
                        .errors
                        .push(object_error(InputArray::Purchases, index, error))
                }
                Err(Failure::Store(error)) => return Err(error),
            }
        }
        outcome.purchases_processed = Some(processed);
    }
    Ok((outcome, events, purchases))
}

fn object_error(input_array: InputArray, index: usize, error: AttributeError) -> ObjectError {
    ObjectError {
        input_array,
        index,
        field: error.field,
        message: error.message,
    }
}

/// Every external id these requests name, for one batched lookup.
fn external_ids<'a>(requests: impl Iterator<Item = &'a TrackRequest>) -> Vec<&'a str> {
    let mut ids: Vec<&str> = requests
        .flat_map(objects)
        .filter_map(external_id_of)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn objects(request: &TrackRequest) -> impl Iterator<Item = &Value> {
    [&request.attributes, &request.events, &request.purchases]
        .into_iter()
        .flatten()
        .flatten()
}

fn external_id_of(object: &Value) -> Option<&str> {
    object
        .get("external_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}

/// Whether every object of the request names its user by external id, so that the
/// up-front read answers all its lookups.
fn named_by_external_ids(request: &TrackRequest) -> bool {
    objects(request).all(|object| external_id_of(object).is_some())
}

fn as_object(value: &Value) -> Result<&Map<String, Value>, AttributeError> {
    value
        .as_object()
        .ok_or_else(|| AttributeError::new("", "each item must be a JSON object"))
}

fn unknown_user(identifier: &UserIdentifier, hint: &str) -> AttributeError {
    AttributeError::new(
        identifier.field(),
        format!("no user has this {}{hint}", identifier.field()),
    )
}

async fn attributes_object(
    tx: &mut dyn StoreTransaction,
    session: &mut Session,
    value: &Value,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let object = as_object(value)?;
    let identifier = track::identifier_of(object)?;
    let existing_only = track::update_existing_only(object, &identifier)?;
    let (mut profile, mut changes) = match session.resolve(tx, &identifier).await? {
        Some(id) => (
            session.get(id).ok_or(StoreError::Conflict)?,
            ProfileChanges::default(),
        ),
        None if existing_only => return Ok(()),
        None => create(&identifier, limits, now)?,
    };
    changes.merge(apply_attributes(&mut profile, object, limits, now)?);
    session.put(&identifier, profile, changes);
    Ok(())
}

/// A new profile for `identifier`; an email identifier sets the email (which counts as added).
fn create(
    identifier: &UserIdentifier,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<(leadwire_core::profile::Profile, ProfileChanges), AttributeError> {
    if let UserIdentifier::BrazeId(_) = identifier {
        return Err(unknown_user(identifier, ""));
    }
    let mut profile = Session::new_profile(identifier, now);
    let mut changes = ProfileChanges::default();
    if let UserIdentifier::Email(email) = identifier {
        let mut object = Map::with_capacity(1);
        object.insert("email".into(), Value::String(email.clone()));
        changes = apply_attributes(&mut profile, &object, limits, now)?;
    }
    Ok((profile, changes))
}

/// The user an event or purchase names, created when it is new unless `existing_only`
/// (`_update_existing_only`; the default for `user_alias`), in which case the object is
/// skipped (`None`).
async fn user_for_activity(
    tx: &mut dyn StoreTransaction,
    session: &mut Session,
    identifier: &UserIdentifier,
    existing_only: bool,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<Option<uuid::Uuid>, Failure> {
    if let Some(id) = session.resolve(tx, identifier).await? {
        return Ok(Some(id));
    }
    if existing_only {
        return Ok(None);
    }
    let (profile, changes) = create(identifier, limits, now)?;
    let id = profile.id;
    session.put(identifier, profile, changes);
    Ok(Some(id))
}

async fn event_object(
    tx: &mut dyn StoreTransaction,
    session: &mut Session,
    value: &Value,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<Option<NewEvent>, Failure> {
    let event = track::parse_event(value, now)?;
    let existing_only = event.update_existing_only;
    let Some(user_id) =
        user_for_activity(tx, session, &event.user, existing_only, limits, now).await?
    else {
        return Ok(None);
    };
    Ok(Some(NewEvent {
        user_id,
        name: event.name,
        time: event.time,
        app_id: event.app_id,
        properties: event.properties,
    }))
}

async fn purchase_object(
    tx: &mut dyn StoreTransaction,
    session: &mut Session,
    value: &Value,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<Option<NewPurchase>, Failure> {
    let purchase = track::parse_purchase(value, now)?;
    let existing_only = purchase.update_existing_only;
    let Some(user_id) =
        user_for_activity(tx, session, &purchase.user, existing_only, limits, now).await?
    else {
        return Ok(None);
    };
    Ok(Some(NewPurchase {
        user_id,
        product_id: purchase.product_id,
        currency: purchase.currency,
        price: purchase.price,
        quantity: purchase.quantity,
        time: purchase.time,
        app_id: purchase.app_id,
        properties: purchase.properties,
    }))
}
