//! S3 buckets: encrypted, never public, TLS-only, versioned and retained where the
//! environment keeps data; access-log buckets; grants of exact actions on the bucket and
//! its objects.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::s3::{Bucket, BucketEncryption, BucketProps, LogBucketProps};
use common::{assert_refused, retained_stack, role, stack, two_environments};
use serde_json::json;

#[test]
fn a_bucket_is_encrypted_private_owner_enforced_and_tls_only() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let bucket = Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let id = bucket.cfn_bucket().unwrap().logical_id();
    template.resource_count_is("AWS::S3::Bucket", 1);
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({
            "BucketName": Match::absent(),
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
            }] },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
            },
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }] },
        }),
    );
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": { "Ref": id },
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": { "AWS": "*" },
                "Action": "s3:*",
                "Resource": [
                    { "Fn::GetAtt": [id, "Arn"] },
                    { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, "/*"]] },
                ],
                "Condition": { "Bool": { "aws:SecureTransport": false } },
            }])) },
        }),
    );
}

#[test]
fn a_bucket_is_versioned_everywhere_and_deleted_where_the_environment_keeps_no_data() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();

    // THEN old versions expire after 30 days and unfinished uploads after 7, so versioning costs little.
    let template = Template::from_tree_stack(&stack);
    template.has_resource(
        "AWS::S3::Bucket",
        json!({
            "DeletionPolicy": "Delete",
            "Properties": {
                "VersioningConfiguration": { "Status": "Enabled" },
                "LifecycleConfiguration": { "Rules": [
                    { "Id": "ExpireNoncurrentVersions", "Status": "Enabled", "NoncurrentVersionExpiration": { "NoncurrentDays": 30 } },
                    { "Id": "AbortIncompleteUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 } },
                ] },
            },
        }),
    );
}

#[test]
fn versioning_can_be_turned_off_explicitly() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let props = BucketProps {
        versioned: Some(false),
        ..Default::default()
    };
    Bucket::new(&stack, "Scratch", props).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::S3::Bucket",
        json!({
            "VersioningConfiguration": Match::absent(),
            "LifecycleConfiguration": { "Rules": [{ "Id": "AbortIncompleteUploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 } }] },
        }),
    );
}

#[test]
fn a_bucket_is_versioned_and_retained_where_the_environment_keeps_data() {
    // GIVEN
    let stack = retained_stack("data");

    // WHEN
    Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource(
        "AWS::S3::Bucket",
        json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": { "VersioningConfiguration": { "Status": "Enabled" } },
        }),
    );
}

#[test]
fn a_kms_bucket_uses_the_aws_managed_key_with_a_bucket_key() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let props = BucketProps {
        encryption: BucketEncryption::KmsManaged,
        ..Default::default()
    };
    Bucket::new(&stack, "Uploads", props).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::S3::Bucket",
        json!({
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" },
                "BucketKeyEnabled": true,
            }] },
        }),
    );
}

#[test]
fn an_invalid_bucket_name_is_refused_naming_the_prop() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let props = BucketProps {
        bucket_name: Some("Uploads_Bucket".into()),
        ..Default::default()
    };
    let err = Bucket::new(&stack, "Uploads", props).unwrap_err();

    // THEN
    assert_refused(
        &err,
        "dev/data/Uploads",
        "bucket_name",
        "`Uploads_Bucket` is not a valid bucket name",
    );
}

