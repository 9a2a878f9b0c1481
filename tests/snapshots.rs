//! Snapshot of every stack of every environment (`tests/snapshots/<env>__<stack>.snap`):
//! any change to a template shows up in review. Accept deliberate changes with
//! `cargo insta review` (or `INSTA_UPDATE=always`) after reading the diff.
//!
//! Every stack is compared before the test fails, so one run writes a `.snap.new` for each
//! changed stack (none in CI, where insta prints the diffs only), and one failure lists them
//! all. A stack without a snapshot yet (a new environment) gets its `.snap` written and the
//! test passes, saying so loudly; in CI it fails instead, like Jest's `--ci`. Snapshots no
//! stack produces any more (a removed environment) are reported; they fail the test in CI.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};

use insta::{Comparator, DefaultComparator, Snapshot};

mod support;

/// Where the snapshots live; `CAIRN_SNAPSHOT_DIR` points the test at a copy (see below).
const SNAPSHOT_DIR_VAR: &str = "CAIRN_SNAPSHOT_DIR";
/// Which environment files to synthesize; `CAIRN_SNAPSHOT_ENVIRONMENTS` points at a copy.
const ENVIRONMENTS_DIR_VAR: &str = "CAIRN_SNAPSHOT_ENVIRONMENTS";
/// How to run this test locally, named in the failure messages.
const LOCAL_RUN: &str = "cargo test --test snapshots";

fn snapshot_dir() -> PathBuf {
    std::env::var_os(SNAPSHOT_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"))
}

fn environments_dir() -> PathBuf {
    std::env::var_os(ENVIRONMENTS_DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments"))
}

/// CI as insta decides it (`CI` set to anything but `false`/`0`/empty, or Azure's `TF_BUILD`),
/// so this test and insta never disagree about whether files are written.
fn is_ci() -> bool {
    match std::env::var("CI").ok().as_deref() {
        Some("false") | Some("0") | Some("") => false,
        None => std::env::var_os("TF_BUILD").is_some(),
        Some(_) => true,
    }
}

/// insta reads its settings from the environment once per process, before the first
/// assertion. This test decides pass or fail itself, after comparing every stack, so insta
/// must not fail (and print "Stopped on the first failure") at the first changed stack:
/// `INSTA_FORCE_PASS`. Unless the caller chose an update mode, a stack without a snapshot
/// gets its `.snap` and a changed one a `.snap.new` (`unseen`); in CI insta writes nothing.
fn configure_insta() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("INSTA_FORCE_PASS", "1");
        if std::env::var_os("INSTA_UPDATE").is_none() {
            std::env::set_var("INSTA_UPDATE", if is_ci() { "no" } else { "unseen" });
        }
    });
}

/// insta's own comparison, remembered: whether the stack matched its snapshot (None when
/// there was no snapshot to compare with).
#[derive(Clone, Default)]
struct RecordingComparator(Arc<Mutex<Option<bool>>>);

impl RecordingComparator {
    fn record(&self, matched: bool) -> bool {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(matched);
        matched
    }

