//! `leadwire bench exactly-once`, shortened: the batched burst of 400 users against the
//! emulator failing 10 % of records with `UNABLE_TO_LOCK_ROW` and 5 % of calls with 503
//! (the command's defaults), and leaving 20 % of calls unanswered after serving them (more
//! than the default 1 %, so a burst this small meets some), must pass its own checks: every lead in Salesforce exactly
//! once, every user exactly one `success` entry, no send failed. The README's figure is the
//! same command with its default burst.

use std::process::Command;

#[test]
fn a_burst_under_record_and_call_faults_delivers_every_lead_exactly_once() {
    let output = Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args([
            "bench",
            "exactly-once",
            "--burst",
            "400",
            "--lost-answer-rate",
            "0.2",
        ])
        .env_remove("RUST_LOG")
        .output()
        .expect("leadwire runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the bench failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(
            "400 in the emulator for 400 users: 400 exactly once, 0 missing, 0 duplicated; \
             0 Leadwire_Id__c on more than one Lead, 0 Leads not keyed by a delivered user"
        ),
        "every lead exactly once:\n{stdout}"
    );
    assert!(
        stdout.contains(
            "400 users with exactly one success entry, 0 with none, 0 with more; 0 sends failed"
        ),
        "every user one success entry:\n{stdout}"
    );
    // The faults happened: records failed and were retried.
    let retries = stdout
        .lines()
        .find(|line| line.starts_with("retries:"))
        .unwrap_or_default();
    assert!(
        number_before(retries, " failed attempts retried") > 0,
        "no attempt failed, so the faults were not injected:\n{stdout}"
    );
    assert!(
        number_before(retries, " records UNABLE_TO_LOCK_ROW") > 0,
        "no record failed:\n{stdout}"
    );
    assert!(
        number_before(retries, " sends in a call left unanswered") > 0,
        "no answer was lost after its write:\n{stdout}"
    );
    assert!(stdout.contains("verdict:    passed"), "{stdout}");
}

/// The number just before `marker` in `text`, or 0.
fn number_before(text: &str, marker: &str) -> u64 {
    text.find(marker)
        .and_then(|end| {
            let start = text[..end]
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |at| at + 1);
            text[start..end].parse().ok()
        })
        .unwrap_or(0)
}
