//! What a removal or replacement does to data, and which policies keep it.

use serde_json::{json, Value as Json};

use super::{all_formats, one_stack};
use crate::tests::{db, db_props, table, template, with};
use crate::*;

#[test]
fn a_retained_replacement_says_the_new_resource_starts_empty() {
    let kept = |name: &str| {
        let t = table(json!({"TableName": name, "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}));
        with(with(t, "UpdateReplacePolicy", json!("Retain")), "DeletionPolicy", json!("Retain"))
    };
    let r = one_stack(
        &template(json!({"Orders": kept("orders")})),
        &template(json!({"Orders": kept("orders-v2")})),
    );
    let (text, markdown, json) = all_formats(&r);
    for out in [&text, &markdown] {
        assert!(!out.contains("their data is kept"), "{out}");
        assert!(out.contains("a replacement starts empty"), "{out}");
        assert!(
            out.contains("replaced: the new resource starts empty; UpdateReplacePolicy: Retain keeps the old one, detached from the stack, with its data"),
            "{out}"
        );
    }
    assert_eq!(json["dataRisks"][0]["keptBy"], json!("UpdateReplacePolicy: Retain"));
    assert!(r.fails(FailOn::Replacement));

    // A removal keeps the resource itself: no "starts empty".
    let r = one_stack(&template(json!({"Orders": kept("orders")})), &template(json!({})));
    let (text, _, _) = all_formats(&r);
    assert!(
        text.contains("Stateful resources removed: their data is kept outside the stack"),
        "{text}"
    );
    assert!(
        text.contains("removed: DeletionPolicy: Retain keeps the old one, detached from the stack, with its data"),
        "{text}"
    );
}

#[test]
fn a_snapshot_policy_on_a_type_that_cannot_be_snapshotted_keeps_nothing() {
    let with_policy = |t: Json| {
        let mut r = table(json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}));
        r["DeletionPolicy"] = json!("Snapshot");
        r["UpdateReplacePolicy"] = json!("Snapshot");
        r["Type"] = t;
        template(json!({"Orders": r}))
    };
    for t in ["AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue"] {
        let r = one_stack(&with_policy(json!(t)), &template(json!({})));
        let risk = r.stacks[0].diff.resources[0].risk.clone().expect("a data risk");
        assert_eq!(risk.kept_by, None, "{t}");
        assert!(risk.data_loss());
        assert_eq!(r.summary().data_loss, 1, "{t}");
        let (text, _, json) = all_formats(&r);
        assert_eq!(json["dataRisks"][0]["dataLoss"], json!(true), "{t}");
        assert_eq!(json["dataRisks"][0]["keptBy"], Json::Null, "{t}");
        assert!(
            text.contains("the old one is deleted with its data (DeletionPolicy: Snapshot does not apply to this type"),
            "{text}"
        );
    }
    // On a type it applies to, it keeps a final snapshot.
    let old = template(json!({"Db": db(db_props())}));
    let r = one_stack(&old, &template(json!({})));
    let risk = r.stacks[0].diff.resources[0].risk.clone().expect("a data risk");
    assert_eq!(risk.kept_by.as_deref(), Some("DeletionPolicy: Snapshot"));
}
