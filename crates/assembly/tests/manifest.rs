//! The manifest: built from a synthesized environment, written, read back; old
//! manifests still read; broken ones name the file, the key and the fix.

use std::path::{Path, PathBuf};

use cairn_assembly::{write_environments, ChecksSection, Manifest, ParityRecord, MANIFEST_FILE};
use cairn_core::Suppression;
use cairn_core::{EnvArtifact, EnvSettings, StackArtifact};
use serde_json::{json, Value as Json};

/// A temporary folder, removed when dropped (also when the test fails).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cairn-assembly-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stack(name: &str, template: Json) -> StackArtifact {
    StackArtifact {
        id: name.rsplit('-').next().unwrap_or(name).to_string(),
        name: name.to_string(),
        body: serde_json::to_string_pretty(&template).expect("template text") + "\n",
        template,
        depends_on: Vec::new(),
        paths: [("Jobs".to_string(), "data/Jobs/Resource".to_string())].into_iter().collect(),
        suppressions: vec![Suppression {
            rule: "SQS-ENCRYPTION".into(),
            reason: "reviewed".into(),
            path: "Jobs".into(),
        }],
    }
}

fn env() -> EnvArtifact {
    let alarm = json!({"Type": "AWS::CloudWatch::Alarm",
        "Metadata": {"cairn:alarm-severity": "critical", "cairn:path": "data/Jobs/Alarm"},
        "Properties": {"AlarmName": {"Fn::Sub": "${AWS::StackName}-jobs"}}});
    let small = json!({"Resources": {"Jobs": {"Type": "AWS::SQS::Queue"}, "Alarm": alarm}});
    // Over CloudFormation's 51,200-byte inline limit even as compact JSON.
    let large = json!({"Resources": {"Big": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": "x".repeat(60_000)}}}});
    let mut service = stack("app-prod-service", large);
    service.depends_on = vec!["app-prod-data".into()];
    EnvArtifact {
        app: "app".into(),
        settings: EnvSettings {
            name: "prod".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            retain_data: true,
            require_approval: false,
            tags: Default::default(),
        },
        stacks: vec![stack("app-prod-data", small), service],
    }
}

fn keys(v: &Json) -> Vec<&str> {
    v.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
}

#[test]
fn the_manifest_keeps_its_key_order_and_reads_back_equal() {
    let env = env();
    let checks = ChecksSection {
        errors: 0,
        warnings: 0,
        suppressed: 0,
        rules_checked: 3,
        resources_checked: 3,
        findings: Vec::new(),
        suppressions: Vec::new(),
    };
    let parity = ParityRecord {
        version: 1,
        reference: None,
        promotion_order: 30,
        fields: Default::default(),
        templates: Default::default(),
    };
    let manifest = Manifest::from_artifact(&env).with_parity(parity).with_checks(checks);
    let text = manifest.to_text().expect("serializes");
    assert!(text.ends_with("}\n"));
    let json: Json = serde_json::from_str(&text).expect("JSON");
    // The layout every manifest.json has had: changing it changes every file written.
    assert_eq!(
        keys(&json),
        [
            "version",
            "app",
            "environment",
            "account",
            "region",
            "retainData",
            "requireApproval",
            "deployOrder",
            "stacks",
            "criticalAlarms",
            "parity",
            "checks"
        ]
    );
    assert_eq!(
        keys(&json["stacks"][0]),
        [
            "id",
            "name",
            "template",
            "dependsOn",
            "resourceCount",
            "outputCount",
            "templateBytes",
            "deployBytes",
            "needsUpload",
            "terminationProtection",
            "constructPaths",
            "suppressions"
        ]
    );
    assert_eq!(json["parity"]["reference"], Json::Null);
    assert_eq!(json["stacks"][0]["suppressions"][0]["path"], "data/Jobs");
    assert_eq!(json["stacks"][0]["needsUpload"], false);
    assert_eq!(json["stacks"][1]["needsUpload"], true);
    assert_eq!(json["stacks"][1]["dependsOn"], json!(["app-prod-data"]));
    assert_eq!(json["deployOrder"], json!(["app-prod-data", "app-prod-service"]));
    assert_eq!(json["criticalAlarms"][0]["alarmName"], "app-prod-data-jobs");

    let out = Scratch::new("roundtrip");
    write_environments(&out.0, &[(&env, manifest.clone())]).expect("written");
    let file = out.0.join("prod").join(MANIFEST_FILE);
    assert_eq!(std::fs::read_to_string(&file).expect("manifest"), text);
    assert_eq!(Manifest::read(&file).expect("reads"), manifest);
    let read = cairn_assembly::read_synthesis(&out.0).expect("reads the output");
    assert_eq!(read[0].stack("service").map(|s| s.name.as_str()), Some("app-prod-service"));

    // Without the optional sections (`synth --no-checks`), their keys are absent.
    let bare = serde_json::to_value(Manifest::from_artifact(&env)).expect("JSON");
    assert!(bare.get("parity").is_none() && bare.get("checks").is_none(), "{bare}");
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join(MANIFEST_FILE);
    std::fs::write(&file, text).expect("manifest");
    file
}

#[test]
fn an_older_manifest_reads_with_its_missing_sections_absent() {
    let dir = Scratch::new("old");
    let file = write(
        &dir.0,
        r#"{"version": 1, "app": "shop", "environment": "dev", "account": "1", "region": "us-east-1",
            "stacks": [{"id": "data", "name": "shop-dev-data", "template": "shop-dev-data.template.json", "resourceCount": 4}]}"#,
    );
    let manifest = Manifest::read(&file).expect("reads");
    assert!(manifest.parity.is_none() && manifest.checks.is_none());
    assert!(manifest.critical_alarms.is_empty() && manifest.deploy_order.is_empty());
    assert_eq!(manifest.stacks[0].resource_count, 4);
    assert!(!manifest.stacks[0].needs_upload);
}

#[test]
fn a_broken_manifest_names_the_file_the_key_and_the_fix() {
    let dir = Scratch::new("broken");
    let cases = [
        (
            r#"{"version": 2, "environment": "dev", "stacks": []}"#,
            "manifest version 2 is newer",
            None,
        ),
        (r#"{"environment": "dev", "stacks": []}"#, "no numeric \"version\"", None),
        (r#"{"version": 1, "stacks": []}"#, "no \"environment\" name", None),
        (r#"{"version": 1, "environment": "dev"}"#, "no \"stacks\" list", None),
        (
            r#"{"version": 1, "environment": "dev", "stacks": [{"id": "x", "name": "x"}]}"#,
            "stacks[0] has no \"template\" string",
            None,
        ),
        (
            r#"{"version": 1, "environment": "dev", "stacks": [{"id": "x", "name": "x", "template": ""}]}"#,
            "is not a file name in this folder",
            None,
        ),
        (
            r#"{"version": 1, "environment": "dev", "stacks": [], "retainData": "yes"}"#,
            "wrong shape",
            Some("retainData"),
        ),
        (
            r#"{"version": 1, "environment": "dev", "stacks": [], "parity": {"fields": {"a": {"mustMatch": "prod"}}}}"#,
            "wrong shape",
            Some("parity.fields.a.mustMatch"),
        ),
        (r#"{"version": 1, "environment": "dev", "#, "is truncated", None),
    ];
    for (text, message, property) in cases {
        let file = write(&dir.0, text);
        let e = Manifest::read(&file).expect_err(text);
        assert!(e.message.contains(message), "{text}: {e}");
        assert_eq!(e.path, file, "{e}");
        assert_eq!(e.property.as_deref(), property, "{e}");
        assert!(!e.fix.is_empty() && e.to_string().contains("\n  fix: "), "{e}");
    }
    let e = Manifest::read(&dir.0.join("missing").join(MANIFEST_FILE)).expect_err("missing");
    assert!(e.message.starts_with("cannot read"), "{e}");
}
