//! Heavy `/users/track` requests are written in parts, one part per turn of the writer, so
//! that a request carrying megabytes of attributes delays other requests by one part at a
//! time rather than by its whole size.
//!
//! A request's weight is the size of its objects as JSON (measured from the parsed values,
//! cheaply). A request heavier than [`PART_WEIGHT`] is cut at object boundaries, in
//! processing order (attributes, then events, then purchases), into parts of about that
//! weight; one object heavier than that is a part of its own. Each part is committed
//! before the next is queued; the answer comes after the last part, with the parts'
//! counts summed and their errors' indices pointing into the whole request. Objects are
//! applied one by one in any case, so a part boundary changes no object's result.

use serde_json::Value;

use super::{InputArray, TrackOutcome, TrackRequest};

/// A request up to this heavy is written whole; a heavier one in parts about this heavy.
pub const PART_WEIGHT: usize = 32 * 1024;

/// About how many bytes `value` takes as JSON.
pub fn weight(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(text) => text.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|item| weight(item) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(key, value)| key.len() + 4 + weight(value))
                .sum::<usize>()
        }
    }
}

/// Where a request's parts came from: which arrays it sent (so merged counts stay `None`
/// for the others) and where each part's arrays start in the request's.
#[derive(Debug)]
pub(super) struct Layout {
    sent: [bool; 3],
    offsets: Vec<[usize; 3]>,
}

const ARRAYS: [InputArray; 3] = [
    InputArray::Attributes,
    InputArray::Events,
    InputArray::Purchases,
];

fn array_mut(request: &mut TrackRequest, array: InputArray) -> &mut Option<Vec<Value>> {
    match array {
        InputArray::Attributes => &mut request.attributes,
        InputArray::Events => &mut request.events,
        InputArray::Purchases => &mut request.purchases,
    }
}

fn slot(array: InputArray) -> usize {
    match array {
        InputArray::Attributes => 0,
        InputArray::Events => 1,
        InputArray::Purchases => 2,
    }
}

impl TrackRequest {
    /// About how many bytes the request's objects take as JSON.
    pub fn weight(&self) -> usize {
        super::objects(self).map(weight).sum()
    }
}

/// Cuts `request` into parts of about `part_weight`, in processing order; each part comes
/// with its weight.
pub(super) fn split(
    mut request: TrackRequest,
    part_weight: usize,
) -> (Layout, Vec<(TrackRequest, usize)>) {
    let sent = ARRAYS.map(|array| array_mut(&mut request, array).is_some());
    let mut parts = Vec::new();
    let mut offsets = Vec::new();
    let mut current = (TrackRequest::default(), 0_usize);
    let mut current_offsets = [0_usize; 3];
    for array in ARRAYS {
        let objects = array_mut(&mut request, array).take().unwrap_or_default();
        for (index, object) in objects.into_iter().enumerate() {
            let object_weight = weight(&object);
            if current.1 > 0 && current.1 + object_weight > part_weight {
                parts.push(std::mem::take(&mut current));
                offsets.push(current_offsets);
            }
            let objects = array_mut(&mut current.0, array);
            if objects.is_none() {
                current_offsets[slot(array)] = index;
            }
            objects.get_or_insert_with(Vec::new).push(object);
            current.1 += object_weight;
        }
    }
    parts.push(current);
    offsets.push(current_offsets);
    (Layout { sent, offsets }, parts)
}

