//! `segment_id` and `audience` of an API request, kept as sent and turned into filters when
//! a send is decided: the segment is looked up in the config, the connected audience mapped
//! by `crate::filters::audience`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Config;
use crate::filters::audience::connected_audience;
use crate::filters::{Filter, SegmentFilter};

/// `segment_id` and `audience` as a request gave them, kept as sent so a scheduled or
/// paged send evaluates them at its own time ([`RequestAudience::filters`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestAudience {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Value>,
}

impl RequestAudience {
    /// `segment_id` and `audience` of a request body; `None` when neither is given.
    /// Checked against `config` at `now`, so a bad one is refused with the request.
    pub fn parse(
        body: &Map<String, Value>,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<Option<Self>, String> {
        let segment_id = match body.get("segment_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(_) => {
                return Err(
                    "segment_id must be a segment's id, as GET /segments/list gives".into(),
                );
            }
        };
        let audience = body
            .get("audience")
            .filter(|value| !value.is_null())
            .cloned();
        if segment_id.is_none() && audience.is_none() {
            return Ok(None);
        }
        let parsed = Self {
            segment_id,
            audience,
        };
        parsed.filters(config, now)?;
        Ok(Some(parsed))
    }

    /// The filters a user must pass (all of them), evaluated at `now`.
    pub fn filters(&self, config: &Config, now: DateTime<Utc>) -> Result<Vec<Filter>, String> {
        let mut filters = Vec::new();
        if let Some(id) = &self.segment_id {
            let segment = config.segment(id).ok_or_else(|| {
                format!("segment_id `{id}` names no segment; GET /segments/list gives their ids")
            })?;
            filters.push(Filter::Segment(SegmentFilter {
                reference: segment.id.clone(),
                resolved: Some(std::sync::Arc::new(segment.filters.clone())),
            }));
        }
        if let Some(audience) = &self.audience {
            filters.push(connected_audience(audience, now)?);
        }
        Ok(filters)
    }
}

#[cfg(test)]
mod tests;
