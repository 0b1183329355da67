//! Tests for campaign declarations and per-user decisions.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::filters::{FilterContext, NoEvents};
use crate::profile::Profile;
use crate::trigger::TriggerEvent;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn campaign(extra: &str) -> Campaign {
    toml::from_str(&format!(
        "name = \"New lead\"\ntemplate = \"Create Lead\"\ntriggers = [{{ type = \"add_email_address\" }}]\n{extra}"
    ))
    .expect("valid campaign")
}

fn email_added() -> TriggerEvent {
    TriggerEvent::EmailAdded {
        email: "ada@example.com".into(),
    }
}

#[test]
fn trigger_schedules_an_immediate_send_once() {
    let new_lead = campaign("");
    let fresh = CampaignHistory::default();
    assert_eq!(
        new_lead.on_trigger(&email_added(), &fresh, now()),
        TriggerDecision::Schedule { send_at: now() }
    );
    let received = CampaignHistory {
        last_received_at: Some(now() - TimeDelta::days(400)),
    };
    assert_eq!(
        new_lead.on_trigger(&email_added(), &received, now()),
        TriggerDecision::Skip(SkipReason::NotReEligible { eligible_at: None })
    );
    let other = TriggerEvent::CustomAttributeChanged {
        name: "x".into(),
        old: None,
        new: json!(1),
    };
    assert_eq!(
        new_lead.on_trigger(&other, &fresh, now()),
        TriggerDecision::Skip(SkipReason::TriggerDidNotMatch)
    );
}

#[test]
fn reeligibility_after_n_seconds() {
    let again = campaign("reeligible_after = \"1d\"");
    let received = CampaignHistory {
        last_received_at: Some(now() - TimeDelta::hours(23)),
    };
    assert_eq!(
        again.on_trigger(&email_added(), &received, now()),
        TriggerDecision::Skip(SkipReason::NotReEligible {
            eligible_at: Some(now() + TimeDelta::hours(1))
        })
    );
    let later = now() + TimeDelta::hours(1);
    assert!(matches!(
        again.on_trigger(&email_added(), &received, later),
        TriggerDecision::Schedule { .. }
    ));
    let zero = campaign("reeligible_after = 0");
    let just_now = CampaignHistory {
        last_received_at: Some(now()),
    };
    assert!(matches!(
        zero.on_trigger(&email_added(), &just_now, now()),
        TriggerDecision::Schedule { .. }
    ));
}

#[test]
fn delay_and_exception_events() {
    let delayed = campaign(
        "delay = \"2h\"\nexception_events = [{ type = \"perform_custom_event\", event = \"unsubscribed\" }]",
    );
    assert_eq!(
        delayed.on_trigger(&email_added(), &CampaignHistory::default(), now()),
        TriggerDecision::Schedule {
            send_at: now() + TimeDelta::hours(2)
        }
    );
    let unsubscribed = TriggerEvent::CustomEventPerformed {
        name: "unsubscribed".into(),
        properties: Default::default(),
        time: now(),
    };
    assert!(delayed.cancels_pending_send(&unsubscribed));
    assert!(!delayed.cancels_pending_send(&email_added()));
}

#[test]
fn audience_is_checked_at_send_time() {
    let filtered = campaign(
        r#"audience = [{ attribute = "lead_status", op = "is_none_of", value = ["MQL"] }]"#,
    );
    let mut profile = Profile::new(Uuid::nil(), now());
    let history = CampaignHistory::default();
    let context = |profile: &Profile| -> SendDecision {
        filtered.at_send_time(
            &FilterContext {
                profile,
                history: &NoEvents,
                now: now(),
            },
            &history,
        )
    };
    assert_eq!(context(&profile), SendDecision::Send);
    profile.custom.insert("lead_status".into(), json!("MQL"));
    assert_eq!(
        context(&profile),
        SendDecision::Skip(SkipReason::NotInAudience)
    );
    let received = CampaignHistory {
        last_received_at: Some(now()),
    };
    let decision = filtered.at_send_time(
        &FilterContext {
            profile: &Profile::new(Uuid::nil(), now()),
            history: &NoEvents,
            now: now(),
        },
        &received,
    );
    assert_eq!(
        decision,
        SendDecision::Skip(SkipReason::NotReEligible { eligible_at: None })
    );
}

#[test]
fn api_triggered_campaigns_ignore_actions_and_accept_api_calls() {
    let api: Campaign = toml::from_str(
        "name = \"Hand-off\"\napi_id = \"handoff\"\ntemplate = \"Update Lead to MQL\"\ndelivery = \"api_triggered\"",
    )
    .expect("valid campaign");
    assert_eq!(api.api_id(), "handoff");
    assert_eq!(
        api.on_trigger(&email_added(), &CampaignHistory::default(), now()),
        TriggerDecision::Skip(SkipReason::WrongDeliveryType)
    );
    assert_eq!(
        api.on_api_trigger(&CampaignHistory::default(), now()),
        TriggerDecision::Schedule { send_at: now() }
    );
    assert_eq!(
        campaign("").on_api_trigger(&CampaignHistory::default(), now()),
        TriggerDecision::Skip(SkipReason::WrongDeliveryType)
    );
}