    fn result(&self) -> Option<bool> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Comparator for RecordingComparator {
    fn matches(&self, reference: &Snapshot, test: &Snapshot) -> bool {
        self.record(DefaultComparator.matches(reference, test))
    }

    fn matches_fully(&self, reference: &Snapshot, test: &Snapshot) -> bool {
        self.record(DefaultComparator.matches_fully(reference, test))
    }

    fn dyn_clone(&self) -> Box<dyn Comparator> {
        Box::new(self.clone())
    }
}

/// What happened to one stack's snapshot.
#[derive(Debug, PartialEq)]
enum Outcome {
    Unchanged,
    /// No snapshot before; insta wrote the `.snap`.
    Created,
    /// No snapshot, none written (CI, or an update mode that writes only `.snap.new`).
    Missing,
    /// Changed, and overwritten in place (`INSTA_UPDATE=always`).
    Updated,
    /// Changed; a `.snap.new` is written unless in CI.
    Changed,
}

/// Compares one stack with `<dir>/<name>.snap` through insta, which prints the diff and
/// writes files as configured; the outcome comes from insta's comparison and the file.
fn compare(dir: &Path, name: &str, body: &str) -> Outcome {
    let file = dir.join(format!("{name}.snap"));
    let before = std::fs::read(&file).ok();
    let comparator = RecordingComparator::default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_comparator(Box::new(comparator.clone()));
    settings.bind(|| insta::assert_snapshot!(name, body));
    let written = std::fs::read(&file).ok().is_some_and(|after| before.as_ref() != Some(&after));
    match (before.is_some(), comparator.result(), written) {
        (true, Some(true), _) => Outcome::Unchanged,
        (false, _, true) => Outcome::Created,
        (false, _, false) => Outcome::Missing,
        (true, _, true) => Outcome::Updated,
        (true, _, false) => Outcome::Changed,
    }
}

/// `path` relative to the project when it is inside it (`tests/snapshots/qa__network.snap`).
fn shown(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string()
}

/// Snapshot names (`<env>__<stack>`) of the `.snap` files in `dir`, sorted (none when
/// the folder does not exist yet).
fn snapshot_files(dir: &Path) -> Vec<String> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        entries => entries.unwrap_or_else(|e| panic!("{}: {e}", dir.display())),
    };
    let mut names: Vec<String> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .map(|p| p.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Written straight to the terminal: a passing test's `eprintln!` is captured and never
/// shown, and a new snapshot must not go unnoticed.
fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[test]
fn every_stack_of_every_environment() {
    configure_insta();
    let envs_dir = environments_dir();
    let assembly = support::synth_all_in(&envs_dir);
    let dir = snapshot_dir();
    let ci = is_ci();
    let (mut created, mut missing, mut changed, mut produced) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for env in &assembly.environments {
        for stack in &env.stacks {
            let name = format!("{}__{}", env.settings.name, stack.id);
            let file = dir.join(format!("{name}.snap"));
            match compare(&dir, &name, &stack.body) {
                Outcome::Unchanged => {}
                Outcome::Created => created.push(shown(&file)),
                Outcome::Missing => missing.push(shown(&file)),
                Outcome::Updated => notice(&format!("snapshot {} updated: review and commit it", shown(&file))),
                Outcome::Changed => changed.push(name.clone()),
            }
            produced.push(name);
        }
    }
    let count = produced.len();
    let stale: Vec<String> = snapshot_files(&dir)
        .into_iter()
        .filter(|n| !produced.contains(n))
        .map(|n| shown(&dir.join(format!("{n}.snap"))))
        .collect();

    for file in &created {
        notice(&format!("new snapshot {file} written: review and commit it"));
    }
    let stale_text = format!(
        "{} snapshot(s) of no current stack (the environment or stack no longer exists): {}; delete them",
        stale.len(),
        stale.join(", ")
    );
    if !stale.is_empty() && !ci {
        notice(&format!("warning: {stale_text}"));
    }

    let mut failures = Vec::new();
    if !changed.is_empty() {
        let next = if ci {
            format!(
                "the diff of each is printed above; CI writes no `.snap.new` files: run `{LOCAL_RUN}` locally \
                 (without CI set) to write them next to the snapshots in {}, review them (`cargo insta review`) \
                 and commit the accepted `.snap` files",
                shown(&dir)
            )
        } else {
            format!(
                "review each `.snap.new` in {} (`cargo insta review`, or diff and rename it over the `.snap`), then run again",
                shown(&dir)
            )
        };
        failures.push(format!(
            "{} of {count} stack snapshots changed: {}\n{next}",
            changed.len(),
            changed.join(", ")
        ));
    }
    if !missing.is_empty() {
        let why = if ci {
            format!("CI does not write new snapshots: run `{LOCAL_RUN}` locally (without CI set) to create them")
        } else {
            format!("INSTA_UPDATE wrote no `.snap`: run `{LOCAL_RUN}` without INSTA_UPDATE to create them")
        };
        failures.push(format!(
            "{} stack(s) have no snapshot yet: {}\n{why}, then review and commit them",
            missing.len(),
            missing.join(", ")
        ));
    }
    if !stale.is_empty() && ci {
        failures.push(stale_text);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    let envs = support::environment_files_in(&envs_dir).len();
    assert_eq!(assembly.environments.len(), envs, "one synthesis per environment file");
    assert_eq!(count, 3 * envs, "three stacks in each of the {envs} environments");
}

/// A run of [`every_stack_of_every_environment`] in a child process of this test binary,
/// on the snapshots in `snapshots` and the environment files in `envs`, in CI or not.
struct ChildRun {
    passed: bool,
    output: String,
}

fn run_snapshot_test(snapshots: &Path, envs: &Path, ci: bool) -> ChildRun {
    let mut command = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["every_stack_of_every_environment", "--exact", "--test-threads", "1", "--nocapture"])
        .env(SNAPSHOT_DIR_VAR, snapshots)
        .env(ENVIRONMENTS_DIR_VAR, envs);
    for var in [
        "CI",
        "TF_BUILD",
        "INSTA_UPDATE",
        "INSTA_FORCE_PASS",
        "INSTA_OUTPUT",
        "INSTA_WORKSPACE_ROOT",
    ] {
        command.env_remove(var);
    }
    if ci {
        command.env("CI", "true");
    }
    let run = command.output().expect("run the snapshot test");
    let output = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(
        !output.contains("Stopped on the first failure"),
        "insta's fail-fast note contradicts the one-run summary:\n{output}"
    );
    ChildRun {
        passed: run.status.success(),
        output,
    }
}

/// Files in `dir` whose name ends with `suffix`, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the folder is readable")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// A snapshot folder freshly written from the current synthesis of `envs` (so the tests
/// below do not depend on the committed snapshots being up to date).
fn fresh_snapshots(name: &str, envs: &Path) -> support::TempDir {
    let dir = support::TempDir::new(name);
    let run = run_snapshot_test(dir.path(), envs, false);
    assert!(run.passed, "writing fresh snapshots must pass:\n{}", run.output);
    dir
}

fn shipped_environments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments")
}

