//! Environment files as a new user meets them: through the `cairn` binary, with
//! broken copies of the shipped files. Each problem gives one clear error naming
//! the file and key, exit code 2, and leaves an existing `out/` untouched.

use std::process::Output;

mod support;
use support::Sandbox;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Synthesizes prod once, breaks the file, and checks the error and that out/ is untouched.
fn assert_bad(name: &str, env: &str, from: &str, to: &str, expected: &[&str]) {
    let sandbox = Sandbox::new(name);
    let ok = sandbox.synth(env);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let manifest = sandbox.out().join(env).join("manifest.json");
    let before = std::fs::read(&manifest).unwrap();
    sandbox.edit(env, from, to);
    let bad = sandbox.synth(env);
    let err = stderr(&bad);
    assert_eq!(bad.status.code(), Some(2), "{name}: {err}");
    assert!(err.contains(&format!("{env}.toml")), "{name}: error does not name the file: {err}");
    for e in expected {
        assert!(err.contains(e), "{name}: expected `{e}` in: {err}");
    }
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{name}: one error only: {err}"
    );
    assert_eq!(std::fs::read(&manifest).unwrap(), before, "{name}: out/ was changed");
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    let sandbox = Sandbox::new("unknown");
    let o = sandbox.synth("qa");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown environment `qa`; known environments: dev, prod, staging"),
        "{err}"
    );
    assert!(!sandbox.out().join("qa").exists());
}

#[test]
fn unknown_key() {
    assert_bad(
        "unknown-key",
        "prod",
        "[network]",
        "[network]\nsubnet_count = 4",
        &["network", "unknown field `subnet_count`"],
    );
}

#[test]
fn wrong_type() {
    assert_bad(
        "wrong-type",
        "prod",
        "desired_count = 3",
        "desired_count = \"three\"",
        &["service.desired_count", "allowed: a whole number, 0 or more"],
    );
}

#[test]
fn negative_task_count() {
    assert_bad(
        "negative",
        "prod",
        "desired_count = 3",
        "desired_count = -1",
        &["service.desired_count"],
    );
}

#[test]
fn retention_cloudwatch_does_not_accept() {
    assert_bad(
        "retention",
        "staging",
        "retention_days = 30",
        "retention_days = 31",
        &["logs.retention_days", "allowed: 1, 3, 5, 7, 14, 30"],
    );
}

#[test]
fn malformed_account_region_and_cidr() {
    assert_bad(
        "account",
        "dev",
        "account = \"123456789012\"",
        "account = \"12345\"",
        &["key `account`", "12 digits"],
    );
    assert_bad(
        "region",
        "dev",
        "region = \"us-east-1\"",
        "region = \"moon-base-1\"",
        &["key `region`", "not an AWS region"],
    );
    assert_bad(
        "cidr",
        "dev",
        "cidr = \"10.10.0.0/16\"",
        "cidr = \"10.10.0.1/16\"",
        &["network.cidr", "host bits"],
    );
    assert_bad(
        "cidr-size",
        "dev",
        "cidr = \"10.10.0.0/16\"",
        "cidr = \"10.0.0.0/8\"",
        &["network.cidr", "/16 to /24"],
    );
}

#[test]
fn backup_retention_out_of_range() {
    assert_bad(
        "backup",
        "prod",
        "backup_retention_days = 30",
        "backup_retention_days = 40",
        &["database.backup_retention_days", "allowed: 1 to 35"],
    );
}

#[test]
fn engine_version_rds_does_not_offer() {
    // Well-formed, but no such PostgreSQL: the error lists the versions allowed.
    assert_bad(
        "engine",
        "prod",
        "engine_version = \"17.5\"",
        "engine_version = \"99.1\"",
        &[
            "database.engine_version",
            "`99.1` is not a PostgreSQL version RDS offers",
            "allowed: PostgreSQL 13, 14, 15, 16, 17, 18",
        ],
    );
    assert_bad(
        "engine-minor",
        "prod",
        "engine_version = \"17.5\"",
        "engine_version = \"17.99\"",
        &["database.engine_version", "allowed: 17.1, 17.2, 17.3, 17.4, 17.5, 17.6, 17.7"],
    );
}

#[test]
fn malformed_toml_and_missing_key() {
    assert_bad("syntax", "prod", "[network]", "[network", &["not valid TOML"]);
    assert_bad(
        "missing",
        "prod",
        "require_approval = true\n",
        "",
        &["missing field `require_approval`"],
    );
}

#[test]
fn reserved_tag_keys_are_refused() {
    assert_bad(
        "tag",
        "prod",
        "[tags]",
        "[tags]\nEnvironment = \"x\"",
        &["tags.Environment", "set by cairn itself"],
    );
}

#[test]
fn a_fourth_environment_needs_no_code_change() {
    let sandbox = Sandbox::new("qa");
    let staging = std::fs::read_to_string(sandbox.envs().join("staging.toml")).unwrap();
    std::fs::write(
        sandbox.envs().join("qa.toml"),
        staging.replace("10.20.0.0/16", "10.40.0.0/16").replace("shop-staging", "shop-qa"),
    )
    .unwrap();
    let o = sandbox.synth("qa");
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(sandbox.out().join("qa/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["environment"], "qa");
    let names: Vec<&str> = manifest["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| n.starts_with("shop-qa-")), "{names:?}");
    let ls = sandbox.cairn(&["ls", "--format", "json"]);
    assert!(ls.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    let envs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    assert!(envs.contains(&"qa"), "{envs:?}");
}

#[test]
fn synth_all_writes_every_environment_and_is_deterministic() {
    let sandbox = Sandbox::new("all");
    let out = sandbox.out();
    let first = sandbox.cairn(&["synth", "--all", "--out", out.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let read_all = || {
        let mut files = Vec::new();
        for env in ["dev", "staging", "prod"] {
            let mut entries: Vec<_> = std::fs::read_dir(out.join(env)).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            for p in entries {
                files.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
        files
    };
    let a = read_all();
    assert!(a.iter().any(|(p, _)| p.ends_with("prod/manifest.json")));
    let second = sandbox.cairn(&["synth", "--all", "--out", out.to_str().unwrap()]);
    assert!(second.status.success());
    assert_eq!(a, read_all(), "two syntheses differ");
    // No temporary folders are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let sandbox = Sandbox::new("usage");
    assert_eq!(sandbox.cairn(&["synth"]).status.code(), Some(2));
    assert_eq!(sandbox.cairn(&["synth", "prod", "--all"]).status.code(), Some(2));
    assert_eq!(sandbox.cairn(&["frobnicate"]).status.code(), Some(2));
    let help = sandbox.cairn(&["synth", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("cairn synth prod"));
}
