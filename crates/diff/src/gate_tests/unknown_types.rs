//! Types cairn has no replacement or statefulness facts for: counted as possible
//! replacements and possible data loss (fail closed), and said apart from known types.

use serde_json::{json, Value as Json};

use super::{all_formats, one_stack};
use crate::tests::{only, table, template};
use crate::*;

/// A type newer than the pinned schemas (made up here): cairn has no facts for it.
const UNKNOWN_TYPE: &str = "AWS::WAFv9::WebACL";

fn web_acl(scope: &str) -> Json {
    json!({"Type": UNKNOWN_TYPE, "Metadata": {"cairn:path": "service/Firewall/Resource"},
        "Properties": {"Name": "shop", "Scope": scope, "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "shop"}}})
}

#[test]
fn a_type_without_replacement_facts_counts_as_a_possible_replacement_and_trips_the_gate() {
    assert!(
        cairn_core::schema::resource_type(UNKNOWN_TYPE).is_none(),
        "pick a type outside the schemas"
    );
    let old = template(json!({"Acl": web_acl("REGIONAL")}));
    let new = template(json!({"Acl": web_acl("CLOUDFRONT")}));
    let r = one_stack(&old, &new);
    let change = only(&r.stacks[0].diff);
    assert_eq!(change.replacement, Replacement::Unknown);
    let s = r.summary();
    assert_eq!((s.replace, s.may_replace, s.unknown_replace), (0, 1, 1));
    assert!(r.fails(FailOn::Replacement), "fail closed: cairn cannot rule the replacement out");

    let (text, markdown, json) = all_formats(&r);
    assert!(
        text.contains("(0 replacements, 1 possible replacement: 1 of a type cairn has no replacement facts for)"),
        "{text}"
    );
    assert!(
        text.contains(
            "Scope: \"REGIONAL\" → \"CLOUDFRONT\"  (may require replacement: type not in cairn's schema table, counted as possible)"
        ),
        "{text}"
    );
    assert!(markdown.contains("(+1 possible)"), "{markdown}");
    assert_eq!(
        (json["summary"]["mayReplace"].clone(), json["summary"]["unknownReplace"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(json["changes"][0]["replacement"], json!("unknown"));
}

#[test]
fn a_type_without_facts_is_a_possible_data_loss_and_its_referrers_may_be_replaced_too() {
    // Every type of the schemas has facts; a custom resource has none and may hold data.
    let fs = |mode: &str| json!({"Type": "Custom::FileStore", "Properties": {"PerformanceMode": mode}});
    let user = json!({"Type": "AWS::Custom::Mounter", "Properties": {"FileSystem": {"Ref": "Files"}}});
    let old = template(json!({"Files": fs("generalPurpose"), "Mount": user.clone()}));
    let new = template(json!({"Files": fs("maxIO"), "Mount": user}));
    let d = compare(&old, &new);
    let files = d.resources.iter().find(|r| r.logical_id == "Files").expect("file system");
    assert_eq!(
        files.risk.as_ref().map(|x| (x.cause, x.data_loss())),
        Some((RiskCause::MayReplace, true))
    );
    let mount = d.resources.iter().find(|r| r.logical_id == "Mount").expect("referrer listed");
    assert_eq!(mount.replacement, Replacement::Unknown);
    assert_eq!(mount.replacement_reasons, ["FileSystem refers to Files, which is replaced"]);
}

#[test]
fn a_type_cairn_does_not_know_may_hold_data_when_removed_or_replaced() {
    let repo = json!({"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "shop"}});
    let r = one_stack(&template(json!({"Images": repo})), &template(json!({})));
    let risk = r.stacks[0].diff.resources[0].risk.clone().expect("fail closed: a data risk");
    assert!(risk.unknown_type && risk.data_loss());
    assert!(r.fails(FailOn::DataLoss) && r.fails(FailOn::Replacement));
    let (text, _, json) = all_formats(&r);
    assert!(
        text.contains("removed: may hold data: cairn does not know whether this type holds data: the old one is deleted"),
        "{text}"
    );
    assert_eq!(json["dataRisks"][0]["unknownType"], json!(true));

    // A replacement (unknown facts: counted as possible) of another unknown type.
    let domain = |name: &str| json!({"Type": "AWS::Elasticsearch::Domain", "Properties": {"DomainName": name}});
    let r = one_stack(&template(json!({"Search": domain("a")})), &template(json!({"Search": domain("b")})));
    assert!(r.stacks[0].diff.resources[0].risk.as_ref().is_some_and(|x| x.unknown_type));
    assert!(r.fails(FailOn::DataLoss));

    // A known stateless type stays quiet.
    let topic = json!({"Type": "AWS::SNS::Topic", "Properties": {}});
    let r = one_stack(&template(json!({"Topic": topic})), &template(json!({})));
    assert!(r.stacks[0].diff.resources[0].risk.is_none());
    assert!(!r.fails(FailOn::DataLoss));
}

#[test]
fn the_data_loss_heading_counts_unknown_types_apart_from_stateful_ones() {
    let timestream = json!({"Type": "AWS::Timestream::Table", "Properties": {}});
    let r = one_stack(&template(json!({"Metrics": timestream})), &template(json!({})));
    let (text, markdown, _) = all_formats(&r);
    let unknown = "1 resource of a type cairn does not know may lose data";
    assert!(text.contains(&format!("DATA LOSS RISK: {unknown}\n")), "{text}");
    assert!(markdown.contains(&format!("> **Data loss risk: {unknown}**")), "{markdown}");
    for out in [&text, &markdown] {
        assert!(!out.contains("stateful resource"), "{out}");
    }

    // Both kinds: each counted under its own words.
    let both = json!({"Metrics": timestream, "Orders": table(json!({}))});
    let r = one_stack(&template(both), &template(json!({})));
    let (text, _, _) = all_formats(&r);
    assert!(
        text.contains(&format!("DATA LOSS RISK: 1 stateful resource would lose data; {unknown}\n")),
        "{text}"
    );
}

#[test]
fn types_outside_the_schemas_fail_closed_whatever_changes() {
    // Custom resources (either spelling) decide in their provider what an update does.
    for rtype in ["Custom::Foo", "AWS::CloudFormation::CustomResource", "AWS::Made::Up"] {
        let r = |size: u32| json!({"Type": rtype, "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f", "Size": size}});
        let d = compare(&template(json!({"X": r(1)})), &template(json!({"X": r(2)})));
        let change = only(&d);
        assert_eq!(change.replacement, Replacement::Unknown, "{rtype}");
        assert!(
            change.risk.as_ref().is_some_and(|x| x.unknown_type && x.data_loss()),
            "{rtype}: {change:#?}"
        );
    }
}
