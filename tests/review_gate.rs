//! The repository's pull-request review gate: scripts/review-gate.sh around `cairn diff`,
//! with the real binary, on a PR that deletes the table of an environment that keeps data
//! (as prod does: kept by a Retain policy, so it used to pass every gate) or replaces a
//! resource; the override labels; and the workflow that runs it (valid YAML, the gate
//! wired to the labels, the comment posted even when the gate fails). `diff --fail-on`
//! itself is tested on a fixture application in `crates/toolkit/tests/diff.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

mod support;
use support::{cairn, TempDir};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An environment that keeps its data (as prod does), synthesized twice into `<dir>/base`
/// and `<dir>/head`, `edit` applied to head's data stack. It is a copy of an environment
/// file the project has, named `kept`, with `retain_data` and `deletion_protection` on.
fn base_and_head(name: &str, edit: impl FnOnce(&mut Json)) -> TempDir {
    let dir = TempDir::new(&format!("review-gate-{name}"));
    let envs = dir.join("envs");
    std::fs::create_dir_all(&envs).unwrap();
    let from = support::any_environment();
    let text = std::fs::read_to_string(repo().join(format!("stacks/environments/{from}.toml"))).unwrap();
    let kept = text
        .replacen(&support::line_of(&from, "retain_data"), "retain_data = true", 1)
        .replacen(&support::line_of(&from, "deletion_protection"), "deletion_protection = true", 1);
    std::fs::write(envs.join("kept.toml"), kept).unwrap();
    for side in ["base", "head"] {
        let out = dir.join(side);
        let o = cairn(
            &[
                "synth",
                "kept",
                "--quiet",
                "--environments",
                envs.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &repo(),
        );
        assert!(o.status.success(), "synth kept: {}", show(&o));
    }
    let data = std::fs::read_dir(dir.join("head/kept"))
        .expect("head/kept was written")
        .map(|e| e.expect("a directory entry").path())
        .find(|p| p.to_string_lossy().ends_with("-data.template.json"))
        .expect("the data stack template");
    let mut template: Json = serde_json::from_str(&std::fs::read_to_string(&data).unwrap()).unwrap();
    edit(&mut template);
    std::fs::write(&data, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    dir
}

/// The logical ID of the only resource of `resource_type`.
fn logical_id(template: &Json, resource_type: &str) -> String {
    let ids: Vec<&String> = template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == resource_type)
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids.len(), 1, "one {resource_type}: {ids:?}");
    ids[0].clone()
}

fn delete_table(t: &mut Json) {
    let id = logical_id(t, "AWS::DynamoDB::Table");
    assert_eq!(
        t["Resources"][&id]["DeletionPolicy"], "Retain",
        "an environment that keeps data keeps its table"
    );
    t["Resources"].as_object_mut().unwrap().remove(&id);
}

/// A create-only property of a stateless resource nothing else depends on: the access-log
/// bucket's policy is replaced. (Replacing the database's security group would change
/// the group ID that the service stack imports: a deploy that fails, which no label lifts.)
fn replace_bucket_policy(t: &mut Json) {
    let policies = t["Resources"].as_object_mut().expect("Resources");
    let (_, policy) = policies
        .iter_mut()
        .find(|(id, r)| r["Type"] == "AWS::S3::BucketPolicy" && id.starts_with("AccessLogs"))
        .expect("the access-log bucket's policy");
    policy["Properties"]["Bucket"] = Json::String("another-bucket".into());
}

/// scripts/review-gate.sh around `cairn diff --base … --head … --format markdown`.
fn gate(dir: &Path, allow_replacement: bool, allow_data_loss: bool) -> Output {
    Command::new(repo().join("scripts/review-gate.sh"))
        .arg(env!("CARGO_BIN_EXE_cairn"))
        .args(["diff", "--format", "markdown", "--base"])
        .arg(dir.join("base"))
        .arg("--head")
        .arg(dir.join("head"))
        .env("ALLOW_REPLACEMENT", allow_replacement.to_string())
        .env("ALLOW_DATA_LOSS", allow_data_loss.to_string())
        .env("NO_COLOR", "1")
        .env_remove("CAIRN_ENVIRONMENTS")
        .current_dir(repo())
        .output()
        .expect("scripts/review-gate.sh runs")
}

#[test]
fn the_review_gate_needs_a_label_for_data_loss_and_for_replacements() {
    let deleted = base_and_head("gate-delete", delete_table);
    let o = gate(&deleted, false, false);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        out.starts_with("<!-- cairn-diff -->"),
        "the diff comes first, for the PR comment: {out}"
    );
    assert!(out.contains("### Review gate"), "{out}");
    assert!(out.contains("- Gates: `--fail-on data-loss,replacement`"), "{out}");
    assert!(out.contains("- Result: **failed** (exit code 1)"), "{out}");
    assert!(
        out.contains("`diff: --fail-on data-loss: 1 stateful resource(s) removed or replaced"),
        "{out}"
    );
    // Allowing replacements does not allow losing the table.
    let o = gate(&deleted, true, false);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("- Gates: `--fail-on data-loss`"),
        "{}",
        show(&o)
    );
    // The data-loss label does, and says so.
    let o = gate(&deleted, false, true);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("**Override in use:** label `cairn:allow-data-loss`"), "{out}");
    assert!(out.contains("- Result: passed"), "{out}");

    let replaced = base_and_head("gate-replace", replace_bucket_policy);
    let o = gate(&replaced, false, false);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("`diff: --fail-on replacement: 1 replacement(s)"),
        "{}",
        show(&o)
    );
    let o = gate(&replaced, true, false);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("**Override in use:** label `cairn:allow-replacement`"),
        "{}",
        show(&o)
    );

    // No change: nothing to override.
    let same = base_and_head("gate-same", |_| {});
    let o = gate(&same, false, false);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("- Overrides: none"), "{}", show(&o));

    // An override value that is not true/false is bad input, not a silent "no".
    let o = Command::new(repo().join("scripts/review-gate.sh"))
        .args(["true"])
        .env("ALLOW_DATA_LOSS", "yes")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
}

