//! Content Blocks over HTTP, as Braze answers them: `GET /content_blocks/list`
//! (`content_blocks.list`), `GET /content_blocks/info` (`content_blocks.info`),
//! `POST /content_blocks/create` (`content_blocks.create`) and
//! `POST /content_blocks/update` (`content_blocks.update`).
//!
//! The blocks are the config's `[[content_blocks]]` (read-only here: an update answers
//! 400 saying where to change it) and those created through the API, kept in the store
//! and so seen by every node. Request fields are read in `fields`, answers shaped in
//! `view`. Braze's tags must exist in the dashboard first; leadwire has no tag list, so
//! any string is accepted as a tag.

mod fields;
mod view;

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use chrono::Utc;
use leadwire_core::content_block::{ContentBlock, ContentBlockState, ContentType, Origin};
use leadwire_core::permission::Permission;
use leadwire_store::ContentBlockWrite;
use serde_json::{Value, json};
use uuid::Uuid;

use self::fields::{BlockFields, ListParams, fatal};
use self::view::{info, listed, written};
use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::ContentBlocksList)?;
    let params = ListParams::read(&query(params)?)?;
    let blocks = all_blocks(&state).await?;
    let chosen: Vec<Value> = blocks
        .iter()
        .filter(|block| params.includes(block))
        .skip(params.offset)
        .take(params.limit)
        .map(|block| listed(&state, &blocks, block))
        .collect();
    Ok(Json(json!({
        "count": chosen.len(),
        "content_blocks": chosen,
        "message": "success",
    })))
}

pub async fn info_of(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::ContentBlocksInfo)?;
    let params = query(params)?;
    let id = match params.get("content_block_id").map(|id| id.trim()) {
        None | Some("") => {
            return Err(fatal(
                "Content Block ID cannot be blank",
                "send content_block_id, as GET /content_blocks/list lists it",
                "content_block_id",
            ));
        }
        Some(id) => id,
    };
    let with_data = match params.get("include_inclusion_data").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(fatal(
                "Include Inclusion Data—error",
                "include_inclusion_data is true or false",
                "include_inclusion_data",
            ));
        }
    };
    let blocks = all_blocks(&state).await?;
    let block = find(&blocks, id)?;
    Ok(Json(info(&state, &blocks, block, with_data)))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::ContentBlocksCreate)?;
    let mut object = json_object(&state, body).await?;
    let fields = BlockFields::read(&mut object)?;
    let name = fields.required_name()?;
    let content = fields.required_content()?;
    fields.check_content(&name, &content)?;
    let blocks = all_blocks(&state).await?;
    if blocks.iter().any(|block| block.name == name) {
        return Err(name_taken(&name));
    }
    let now = Utc::now();
    let block = ContentBlock {
        id: Uuid::new_v4().to_string(),
        name,
        content,
        description: fields.description,
        content_type: fields.content_type.unwrap_or(ContentType::Html),
        state: fields.state.unwrap_or(ContentBlockState::Active),
        tags: fields.tags.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        origin: Origin::Api,
    };
    match state.store.create_content_block(&block).await? {
        ContentBlockWrite::Written => Ok(Json(written(&block))),
        ContentBlockWrite::NameTaken | ContentBlockWrite::NotFound => Err(name_taken(&block.name)),
    }
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::ContentBlocksUpdate)?;
    let mut object = json_object(&state, body).await?;
    let id = match object.remove("content_block_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id,
        _ => {
            return Err(fatal(
                "Content Block ID cannot be blank",
                "send the content_block_id that create answered",
                "content_block_id",
            ));
        }
    };
    let fields = BlockFields::read(&mut object)?;
    let blocks = all_blocks(&state).await?;
    let existing = find(&blocks, &id)?;
    if existing.origin == Origin::Config {
        return Err(read_only(&state, existing));
    }
    let block = fields.apply_to(existing)?;
    if blocks
        .iter()
        .any(|other| other.name == block.name && other.id != block.id)
    {
        return Err(name_taken(&block.name));
    }
    match state.store.update_content_block(&block).await? {
        ContentBlockWrite::Written => Ok(Json(written(&block))),
        ContentBlockWrite::NameTaken => Err(name_taken(&block.name)),
        ContentBlockWrite::NotFound => Err(unknown_id(&id)),
    }
}

/// Every block: the config's first, then the store's oldest first (a stored block whose
/// name the config now declares too is hidden by it).
async fn all_blocks(state: &AppState) -> Result<Vec<ContentBlock>, ApiError> {
    let domain = &state.domain;
    let mut blocks: Vec<ContentBlock> = domain
        .config
        .content_blocks
        .iter()
        .map(|block| block.to_block(domain.loaded_at))
        .collect();
    for stored in state.store.content_blocks().await? {
        if domain.config.content_block(&stored.name).is_none() {
            blocks.push(stored);
        }
    }
    Ok(blocks)
}

fn query(params: Params) -> Result<HashMap<String, String>, ApiError> {
    params.map(|Query(params)| params).map_err(|rejection| {
        ApiError::bad_request(ErrorItem::new(format!(
            "the query string could not be read: {rejection}"
        )))
    })
}

fn find<'b>(blocks: &'b [ContentBlock], id: &str) -> Result<&'b ContentBlock, ApiError> {
    blocks
        .iter()
        .find(|block| block.id == id)
        .ok_or_else(|| unknown_id(id))
}

fn unknown_id(id: &str) -> ApiError {
    ApiError::Fatal {
        message: "Content Block ID is invalid for this workspace",
        errors: vec![
            ErrorItem::new(format!(
                "no Content Block has the id `{id}`; GET /content_blocks/list lists them"
            ))
            .field("content_block_id"),
        ],
    }
}

fn name_taken(name: &str) -> ApiError {
    fatal(
        "Content Block with this name already exists",
        &format!("a Content Block named `{name}` exists; choose another name or update that block"),
        "name",
    )
}

fn read_only(state: &AppState, block: &ContentBlock) -> ApiError {
    let file = state.domain.file.as_ref().map_or_else(
        || "the config file".to_owned(),
        |file| file.display().to_string(),
    );
    ApiError::Fatal {
        message: "Content Block is declared in the config file and cannot be updated through the API",
        errors: vec![
            ErrorItem::new(format!(
                "Content Block `{}` is declared in [[content_blocks]] of {file}; change it there and restart leadwire (or run `leadwire check` first)",
                block.name
            ))
            .field("content_block_id"),
        ],
    }
}
