//! S3 buckets: encrypted, never public, TLS-only, versioned (old versions expire); and
//! access-log buckets ([`Bucket::for_access_logs`]) that S3 server access logging and
//! load balancers deliver to.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use cairn_cfn::s3::bucket::{
    self as cfn_bucket, AbortIncompleteMultipartUpload, LifecycleConfiguration, LoggingConfiguration, NoncurrentVersionExpiration,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, Rule, SSEAlgorithm,
    ServerSideEncryptionByDefault, ServerSideEncryptionRule, VersioningConfiguration,
};
use cairn_cfn::s3::{CfnBucket, CfnBucketPolicy, CfnBucketPolicyProps, CfnBucketProps};
use cairn_cfn::Val;
use cairn_core::{Lazy, RemovalPolicy, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, policy_document, Grantable, PolicyStatement};
use crate::kms::{Key, KeyService, KeyUse};
use crate::removal;

#[cfg(test)]
mod tests;
mod validate;
use validate::{validate_bucket_name, validate_elb_log_prefix, validate_s3_log_prefix, S3_PREFIX_FIX};

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
    /// Server-side encryption.
    pub encryption: BucketEncryption,
    /// Object versioning. `None`: on, in every environment (a deleted or overwritten
    /// object can be restored; old versions expire, see `noncurrent_version_expiration_days`).
    pub versioned: Option<bool>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// Bucket that receives server access logs, with this key prefix (e.g. `uploads/`).
    /// A bucket from [`Bucket::for_access_logs`] gets the bucket-policy statement that
    /// lets S3 deliver there; any other target must allow `logging.s3.amazonaws.com`
    /// itself (its ACLs are disabled), or no logs arrive.
    pub server_access_logs: Option<(Bucket, String)>,
    /// Expire noncurrent object versions after this many days (with versioning). `None`: 30,
    /// so versioning costs little.
    pub noncurrent_version_expiration_days: Option<u32>,
    /// The environment's customer-managed key: SSE-KMS with it and an S3 Bucket Key (few
    /// KMS requests). Wins over `encryption`. Not for a bucket that receives load balancer
    /// access logs (those need SSE-S3). Changing it affects new objects only.
    pub encryption_key: Option<Key>,
}

/// Props of an access-log bucket ([`Bucket::for_access_logs`]).
#[derive(Debug, Clone)]
pub struct LogBucketProps {
    /// Days S3 keeps a log object before deleting it (e.g. the environment's log
    /// retention). Default 90.
    pub expiration_days: u32,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
}

impl Default for LogBucketProps {
    fn default() -> Self {
        LogBucketProps {
            expiration_days: 90,
            removal_policy: None,
        }
    }
}

/// Days a noncurrent log object stays after it expired (log buckets are versioned too):
/// long enough to notice a mistaken delete, short enough not to keep logs twice.
const LOG_NONCURRENT_DAYS: u32 = 7;
/// Days a data bucket keeps an overwritten or deleted object's old version by default.
const DEFAULT_NONCURRENT_DAYS: u32 = 30;
/// Days after which the parts of an unfinished multipart upload are removed.
const ABORT_INCOMPLETE_UPLOAD_DAYS: u32 = 7;

/// Elastic Load Balancing's log-delivery account per region, for regions launched before
/// August 2022 (AWS docs: "Enable access logs for your Application Load Balancer").
/// Newer regions accept the service principal [`ELB_LOG_DELIVERY_SERVICE`] instead.
const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
];

/// The principal that delivers load balancer access logs in regions launched since August 2022.
pub(crate) const ELB_LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// The principal S3 server access logging writes with.
pub(crate) const S3_LOGGING_SERVICE: &str = "logging.s3.amazonaws.com";

/// An S3 bucket with a TLS-only bucket policy and all public access blocked, or an
/// existing bucket another team owns ([`Bucket::from_name`]).
#[derive(Clone)]
pub struct Bucket {
    scope: Scope,
    origin: Origin,
}

/// Where a [`Bucket`] comes from.
#[derive(Clone)]
enum Origin {
    /// Created by this app: the bucket and its policy are resources of the template
    /// (boxed: typed handles are much larger than a name).
    Owned(Box<OwnedBucket>),
    /// An existing bucket known by name: nothing in the template, its policy is its owner's.
    Imported { name: String },
}

