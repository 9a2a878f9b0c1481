//! `cairn parity` with the fixture's binary: declared differences pass, an undeclared one
//! introduced through an environment file fails naming its paths, `--out` checks a
//! synthesis (and catches a hand-edited template), and bad input exits 2. The engine is
//! tested in `crates/parity` and on a tiny application in the root `tests/parity/`.

mod support;

use cairn_assembly::Manifest;
use serde_json::{json, Value as Json};
use support::{stderr, stdout, Sandbox, ENVIRONMENTS};

#[test]
fn declared_differences_pass_and_an_undeclared_field_fails_with_its_paths() {
    let sandbox = Sandbox::new("parity-undeclared");
    let o = sandbox.cairn(&["parity"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("queue.retention_days"), "{}", stdout(&o));

    // tags.Stage is a knob; a new tag key in staging only is not.
    sandbox.edit("staging", "[tags]\n", "[tags]\nTeam = \"payments\"\n");
    let o = sandbox.cairn(&["parity"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    // Every environment, in promotion order.
    assert!(
        stderr(&o).contains("undeclared differences between dev, staging, prod"),
        "{}",
        stderr(&o)
    );
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("Undeclared differences"))
        .nth(1)
        .unwrap_or_default();
    assert!(first.starts_with("  UNDECLARED  "), "{text}");
    // One line for the tag on every resource, naming some of them.
    assert!(
        text.contains("Tags[Team] of 3 resources (storage/Files/Resource, worker/Jobs/Resource, worker/Jobs/DeadLetters): caused by `tags.Team`, which is not declared as a knob"),
        "{text}"
    );
    // A tag map (AWS::SSM::Parameter's shape) is named by its own path.
    assert!(text.contains("worker/FilesBucketName Tags.Team: caused by `tags.Team`"), "{text}");
    // Declared ones are still listed, after.
    assert!(text.contains("queue.retention_days"), "{text}");
    // dev and prod alone still have parity.
    let o = sandbox.cairn(&["parity", "dev", "prod"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_property_set_by_a_key_that_is_not_a_knob_is_undeclared() {
    let sandbox = Sandbox::new("parity-not-a-knob");
    sandbox.edit("staging", "visibility_timeout = 30", "visibility_timeout = 60");
    let o = sandbox.cairn(&["parity", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let j: Json = serde_json::from_slice(&o.stdout).expect("JSON");
    let row = j["undeclared"]
        .as_array()
        .expect("undeclared")
        .iter()
        .find(|u| u["property"] == json!("Properties.VisibilityTimeout"))
        .unwrap_or_else(|| panic!("no VisibilityTimeout row: {j}"));
    assert_eq!(row["resource"], json!("worker/Jobs/Resource"));
    assert_eq!(row["undeclaredIn"], json!(["staging"]));
    assert_eq!(row["values"], json!({"dev": 30, "staging": 60, "prod": 30}));
}

#[test]
fn parity_out_checks_a_synthesis_and_catches_a_hand_edited_template() {
    let sandbox = Sandbox::new("parity-out");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // dev's record: what each knob drives compared with the reference, prod.
    let record = Manifest::read(&out.join("dev/manifest.json")).unwrap().parity.unwrap();
    assert_eq!(record.reference.as_deref(), Some("prod"));
    let field = &record.fields["queue.retention_days"];
    assert_eq!(field.value, Some(json!(3)));
    assert!(
        field.drives.iter().any(|d| d.property == "Properties.MessageRetentionPeriod"),
        "{:?}",
        field.drives
    );

    let o = sandbox.cairn(&["parity", "--out", out_s]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("queue.retention_days"), "{}", stdout(&o));

    // Edit prod's queue by hand.
    let template = out.join("prod/depot-prod-worker.template.json");
    let mut t: Json = serde_json::from_slice(&std::fs::read(&template).unwrap()).unwrap();
    let jobs = t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, r)| r["Metadata"]["cairn:path"] == json!("worker/Jobs/Resource"))
        .map(|(id, _)| id.clone())
        .unwrap();
    t["Resources"][&jobs]["Properties"]["VisibilityTimeout"] = json!(900);
    std::fs::write(&template, serde_json::to_string_pretty(&t).unwrap()).unwrap();

    let o = sandbox.cairn(&["parity", "--out", out_s, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let j: Json = serde_json::from_slice(&o.stdout).unwrap();
    let undeclared = j["undeclared"].as_array().unwrap();
    let edited = undeclared.iter().find(|u| u["kind"] == json!("note")).unwrap();
    assert!(
        edited["message"]
            .as_str()
            .unwrap()
            .contains("depot-prod-worker.template.json was changed after synthesis"),
        "{edited}"
    );
    let row = undeclared.iter().find(|u| u["kind"] == json!("template")).unwrap();
    assert_eq!(row["resource"], json!("worker/Jobs/Resource"));
    assert_eq!(row["property"], json!("Properties.VisibilityTimeout"));
    assert_eq!(row["values"]["prod"], json!(900));
    // Every environment but the reference, prod.
    assert_eq!(row["undeclaredIn"], json!(["dev", "staging"]));

    // A folder that holds no synthesis is bad input.
    let o = sandbox.cairn(&["parity", "--out", sandbox.envs().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn parity_out_requires_every_environment_with_a_file() {
    let sandbox = Sandbox::new("parity-out-missing");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // prod's synthesis deleted: not silently dropped (staging would become the reference).
    std::fs::remove_dir_all(out.join("prod")).unwrap();
    let o = sandbox.cairn(&["parity", "--out", out_s]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("lacks prod"), "{err}");
    assert!(err.contains(&out.join("prod").join("manifest.json").display().to_string()), "{err}");
    assert!(err.contains(&format!("cairn synth --all --out {out_s}")), "{err}");
    assert!(stdout(&o).is_empty(), "no report: {}", stdout(&o));

    // Named environments: only those must be there.
    let o = sandbox.cairn(&["parity", "--out", out_s, "dev", "staging"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = sandbox.cairn(&["parity", "--out", out_s, "dev", "prod"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("prod"), "{}", stderr(&o));
}

#[test]
fn parity_out_rejects_a_folder_with_templates_but_no_manifest() {
    let sandbox = Sandbox::new("parity-out-no-manifest");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(out.join("dev/manifest.json")).unwrap();
    for args in [vec!["parity", "--out", out_s], vec!["parity", "--out", out_s, "dev", "staging"]] {
        let o = sandbox.cairn(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&out.join("dev").display().to_string()) && err.contains("no manifest.json"),
            "{err}"
        );
        assert!(err.contains("synthesize again"), "{err}");
    }
}

#[test]
fn parity_needs_at_least_two_environments() {
    let sandbox = Sandbox::new("parity-single");
    let out = sandbox.out();
    let out_s = out.to_str().unwrap();
    let o = sandbox.cairn(&["synth", "--all", "--out", out_s, "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for args in [
        vec!["parity", "dev"],
        vec!["parity", "prod", "--format", "json"],
        vec!["parity", "dev", "dev"],
        vec!["parity", "--out", out_s, "dev"],
        vec!["parity", "--deployed", "dev"],
    ] {
        let o = sandbox.cairn(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", stdout(&o), stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("parity compares at least two environments"), "{args:?}: {err}");
        assert!(err.contains("cairn parity staging prod"), "{err}");
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
    // A project with one environment file: nothing to compare either.
    for name in &ENVIRONMENTS[1..] {
        std::fs::remove_file(sandbox.envs().join(format!("{name}.toml"))).unwrap();
    }
    let o = sandbox.cairn(&["parity"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("parity compares at least two environments"), "{}", stderr(&o));
}
