//! KMS: an environment's customer-managed key. Rotated and retained by default, an alias
//! named after the app and environment; a key policy that grows with its users (each
//! service through `kms:ViaService`, CloudWatch Logs for the environment's log groups
//! only); grants give consumers the key actions they need, on this key only.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::dynamodb::{Table, TableProps};
use cairn_constructs::logs::{LogGroup, LogGroupProps};
use cairn_constructs::s3::{Bucket, BucketProps};
use cairn_constructs::sqs::{Queue, QueueProps};
use cairn_constructs::{Key, KeyProps};
use common::{assert_refused, role, stack, two_environments};
use serde_json::json;

fn root() -> serde_json::Value {
    json!({ "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } })
}

#[test]
fn a_key_rotates_is_retained_and_its_alias_names_the_app_and_environment() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let key = Key::new(&stack, "Key", KeyProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    assert_eq!(key.alias_name(), "alias/t-dev");
    template.has_resource(
        "AWS::KMS::Key",
        json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": { "EnableKeyRotation": true, "PendingWindowInDays": 30 },
        }),
    );
    template.has_resource_properties(
        "AWS::KMS::Alias",
        json!({ "AliasName": "alias/t-dev", "TargetKeyId": { "Ref": key.cfn_key().logical_id() } }),
    );
    // Unused, the policy is key administration for the account root only: no encrypt or decrypt.
    let keys = template.find_resources("AWS::KMS::Key", json!({}));
    let statements = keys[0].1["Properties"]["KeyPolicy"]["Statement"].as_array().unwrap().clone();
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(statements[0]["Principal"], root());
    let actions: Vec<&str> = statements[0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        !actions
            .iter()
            .any(|a| ["kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"].contains(a)),
        "{actions:?}"
    );
}

#[test]
fn users_add_their_service_statement_and_log_groups_their_encryption_context() {
    // GIVEN
    let stack = stack("data");
    let key = Key::new(&stack, "Key", KeyProps::default()).unwrap();

    // WHEN
    let queue_props = QueueProps {
        encryption_key: Some(key.clone()),
        ..Default::default()
    };
    Queue::new(&stack, "Jobs", queue_props).unwrap();
    let logs = LogGroupProps {
        log_group_name: Some("/app/jobs".into()),
        encryption_key: Some(key.clone()),
        ..Default::default()
    };
    LogGroup::new(&stack, "Logs", logs).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let arn = json!({ "Fn::GetAtt": [key.cfn_key().logical_id(), "Arn"] });
    template.all_resources(
        "AWS::SQS::Queue",
        json!({ "Properties": { "KmsMasterKeyId": arn, "SqsManagedSseEnabled": Match::absent() } }),
    );
    template.has_resource_properties("AWS::Logs::LogGroup", json!({ "KmsKeyId": arn }));
    template.has_resource_properties(
        "AWS::KMS::Key",
        json!({ "KeyPolicy": { "Statement": Match::array_with(json!([
            {
                "Sid": "CloudWatchLogs",
                "Principal": { "Service": { "Fn::Sub": "logs.${AWS::Region}.amazonaws.com" } },
                "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": [
                    { "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/app/jobs" }
                ] } },
            },
            {
                "Sid": "UseThroughSqs",
                "Principal": root(),
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Condition": { "StringEquals": {
                    "kms:CallerAccount": { "Fn::Sub": "${AWS::AccountId}" },
                    "kms:ViaService": { "Fn::Sub": "sqs.${AWS::Region}.amazonaws.com" },
                } },
            },
        ])) } }),
    );
}

#[test]
fn grants_add_the_key_actions_through_the_service_on_this_key_only() {
    // GIVEN
    let stack = stack("data");
    let key = Key::new(&stack, "Key", KeyProps::default()).unwrap();
    let table = Table::new(
        &stack,
        "Orders",
        TableProps {
            encryption_key: Some(key.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let bucket = Bucket::new(
        &stack,
        "Uploads",
        BucketProps {
            encryption_key: Some(key.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let (reader, writer) = (role(&stack, "Reader"), role(&stack, "Writer"));

    // WHEN
    table.grant_read_data(&reader).unwrap();
    bucket.grant_read(&reader).unwrap();
    table.grant_read_write(&writer).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let arn = json!({ "Fn::GetAtt": [key.cfn_key().logical_id(), "Arn"] });
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        json!({ "SSESpecification": { "SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": arn } }),
    );
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({ "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": true,
            "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn },
        }] } }),
    );
    let via =
        |service: &str| json!({ "StringEquals": { "kms:ViaService": { "Fn::Sub": format!("{service}.${{AWS::Region}}.amazonaws.com") } } });
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": reader.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::array_with(json!([
                { "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": arn, "Condition": via("dynamodb") },
                { "Action": "kms:Decrypt", "Resource": arn, "Condition": via("s3") },
            ])) },
        }),
    );
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": writer.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::array_with(json!([
                { "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": arn, "Condition": via("dynamodb") },
            ])) },
        }),
    );
}

#[test]
fn bad_props_and_a_key_of_another_environment_are_refused() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let window = Key::new(
        &stack,
        "A",
        KeyProps {
            pending_window_days: 3,
            ..Default::default()
        },
    )
    .expect_err("refused");
    let alias = Key::new(
        &stack,
        "B",
        KeyProps {
            alias: Some("alias/aws/s3".into()),
            ..Default::default()
        },
    )
    .expect_err("refused");
    let (dev, prod) = two_environments("data", "data");
    let prod_key = Key::new(&prod, "Key", KeyProps::default()).unwrap();
    let foreign = Queue::new(
        &dev,
        "Jobs",
        QueueProps {
            encryption_key: Some(prod_key),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");

    // THEN
    assert_refused(&window, "dev/data/A", "pending_window_days", "3 days is out of range");
    assert_refused(&alias, "dev/data/B", "alias", "not a usable key alias");
    assert_refused(&foreign, "dev/data/Jobs", "encryption_key", "is in environment `prod`");
}
