//! RDS PostgreSQL: a [`Database`] in isolated subnets, encrypted, never public,
//! with its master password generated and kept by Secrets Manager (the template holds
//! only a `{{resolve:secretsmanager:…}}` reference, never a password) and a security
//! group that admits only what was explicitly allowed.

use cairn_cfn::rds::{CfnDBInstance, CfnDBInstanceProps, CfnDBSubnetGroup, CfnDBSubnetGroupProps};
use cairn_cfn::secretsmanager::{secret, CfnSecret, CfnSecretProps};
use cairn_core::{RemovalPolicy, ResourceRef, Result, Scope, Value};
use heck::ToUpperCamelCase;

use crate::ec2::{Connectable, Port, SecurityGroup, SecurityGroupProps, SubnetType, Vpc};
use crate::ecs::Secret;
use crate::iam::{Role, RoleProps, ServicePrincipal};
use crate::kms::{Key, KeyService, KeyUse};
use crate::logs::{LogGroup, LogGroupProps};
use crate::removal;

/// The RDS for PostgreSQL engine versions cairn accepts: those RDS has released, as
/// listed in "Amazon RDS for PostgreSQL updates" of the RDS for PostgreSQL Release
/// Notes (<https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html>)
/// and its release calendar, majors 13 to 18, taken 2026-11-30; the latest minors
/// of 14 to 17 (14.20, 15.15, 16.11, 17.7) as named in RDS's May 2026 deprecation
/// notice of older minors. A version RDS no longer creates fails at deploy, not here.
/// To add one, check `aws rds describe-db-engine-versions --engine postgres --query
/// "DBEngineVersions[].EngineVersion"` and keep the list sorted.
pub(crate) const POSTGRES_VERSIONS: &[&str] = &[
    "13.15", "13.16", "13.18", "13.20", "13.21", "13.22", //
    "14.12", "14.13", "14.14", "14.15", "14.16", "14.17", "14.18", "14.19", "14.20", //
    "15.7", "15.8", "15.9", "15.10", "15.11", "15.12", "15.13", "15.14", "15.15", //
    "16.3", "16.4", "16.5", "16.6", "16.7", "16.8", "16.9", "16.10", "16.11", //
    "17.1", "17.2", "17.3", "17.4", "17.5", "17.6", "17.7", //
    "18.1",
];

/// Why `version` is not an RDS for PostgreSQL version cairn accepts, with the
/// versions allowed; `None` when it is one of the versions cairn knows or a major version
/// of them alone (`"17"`: RDS picks that major's default minor). For environment files
/// and [`DatabaseProps`].
pub fn postgres_version_problem(version: &str) -> Option<String> {
    let is_major = |v: &&str| v.split('.').next() == Some(version);
    if POSTGRES_VERSIONS.contains(&version) || POSTGRES_VERSIONS.iter().any(is_major) {
        return None;
    }
    let major = version.split('.').next().unwrap_or_default();
    let same_major: Vec<&str> = POSTGRES_VERSIONS
        .iter()
        .copied()
        .filter(|v| v.split('.').next() == Some(major))
        .collect();
    let allowed = if same_major.is_empty() {
        let majors: Vec<&str> = POSTGRES_VERSIONS.iter().filter_map(|v| v.split('.').next()).collect();
        let mut majors = majors;
        majors.dedup();
        format!(
            "PostgreSQL {} (a major version alone, or `major.minor` that RDS released, e.g. {})",
            majors.join(", "),
            POSTGRES_VERSIONS.last().copied().unwrap_or_default()
        )
    } else {
        same_major.join(", ")
    };
    Some(format!("`{version}` is not a PostgreSQL version RDS offers; allowed: {allowed}"))
}

