//! Roles: a trust policy for exactly one service, no policy until something is granted,
//! then one default policy with every statement once; grants refused across environments.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::iam::{PolicyStatement, Role, RoleProps, ServicePrincipal};
use cairn_constructs::sqs::{Queue, QueueProps};
use cairn_core::Value;
use common::{assert_refused, role, stack, two_environments};
use serde_json::json;

#[test]
fn a_role_trusts_only_its_service_and_has_no_policy_until_a_grant() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    let props = RoleProps {
        assumed_by: ServicePrincipal::VpcFlowLogs,
        description: Some("writes flow logs".into()),
    };
    let role = Role::new(&stack, "FlowLogs", props).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "Description": "writes flow logs",
            "AssumeRolePolicyDocument": { "Statement": Match::exact(json!([{
                "Effect": "Allow",
                "Principal": { "Service": "vpc-flow-logs.amazonaws.com" },
                "Action": "sts:AssumeRole",
            }])) },
            "ManagedPolicyArns": Match::absent(),
            "Policies": Match::absent(),
        }),
    );
    template.resource_count_is("AWS::IAM::Policy", 0);
    assert!(role.default_policy().is_none());
}

#[test]
fn statements_go_to_one_default_policy_each_once() {
    // GIVEN
    let stack = stack("service");
    let worker = role(&stack, "Worker");
    let statement = PolicyStatement::allow(&["sqs:SendMessage"], vec![Value::str("arn:aws:sqs:eu-west-1:123456789012:a")]);

    // WHEN
    worker.add_to_policy(statement.clone()).unwrap();
    worker.add_to_policy(statement).unwrap();
    worker
        .add_to_policy(PolicyStatement::allow(
            &["sqs:SendMessage"],
            vec![Value::str("arn:aws:sqs:eu-west-1:123456789012:b")],
        ))
        .unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::IAM::Policy", 1);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": worker.cfn_role().logical_id() }],
            "PolicyDocument": { "Version": "2012-10-17", "Statement": Match::exact(json!([
                { "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:a" },
                { "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:b" },
            ])) },
        }),
    );
}

#[test]
fn a_grant_to_a_role_of_another_environment_is_refused_and_adds_nothing() {
    // GIVEN
    let (dev, prod) = two_environments("data", "service");
    let queue = Queue::new(&dev, "Jobs", QueueProps::default()).unwrap();
    let worker = role(&prod, "Worker");

    // WHEN
    let err = queue.grant_send_messages(&worker).expect_err("refused");

    // THEN
    assert_refused(
        &err,
        "dev/data/Jobs",
        "grant",
        "cannot grant access to prod/service/Worker, which is in environment `prod`, not `dev`",
    );
    Template::from_tree_stack(&prod).resource_count_is("AWS::IAM::Policy", 0);
}
