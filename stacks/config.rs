//! The application's environment file: `stacks/environments/<env>.toml`.
//!
//! Environments differ only through these fields; the code never branches on an
//! environment's name. The fields that may differ are declared in `knobs()` (lib.rs).

use cairn_constructs::elbv2::MAX_HEALTH_CHECK_PATH;
use cairn_constructs::instance_classes;
use cairn_constructs::{AlarmThresholds, FargateSize};
use cairn_core::config::{
    check_range, check_tags, check_template_bucket, in_range, one_of, shown, shown_number, AccountId, FieldError, Ipv4Cidr,
    LogRetentionDays, Region, Validate,
};
use cairn_core::{EnvSettings, EnvironmentConfig};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};

/// One environment of the application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// AWS account that hosts the environment (12 digits, as a string).
    pub account: AccountId,
    /// AWS region, e.g. "us-east-1".
    pub region: Region,
    /// Place in the promotion order (dev 10 → staging 20 → prod 30), one per environment:
    /// a new one goes in a free place (qa between staging and prod: 25).
    #[serde(deserialize_with = "in_range::<_, _, 0, 9999>")]
    pub promotion_order: u32,
    /// Deploys need an explicit approval (`--approve` or a typed "yes").
    pub require_approval: bool,
    /// Keep data: Retain/Snapshot policies on stateful resources, termination protection.
    pub retain_data: bool,
    /// S3 bucket for templates over 51,200 bytes (`cairn bootstrap <env>` creates one);
    /// unset: `--template-bucket` or `CAIRN_TEMPLATE_BUCKET` when a deploy needs it.
    #[serde(default)]
    pub template_bucket: Option<String>,
    /// Extra tags for every taggable resource.
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    pub network: NetworkConfig,
    pub service: ServiceConfig,
    pub database: DatabaseConfig,
    pub logs: LogsConfig,
    /// Alarm thresholds, notification addresses and rollback monitoring (defaults: the deployment guide's table).
    #[serde(default)]
    pub alarms: AlarmsConfig,
    /// How the service is released.
    #[serde(default)]
    pub deploy: DeployConfig,
    /// Encryption keys.
    #[serde(default)]
    pub encryption: EncryptionConfig,
}

/// `[encryption]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionConfig {
    /// The environment's own customer-managed KMS key (`alias/shop-<env>`, rotated, in the
    /// data stack) for every encrypted resource: database storage and secret, table, the
    /// uploads bucket, queues, the alarm topic, every log group. False: AWS-managed keys.
    pub customer_managed_key: bool,
    /// Days KMS waits before deleting the key once it is scheduled for deletion (7 to 30).
    #[serde(deserialize_with = "in_range::<_, _, 7, 30>")]
    pub key_deletion_window_days: u32,
}

impl Default for EncryptionConfig {
    fn default() -> Self {
        EncryptionConfig {
            customer_managed_key: false,
            key_deletion_window_days: 30,
        }
    }
}

/// `[network]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The VPC's IPv4 block, /16 to /24.
    #[serde(deserialize_with = "vpc_cidr")]
    pub cidr: Ipv4Cidr,
    /// Availability zones used (2 or 3).
    #[serde(deserialize_with = "in_range::<_, _, 2, 3>")]
    pub max_azs: u32,
    /// NAT gateways: 1 (shared) up to one per availability zone.
    #[serde(deserialize_with = "in_range::<_, _, 1, 3>")]
    pub nat_gateways: u32,
}

/// Prefixes the VPC block may have (AWS allows /16 to /28; this application wants room for its subnets).
const VPC_PREFIXES: std::ops::RangeInclusive<u8> = 16..=24;

fn vpc_cidr<'de, D: Deserializer<'de>>(d: D) -> Result<Ipv4Cidr, D::Error> {
    let s = String::deserialize(d)?;
    Ipv4Cidr::parse_with_prefix(&s, VPC_PREFIXES).map_err(serde::de::Error::custom)
}

/// Only Fargate's CPU values, listed in every refusal (not a range: 300 is not one).
fn fargate_cpu<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    one_of(d, &FargateSize::cpu_options(), "a Fargate CPU value")
}

