//! The working set of one `/users/track` transaction (one request, or a group of them):
//! profiles loaded or created so far, the changes of the request being applied, the
//! writes not yet made (in the order lone requests would make them), and caches from
//! identifiers to profile ids.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::track::UserIdentifier;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::interest::TriggerInterest;
use crate::model::{NewEvent, NewPurchase};
use crate::repository::{ProfileWrite, StoreTransaction};
use crate::sql::shared::EncodedProfiles;

pub(crate) struct Working {
    pub profile: Profile,
    /// The changes the request being applied made.
    pub changes: ProfileChanges,
    /// Whether the request being applied changed the profile.
    pub touched: bool,
}

#[derive(Default)]
pub(crate) struct Session {
    profiles: HashMap<Uuid, Working>,
    by_external_id: HashMap<String, Option<Uuid>>,
    by_alias: HashMap<UserAlias, Uuid>,
    by_email: HashMap<String, Uuid>,
    by_phone: HashMap<String, Uuid>,
    /// Writes of finished requests not yet made, in the order lone requests make them.
    steps: Vec<Step>,
}

/// One write of finished requests.
enum Step {
    /// Profiles (written in their current state) and the changes each request made, in
    /// request order; the changes decide the trigger jobs.
    Profiles(Vec<(Uuid, ProfileChanges)>),
    Events(Vec<NewEvent>),
    Purchases(Vec<NewPurchase>),
}

/// What the working set knows of the user an identifier names.
pub(crate) enum Resolved {
    Found(Uuid),
    Absent,
    /// Only a database lookup can tell, and none was allowed.
    Unknown,
}

impl Session {
    /// Loads every profile named by these external ids in one query; ids not found are
    /// remembered as absent.
    pub async fn preload(
        &mut self,
        tx: &mut dyn StoreTransaction,
        external_ids: &[&str],
    ) -> StoreResult<()> {
        if external_ids.is_empty() {
            return Ok(());
        }
        let profiles = tx.find_profiles_by_external_id(external_ids).await?;
        self.absorb(external_ids, profiles);
        Ok(())
    }

    /// Takes in the profiles read for these external ids; ids without one are absent.
    pub fn absorb(&mut self, external_ids: &[&str], profiles: Vec<Profile>) {
        for id in external_ids {
            self.by_external_id.insert((*id).to_owned(), None);
        }
        for profile in profiles {
            self.remember(profile);
        }
    }

