//! The working set of one `/users/track` transaction (one request, or a group of them):
//! profiles loaded or created so far, the changes of the request being applied, the
//! profile writes not yet flushed, and caches from identifiers to profile ids.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::track::UserIdentifier;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::repository::{ProfileWrite, StoreTransaction};

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
    /// Profile writes of finished requests not yet flushed: the profile and that request's
    /// changes, in request order.
    pending: Vec<(Uuid, ProfileChanges)>,
}

impl Session {
    /// Loads every profile named by these external ids in one query (and those named by
    /// deprecated ids in one more, when some ids were not primary ones); ids not found are
    /// remembered as absent.
    pub async fn preload(
        &mut self,
        tx: &mut dyn StoreTransaction,
        external_ids: &[&str],
    ) -> StoreResult<()> {
        if external_ids.is_empty() {
            return Ok(());
        }
        for id in external_ids {
            self.by_external_id.insert((*id).to_owned(), None);
        }
        for profile in tx.find_profiles_by_external_id(external_ids).await? {
            self.remember(profile);
        }
        let unknown: Vec<&str> = external_ids
            .iter()
            .copied()
            .filter(|id| matches!(self.by_external_id.get(*id), Some(None)))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        for (deprecated, owner) in tx.deprecated_external_id_owners(&unknown).await? {
            let found = tx
                .find_profile(&UserIdentifier::BrazeId(owner))
                .await?
                .map(|profile| self.remember(profile));
            self.by_external_id.insert(deprecated, found);
        }
        Ok(())
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

    /// The id of the profile `identifier` names, loading it if needed.
    pub async fn resolve(
        &mut self,
        tx: &mut dyn StoreTransaction,
        identifier: &UserIdentifier,
    ) -> StoreResult<Option<Uuid>> {
        let cached = match identifier {
            UserIdentifier::ExternalId(id) => match self.by_external_id.get(id) {
                Some(entry) => return Ok(*entry),
                None => None,
            },
            UserIdentifier::Alias(alias) => self.by_alias.get(alias).copied(),
            UserIdentifier::BrazeId(id) => self.profiles.contains_key(id).then_some(*id),
            UserIdentifier::Email(email) => self.by_email.get(&email.to_lowercase()).copied(),
            UserIdentifier::Phone(phone) => self.by_phone.get(phone).copied(),
        };
        if cached.is_some() {
            return Ok(cached);
        }
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
        Ok(found)
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

    /// Ends the request being applied: the profiles it changed become pending writes, in
    /// id order, the order a lone request writes their trigger jobs in.
    pub fn finish_request(&mut self) {
        let mut touched: Vec<&mut Working> = self
            .profiles
            .values_mut()
            .filter(|working| working.touched)
            .collect();
        touched.sort_by_key(|working| working.profile.id);
        for working in touched {
            working.touched = false;
            let changes = std::mem::take(&mut working.changes);
            self.pending.push((working.profile.id, changes));
        }
    }

    /// Drops the email and phone lookups of earlier requests: a profile's email or phone
    /// may have changed since, and a request's own lookups must see what the database
    /// holds once the earlier requests are written.
    pub fn forget_contact_lookups(&mut self) {
        self.by_email.clear();
        self.by_phone.clear();
    }

    /// Writes the pending profile writes (and the trigger jobs their changes cause).
    pub async fn flush(&mut self, tx: &mut dyn StoreTransaction) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let writes: Vec<ProfileWrite<'_>> = self
            .pending
            .iter()
            .filter_map(|(id, changes)| {
                self.profiles.get(id).map(|working| ProfileWrite {
                    profile: &working.profile,
                    changes,
                })
            })
            .collect();
        tx.save_profiles(&writes).await?;
        self.pending.clear();
        Ok(())
    }
}
