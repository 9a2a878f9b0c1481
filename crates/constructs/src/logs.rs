//! CloudWatch Logs log groups: always with a retention period, kept where the
//! environment keeps data.

use cairn_cfn::logs::{CfnLogGroup, CfnLogGroupProps};
use cairn_core::config::LogRetentionDays;
use cairn_core::{RemovalPolicy, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, Grantable};
use crate::kms::{log_group_pattern, Key, KeyUse};
use crate::removal;

/// Props of a [`LogGroup`].
#[derive(Debug, Clone)]
pub struct LogGroupProps {
    /// Days CloudWatch keeps the events; one of the values CloudWatch accepts
    /// (1, 3, 5, 7, 14, 30, 60, 90, …, 3653). Never "forever" by default. Default 30.
    pub retention_days: u32,
    /// Physical name. `None` (recommended) lets CloudFormation generate one.
    pub log_group_name: Option<String>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// The environment's customer-managed key to encrypt the events with (its policy
    /// then lets CloudWatch Logs use it for this group). `None`: CloudWatch Logs' own key.
    pub encryption_key: Option<Key>,
}

impl Default for LogGroupProps {
    fn default() -> Self {
        LogGroupProps {
            retention_days: 30,
            log_group_name: None,
            removal_policy: None,
            encryption_key: None,
        }
    }
}

/// A log group with a retention period.
#[derive(Clone)]
pub struct LogGroup {
    scope: Scope,
    group: CfnLogGroup,
}

impl LogGroup {
    /// Adds the log group `id` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, props: LogGroupProps) -> Result<LogGroup> {
        let scope = scope.into().child(id)?;
        let retention = LogRetentionDays::new(props.retention_days).map_err(|m| {
            scope
                .error(m)
                .property("retention_days")
                .fix("use a retention CloudWatch Logs accepts, e.g. 14, 30 or 90")
        })?;
        if let Some(name) = &props.log_group_name {
            let ok = (1..=512).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c));
            if !ok {
                return Err(scope
                    .error(format!("`{name}` is not a valid log group name"))
                    .property("log_group_name")
                    .fix("use 1-512 letters, digits and `_-/.#`, or leave it unset"));
            }
        }
        let policy = props.removal_policy.unwrap_or_else(|| removal::for_data(&scope));
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::Logs(log_group_pattern(
                props.log_group_name.as_deref(),
                &scope.stack().name(),
            )));
        }
        let group = CfnLogGroup::new(
            &scope,
            "Resource",
            CfnLogGroupProps {
                log_group_name: props.log_group_name.clone().map(Into::into),
                retention_in_days: Some(retention.days().into()),
                kms_key_id: props.encryption_key.as_ref().map(|k| k.arn().into()),
                ..Default::default()
            },
        )?;
        group.apply_removal_policy(policy)?;
        Ok(LogGroup { scope, group })
    }

    /// The log group's ARN (`arn:…:log-group:<name>:*`, as CloudFormation returns it).
    pub fn arn(&self) -> Value {
        self.group.arn()
    }

    /// The log group's name (`Ref`).
    pub fn name(&self) -> Value {
        self.group.r#ref()
    }

    /// The `AWS::Logs::LogGroup` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.group.resource_ref()
    }

    /// The underlying `AWS::Logs::LogGroup`, for edits the props do not cover
    /// (`cfn_log_group().set(CfnLogGroup::KMS_KEY_ID, ..)`).
    pub fn cfn_log_group(&self) -> &CfnLogGroup {
        &self.group
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Create streams in and write events to this group.
    pub fn grant_write(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![self.arn()],
        )
    }
}