    /// Copies in what `earlier` (the working set of a group written just before) knows of
    /// these external ids: its profiles as that group leaves them. Answers the ids it
    /// does not know.
    pub fn carry_over<'a>(&mut self, earlier: &Session, external_ids: &[&'a str]) -> Vec<&'a str> {
        let mut unknown = Vec::new();
        for id in external_ids {
            match earlier.by_external_id.get(*id) {
                Some(Some(user)) => match earlier.profiles.get(user) {
                    Some(working) => {
                        self.remember(working.profile.clone());
                    }
                    None => unknown.push(*id),
                },
                Some(None) => {
                    self.by_external_id.insert((*id).to_owned(), None);
                }
                None => unknown.push(*id),
            }
        }
        unknown
    }

    /// The ids of every profile the working set holds.
    pub fn profile_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.profiles.keys().copied()
    }

    fn remember(&mut self, profile: Profile) -> Uuid {
        let id = profile.id;
        if let Some(external_id) = &profile.external_id {
            self.by_external_id.insert(external_id.clone(), Some(id));
        }
        for alias in &profile.aliases {
            self.by_alias.insert(alias.clone(), id);
        }
        self.profiles.entry(id).or_insert(Working {
            profile,
            changes: ProfileChanges::default(),
            touched: false,
        });
        id
    }

    /// The profile `identifier` names, looked up through `tx` when the working set does not
    /// know it (or [`Resolved::Unknown`] without a transaction).
    pub async fn resolve(
        &mut self,
        tx: Option<&mut dyn StoreTransaction>,
        identifier: &UserIdentifier,
    ) -> StoreResult<Resolved> {
        let cached = match identifier {
            UserIdentifier::ExternalId(id) => match self.by_external_id.get(id) {
                Some(entry) => return Ok(entry.map_or(Resolved::Absent, Resolved::Found)),
                None => None,
            },
            UserIdentifier::Alias(alias) => self.by_alias.get(alias).copied(),
            UserIdentifier::BrazeId(id) => self.profiles.contains_key(id).then_some(*id),
            UserIdentifier::Email(email) => self.by_email.get(&email.to_lowercase()).copied(),
            UserIdentifier::Phone(phone) => self.by_phone.get(phone).copied(),
        };
        if let Some(id) = cached {
            return Ok(Resolved::Found(id));
        }
        let Some(tx) = tx else {
            return Ok(Resolved::Unknown);
        };
        let found = tx
            .find_profile(identifier)
            .await?
            .map(|profile| self.remember(profile));
        match identifier {
            UserIdentifier::ExternalId(id) => {
                self.by_external_id.insert(id.clone(), found);
            }
            UserIdentifier::Email(email) => {
                if let Some(found) = found {
                    self.by_email.insert(email.to_lowercase(), found);
                }
            }
            UserIdentifier::Phone(phone) => {
                if let Some(found) = found {
                    self.by_phone.insert(phone.clone(), found);
                }
            }
            UserIdentifier::Alias(_) | UserIdentifier::BrazeId(_) => {}
        }
        Ok(found.map_or(Resolved::Absent, Resolved::Found))
    }

    /// A copy of the working profile, to change and [`put`](Self::put) back on success.
    pub fn get(&self, id: Uuid) -> Option<Profile> {
        self.profiles
            .get(&id)
            .map(|working| working.profile.clone())
    }

    /// A new, empty profile carrying `identifier` (external id, alias, or phone; an email is
    /// set by the caller through the attribute path so it counts as added).
    pub fn new_profile(identifier: &UserIdentifier, now: DateTime<Utc>) -> Profile {
        let mut profile = Profile::new(Uuid::now_v7(), now);
        match identifier {
            UserIdentifier::ExternalId(id) => profile.external_id = Some(id.clone()),
            UserIdentifier::Alias(alias) => profile.aliases.push(alias.clone()),
            UserIdentifier::Phone(phone) => {
                profile
                    .standard
                    .insert("phone".into(), serde_json::Value::String(phone.clone()));
            }
            UserIdentifier::BrazeId(_) | UserIdentifier::Email(_) => {}
        }
        profile
    }

    /// Stores a changed profile back and folds in its changes.
    pub fn put(&mut self, identifier: &UserIdentifier, profile: Profile, changes: ProfileChanges) {
        let id = profile.id;
        match identifier {
            UserIdentifier::Email(email) => {
                self.by_email.insert(email.to_lowercase(), id);
            }
            UserIdentifier::Phone(phone) => {
                self.by_phone.insert(phone.clone(), id);
            }
            _ => {}
        }
        if let Some(external_id) = &profile.external_id {
            self.by_external_id.insert(external_id.clone(), Some(id));
        }
        for alias in &profile.aliases {
            self.by_alias.insert(alias.clone(), id);
        }
        match self.profiles.get_mut(&id) {
            Some(working) => {
                working.profile = profile;
                working.changes.merge(changes);
                working.touched = true;
            }
            None => {
                self.profiles.insert(
                    id,
                    Working {
                        profile,
                        changes,
                        touched: true,
                    },
                );
            }
        }
    }

    /// Ends the request being applied: the profiles it changed (in id order, a stable lock
    /// order on PostgreSQL), then its events, then its purchases join the writes to make.
    pub fn finish_request(&mut self, events: Vec<NewEvent>, purchases: Vec<NewPurchase>) {
        let mut touched: Vec<&mut Working> = self
            .profiles
            .values_mut()
            .filter(|working| working.touched)
            .collect();
        touched.sort_by_key(|working| working.profile.id);
        let writes: Vec<(Uuid, ProfileChanges)> = touched
            .into_iter()
            .map(|working| {
                working.touched = false;
                (working.profile.id, std::mem::take(&mut working.changes))
            })
            .collect();
        if !writes.is_empty() {
            match self.steps.last_mut() {
                Some(Step::Profiles(pending)) => pending.extend(writes),
                _ => self.steps.push(Step::Profiles(writes)),
            }
        }
        if !events.is_empty() {
            self.steps.push(Step::Events(events));
        }
        if !purchases.is_empty() {
            self.steps.push(Step::Purchases(purchases));
        }
    }

    /// Drops the email and phone lookups of earlier requests: a profile's email or phone
    /// may have changed since, and a request's own lookups must see what the database
    /// holds once the earlier requests are written.
    pub fn forget_contact_lookups(&mut self) {
        self.by_email.clear();
        self.by_phone.clear();
    }

    /// Makes the writes of the finished requests (with the trigger jobs they cause).
    pub async fn flush(&mut self, tx: &mut dyn StoreTransaction) -> StoreResult<()> {
        for step in std::mem::take(&mut self.steps) {
            match step {
                Step::Profiles(pending) => tx.save_profiles(&self.profile_writes(&pending)).await?,
                Step::Events(events) => tx.record_events(&events).await?,
                Step::Purchases(purchases) => tx.record_purchases(&purchases).await?,
            }
        }
        Ok(())
    }

    /// The pending writes with each profile in its current state.
    fn profile_writes<'a>(
        &'a self,
        pending: &'a [(Uuid, ProfileChanges)],
    ) -> Vec<ProfileWrite<'a>> {
        pending
            .iter()
            .filter_map(|(id, changes)| {
                self.profiles.get(id).map(|working| ProfileWrite {
                    profile: &working.profile,
                    changes,
                })
            })
            .collect()
    }

    /// Takes the writes of the finished requests, encoded for the store, in order.
    pub fn encode(&mut self, interest: &TriggerInterest) -> StoreResult<Vec<EncodedStep>> {
        let steps = std::mem::take(&mut self.steps);
        steps
            .into_iter()
            .map(|step| {
                Ok(match step {
                    Step::Profiles(pending) => EncodedStep::Profiles(EncodedProfiles::new(
                        &self.profile_writes(&pending),
                        interest,
                    )?),
                    Step::Events(events) => EncodedStep::Events(events),
                    Step::Purchases(purchases) => EncodedStep::Purchases(purchases),
                })
            })
            .collect()
    }
}

/// One write of finished requests, ready for the store.
pub(crate) enum EncodedStep {
    Profiles(EncodedProfiles),
    Events(Vec<NewEvent>),
    Purchases(Vec<NewPurchase>),
}

impl EncodedStep {
    pub async fn write(&self, tx: &mut dyn StoreTransaction) -> StoreResult<()> {
        match self {
            Self::Profiles(profiles) => tx.save_encoded_profiles(profiles).await,
            Self::Events(events) => tx.record_events(events).await,
            Self::Purchases(purchases) => tx.record_purchases(purchases).await,
        }
    }
}
