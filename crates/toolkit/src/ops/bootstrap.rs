//! The bootstrap stack: the S3 bucket for templates over 51,200 bytes, in an
//! environment's account and region, as a CloudFormation stack of its own.

use cairn_core::StackArtifact;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use crate::error::{CliError, CliResult};

/// The bootstrap stack's name (one per account and region).
pub const BOOTSTRAP_STACK: &str = "cairn-bootstrap";

/// The bootstrap stack as an artifact the deployer takes.
pub fn bootstrap_stack(bucket: &str) -> CliResult<StackArtifact> {
    let template = bootstrap_template(bucket);
    let body = serde_json::to_string_pretty(&template).map_err(CliError::Json)? + "\n";
    Ok(StackArtifact {
        id: "bootstrap".into(),
        name: BOOTSTRAP_STACK.into(),
        template,
        body,
        depends_on: Vec::new(),
        paths: IndexMap::new(),
        suppressions: Vec::new(),
    })
}

fn bootstrap_template(bucket: &str) -> Json {
    let arn = json!({"Fn::GetAtt": ["TemplateBucket", "Arn"]});
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cairn bootstrap: the bucket for CloudFormation templates over 51,200 bytes",
        "Resources": {
            "TemplateBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketName": bucket,
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {"Rules": [
                        {"Id": "ExpireTemplates", "Status": "Enabled", "ExpirationInDays": 30}
                    ]},
                    "Tags": [{"Key": "ManagedBy", "Value": "cairn"}]
                }
            },
            "TemplateBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "TemplateBucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
                            "Condition": {"Bool": {"aws:SecureTransport": false}}
                        }]
                    }
                }
            }
        },
        "Outputs": {
            "BucketName": {"Description": "Bucket for templates over 51,200 bytes", "Value": {"Ref": "TemplateBucket"}}
        }
    })
}

pub fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !b.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_bucket_is_private_encrypted_and_kept() {
        let s = bootstrap_stack("cairn-templates-123456789012-us-east-1").unwrap();
        let b = &s.template["Resources"]["TemplateBucket"];
        assert_eq!(b["DeletionPolicy"], "Retain");
        assert_eq!(b["Properties"]["BucketName"], "cairn-templates-123456789012-us-east-1");
        assert_eq!(b["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
        assert!(!s.needs_upload());
        assert!(
            crate::deploy::security::broadening(&crate::deploy::changes::template_diff(None, &s.template)).is_empty(),
            "a deny-only policy grants nothing"
        );
        assert!(valid_bucket_name("my-team.templates"));
        assert!(!valid_bucket_name("My_Bucket") && !valid_bucket_name("ab") && !valid_bucket_name("-x-"));
    }
}
