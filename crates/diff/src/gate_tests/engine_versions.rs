//! RDS engine version changes: a downgrade is refused, a major upgrade needs `AllowMajorVersionUpgrade`.

use serde_json::{json, Value as Json};

use super::{all_formats, one_stack};
use crate::tests::{db, db_props, template, with};
use crate::*;

fn engine(version: &str, allow_major: Option<bool>) -> Json {
    let mut props = with(db_props(), "EngineVersion", json!(version));
    if let Some(a) = allow_major {
        props = with(props, "AllowMajorVersionUpgrade", json!(a));
    }
    template(json!({"Db": db(props)}))
}

#[test]
fn an_engine_downgrade_is_refused_loudly_in_every_format() {
    let r = one_stack(&engine("17.5", Some(true)), &engine("16.9", Some(true)));
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].kind, w[0].blocking), (WarningKind::EngineDowngrade, true));
    assert!(r.fails(FailOn::Replacement), "a deploy that must fail trips the gate");
    // Every gate but `none`: an override that drops one gate must not let it through.
    for gate in [FailOn::Blocking, FailOn::DataLoss, FailOn::Security, FailOn::Any] {
        assert!(r.fails(gate), "{gate:?}");
    }
    assert!(!r.fails(FailOn::None));
    let (text, markdown, json) = all_formats(&r);
    assert!(
        text.contains("DEPLOY WOULD FAIL: 1 change that CloudFormation or the service refuses"),
        "{text}"
    );
    assert!(
        text.contains("EngineVersion 17.5 → 16.9 is a downgrade: RDS cannot downgrade"),
        "{text}"
    );
    assert!(text.contains("1 warning (1 would fail the deploy)"), "{text}");
    assert!(
        markdown.contains("> [!CAUTION]") && markdown.contains("is a downgrade"),
        "{markdown}"
    );
    assert!(
        text.contains("    [~] EngineVersion: \"17.5\" → \"16.9\"\n    ! EngineVersion 17.5 → 16.9 is a downgrade"),
        "at the resource too: {text}"
    );
    assert!(
        markdown.contains("        # DEPLOY WOULD FAIL: EngineVersion 17.5 → 16.9 is a downgrade"),
        "{markdown}"
    );
    assert_eq!(json["warnings"][0]["kind"], json!("engine-downgrade"));
    assert_eq!(json["warnings"][0]["blocking"], json!(true));
    assert_eq!(json["warnings"][0]["constructPath"], json!("data/Database/Resource"));
    assert_eq!(
        (json["summary"]["warnings"].clone(), json["summary"]["blocking"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn a_major_engine_upgrade_is_flagged_and_blocks_without_allow_major_version_upgrade() {
    let r = one_stack(&engine("17.5", Some(true)), &engine("18.1", Some(true)));
    let w = &r.stacks[0].diff.warnings;
    assert_eq!((w.len(), w[0].kind, w[0].blocking), (1, WarningKind::EngineMajorUpgrade, false));
    assert!(!r.fails(FailOn::Replacement), "an in-place upgrade CloudFormation performs");
    let (text, _, _) = all_formats(&r);
    assert!(text.contains("Changes that need a decision"), "{text}");
    assert!(text.contains("EngineVersion 17.5 → 18.1 is a major version upgrade"), "{text}");

    let r = one_stack(&engine("17.5", None), &engine("18.1", None));
    let w = &r.stacks[0].diff.warnings;
    assert!(
        w[0].blocking,
        "CloudFormation fails a major upgrade without AllowMajorVersionUpgrade"
    );
    assert!(w[0].message.contains("without AllowMajorVersionUpgrade: true"), "{}", w[0].message);
    assert!(r.fails(FailOn::Replacement));

    // A minor upgrade is routine; 9.6 → 10 is major, 17.9 → 17.10 is not a downgrade;
    // a major version alone means its default minor.
    for (old, new, kind) in [
        ("17.4", "17.5", None),
        ("9.6.24", "10.21", Some(WarningKind::EngineMajorUpgrade)),
        ("17.9", "17.10", None),
        ("17", "18", Some(WarningKind::EngineMajorUpgrade)),
        ("17.5", "17", None),
        ("17", "16.9", Some(WarningKind::EngineDowngrade)),
        ("17.5", "17.4", Some(WarningKind::EngineDowngrade)),
    ] {
        let r = one_stack(&engine(old, None), &engine(new, None));
        assert_eq!(r.stacks[0].diff.warnings.first().map(|w| w.kind), kind, "{old} → {new}");
    }
}
