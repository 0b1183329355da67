//! `check` never panics: arbitrary text, and the example with lines dropped or duplicated.

use proptest::prelude::*;

use crate::time::Interval;

use super::*;

proptest! {
    // 256 cases, or `PROPTEST_CASES`.

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,400}") {
        let report = run(&source);
        prop_assert!(report.config.is_some() || report.error_count() > 0);
    }

    #[test]
    fn a_mangled_example_never_panics(drop in proptest::collection::vec(any::<bool>(), 140), repeat in 0usize..140) {
        let lines: Vec<&str> = EXAMPLE.lines().collect();
        let mut mangled = String::new();
        for (index, line) in lines.iter().enumerate() {
            if !drop.get(index).copied().unwrap_or(false) || index % 3 != 0 {
                mangled.push_str(line);
                mangled.push('\n');
            }
            if index == repeat {
                mangled.push_str(line);
                mangled.push('\n');
            }
        }
        let report = run(&mangled);
        for problem in &report.diagnostics {
            prop_assert!(!problem.message.is_empty());
            prop_assert!(!problem.fix.is_empty());
            if let Some(line) = problem.line {
                prop_assert!(line >= 1 && line <= mangled.lines().count() + 1, "{problem:?}");
            }
        }
    }

    #[test]
    fn interval_parsing_never_panics(text in "\\PC{0,12}") {
        let _ = Interval::parse(&text);
    }
}
