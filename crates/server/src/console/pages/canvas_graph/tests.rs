//! A canvas becomes a graph: one edge per path, an exit marker per path that ends, branches
//! in their config order, and a drawing that links every step and labels every path.

use leadwire_core::activity::ActivityType;
use leadwire_core::canvas::Canvas;

use super::*;

const LEAD_SCORING: &str = r#"
name = "Lead scoring"
api_id = "lead_scoring"
entry_schedule = "api_triggered"

[[steps]]
name = "Qualify"
type = "audience_paths"

[[steps.groups]]
name = "Hot"
filters = [{ attribute = "lead_score", op = "greater_than", value = 50 }]
next = "Create lead"

[[steps.groups]]
name = "Warm"
filters = [{ attribute = "lead_score", op = "greater_than", value = 20 }]
next = "Wait for demo"

[[steps]]
name = "Wait for demo"
type = "action_paths"
window = "3d"

[[steps.groups]]
name = "Requested demo"
triggers = [{ type = "perform_custom_event", event = "demo_requested" }]
next = "Create lead"

[[steps]]
name = "Create lead"
type = "message"
template = "Hook"
next = "Cool off"

[[steps]]
name = "Cool off"
type = "delay"
duration = "1d"
"#;

fn canvas() -> Canvas {
    toml::from_str(LEAD_SCORING).expect("a valid canvas")
}

#[test]
fn every_path_is_an_edge_and_every_ending_path_has_its_exit() {
    let canvas = canvas();
    let graph = CanvasGraph::new(&canvas);
    let described: Vec<(&str, &str, Option<&str>)> = graph
        .paths
        .iter()
        .map(|edge| (edge.step.name(), edge.path, edge.next.map(Step::name)))
        .collect();
    assert_eq!(
        described,
        [
            ("Qualify", "Hot", Some("Create lead")),
            ("Qualify", "Warm", Some("Wait for demo")),
            ("Qualify", "Everyone Else", None),
            ("Wait for demo", "Requested demo", Some("Create lead")),
            ("Wait for demo", "Everyone Else", None),
            ("Create lead", "next", Some("Cool off")),
            ("Cool off", "next", None),
        ]
    );
    assert_eq!(graph.layout.boxes.len(), 4 + 3, "three paths exit");
    assert_eq!(&graph.layout.layers[..4], [0, 1, 2, 3]);
    let names: Vec<&str> = graph.reading_order().into_iter().map(Step::name).collect();
    assert_eq!(
        names,
        ["Qualify", "Wait for demo", "Create lead", "Cool off"]
    );
}

#[test]
fn audience_groups_leave_their_step_in_config_order_with_everyone_else_last() {
    let canvas = canvas();
    let graph = CanvasGraph::new(&canvas);
    let xs: Vec<f64> = graph.layout.routes[..3]
        .iter()
        .map(|route| route.points[1].x)
        .collect();
    assert!(
        xs[0] < xs[1] && xs[1] < xs[2],
        "Hot, Warm, Everyone Else: {xs:?}"
    );
}

#[test]
fn the_drawing_links_each_step_and_labels_each_path_with_its_count() {
    let canvas = canvas();
    let graph = CanvasGraph::new(&canvas);
    let mut figures = CanvasFigures::default();
    figures.steps.insert(
        "Qualify".into(),
        StepFigures {
            entered: 40,
            present: 0,
            exited: 7,
        },
    );
    figures.paths.insert(("Qualify".into(), "Hot".into()), 12);
    figures
        .paths
        .insert(("Create lead".into(), "next".into()), 9);
    let mut sends = Outcomes::default();
    sends.add(ActivityType::Success, 8);
    sends.add(ActivityType::WebhookError, 1);
    figures.sends.insert("Create lead".into(), sends);
    let svg = draw(&graph, &figures, |step| format!("/steps/{}", step.name())).into_string();
    for step in ["Qualify", "Wait for demo", "Create lead", "Cool off"] {
        assert!(svg.contains(&format!(r#"href="/steps/{step}""#)), "{step}");
        assert!(
            svg.contains(&format!(r#"data-testid="node-{step}""#)),
            "{step}"
        );
    }
    assert!(svg.contains(">Hot: 12</text>"), "{svg}");
    assert!(svg.contains(">Everyone Else: 0</text>"));
    assert!(
        svg.contains(">9</text>"),
        "a single next path shows its count"
    );
    assert!(svg.contains("entered 40 · now 0"));
    assert!(svg.contains("sent 9 · "));
    assert!(svg.contains(r#"class="errors err""#), "errors are marked");
    assert_eq!(svg.matches(">Exit</text>").count(), 3);
    assert!(!svg.contains("style="), "the CSP forbids inline styles");
}