/// Props of a [`Database`].
#[derive(Debug, Clone)]
pub struct DatabaseProps {
    /// PostgreSQL version, e.g. "17.5" (use one RDS still offers for new instances).
    pub engine_version: String,
    /// Instance class, e.g. "db.t3.micro".
    pub instance_class: String,
    /// Storage in GiB (20 to 65,536), gp3, always encrypted.
    pub allocated_storage_gb: u32,
    /// Standby in a second availability zone.
    pub multi_az: bool,
    /// Deletion protection. `None`: on where the environment keeps data.
    pub deletion_protection: Option<bool>,
    /// Days of automated backups (1 to 35). Default 7.
    pub backup_retention_days: u32,
    /// Name of the database created on the instance. Default `app`.
    pub database_name: String,
    /// Master user name; its password is generated and kept in Secrets Manager. Default `dbadmin`.
    pub master_username: String,
    /// Port. Default 5432.
    pub port: u16,
    /// Deletion/replacement policy. `None`: `Snapshot` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// Where the instance runs. Default isolated subnets (no route out of the VPC).
    pub subnet_type: SubnetType,
    /// Logs exported to CloudWatch Logs. Default `postgresql` and `upgrade`.
    pub cloudwatch_logs_exports: Vec<String>,
    /// Days CloudWatch keeps the exported logs (a value CloudWatch accepts). Default 30.
    /// cairn creates each export's log group (`/aws/rds/instance/<id>/<log>`) before
    /// the instance; otherwise RDS creates it itself, keeping logs forever.
    pub logs_retention_days: u32,
    /// DB instance identifier. `None`: `<stack name>-<construct id>` in lower case
    /// (`shop-prod-data-database`). A known identifier is what lets the log groups
    /// exist first; it also means a change that replaces the instance fails instead
    /// of silently creating a new, empty database next to the old one.
    pub instance_identifier: Option<String>,
    /// Seconds between Enhanced Monitoring samples of the operating system (1, 5, 10, 15,
    /// 30 or 60; 0 turns it off). Default 60. RDS publishes them with a role cairn creates
    /// (AWS's managed `AmazonRDSEnhancedMonitoringRole` policy) to the account's
    /// `RDSOSMetrics` log group, which RDS creates and shares between instances.
    pub monitoring_interval_seconds: u32,
    /// The environment's customer-managed key for the storage, the credentials secret
    /// and the exported logs. `None`: AWS-managed keys (`aws/rds`, `aws/secretsmanager`).
    /// Changing it replaces the instance (RDS cannot re-encrypt one in place).
    pub encryption_key: Option<Key>,
}

impl Default for DatabaseProps {
    fn default() -> Self {
        DatabaseProps {
            engine_version: "17.5".into(),
            instance_class: "db.t3.micro".into(),
            allocated_storage_gb: 20,
            multi_az: false,
            deletion_protection: None,
            backup_retention_days: 7,
            database_name: "app".into(),
            master_username: "dbadmin".into(),
            port: 5432,
            removal_policy: None,
            subnet_type: SubnetType::Isolated,
            cloudwatch_logs_exports: vec!["postgresql".into(), "upgrade".into()],
            logs_retention_days: 30,
            instance_identifier: None,
            monitoring_interval_seconds: 60,
            encryption_key: None,
        }
    }
}

/// An RDS PostgreSQL instance.
#[derive(Clone)]
pub struct Database {
    scope: Scope,
    instance: CfnDBInstance,
    subnet_group: CfnDBSubnetGroup,
    secret: CfnSecret,
    /// Name of the Secrets Manager secret with `username` and `password`.
    secret_name: String,
    security_group: SecurityGroup,
    port: u16,
    database_name: String,
    instance_class: String,
    allocated_storage_gb: u32,
    encryption_key: Option<Key>,
}