/// The workflow file, parsed by the venv's PyYAML into JSON.
fn workflow() -> Json {
    let venv = std::env::var_os("CAIRN_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make venv` (this test needs PyYAML from it)",
        python.display()
    );
    let o = Command::new(&python)
        .args([
            "-c",
            "import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1])); d['on'] = d.pop(True, d.get('on')); print(json.dumps(d))",
        ])
        .arg(repo().join(".github/workflows/cairn-shop.yml"))
        .output()
        .expect("python runs");
    assert!(o.status.success(), "the workflow is not valid YAML: {}", show(&o));
    serde_json::from_slice(&o.stdout).expect("JSON from python")
}

#[test]
fn the_pull_request_job_runs_the_gate_and_posts_the_diff_even_when_it_fails() {
    let wf = workflow();
    let types: Vec<&str> = wf["on"]["pull_request"]["types"]
        .as_array()
        .expect("pull_request.types")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    for t in ["opened", "synchronize", "labeled", "unlabeled"] {
        assert!(types.contains(&t), "a PR {t} event must run the gate: {types:?}");
    }
    let steps = wf["jobs"]["diff"]["steps"].as_array().expect("the diff job's steps");
    let gate = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("scripts/review-gate.sh scripts/pr-diff.sh"))
        })
        .expect("a step running scripts/review-gate.sh around scripts/pr-diff.sh");
    let env = &gate["env"];
    assert!(
        env["ALLOW_REPLACEMENT"]
            .as_str()
            .is_some_and(|v| v.contains("'cairn:allow-replacement'")),
        "{env}"
    );
    assert!(
        env["ALLOW_DATA_LOSS"]
            .as_str()
            .is_some_and(|v| v.contains("'cairn:allow-data-loss'")),
        "{env}"
    );
    assert_eq!(env["FORMAT"], "markdown");
    let post = steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("gh pr comment")))
        .expect("the comment step");
    assert!(
        post["if"].as_str().is_some_and(|c| c.contains("always()")),
        "the comment is posted when the gate fails too: {post}"
    );
    let fail = steps.last().expect("a last step");
    assert!(
        fail["if"].as_str().is_some_and(|c| c.contains("steps.diff.outputs.status != '0'"))
            && fail["run"].as_str().is_some_and(|r| r.contains("exit 1")),
        "the job fails when the gate trips: {fail}"
    );
    // The gate script asks for both gates by default.
    let script = std::fs::read_to_string(repo().join("scripts/review-gate.sh")).unwrap();
    assert!(
        script.contains("gates+=(data-loss)") && script.contains("gates+=(replacement)"),
        "{script}"
    );
}

/// An engine downgrade: RDS refuses it, so the deploy would fail.
fn downgrade_engine(t: &mut Json) {
    let id = logical_id(t, "AWS::RDS::DBInstance");
    t["Resources"][&id]["Properties"]["EngineVersion"] = Json::String("16.9".into());
}

#[test]
fn no_label_lets_through_a_change_the_deploy_would_fail_on() {
    let dir = base_and_head("gate-downgrade", downgrade_engine);
    for (allow_replacement, allow_data_loss) in [(false, false), (true, false), (false, true), (true, true)] {
        let o = gate(&dir, allow_replacement, allow_data_loss);
        assert_eq!(
            o.status.code(),
            Some(1),
            "labels {allow_replacement}/{allow_data_loss}: {}",
            show(&o)
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("- Result: **failed** (exit code 1)"), "{out}");
        assert!(out.contains("1 change(s) the deploy would fail on"), "{out}");
        assert!(out.contains("no label lifts that"), "{out}");
    }
    let o = gate(&dir, false, true);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("- Gates: `--fail-on blocking`"),
        "{}",
        show(&o)
    );
    // Every gate but `none` trips on it, alone or together.
    for gates in ["blocking", "data-loss", "replacement", "security", "any", "data-loss,security"] {
        let o = cairn(
            &[
                "diff",
                "--base",
                dir.join("base").to_str().unwrap(),
                "--head",
                dir.join("head").to_str().unwrap(),
                "--fail-on",
                gates,
            ],
            &repo(),
        );
        assert_eq!(o.status.code(), Some(1), "--fail-on {gates}: {}", show(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("1 change(s) the deploy would fail on"),
            "{}",
            show(&o)
        );
    }
}
