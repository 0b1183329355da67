//! Salesforce record ids: 15-character case-sensitive ids, their 18-character checksum form, and a cheap generator for Lead ids.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The key prefix of every Lead id.
pub const LEAD_KEY_PREFIX: &str = "00Q";

const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A canonical 18-character record id (the 15 case-sensitive characters plus the checksum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId([u8; 18]);

impl RecordId {
    /// Parses a 15-character id (exact case) or an 18-character id (any case, restored
    /// through its checksum). Returns `None` for anything that is not an id.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        match bytes.len() {
            15 => {
                let mut id15 = [0u8; 15];
                id15.copy_from_slice(bytes);
                Some(Self::from_15(id15))
            }
            18 => {
                let mut id15 = [0u8; 15];
                for (chunk_index, suffix_char) in bytes[15..].iter().enumerate() {
                    let mask = SUFFIX_ALPHABET
                        .iter()
                        .position(|c| *c == suffix_char.to_ascii_uppercase())?;
                    for bit in 0..5 {
                        let at = chunk_index * 5 + bit;
                        let original = bytes[at];
                        id15[at] = if mask & (1 << bit) != 0 {
                            original.to_ascii_uppercase()
                        } else {
                            original.to_ascii_lowercase()
                        };
                    }
                }
                Some(Self::from_15(id15))
            }
            _ => None,
        }
    }

    /// Builds the 18-character form of a 15-character id.
    pub fn from_15(id15: [u8; 15]) -> Self {
        let mut full = [0u8; 18];
        full[..15].copy_from_slice(&id15);
        for chunk in 0..3 {
            let mut mask = 0usize;
            for bit in 0..5 {
                if id15[chunk * 5 + bit].is_ascii_uppercase() {
                    mask |= 1 << bit;
                }
            }
            full[15 + chunk] = SUFFIX_ALPHABET[mask];
        }
        Self(full)
    }

    /// The 18-character id.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("record ids hold only ASCII alphanumerics")
    }

    /// The 15-character case-sensitive id.
    pub fn short(&self) -> &str {
        &self.as_str()[..15]
    }

    /// The three-character key prefix naming the object type (`00Q` for Lead).
    pub fn key_prefix(&self) -> &str {
        &self.as_str()[..3]
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Makes unique ids for one key prefix from an atomic counter: no lock, no allocation.
#[derive(Debug)]
pub struct IdGenerator {
    prefix: [u8; 3],
    pod: [u8; 2],
    next: AtomicU64,
}

impl IdGenerator {
    /// A generator whose ids start with `prefix` (three ASCII alphanumerics).
    pub fn new(prefix: [u8; 3], pod: [u8; 2], first: u64) -> Self {
        Self {
            prefix,
            pod,
            next: AtomicU64::new(first),
        }
    }

    /// A generator for Lead ids.
    pub fn leads(first: u64) -> Self {
        Self::new(*b"00Q", *b"Ka", first)
    }

    /// Moves the counter past `seen` so that restored records are never re-issued.
    pub fn observe(&self, seen: u64) {
        self.next.fetch_max(seen + 1, Ordering::Relaxed);
    }

    /// The next id and its sequence number.
    pub fn next_id(&self) -> (RecordId, u64) {
        let sequence = self.next.fetch_add(1, Ordering::Relaxed);
        (self.id_for(sequence), sequence)
    }

    /// The id that the sequence number `sequence` maps to.
    pub fn id_for(&self, sequence: u64) -> RecordId {
        let mut id15 = [b'0'; 15];
        id15[..3].copy_from_slice(&self.prefix);
        id15[3..5].copy_from_slice(&self.pod);
        let mut value = sequence;
        for slot in id15[5..].iter_mut().rev() {
            *slot = BASE62[(value % 62) as usize];
            value /= 62;
        }
        RecordId::from_15(id15)
    }

    /// Recovers the sequence number of an id this generator made.
    pub fn sequence_of(&self, id: &RecordId) -> Option<u64> {
        let text = id.short().as_bytes();
        if text[..3] != self.prefix || text[3..5] != self.pod {
            return None;
        }
        text[5..].iter().try_fold(0u64, |acc, c| {
            let digit = BASE62.iter().position(|b| b == c)? as u64;
            acc.checked_mul(62)?.checked_add(digit)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to18(id15: &str) -> String {
        RecordId::parse(id15)
            .map(|id| id.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn checksum_matches_real_ids() {
        assert_eq!(to18("001D000000IqhSL"), "001D000000IqhSLIAZ");
        assert_eq!(to18("00Q5i00000DcsbK"), "00Q5i00000DcsbKEAR");
        assert_eq!(to18("70130000001tcyI"), "70130000001tcyIAAQ");
        assert_eq!(to18("001550V000WOQZi"), "001550V000WOQZiACP");
        assert_eq!(to18("a0BA0000000L2ZC"), "a0BA0000000L2ZCMA0");
        assert_eq!(to18("AaaAABbbBBCccCC"), "AaaAABbbBBCccCCZZZ");
        assert_eq!(to18("a0D30000001n7Pi"), "a0D30000001n7PiEAI");
        assert_eq!(to18("00190000001pPvH"), "00190000001pPvHAAU");
    }

    #[test]
    fn eighteen_characters_in_any_case_restore_the_exact_id() {
        let lower = RecordId::parse("00q5i00000dcsbkear");
        assert_eq!(
            lower.map(|id| id.to_string()).as_deref(),
            Some("00Q5i00000DcsbKEAR")
        );
        let upper = RecordId::parse("A0BA0000000L2ZCMA0");
        assert_eq!(
            upper.map(|id| id.to_string()).as_deref(),
            Some("a0BA0000000L2ZCMA0")
        );
    }

    #[test]
    fn non_ids_are_rejected() {
        for text in [
            "",
            "00Q",
            "00Q5i00000DcsbK1",
            "00Q5i00000Dcsb-",
            "00Q5i00000DcsbKEA!",
        ] {
            assert_eq!(RecordId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn generated_ids_round_trip_and_carry_the_lead_prefix() {
        let generator = IdGenerator::leads(1);
        let (first, sequence) = generator.next_id();
        let (second, _) = generator.next_id();
        assert_ne!(first, second);
        assert_eq!(first.key_prefix(), LEAD_KEY_PREFIX);
        assert_eq!(first.as_str().len(), 18);
        assert_eq!(generator.sequence_of(&first), Some(sequence));
        assert_eq!(RecordId::parse(first.short()), Some(first));
        assert_eq!(RecordId::parse(&first.as_str().to_lowercase()), Some(first));
    }
}
