//! Parity on a tiny application: declared and undeclared differences, the synth record.

use super::*;

#[test]
fn declared_differences_are_attributed_to_their_knob() {
    let app = tiny("declared", &BASELINE, false);
    let report = check(&app);
    assert!(report.ok(), "{}", render::text(&report, false));
    assert_eq!(report.envs, ["dev", "staging", "prod"]);
    assert_eq!(report.reference, "prod");
    let retention = row(&report, "data/Jobs", "MessageRetentionPeriod");
    assert_eq!(retention.status, Status::Declared(vec!["retention_days".into()]));
    assert_eq!(
        retention.values,
        [Some(json!(259_200)), Some(json!(604_800)), Some(json!(1_209_600))]
    );
    // dev may differ in the engine version; only staging and prod must match.
    assert_eq!(
        row(&report, "data/Db", "EngineVersion").status,
        Status::Declared(vec!["engine_version".into()])
    );
    // Names with the environment in them (stack names, export names) are not differences.
    assert_eq!(
        report.stacks.iter().flat_map(|s| &s.rows).count(),
        2,
        "{}",
        render::text(&report, false)
    );
    let fields: Vec<&str> = report.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["retention_days", "engine_version"]);
}

#[test]
fn identical_environment_files_have_no_differences() {
    let specs: Vec<EnvSpec> = BASELINE.iter().map(|(n, o, ..)| (*n, *o, 7, 30, "16.4")).collect();
    let app = tiny("identical", &specs, false);
    let report = check(&app);
    assert!(report.ok());
    assert!(report.stacks.is_empty(), "{}", render::text(&report, false));
    assert!(report.fields.is_empty());
}

#[test]
fn a_resource_only_in_prod_is_undeclared() {
    let app = tiny("prod-only", &BASELINE, true);
    let report = check(&app);
    assert!(!report.ok());
    let audit = row(&report, "data/Audit", "(resource)");
    assert_eq!(audit.values, [None, None, Some(json!("AWS::SQS::Queue"))]);
    match &audit.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["dev", "staging"]);
            assert!(reasons[0].contains("not driven by the environment file"), "{reasons:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(report.undeclared_count(), 1);
    // Listed first: the undeclared section precedes the declared fields and the stacks.
    let text = render::text(&report, false);
    let undeclared_at = text.find("Undeclared differences").unwrap();
    assert!(undeclared_at < text.find("Declared fields").unwrap(), "{text}");
    assert!(text.contains("UNDECLARED  data/Audit (resource)"), "{text}");
    let data_table = &text[text.find("Stack data").unwrap()..];
    assert!(
        data_table.find("data/Audit").unwrap() < data_table.find("data/Jobs").unwrap(),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("parity: 1 undeclared difference (listed first), 2 declared"),
        "{text}"
    );
    let j = render::json(&report);
    assert_eq!(j["ok"], json!(false));
    assert_eq!(j["undeclared"][0]["resource"], json!("data/Audit"));
    assert_eq!(j["undeclared"][0]["undeclaredIn"], json!(["dev", "staging"]));
    assert_eq!(j["undeclared"][0]["present"], json!({"dev": false, "staging": false, "prod": true}));
}