/// Longest image reference ECS accepts in a container definition.
const MAX_IMAGE_CHARS: usize = 255;

/// What ECS accepts as a container definition's `Image`: up to 255 letters, digits,
/// hyphens, underscores, colons, periods, slashes and number signs, plus `@` for the
/// `repository@sha256:<digest>` form its documentation also gives.
fn is_image_reference(image: &str) -> bool {
    !image.is_empty()
        && image.len() <= MAX_IMAGE_CHARS
        && image
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | '/' | '#' | '@'))
}

/// `[service]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Container image, e.g. "public.ecr.aws/nginx/nginx:1.27".
    pub image: String,
    /// Task CPU units (256 = 0.25 vCPU); with `memory_mib` one of Fargate's valid pairs.
    #[serde(deserialize_with = "fargate_cpu")]
    pub cpu: u32,
    /// Task memory in MiB.
    #[serde(deserialize_with = "in_range::<_, _, 512, 122880>")]
    pub memory_mib: u32,
    /// Port the container listens on.
    #[serde(deserialize_with = "in_range::<_, _, 1, 65535>")]
    pub container_port: u16,
    /// Path the load balancer's health check requests.
    pub health_check_path: String,
    /// ACM certificate for HTTPS; without one the load balancer serves HTTP only.
    #[serde(default)]
    pub certificate_arn: Option<String>,
    /// Tasks the service runs normally.
    #[serde(deserialize_with = "in_range::<_, _, 1, 100>")]
    pub desired_count: u32,
    /// Autoscaling lower bound.
    #[serde(deserialize_with = "in_range::<_, _, 1, 100>")]
    pub min_tasks: u32,
    /// Autoscaling upper bound.
    #[serde(deserialize_with = "in_range::<_, _, 1, 100>")]
    pub max_tasks: u32,
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// PostgreSQL version, e.g. "17.5" (one RDS offers for new instances).
    pub engine_version: String,
    /// RDS instance class, e.g. "db.t3.micro".
    pub instance_class: String,
    pub multi_az: bool,
    pub deletion_protection: bool,
    /// Days of automated backups (1 to 35).
    #[serde(deserialize_with = "in_range::<_, _, 1, 35>")]
    pub backup_retention_days: u32,
    /// Allocated storage in GiB (20 to 65536).
    #[serde(deserialize_with = "in_range::<_, _, 20, 65536>")]
    pub allocated_storage_gb: u32,
}

/// `[logs]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Retention of every log group, in days (a value CloudWatch Logs accepts).
    pub retention_days: LogRetentionDays,
}

/// `[alarms]`: thresholds of the environment's CloudWatch alarms. Critical alarms stop
/// ECS deployments (5xx rate, response time) and are CloudFormation rollback triggers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Addresses notified of alarms (each confirms a subscription mail). Empty: none.
    pub emails: Vec<String>,
    /// Target 5xx responses, % of requests.
    pub http_5xx_warning_percent: f64,
    pub http_5xx_critical_percent: f64,
    /// p95 target response time, seconds.
    pub response_time_warning_seconds: f64,
    pub response_time_critical_seconds: f64,
    /// Average memory utilization of the service, %.
    pub memory_warning_percent: f64,
    pub memory_critical_percent: f64,
    /// Average CPU utilization over 15 minutes, %.
    pub cpu_warning_percent: f64,
    /// Database connections, % of Postgres' max_connections.
    pub db_connections_warning_percent: f64,
    pub db_connections_critical_percent: f64,
    /// Free database storage, % of the allocated storage (alarms below it).
    pub db_free_storage_warning_percent: f64,
    pub db_free_storage_critical_percent: f64,
    /// Age of a queue's oldest message that counts as stuck, seconds.
    #[serde(deserialize_with = "in_range::<_, _, 60, 1209600>")]
    pub queue_oldest_message_age_seconds: u32,
    /// Minutes CloudFormation keeps watching the critical alarms after a deploy (0 to 180).
    #[serde(deserialize_with = "in_range::<_, _, 0, 180>")]
    pub rollback_monitoring_minutes: u32,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        let t = AlarmThresholds::default();
        AlarmsConfig {
            emails: Vec::new(),
            http_5xx_warning_percent: t.http_5xx_warning_percent,
            http_5xx_critical_percent: t.http_5xx_critical_percent,
            response_time_warning_seconds: t.response_time_warning_seconds,
            response_time_critical_seconds: t.response_time_critical_seconds,
            memory_warning_percent: t.memory_warning_percent,
            memory_critical_percent: t.memory_critical_percent,
            cpu_warning_percent: t.cpu_warning_percent,
            db_connections_warning_percent: t.db_connections_warning_percent,
            db_connections_critical_percent: t.db_connections_critical_percent,
            db_free_storage_warning_percent: t.db_free_storage_warning_percent,
            db_free_storage_critical_percent: t.db_free_storage_critical_percent,
            queue_oldest_message_age_seconds: t.queue_oldest_message_age_seconds,
            rollback_monitoring_minutes: 10,
        }
    }
}

