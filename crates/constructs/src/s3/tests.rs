use super::*;
use crate::test_support::{properties, stack};
use serde_json::{json, Value as Json};

#[test]
fn a_kms_bucket_passes_the_schema_check_and_its_typed_bucket_takes_edits() {
    let (app, stack) = stack("data");
    let props = BucketProps {
        bucket_name: Some("t-dev-uploads".into()),
        encryption: BucketEncryption::KmsManaged,
        versioned: Some(true),
        noncurrent_version_expiration_days: Some(30),
        ..Default::default()
    };
    let bucket = Bucket::new(&stack, "Uploads", props).unwrap();
    bucket.cfn_bucket().unwrap().set(CfnBucket::OBJECT_LOCK_ENABLED, true).unwrap();
    let p = properties(&app, "data", bucket.cfn_bucket().unwrap().logical_id());
    assert_eq!(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"],
        json!([{ "BucketKeyEnabled": true, "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" } }])
    );
    assert_eq!(p["BucketName"], json!("t-dev-uploads"));
    assert_eq!(p["VersioningConfiguration"], json!({ "Status": "Enabled" }));
    assert_eq!(
        p["LifecycleConfiguration"]["Rules"],
        json!([
            { "Id": "ExpireNoncurrentVersions", "NoncurrentVersionExpiration": { "NoncurrentDays": 30 }, "Status": "Enabled" },
            { "AbortIncompleteMultipartUpload": { "DaysAfterInitiation": 7 }, "Id": "AbortIncompleteUploads", "Status": "Enabled" }
        ])
    );
    assert_eq!(p["ObjectLockEnabled"], json!(true));
}

#[test]
fn log_delivery_re_renders_the_bucket_policy_through_its_typed_handle() {
    let (app, stack) = stack("data");
    let logs = Bucket::for_access_logs(&stack, "Logs", LogBucketProps::default()).unwrap();
    logs.allow_load_balancer_logs("web").unwrap();
    logs.allow_load_balancer_logs("api").unwrap();
    logs.allow_load_balancer_logs("web").unwrap();
    let policy = properties(&app, "data", logs.cfn_bucket_policy().unwrap().logical_id());
    let sids: Vec<&Json> = policy["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["Sid"])
        .collect();
    assert_eq!(
        sids,
        [
            &json!("DenyInsecureTransport"),
            &json!("LoadBalancerAccessLogs"),
            &json!("LoadBalancerAccessLogs2")
        ]
    );
}

#[test]
fn an_existing_bucket_has_no_typed_resource() {
    let (_app, stack) = stack("data");
    let bucket = Bucket::from_name(&stack, "Shared", "shared-bucket").unwrap();
    let err = bucket.cfn_bucket().unwrap_err().to_string();
    assert!(err.contains("existing bucket"), "{err}");
    assert!(bucket.cfn_bucket_policy().is_err());
}
