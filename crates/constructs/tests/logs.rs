//! Log groups: always a retention period, retained where the environment keeps data;
//! validation of retention and name; the write grant.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::logs::{LogGroup, LogGroupProps};
use common::{assert_refused, retained_stack, role, stack};
use serde_json::json;

#[test]
fn a_log_group_keeps_events_30_days_and_is_deleted_without_retained_data() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    LogGroup::new(&stack, "Logs", LogGroupProps::default()).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource(
        "AWS::Logs::LogGroup",
        json!({
            "DeletionPolicy": "Delete",
            "Properties": { "RetentionInDays": 30, "LogGroupName": Match::absent() },
        }),
    );
}

#[test]
fn a_log_group_is_retained_where_the_environment_keeps_data() {
    // GIVEN
    let stack = retained_stack("service");

    // WHEN
    LogGroup::new(&stack, "Logs", LogGroupProps::default()).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource(
        "AWS::Logs::LogGroup",
        json!({ "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain" }),
    );
}

#[test]
fn a_retention_cloudwatch_does_not_accept_and_a_bad_name_are_refused() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    let retention = LogGroup::new(
        &stack,
        "A",
        LogGroupProps {
            retention_days: 31,
            ..Default::default()
        },
    )
    .err()
    .expect("refused");
    let name = LogGroup::new(
        &stack,
        "B",
        LogGroupProps {
            log_group_name: Some("my logs".into()),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");

    // THEN
    assert_refused(&retention, "dev/service/A", "retention_days", "31");
    assert_refused(&name, "dev/service/B", "log_group_name", "`my logs` is not a valid log group name");
}

#[test]
fn grant_write_gives_stream_creation_and_puts_on_the_group_only() {
    // GIVEN
    let stack = stack("service");
    let group = LogGroup::new(&stack, "Logs", LogGroupProps::default()).unwrap();
    let writer = role(&stack, "Writer");

    // WHEN
    group.grant_write(&writer).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": writer.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": { "Fn::GetAtt": [group.cfn_log_group().logical_id(), "Arn"] },
            }])) },
        }),
    );
}
