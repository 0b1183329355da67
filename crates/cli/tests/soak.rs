//! `leadwire bench soak`, shortened: the command kills and restarts a real `leadwire serve`
//! under load and Salesforce faults, and its own verdict (every lead exactly once, memory
//! flat) must pass. The 30-minute run the README reports is the same command with its
//! defaults.

use std::process::Command;

#[test]
fn a_short_soak_with_two_kills_passes_its_own_checks() {
    let output = Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args([
            "bench",
            "soak",
            "--duration",
            "30s",
            "--kill-every",
            "10s",
            "--rate",
            "5",
        ])
        .env_remove("RUST_LOG")
        .output()
        .expect("leadwire runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the soak failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        stdout.matches("SIGKILL with").count(),
        2,
        "two kills in 30 s:\n{stdout}"
    );
    assert!(
        stdout.contains(" 0 missing, 0 duplicated"),
        "every lead exactly once:\n{stdout}"
    );
    assert!(stdout.contains("verdict:              passed"), "{stdout}");
}
