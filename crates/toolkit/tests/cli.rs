//! The command line's behaviour at its edges, on the fixture application: a reader
//! that closes the pipe early, environments named twice or badly, `--out` naming a
//! file, the project's Guard rules found from any working folder, `--format json`
//! and the exit codes.

use std::io::Read;
use std::process::Stdio;

mod support;
use support::{cairn, stderr, Sandbox, TempDir, ENVIRONMENTS};

#[test]
fn a_reader_that_stops_early_ends_cairn_quietly_without_a_panic() {
    let out = TempDir::new("cli-pipe");
    let mut child = support::command()
        .args(["ls", "--format", "json"])
        .current_dir(out.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before cairn writes (like `cairn ls | head -0`).
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "cairn panicked on a closed pipe:\n{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    // Either it finished before noticing, or SIGPIPE ended it: never a failure exit code.
    use std::os::unix::process::ExitStatusExt;
    assert!(status.success() || status.signal() == Some(13), "unexpected end: {status:?}");
}

#[test]
fn an_environment_named_twice_is_bad_input() {
    let out = TempDir::new("cli-twice");
    let o = cairn(&["synth", "dev", "dev", "--out", out.join("o").to_str().unwrap()], out.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("environment `dev` is named twice on the command line"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("o").exists(), "nothing may be written");
}

#[test]
fn an_environment_file_whose_name_cannot_be_a_stack_name_is_named_in_the_error() {
    let sandbox = Sandbox::new("cli-badname");
    let envs = sandbox.envs();
    std::fs::copy(envs.join("dev.toml"), envs.join("my qa.toml")).unwrap();
    let o = sandbox.cairn(&["ls"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("my qa.toml") && err.contains("not a valid environment name"), "{err}");
    // A name with a path in it is refused before any file is looked up.
    let o = cairn(&["synth", "../dev"], sandbox.root());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("`../dev` is not a valid environment name"), "{}", stderr(&o));
}

#[test]
fn out_naming_a_file_is_bad_input_and_leaves_the_file_alone() {
    let dir = TempDir::new("cli-outfile");
    let file = dir.join("afile");
    std::fs::write(&file, "keep me").unwrap();
    let o = cairn(&["synth", "dev", "--out", file.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is a file, not a folder"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn the_projects_guard_rules_apply_whatever_the_working_folder() {
    let elsewhere = TempDir::new("cli-cwd");
    let o = cairn(&["check", "dev"], elsewhere.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("guard:depot.guard"),
        "the application's rules folder was not applied:\n{report}"
    );
    // And --no-default-rules leaves them out.
    let o = cairn(&["check", "dev", "--no-default-rules"], elsewhere.path());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("guard:depot.guard"));
}

/// `--format json` replaced `--json`; the old flag still works for now, with a warning.
#[test]
fn ls_prints_json_with_format_json_and_warns_on_the_old_flag() {
    let here = TempDir::new("cli-ls");
    let o = cairn(&["ls", "--format", "json"], here.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("ls --format json prints JSON");
    let envs: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ENVIRONMENTS, "in promotion order: {list}");
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let old = cairn(&["ls", "--json"], here.path());
    assert!(old.status.success(), "{}", stderr(&old));
    assert_eq!(old.stdout, o.stdout, "--json is --format json");
    assert!(
        stderr(&old).contains("warning: --json is deprecated; use --format json"),
        "{}",
        stderr(&old)
    );
    let both = cairn(&["ls", "--json", "--format", "text"], here.path());
    assert_eq!(both.status.code(), Some(2), "contradicting flags are bad input: {}", stderr(&both));
    let help = cairn(&["ls", "--help"], here.path());
    assert!(
        !String::from_utf8_lossy(&help.stdout).contains("--json"),
        "the deprecated flag is hidden"
    );
}

/// `status --format json` with `--watch` is refused before any AWS call.
#[test]
fn status_json_cannot_watch() {
    let here = TempDir::new("cli-status");
    let o = cairn(&["status", "dev", "--format", "json", "--watch"], here.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--format json prints one snapshot and cannot --watch"),
        "{}",
        stderr(&o)
    );
}

/// The top-level help lists every exit code cairn uses, as the README does.
#[test]
fn top_level_help_lists_every_exit_code() {
    let here = TempDir::new("cli-help");
    let help = cairn(&["--help"], here.path());
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for code in [
        "0 ok",
        "1 failure",
        "2 bad input",
        "3 `drift` against an endpoint without drift detection",
        "130 stopped by Ctrl-C",
    ] {
        assert!(text.contains(code), "`{code}` not in: {text}");
    }
}

/// `ls` lists every environment in promotion order with its account, region and what
/// it requires, and its stacks in deploy order with the stacks each waits for.
#[test]
fn ls_lists_environments_and_stacks_in_deploy_order() {
    let here = TempDir::new("cli-ls-text");
    let o = cairn(&["ls"], here.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = support::stdout(&o);
    let expected = "\
dev  account 123456789012 region us-east-1
  depot-dev-storage
  depot-dev-worker  after depot-dev-storage
staging  account 123456789012 region us-east-1
  depot-staging-storage
  depot-staging-worker  after depot-staging-storage
prod  account 123456789012 region us-east-1  (approval required, keeps data)
  depot-prod-storage
  depot-prod-worker  after depot-prod-storage
";
    assert_eq!(text, expected);
}
