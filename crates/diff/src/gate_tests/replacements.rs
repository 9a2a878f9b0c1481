//! Create-only properties, from the schemas and from AWS's documentation, require replacement.

use serde_json::{json, Value as Json};

use super::{all_formats, one_stack};
use crate::tests::{db, db_props, only, table, template, with};
use crate::*;

#[test]
fn documented_replacements_require_replacement() {
    // DynamoDB partition key: the registry schema says conditional, the documentation says Replacement.
    let key = |name: &str| json!([{"AttributeName": name, "KeyType": "HASH"}]);
    let attr = |name: &str, t: &str| json!([{"AttributeName": name, "AttributeType": t}]);
    let old = template(json!({"Orders": table(json!({"KeySchema": key("id"), "AttributeDefinitions": attr("id", "S")}))}));
    let new = template(json!({"Orders": table(json!({"KeySchema": key("orderId"), "AttributeDefinitions": attr("orderId", "S")}))}));
    let d = compare(&old, &new);
    let r = only(&d);
    assert_eq!(r.replacement, Replacement::Always);
    assert!(r.property_changes.iter().all(|c| c.replacement == Replacement::Always), "{r:#?}");
    assert_eq!(d.summary().replace, 1);
    let (text, _, _) = all_formats(&one_stack(&old, &new));
    assert!(
        text.contains("KeySchema[0].AttributeName: \"id\" → \"orderId\"  (requires replacement)"),
        "{text}"
    );

    // The type of a key attribute is part of the key; the type of an index-only attribute is not.
    let attrs = |key_type: &str, gsi_type: &str| json!([{"AttributeName": "id", "AttributeType": key_type}, {"AttributeName": "byDate", "AttributeType": gsi_type}]);
    let with_attrs = |a: Json| template(json!({"Orders": table(json!({"KeySchema": key("id"), "AttributeDefinitions": a}))}));
    let d = compare(&with_attrs(attrs("S", "S")), &with_attrs(attrs("N", "S")));
    assert_eq!(only(&d).replacement, Replacement::Always);
    let d = compare(&with_attrs(attrs("S", "S")), &with_attrs(attrs("S", "N")));
    assert_eq!(only(&d).replacement, Replacement::None);

    // Create-only in the schema already.
    let queue = |fifo: bool| json!({"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": fifo}});
    let d = compare(&template(json!({"Q": queue(false)})), &template(json!({"Q": queue(true)})));
    assert_eq!(only(&d).replacement, Replacement::Always);
    let bucket = |name: &str| json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}});
    let d = compare(&template(json!({"B": bucket("a")})), &template(json!({"B": bucket("b")})));
    assert_eq!(only(&d).replacement, Replacement::Always);
    let d = compare(
        &template(json!({"Db": db(with(db_props(), "DBInstanceIdentifier", json!("a")))})),
        &template(json!({"Db": db(with(db_props(), "DBInstanceIdentifier", json!("b")))})),
    );
    assert_eq!(only(&d).replacement, Replacement::Always);
}

#[test]
fn a_create_only_change_of_a_type_beyond_the_old_hand_kept_list_is_a_replacement() {
    // Neither type was in the 44-type list the facts came from before.
    let repo = |name: &str, scan: bool| json!({"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": name, "ImageScanningConfiguration": {"ScanOnPush": scan}}});
    let d = compare(
        &template(json!({"Repo": repo("shop", false)})),
        &template(json!({"Repo": repo("shop-web", false)})),
    );
    assert_eq!(only(&d).replacement, Replacement::Always);
    let d = compare(
        &template(json!({"Repo": repo("shop", false)})),
        &template(json!({"Repo": repo("shop", true)})),
    );
    assert_eq!(only(&d).replacement, Replacement::None, "an updatable property updates in place");

    let function = |name: &str, package: &str| json!({"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": name, "PackageType": package, "Role": "arn:aws:iam::123456789012:role/r"}});
    let r = one_stack(
        &template(json!({"Fn": function("resize", "Zip")})),
        &template(json!({"Fn": function("resize-images", "Zip")})),
    );
    let change = only(&r.stacks[0].diff);
    assert_eq!(change.replacement, Replacement::Always);
    let (text, _, _) = all_formats(&r);
    assert!(
        text.contains("FunctionName: \"resize\" → \"resize-images\"  (requires replacement)"),
        "{text}"
    );
    // Its name comes from the schemas too: replacing it under the same name fails the deploy.
    let r = one_stack(
        &template(json!({"Fn": function("resize", "Zip")})),
        &template(json!({"Fn": function("resize", "Image")})),
    );
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(
        w.iter().map(|w| (w.kind, w.blocking)).collect::<Vec<_>>(),
        [(WarningKind::CustomNameReplaced, true)]
    );
    assert!(w[0].message.contains("its FunctionName `resize` is fixed"), "{}", w[0].message);
}
