//! What `--fail-on replacement` must catch and how it is said: types without
//! replacement facts (fail closed), documented replacements, what a replacement
//! does to data, RDS engine versions, exports still imported by another stack.

use serde_json::{json, Value as Json};

use crate::exports::{flag_exports_in_use, StackSides};
use crate::tests::{db, db_props, only, table, template, with};
use crate::*;

fn report(stacks: Vec<StackDiff>) -> DiffReport {
    DiffReport {
        old_label: "base".into(),
        new_label: "head".into(),
        notes: vec![],
        stacks,
    }
}

fn one_stack(old: &Json, new: &Json) -> DiffReport {
    report(vec![StackDiff::new("dev", "shop-dev-main", Some("main"), Some(old), Some(new))])
}

fn all_formats(r: &DiffReport) -> (String, String, Json) {
    let text = render(r, Format::Text { color: false });
    let markdown = render(r, Format::Markdown);
    let json = serde_json::from_str(&render(r, Format::Json)).expect("valid JSON");
    (text, markdown, json)
}

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

fn data_stack(table_id: &str) -> Json {
    let export = format!("shop-dev-data:ExportsOutputFnGetAtt{table_id}Arn");
    json!({"Resources": {table_id: table(json!({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}))},
        "Outputs": {format!("ExportsOutputFnGetAtt{table_id}Arn"): {"Value": {"Fn::GetAtt": [table_id, "Arn"]}, "Export": {"Name": export}}}})
}

fn service_stack(table_id: &str) -> Json {
    json!({"Resources": {"TaskPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": {"Fn::ImportValue": format!("shop-dev-data:ExportsOutputFnGetAtt{table_id}Arn")}}]}}}}})
}

#[test]
fn a_renamed_construct_whose_export_another_stack_imports_blocks_the_deploy() {
    let (old_data, new_data) = (data_stack("OrdersA9B65338"), data_stack("OrdersTable7C3F1B2A"));
    let (old_service, new_service) = (service_stack("OrdersA9B65338"), service_stack("OrdersTable7C3F1B2A"));
    // Only the data stack is compared (`cairn diff dev data`); the importer is found anyway.
    let mut stacks = vec![StackDiff::new(
        "dev",
        "shop-dev-data",
        Some("data"),
        Some(&old_data),
        Some(&new_data),
    )];
    let sides = [
        StackSides {
            stack: "shop-dev-data",
            old: Some(&old_data),
            new: Some(&new_data),
        },
        StackSides {
            stack: "shop-dev-service",
            old: Some(&old_service),
            new: Some(&new_service),
        },
    ];
    flag_exports_in_use(&mut stacks, "dev", &sides);
    let r = report(stacks);
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].kind, w[0].blocking), (WarningKind::ExportStillImported, true));
    assert!(r.fails(FailOn::Replacement));
    let (text, markdown, json) = all_formats(&r);
    for out in [&text, &markdown] {
        assert!(out.contains("export `shop-dev-data:ExportsOutputFnGetAttOrdersA9B65338Arn` (of data/Orders/Resource, OrdersA9B65338) is removed, but shop-dev-service still imports it"), "{out}");
        assert!(
            out.contains(
                r#"`Stack::keep_logical_ids("<new path>", "Orders")` (it keeps the names derived from the path too; `override_logical_id("<new path>/Resource", "OrdersA9B65338")` keeps this one ID only)"#
            ),
            "{out}"
        );
        assert!(out.contains("first deploy shop-dev-service without the import"), "{out}");
    }
    assert_eq!(json["warnings"][0]["kind"], json!("export-still-imported"));
    assert_eq!(json["warnings"][0]["stack"], json!("shop-dev-data"));

    // The same rename with the logical ID kept: the export stays, nothing to say.
    let mut stacks = vec![StackDiff::new(
        "dev",
        "shop-dev-data",
        Some("data"),
        Some(&old_data),
        Some(&old_data),
    )];
    let sides = [
        StackSides {
            stack: "shop-dev-data",
            old: Some(&old_data),
            new: Some(&old_data),
        },
        StackSides {
            stack: "shop-dev-service",
            old: Some(&old_service),
            new: Some(&old_service),
        },
    ];
    flag_exports_in_use(&mut stacks, "dev", &sides);
    assert!(stacks[0].diff.warnings.is_empty());

    // An export nobody imports may go.
    let mut stacks = vec![StackDiff::new(
        "dev",
        "shop-dev-data",
        Some("data"),
        Some(&old_data),
        Some(&new_data),
    )];
    flag_exports_in_use(&mut stacks, "dev", &sides[..1]);
    assert!(stacks[0].diff.warnings.is_empty());
}

/// A stack whose queues (`id` → construct path) export their ARNs as `shop-dev-jobs:<id>`.
fn queue_stack(queues: &[(&str, &str)]) -> Json {
    let mut resources = serde_json::Map::new();
    let mut outputs = serde_json::Map::new();
    for (id, path) in queues {
        resources.insert(
            id.to_string(),
            json!({"Type": "AWS::SQS::Queue", "Properties": {}, "Metadata": {"cairn:path": path}}),
        );
        outputs.insert(
            format!("Export{id}"),
            json!({"Value": {"Fn::GetAtt": [id, "Arn"]}, "Export": {"Name": format!("shop-dev-jobs:{id}")}}),
        );
    }
    json!({"Resources": resources, "Outputs": outputs})
}