#[test]
fn grant_read_gives_list_on_the_bucket_and_get_on_its_objects_only() {
    // GIVEN
    let stack = stack("data");
    let bucket = Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();
    let reader = role(&stack, "Reader");

    // WHEN
    bucket.grant_read(&reader).unwrap();

    // THEN
    let id = bucket.cfn_bucket().unwrap().logical_id();
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": reader.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([
                { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": { "Fn::GetAtt": [id, "Arn"] } },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, "/*"]] },
                },
            ])) },
        }),
    );
}

#[test]
fn grant_write_gives_object_writes_only_and_grant_read_write_both() {
    // GIVEN
    let stack = stack("data");
    let bucket = Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();
    let (writer, both) = (role(&stack, "Writer"), role(&stack, "Both"));

    // WHEN
    bucket.grant_write(&writer).unwrap();
    bucket.grant_read_write(&both).unwrap();

    // THEN
    let id = bucket.cfn_bucket().unwrap().logical_id();
    let objects = json!({ "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, "/*"]] });
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": writer.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                "Resource": objects,
            }])) },
        }),
    );
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": both.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([
                { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": { "Fn::GetAtt": [id, "Arn"] } },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    "Resource": objects,
                },
            ])) },
        }),
    );
}

#[test]
fn a_grant_on_an_existing_bucket_names_it_and_adds_nothing_else() {
    // GIVEN
    let stack = stack("service");
    let bucket = Bucket::from_name(&stack, "Shared", "other-team-bucket").unwrap();
    let reader = role(&stack, "Reader");

    // WHEN
    bucket.grant_read(&reader).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::S3::Bucket", 0);
    template.resource_count_is("AWS::S3::BucketPolicy", 0);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({ "PolicyDocument": { "Statement": Match::exact(json!([
            { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": { "Fn::Sub": "arn:${AWS::Partition}:s3:::other-team-bucket" } },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": { "Fn::Sub": "arn:${AWS::Partition}:s3:::other-team-bucket/*" },
            },
        ])) } }),
    );
}

#[test]
fn an_existing_bucket_with_an_invalid_name_is_refused() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    let err = Bucket::from_name(&stack, "Shared", "a").unwrap_err();

    // THEN
    assert_refused(&err, "dev/service/Shared", "bucket_name", "`a` is not a valid bucket name");
}

#[test]
fn a_grant_across_environments_is_refused() {
    // GIVEN
    let (dev, prod) = two_environments("data", "service");
    let bucket = Bucket::new(&dev, "Uploads", BucketProps::default()).unwrap();

    // WHEN
    let err = bucket.grant_read(&role(&prod, "Reader")).unwrap_err();

    // THEN
    assert_refused(&err, "dev/data/Uploads", "grant", "which is in environment `prod`, not `dev`");
}

#[test]
fn an_access_log_bucket_expires_logs_and_lets_s3_logging_write_under_each_prefix_only() {
    // GIVEN
    let stack = stack("data");
    let logs = Bucket::for_access_logs(
        &stack,
        "Logs",
        LogBucketProps {
            expiration_days: 30,
            removal_policy: None,
        },
    )
    .unwrap();

    // WHEN
    let props = BucketProps {
        server_access_logs: Some((logs.clone(), "uploads/".into())),
        ..Default::default()
    };
    let uploads = Bucket::new(&stack, "Uploads", props).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let logs_id = logs.cfn_bucket().unwrap().logical_id();
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
            }] },
            "LifecycleConfiguration": { "Rules": [
                { "Id": "ExpireLogs", "Status": "Enabled", "ExpirationInDays": 30, "NoncurrentVersionExpiration": { "NoncurrentDays": 7 } },
                { "Id": "AbortIncompleteUploads" },
            ] },
            "LoggingConfiguration": Match::absent(),
        }),
    );
    template.has_resource_properties(
        "AWS::S3::Bucket",
        json!({ "LoggingConfiguration": { "DestinationBucketName": { "Ref": logs_id }, "LogFilePrefix": "uploads/" } }),
    );
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({
            "Bucket": { "Ref": logs_id },
            "PolicyDocument": { "Statement": Match::array_with(json!([{
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": { "Service": "logging.s3.amazonaws.com" },
                "Action": "s3:PutObject",
                "Resource": { "Fn::Join": ["", [{ "Fn::GetAtt": [logs_id, "Arn"] }, "/uploads/*"]] },
                "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
            }])) },
        }),
    );
    assert!(!uploads.is_log_bucket() && logs.is_log_bucket());
}

#[test]
fn an_access_log_bucket_refuses_an_expiration_out_of_range_and_a_bad_prefix() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let props = LogBucketProps {
        expiration_days: 0,
        removal_policy: None,
    };
    let expiration = Bucket::for_access_logs(&stack, "Logs", props).unwrap_err();
    let logs = Bucket::for_access_logs(&stack, "Logs2", LogBucketProps::default()).unwrap();
    let prefix = logs.allow_server_access_logs("/uploads").unwrap_err();
    let not_a_log_bucket = Bucket::new(&stack, "Plain", BucketProps::default())
        .unwrap()
        .allow_load_balancer_logs("web")
        .unwrap_err();

    // THEN
    assert_refused(&expiration, "dev/data/Logs", "expiration_days", "0 days is out of range");
    assert_refused(
        &prefix,
        "dev/data/Logs2",
        "server_access_logs",
        "`/uploads` is not a valid access-log prefix",
    );
    assert_eq!(not_a_log_bucket.path.as_deref(), Some("dev/data/Plain"));
    assert!(not_a_log_bucket.message.contains("not an access-log bucket"), "{not_a_log_bucket}");
}

#[test]
fn load_balancer_logs_are_delivered_by_the_regional_elb_account_under_the_prefix() {
    // GIVEN
    let stack = stack("data");
    let logs = Bucket::for_access_logs(&stack, "Logs", LogBucketProps::default()).unwrap();

    // WHEN
    logs.allow_load_balancer_logs("web").unwrap();

    // THEN
    let id = logs.cfn_bucket().unwrap().logical_id();
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({ "PolicyDocument": { "Statement": Match::array_with(json!([{
            "Sid": "LoadBalancerAccessLogs",
            "Effect": "Allow",
            // eu-west-1's log-delivery account
            "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::156460612806:root" } },
            "Action": "s3:PutObject",
            "Resource": { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, { "Fn::Sub": "/web/AWSLogs/${AWS::AccountId}/*" }]] },
        }])) } }),
    );
}
