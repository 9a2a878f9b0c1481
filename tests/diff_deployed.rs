//! `cairn diff` of the shop end to end with the real binary, without a terminal: its
//! engine-version changes and renames between synthesis outputs, and against stacks
//! deployed to a moto server (one per test binary; each deploying test uses an environment
//! of its own name, so stacks never meet). `diff` between outputs in general (formats,
//! gates, malformed input) is tested on a fixture application in `crates/toolkit/tests/diff.rs`.
//!
//! The diff engine's cases (each kind of change, replacement, IAM and security
//! groups, noise) are unit-tested in `crates/diff/src/tests.rs`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use support::moto::Moto;
use support::TempDir;

fn shipped_envs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments")
}

/// A scratch folder unique to this test process.
fn scratch(name: &str) -> TempDir {
    TempDir::new(&format!("difftest-{name}"))
}

/// A folder holding one environment file `<name>.toml`, copied from a shipped one.
/// Its folder is numbered: two tests may make copies of the same name at once.
fn env_copy(name: &str, from: &str) -> TempDir {
    static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("envs-{name}-{n}"));
    let text = std::fs::read_to_string(shipped_envs().join(format!("{from}.toml"))).expect("shipped environment file");
    std::fs::write(dir.join(format!("{name}.toml")), support::for_moto(&text)).expect("copy");
    dir
}

/// Sets a top-level-named key (`retention_days = 14`) of an environment copy; returns the old value.
fn set_key(dir: &Path, name: &str, key: &str, value: &str) -> String {
    let file = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&file).expect("environment copy");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{key} ")) || l.trim_start().starts_with(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {}", file.display()))
        .to_string();
    let old = line.split('=').nth(1).expect("a value").trim().to_string();
    assert_ne!(old, value, "pick another value for the test");
    std::fs::write(&file, text.replacen(&line, &format!("{key} = {value}"), 1)).expect("edit");
    old
}

/// Runs `cairn` with test credentials (and `endpoint`, if any), without a terminal.
fn cairn(args: &[&str], envs: Option<&Path>, endpoint: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    cmd.env("CAIRN_LOCAL_CLOUD_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/local-cloud"));
    if let Some(dir) = envs {
        cmd.arg("--environments").arg(dir);
    }
    cmd.args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("CAIRN_ENVIRONMENTS")
        .env_remove("CAIRN_TEMPLATE_BUCKET")
        .stdin(std::process::Stdio::null());
    if let Some(url) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", url);
    }
    cmd.output().expect("cairn runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Exit code `code`; returns (stdout, stderr).
#[track_caller]
fn exits(o: &Output, code: i32) -> (String, String) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(code), "expected exit {code}\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

/// `cairn synth --all --out <dir>` with the given environments folder.
fn synth_to(dir: &Path, envs: Option<&Path>) {
    exits(
        &cairn(&["synth", "--all", "--quiet", "--out", &dir.display().to_string()], envs, None),
        0,
    );
}

#[test]
fn engine_version_changes_in_an_environment_file_are_flagged_and_a_downgrade_fails_the_gate() {
    let root = scratch("engine");
    let envs = env_copy("prod", &support::any_environment());
    let base = root.join("base");
    synth_to(&base, Some(&envs));
    let base_arg = base.display().to_string();
    set_key(&envs, "prod", "engine_version", "\"16.9\"");

    let (out, _) = exits(&cairn(&["diff", "--base", &base_arg], Some(&envs), None), 0);
    assert!(out.contains("DEPLOY WOULD FAIL"), "{out}");
    assert!(
        out.contains("EngineVersion 17.5 → 16.9 is a downgrade: RDS cannot downgrade"),
        "{out}"
    );
    let (_, err) = exits(
        &cairn(&["diff", "--base", &base_arg, "--fail-on", "replacement"], Some(&envs), None),
        1,
    );
    assert!(err.contains("1 change(s) the deploy would fail on"), "{err}");
    let (out, _) = exits(&cairn(&["diff", "--base", &base_arg, "--format", "json"], Some(&envs), None), 0);
    let j: Json = serde_json::from_str(&out).expect("JSON");
    assert_eq!(j["warnings"][0]["kind"], "engine-downgrade", "{out}");
    assert_eq!(j["summary"]["blocking"], 1, "{out}");

    // A major upgrade deploys (cairn sets AllowMajorVersionUpgrade) but is flagged.
    set_key(&envs, "prod", "engine_version", "\"18.1\"");
    let (out, _) = exits(
        &cairn(
            &["diff", "--base", &base_arg, "--format", "markdown", "--fail-on", "replacement"],
            Some(&envs),
            None,
        ),
        0,
    );
    assert!(out.contains("EngineVersion 17.5 → 18.1 is a major version upgrade"), "{out}");
}

/// Copies a synthesis output folder, replacing `from` with `to` in every file of it.
fn copy_replacing(src: &Path, dst: &Path, from: &str, to: &str) {
    std::fs::create_dir_all(dst).expect("folder");
    for entry in std::fs::read_dir(src).expect("synthesis output") {
        let path = entry.expect("entry").path();
        let target = dst.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_replacing(&path, &target, from, to);
        } else {
            let text = std::fs::read_to_string(&path).expect("a text file");
            std::fs::write(&target, text.replace(from, to)).expect("write");
        }
    }
}