/// The resources of a bucket this app creates.
#[derive(Clone)]
struct OwnedBucket {
    bucket: CfnBucket,
    policy: CfnBucketPolicy,
    /// The statements of the bucket policy, in order: its document is rendered from them.
    statements: Rc<RefCell<Vec<PolicyStatement>>>,
    /// `Some` for an access-log bucket: the log-delivery statements added so far (by Sid).
    log_delivery: Option<Rc<RefCell<Vec<String>>>>,
    /// The customer-managed key objects are encrypted with.
    key: Option<Key>,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket").field("path", &self.scope.full_path()).finish()
    }
}

impl Bucket {
    /// Adds the bucket `id` under `scope`; fails on props S3 would refuse.
    pub fn new(scope: impl Into<Scope>, id: &str, props: BucketProps) -> Result<Bucket> {
        Self::build(scope.into().child(id)?, props, None)
    }

    /// An existing bucket that another team owns, by name: nothing is added to the
    /// template. Its ARN is `arn:${AWS::Partition}:s3:::<name>`, and the `grant_*`
    /// methods add the same least-privilege statements as for a bucket of this app to
    /// the grantee's policy; the bucket's own policy stays its owner's (a grant never
    /// edits it, and log delivery to it cannot be set up from here).
    pub fn from_name(scope: impl Into<Scope>, id: &str, bucket_name: &str) -> Result<Bucket> {
        let scope = scope.into().child(id)?;
        validate_bucket_name(bucket_name).map_err(|m| {
            scope
                .error(m)
                .property("bucket_name")
                .fix("use the existing bucket's name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit")
        })?;
        Ok(Bucket {
            scope,
            origin: Origin::Imported {
                name: bucket_name.to_string(),
            },
        })
    }

    /// Whether the bucket is an existing one from [`Bucket::from_name`].
    pub fn is_imported(&self) -> bool {
        matches!(self.origin, Origin::Imported { .. })
    }

    /// A bucket that receives access logs: S3 server access logs of other buckets
    /// ([`BucketProps::server_access_logs`]) and load balancer access logs. SSE-S3 (the
    /// only encryption load balancer log delivery supports), all public access blocked,
    /// TLS-only, ACLs disabled (`BucketOwnerEnforced`), logs deleted after
    /// `expiration_days`. Its bucket policy starts with the TLS-only statement; each log
    /// source adds a statement for exactly its prefix ([`Bucket::allow_server_access_logs`],
    /// [`Bucket::allow_load_balancer_logs`], called by the constructs that log here). It
    /// does not log its own access (that would only log the logging; the S3-LOGGING check
    /// exempts buckets that receive logs).
    pub fn for_access_logs(scope: impl Into<Scope>, id: &str, props: LogBucketProps) -> Result<Bucket> {
        let scope = scope.into().child(id)?;
        if !(1..=36500).contains(&props.expiration_days) {
            return Err(scope
                .error(format!("log expiration of {} days is out of range", props.expiration_days))
                .property("expiration_days")
                .fix("use 1 to 36500 days, e.g. the environment's log retention"));
        }
        let bucket_props = BucketProps {
            encryption: BucketEncryption::S3Managed,
            removal_policy: props.removal_policy,
            ..Default::default()
        };
        Self::build(scope, bucket_props, Some(props.expiration_days))
    }

