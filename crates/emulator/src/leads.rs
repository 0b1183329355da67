//! Lead writes shared by the REST and composite resources: create, update, delete and upsert by external id, with defaults, required fields and duplicate rules.

use chrono::Utc;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::config::{DuplicateAction, USER_ID};
use super::record::attributes;
use super::state::EmulatorState;
use super::store::LeadRecord;
use super::validate::{WriteMode, check_required, prepare_object};
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::fields::FieldType;
use leadwire_salesforce::ids::{LEAD_KEY_PREFIX, RecordId};

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created(RecordId),
    Updated(RecordId),
    /// More than one record matched; nothing was written.
    Ambiguous(Vec<RecordId>),
}

/// Finds a live lead by a path segment, with Salesforce's 404s.
pub fn resolve(state: &EmulatorState, segment: &str) -> Result<LeadRecord, ApiError> {
    let Some(id) = RecordId::parse(segment) else {
        return Err(ApiError::external_id_field_not_found(segment));
    };
    if id.key_prefix() != LEAD_KEY_PREFIX {
        return Err(ApiError::resource_not_found());
    }
    match state.inner.leads.get(&id) {
        None => Err(ApiError::resource_not_found()),
        Some(record) if record.deleted => Err(ApiError::entity_is_deleted()),
        Some(record) => Ok(record),
    }
}

/// Creates a lead from a JSON object.
pub fn create(
    state: &EmulatorState,
    object: &Map<String, Value>,
    raw: &[u8],
    headers: &HeaderMap,
) -> Result<RecordId, ApiError> {
    create_with(state, object, raw, headers, None)
}

fn create_with(
    state: &EmulatorState,
    object: &Map<String, Value>,
    raw: &[u8],
    headers: &HeaderMap,
    preset: Option<(usize, Value)>,
) -> Result<RecordId, ApiError> {
    let catalog = &state.inner.catalog;
    let changes = prepare_object(catalog, object, raw, WriteMode::Create)?;
    let now = Utc::now();
    let (id, sequence) = state.inner.ids.next_id();
    let mut record = LeadRecord {
        id,
        sequence,
        values: Vec::new(),
        created_at: now,
        modified_at: now,
        deleted: false,
    };
    for (index, field) in catalog.fields().iter().enumerate() {
        if !(field.defaulted_on_create && field.createable) {
            continue;
        }
        let default = match (field.name.as_str(), field.field_type) {
            ("OwnerId", _) => json!(USER_ID),
            ("IsUnreadByOwner", _) => json!(true),
            (_, FieldType::Boolean) => json!(false),
            (_, FieldType::Picklist) => field
                .default_picklist_value
                .clone()
                .map_or(Value::Null, Value::String),
            _ => Value::Null,
        };
        record.set(index, default);
    }
    for (index, value) in changes.into_iter().chain(preset) {
        record.set(index, value);
    }
    check_required(catalog, &record)?;
    let _gate = gate(state);
    check_duplicates(state, &record, headers)?;
    state.save(record);
    Ok(id)
}

/// Applies a JSON object to a live lead.
pub fn update(
    state: &EmulatorState,
    id_segment: &str,
    object: &Map<String, Value>,
    raw: &[u8],
    headers: &HeaderMap,
) -> Result<RecordId, ApiError> {
    let record = resolve(state, id_segment)?;
    update_record(state, record, object, raw, headers)
}

fn update_record(
    state: &EmulatorState,
    mut record: LeadRecord,
    object: &Map<String, Value>,
    raw: &[u8],
    headers: &HeaderMap,
) -> Result<RecordId, ApiError> {
    let catalog = &state.inner.catalog;
    let changes = prepare_object(catalog, object, raw, WriteMode::Update)?;
    for (index, value) in changes {
        record.set(index, value);
    }
    check_required(catalog, &record)?;
    record.modified_at = Utc::now();
    let _gate = gate(state);
    check_duplicates(state, &record, headers)?;
    let id = record.id;
    state.save(record);
    Ok(id)
}

/// Moves a live lead to the recycle bin.
pub fn delete(state: &EmulatorState, id_segment: &str) -> Result<RecordId, ApiError> {
    let mut record = resolve(state, id_segment)?;
    record.deleted = true;
    record.modified_at = Utc::now();
    let id = record.id;
    state.save(record);
    Ok(id)
}

