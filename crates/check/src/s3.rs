//! S3 buckets: encryption, public access, TLS-only policy, versioning, access logs.

use serde_json::Value as Json;

use crate::model::{attribute, denies_insecure_transport, is_true, items, statements, Cx, Res};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const ENCRYPTION: Rule = Rule {
    id: "S3-ENCRYPTION",
    title: "S3 buckets are encrypted at rest",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set BucketEncryption with SSE-S3 (AES256) or SSE-KMS (aws:kms); cairn's Bucket does by default",
};
pub(crate) const PUBLIC_ACCESS: Rule = Rule {
    id: "S3-PUBLIC-ACCESS",
    title: "S3 buckets block all public access",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set all four PublicAccessBlockConfiguration flags to true; cairn's Bucket does",
};
pub(crate) const TLS_ONLY: Rule = Rule {
    id: "S3-TLS-ONLY",
    title: "S3 buckets deny requests without TLS",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "add a bucket policy statement denying s3:* when aws:SecureTransport is false; cairn's Bucket does",
};
pub(crate) const VERSIONING: Rule = Rule {
    id: "S3-VERSIONING",
    title: "S3 buckets are versioned",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "enable VersioningConfiguration (cairn's Bucket does unless BucketProps::versioned is Some(false))",
};
pub(crate) const NONCURRENT_EXPIRATION: Rule = Rule {
    id: "S3-NONCURRENT-EXPIRATION",
    title: "Versioned S3 buckets expire old versions",
    severity: Severity::Warning,
    applies_to: AppliesTo::Always,
    fix: "add an enabled lifecycle rule with NoncurrentVersionExpiration (BucketProps::noncurrent_version_expiration_days; cairn's Bucket sets 30 days by default)",
};
pub(crate) const LOGGING: Rule = Rule {
    id: "S3-LOGGING",
    title: "S3 buckets write server access logs",
    severity: Severity::Warning,
    applies_to: AppliesTo::Always,
    fix: "set BucketProps::server_access_logs to a log bucket (a bucket that receives access logs is exempt)",
};

pub(crate) const RULES: &[Rule] = &[ENCRYPTION, PUBLIC_ACCESS, TLS_ONLY, VERSIONING, NONCURRENT_EXPIRATION, LOGGING];

const SSE_ALGORITHMS: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for b in cx.of_type("AWS::S3::Bucket") {
        let sse: Vec<&Json> = items(b.prop("BucketEncryption").and_then(|e| e.get("ServerSideEncryptionConfiguration")));
        let encrypted = !sse.is_empty()
            && sse.iter().all(|c| {
                c.pointer("/ServerSideEncryptionByDefault/SSEAlgorithm")
                    .and_then(Json::as_str)
                    .is_some_and(|a| SSE_ALGORITHMS.contains(&a))
            });
        if !encrypted {
            out.add(&ENCRYPTION, b, "bucket has no default server-side encryption");
        }

        let block = b.prop("PublicAccessBlockConfiguration");
        let missing: Vec<&str> = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"]
            .into_iter()
            .filter(|flag| !is_true(block.and_then(|x| x.get(*flag))))
            .collect();
        if !missing.is_empty() {
            out.add(
                &PUBLIC_ACCESS,
                b,
                format!("public access is not fully blocked: {} not true", missing.join(", ")),
            );
        }

        let tls = cx.of_type("AWS::S3::BucketPolicy").any(|p| {
            p.prop("Bucket").is_some_and(|v| cx.points_to(p.stack, v, b))
                && statements(p.prop("PolicyDocument")).into_iter().any(denies_insecure_transport)
        });
        if !tls {
            out.add(
                &TLS_ONLY,
                b,
                "no bucket policy denies requests without TLS (aws:SecureTransport false)",
            );
        }

        let versioned = b
            .prop("VersioningConfiguration")
            .and_then(|v| v.get("Status"))
            .and_then(Json::as_str)
            == Some("Enabled");
        if !versioned {
            out.add(&VERSIONING, b, "versioning is not enabled");
        } else if !expires_old_versions(b.prop("LifecycleConfiguration")) {
            out.add(
                &NONCURRENT_EXPIRATION,
                b,
                "versioned, but no enabled lifecycle rule expires noncurrent versions: every overwrite and delete is kept, and billed, forever",
            );
        }

        let logs = b
            .prop("LoggingConfiguration")
            .is_some_and(|l| l.get("DestinationBucketName").is_some());
        if !logs && !receives_logs(cx, b) {
            out.add(&LOGGING, b, "server access logging is off");
        }
    }
}

fn expires_old_versions(lifecycle: Option<&Json>) -> bool {
    items(lifecycle.and_then(|l| l.get("Rules"))).iter().any(|rule| {
        rule.get("Status").and_then(Json::as_str) == Some("Enabled")
            && (rule.get("NoncurrentVersionExpiration").is_some() || rule.get("NoncurrentVersionExpirationInDays").is_some())
    })
}

/// A bucket that other resources write logs to (S3 access logs, load balancer
/// access logs, flow logs) need not log its own access: that would only log the logging.
fn receives_logs(cx: &Cx, bucket: &Res) -> bool {
    let from_buckets = cx.of_type("AWS::S3::Bucket").any(|other| {
        other
            .prop("LoggingConfiguration")
            .and_then(|l| l.get("DestinationBucketName"))
            .is_some_and(|v| !other.is(bucket) && cx.points_to(other.stack, v, bucket))
    });
    let from_lbs = cx
        .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
        .any(|lb| attribute(lb.prop("LoadBalancerAttributes"), "access_logs.s3.bucket").is_some_and(|v| cx.points_to(lb.stack, v, bucket)));
    let from_flow_logs = cx.of_type("AWS::EC2::FlowLog").any(|f| {
        f.prop("LogDestination")
            .is_some_and(|v| cx.points_to(f.stack, v, bucket) || v.get("Fn::Join").is_some_and(|j| join_refers_to(cx, f, j, bucket)))
    });
    from_buckets || from_lbs || from_flow_logs
}