    fn build(scope: Scope, props: BucketProps, log_expiration_days: Option<u32>) -> Result<Bucket> {
        if let Some(name) = &props.bucket_name {
            validate_bucket_name(name).map_err(|m| {
                scope
                    .error(m)
                    .property("bucket_name")
                    .fix("use 3-63 lowercase letters, digits, dots and hyphens, or leave it unset")
            })?;
        }
        let versioned = props.versioned.unwrap_or(true);
        let sse_algorithm = match (&props.encryption_key, props.encryption) {
            (Some(_), _) | (None, BucketEncryption::KmsManaged) => SSEAlgorithm::AwsKms,
            (None, BucketEncryption::S3Managed) => SSEAlgorithm::Aes256,
        };
        // Access-log buckets (`for_access_logs`) never get a key: load balancers deliver
        // logs only to SSE-S3 buckets.
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::Service(KeyService::S3));
        }
        let encryption_rule = ServerSideEncryptionRule {
            server_side_encryption_by_default: Some(
                ServerSideEncryptionByDefault {
                    kms_master_key_id: props.encryption_key.as_ref().map(|k| k.arn().into()),
                    ..ServerSideEncryptionByDefault::new(sse_algorithm)
                }
                .into(),
            ),
            bucket_key_enabled: Some((sse_algorithm == SSEAlgorithm::AwsKms).into()),
            ..Default::default()
        };
        let mut rules: Vec<Rule> = Vec::new();
        if let Some(days) = log_expiration_days {
            rules.push(Rule {
                id: Some("ExpireLogs".into()),
                expiration_in_days: Some(days.into()),
                noncurrent_version_expiration: versioned.then(|| NoncurrentVersionExpiration::new(LOG_NONCURRENT_DAYS).into()),
                ..Rule::new(cfn_bucket::Status3::Enabled)
            });
        }
        if versioned && log_expiration_days.is_none() {
            let days = props.noncurrent_version_expiration_days.unwrap_or(DEFAULT_NONCURRENT_DAYS);
            rules.push(Rule {
                id: Some("ExpireNoncurrentVersions".into()),
                noncurrent_version_expiration: Some(NoncurrentVersionExpiration::new(days).into()),
                ..Rule::new(cfn_bucket::Status3::Enabled)
            });
        }
        // Parts of uploads that never completed are billed until removed.
        rules.push(Rule {
            id: Some("AbortIncompleteUploads".into()),
            abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload::new(ABORT_INCOMPLETE_UPLOAD_DAYS).into()),
            ..Rule::new(cfn_bucket::Status3::Enabled)
        });
        let logging_configuration = match &props.server_access_logs {
            Some((target, prefix)) => {
                if target.scope.stack().env_key() != scope.stack().env_key() {
                    return Err(scope
                        .error(format!(
                            "{} is in environment `{}`",
                            target.scope.path(),
                            target.scope.env_settings().name
                        ))
                        .property("server_access_logs")
                        .fix("send the logs to an access-log bucket of the same environment (Bucket::for_access_logs)"));
                }
                validate_s3_log_prefix(prefix).map_err(|m| scope.error(m).property("server_access_logs").fix(S3_PREFIX_FIX))?;
                // With ACLs disabled, S3 delivers only what the target's bucket policy allows:
                // a log bucket gets the statement here; any other target must allow it itself.
                if target.is_log_bucket() {
                    target.allow_server_access_logs(prefix)?;
                }
                Some(
                    LoggingConfiguration {
                        destination_bucket_name: Some(target.name().into()),
                        log_file_prefix: Some(prefix.as_str().into()),
                        ..Default::default()
                    }
                    .into(),
                )
            }
            None => None,
        };
        let bucket = CfnBucket::new(
            &scope,
            "Resource",
            CfnBucketProps {
                bucket_name: props.bucket_name.clone().map(Into::into),
                bucket_encryption: Some(cfn_bucket::BucketEncryption::new(vec![encryption_rule]).into()),
                public_access_block_configuration: Some(
                    PublicAccessBlockConfiguration {
                        block_public_acls: Some(true.into()),
                        block_public_policy: Some(true.into()),
                        ignore_public_acls: Some(true.into()),
                        restrict_public_buckets: Some(true.into()),
                    }
                    .into(),
                ),
                ownership_controls: Some(
                    OwnershipControls::new(vec![OwnershipControlsRule {
                        object_ownership: Some(ObjectOwnership::BucketOwnerEnforced.into()),
                    }])
                    .into(),
                ),
                versioning_configuration: versioned.then(|| VersioningConfiguration::new(cfn_bucket::Status2::Enabled).into()),
                lifecycle_configuration: (!rules.is_empty()).then(|| LifecycleConfiguration::new(rules).into()),
                logging_configuration,
                ..Default::default()
            },
        )?;
        bucket.apply_removal_policy(props.removal_policy.unwrap_or_else(|| removal::for_data(&scope)))?;
        let tls_only = PolicyStatement::deny_insecure_transport(&["s3:*"], vec![bucket.arn(), object_arns(&bucket)]);
        // The document is read at synthesis: log-delivery statements added later are in it.
        let statements = Rc::new(RefCell::new(vec![tls_only]));
        let granted = statements.clone();
        let document = Lazy::new(move || Ok(policy_document(&granted.borrow())));
        let policy = CfnBucketPolicy::new(
            &scope,
            "Policy",
            CfnBucketPolicyProps::new(bucket.r#ref(), Val::from_value(document.into())),
        )?;
        Ok(Bucket {
            scope,
            origin: Origin::Owned(Box::new(OwnedBucket {
                bucket,
                policy,
                statements,
                log_delivery: log_expiration_days.map(|_| Rc::new(RefCell::new(Vec::new()))),
                key: props.encryption_key.clone(),
            })),
        })
    }

    /// Whether this is an access-log bucket ([`Bucket::for_access_logs`]).
    pub fn is_log_bucket(&self) -> bool {
        matches!(&self.origin, Origin::Owned(owned) if owned.log_delivery.is_some())
    }

    /// Lets S3 server access logging of this account write under `prefix` (e.g.
    /// `uploads/`). Called by [`Bucket::new`] for [`BucketProps::server_access_logs`].
    pub fn allow_server_access_logs(&self, prefix: &str) -> Result<()> {
        validate_s3_log_prefix(prefix).map_err(|m| self.scope.error(m).property("server_access_logs").fix(S3_PREFIX_FIX))?;
        let statement = PolicyStatement {
            principal: Some(Value::map([("Service", S3_LOGGING_SERVICE)])),
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([("aws:SourceAccount", Value::account_id())]),
            )])),
            ..PolicyStatement::allow(&["s3:PutObject"], vec![self.objects_under(&format!("/{prefix}*"))])
        };
        self.add_log_delivery("S3ServerAccessLogs", statement)
    }

    /// Lets Elastic Load Balancing deliver access logs of this account's load balancers
    /// to `<bucket arn>/<prefix>/AWSLogs/<account>/*`. The principal depends on the
    /// environment's region: the regional ELB account where one exists (regions launched
    /// before August 2022), the log-delivery service principal elsewhere. Called by
    /// `LoadBalancedFargateService` for its `access_logs`.
    pub fn allow_load_balancer_logs(&self, prefix: &str) -> Result<()> {
        validate_elb_log_prefix(prefix).map_err(|m| {
            self.scope
                .error(m)
                .property("access_logs")
                .fix("use a prefix such as \"web\": letters, digits, `-`, `_`, `.` and inner `/`, without \"AWSLogs\"")
        })?;
        let path = if prefix.is_empty() { String::new() } else { format!("/{prefix}") };
        let resource = self.objects_under(&format!("{path}/AWSLogs/${{AWS::AccountId}}/*"));
        let principal = match elb_account(&self.scope.env_settings().region) {
            Some(account) => Value::map([("AWS", Value::sub(format!("arn:${{AWS::Partition}}:iam::{account}:root")))]),
            None => Value::map([("Service", ELB_LOG_DELIVERY_SERVICE)]),
        };
        let statement = PolicyStatement {
            principal: Some(principal),
            ..PolicyStatement::allow(&["s3:PutObject"], vec![resource])
        };
        self.add_log_delivery("LoadBalancerAccessLogs", statement)
    }

    /// `<bucket arn><suffix>`; the suffix may use `${AWS::AccountId}` and the like.
    fn objects_under(&self, suffix: &str) -> Value {
        let suffix = if suffix.contains("${") {
            Value::sub(suffix)
        } else {
            Value::str(suffix)
        };
        Value::join("", [self.arn(), suffix])
    }

    /// Appends a log-delivery statement to the bucket policy, once per distinct statement.
    fn add_log_delivery(&self, sid: &str, mut statement: PolicyStatement) -> Result<()> {
        let (owned, added) = match &self.origin {
            Origin::Owned(owned) => match &owned.log_delivery {
                Some(added) => (owned, added),
                None => {
                    return Err(self
                        .scope
                        .error("this bucket is not an access-log bucket")
                        .fix("create the bucket that receives logs with Bucket::for_access_logs"))
                }
            },
            Origin::Imported { name } => {
                return Err(self
                    .scope
                    .error(format!("`{name}` is an existing bucket: its bucket policy belongs to its owner"))
                    .fix("ask the bucket's owner to allow the log delivery, or send the logs to a Bucket::for_access_logs of this app"))
            }
        };
        let key = format!("{sid} {:?}", statement.to_value());
        let mut added = added.borrow_mut();
        if added.contains(&key) {
            return Ok(());
        }
        // Sids are unique within the policy: the second load balancer gets `…2`.
        let same_kind = added.iter().filter(|k| k.starts_with(&format!("{sid} "))).count();
        statement.sid = Some(if same_kind == 0 {
            sid.to_string()
        } else {
            format!("{sid}{}", same_kind + 1)
        });
        added.push(key);
        owned.statements.borrow_mut().push(statement);
        Ok(())
    }

    /// The bucket's ARN (`GetAtt Arn`; for an existing bucket `arn:${AWS::Partition}:s3:::<name>`).
    pub fn arn(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.bucket.arn(),
            Origin::Imported { name } => Value::sub(format!("arn:${{AWS::Partition}}:s3:::{name}")),
        }
    }

    /// The bucket's name (`Ref`; for an existing bucket the name given).
    pub fn name(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.bucket.r#ref(),
            Origin::Imported { name } => Value::str(name.as_str()),
        }
    }

    /// The bucket's regional domain name (`Fn::GetAtt`).
    pub fn regional_domain_name(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.bucket.regional_domain_name(),
            Origin::Imported { name } => Value::sub(format!("{name}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}")),
        }
    }

    /// The `AWS::S3::Bucket` resource, for escape hatches ([`cairn_core::Stack::add_override`]).
    /// An existing bucket ([`Bucket::from_name`]) has none: that is an error.
    pub fn resource(&self) -> Result<&ResourceRef> {
        self.cfn_bucket().map(|b| b.resource_ref())
    }

    /// The typed `AWS::S3::Bucket`, for edits the props do not cover
    /// (`bucket.cfn_bucket()?.set(CfnBucket::OBJECT_LOCK_ENABLED, true)`). An existing
    /// bucket ([`Bucket::from_name`]) has none: that is an error.
    pub fn cfn_bucket(&self) -> Result<&CfnBucket> {
        match &self.origin {
            Origin::Owned(owned) => Ok(&owned.bucket),
            Origin::Imported { name } => Err(crate::imported::no_resource(&self.scope, "bucket", name)),
        }
    }

    /// The typed `AWS::S3::BucketPolicy`, for edits. Its `PolicyDocument` is computed at
    /// synthesis from the statements, log delivery included ([`Bucket::allow_server_access_logs`],
    /// [`Bucket::allow_load_balancer_logs`]). An existing bucket has none: that is an error.
    pub fn cfn_bucket_policy(&self) -> Result<&CfnBucketPolicy> {
        match &self.origin {
            Origin::Owned(owned) => Ok(&owned.policy),
            Origin::Imported { name } => Err(crate::imported::no_resource(&self.scope, "bucket", name)),
        }
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Read objects and list the bucket.
    pub fn grant_read(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(&self.scope, grantee, &["s3:ListBucket"], vec![self.arn()])?;
        grant(
            &self.scope,
            grantee,
            &["s3:GetObject", "s3:GetObjectVersion"],
            vec![self.object_arns()],
        )?;
        self.grant_key(grantee, &["kms:Decrypt"])
    }

    /// Write and delete objects.
    pub fn grant_write(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            vec![self.object_arns()],
        )?;
        // Multipart uploads decrypt the parts they assemble.
        self.grant_key(grantee, &["kms:Decrypt", "kms:GenerateDataKey"])
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
            vec![self.object_arns()],
        )?;
        self.grant_key(grantee, &["kms:Decrypt", "kms:GenerateDataKey"])
    }

    /// With a customer-managed key, what S3 calls on it for the grantee.
    fn grant_key(&self, grantee: &dyn Grantable, actions: &[&str]) -> Result<()> {
        match &self.origin {
            Origin::Owned(owned) => match &owned.key {
                Some(key) => key.grant(grantee, actions, KeyService::S3),
                None => Ok(()),
            },
            Origin::Imported { .. } => Ok(()),
        }
    }
}

impl Bucket {
    /// `<bucket arn>/*`: the only wildcard grants use, for the bucket's objects.
    fn object_arns(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => object_arns(&owned.bucket),
            Origin::Imported { name } => Value::sub(format!("arn:${{AWS::Partition}}:s3:::{name}/*")),
        }
    }
}

/// `<bucket arn>/*` of a bucket of this app.
fn object_arns(bucket: &CfnBucket) -> Value {
    Value::join("", [bucket.arn(), Value::str("/*")])
}

/// The regional ELB log-delivery account, for regions launched before August 2022.
pub(crate) fn elb_account(region: &str) -> Option<&'static str> {
    ELB_ACCOUNTS.iter().find(|(r, _)| *r == region).map(|(_, a)| *a)
}
