//! Canvas step decisions per second: one user's whole pass through the example lead-scoring
//! canvas (Action Paths → User Update → Audience Paths → User Update → Message), five
//! user-steps, with no store behind it. The engine's figure (with SQLite) is bounded by this.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use leadwire_core::canvas::{AdvanceInput, CanvasUserState, NextAction, TimedEvent, advance};
use leadwire_core::config::Config;
use leadwire_core::filters::NoEvents;
use leadwire_core::profile::Profile;
use leadwire_core::trigger::TriggerEvent;
use serde_json::{Map, json};
use uuid::Uuid;

const EXAMPLE: &str = include_str!("../../../examples/salesforce-leads.toml");

fn journey(
    config: &Config,
    profile: &Profile,
    start: DateTime<Utc>,
    action: &[TimedEvent],
) -> usize {
    let canvas = &config.canvases[0];
    let mut state = CanvasUserState::enter(canvas, start, Map::new());
    let mut steps = 0;
    loop {
        let input = AdvanceInput {
            profile,
            history: &NoEvents,
            now: start + TimeDelta::minutes(5),
            actions: action,
        };
        let transition = match advance(canvas, &state, &input) {
            NextAction::Move(transition)
            | NextAction::UpdateUser {
                then: transition, ..
            }
            | NextAction::SendWebhook {
                then: transition, ..
            } => transition,
            NextAction::Exit(_) | NextAction::WaitUntil(_) | NextAction::WaitForAction { .. } => {
                return steps;
            }
        };
        state.follow(canvas, transition, input.now);
        steps += 1;
    }
}

fn canvas_steps(criterion: &mut Criterion) {
    let config: Config = toml::from_str(EXAMPLE).expect("the example config parses");
    let start = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("a valid time");
    let mut profile = Profile::new(Uuid::nil(), start);
    profile.custom.insert("lead_stage".into(), json!("Lead"));
    profile.custom.insert("lead_score".into(), json!(55));
    let action = [TimedEvent {
        time: start + TimeDelta::minutes(1),
        event: TriggerEvent::CustomEventPerformed {
            name: "demo_requested".into(),
            properties: Map::new(),
            time: start + TimeDelta::minutes(1),
        },
    }];
    assert_eq!(
        journey(&config, &profile, start, &action),
        5,
        "the journey takes five steps"
    );
    let mut group = criterion.benchmark_group("canvas");
    group.throughput(Throughput::Elements(5));
    group.bench_function("lead_scoring_journey", |bencher| {
        bencher.iter(|| journey(&config, &profile, start, &action));
    });
    group.finish();
}

criterion_group!(benches, canvas_steps);
criterion_main!(benches);
