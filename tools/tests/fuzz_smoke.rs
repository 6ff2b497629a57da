//! `emberkeep-tools fuzz`: every target runs a fixed, seeded number of inputs without a crash,
//! and every input saved in `fuzz/regressions` (crashes found and fixed) runs clean.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fuzz(args: &[&str]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_emberkeep-tools"))
        .arg("fuzz")
        .args(args)
        .output()
        .expect("runs emberkeep-tools");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

#[test]
fn every_target_runs_a_seeded_batch_without_a_crash() {
    let crashes = std::env::temp_dir().join(format!("emberkeep-fuzz-smoke-{}", std::process::id()));
    let crash_dir = crashes.to_string_lossy().into_owned();
    let (out, text) = fuzz(&["--execs", "300", "--seed", "1", "--crash-dir", &crash_dir]);
    let _ = std::fs::remove_dir_all(&crashes);
    assert!(out.status.success(), "{text}");
    for target in ["protocol", "content", "journal", "join-query"] {
        assert!(
            text.contains(&format!("{target}: 300 executions")),
            "{target} did not run: {text}"
        );
    }
}

#[test]
fn saved_regression_inputs_run_clean() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let (out, text) = fuzz(&["--replay", &dir.to_string_lossy()]);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(", 0 crash(es)"), "{text}");
    assert!(
        !text.starts_with("0 input(s)"),
        "no regression inputs found: {text}"
    );
}
