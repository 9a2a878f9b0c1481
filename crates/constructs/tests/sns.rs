//! SNS topics for alarms: encrypted with the environment's key when given (never the
//! AWS-managed key, which CloudWatch alarms cannot use), published to by CloudWatch of
//! this account only, TLS-only for everyone else; email subscriptions validated.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::sns::{Topic, TopicProps};
use common::{assert_refused, stack};
use serde_json::json;

#[test]
fn only_cloudwatch_of_this_account_publishes_over_tls_and_without_a_key_the_topic_is_not_encrypted_with_aws_sns() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let topic = Topic::new(&stack, "Alarms", TopicProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let arn = json!({ "Ref": topic.cfn_topic().logical_id() });
    // CloudWatch alarms cannot publish to a topic encrypted with aws/sns: no key at all.
    template.has_resource_properties("AWS::SNS::Topic", json!({ "KmsMasterKeyId": Match::absent() }));
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        json!({
            "Topics": [arn],
            "PolicyDocument": { "Statement": Match::exact(json!([
                {
                    "Sid": "AllowCloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": { "Service": "cloudwatch.amazonaws.com" },
                    "Action": "sns:Publish",
                    "Resource": arn,
                    "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": { "AWS": "*" },
                    "Action": "sns:Publish",
                    "Resource": arn,
                    "Condition": { "Bool": { "aws:SecureTransport": false } },
                },
            ])) },
        }),
    );
    template.resource_count_is("AWS::SNS::Subscription", 0);
}

#[test]
fn each_email_gets_a_subscription() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let props = TopicProps {
        display_name: Some("t dev alarms".into()),
        email_subscriptions: vec!["ops@example.com".into(), "dev@example.com".into()],
        ..Default::default()
    };
    let topic = Topic::new(&stack, "Alarms", props).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::SNS::Subscription", 2);
    for email in ["ops@example.com", "dev@example.com"] {
        template.has_resource_properties(
            "AWS::SNS::Subscription",
            json!({ "Protocol": "email", "Endpoint": email, "TopicArn": { "Ref": topic.cfn_topic().logical_id() } }),
        );
    }
}

#[test]
fn an_address_that_is_not_an_email_is_refused() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let props = TopicProps {
        display_name: None,
        email_subscriptions: vec!["ops at example.com".into()],
        ..Default::default()
    };
    let err = Topic::new(&stack, "Alarms", props).err().expect("refused");

    // THEN
    assert_refused(
        &err,
        "dev/monitoring/Alarms",
        "email_subscriptions",
        "`ops at example.com` is not an email address",
    );
}

#[test]
fn with_the_environment_s_key_the_topic_is_encrypted_and_the_key_lets_cloudwatch_alarms_publish() {
    // GIVEN
    let stack = stack("monitoring");
    let key = cairn_constructs::Key::new(&stack, "Key", cairn_constructs::KeyProps::default()).unwrap();

    // WHEN
    let props = TopicProps {
        encryption_key: Some(key.clone()),
        ..Default::default()
    };
    Topic::new(&stack, "Alarms", props).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let key_id = key.cfn_key().logical_id();
    template.has_resource_properties("AWS::SNS::Topic", json!({ "KmsMasterKeyId": { "Fn::GetAtt": [key_id, "Arn"] } }));
    template.has_resource_properties(
        "AWS::KMS::Key",
        json!({ "KeyPolicy": { "Statement": Match::array_with(json!([{
            "Sid": "CloudWatchAlarmsToSns",
            "Principal": { "Service": "cloudwatch.amazonaws.com" },
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Condition": { "StringEquals": { "aws:SourceAccount": { "Fn::Sub": "${AWS::AccountId}" } } },
        }])) } }),
    );
}
