//! KMS: an environment's customer-managed key. Rotated yearly, kept when its stack
//! lets go of it, with a key policy that grows with its users: the account root
//! administers the key, and each service that encrypts with it for the environment
//! (CloudWatch Logs, alarms publishing to SNS, SQS, S3, DynamoDB, RDS, Secrets
//! Manager) may use it only through that service (`kms:ViaService`) or for the
//! environment's own log groups (encryption context). Grants (`grant_*` of the
//! encrypted constructs) add the `kms:Decrypt`/`kms:GenerateDataKey` a consumer
//! needs, on this key only.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use cairn_cfn::kms::{CfnAlias, CfnAliasProps, CfnKey, CfnKeyProps};
use cairn_cfn::Val;
use cairn_core::{Lazy, RemovalPolicy, ResourceRef, Result, Scope, Value};

use crate::iam::{policy_document, Grantable, PolicyStatement};

/// Props of a [`Key`].
#[derive(Debug, Clone)]
pub struct KeyProps {
    /// The alias. `None`: `alias/<app>-<env>`.
    pub alias: Option<String>,
    /// The key's description. `None`: `"<app> <env> environment key"`.
    pub description: Option<String>,
    /// Days KMS waits before deleting the key once it is scheduled for deletion (7 to 30).
    /// Default 30.
    pub pending_window_days: u32,
    /// Deletion/replacement policy. `None`: `Retain` in every environment: data written
    /// with the key (objects, old log events, snapshots, secret versions) stays readable
    /// only while the key exists.
    pub removal_policy: Option<RemovalPolicy>,
}

impl Default for KeyProps {
    fn default() -> Self {
        KeyProps {
            alias: None,
            description: None,
            pending_window_days: 30,
            removal_policy: None,
        }
    }
}

/// What uses the key; each use adds one key-policy statement (once).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyUse {
    /// CloudWatch Logs, for log groups whose ARN matches this pattern.
    Logs(Value),
    /// CloudWatch alarms publishing to an encrypted SNS topic.
    AlarmsToSns,
    /// A service, for the account's principals, through the service only.
    Service(KeyService),
}

/// A service that encrypts with the key on a principal's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum KeyService {
    Sqs,
    S3,
    DynamoDb,
    Rds,
    SecretsManager,
}

impl KeyService {
    fn prefix(self) -> &'static str {
        match self {
            KeyService::Sqs => "sqs",
            KeyService::S3 => "s3",
            KeyService::DynamoDb => "dynamodb",
            KeyService::Rds => "rds",
            KeyService::SecretsManager => "secretsmanager",
        }
    }

    fn sid(self) -> &'static str {
        match self {
            KeyService::Sqs => "UseThroughSqs",
            KeyService::S3 => "UseThroughS3",
            KeyService::DynamoDb => "UseThroughDynamoDb",
            KeyService::Rds => "UseThroughRds",
            KeyService::SecretsManager => "UseThroughSecretsManager",
        }
    }

    /// What the service calls for the principal (from each service's key-management docs).
    fn actions(self) -> &'static [&'static str] {
        match self {
            KeyService::Sqs | KeyService::S3 => &["kms:Decrypt", "kms:GenerateDataKey"],
            KeyService::DynamoDb | KeyService::Rds | KeyService::SecretsManager => &[
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
        }
    }

    /// `kms:ViaService` for the key's region.
    fn via(self) -> Value {
        Value::sub(format!("{}.${{AWS::Region}}.amazonaws.com", self.prefix()))
    }
}

/// Key administration for the account root (and through it, IAM administrators): every
/// action but using the key to encrypt or decrypt, which only the services get.
const ADMIN_ACTIONS: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
];

/// A customer-managed symmetric KMS key with rotation, an alias and a key policy that
/// allows exactly its users.
#[derive(Clone)]
pub struct Key {
    scope: Scope,
    key: CfnKey,
    alias: String,
    uses: Rc<RefCell<Vec<KeyUse>>>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("path", &self.scope.full_path())
            .field("alias", &self.alias)
            .finish()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.scope.full_path() == other.scope.full_path()
    }
}

impl Eq for Key {}

