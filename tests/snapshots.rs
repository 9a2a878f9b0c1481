//! Snapshot of every stack of every environment (`tests/snapshots/<env>__<stack>.snap`):
//! any change to a template shows up in review. Accept deliberate changes with
//! `cargo insta review` (or `INSTA_UPDATE=always`) after reading the diff.
//!
//! Every stack is compared before the test fails, so one run writes a `.snap.new` for each
//! changed stack, and the failure lists them all.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

/// Where the snapshots live; `CAIRN_SNAPSHOT_DIR` points the test at a copy (see below).
const SNAPSHOT_DIR_VAR: &str = "CAIRN_SNAPSHOT_DIR";

fn snapshot_dir() -> PathBuf {
    std::env::var_os(SNAPSHOT_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"))
}

#[test]
fn every_stack_of_every_environment() {
    let assembly = support::synth_all();
    let dir = snapshot_dir();
    let mut count = 0;
    let mut changed = Vec::new();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let name = format!("{}__{}", env.settings.name, stack.id);
            // insta panics on a mismatch (after writing the .snap.new): note it and go on.
            let compared = catch_unwind(AssertUnwindSafe(|| {
                insta::with_settings!({ snapshot_path => &dir, prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(name.as_str(), stack.body);
                });
            }));
            if compared.is_err() {
                changed.push(name);
            }
            count += 1;
        }
    }
    assert!(
        changed.is_empty(),
        "{} of {count} stack snapshots changed: {}\nreview each `.snap.new` in {} (`cargo insta review`, or diff and rename it), then run again",
        changed.len(),
        changed.join(", "),
        dir.display()
    );
    let envs = support::environment_files().len();
    assert_eq!(assembly.environments.len(), envs, "one synthesis per environment file");
    assert_eq!(count, 3 * envs, "three stacks in each of the {envs} environments");
}

/// Two changed stacks give two `.snap.new` files and one failure naming both (the test
/// used to stop at the first). Runs the test above in a child process of this test binary,
/// on a copy of the snapshots with two of them altered.
#[test]
fn changed_snapshots_are_all_written_in_one_run() {
    let copy = support::TempDir::new("snapshots-copy");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(&source).expect("tests/snapshots is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "snap") {
            std::fs::copy(&path, copy.join(path.file_name().expect("a file name"))).expect("copy a snapshot");
        }
    }
    let stale = ["dev__network", "prod__service"];
    for name in stale {
        let path = copy.join(format!("{name}.snap"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(&path, format!("{text}\nan old line the template no longer has\n")).expect("alter a snapshot");
    }

    let run = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["every_stack_of_every_environment", "--exact", "--test-threads", "1"])
        .env(SNAPSHOT_DIR_VAR, copy.path())
        .env("INSTA_UPDATE", "new")
        .env_remove("INSTA_FORCE_PASS")
        .env_remove("CI")
        .output()
        .expect("run the snapshot test");
    let output = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(!run.status.success(), "the altered snapshots must fail the test:\n{output}");
    assert!(
        output.contains(&format!(
            "2 of {} stack snapshots changed: dev__network, prod__service",
            3 * support::environment_files().len()
        )),
        "{output}"
    );
    let mut pending: Vec<String> = std::fs::read_dir(copy.path())
        .expect("the copy is readable")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".snap.new"))
        .collect();
    pending.sort();
    assert_eq!(pending, ["dev__network.snap.new", "prod__service.snap.new"], "{output}");
}