impl Database {
    /// Adds the database `id` (instance, subnet group, security group, secret) in `vpc` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: DatabaseProps) -> Result<Database> {
        let scope = scope.into().child(id)?;
        validate(&scope, &props)?;
        let subnet_ids = vpc.subnet_ids(props.subnet_type)?;
        if vpc.zone_count(props.subnet_type)? < 2 {
            return Err(scope
                .error("a DB subnet group needs subnets in at least 2 availability zones")
                .property("subnet_type")
                .fix("use a VPC with 2 or more availability zones"));
        }
        let subnet_group = CfnDBSubnetGroup::new(
            &scope,
            "SubnetGroup",
            CfnDBSubnetGroupProps::new(format!("Subnets of the {} database", scope.name_path()), subnet_ids),
        )?;
        let security_group = SecurityGroup::new(
            &scope,
            "SecurityGroup",
            vpc,
            SecurityGroupProps {
                description: Some(format!("{} PostgreSQL, admits only explicitly allowed groups", scope.name_path())),
                allow_all_outbound: false,
            },
        )?;
        let retain = scope.env_settings().retain_data;
        // Secrets Manager generates the password; the template only names the secret.
        // A fixed name (not a Ref) lets other stacks read it without an export.
        let secret_name = format!(
            "{}/{}/credentials",
            scope.stack().name(),
            scope.name_path().replace(|c: char| !c.is_ascii_alphanumeric() && c != '/', "-")
        );
        let username = serde_json::json!({ "username": props.master_username }).to_string();
        let secret = CfnSecret::new(
            &scope,
            "Secret",
            CfnSecretProps {
                name: Some(secret_name.as_str().into()),
                description: Some(format!("Master credentials of the {} database", scope.name_path()).into()),
                generate_secret_string: Some(
                    secret::GenerateSecretString {
                        secret_string_template: Some(username.into()),
                        generate_string_key: Some("password".into()),
                        password_length: Some(32.into()),
                        exclude_characters: Some("\"@/\\ '`".into()),
                        ..Default::default()
                    }
                    .into(),
                ),
                kms_key_id: props.encryption_key.as_ref().map(|k| k.arn().into()),
                ..Default::default()
            },
        )?;
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::Service(KeyService::Rds));
            key.allow(KeyUse::Service(KeyService::SecretsManager));
        }
        secret.apply_removal_policy(props.removal_policy.unwrap_or_else(|| removal::for_data(&scope)))?;
        let password = Value::str(format!("{{{{resolve:secretsmanager:{secret_name}:SecretString:password}}}}"));
        let identifier = match &props.instance_identifier {
            Some(id) => id.clone(),
            None => default_identifier(&scope),
        };
        validate_identifier(&scope, &identifier)?;
        // The export log groups, with retention, before RDS would create them without.
        let mut log_groups = Vec::new();
        for export in &props.cloudwatch_logs_exports {
            let group = LogGroup::new(
                &scope,
                &format!("{}Logs", export.to_upper_camel_case()),
                LogGroupProps {
                    retention_days: props.logs_retention_days,
                    log_group_name: Some(format!("/aws/rds/instance/{identifier}/{export}")),
                    removal_policy: None,
                    encryption_key: props.encryption_key.clone(),
                },
            )?;
            log_groups.push(group);
        }
        // Enhanced Monitoring: RDS assumes this role to publish OS metrics.
        let monitoring_role = if props.monitoring_interval_seconds > 0 {
            let role = Role::new(
                &scope,
                "MonitoringRole",
                RoleProps {
                    assumed_by: ServicePrincipal::RdsMonitoring,
                    description: Some("RDS Enhanced Monitoring publishes OS metrics to CloudWatch Logs".into()),
                },
            )?;
            role.add_aws_managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")?;
            Some(role)
        } else {
            None
        };
        let instance = CfnDBInstance::new(
            &scope,
            "Resource",
            CfnDBInstanceProps {
                allocated_storage: Some(props.allocated_storage_gb.to_string().into()),
                // A major version change can only come from `engine_version`, and `cairn diff`
                // flags it; without this, CloudFormation fails that update instead.
                allow_major_version_upgrade: Some(true.into()),
                auto_minor_version_upgrade: Some(true.into()),
                backup_retention_period: Some(props.backup_retention_days.into()),
                copy_tags_to_snapshot: Some(true.into()),
                db_instance_class: Some(props.instance_class.as_str().into()),
                db_instance_identifier: Some(identifier.as_str().into()),
                db_name: Some(props.database_name.as_str().into()),
                db_subnet_group_name: Some(subnet_group.resource_ref().into()),
                deletion_protection: Some(props.deletion_protection.unwrap_or(retain).into()),
                enable_cloudwatch_logs_exports: Some(props.cloudwatch_logs_exports.clone().into()),
                // Applications may sign in with IAM tokens instead of the master password.
                enable_iam_database_authentication: Some(true.into()),
                engine: Some("postgres".into()),
                engine_version: Some(props.engine_version.as_str().into()),
                master_username: Some(props.master_username.as_str().into()),
                master_user_password: Some(password.into()),
                monitoring_interval: Some(props.monitoring_interval_seconds.into()),
                monitoring_role_arn: monitoring_role.as_ref().map(|r| r.arn().into()),
                multi_az: Some(props.multi_az.into()),
                port: Some(props.port.to_string().into()),
                publicly_accessible: Some(false.into()),
                storage_encrypted: Some(true.into()),
                kms_key_id: props.encryption_key.as_ref().map(|k| k.arn().into()),
                storage_type: Some("gp3".into()),
                vpc_security_groups: Some(vec![security_group.group_id()].into()),
                ..Default::default()
            },
        )?;
        instance.apply_removal_policy(props.removal_policy.unwrap_or_else(|| removal::for_database(&scope)))?;
        for group in &log_groups {
            instance.add_depends_on(group.resource())?;
        }
        instance.add_depends_on(secret.resource_ref())?;
        Ok(Database {
            scope,
            instance,
            subnet_group,
            secret,
            secret_name,
            security_group,
            port: props.port,
            database_name: props.database_name,
            instance_class: props.instance_class,
            allocated_storage_gb: props.allocated_storage_gb,
            encryption_key: props.encryption_key,
        })
    }

    /// Host name of the instance (`Endpoint.Address`).
    pub fn endpoint_address(&self) -> Value {
        self.instance.endpoint_address()
    }

    /// Port of the instance (`Endpoint.Port`).
    pub fn endpoint_port(&self) -> Value {
        self.instance.endpoint_port()
    }

    /// Name of the Secrets Manager secret that holds the master credentials (a JSON
    /// secret with `username` and `password`).
    pub fn secret_name(&self) -> &str {
        &self.secret_name
    }

    /// One key (`username`, `password`) of the master credentials, to inject into a container.
    pub fn secret_field(&self, field: &str) -> Secret {
        let secret = Secret::secrets_manager_named(&self.secret_name, Some(field));
        match &self.encryption_key {
            Some(key) => secret.encrypted_with(key),
            None => secret,
        }
    }

    /// The instance identifier (`Ref`): the `DBInstanceIdentifier` metric dimension.
    pub fn instance_identifier(&self) -> Value {
        self.instance.r#ref()
    }

    /// The instance class, e.g. `db.t3.micro`.
    pub fn instance_class(&self) -> &str {
        &self.instance_class
    }

    /// Allocated storage in GiB.
    pub fn allocated_storage_gb(&self) -> u32 {
        self.allocated_storage_gb
    }

    /// The initial database's name.
    pub fn database_name(&self) -> &str {
        &self.database_name
    }

    /// The port the database listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `AWS::RDS::DBInstance` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.instance.resource_ref()
    }

    /// The `AWS::RDS::DBInstance`, for edits the props do not cover
    /// (`db.cfn_db_instance().set(CfnDBInstance::PREFERRED_BACKUP_WINDOW, "03:00-04:00")`).
    /// A later construct call that renders the same property overwrites the edit.
    pub fn cfn_db_instance(&self) -> &CfnDBInstance {
        &self.instance
    }

    /// The instance's `AWS::RDS::DBSubnetGroup`, for edits.
    pub fn cfn_subnet_group(&self) -> &CfnDBSubnetGroup {
        &self.subnet_group
    }

    /// The `AWS::SecretsManager::Secret` that holds the master credentials, for edits
    /// (e.g. `KmsKeyId`). Its `Name` is what [`Database::secret_field`] reads: keep it.
    pub fn cfn_secret(&self) -> &CfnSecret {
        &self.secret
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Lets `other` connect on the database port. The rules are created in `other`'s
    /// stack when it differs (see [`SecurityGroup::allow_from`]).
    pub fn allow_from(&self, other: &dyn Connectable) -> Result<()> {
        self.security_group.allow_from(
            other,
            Port::tcp(self.port),
            &format!("{} to database", other.security_group().scope().name_path()),
        )
    }
}

