//! Which layer each node goes in: a depth-first search that finds back edges (loops) and a
//! topological order, longest-path layering over the other edges, and a dummy node for
//! each layer a long edge crosses.

use super::{DUMMY_WIDTH, Graph, Layered};

pub struct Search {
    /// Nodes in the order the search reached them, children in branch order.
    pub preorder: Vec<usize>,
    /// Nodes in reverse finishing order: a topological order once back edges are left out.
    pub topological: Vec<usize>,
    /// Per edge: it leads back to a node still being searched (a loop).
    pub back: Vec<bool>,
}

/// An iterative depth-first search from `root`, then from each node not yet reached.
pub fn depth_first(count: usize, edges: &[(usize, usize)], root: usize) -> Search {
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (index, (from, to)) in edges.iter().enumerate() {
        if *from < count && *to < count {
            outgoing[*from].push(index);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; count];
    let mut back = vec![false; edges.len()];
    let mut preorder = Vec::with_capacity(count);
    let mut finished = Vec::with_capacity(count);
    let starts = std::iter::once(root.min(count - 1)).chain(0..count);
    for start in starts {
        if mark[start] != Mark::New {
            continue;
        }
        mark[start] = Mark::Open;
        preorder.push(start);
        let mut stack = vec![(start, 0usize)];
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            let Some(edge) = outgoing[node].get(*next).copied() else {
                mark[node] = Mark::Done;
                finished.push(node);
                stack.pop();
                continue;
            };
            *next += 1;
            let child = edges[edge].1;
            match mark[child] {
                Mark::New => {
                    mark[child] = Mark::Open;
                    preorder.push(child);
                    stack.push((child, 0));
                }
                Mark::Open => back[edge] = true,
                Mark::Done => {}
            }
        }
    }
    finished.reverse();
    Search {
        preorder,
        topological: finished,
        back,
    }
}

/// Layer of a node = 1 + the largest layer among its parents; roots are layer 0.
pub fn longest_path_layers(count: usize, edges: &[(usize, usize)], search: &Search) -> Vec<usize> {
    let mut outgoing: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (index, (from, to)) in edges.iter().enumerate() {
        if !search.back[index] && *from < count && *to < count {
            outgoing[*from].push(*to);
        }
    }
    let mut layers = vec![0; count];
    for node in &search.topological {
        for child in &outgoing[*node] {
            layers[*child] = layers[*child].max(layers[*node] + 1);
        }
    }
    layers
}

pub fn add_dummies(graph: &Graph, layers: &[usize], back: &[bool]) -> Layered {
    let count = graph.sizes.len();
    let mut layered = Layered {
        layer: layers.to_vec(),
        width: graph.sizes.iter().map(|size| size.0).collect(),
        parents: vec![Vec::new(); count],
        children: vec![Vec::new(); count],
        chains: Vec::with_capacity(graph.edges.len()),
    };
    for (index, (from, to)) in graph.edges.iter().enumerate() {
        if back[index] || *from >= count || *to >= count {
            layered.chains.push(None);
            continue;
        }
        let mut chain = vec![*from];
        for layer in layers[*from] + 1..layers[*to] {
            let dummy = layered.layer.len();
            layered.layer.push(layer);
            layered.width.push(DUMMY_WIDTH);
            layered.parents.push(Vec::new());
            layered.children.push(Vec::new());
            chain.push(dummy);
        }
        chain.push(*to);
        for pair in chain.windows(2) {
            layered.children[pair[0]].push(pair[1]);
            layered.parents[pair[1]].push(pair[0]);
        }
        layered.chains.push(Some(chain));
    }
    layered
}
