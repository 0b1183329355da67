//! Tasks keep their stored form: rows written before tasks were typed (a queue column and
//! the task's own JSON as the body) read back as the same typed tasks, and write back the
//! same JSON.

use chrono::DateTime;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::activity::MessageSource;

fn user() -> Uuid {
    Uuid::from_u128(7)
}

fn read(queue: &str, body: Value) -> Task {
    let queue = Queue::parse(queue).expect("a known queue");
    let task = Task::from_body(queue, body.clone()).expect("an old row reads");
    assert_eq!(task.queue(), queue);
    assert_eq!(
        serde_json::to_value(&task).expect("serialisable"),
        body,
        "written back as it was stored"
    );
    task
}

#[test]
fn queues_keep_their_stored_names() {
    let names: Vec<&str> = Queue::ALL.iter().map(|queue| queue.as_str()).collect();
    assert_eq!(
        names,
        [
            "triggers",
            "canvas",
            "campaigns",
            "broadcasts",
            "schedules",
            "sends",
            "exports",
            "bulk"
        ]
    );
    for queue in Queue::ALL {
        assert_eq!(Queue::parse(queue.as_str()), Some(queue));
        assert_eq!(
            serde_json::to_value(queue).expect("serialisable"),
            json!(queue.as_str())
        );
    }
    assert_eq!(Queue::parse("work"), None);
}

#[test]
fn old_canvas_rows_read_as_canvas_tasks() {
    let entry_id = Uuid::from_u128(1);
    let task = read(
        "canvas",
        json!({"entry_id": entry_id, "user_id": user(), "seq": 3, "message_finished": true}),
    );
    assert_eq!(
        task,
        Task::Canvas(CanvasTask {
            entry_id,
            user_id: Some(user()),
            seq: 3,
            message_finished: true,
        })
    );
    assert_eq!(task.user_id(), Some(user()));
    // Rows written before tasks named their user, or knew of finished messages.
    let oldest = Task::from_body(Queue::Canvas, json!({"entry_id": entry_id, "seq": 0}))
        .expect("the oldest form reads");
    assert_eq!(oldest.user_id(), None);
}

#[test]
fn old_campaign_and_broadcast_rows_read_as_their_tasks() {
    let campaign = read(
        "campaigns",
        json!({
            "campaign": "new_lead",
            "user_id": user(),
            "triggered_at": "2027-01-15T08:00:00Z",
            "scheduled_at": "2027-01-15T09:00:00Z",
            "event_properties": {"plan": "pro"},
        }),
    );
    let Task::Campaign(task) = &campaign else {
        panic!("a campaign task: {campaign:?}");
    };
    assert_eq!(task.campaign, "new_lead");
    assert_eq!(campaign.user_id(), Some(user()));
    let broadcast = read(
        "broadcasts",
        json!({"target": "canvas", "id": "welcome", "dispatch_id": "d1", "properties": {}}),
    );
    let Task::Broadcast(task) = &broadcast else {
        panic!("a broadcast task: {broadcast:?}");
    };
    assert_eq!(task.target, BroadcastTarget::Canvas);
    assert_eq!(broadcast.user_id(), None);
}

#[test]
fn old_send_rows_read_with_their_follow_up() {
    let entry_id = Uuid::from_u128(1);
    let follow_up =
        json!({"entry_id": entry_id, "user_id": user(), "seq": 2, "message_finished": true});
    let task = read(
        "sends",
        json!({
            "send_id": Uuid::nil(),
            "user_id": user(),
            "template": "create_lead",
            "source": {"kind": "canvas", "canvas": "welcome", "step": "lead"},
            "created_at": "2027-01-15T08:00:00Z",
            "canvas_entry_properties": {"plan": "pro"},
            "follow_up": {"queue": "canvas", "payload": follow_up},
        }),
    );
    let Task::Send(send) = task else {
        panic!("a send task: {task:?}");
    };
    assert_eq!(
        send.follow_up,
        Some(FollowUp::new(CanvasTask {
            entry_id,
            user_id: Some(user()),
            seq: 2,
            message_finished: true,
        }))
    );
}

#[test]
fn a_send_task_round_trips_through_json() {
    let task = SendTask {
        send_id: Uuid::nil(),
        user_id: Uuid::nil(),
        template: "create_lead".into(),
        source: MessageSource::Campaign {
            campaign: "new_lead".into(),
        },
        created_at: DateTime::from_timestamp(1_800_000_000, 0).expect("valid time"),
        event_properties: None,
        api_trigger_properties: None,
        canvas_entry_properties: None,
        follow_up: Some(FollowUp::new(CanvasTask {
            entry_id: Uuid::nil(),
            user_id: None,
            seq: 1,
            message_finished: true,
        })),
        webhook: None,
        tracking_send_id: None,
    };
    let json = serde_json::to_value(&task).expect("serializable");
    assert!(json.get("event_properties").is_none());
    assert_eq!(json["follow_up"]["queue"], "canvas");
    let back: SendTask = serde_json::from_value(json).expect("deserializable");
    assert_eq!(back, task);
}

#[test]
fn a_body_that_is_not_its_queues_task_is_refused() {
    let error = Task::from_body(Queue::Canvas, json!({"not": "a canvas task"}))
        .expect_err("not a canvas task");
    assert!(error.to_string().contains("canvas task"), "{error}");
    assert!(Task::from_body(Queue::Triggers, json!({})).is_err());
    let unknown = json!({"queue": "after_send", "payload": {}});
    assert!(serde_json::from_value::<FollowUp>(unknown).is_err());
}
