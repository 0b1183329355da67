//! The layout's promises: every edge points down, no two boxes overlap, branches keep
//! their order, and any loop-free graph lays out.

use proptest::prelude::*;

use super::*;

fn overlap(a: &Rect, b: &Rect) -> bool {
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

const STEP: (f64, f64) = (200.0, 90.0);
const EXIT: (f64, f64) = (64.0, 26.0);

fn graph(sizes: Vec<(f64, f64)>, edges: &[(usize, usize)]) -> Graph {
    Graph {
        sizes,
        edges: edges.to_vec(),
        root: 0,
    }
}

#[track_caller]
fn assert_well_formed(graph: &Graph, layout: &Layout) {
    for (index, (edge, route)) in graph.edges.iter().zip(&layout.routes).enumerate() {
        assert!(!route.back, "edge {index} {edge:?} is not a back edge");
        assert!(
            layout.layers[edge.1] > layout.layers[edge.0],
            "edge {edge:?} goes to a lower layer"
        );
        let (first, last) = (route.points[0], route.points[route.points.len() - 1]);
        let (from, to) = (layout.boxes[edge.0], layout.boxes[edge.1]);
        assert_eq!((first.x, first.y), (from.centre_x(), from.bottom()));
        assert_eq!((last.x, last.y), (to.centre_x(), to.y));
        for pair in route.points.windows(2) {
            assert!(pair[1].y >= pair[0].y, "edge {edge:?} climbs: {route:?}");
        }
        assert!(last.y > first.y, "edge {edge:?} does not point down");
    }
    for (index, a) in layout.boxes.iter().enumerate() {
        assert!(a.x >= 0.0 && a.y >= 0.0, "box {index} {a:?} outside");
        assert!(a.x + a.width <= layout.width && a.bottom() <= layout.height);
        for (other, b) in layout.boxes.iter().enumerate().skip(index + 1) {
            assert!(
                !overlap(a, b),
                "boxes {index} {a:?} and {other} {b:?} overlap"
            );
        }
    }
}

#[test]
fn branches_keep_their_order_left_to_right_under_their_parent() {
    // 0 = Audience Paths with groups to 1, 2, and Everyone Else to an exit (3).
    let graph = graph(vec![STEP, STEP, STEP, EXIT], &[(0, 1), (0, 2), (0, 3)]);
    let layout = layout(&graph);
    assert_well_formed(&graph, &layout);
    let xs: Vec<f64> = (1..4).map(|node| layout.boxes[node].centre_x()).collect();
    assert!(xs[0] < xs[1] && xs[1] < xs[2], "{xs:?}");
    assert_eq!(layout.layers, [0, 1, 1, 1]);
    let parent = layout.boxes[0].centre_x();
    assert!(
        xs[0] < parent && parent < xs[2],
        "the parent sits above its children"
    );
}

#[test]
fn a_join_sits_below_both_branches_and_long_edges_bend_through_the_gaps() {
    // 0 splits to 1 and 2; 1 goes on to 3; 2 and 3 join at 4; 0 also skips straight to 4.
    let edges = [(0, 1), (0, 2), (1, 3), (2, 4), (3, 4), (0, 4)];
    let graph = graph(vec![STEP; 5], &edges);
    let layout = layout(&graph);
    assert_well_formed(&graph, &layout);
    assert_eq!(layout.layers, [0, 1, 1, 2, 3]);
    assert_eq!(layout.routes[5].points.len(), 2 + 2 * 2, "two dummy layers");
    assert_eq!(layout.routes[3].points.len(), 4, "one dummy layer");
}

#[test]
fn a_twenty_step_canvas_lays_out_in_layers() {
    let mut sizes = vec![STEP; 20];
    let mut edges = Vec::new();
    for node in 0..20 {
        for next in [node + 1, node + 3, node + 7] {
            if next < 20 && (node % 2 == 0 || next == node + 1) {
                edges.push((node, next));
            }
        }
    }
    edges.push((19, 20));
    sizes.push(EXIT);
    let graph = graph(sizes, &edges);
    let layout = layout(&graph);
    assert_well_formed(&graph, &layout);
    assert_eq!(
        layout.layers[19], 19,
        "a chain of next steps is one step per layer"
    );
    assert_eq!(layout.layers[20], 20);
}

#[test]
fn a_loop_is_drawn_as_a_back_edge_and_unreachable_nodes_still_get_a_place() {
    let graph = graph(vec![STEP; 4], &[(0, 1), (1, 2), (2, 0), (3, 3)]);
    let layout = layout(&graph);
    assert!(layout.routes[2].back && layout.routes[3].back);
    assert!(!layout.routes[0].back);
    assert_eq!(layout.layers, [0, 1, 2, 0]);
    for (index, a) in layout.boxes.iter().enumerate() {
        for b in &layout.boxes[index + 1..] {
            assert!(!overlap(a, b));
        }
    }
    let empty = super::layout(&Graph {
        sizes: Vec::new(),
        edges: vec![(0, 1)],
        root: 0,
    });
    assert!(empty.boxes.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_loop_free_graph_points_down_without_overlaps(
        nodes in 1usize..30,
        picks in proptest::collection::vec((0usize..30, 1usize..8), 0..60),
    ) {
        let edges: Vec<(usize, usize)> = picks
            .into_iter()
            .map(|(from, skip)| (from % nodes, from % nodes + skip))
            .filter(|(_, to)| *to < nodes)
            .collect();
        let sizes = (0..nodes).map(|node| if node % 5 == 4 { EXIT } else { STEP }).collect();
        let graph = graph(sizes, &edges);
        assert_well_formed(&graph, &layout(&graph));
    }
}