#[test]
fn a_rename_that_removes_an_export_the_service_imports_fails_the_gate_and_names_both_stacks() {
    let root = scratch("rename");
    let base = root.join("base");
    synth_to(&base, None);
    let env = support::any_environment();
    // The orders table's logical ID, as a rename of its construct would change it everywhere.
    let data: Json = serde_json::from_str(
        &std::fs::read_to_string(base.join(&env).join(format!("shop-{env}-data.template.json"))).expect("data template"),
    )
    .expect("JSON");
    let table_id = data["Resources"]
        .as_object()
        .and_then(|r| r.iter().find(|(_, v)| v["Type"] == "AWS::DynamoDB::Table"))
        .map(|(id, _)| id.clone())
        .expect("a table");
    let head = root.join("head");
    copy_replacing(&base, &head, &table_id, "RenamedOrders1A2B3C4D");
    let args = ["diff", "--base", &base.display().to_string(), "--head", &head.display().to_string()];

    // Only the data stack compared: the service stack's import is found all the same.
    let narrowed: Vec<&str> = args
        .iter()
        .copied()
        .chain([env.as_str(), "data", "--fail-on", "replacement"])
        .collect();
    let (out, err) = exits(&cairn(&narrowed, None, None), 1);
    assert!(
        out.contains(&format!("export `shop-{env}-data:ExportsOutputFnGetAtt{table_id}Arn`"))
            && out.contains(&format!("is removed, but shop-{env}-service still imports it")),
        "{out}"
    );
    assert!(out.contains(r#"keep_logical_ids("<new path>", "Orders")"#), "{out}");
    assert!(err.contains("would fail on"), "{err}");

    let json_args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let (out, _) = exits(&cairn(&json_args, None, None), 0);
    let j: Json = serde_json::from_str(&out).expect("JSON");
    let warnings = j["warnings"].as_array().expect("warnings");
    // Every environment has the table; the service imports its name and its ARN.
    let count = 2 * support::environment_files().len();
    assert_eq!(warnings.len(), count, "{out}");
    for w in warnings {
        let env = w["environment"].as_str().unwrap_or_default();
        assert_eq!(w["kind"], "export-still-imported", "{out}");
        assert_eq!(w["stack"], format!("shop-{env}-data").as_str(), "{out}");
        assert_eq!(w["blocking"], true, "{out}");
    }
    assert_eq!(j["summary"]["blocking"], count, "{out}");
}

#[test]
fn against_moto_no_changes_after_deploy_then_the_edited_property() {
    let moto = Moto::shared();
    let envs = env_copy("diffed", &support::any_environment());
    // The network and data stacks (the flow logs live in data, next to the key).
    let (out, _) = exits(
        &cairn(&["deploy", "diffed", "network", "data", "--approve"], Some(&envs), Some(&moto.url)),
        0,
    );
    assert!(out.contains("done diffed"), "{out}");

    let (out, err) = exits(&cairn(&["diff", "diffed", "network", "data"], Some(&envs), Some(&moto.url)), 0);
    assert!(out.contains("no differences (2 stacks compared)"), "{out}\n{err}");
    assert!(out.contains("deployed stacks (account "), "{out}");

    // The whole environment: the deployed stack is unchanged, the others are new.
    let (out, _) = exits(&cairn(&["diff", "diffed", "--format", "json"], Some(&envs), Some(&moto.url)), 0);
    let j: Json = serde_json::from_str(&out).expect("JSON");
    let status = |name: &str| {
        j["stacks"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["stack"] == name))
            .map(|s| s["status"].clone())
    };
    assert_eq!(status("shop-diffed-network"), Some(Json::from("unchanged")), "{out}");
    assert_eq!(status("shop-diffed-data"), Some(Json::from("unchanged")), "{out}");
    assert_eq!(status("shop-diffed-service"), Some(Json::from("added")), "{out}");

    let old = set_key(&envs, "diffed", "retention_days", "30");
    let (out, _) = exits(&cairn(&["diff", "diffed", "data"], Some(&envs), Some(&moto.url)), 0);
    assert!(out.contains(&format!("RetentionInDays: {old} → 30")), "{out}");
    assert!(out.contains("AWS::Logs::LogGroup data/FlowLogs/LogGroup"), "{out}");
    assert!(
        out.contains("diffed/shop-diffed-data: 0 to add, 4 to change (0 replacements), 0 to destroy"),
        "the flow-log group, the database's two log groups and the access-log expiry: {out}"
    );
    let (_, err) = exits(
        &cairn(&["diff", "diffed", "data", "--fail-on", "any"], Some(&envs), Some(&moto.url)),
        1,
    );
    assert!(err.contains("--fail-on any"), "{err}");
    exits(
        &cairn(
            &["diff", "diffed", "data", "--fail-on", "replacement"],
            Some(&envs),
            Some(&moto.url),
        ),
        0,
    );

    let (out, _) = exits(
        &cairn(&["diff", "diffed", "data", "--format", "json"], Some(&envs), Some(&moto.url)),
        0,
    );
    let j: Json = serde_json::from_str(&out).expect("JSON");
    assert_eq!(j["changes"][0]["propertyPath"], serde_json::json!(["RetentionInDays"]), "{out}");
    assert_eq!(j["changes"][0]["new"], 30, "{out}");
    exits(&cairn(&["diff", "diffed", "nosuchstack"], Some(&envs), Some(&moto.url)), 2);
}

#[test]
fn against_moto_an_environment_that_is_not_deployed_is_entirely_new() {
    let moto = Moto::shared();
    let envs = env_copy("undeployed", &support::any_environment());
    let (out, _) = exits(&cairn(&["diff", "undeployed"], Some(&envs), Some(&moto.url)), 0);
    assert!(out.contains("(new stack)"), "{out}");
    assert!(out.contains("0 to change (0 replacements), 0 to destroy"), "{out}");
    assert!(!out.contains("no differences"), "{out}");
    let (out, _) = exits(&cairn(&["diff", "undeployed", "--format", "json"], Some(&envs), Some(&moto.url)), 0);
    let j: Json = serde_json::from_str(&out).expect("JSON");
    let stacks = j["stacks"].as_array().expect("stacks");
    assert!(!stacks.is_empty() && stacks.iter().all(|s| s["status"] == "added"), "{out}");
}

#[test]
fn a_folder_without_manifest_is_malformed_and_a_new_environment_is_said_to_be_new() {
    if !support::requires(&["dev", "staging"]) {
        return;
    }
    let root = scratch("partial");
    // Base: dev only; head: dev and qa (an environment new in the change).
    let base_envs = env_copy("dev", "dev");
    let head_envs = scratch("envs-dev-qa");
    for (name, from) in [("dev", "dev"), ("qa", "staging")] {
        let text = std::fs::read_to_string(shipped_envs().join(format!("{from}.toml"))).expect("shipped file");
        std::fs::write(head_envs.join(format!("{name}.toml")), text).expect("copy");
    }
    let (base, head) = (root.join("base"), root.join("head"));
    synth_to(&base, Some(&base_envs));
    synth_to(&head, Some(&head_envs));
    let (base_s, head_s) = (base.display().to_string(), head.display().to_string());

    let (out, _) = exits(&cairn(&["diff", "--base", &base_s, "--head", &head_s], None, None), 0);
    assert!(out.contains("environment qa: not in base"), "{out}");
    assert!(!out.contains("environment dev:"), "{out}");
    let (out, _) = exits(
        &cairn(&["diff", "--base", &base_s, "--head", &head_s, "--format", "markdown"], None, None),
        0,
    );
    assert!(out.contains("environment qa: not in base"), "{out}");
    let (out, _) = exits(
        &cairn(&["diff", "--base", &base_s, "--head", &head_s, "--format", "json"], None, None),
        0,
    );
    let j: Json = serde_json::from_str(&out).expect("JSON");
    assert!(
        j["notes"][0].as_str().unwrap_or_default().contains("environment qa: not in base"),
        "{out}"
    );
    // Without notes, the JSON document has no such key (its schema is unchanged).
    let (out, _) = exits(
        &cairn(&["diff", "--base", &head_s, "--head", &head_s, "--format", "json"], None, None),
        0,
    );
    let j: Json = serde_json::from_str(&out).expect("JSON");
    assert!(j.get("notes").is_none(), "{out}");

    // dev's templates without their manifest: not "dev is new", a broken synthesis.
    std::fs::remove_file(base.join("dev/manifest.json")).expect("remove manifest");
    // qa still has its manifest, so the folder is otherwise a synthesis output.
    std::fs::create_dir_all(base.join("qa")).expect("qa");
    synth_to(&root.join("qa-src"), Some(&head_envs));
    for f in std::fs::read_dir(root.join("qa-src/qa")).expect("qa output").filter_map(Result::ok) {
        std::fs::copy(f.path(), base.join("qa").join(f.file_name())).expect("copy");
    }
    for args in [
        vec!["diff", "--base", &base_s, "--head", &head_s],
        vec!["diff", "--base", &head_s, "--head", &base_s],
    ] {
        let (stdout, err) = exits(&cairn(&args, None, None), 2);
        assert!(
            err.contains(&base.join("dev").display().to_string()) && err.contains("no manifest.json"),
            "{err}"
        );
        assert!(err.contains("synthesize again"), "{err}");
        assert!(stdout.is_empty(), "{stdout}");
    }
}

/// Turning an environment's own key on: `diff` shows the database replaced (RDS cannot
/// re-encrypt an instance, and its fixed identifier makes the deploy fail) and the other
/// encrypted resources changed in place.
#[test]
fn turning_the_environment_key_on_shows_the_database_replaced_and_the_rest_changed_in_place() {
    let root = scratch("key-on");
    let envs = env_copy("keyed", &support::any_environment());
    assert!(
        std::fs::read_to_string(envs.join("keyed.toml"))
            .unwrap()
            .contains("customer_managed_key = false"),
        "the copy starts without its key"
    );
    let base = root.join("base");
    synth_to(&base, Some(&envs));
    let base_arg = base.display().to_string();
    set_key(&envs, "keyed", "customer_managed_key", "true");

    let (out, _) = exits(&cairn(&["diff", "--base", &base_arg, "--format", "json"], Some(&envs), None), 0);
    let j: Json = serde_json::from_str(&out).expect("JSON");
    let changes = j["changes"].as_array().expect("changes");
    let of_type = |t: &str| -> Vec<&Json> { changes.iter().filter(|c| c["type"] == t).collect() };
    let db = of_type("AWS::RDS::DBInstance");
    assert!(
        db.iter()
            .any(|c| c["propertyPath"] == serde_json::json!(["KmsKeyId"]) && c["replacement"] == "always"),
        "the database's new key replaces it: {db:?}"
    );
    for t in [
        "AWS::SQS::Queue",
        "AWS::Logs::LogGroup",
        "AWS::SNS::Topic",
        "AWS::SecretsManager::Secret",
    ] {
        let c = of_type(t);
        assert!(!c.is_empty(), "{t} changes");
        assert!(c.iter().all(|c| c["replacement"] != "always"), "{t} changes in place: {c:?}");
    }
    assert!(out.contains("AWS::KMS::Key"), "the key is added: {out}");
    let (text, _) = exits(&cairn(&["diff", "--base", &base_arg], Some(&envs), None), 0);
    assert!(
        text.contains("DEPLOY WOULD FAIL"),
        "the fixed-name database cannot be replaced in place: {text}"
    );
}
