//! Changes CloudFormation refuses: replacing a resource under a fixed name, and
//! properties that cannot change on an existing resource.

use serde_json::{json, Value as Json};

use super::{all_formats, one_stack};
use crate::tests::{db, db_props, template, with};
use crate::*;

fn named_db(props: Json) -> Json {
    template(json!({"Db": db(with(props, "DBInstanceIdentifier", json!("shop-prod-data-database")))}))
}

#[test]
fn a_renamed_construct_keeping_its_fixed_name_fails_the_deploy() {
    // `Images` renamed to `Images2`: a new logical ID, the same repository name.
    let repository = |path: &str| {
        json!({"Type": "AWS::ECR::Repository", "Metadata": {"cairn:path": path},
               "Properties": {"RepositoryName": "shop-images"}})
    };
    let old = template(json!({"ImagesA1B2C3D4": repository("data/Images/Resource")}));
    let new = template(json!({"Images2E5F6A7B8": repository("data/Images2/Resource")}));
    let r = one_stack(&old, &new);
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].kind, w[0].blocking), (WarningKind::CustomNameReplaced, true));
    assert!(
        w[0].message.contains("Images2E5F6A7B8 replaces ImagesA1B2C3D4 (construct path data/Images/Resource → data/Images2/Resource) under the same RepositoryName `shop-images`"),
        "{}",
        w[0].message
    );
    assert!(w[0].fix.contains("keep_logical_ids"), "{}", w[0].fix);
    assert!(r.fails(FailOn::Blocking));

    // A new name for the new one: nothing clashes.
    let mut renamed = new.clone();
    renamed["Resources"]["Images2E5F6A7B8"]["Properties"]["RepositoryName"] = json!("shop-images-2");
    assert!(one_stack(&old, &renamed).stacks[0].diff.warnings.is_empty());
}

#[test]
fn replacing_a_resource_with_a_fixed_name_fails_the_deploy() {
    let old = named_db(with(db_props(), "DBName", json!("shop")));
    let new = named_db(with(db_props(), "DBName", json!("orders")));
    let r = one_stack(&old, &new);
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].kind, w[0].blocking), (WarningKind::CustomNameReplaced, true));
    assert!(
        w[0].message.contains(
            "Db requires replacement, but its DBInstanceIdentifier `shop-prod-data-database` is fixed: CloudFormation cannot replace a custom-named resource"
        ),
        "{}",
        w[0].message
    );
    assert!(w[0].fix.contains("change DBInstanceIdentifier in the same deploy"), "{}", w[0].fix);
    assert!(r.fails(FailOn::Blocking));
    let (text, _, json) = all_formats(&r);
    assert!(text.contains("DEPLOY WOULD FAIL"), "{text}");
    assert_eq!(json["warnings"][0]["kind"], json!("custom-name-replaced"));

    // May replace (a conditionally create-only property): said loudly, not blocking.
    let r = one_stack(&named_db(db_props()), &named_db(with(db_props(), "MultiAZ", json!(true))));
    let w = &r.stacks[0].diff.warnings;
    assert_eq!((w.len(), w[0].kind, w[0].blocking), (1, WarningKind::CustomNameReplaced, false));
    assert!(w[0].message.contains("may require replacement"), "{}", w[0].message);

    // A new name in the same change: nothing clashes.
    let mut renamed = new.clone();
    renamed["Resources"]["Db"]["Properties"]["DBInstanceIdentifier"] = json!("shop-prod-data-orders");
    assert!(one_stack(&old, &renamed).stacks[0].diff.warnings.is_empty());
    // No name set: CloudFormation generates a new one.
    let unnamed = |name: &str| template(json!({"Db": db(with(db_props(), "DBName", json!(name)))}));
    assert!(one_stack(&unnamed("shop"), &unnamed("orders")).stacks[0].diff.warnings.is_empty());
}

#[test]
fn changing_a_kms_keys_key_spec_fails_the_update() {
    let key = |spec: &str, multi: bool| {
        template(
            json!({"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT", "MultiRegion": multi, "Description": "k"}}}),
        )
    };
    for (old, new, what) in [
        (key("SYMMETRIC_DEFAULT", false), key("RSA_2048", false), "KeySpec"),
        (key("SYMMETRIC_DEFAULT", false), key("SYMMETRIC_DEFAULT", true), "MultiRegion"),
    ] {
        let r = one_stack(&old, &new);
        let w = &r.stacks[0].diff.warnings;
        assert_eq!(w.len(), 1, "{what}: {w:#?}");
        assert_eq!((w[0].kind, w[0].blocking), (WarningKind::UpdateFails, true));
        assert!(
            w[0].message.starts_with(&format!(
                "{what} of an existing AWS::KMS::Key cannot change: CloudFormation fails the update"
            )),
            "{}",
            w[0].message
        );
        assert!(r.fails(FailOn::Blocking));
        let (text, _, json) = all_formats(&r);
        assert!(text.contains("DEPLOY WOULD FAIL"), "{text}");
        assert_eq!(json["warnings"][0]["kind"], json!("update-fails"));
    }
    // Its description updates in place.
    let mut described = key("SYMMETRIC_DEFAULT", false);
    described["Resources"]["Key"]["Properties"]["Description"] = json!("other");
    assert!(one_stack(&key("SYMMETRIC_DEFAULT", false), &described).stacks[0]
        .diff
        .warnings
        .is_empty());
}
