//! Where each node goes in its layer: the left-to-right order (depth-first, so branches
//! keep their config order, then sorted by the parents' barycenter) and the x centres
//! (under the parents, over the children, under the parents again, never overlapping).

use super::{H_GAP, Layered};

/// The nodes of each layer, left to right: depth-first order over the laid-out edges (so
/// branches keep their order), then one barycenter sweep down.
pub fn order_rows(layered: &Layered, preorder: &[usize], root: usize) -> Vec<Vec<usize>> {
    let total = layered.layer.len();
    let mut rank = vec![usize::MAX; total];
    let mut next_rank = 0;
    let starts = std::iter::once(root).chain(preorder.iter().copied());
    for start in starts {
        if start >= total || rank[start] != usize::MAX {
            continue;
        }
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            if rank[node] != usize::MAX {
                continue;
            }
            rank[node] = next_rank;
            next_rank += 1;
            stack.extend(layered.children[node].iter().rev().copied());
        }
    }
    let depth = layered.layer.iter().max().copied().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for node in 0..total {
        rows[layered.layer[node]].push(node);
    }
    for row in &mut rows {
        row.sort_by_key(|node| rank[*node]);
    }
    let mut position = vec![0.0; total];
    for index in 0..rows.len() {
        for (slot, node) in rows[index].iter().enumerate() {
            position[*node] = slot as f64;
        }
        if index + 1 == rows.len() {
            break;
        }
        let keys: Vec<f64> = rows[index + 1]
            .iter()
            .map(|node| {
                mean(
                    layered.parents[*node]
                        .iter()
                        .map(|parent| position[*parent]),
                )
            })
            .collect();
        let mut keyed: Vec<(f64, usize)> = keys.into_iter().zip(rows[index + 1].clone()).collect();
        let mut carried = 0.0;
        for (key, _) in &mut keyed {
            // A node without parents keeps its place after the one before it.
            if key.is_nan() {
                *key = carried;
            }
            carried = *key;
        }
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        rows[index + 1] = keyed.into_iter().map(|(_, node)| node).collect();
    }
    rows
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), value| {
        (sum + value, count + 1)
    });
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

/// Centres: the first row packed, then each row under its parents' mean, then each row
/// over its children's mean, then under the parents again.
pub fn place(layered: &Layered, rows: &[Vec<usize>]) -> Vec<f64> {
    let mut centre = vec![0.0; layered.layer.len()];
    if let Some(first) = rows.first() {
        let wanted: Vec<f64> = first.iter().map(|_| 0.0).collect();
        settle(first, &wanted, &layered.width, &mut centre);
    }
    let down = |centre: &mut Vec<f64>| {
        for row in rows.iter().skip(1) {
            let wanted = wanted_centres(row, &layered.parents, centre);
            settle(row, &wanted, &layered.width, centre);
        }
    };
    down(&mut centre);
    for row in rows.iter().rev().skip(1) {
        let wanted = wanted_centres(row, &layered.children, &centre);
        settle(row, &wanted, &layered.width, &mut centre);
    }
    down(&mut centre);
    centre
}

/// Where each node of `row` would like its centre: the mean of its neighbours', or where it is.
fn wanted_centres(row: &[usize], neighbours: &[Vec<usize>], centre: &[f64]) -> Vec<f64> {
    row.iter()
        .map(|node| {
            let wanted = mean(neighbours[*node].iter().map(|other| centre[*other]));
            if wanted.is_nan() {
                centre[*node]
            } else {
                wanted
            }
        })
        .collect()
}

/// Puts the row's nodes as near their wanted centres as the order and the gaps allow: the
/// mean of a placement pushed rightwards and one pushed leftwards (both keep every gap, so
/// their mean does too).
fn settle(row: &[usize], wanted: &[f64], width: &[f64], centre: &mut [f64]) {
    let gap = |a: usize, b: usize| (width[a] + width[b]) / 2.0 + H_GAP;
    let mut rightwards = wanted.to_vec();
    for index in 1..row.len() {
        let least = rightwards[index - 1] + gap(row[index - 1], row[index]);
        rightwards[index] = rightwards[index].max(least);
    }
    let mut leftwards = wanted.to_vec();
    for index in (0..row.len().saturating_sub(1)).rev() {
        let most = leftwards[index + 1] - gap(row[index], row[index + 1]);
        leftwards[index] = leftwards[index].min(most);
    }
    for (index, node) in row.iter().enumerate() {
        centre[*node] = (rightwards[index] + leftwards[index]) / 2.0;
    }
}
