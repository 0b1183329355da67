//! Which waiting requests the next write group takes. Whole requests (no heavier than a
//! part) go first, grouped in arrival order; parts of heavy requests go in groups of their
//! own. When both wait, groups alternate, so ordinary requests wait for at most one heavy
//! group and heavy requests still move forward at every other turn.

use std::collections::VecDeque;

/// A group of whole requests holds at most this many objects...
pub const MAX_GROUP_OBJECTS: usize = 1_200;
/// ...and weighs at most this much (the first request always fits).
pub const MAX_GROUP_WEIGHT: usize = 256 * 1024;
/// A group of parts of heavy requests weighs at most this much (the first part always fits).
pub const MAX_PARTS_WEIGHT: usize = 32 * 1024;

/// What the backlog needs to know of a waiting request.
pub(super) trait Waiting {
    fn objects(&self) -> usize;
    fn weight(&self) -> usize;
    /// A part of a request heavier than a part, rather than a whole request.
    fn is_part(&self) -> bool;
}

/// The requests waiting for a writer.
#[derive(Debug)]
pub(super) struct Backlog<T> {
    whole: VecDeque<T>,
    parts: VecDeque<T>,
    last_took_whole: bool,
}

impl<T> Default for Backlog<T> {
    fn default() -> Self {
        Self {
            whole: VecDeque::new(),
            parts: VecDeque::new(),
            last_took_whole: false,
        }
    }
}

impl<T: Waiting> Backlog<T> {
    pub fn push(&mut self, request: T) {
        if request.is_part() {
            self.parts.push_back(request);
        } else {
            self.whole.push_back(request);
        }
    }

    pub fn len(&self) -> usize {
        self.whole.len() + self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.parts.is_empty()
    }

    /// The next group to write; empty only when nothing waits.
    pub fn next_group(&mut self) -> Vec<T> {
        let parts_turn = !self.parts.is_empty() && (self.whole.is_empty() || self.last_took_whole);
        self.last_took_whole = !parts_turn;
        if parts_turn {
            take(&mut self.parts, usize::MAX, MAX_PARTS_WEIGHT)
        } else {
            take(&mut self.whole, MAX_GROUP_OBJECTS, MAX_GROUP_WEIGHT)
        }
    }
}

/// Takes from the front of `queue` while the group stays within both limits; the first
/// request is taken whatever its size.
fn take<T: Waiting>(queue: &mut VecDeque<T>, max_objects: usize, max_weight: usize) -> Vec<T> {
    let mut group: Vec<T> = Vec::new();
    let (mut objects, mut weight) = (0, 0);
    while let Some(next) = queue.front() {
        let fits = objects + next.objects() <= max_objects && weight + next.weight() <= max_weight;
        if !group.is_empty() && !fits {
            break;
        }
        objects += next.objects();
        weight += next.weight();
        group.extend(queue.pop_front());
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Request {
        id: u32,
        weight: usize,
        part: bool,
    }

    impl Waiting for Request {
        fn objects(&self) -> usize {
            10
        }
        fn weight(&self) -> usize {
            self.weight
        }
        fn is_part(&self) -> bool {
            self.part
        }
    }

    fn ids(group: Vec<Request>) -> Vec<u32> {
        group.into_iter().map(|request| request.id).collect()
    }

    fn whole(id: u32) -> Request {
        Request {
            id,
            weight: 1_000,
            part: false,
        }
    }

    fn part(id: u32) -> Request {
        Request {
            id,
            weight: 20_000,
            part: true,
        }
    }

    #[test]
    fn whole_requests_and_parts_alternate_when_both_wait() {
        let mut backlog = Backlog::default();
        for request in [part(1), part(2), whole(3), whole(4), part(5)] {
            backlog.push(request);
        }
        assert_eq!(ids(backlog.next_group()), vec![3, 4]);
        assert_eq!(ids(backlog.next_group()), vec![1]);
        backlog.push(whole(6));
        assert_eq!(ids(backlog.next_group()), vec![6]);
        assert_eq!(ids(backlog.next_group()), vec![2]);
        assert_eq!(ids(backlog.next_group()), vec![5]);
        assert!(backlog.is_empty());
        assert!(backlog.next_group().is_empty());
    }

    #[test]
    fn groups_stop_at_their_limits_but_always_take_one() {
        let mut backlog = Backlog::default();
        for id in 0..300 {
            backlog.push(whole(id));
        }
        assert_eq!(backlog.next_group().len(), MAX_GROUP_OBJECTS / 10);
        let mut heavy = Backlog::default();
        heavy.push(Request {
            id: 1,
            weight: MAX_GROUP_WEIGHT * 4,
            part: false,
        });
        heavy.push(whole(2));
        assert_eq!(ids(heavy.next_group()), vec![1]);
        let mut parts = Backlog::default();
        parts.push(Request {
            id: 1,
            weight: 10_000,
            part: true,
        });
        parts.push(Request {
            id: 2,
            weight: 10_000,
            part: true,
        });
        parts.push(part(3));
        assert_eq!(ids(parts.next_group()), vec![1, 2]);
        assert_eq!(ids(parts.next_group()), vec![3]);
    }
}
