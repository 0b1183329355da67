//! The node's resident memory over its lives (one life per start): sampled every second,
//! summarised per life, and judged flat when no life peaks well above the first.

use super::child::Node;

/// The most a later life's peak may exceed the first life's before memory counts as
/// growing: the first life fills the same caches and pools as every later one.
const FLAT_RATIO: f64 = 1.3;

/// One life's samples, in kB.
#[derive(Debug, Default, Clone)]
struct Life {
    first: Option<u64>,
    peak: u64,
    last: u64,
}

/// Every life so far; the last one is current.
#[derive(Debug, Default)]
pub struct Lives {
    ended: Vec<Life>,
    current: Life,
}

impl Lives {
    /// Reads the node's RSS into the current life.
    pub fn sample(&mut self, node: &Node) {
        if let Some(kb) = node.rss_kb() {
            self.current.first.get_or_insert(kb);
            self.current.peak = self.current.peak.max(kb);
            self.current.last = kb;
        }
    }

    /// The node is about to be killed; later samples belong to its next life.
    pub fn end_life(&mut self) {
        self.ended.push(std::mem::take(&mut self.current));
    }

    fn all(&self) -> impl Iterator<Item = &Life> {
        self.ended.iter().chain(std::iter::once(&self.current))
    }

    /// No life peaked more than [`FLAT_RATIO`] times the first life's peak.
    pub fn flat(&self) -> bool {
        let Some(first) = self.all().next().map(|life| life.peak) else {
            return true;
        };
        self.all()
            .all(|life| life.peak as f64 <= first as f64 * FLAT_RATIO)
    }

    pub fn print(&self) {
        println!("node RSS per life (MB): first sample / peak / last sample");
        for (index, life) in self.all().enumerate() {
            println!(
                "  life {:>2}:            {:.1} / {:.1} / {:.1}",
                index + 1,
                life.first.unwrap_or(0) as f64 / 1024.0,
                life.peak as f64 / 1024.0,
                life.last as f64 / 1024.0
            );
        }
        println!(
            "RSS flat:             {} (every peak within {FLAT_RATIO}x of the first life's)",
            if self.flat() { "yes" } else { "NO" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn life(peak: u64) -> Life {
        Life {
            first: Some(peak / 2),
            peak,
            last: peak,
        }
    }

    #[test]
    fn memory_is_flat_until_a_life_peaks_well_above_the_first() {
        let mut lives = Lives {
            ended: vec![life(100_000), life(120_000)],
            current: life(129_000),
        };
        assert!(lives.flat());
        lives.current = life(131_000);
        assert!(!lives.flat());
    }
}
