//! SNS topics for alarms: encrypted with the AWS-managed key, published to by CloudWatch
//! of this account only, TLS-only for everyone else; email subscriptions validated.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::sns::{Topic, TopicProps};
use common::{assert_refused, stack};
use serde_json::json;

#[test]
fn a_topic_is_encrypted_and_only_cloudwatch_of_this_account_publishes_over_tls() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let topic = Topic::new(&stack, "Alarms", TopicProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let arn = json!({ "Ref": topic.cfn_topic().logical_id() });
    template.has_resource_properties("AWS::SNS::Topic", json!({ "KmsMasterKeyId": "alias/aws/sns" }));
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
                    "Condition": { "Bool": { "aws:SecureTransport": "false" } },
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