impl AlarmsConfig {
    /// The thresholds as the monitoring constructs take them.
    pub fn thresholds(&self) -> AlarmThresholds {
        AlarmThresholds {
            http_5xx_warning_percent: self.http_5xx_warning_percent,
            http_5xx_critical_percent: self.http_5xx_critical_percent,
            response_time_warning_seconds: self.response_time_warning_seconds,
            response_time_critical_seconds: self.response_time_critical_seconds,
            memory_warning_percent: self.memory_warning_percent,
            memory_critical_percent: self.memory_critical_percent,
            cpu_warning_percent: self.cpu_warning_percent,
            db_connections_warning_percent: self.db_connections_warning_percent,
            db_connections_critical_percent: self.db_connections_critical_percent,
            db_free_storage_warning_percent: self.db_free_storage_warning_percent,
            db_free_storage_critical_percent: self.db_free_storage_critical_percent,
            queue_oldest_message_age_seconds: self.queue_oldest_message_age_seconds,
        }
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        for email in &self.emails {
            let valid = email
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace));
            if !valid {
                errors.push(FieldError::new(
                    "alarms.emails",
                    format!(
                        "`{}` is not an email address; allowed: addresses like ops@example.com",
                        shown(email)
                    ),
                ));
            }
        }
        let percents = [
            ("http_5xx_warning_percent", self.http_5xx_warning_percent),
            ("http_5xx_critical_percent", self.http_5xx_critical_percent),
            ("memory_warning_percent", self.memory_warning_percent),
            ("memory_critical_percent", self.memory_critical_percent),
            ("cpu_warning_percent", self.cpu_warning_percent),
            ("db_connections_warning_percent", self.db_connections_warning_percent),
            ("db_connections_critical_percent", self.db_connections_critical_percent),
            ("db_free_storage_warning_percent", self.db_free_storage_warning_percent),
            ("db_free_storage_critical_percent", self.db_free_storage_critical_percent),
        ];
        for (key, v) in percents {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                errors.push(FieldError::new(
                    format!("alarms.{key}"),
                    format!("{} is out of range; allowed: a percentage above 0 and at most 100", shown_number(v)),
                ));
            }
        }
        for (key, v) in [
            ("response_time_warning_seconds", self.response_time_warning_seconds),
            ("response_time_critical_seconds", self.response_time_critical_seconds),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 600.0) {
                errors.push(FieldError::new(
                    format!("alarms.{key}"),
                    format!("{} is out of range; allowed: seconds above 0 and at most 600", shown_number(v)),
                ));
            }
        }
        // The warning must fire before the critical alarm.
        let pairs = [
            (
                "http_5xx",
                self.http_5xx_warning_percent,
                self.http_5xx_critical_percent,
                "percent",
                true,
            ),
            (
                "response_time",
                self.response_time_warning_seconds,
                self.response_time_critical_seconds,
                "seconds",
                true,
            ),
            ("memory", self.memory_warning_percent, self.memory_critical_percent, "percent", true),
            (
                "db_connections",
                self.db_connections_warning_percent,
                self.db_connections_critical_percent,
                "percent",
                true,
            ),
            (
                "db_free_storage",
                self.db_free_storage_warning_percent,
                self.db_free_storage_critical_percent,
                "percent",
                false,
            ),
        ];
        for (name, warning, critical, unit, rising) in pairs {
            let ordered = if rising { warning < critical } else { warning > critical };
            if !ordered {
                let relation = if rising { "below" } else { "above" };
                errors.push(FieldError::new(
                    format!("alarms.{name}_warning_{unit}"),
                    format!(
                        "{} must be {relation} alarms.{name}_critical_{unit} ({}): the warning comes first",
                        shown_number(warning),
                        shown_number(critical)
                    ),
                ));
            }
        }
        check_range(
            errors,
            "alarms.queue_oldest_message_age_seconds",
            self.queue_oldest_message_age_seconds,
            60,
            1_209_600,
        );
        check_range(
            errors,
            "alarms.rollback_monitoring_minutes",
            self.rollback_monitoring_minutes,
            0,
            180,
        );
    }
}

