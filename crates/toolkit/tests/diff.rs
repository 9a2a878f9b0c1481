//! `cairn diff` between synthesis outputs (no AWS) with the fixture's binary, without a
//! terminal: no differences, an edited environment file in every format and through the
//! `--fail-on` gates, a deleted retained queue tripping the data-loss gate, and malformed
//! input. The diff engine's cases are unit-tested in
//! `crates/diff/src/tests.rs`; diffs against deployed stacks in the root `tests/diff_deployed.rs`.

mod support;

use std::path::Path;

use serde_json::Value as Json;
use support::{exits, Sandbox, TempDir};

fn cairn(args: &[&str], envs: Option<&Path>) -> std::process::Output {
    let mut cmd = support::command();
    if let Some(dir) = envs {
        cmd.arg("--environments").arg(dir);
    }
    cmd.args(args).output().expect("cairn-fixture runs")
}

/// `synth --all --out <dir>` with the given environments folder.
fn synth_to(dir: &Path, envs: Option<&Path>) {
    exits(&cairn(&["synth", "--all", "--quiet", "--out", &dir.display().to_string()], envs), 0);
}

#[test]
fn a_synthesis_output_against_the_same_synthesis_has_no_differences() {
    let dir = TempDir::new("diff-same");
    let base = dir.join("out");
    synth_to(&base, None);
    let (out, _) = exits(&cairn(&["diff", "--base", &base.display().to_string()], None), 0);
    assert!(out.contains("no differences ("), "{out}");
    assert!(!out.contains('\x1b'), "no colors when piped: {out}");
    let (out, _) = exits(
        &cairn(&["diff", "--base", &base.display().to_string(), "--format", "json"], None),
        0,
    );
    let j: Json = serde_json::from_str(&out).expect("JSON");
    assert_eq!(j["schemaVersion"], 1);
    assert_eq!(j["changes"], serde_json::json!([]));
    assert_eq!(j["summary"]["stacks"], 6, "two stacks in three environments: {out}");
}

#[test]
fn an_edited_environment_shows_the_changed_property_and_gates_the_exit_code() {
    let sandbox = Sandbox::new("diff-edited");
    let envs = sandbox.envs();
    let base = sandbox.root().join("base");
    synth_to(&base, Some(&envs));
    sandbox.edit("prod", "retention_days = 14", "retention_days = 7");
    let base_arg = base.display().to_string();

    let (out, _) = exits(&cairn(&["diff", "--base", &base_arg], Some(&envs)), 0);
    assert!(out.contains("MessageRetentionPeriod: 1209600 → 604800"), "{out}");
    assert!(out.contains("AWS::SQS::Queue worker/Jobs"), "{out}");
    assert!(
        out.contains("Total: 0 to add,") && out.contains("(0 replacements), 0 to destroy"),
        "{out}"
    );

    // Head as a folder too, narrowed to one stack; JSON names the property path.
    let head = sandbox.root().join("head");
    synth_to(&head, Some(&envs));
    let (out, _) = exits(
        &cairn(
            &[
                "diff",
                "--base",
                &base_arg,
                "--head",
                &head.display().to_string(),
                "prod",
                "worker",
                "--format",
                "json",
            ],
            None,
        ),
        0,
    );
    let j: Json = serde_json::from_str(&out).expect("JSON");
    let changes = j["changes"].as_array().expect("changes");
    let retention = changes
        .iter()
        .find(|c| c["propertyPath"] == serde_json::json!(["MessageRetentionPeriod"]))
        .unwrap_or_else(|| panic!("no MessageRetentionPeriod change: {out}"));
    assert_eq!(
        (retention["old"].as_u64(), retention["new"].as_u64()),
        (Some(1_209_600), Some(604_800))
    );
    assert!(changes.iter().all(|c| c["stack"] == "depot-prod-worker"), "{out}");

    // Markdown for PR comments.
    let (out, _) = exits(&cairn(&["diff", "--base", &base_arg, "--format", "markdown"], Some(&envs)), 0);
    assert!(
        out.starts_with("<!-- cairn-diff -->") && out.contains("<details>") && out.contains("MessageRetentionPeriod"),
        "{out}"
    );

    // Gates: any difference trips `any`; an in-place change trips neither `replacement` nor `security`.
    let (_, err) = exits(&cairn(&["diff", "--base", &base_arg, "--fail-on", "any"], Some(&envs)), 1);
    assert!(err.contains("--fail-on any"), "{err}");
    exits(&cairn(&["diff", "--base", &base_arg, "--fail-on", "replacement"], Some(&envs)), 0);
    exits(&cairn(&["diff", "--base", &base_arg, "--fail-on", "security"], Some(&envs)), 0);
}