/// Whether a `Fn::Join` (e.g. `<bucket arn>/prefix`) contains a reference to `target`.
fn join_refers_to(cx: &Cx, from: &Res, join: &Json, target: &Res) -> bool {
    join.get(1)
        .and_then(Json::as_array)
        .is_some_and(|parts| parts.iter().any(|p| cx.points_to(from.stack, p, target)))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    /// What cairn's Bucket synthesizes where data is kept, with access logs to `Logs`.
    fn bucket(props: impl FnOnce(&mut Json)) -> Vec<(&'static str, Json)> {
        let mut p = json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "uploads/"}
        });
        props(&mut p);
        let logs = json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": "true"},
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "ExpirationInDays": 90, "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]}
        });
        let tls = |b: &str| json!({"Bucket": {"Ref": b}, "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": [{"Fn::GetAtt": [b, "Arn"]}], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}});
        vec![
            ("Uploads", r("AWS::S3::Bucket", "data/Uploads/Resource", p)),
            ("UploadsPolicy", r("AWS::S3::BucketPolicy", "data/Uploads/Policy", tls("Uploads"))),
            ("Logs", r("AWS::S3::Bucket", "data/Logs/Resource", logs)),
            ("LogsPolicy", r("AWS::S3::BucketPolicy", "data/Logs/Policy", tls("Logs"))),
        ]
    }

    #[test]
    fn compliant_buckets_pass_every_rule() {
        assert_eq!(all(&check(true, bucket(|_| {}))), Vec::<String>::new());
        assert_eq!(all(&check(false, bucket(|_| {}))), Vec::<String>::new());
    }

    #[test]
    fn unencrypted_bucket() {
        let report = check(false, bucket(|p| p["BucketEncryption"] = json!(null)));
        assert_eq!(hits(&report, "S3-ENCRYPTION"), ["data/Uploads/Resource"]);
        let report = check(
            false,
            bucket(|p| {
                p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] =
                    json!("none")
            }),
        );
        assert_eq!(hits(&report, "S3-ENCRYPTION"), ["data/Uploads/Resource"]);
    }

    #[test]
    fn partly_public_bucket() {
        let report = check(
            false,
            bucket(|p| p["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = json!(false)),
        );
        assert_eq!(hits(&report, "S3-PUBLIC-ACCESS"), ["data/Uploads/Resource"]);
        assert!(report.findings[0].message.contains("RestrictPublicBuckets"));
        let report = check(
            false,
            bucket(|p| p.as_object_mut().unwrap().retain(|k, _| k != "PublicAccessBlockConfiguration")),
        );
        assert_eq!(hits(&report, "S3-PUBLIC-ACCESS"), ["data/Uploads/Resource"]);
    }

    #[test]
    fn bucket_without_tls_policy() {
        let mut resources = bucket(|_| {});
        resources.remove(1);
        assert_eq!(hits(&check(false, resources), "S3-TLS-ONLY"), ["data/Uploads/Resource"]);
        // A policy that allows instead of denying does not count.
        let mut resources = bucket(|_| {});
        resources[1].1["Properties"]["PolicyDocument"]["Statement"][0]["Effect"] = json!("Allow");
        assert_eq!(hits(&check(false, resources), "S3-TLS-ONLY"), ["data/Uploads/Resource"]);
    }

    #[test]
    fn an_unversioned_bucket_is_an_error_in_every_environment() {
        let unversioned = || bucket(|p| p.as_object_mut().unwrap().retain(|k, _| k != "VersioningConfiguration"));
        assert_eq!(hits(&check(true, unversioned()), "S3-VERSIONING"), ["data/Uploads/Resource"]);
        assert_eq!(hits(&check(false, unversioned()), "S3-VERSIONING"), ["data/Uploads/Resource"]);
    }

    #[test]
    fn a_versioned_bucket_that_keeps_old_versions_forever_is_a_warning() {
        let report = check(
            false,
            bucket(|p| p["LifecycleConfiguration"] = json!({"Rules": [{"Status": "Enabled", "ExpirationInDays": 30}]})),
        );
        assert_eq!(hits(&report, "S3-NONCURRENT-EXPIRATION"), ["data/Uploads/Resource"]);
        let disabled = json!({"Rules": [{"Status": "Disabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]});
        assert_eq!(
            hits(
                &check(false, bucket(|p| p["LifecycleConfiguration"] = disabled.clone())),
                "S3-NONCURRENT-EXPIRATION"
            ),
            ["data/Uploads/Resource"]
        );
        let enabled = json!({"Rules": [{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]});
        assert!(hits(
            &check(false, bucket(|p| p["LifecycleConfiguration"] = enabled.clone())),
            "S3-NONCURRENT-EXPIRATION"
        )
        .is_empty());
    }

    #[test]
    fn bucket_without_access_logs_is_a_warning_unless_it_receives_logs() {
        let report = check(false, bucket(|p| p["LoggingConfiguration"] = json!(null)));
        // Uploads no longer logs, so Logs no longer receives logs either.
        assert_eq!(hits(&report, "S3-LOGGING"), ["data/Logs/Resource", "data/Uploads/Resource"]);
        assert_eq!(report.errors(), 0);
        assert_eq!(report.warnings(), 2);
    }
}