/// The export warning's fix when the old queue `JobsDeadLetterQueueFA298334` goes and `new` comes.
fn dead_letter_rename_fix(new: &[(&str, &str)]) -> String {
    let old = queue_stack(&[("JobsDeadLetterQueueFA298334", "jobs/Jobs/DeadLetterQueue")]);
    let new = queue_stack(new);
    let importer = json!({"Resources": {"Consumer": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p",
        "PolicyDocument": {"Resource": {"Fn::ImportValue": "shop-dev-jobs:JobsDeadLetterQueueFA298334"}}}}}});
    let mut stacks = vec![StackDiff::new("dev", "shop-dev-jobs", Some("jobs"), Some(&old), Some(&new))];
    let sides = [
        StackSides {
            stack: "shop-dev-jobs",
            old: Some(&old),
            new: Some(&new),
        },
        StackSides {
            stack: "shop-dev-service",
            old: Some(&importer),
            new: Some(&importer),
        },
    ];
    flag_exports_in_use(&mut stacks, "dev", &sides);
    assert_eq!(stacks[0].diff.warnings.len(), 1, "{:#?}", stacks[0].diff.warnings);
    stacks[0].diff.warnings[0].fix.clone()
}

#[test]
fn a_renamed_queue_constructs_fix_names_the_renamed_construct_and_the_resources_real_path() {
    // One added queue: the new path is guessed, and the renamed construct is `Jobs`, not its queue.
    let fix = dead_letter_rename_fix(&[("JobQueueDeadLetterQueue0B1C2D3E", "jobs/JobQueue/DeadLetterQueue")]);
    assert!(
        fix.contains(r#"`Stack::keep_logical_ids("JobQueue", "Jobs")`"#)
            && fix.contains(r#"`override_logical_id("JobQueue/DeadLetterQueue", "JobsDeadLetterQueueFA298334")`"#),
        "{fix}"
    );
    // Two added queues: no guess; the queue's path has no `/Resource` to add.
    let fix = dead_letter_rename_fix(&[
        ("JobQueueDeadLetterQueue0B1C2D3E", "jobs/JobQueue/DeadLetterQueue"),
        ("OtherQueue4F5A6B7C", "jobs/Other"),
    ]);
    assert!(
        fix.contains(r#"`Stack::keep_logical_ids("<new path>", "Jobs/DeadLetterQueue")`"#)
            && fix.contains(r#"`override_logical_id("<new path>", "JobsDeadLetterQueueFA298334")`"#),
        "{fix}"
    );
}

/// `data` (old → new) compared with the service stack importing its export.
fn with_importer(old_data: &Json, new_data: &Json) -> DiffReport {
    let service = service_stack("OrdersA9B65338");
    let mut stacks = vec![StackDiff::new("dev", "shop-dev-data", Some("data"), Some(old_data), Some(new_data))];
    let sides = [
        StackSides {
            stack: "shop-dev-data",
            old: Some(old_data),
            new: Some(new_data),
        },
        StackSides {
            stack: "shop-dev-service",
            old: Some(&service),
            new: Some(&service),
        },
    ];
    flag_exports_in_use(&mut stacks, "dev", &sides);
    report(stacks)
}

#[test]
fn an_export_in_use_whose_value_changes_blocks_the_deploy() {
    let old = data_stack("OrdersA9B65338");
    // The key changes: the table is replaced, so its ARN (the export's value) changes.
    let mut replaced = old.clone();
    replaced["Resources"]["OrdersA9B65338"]["Properties"]["KeySchema"][0]["AttributeName"] = json!("pk");
    let r = with_importer(&old, &replaced);
    let w = &r.stacks[0].diff.warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!((w[0].kind, w[0].blocking), (WarningKind::ExportChangedInUse, true));
    assert!(
        w[0].message.contains(
            "export `shop-dev-data:ExportsOutputFnGetAttOrdersA9B65338Arn` (of data/Orders/Resource, OrdersA9B65338) changes: \
             it refers to OrdersA9B65338 (data/Orders/Resource), which is replaced, but shop-dev-service imports it: \
             CloudFormation refuses to update an export in use"
        ),
        "{}",
        w[0].message
    );
    assert!(w[0].fix.contains("avoid replacing OrdersA9B65338"), "{}", w[0].fix);
    assert!(
        w[0].fix.contains("first deploy shop-dev-service without the import"),
        "{}",
        w[0].fix
    );
    assert!(r.fails(FailOn::Blocking) && r.fails(FailOn::DataLoss));
    let (_, _, json) = all_formats(&r);
    assert_eq!(json["warnings"][0]["kind"], json!("export-changed-in-use"));

    // The value expression itself changes.
    let mut rewritten = old.clone();
    rewritten["Outputs"]["ExportsOutputFnGetAttOrdersA9B65338Arn"]["Value"] = json!({"Fn::GetAtt": ["OrdersA9B65338", "StreamArn"]});
    let w = &with_importer(&old, &rewritten).stacks[0].diff.warnings;
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].message.contains("changes: its value changes from"), "{}", w[0].message);

    // An in-place update keeps the ARN: nothing to say.
    let mut in_place = old.clone();
    in_place["Resources"]["OrdersA9B65338"]["Properties"]["BillingMode"] = json!("PAY_PER_REQUEST");
    assert!(with_importer(&old, &in_place).stacks[0].diff.warnings.is_empty());
}

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