#[test]
fn malformed_input_is_a_clear_error_with_exit_2() {
    let root = TempDir::new("diff-malformed");
    std::fs::write(root.join("notes.txt"), "not a synthesis").expect("file");
    let (_, err) = exits(&cairn(&["diff", "--base", &root.display().to_string()], None), 2);
    assert!(err.contains("is not a synthesis output") && err.contains("cairn synth"), "{err}");

    let out = root.join("out");
    synth_to(&out, None);
    let template = out.join("dev/depot-dev-worker.template.json");
    let body = std::fs::read_to_string(&template).expect("template");
    std::fs::write(&template, &body[..body.len() / 2]).expect("truncate");
    let (stdout, err) = exits(&cairn(&["diff", "--base", &out.display().to_string()], None), 2);
    assert!(
        err.contains("is truncated") && err.contains(&template.display().to_string()),
        "{err}"
    );
    assert!(stdout.is_empty(), "no partial output: {stdout}");

    let (_, err) = exits(&cairn(&["diff"], None), 2);
    assert!(err.contains("name an environment"), "{err}");
    let (_, err) = exits(&cairn(&["diff", "--head", &out.display().to_string()], None), 2);
    assert!(err.contains("--base"), "{err}");
    let (_, err) = exits(&cairn(&["diff", "prod", "--format", "yaml"], None), 2);
    assert!(err.contains("yaml"), "{err}");
}

/// prod (which keeps its data) synthesized into `<dir>/base` and `<dir>/head`, `edit`
/// applied to the logical ID of head's queue (`worker/Jobs/Resource`) in its worker stack.
fn base_and_head(name: &str, edit: impl FnOnce(&mut serde_json::Map<String, Json>, &str)) -> TempDir {
    let dir = TempDir::new(&format!("diff-gate-{name}"));
    for side in ["base", "head"] {
        let out = dir.join(side);
        exits(&cairn(&["synth", "prod", "--quiet", "--out", out.to_str().unwrap()], None), 0);
    }
    let file = dir.join("head/prod/depot-prod-worker.template.json");
    let mut template: Json = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let resources = template["Resources"].as_object_mut().expect("Resources");
    let queue = resources
        .iter()
        .find(|(_, r)| r["Metadata"]["cairn:path"] == "worker/Jobs/Resource")
        .map(|(id, _)| id.clone())
        .expect("the jobs queue");
    edit(resources, &queue);
    std::fs::write(&file, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    dir
}

#[test]
fn deleting_a_retained_queue_fails_the_data_loss_gate_only() {
    let dir = base_and_head("delete-queue", |resources, queue| {
        resources.remove(queue);
    });
    let (base, head) = (dir.join("base"), dir.join("head"));
    let diff = |gates: &str| {
        cairn(
            &[
                "diff",
                "--base",
                base.to_str().unwrap(),
                "--head",
                head.to_str().unwrap(),
                "--fail-on",
                gates,
            ],
            None,
        )
    };
    let (_, err) = exits(&diff("data-loss"), 1);
    assert!(
        err.contains("diff: --fail-on data-loss: 1 stateful resource(s) removed or replaced (0 with nothing keeping their data)"),
        "{err}"
    );
    // Several gates: each one that trips is named.
    let (_, err) = exits(&diff("security,data-loss,replacement"), 1);
    assert!(err.contains("--fail-on data-loss") && !err.contains("--fail-on security"), "{err}");
    exits(&diff("security"), 0);
    exits(&diff("nonsense"), 2);
}

#[test]
fn a_resource_without_type_is_bad_input_naming_the_file_and_the_logical_id() {
    let mut id = String::new();
    let dir = base_and_head("no-type", |resources, queue| {
        id = queue.to_string();
        resources[queue].as_object_mut().unwrap().remove("Type");
    });
    let o = cairn(
        &[
            "diff",
            "--base",
            dir.join("base").to_str().unwrap(),
            "--head",
            dir.join("head").to_str().unwrap(),
        ],
        None,
    );
    let (out, err) = exits(&o, 2);
    assert!(out.is_empty(), "no partial output: {out}");
    assert!(
        err.contains("depot-prod-worker.template.json") && err.contains("has no \"Type\""),
        "{err}"
    );
    assert!(err.contains(&id), "names the logical ID {id}: {err}");
}