impl Connectable for Database {
    fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }
}

/// `<stack name>-<construct path>`, lower case, runs of other characters as one `-`.
fn default_identifier(scope: &Scope) -> String {
    let raw = format!("{}-{}", scope.stack().name(), scope.name_path());
    let mut id = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_matches('-').to_string()
}

/// RDS: 1 to 63 letters, digits and hyphens, starting with a letter, no `--`, no trailing `-`.
fn validate_identifier(scope: &Scope, id: &str) -> Result<()> {
    let ok = (1..=63).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(scope
            .error(format!("`{id}` is not a valid DB instance identifier"))
            .property("instance_identifier")
            .fix("use 1-63 lower-case letters, digits and single hyphens, starting with a letter (set instance_identifier when the derived one is too long)"))
    }
}

fn validate(scope: &Scope, p: &DatabaseProps) -> Result<()> {
    let err = |prop: &str, msg: String, fix: &str| Err(scope.error(msg).property(prop.to_string()).fix(fix.to_string()));
    if let Some(problem) = postgres_version_problem(&p.engine_version) {
        return err(
            "engine_version",
            problem,
            "use a version from cairn_constructs::rds::POSTGRES_VERSIONS",
        );
    }
    // The classes RDS for PostgreSQL offers, as the environment files accept them: a
    // well-formed but unknown class (`db.t3.mega`) would otherwise fail only at deploy.
    if crate::instance_classes::memory_gib(&p.instance_class).is_none() {
        return err(
            "instance_class",
            format!("`{}` is not an instance class RDS for PostgreSQL offers", p.instance_class),
            &crate::instance_classes::fix(&p.instance_class),
        );
    }
    if !(20..=65_536).contains(&p.allocated_storage_gb) {
        return err(
            "allocated_storage_gb",
            format!("{} GiB is out of range", p.allocated_storage_gb),
            "use 20 to 65536",
        );
    }
    if !(1..=35).contains(&p.backup_retention_days) {
        return err(
            "backup_retention_days",
            format!("{} days is out of range", p.backup_retention_days),
            "use 1 to 35 (0 would turn backups off)",
        );
    }
    let ident = |s: &str| {
        s.len() <= 63 && s.starts_with(|c: char| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !ident(&p.database_name) {
        return err(
            "database_name",
            format!("`{}` is not a valid database name", p.database_name),
            "use 1-63 letters, digits and underscores, starting with a letter",
        );
    }
    if !ident(&p.master_username) || ["rdsadmin", "rdsrepladmin"].contains(&p.master_username.as_str()) {
        return err(
            "master_username",
            format!("`{}` is not a valid or allowed master user name", p.master_username),
            "use 1-63 letters, digits and underscores, starting with a letter, not a reserved name",
        );
    }
    if ![0, 1, 5, 10, 15, 30, 60].contains(&p.monitoring_interval_seconds) {
        return err(
            "monitoring_interval_seconds",
            format!("{} seconds is not an Enhanced Monitoring interval", p.monitoring_interval_seconds),
            "use 1, 5, 10, 15, 30 or 60 (0 turns Enhanced Monitoring off)",
        );
    }
    if p.port < 1150 && p.port != 5432 {
        return err(
            "port",
            format!("port {} is not allowed by RDS", p.port),
            "use 5432 or a port from 1150 to 65535",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::VpcProps;
    use serde_json::json;

    /// The typed handles reach the instance, its subnet group and its secret, and their
    /// edits land in the template.
    #[test]
    fn typed_handles_edit_the_instance_subnet_group_and_secret() {
        let (app, stack) = crate::test_support::stack("data");
        let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
        let db = Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();
        db.cfn_db_instance()
            .set(CfnDBInstance::PREFERRED_BACKUP_WINDOW, "03:00-04:00")
            .unwrap();
        db.cfn_subnet_group().set(CfnDBSubnetGroup::DB_SUBNET_GROUP_NAME, "named").unwrap();
        db.cfn_secret().set(CfnSecret::KMS_KEY_ID, "alias/db").unwrap();
        assert_eq!(db.cfn_db_instance().resource_ref(), db.resource());

        let assembly = app.synth().unwrap();
        let template = &assembly.environments[0].stacks[0].template;
        let properties = |handle: &cairn_cfn::Handle| template["Resources"][handle.logical_id()]["Properties"].clone();
        assert_eq!(properties(db.cfn_db_instance())["PreferredBackupWindow"], json!("03:00-04:00"));
        assert_eq!(properties(db.cfn_db_instance())["Engine"], json!("postgres"));
        assert_eq!(properties(db.cfn_subnet_group())["DBSubnetGroupName"], json!("named"));
        assert_eq!(properties(db.cfn_secret())["KmsKeyId"], json!("alias/db"));
    }

    #[test]
    fn only_released_postgres_versions_pass() {
        for ok in ["17.5", "16.9", "18.1", "13.22", "17", "18"] {
            assert_eq!(postgres_version_problem(ok), None, "{ok}");
        }
        for bad in ["99.1", "17.99", "99", "12", "17.5.1", "", "latest", "17."] {
            assert!(postgres_version_problem(bad).is_some(), "{bad}");
        }
        let sorted = POSTGRES_VERSIONS.windows(2).all(|w| {
            let key = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
            key(w[0]) < key(w[1])
        });
        assert!(sorted, "keep POSTGRES_VERSIONS sorted");
    }
}
