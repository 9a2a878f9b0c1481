//! Environment files as a new user meets them, through the fixture's binary, with
//! broken copies of its files: each problem gives one clear error naming the file and
//! key, exit code 2, and leaves an existing `out/` untouched. The checks of the keys a
//! given application adds (its own ranges and lists) belong to that application's tests.

mod support;
use support::{stderr, Sandbox, ENVIRONMENTS};

/// Synthesizes `env` once, breaks its file, and checks the error and that out/ is untouched.
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
    let o = sandbox.synth("nosuch");
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    // Sorted by name.
    assert!(
        err.contains("unknown environment `nosuch`; known environments: dev, prod, staging"),
        "{err}"
    );
    assert!(!sandbox.out().join("nosuch").exists());
}

#[test]
fn unknown_key() {
    assert_bad(
        "unknown-key",
        "dev",
        "[queue]",
        "[queue]\nshards = 4",
        &["queue", "unknown field `shards`"],
    );
}

#[test]
fn values_out_of_range_or_of_the_wrong_type_name_the_key_and_the_range() {
    for (name, value, expected) in [
        ("range", "15", "15 is out of range; allowed: 1 to 14"),
        ("negative", "-1", "-1 is out of range; allowed: 1 to 14"),
        ("beyond-u32", "4294967296", "allowed: 1 to 14"),
        ("wrong-type", "\"three\"", "allowed: a whole number from 1 to 14"),
    ] {
        assert_bad(
            name,
            "dev",
            "retention_days = 3",
            &format!("retention_days = {value}"),
            &["queue.retention_days", expected],
        );
    }
}

#[test]
fn malformed_account_and_region() {
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
}

#[test]
fn malformed_toml_and_missing_key() {
    assert_bad("syntax", "dev", "[queue]", "[queue", &["not valid TOML"]);
    assert_bad(
        "missing",
        "dev",
        "require_approval = false\n",
        "",
        &["missing field `require_approval`"],
    );
}

#[test]
fn a_fourth_environment_needs_no_code_change() {
    let sandbox = Sandbox::new("qa");
    let staging = std::fs::read_to_string(sandbox.envs().join("staging.toml")).unwrap();
    std::fs::write(
        sandbox.envs().join("qa.toml"),
        staging.replace("promotion_order = 20", "promotion_order = 25"),
    )
    .unwrap();
    let o = sandbox.synth("qa");
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest = cairn_assembly::Manifest::read(&sandbox.out().join("qa/manifest.json")).unwrap();
    assert_eq!(manifest.environment, "qa");
    let names: Vec<&str> = manifest.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["depot-qa-storage", "depot-qa-worker"]);
    let ls = sandbox.cairn(&["ls", "--format", "json"]);
    assert!(ls.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
    let envs: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    // In its place: after staging, before prod.
    assert_eq!(envs, ["dev", "staging", "qa", "prod"]);
}

#[test]
fn a_copy_that_keeps_its_promotion_order_is_refused_naming_both_files() {
    let sandbox = Sandbox::new("same-order");
    // A copy under a name the project does not have yet.
    std::fs::copy(sandbox.envs().join("staging.toml"), sandbox.envs().join("stagecopy.toml")).unwrap();
    for args in [
        vec!["synth", "--all"],
        vec!["parity"],
        vec!["ls"],
        vec!["parity", "staging", "stagecopy"],
        // One environment is refused too, even one outside the shared place: the folder is inconsistent.
        vec!["synth", "stagecopy"],
        vec!["synth", "prod"],
    ] {
        let mut args = args.clone();
        let out = sandbox.out();
        if args[0] == "synth" {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let o = sandbox.cairn(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        for expected in ["stagecopy.toml", "staging.toml", "key `promotion_order`", "its own promotion_order"] {
            assert!(err.contains(expected), "{args:?}: `{expected}` not in {err}");
        }
        // With every environment loaded, a free place is suggested: between staging and prod.
        if args.len() == 1 || args[1] == "--all" {
            assert!(err.contains("e.g. 25 (between 20 and 30)"), "{args:?}: {err}");
        }
        assert!(String::from_utf8_lossy(&o.stdout).is_empty(), "{args:?}: output");
        assert!(!out.exists(), "{args:?}: out/ was written");
    }
}

#[test]
fn unreadable_environment_files_say_why() {
    let sandbox = Sandbox::new("unreadable");
    let envs = sandbox.envs();
    // A dangling link is not an unknown environment.
    std::os::unix::fs::symlink(envs.join("nowhere/dangling.toml"), envs.join("dangling.toml")).unwrap();
    for args in [vec!["synth", "dangling"], vec!["synth", "--all"], vec!["ls"]] {
        let o = sandbox.cairn(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("dangling.toml") && err.contains("broken link"), "{args:?}: {err}");
        assert!(!err.contains("unknown environment"), "{args:?}: {err}");
    }
    std::fs::remove_file(envs.join("dangling.toml")).unwrap();
    // A link loop: said in words, not "os error 40".
    std::os::unix::fs::symlink("loop2.toml", envs.join("loop.toml")).unwrap();
    std::os::unix::fs::symlink("loop.toml", envs.join("loop2.toml")).unwrap();
    let o = sandbox.cairn(&["synth", "loop"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("loop.toml") && err.contains("symbolic link loop") && !err.contains("os error"),
        "{err}"
    );
    std::fs::remove_file(envs.join("loop.toml")).unwrap();
    std::fs::remove_file(envs.join("loop2.toml")).unwrap();
    // A folder named like an environment file.
    std::fs::create_dir(envs.join("box.toml")).unwrap();
    let o = sandbox.cairn(&["synth", "box"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("box.toml") && err.contains("is a folder, not a file"), "{err}");
    std::fs::remove_dir(envs.join("box.toml")).unwrap();
    // Not UTF-8 text.
    let file = envs.join("dev.toml");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(b"\n# caf\xe9\n");
    std::fs::write(&file, bytes).unwrap();
    let o = sandbox.synth("dev");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("dev.toml") && err.contains("not UTF-8 text") && err.contains("save it as UTF-8"),
        "{err}"
    );
}

#[test]
fn a_file_without_read_permission_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new("no-read");
    let file = sandbox.envs().join("dev.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        // Running as root: permissions do not stop reading; nothing to test.
        return;
    }
    let o = sandbox.synth("dev");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("dev.toml") && err.contains("permission denied") && err.contains("chmod"),
        "{err}"
    );
}

#[test]
fn synth_all_writes_every_environment_and_is_deterministic() {
    let sandbox = Sandbox::new("all");
    let out = sandbox.out();
    let first = sandbox.cairn(&["synth", "--all", "--out", out.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let read_all = || {
        let mut files = Vec::new();
        for env in ENVIRONMENTS {
            let mut entries: Vec<_> = std::fs::read_dir(out.join(env)).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            for p in entries {
                files.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
        files
    };
    let a = read_all();
    for env in ENVIRONMENTS {
        assert!(a.iter().any(|(p, _)| p.ends_with(format!("{env}/manifest.json"))), "{env}");
    }
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