/// The outcome of the whole request from its parts' outcomes, in order.
pub(super) fn merge(layout: &Layout, outcomes: Vec<TrackOutcome>) -> TrackOutcome {
    let mut merged = TrackOutcome::default();
    let mut counts = [0_usize; 3];
    for (offsets, outcome) in layout.offsets.iter().zip(outcomes) {
        for (count, processed) in counts.iter_mut().zip([
            outcome.attributes_processed,
            outcome.events_processed,
            outcome.purchases_processed,
        ]) {
            *count += processed.unwrap_or(0);
        }
        for mut error in outcome.errors {
            error.index += offsets[slot(error.input_array)];
            merged.errors.push(error);
        }
    }
    let sent_count = |slot: usize| layout.sent[slot].then_some(counts[slot]);
    merged.attributes_processed = sent_count(0);
    merged.events_processed = sent_count(1);
    merged.purchases_processed = sent_count(2);
    merged
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ingest::ObjectError;

    fn objects(count: usize, size: usize) -> Vec<Value> {
        (0..count)
            .map(|n| json!({"external_id": format!("u{n}"), "text": "x".repeat(size)}))
            .collect()
    }

    #[test]
    fn weight_is_close_to_the_json_length() {
        let value = json!({"external_id": "u1", "tags": ["a", "bb"], "n": 1, "deep": {"k": null}});
        let json = serde_json::to_string(&value).unwrap_or_default().len();
        let estimate = weight(&value);
        assert!(
            estimate >= json && estimate <= json * 2,
            "{estimate} vs {json}"
        );
    }

    #[test]
    fn a_light_request_is_one_part_and_a_heavy_one_is_cut_at_objects_in_order() {
        let request = TrackRequest {
            attributes: Some(objects(3, 10)),
            events: None,
            purchases: Some(Vec::new()),
        };
        let (_, parts) = split(request.clone(), PART_WEIGHT);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].0.attributes, request.attributes);

        let heavy = TrackRequest {
            attributes: Some(objects(5, 1_000)),
            events: Some(objects(3, 1_000)),
            purchases: None,
        };
        let (layout, parts) = split(heavy.clone(), 2_100);
        let sizes: Vec<(usize, usize)> = parts
            .iter()
            .map(|(part, _)| {
                let len = |array: &Option<Vec<Value>>| array.as_ref().map_or(0, Vec::len);
                (len(&part.attributes), len(&part.events))
            })
            .collect();
        assert_eq!(sizes, vec![(2, 0), (2, 0), (1, 1), (0, 2)]);
        let rejoined: Vec<Value> = parts
            .iter()
            .flat_map(|(part, _)| part.attributes.clone().unwrap_or_default())
            .collect();
        assert_eq!(Some(rejoined), heavy.attributes);
        assert_eq!(layout.offsets[2], [4, 0, 0]);
        assert_eq!(layout.offsets[3], [4, 1, 0]);
        assert!(parts.iter().all(|(_, weight)| *weight <= 2_100));
    }

    #[test]
    fn an_object_heavier_than_a_part_is_a_part_of_its_own() {
        let request = TrackRequest {
            attributes: Some(objects(3, 5_000)),
            ..TrackRequest::default()
        };
        let (_, parts) = split(request, 1_000);
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn merged_outcomes_sum_counts_and_point_errors_into_the_whole_request() {
        let heavy = TrackRequest {
            attributes: Some(objects(4, 1_000)),
            events: Some(objects(2, 1_000)),
            purchases: None,
        };
        let (layout, parts) = split(heavy, 2_100);
        let error = |input_array, index| ObjectError {
            input_array,
            index,
            field: "text".into(),
            message: "bad".into(),
        };
        let outcomes = vec![
            TrackOutcome {
                attributes_processed: Some(2),
                ..TrackOutcome::default()
            },
            TrackOutcome {
                attributes_processed: Some(1),
                errors: vec![error(InputArray::Attributes, 1)],
                ..TrackOutcome::default()
            },
            TrackOutcome {
                events_processed: Some(1),
                errors: vec![error(InputArray::Events, 1)],
                ..TrackOutcome::default()
            },
        ];
        assert_eq!(parts.len(), 3);
        let merged = merge(&layout, outcomes);
        assert_eq!(merged.attributes_processed, Some(3));
        assert_eq!(merged.events_processed, Some(1));
        assert_eq!(merged.purchases_processed, None);
        assert_eq!(
            merged.errors,
            vec![
                error(InputArray::Attributes, 3),
                error(InputArray::Events, 1)
            ]
        );
    }
}
