//! `parity --out` reading manifests: an older manifest without a parity record, or
//! a broken one, is an error naming the manifest and the fix.

use std::path::PathBuf;

use cairn_parity::record::read_out_dir;
use cairn_parity::ParityError;

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn out_with(name: &str, manifest: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("cairn-parity-record-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for env in ["dev", "prod"] {
        std::fs::create_dir_all(dir.join(env)).expect("env dir");
        std::fs::write(dir.join(env).join("manifest.json"), manifest.replace("ENV", env)).expect("manifest");
        std::fs::write(dir.join(env).join(format!("app-{env}-data.template.json")), r#"{"Resources": {}}"#).expect("template");
    }
    Scratch(dir)
}

#[test]
fn a_manifest_without_a_parity_record_says_to_synthesize_again() {
    let out = out_with(
        "old",
        r#"{"version": 1, "app": "app", "environment": "ENV", "account": "1", "region": "us-east-1",
            "stacks": [{"id": "data", "name": "app-ENV-data", "template": "app-ENV-data.template.json"}]}"#,
    );
    let e = read_out_dir(&out.0, &[]).expect_err("no record");
    assert!(matches!(e, ParityError::NoRecord { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no `parity` record (written by an older cairn?); synthesize again: cairn synth dev --out {}",
            out.0.join("dev").join("manifest.json").display(),
            out.0.display()
        )
    );
}

#[test]
fn a_manifest_without_stacks_names_the_file_and_the_fix() {
    let out = out_with("nostacks", r#"{"version": 1, "environment": "ENV", "parity": {}}"#);
    let e = read_out_dir(&out.0, &[]).expect_err("no stacks");
    let ParityError::Manifest(inner) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(inner.path, out.0.join("dev").join("manifest.json"));
    assert!(e.to_string().contains("no \"stacks\" list\n  fix: "), "{e}");
}

#[test]
fn a_recorded_manifest_reads_with_its_knobs() {
    let out = out_with(
        "ok",
        r#"{"version": 1, "app": "app", "environment": "ENV", "account": "1", "region": "us-east-1",
            "stacks": [{"id": "data", "name": "app-ENV-data", "template": "app-ENV-data.template.json"}],
            "parity": {"version": 1, "reference": "prod", "promotionOrder": 0,
                "fields": {"retention": {"value": 3, "mustMatch": ["prod"],
                    "drives": [{"stack": "data", "section": "Resources", "id": "Q", "property": "Properties.X"}]}},
                "templates": {}}}"#,
    );
    let (app, inputs, knobs) = read_out_dir(&out.0, &[]).expect("reads");
    assert_eq!(app, "app");
    assert_eq!(knobs.len(), 1);
    assert_eq!(knobs[0].must_match, ["prod"]);
    assert_eq!(inputs[0].knob_values["retention"], Some(serde_json::json!(3)));
    assert_eq!(inputs[0].drives["retention"].len(), 1);
    // The digests are empty: every template is said to be changed after synthesis.
    assert!(inputs[0].notes.iter().any(|n| n.message.contains("changed after synthesis")));
}

#[test]
fn template_digests_are_sha256_and_older_md5_records_still_verify() {
    let body = r#"{"Resources": {}}"#;
    let sha256 = cairn_assembly::sha256_hex(body.as_bytes());
    // MD5 of the same bytes, as records written before the digests were shared held it.
    let md5 = "e5f7d6c0c9f9d0bd7a5a6bfcd6a4f0b5";
    for (name, digest, changed) in [
        ("sha", sha256.as_str(), false),
        ("md5bad", md5, true),
        ("other", "0".repeat(64).as_str(), true),
    ] {
        let out = out_with(
            name,
            &r#"{"version": 1, "app": "app", "environment": "ENV", "account": "1", "region": "us-east-1",
                "stacks": [{"id": "data", "name": "app-ENV-data", "template": "app-ENV-data.template.json"}],
                "parity": {"version": 1, "reference": "prod", "promotionOrder": 0, "fields": {},
                    "templates": {"app-ENV-data.template.json": "DIGEST"}}}"#
                .replace("DIGEST", digest),
        );
        let (_, inputs, _) = read_out_dir(&out.0, &[]).expect("reads");
        let said = inputs[0].notes.iter().any(|n| n.message.contains("changed after synthesis"));
        assert_eq!(said, changed, "{name}: {:?}", inputs[0].notes);
    }
    // The real MD5 of the bytes is accepted.
    use md5::Digest;
    let real: String = md5::Md5::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let out = out_with(
        "md5",
        &r#"{"version": 1, "app": "app", "environment": "ENV", "account": "1", "region": "us-east-1",
            "stacks": [{"id": "data", "name": "app-ENV-data", "template": "app-ENV-data.template.json"}],
            "parity": {"version": 1, "reference": "prod", "promotionOrder": 0, "fields": {},
                "templates": {"app-ENV-data.template.json": "DIGEST"}}}"#
            .replace("DIGEST", &real),
    );
    let (_, inputs, _) = read_out_dir(&out.0, &[]).expect("reads");
    assert!(inputs[0].notes.is_empty(), "{:?}", inputs[0].notes);
}