/// Appends a line the template does not have to `<dir>/<name>.snap`.
fn alter(dir: &Path, name: &str) {
    let path = dir.join(format!("{name}.snap"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::fs::write(&path, format!("{text}\nan old line the template no longer has\n")).expect("alter a snapshot");
}

/// Two changed stacks give two `.snap.new` files and one failure naming both (the test
/// used to stop at the first), without insta's "Stopped on the first failure".
#[test]
fn changed_snapshots_are_all_written_in_one_run() {
    let envs = shipped_environments();
    let dir = fresh_snapshots("snapshots-changed", &envs);
    let names = snapshot_files(dir.path());
    // The first and the last stack in synthesis order, as the summary lists them.
    let assembly = support::synth_all_in(&envs);
    let stack_name = |env: &cairn_core::EnvArtifact, i: usize| format!("{}__{}", env.settings.name, env.stacks[i].id);
    let (first, last) = (&assembly.environments[0], &assembly.environments[assembly.environments.len() - 1]);
    let stale = [stack_name(first, 0), stack_name(last, last.stacks.len() - 1)];
    stale.iter().for_each(|n| alter(dir.path(), n));

    let run = run_snapshot_test(dir.path(), &envs, false);
    assert!(!run.passed, "the altered snapshots must fail the test:\n{}", run.output);
    let summary = format!("2 of {} stack snapshots changed: {}, {}", names.len(), stale[0], stale[1]);
    assert!(run.output.contains(&summary), "expected `{summary}`:\n{}", run.output);
    assert!(run.output.contains("review each `.snap.new`"), "{}", run.output);
    let mut pending: Vec<String> = stale.iter().map(|n| format!("{n}.snap.new")).collect();
    pending.sort();
    assert_eq!(files_ending(dir.path(), ".snap.new"), pending, "{}", run.output);
}

/// In CI insta writes no `.snap.new`: the failure says the diff is above and how to get the
/// files locally, instead of pointing at files that do not exist.
#[test]
fn changed_snapshots_in_ci_point_at_the_diff_and_the_local_run() {
    let envs = shipped_environments();
    let dir = fresh_snapshots("snapshots-changed-ci", &envs);
    let name = snapshot_files(dir.path())[0].clone();
    alter(dir.path(), &name);

    let run = run_snapshot_test(dir.path(), &envs, true);
    assert!(!run.passed, "{}", run.output);
    assert!(run.output.contains(&format!("stack snapshots changed: {name}\n")), "{}", run.output);
    assert!(run.output.contains("the diff of each is printed above"), "{}", run.output);
    assert!(run.output.contains(&format!("run `{LOCAL_RUN}` locally")), "{}", run.output);
    assert!(!run.output.contains("review each `.snap.new`"), "{}", run.output);
    assert_eq!(files_ending(dir.path(), ".snap.new"), Vec::<String>::new(), "{}", run.output);
}

/// The name of the environment the tests below add: one the project has no file for, so
/// they hold whatever environments the project keeps (a real `qa.toml` among them).
fn new_env_name(envs: &Path) -> String {
    let taken = support::environment_files_in(envs);
    (0..)
        .map(|i| if i == 0 { "snapnew".to_string() } else { format!("snapnew{i}") })
        .find(|n| !taken.contains(n))
        .expect("a free environment name")
}

/// A copy of the project's environment folder plus one new environment (a copy of any of
/// them, last in promotion order); returns the sandbox and the new environment's name.
fn with_new_env(name: &str) -> (support::Sandbox, String) {
    let sandbox = support::Sandbox::new(name);
    let envs = sandbox.envs();
    let from = support::any_environment();
    let last = support::environment_files_in(&envs)
        .iter()
        .filter_map(|env| {
            support::line_of(env, "promotion_order")
                .split('=')
                .nth(1)?
                .trim()
                .parse::<u32>()
                .ok()
        })
        .max()
        .expect("the environment files set promotion_order");
    let text = std::fs::read_to_string(envs.join(format!("{from}.toml"))).expect("an environment file");
    let line = support::line_of(&from, "promotion_order");
    let copy = text.replacen(&line, &format!("promotion_order = {}", last + 1), 1);
    let new = new_env_name(&envs);
    std::fs::write(envs.join(format!("{new}.toml")), copy).expect("write the new environment file");
    (sandbox, new)
}

/// The snapshot files of an environment's three stacks.
fn snapshots_of(env: &str) -> [String; 3] {
    ["data", "network", "service"].map(|stack| format!("{env}__{stack}.snap"))
}

/// A new environment: its snapshots are written as `.snap` files and the test passes,
/// naming each file to review and commit.
#[test]
fn a_new_environment_gets_its_snapshots_written() {
    let dir = fresh_snapshots("snapshots-new-env", &shipped_environments());
    let (qa, new) = with_new_env("snapshots-qa-local");

    let run = run_snapshot_test(dir.path(), &qa.envs(), false);
    assert!(run.passed, "{}", run.output);
    for file in &snapshots_of(&new) {
        let line = format!("new snapshot {} written: review and commit it", dir.join(file).display());
        assert!(run.output.contains(&line), "expected `{line}`:\n{}", run.output);
        assert!(dir.join(file).is_file(), "{file} written:\n{}", run.output);
    }
    assert_eq!(
        run.output.matches("new snapshot ").count(),
        3,
        "only the new environment's stacks are new:\n{}",
        run.output
    );
    assert_eq!(files_ending(dir.path(), ".snap.new"), Vec::<String>::new(), "{}", run.output);
}

/// In CI a missing snapshot fails, naming the files and the command that creates them,
/// and nothing is written.
#[test]
fn a_new_environment_without_snapshots_fails_in_ci() {
    let dir = fresh_snapshots("snapshots-new-env-ci", &shipped_environments());
    let (qa, new) = with_new_env("snapshots-qa-ci");

    let run = run_snapshot_test(dir.path(), &qa.envs(), true);
    assert!(!run.passed, "{}", run.output);
    assert!(run.output.contains("3 stack(s) have no snapshot yet"), "{}", run.output);
    for file in &snapshots_of(&new) {
        assert!(
            run.output.contains(&dir.join(file).display().to_string()),
            "{file} named:\n{}",
            run.output
        );
        assert!(!dir.join(file).exists(), "{file} not written in CI");
    }
    assert!(run.output.contains(&format!("run `{LOCAL_RUN}` locally")), "{}", run.output);
    assert_eq!(files_ending(dir.path(), ".snap.new"), Vec::<String>::new(), "{}", run.output);
}

/// Snapshots of a removed environment are reported with "delete them": a warning locally,
/// a failure in CI.
#[test]
fn snapshots_of_a_removed_environment_are_reported() {
    let (qa, new) = with_new_env("snapshots-qa-removed");
    let dir = fresh_snapshots("snapshots-removed-env", &qa.envs());
    std::fs::remove_file(qa.envs().join(format!("{new}.toml"))).expect("remove the new environment file");

    let local = run_snapshot_test(dir.path(), &qa.envs(), false);
    assert!(local.passed, "{}", local.output);
    let ci = run_snapshot_test(dir.path(), &qa.envs(), true);
    assert!(!ci.passed, "{}", ci.output);
    for run in [&local, &ci] {
        assert!(run.output.contains("3 snapshot(s) of no current stack"), "{}", run.output);
        assert!(run.output.contains("delete them"), "{}", run.output);
        for file in &snapshots_of(&new) {
            assert!(
                run.output.contains(&dir.join(file).display().to_string()),
                "{file} named:\n{}",
                run.output
            );
        }
    }
    assert!(local.output.contains("warning: 3 snapshot(s)"), "{}", local.output);
    assert!(dir.join(&snapshots_of(&new)[0]).is_file(), "reported, not deleted");
}