/// `[deploy]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeployConfig {
    /// ECS blue/green deployments (the new revision takes the traffic only once healthy,
    /// the old one stays for the bake time); `false`: rolling updates.
    pub blue_green: bool,
    /// Minutes both revisions run after a blue/green traffic shift (0 to 1440).
    #[serde(deserialize_with = "in_range::<_, _, 0, 1440>")]
    pub bake_time_minutes: u32,
}

impl Default for DeployConfig {
    fn default() -> Self {
        DeployConfig {
            blue_green: false,
            bake_time_minutes: 10,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // The settings every application's file carries: checked by cairn-core.
        check_template_bucket(&mut errors, "template_bucket", self.template_bucket.as_deref());
        check_tags(&mut errors, "tags", &self.tags);
        let n = &self.network;
        check_range(&mut errors, "network.max_azs", n.max_azs, 2, 3);
        check_range(&mut errors, "network.nat_gateways", n.nat_gateways, 1, 3);
        check_at_most(
            &mut errors,
            ("network.nat_gateways", n.nat_gateways),
            ("network.max_azs", n.max_azs),
            "nat_gateways ≤ max_azs (at most one NAT gateway per zone)",
        );
        let s = &self.service;
        check_range(&mut errors, "service.desired_count", s.desired_count, 1, 100);
        check_range(&mut errors, "service.min_tasks", s.min_tasks, 1, 100);
        check_range(&mut errors, "service.max_tasks", s.max_tasks, 1, 100);
        const TASKS: &str = "min_tasks ≤ desired_count ≤ max_tasks";
        let (min, desired, max) = (
            ("service.min_tasks", s.min_tasks),
            ("service.desired_count", s.desired_count),
            ("service.max_tasks", s.max_tasks),
        );
        // Bounds the wrong way round are the fault to name, not desired_count lying outside them.
        if !check_at_most(&mut errors, min, max, TASKS) {
            check_at_least(&mut errors, desired, min, TASKS);
            check_at_most(&mut errors, desired, max, TASKS);
        }
        if !is_image_reference(&s.image) {
            errors.push(FieldError::new(
                "service.image",
                format!(
                    "`{}` is not an image reference; allowed: 1 to {MAX_IMAGE_CHARS} letters, digits, hyphens, \
                     underscores, colons, periods, slashes, `#` and `@` (a digest), e.g. \"public.ecr.aws/nginx/nginx:1.27\"",
                    shown(&s.image)
                ),
            ));
        }
        if FargateSize::new(s.cpu, s.memory_mib).is_none() {
            let options = FargateSize::memory_options(s.cpu);
            if options.is_empty() {
                let cpus: Vec<String> = FargateSize::cpu_options().iter().map(u32::to_string).collect();
                errors.push(FieldError::new(
                    "service.cpu",
                    format!("{} is not a Fargate CPU value; allowed: {}", s.cpu, cpus.join(", ")),
                ));
            } else {
                let mems: Vec<String> = options.iter().map(u32::to_string).collect();
                errors.push(FieldError::new(
                    "service.memory_mib",
                    format!(
                        "{} MiB is not valid with cpu = {}; allowed: {}",
                        s.memory_mib,
                        s.cpu,
                        mems.join(", ")
                    ),
                ));
            }
        }
        check_range(&mut errors, "service.container_port", s.container_port, 1, u16::MAX);
        if !s.health_check_path.starts_with('/') {
            errors.push(FieldError::new(
                "service.health_check_path",
                format!(
                    "`{}` must start with `/`; allowed: e.g. \"/\" or \"/health\"",
                    shown(&s.health_check_path)
                ),
            ));
        } else if s.health_check_path.len() > MAX_HEALTH_CHECK_PATH {
            errors.push(FieldError::new(
                "service.health_check_path",
                format!(
                    "`{}` is too long; allowed: at most {MAX_HEALTH_CHECK_PATH} characters starting with `/`",
                    shown(&s.health_check_path)
                ),
            ));
        }
        if let Some(arn) = &s.certificate_arn {
            if !arn.starts_with("arn:") || !arn.contains(":acm:") {
                errors.push(FieldError::new(
                    "service.certificate_arn",
                    format!(
                        "`{}` is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>",
                        shown(arn)
                    ),
                ));
            }
        }
        let d = &self.database;
        if let Some(problem) = cairn_constructs::rds::postgres_version_problem(&d.engine_version) {
            errors.push(FieldError::new("database.engine_version", problem));
        }
        // The connections alarm needs the class's memory: only classes RDS for PostgreSQL offers.
        if instance_classes::memory_gib(&d.instance_class).is_none() {
            errors.push(FieldError::new(
                "database.instance_class",
                format!(
                    "`{}` is not an instance class RDS for PostgreSQL offers; {}",
                    shown(&d.instance_class),
                    instance_classes::fix(&d.instance_class)
                ),
            ));
        }
        check_range(&mut errors, "database.backup_retention_days", d.backup_retention_days, 1, 35);
        check_range(&mut errors, "database.allocated_storage_gb", d.allocated_storage_gb, 20, 65_536);
        self.alarms.validate(&mut errors);
        check_range(&mut errors, "deploy.bake_time_minutes", self.deploy.bake_time_minutes, 0, 1440);
        errors
    }
}

/// `key`'s value must not exceed `bound`'s: the error names both keys and the relation,
/// since either may be the one to change (a range derived from the other key would blame
/// the wrong one). Returns whether an error was added.
fn check_at_most(errors: &mut Vec<FieldError>, (key, value): (&str, u32), (bound_key, bound): (&str, u32), relation: &str) -> bool {
    let broken = value > bound;
    if broken {
        errors.push(FieldError::new(
            key,
            format!("{value} is more than `{bound_key}` ({bound}); {relation}"),
        ));
    }
    broken
}

/// `key`'s value must not be below `bound`'s (see [`check_at_most`]).
fn check_at_least(errors: &mut Vec<FieldError>, (key, value): (&str, u32), (bound_key, bound): (&str, u32), relation: &str) -> bool {
    let broken = value < bound;
    if broken {
        errors.push(FieldError::new(
            key,
            format!("{value} is less than `{bound_key}` ({bound}); {relation}"),
        ));
    }
    broken
}

impl ServiceConfig {
    /// The task size; `None` only for a pair validation rejects.
    pub fn size(&self) -> Option<FargateSize> {
        FargateSize::new(self.cpu, self.memory_mib)
    }
}

impl EnvironmentConfig for Config {
    fn settings(&self, name: &str) -> EnvSettings {
        EnvSettings {
            name: name.to_string(),
            account: self.account.as_str().to_string(),
            region: self.region.as_str().to_string(),
            retain_data: self.retain_data,
            require_approval: self.require_approval,
            tags: self.tags.clone(),
        }
    }

    fn promotion_order(&self) -> u32 {
        self.promotion_order
    }
}
