//! The application's environment file: `stacks/environments/<env>.toml`.
//!
//! Environments differ only through these fields; the code never branches on an
//! environment's name. The fields that may differ are declared in `knobs()` (lib.rs).

use cairn_constructs::FargateSize;
use cairn_core::config::{check_range, AccountId, FieldError, Ipv4Cidr, LogRetentionDays, Region, Validate};
use cairn_core::{EnvSettings, EnvironmentConfig};
use indexmap::IndexMap;
use serde::Deserialize;

/// One environment of the application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// AWS account that hosts the environment (12 digits, as a string).
    pub account: AccountId,
    /// AWS region, e.g. "us-east-1".
    pub region: Region,
    /// Place in the promotion order (dev 1 → staging 2 → prod 3).
    pub promotion_order: u32,
    /// Deploys need an explicit approval (`--approve` or a typed "yes").
    pub require_approval: bool,
    /// Keep data: Retain/Snapshot policies on stateful resources, termination protection.
    pub retain_data: bool,
    /// Extra tags for every taggable resource.
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    pub network: NetworkConfig,
    pub service: ServiceConfig,
    pub database: DatabaseConfig,
    pub logs: LogsConfig,
}

/// `[network]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The VPC's IPv4 block, /16 to /24.
    pub cidr: Ipv4Cidr,
    /// Availability zones used (2 or 3).
    pub max_azs: u32,
    /// NAT gateways: 1 (shared) up to one per availability zone.
    pub nat_gateways: u32,
}

/// `[service]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Container image, e.g. "public.ecr.aws/nginx/nginx:1.27".
    pub image: String,
    /// Task CPU units (256 = 0.25 vCPU); with `memory_mib` one of Fargate's valid pairs.
    pub cpu: u32,
    /// Task memory in MiB.
    pub memory_mib: u32,
    /// Port the container listens on.
    pub container_port: u16,
    /// Path the load balancer's health check requests.
    pub health_check_path: String,
    /// ACM certificate for HTTPS; without one the load balancer serves HTTP only.
    #[serde(default)]
    pub certificate_arn: Option<String>,
    /// Tasks the service runs normally.
    pub desired_count: u32,
    /// Autoscaling lower bound.
    pub min_tasks: u32,
    /// Autoscaling upper bound.
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
    pub backup_retention_days: u32,
    /// Allocated storage in GiB (20 to 65536).
    pub allocated_storage_gb: u32,
}

/// `[logs]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// Retention of every log group, in days (a value CloudWatch Logs accepts).
    pub retention_days: LogRetentionDays,
}

impl Validate for Config {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for key in self.tags.keys() {
            if cairn_core::tags::RESERVED_TAG_KEYS.contains(&key.as_str()) {
                errors.push(FieldError::new(
                    format!("tags.{key}"),
                    "is set by cairn itself; allowed: any other tag key",
                ));
            }
            if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
                errors.push(FieldError::new(
                    format!("tags.{key}"),
                    "is not a valid tag key; allowed: 1 to 128 characters, not starting with `aws:`",
                ));
            }
        }
        for (key, value) in &self.tags {
            if value.len() > 256 {
                errors.push(FieldError::new(format!("tags.{key}"), "value is longer than 256 characters"));
            }
        }
        let n = &self.network;
        if !(16..=24).contains(&n.cidr.prefix()) {
            errors.push(FieldError::new(
                "network.cidr",
                format!("{} is a /{} block; allowed: /16 to /24", n.cidr, n.cidr.prefix()),
            ));
        }
        check_range(&mut errors, "network.max_azs", n.max_azs, 2, 3);
        check_range(&mut errors, "network.nat_gateways", n.nat_gateways, 1, n.max_azs.max(1));
        let s = &self.service;
        check_range(&mut errors, "service.desired_count", s.desired_count, 1, 100);
        check_range(&mut errors, "service.min_tasks", s.min_tasks, 1, 100);
        check_range(&mut errors, "service.max_tasks", s.max_tasks, s.min_tasks.max(1), 100);
        if !(s.min_tasks..=s.max_tasks).contains(&s.desired_count) {
            errors.push(FieldError::new(
                "service.desired_count",
                format!(
                    "{} is outside min_tasks..max_tasks ({}..{})",
                    s.desired_count, s.min_tasks, s.max_tasks
                ),
            ));
        }
        if s.image.trim().is_empty() || s.image.chars().any(char::is_whitespace) {
            errors.push(FieldError::new(
                "service.image",
                format!(
                    "`{}` is not an image reference; allowed: e.g. \"public.ecr.aws/nginx/nginx:1.27\"",
                    s.image
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
                format!("`{}` must start with `/`; allowed: e.g. \"/\" or \"/health\"", s.health_check_path),
            ));
        }
        if let Some(arn) = &s.certificate_arn {
            if !arn.starts_with("arn:") || !arn.contains(":acm:") {
                errors.push(FieldError::new(
                    "service.certificate_arn",
                    format!("`{arn}` is not an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>"),
                ));
            }
        }
        let d = &self.database;
        let version_ok = !d.engine_version.is_empty()
            && d.engine_version
                .split('.')
                .all(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()));
        if !version_ok {
            errors.push(FieldError::new(
                "database.engine_version",
                format!("`{}` is not a PostgreSQL version; allowed: e.g. \"17.5\"", d.engine_version),
            ));
        }
        let class_ok = d.instance_class.starts_with("db.")
            && d.instance_class.split('.').count() == 3
            && d.instance_class
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !class_ok {
            errors.push(FieldError::new(
                "database.instance_class",
                format!(
                    "`{}` is not an RDS instance class; allowed: e.g. \"db.t3.micro\", \"db.m7g.large\"",
                    d.instance_class
                ),
            ));
        }
        check_range(&mut errors, "database.backup_retention_days", d.backup_retention_days, 1, 35);
        check_range(&mut errors, "database.allocated_storage_gb", d.allocated_storage_gb, 20, 65_536);
        errors
    }
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
