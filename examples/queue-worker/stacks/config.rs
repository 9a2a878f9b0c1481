//! The environment file: `stacks/environments/<env>.toml`.
//!
//! Environments differ only through these fields; the code never branches on an
//! environment's name. The fields that may differ are declared in `knobs()` (lib.rs).

use cairn_constructs::FargateSize;
use cairn_core::config::{
    check_range, check_tags, check_template_bucket, in_range, one_of, shown, AccountId, FieldError, Ipv4Cidr, LogRetentionDays, Region,
    Validate,
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
    /// AWS region, e.g. "eu-west-1".
    pub region: Region,
    /// Place in the promotion order (dev 10 → staging 20 → prod 30), one per environment.
    #[serde(deserialize_with = "in_range::<_, _, 0, 9999>")]
    pub promotion_order: u32,
    /// Deploys need an explicit approval (`--approve` or a typed "yes").
    pub require_approval: bool,
    /// Keep data: Retain policies and deletion protection on the queue and the table.
    pub retain_data: bool,
    /// S3 bucket for templates over 51,200 bytes (`cargo run -- bootstrap <env>` creates one).
    #[serde(default)]
    pub template_bucket: Option<String>,
    /// Extra tags for every taggable resource.
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    pub network: NetworkConfig,
    pub worker: WorkerConfig,
    pub queue: QueueConfig,
    pub logs: LogsConfig,
    #[serde(default)]
    pub alarms: AlarmsConfig,
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

fn vpc_cidr<'de, D: Deserializer<'de>>(d: D) -> Result<Ipv4Cidr, D::Error> {
    let s = String::deserialize(d)?;
    Ipv4Cidr::parse_with_prefix(&s, 16..=24).map_err(serde::de::Error::custom)
}

fn fargate_cpu<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    one_of(d, &FargateSize::cpu_options(), "a Fargate CPU value")
}

/// `[worker]`: the Fargate service that consumes the queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// Container image, e.g. "public.ecr.aws/docker/library/busybox:1.37".
    pub image: String,
    /// Task CPU units (256 = 0.25 vCPU); with `memory_mib` one of Fargate's valid pairs.
    #[serde(deserialize_with = "fargate_cpu")]
    pub cpu: u32,
    /// Task memory in MiB.
    #[serde(deserialize_with = "in_range::<_, _, 512, 122880>")]
    pub memory_mib: u32,
    /// Fewest tasks (also the count at deploy).
    #[serde(deserialize_with = "in_range::<_, _, 1, 100>")]
    pub min_tasks: u32,
    /// Most tasks the queue depth may scale to.
    #[serde(deserialize_with = "in_range::<_, _, 1, 100>")]
    pub max_tasks: u32,
    /// Visible messages per running task that the scaling keeps (the backlog one task clears in time).
    #[serde(deserialize_with = "in_range::<_, _, 1, 100000>")]
    pub messages_per_task: u32,
}

impl WorkerConfig {
    /// The task size; `None` only for a pair validation rejects.
    pub fn size(&self) -> Option<FargateSize> {
        FargateSize::new(self.cpu, self.memory_mib)
    }
}

/// `[queue]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Seconds a received message stays hidden from other workers: longer than one job takes.
    #[serde(deserialize_with = "in_range::<_, _, 0, 43200>")]
    pub visibility_timeout_seconds: u32,
    /// Receives before a message moves to the dead-letter queue (1 to 1000).
    #[serde(deserialize_with = "in_range::<_, _, 1, 1000>")]
    pub max_receive_count: u32,
}

/// `[logs]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Retention of every log group, in days (a value CloudWatch Logs accepts).
    pub retention_days: LogRetentionDays,
}

/// `[alarms]`
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Addresses notified of alarms (each confirms a subscription mail). Empty: none.
    pub emails: Vec<String>,
    /// Age of the oldest message that counts as stuck, seconds (60 to 1,209,600).
    #[serde(deserialize_with = "in_range::<_, _, 60, 1209600>")]
    pub queue_oldest_message_age_seconds: u32,
    /// Average memory of the worker's tasks, % (warning, critical).
    pub memory_warning_percent: f64,
    pub memory_critical_percent: f64,
    /// Average CPU over 15 minutes, %.
    pub cpu_warning_percent: f64,
    /// Minutes CloudFormation keeps watching the critical alarms after a deploy (0 to 180).
    #[serde(deserialize_with = "in_range::<_, _, 0, 180>")]
    pub rollback_monitoring_minutes: u32,
}

impl Default for AlarmsConfig {
    fn default() -> Self {
        AlarmsConfig {
            emails: Vec::new(),
            queue_oldest_message_age_seconds: 900,
            memory_warning_percent: 80.0,
            memory_critical_percent: 95.0,
            cpu_warning_percent: 80.0,
            rollback_monitoring_minutes: 10,
        }
    }
}

impl Validate for Config {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_template_bucket(&mut errors, "template_bucket", self.template_bucket.as_deref());
        check_tags(&mut errors, "tags", &self.tags);
        if self.network.nat_gateways > self.network.max_azs {
            errors.push(FieldError::new(
                "network.nat_gateways",
                format!(
                    "{} is more than `network.max_azs` ({}); at most one NAT gateway per zone",
                    self.network.nat_gateways, self.network.max_azs
                ),
            ));
        }
        let w = &self.worker;
        if w.min_tasks > w.max_tasks {
            errors.push(FieldError::new(
                "worker.min_tasks",
                format!(
                    "{} is more than `worker.max_tasks` ({}); min_tasks ≤ max_tasks",
                    w.min_tasks, w.max_tasks
                ),
            ));
        }
        if w.size().is_none() {
            let memory: Vec<String> = FargateSize::memory_options(w.cpu).iter().map(u32::to_string).collect();
            errors.push(FieldError::new(
                "worker.memory_mib",
                format!(
                    "{} MiB is not valid with cpu = {}; allowed: {}",
                    w.memory_mib,
                    w.cpu,
                    memory.join(", ")
                ),
            ));
        }
        if w.image.trim().is_empty() || w.image.len() > 255 || w.image.contains(char::is_whitespace) {
            errors.push(FieldError::new(
                "worker.image",
                format!(
                    "`{}` is not an image reference; allowed: e.g. \"public.ecr.aws/docker/library/busybox:1.37\"",
                    shown(&w.image)
                ),
            ));
        }
        let a = &self.alarms;
        for (key, v) in [
            ("memory_warning_percent", a.memory_warning_percent),
            ("memory_critical_percent", a.memory_critical_percent),
            ("cpu_warning_percent", a.cpu_warning_percent),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                errors.push(FieldError::new(
                    format!("alarms.{key}"),
                    format!("{v} is out of range; allowed: a percentage above 0 and at most 100"),
                ));
            }
        }
        if a.memory_warning_percent >= a.memory_critical_percent {
            errors.push(FieldError::new(
                "alarms.memory_warning_percent",
                format!(
                    "{} must be below alarms.memory_critical_percent ({}): the warning comes first",
                    a.memory_warning_percent, a.memory_critical_percent
                ),
            ));
        }
        for email in &a.emails {
            if !email
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            {
                errors.push(FieldError::new(
                    "alarms.emails",
                    format!(
                        "`{}` is not an email address; allowed: addresses like ops@example.com",
                        shown(email)
                    ),
                ));
            }
        }
        check_range(
            &mut errors,
            "alarms.rollback_monitoring_minutes",
            a.rollback_monitoring_minutes,
            0,
            180,
        );
        errors
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
