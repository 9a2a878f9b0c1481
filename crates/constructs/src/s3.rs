//! S3 buckets: encrypted, never public, TLS-only, versioned where data is kept.

use cairn_core::{RemovalPolicy, Resource, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, Grantable, PolicyStatement};
use crate::removal;

/// Server-side encryption of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BucketEncryption {
    /// SSE-S3 (AES-256, keys managed by S3).
    #[default]
    S3Managed,
    /// SSE-KMS with the AWS-managed `aws/s3` key.
    KmsManaged,
}

/// Props of a [`Bucket`].
#[derive(Clone, Default)]
pub struct BucketProps {
    /// Physical name. `None` (recommended) lets CloudFormation generate one, so the
    /// bucket can be replaced and environments never collide.
    pub bucket_name: Option<String>,
    pub encryption: BucketEncryption,
    /// Object versioning. `None`: on where the environment keeps data.
    pub versioned: Option<bool>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// Bucket that receives server access logs, with this key prefix.
    pub server_access_logs: Option<(Bucket, String)>,
    /// Expire noncurrent object versions after this many days (with versioning).
    pub noncurrent_version_expiration_days: Option<u32>,
}

/// An S3 bucket with a TLS-only bucket policy and all public access blocked.
#[derive(Clone)]
pub struct Bucket {
    scope: Scope,
    bucket: ResourceRef,
}

impl Bucket {
    pub fn new(scope: impl Into<Scope>, id: &str, props: BucketProps) -> Result<Bucket> {
        let scope = scope.into().child(id)?;
        if let Some(name) = &props.bucket_name {
            validate_bucket_name(name).map_err(|m| {
                scope
                    .error(m)
                    .property("bucket_name")
                    .fix("use 3-63 lowercase letters, digits, dots and hyphens, or leave it unset")
            })?;
        }
        let versioned = props.versioned.unwrap_or(scope.env_settings().retain_data);
        let sse = match props.encryption {
            BucketEncryption::S3Managed => Value::map([("SSEAlgorithm", "AES256")]),
            BucketEncryption::KmsManaged => Value::map([("SSEAlgorithm", "aws:kms")]),
        };
        let mut resource = Resource::new("AWS::S3::Bucket")
            .prop_opt("BucketName", props.bucket_name.clone())
            .prop(
                "BucketEncryption",
                Value::map([(
                    "ServerSideEncryptionConfiguration",
                    Value::list([Value::map([
                        ("ServerSideEncryptionByDefault", sse),
                        ("BucketKeyEnabled", Value::Bool(props.encryption == BucketEncryption::KmsManaged)),
                    ])]),
                )]),
            )
            .prop(
                "PublicAccessBlockConfiguration",
                Value::map([
                    ("BlockPublicAcls", true),
                    ("BlockPublicPolicy", true),
                    ("IgnorePublicAcls", true),
                    ("RestrictPublicBuckets", true),
                ]),
            )
            .prop(
                "OwnershipControls",
                Value::map([("Rules", Value::list([Value::map([("ObjectOwnership", "BucketOwnerEnforced")])]))]),
            );
        if versioned {
            resource = resource.prop("VersioningConfiguration", Value::map([("Status", "Enabled")]));
            if let Some(days) = props.noncurrent_version_expiration_days {
                resource = resource.prop(
                    "LifecycleConfiguration",
                    Value::map([(
                        "Rules",
                        Value::list([Value::map([
                            ("Id", Value::str("ExpireNoncurrentVersions")),
                            ("Status", Value::str("Enabled")),
                            ("NoncurrentVersionExpiration", Value::map([("NoncurrentDays", days)])),
                        ])]),
                    )]),
                );
            }
        }
        if let Some((target, prefix)) = &props.server_access_logs {
            resource = resource.prop(
                "LoggingConfiguration",
                Value::map([
                    ("DestinationBucketName", target.name()),
                    ("LogFilePrefix", Value::str(prefix.as_str())),
                ]),
            );
        }
        let resource = resource.removal_policy(props.removal_policy.unwrap_or_else(|| removal::for_data(&scope)));
        let bucket = scope.add_resource("Resource", resource)?;
        let tls_only = PolicyStatement::deny_insecure_transport(&["s3:*"], vec![bucket.get_att("Arn"), object_arns(&bucket)]);
        scope.add_resource(
            "Policy",
            Resource::new("AWS::S3::BucketPolicy")
                .prop("Bucket", bucket.as_ref())
                .prop("PolicyDocument", crate::iam::policy_document(&[tls_only])),
        )?;
        Ok(Bucket { scope, bucket })
    }

    pub fn arn(&self) -> Value {
        self.bucket.get_att("Arn")
    }

    /// The bucket's name (`Ref`).
    pub fn name(&self) -> Value {
        self.bucket.as_ref()
    }

    pub fn regional_domain_name(&self) -> Value {
        self.bucket.get_att("RegionalDomainName")
    }

    pub fn resource(&self) -> &ResourceRef {
        &self.bucket
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Suppresses a policy-check rule on this bucket and its children, with a written
    /// reason reviewers see in the manifest and the `check` report.
    pub fn suppress(&self, rule: &str, reason: &str) -> Result<()> {
        self.scope.suppress(rule, reason)
    }

    /// Read objects and list the bucket.
    pub fn grant_read(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(&self.scope, grantee, &["s3:ListBucket"], vec![self.arn()])?;
        grant(
            &self.scope,
            grantee,
            &["s3:GetObject", "s3:GetObjectVersion"],
            vec![object_arns(&self.bucket)],
        )
    }

    /// Write and delete objects.
    pub fn grant_write(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            vec![object_arns(&self.bucket)],
        )
    }

    /// Read, list, write and delete objects.
    pub fn grant_read_write(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(&self.scope, grantee, &["s3:ListBucket"], vec![self.arn()])?;
        grant(
            &self.scope,
            grantee,
            &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            vec![object_arns(&self.bucket)],
        )
    }
}

/// `<bucket arn>/*`: the only wildcard grants use, for the bucket's objects.
fn object_arns(bucket: &ResourceRef) -> Value {
    Value::join("", [bucket.get_att("Arn"), Value::str("/*")])
}

fn validate_bucket_name(name: &str) -> std::result::Result<(), String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid bucket name"))
    }
}