#[test]
fn a_property_that_differs_without_a_knob_is_undeclared_and_names_the_field() {
    let mut specs = BASELINE;
    specs[1].3 = 60; // staging's visibility_timeout
    let app = tiny("no-knob", &specs, false);
    let report = check(&app);
    assert!(!report.ok());
    let r = row(&report, "data/Jobs", "VisibilityTimeout");
    assert_eq!(r.values, [Some(json!(30)), Some(json!(60)), Some(json!(30))]);
    match &r.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["staging"]);
            assert!(
                reasons[0].contains("`visibility_timeout`, which is not declared as a knob"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The knob-driven property next to it is still declared.
    assert!(!row(&report, "data/Jobs", "MessageRetentionPeriod").status.is_undeclared());
    let md = render::markdown(&report);
    assert!(
        md.contains("| `data/Jobs` | `VisibilityTimeout` | `30` | `60` | `30` | **UNDECLARED** |"),
        "{md}"
    );
}

#[test]
fn a_must_match_field_set_differently_is_undeclared() {
    let mut specs = BASELINE;
    specs[1].4 = "16.3"; // staging's engine_version, prod has 16.4
    let app = tiny("must-match", &specs, false);
    let report = check(&app);
    assert!(!report.ok());
    assert_eq!(report.violations.len(), 1);
    let v = &report.violations[0];
    assert_eq!(v.field, "engine_version");
    assert_eq!(v.values, [Some(json!("16.1")), Some(json!("16.3")), Some(json!("16.4"))]);
    let r = row(&report, "data/Db", "EngineVersion");
    match &r.status {
        Status::Undeclared { envs, reasons } => {
            assert_eq!(envs, &["staging"]);
            assert!(
                reasons[0].contains("`engine_version`, which must be equal in staging, prod"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let text = render::text(&report, false);
    assert!(
        text.contains("environment files: `engine_version` must be equal in staging, prod, but dev=16.1, staging=16.3, prod=16.4"),
        "{text}"
    );
    assert_eq!(report.undeclared_count(), 2);
}

#[test]
fn the_synth_record_lets_parity_check_an_out_folder() {
    let app = tiny("record", &BASELINE, true);
    set_image(&app, "dev", "app:2");
    let envs = application::load_all(&app).unwrap();
    let assembly = application::synthesize(&app, &envs.iter().map(|e| (e.name.as_str(), &e.config)).collect::<Vec<_>>()).unwrap();
    let synthesized: Vec<_> = envs.iter().zip(&assembly.environments).collect();
    let records = parity::record::records(&app, &synthesized, &envs);
    let out = app.dir.join("out");
    let manifests: Vec<_> = assembly
        .environments
        .iter()
        .zip(records)
        .map(|(a, r)| (a, Manifest::from_artifact(a).with_parity(r)))
        .collect();
    cairn_assembly::write_environments(&out, &manifests).unwrap();
    let recorded = Manifest::read(&out.join("dev/manifest.json")).unwrap().parity.unwrap();
    let field = &recorded.fields["retention_days"];
    assert_eq!(field.value, Some(json!(3)));
    let drives = &field.drives;
    assert_eq!(drives.len(), 1, "{drives:?}");
    assert_eq!(drives[0].stack, "data");
    assert_eq!(drives[0].section, "Resources");
    assert_eq!(drives[0].property, "Properties.MessageRetentionPeriod");
    assert_eq!(recorded.fields["engine_version"].must_match, ["staging", "prod"]);
    let (name, inputs, knobs) = parity::record::read_out_dir(&out, &[]).unwrap();
    assert_eq!(name, "tiny");
    let report = parity::compare(&name, Source::OutDir(out.display().to_string()), &inputs, &knobs);
    assert_eq!(report.envs, ["dev", "staging", "prod"]);
    assert_eq!(
        row(&report, "data/Jobs", "MessageRetentionPeriod").status,
        Status::Declared(vec!["retention_days".into()])
    );
    assert!(row(&report, "data/Audit", "(resource)").status.is_undeclared());
    assert_eq!(report.undeclared_count(), 1);
    // An artifact version stays one when read back from the record.
    assert!(recorded.fields["image"].artifact);
    assert!(!recorded.fields["retention_days"].artifact);
    assert_eq!(
        row(&report, "data/Release", "Value").status,
        Status::Promotion(vec!["image".into()])
    );
    assert_eq!(report.promotion.len(), 1);
}

/// Appends `image = "<image>"` to `<env>.toml` of a tiny application.
fn set_image(app: &Tiny, env: &str, image: &str) {
    let file = app.dir.join(format!("{env}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}image = \"{image}\"\n")).unwrap();
}

#[test]
fn an_artifact_version_being_promoted_is_promotion_skew_not_a_difference() {
    let app = tiny("artifact", &BASELINE, false);
    set_image(&app, "dev", "app:3");
    set_image(&app, "staging", "app:2");
    set_image(&app, "prod", "app:1");
    let report = check(&app);
    let text = render::text(&report, false);
    assert!(report.ok(), "{text}");
    assert_eq!(
        row(&report, "data/Release", "Value").status,
        Status::Promotion(vec!["image".into()])
    );
    // Apart from the declared fields, and not counted as a declared difference.
    assert_eq!(report.promotion.len(), 1, "{text}");
    assert_eq!(report.promotion[0].field, "image");
    assert_eq!(report.promotion[0].differences, 1);
    assert!(report.fields.iter().all(|f| f.field != "image"), "{text}");
    assert_eq!((report.declared_count(), report.promotion_count()), (2, 1), "{text}");
    assert!(
        text.contains("Promotion skew (artifact versions on their way through the environments; not a difference)\n  image: prod runs app:1; staging runs app:2; dev runs app:3\n"),
        "{text}"
    );
    assert!(text.contains("data/Release"), "{text}");
    assert!(text.contains("promotion: image"), "{text}");
    assert!(
        text.contains("parity: OK") && text.contains("promotion skew (not a difference): image"),
        "{text}"
    );

    let j = render::json(&report);
    assert_eq!(j["ok"], json!(true), "{j}");
    assert_eq!(
        j["promotionSkew"],
        json!([{
            "field": "image",
            "values": {"dev": "app:3", "staging": "app:2", "prod": "app:1"},
            "differences": 1,
            "summary": "prod runs app:1; staging runs app:2; dev runs app:3",
        }])
    );
    let data = j["stacks"].as_array().unwrap().iter().find(|s| s["id"] == "data").unwrap();
    let release = data["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "Release")
        .unwrap_or_else(|| panic!("{j}"));
    assert_eq!((&release["status"], &release["fields"]), (&json!("promotion"), &json!(["image"])));
    assert!(render::markdown(&report).contains("### Promotion skew"));

    // Environments sharing a version are named together.
    let app = tiny("artifact-shared", &BASELINE, false);
    set_image(&app, "dev", "app:2");
    set_image(&app, "staging", "app:1");
    set_image(&app, "prod", "app:1");
    let report = check(&app);
    assert!(
        render::text(&report, false).contains("  image: prod and staging run app:1; dev runs app:2\n"),
        "{}",
        render::text(&report, false)
    );
}

#[test]
fn an_image_not_declared_as_an_artifact_version_is_an_undeclared_difference() {
    let mut app = tiny("no-artifact", &BASELINE, false);
    app.image_is_artifact = false;
    set_image(&app, "dev", "app:2");
    let report = check(&app);
    assert!(!report.ok(), "{}", render::text(&report, false));
    assert!(report.promotion.is_empty());
    assert!(row(&report, "data/Release", "Value").status.is_undeclared());
}

#[test]
fn the_gate_sees_which_artifact_versions_differ_between_two_environments() {
    let app = tiny("artifact-gate", &BASELINE, false);
    set_image(&app, "staging", "app:2");
    set_image(&app, "prod", "app:1");
    let envs = application::load_all(&app).unwrap();
    let (staging, prod) = (&envs[1], &envs[2]);
    assert_eq!((staging.name.as_str(), prod.name.as_str()), ("staging", "prod"));
    let skew = parity::artifact_skew(&app.knobs(), staging, prod);
    assert_eq!(
        skew,
        vec![parity::ArtifactSkew {
            field: "image".into(),
            from: Some(json!("app:2")),
            to: Some(json!("app:1")),
        }]
    );
    // retention_days and engine_version differ too, but are no artifact versions.
    assert!(parity::artifact_skew(&app.knobs(), &envs[0], &envs[0]).is_empty());
    // A file that leaves the key unset differs from one that sets it (the gate decides).
    let dev = &envs[0];
    assert_eq!(parity::artifact_skew(&app.knobs(), dev, prod)[0].from, None);
}
