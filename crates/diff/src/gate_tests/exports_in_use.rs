//! Exports another stack imports: removing or changing one fails the deploy.

use serde_json::{json, Value as Json};

use super::{all_formats, report};
use crate::exports::{flag_exports_in_use, StackSides};
use crate::tests::table;
use crate::*;

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