/// Ids of live leads whose external-id field `field_name` equals `value`.
pub fn find_by_external_id(
    state: &EmulatorState,
    field_name: &str,
    value: &str,
) -> Result<(usize, Vec<RecordId>), ApiError> {
    let catalog = &state.inner.catalog;
    let index = catalog
        .index_of(field_name)
        .filter(|i| catalog.at(*i).external_id)
        .ok_or_else(|| ApiError::external_id_field_not_found(field_name))?;
    let wanted = Value::String(value.to_owned());
    Ok((index, state.inner.leads.find_live(index, &wanted)))
}

/// Creates or updates the lead whose external-id field equals `value`.
pub fn upsert(
    state: &EmulatorState,
    field_name: &str,
    value: &str,
    object: &Map<String, Value>,
    raw: &[u8],
    headers: &HeaderMap,
) -> Result<UpsertOutcome, ApiError> {
    let (index, matches) = find_by_external_id(state, field_name, value)?;
    let mut object = object.clone();
    object.retain(|key, _| state.inner.catalog.index_of(key) != Some(index));
    match matches.as_slice() {
        [] => create_with(
            state,
            &object,
            raw,
            headers,
            Some((index, Value::String(value.to_owned()))),
        )
        .map(UpsertOutcome::Created),
        [only] => {
            let record = state
                .inner
                .leads
                .get(only)
                .ok_or_else(ApiError::resource_not_found)?;
            update_record(state, record, &object, raw, headers).map(UpsertOutcome::Updated)
        }
        _ => Ok(UpsertOutcome::Ambiguous(matches)),
    }
}

/// The per-record error of an upsert whose external id matched several leads (a batch
/// write's counterpart of the single-record 300).
pub fn duplicate_external_id(ids: &[RecordId]) -> ApiErrorItem {
    let listed: Vec<String> = ids.iter().map(ToString::to_string).collect();
    ApiErrorItem::with_fields(
        "DUPLICATE_EXTERNAL_ID",
        format!(
            "Lead: more than one record found for external id field: [{}]",
            listed.join(", ")
        ),
        Vec::new(),
    )
}

fn gate(state: &EmulatorState) -> Option<std::sync::MutexGuard<'_, ()>> {
    if state.inner.duplicate_rule_fields.is_empty() {
        return None;
    }
    Some(
        state
            .inner
            .write_gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

fn allow_save(headers: &HeaderMap) -> bool {
    headers
        .get("sforce-duplicate-rule-header")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').any(|part| {
                let compact: String = part.chars().filter(|c| !c.is_whitespace()).collect();
                compact.eq_ignore_ascii_case("allowSave=true")
            })
        })
}

/// DUPLICATES_DETECTED when a duplicate rule matches another live lead.
fn check_duplicates(
    state: &EmulatorState,
    record: &LeadRecord,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    for (rule, index) in state
        .inner
        .config
        .duplicate_rules
        .iter()
        .zip(&state.inner.duplicate_rule_fields)
    {
        let Some(value) = record.get(*index) else {
            continue;
        };
        let others: Vec<RecordId> = state
            .inner
            .leads
            .find_live(*index, value)
            .into_iter()
            .filter(|other| *other != record.id)
            .collect();
        let Some(first) = others.first() else {
            continue;
        };
        let alert = rule.action == DuplicateAction::Alert;
        if alert && allow_save(headers) {
            continue;
        }
        return Err(duplicates_detected(first, alert));
    }
    Ok(())
}

const DUPLICATE_MESSAGE: &str =
    "You're creating a duplicate record. We recommend you use an existing record instead.";

fn duplicates_detected(existing: &RecordId, allow_save: bool) -> ApiError {
    let id = existing.to_string();
    let result = json!({
        "allowSave": allow_save,
        "duplicateRule": "Standard_Lead_Duplicate_Rule",
        "duplicateRuleEntityType": "Lead",
        "errorMessage": DUPLICATE_MESSAGE,
        "matchResults": [{
            "entityType": "Lead",
            "errors": [],
            "matchEngine": "FuzzyMatchEngine",
            "matchRecords": [{
                "additionalInformation": [],
                "fieldDiffs": [],
                "matchConfidence": 100.0,
                "record": {"attributes": attributes("60.0", &id), "Id": id}
            }],
            "rule": "Standard_Lead_Match_Rule_v1_0",
            "size": 1,
            "success": true
        }]
    });
    let mut item = ApiErrorItem::new("DUPLICATES_DETECTED", DUPLICATE_MESSAGE);
    item.extra.insert("duplicateResut".into(), result);
    ApiError::one(StatusCode::BAD_REQUEST, item)
}