impl Key {
    /// Adds the key `id` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, props: KeyProps) -> Result<Key> {
        let scope = scope.into().child(id)?;
        let stack = scope.stack();
        let env = stack.env_settings().name;
        let app = stack.app().name();
        if !(7..=30).contains(&props.pending_window_days) {
            return Err(scope
                .error(format!("{} days is out of range", props.pending_window_days))
                .property("pending_window_days")
                .fix("use 7 to 30 days"));
        }
        let alias = props.alias.clone().unwrap_or_else(|| format!("alias/{app}-{env}"));
        let name = alias.strip_prefix("alias/").unwrap_or("");
        let valid = !name.is_empty()
            && alias.len() <= 256
            && !name.starts_with("aws/")
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c));
        if !valid {
            return Err(scope
                .error(format!("`{alias}` is not a usable key alias"))
                .property("alias")
                .fix("use alias/ followed by letters, digits, `/`, `_` or `-` (not alias/aws/…), or leave it unset"));
        }
        let uses: Rc<RefCell<Vec<KeyUse>>> = Rc::new(RefCell::new(Vec::new()));
        let read = uses.clone();
        let policy = Lazy::new(move || Ok(policy_document(&statements(&read.borrow()))));
        let key = CfnKey::new(
            &scope,
            "Resource",
            CfnKeyProps {
                description: Some(
                    props
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("{app} {env} environment key"))
                        .into(),
                ),
                enable_key_rotation: Some(true.into()),
                key_policy: Some(Val::from_value(policy.into())),
                pending_window_in_days: Some(props.pending_window_days.into()),
                ..Default::default()
            },
        )?;
        key.apply_removal_policy(props.removal_policy.unwrap_or(RemovalPolicy::Retain))?;
        CfnAlias::new(&scope, "Alias", CfnAliasProps::new(alias.as_str(), key.r#ref()))?;
        Ok(Key { scope, key, alias, uses })
    }

    /// The key's ARN (`Fn::GetAtt`).
    pub fn arn(&self) -> Value {
        self.key.arn()
    }

    /// The key's id (`Ref`).
    pub fn key_id(&self) -> Value {
        self.key.r#ref()
    }

    /// The alias (`alias/shop-prod`).
    pub fn alias_name(&self) -> &str {
        &self.alias
    }

    /// The `AWS::KMS::Key` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.key.resource_ref()
    }

    /// The underlying `AWS::KMS::Key`, for edits the props do not cover.
    pub fn cfn_key(&self) -> &CfnKey {
        &self.key
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The key must be in the environment of what uses it.
    pub(crate) fn check_user(&self, user: &Scope) -> Result<()> {
        if self.scope.stack().env_key() != user.stack().env_key() {
            let (mine, theirs) = (self.scope.stack().env_settings().name, user.stack().env_settings().name);
            return Err(user
                .error(format!(
                    "its key {} is in environment `{mine}`, not `{theirs}`",
                    self.scope.full_path()
                ))
                .property("encryption_key")
                .fix("give each environment its own key"));
        }
        Ok(())
    }

    /// Lets the key be used for `use_` (one statement per kind, log patterns merged).
    pub(crate) fn allow(&self, use_: KeyUse) {
        let mut uses = self.uses.borrow_mut();
        if !uses.contains(&use_) {
            uses.push(use_);
        }
    }

    /// Grants `actions` on this key to `grantee`, through `service` only.
    pub(crate) fn grant(&self, grantee: &dyn Grantable, actions: &[&str], service: KeyService) -> Result<()> {
        let role = grantee.grant_role();
        self.check_user(role.scope())?;
        let mut statement = PolicyStatement::allow(actions, vec![self.arn()]);
        statement.condition = Some(Value::map([("StringEquals", Value::map([("kms:ViaService", service.via())]))]));
        role.add_to_policy(statement)
    }
}

fn root() -> Value {
    Value::map([("AWS", Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"))])
}

fn statement(sid: &str, principal: Value, actions: &[&str], condition: Option<Value>) -> PolicyStatement {
    PolicyStatement {
        sid: Some(sid.to_string()),
        principal: Some(principal),
        condition,
        ..PolicyStatement::allow(actions, vec![Value::str("*")])
    }
}

/// The key policy for `uses`, in a fixed order (administration, logs, alarms, services).
fn statements(uses: &[KeyUse]) -> Vec<PolicyStatement> {
    let mut out = vec![statement("KeyAdministration", root(), ADMIN_ACTIONS, None)];
    let log_groups: Vec<Value> = uses
        .iter()
        .filter_map(|u| match u {
            KeyUse::Logs(pattern) => Some(pattern.clone()),
            _ => None,
        })
        .collect();
    if !log_groups.is_empty() {
        out.push(statement(
            "CloudWatchLogs",
            Value::map([("Service", Value::sub("logs.${AWS::Region}.amazonaws.com"))]),
            &[
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            Some(Value::map([(
                "ArnLike",
                Value::map([("kms:EncryptionContext:aws:logs:arn", Value::List(log_groups))]),
            )])),
        ));
    }
    if uses.contains(&KeyUse::AlarmsToSns) {
        out.push(statement(
            "CloudWatchAlarmsToSns",
            Value::map([("Service", "cloudwatch.amazonaws.com")]),
            &["kms:Decrypt", "kms:GenerateDataKey"],
            Some(Value::map([(
                "StringEquals",
                Value::map([("aws:SourceAccount", Value::sub("${AWS::AccountId}"))]),
            )])),
        ));
    }
    let mut services: Vec<KeyService> = uses
        .iter()
        .filter_map(|u| match u {
            KeyUse::Service(s) => Some(*s),
            _ => None,
        })
        .collect();
    services.sort();
    services.dedup();
    for s in services {
        out.push(statement(
            s.sid(),
            root(),
            s.actions(),
            Some(Value::map([(
                "StringEquals",
                Value::map([("kms:CallerAccount", Value::sub("${AWS::AccountId}")), ("kms:ViaService", s.via())]),
            )])),
        ));
    }
    out
}

/// The ARN pattern of log groups: `name` exactly, or every group CloudFormation names
/// after `stack` (`<stack>-<logical id>-<suffix>`).
pub(crate) fn log_group_pattern(name: Option<&str>, stack: &str) -> Value {
    let group = match name {
        Some(n) => n.to_string(),
        None => format!("{stack}-*"),
    };
    Value::sub(format!(
        "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}"
    ))
}
