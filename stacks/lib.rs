//! The example application ("shop"): a containerized web service on ECS Fargate
//! behind an Application Load Balancer, with a Postgres database, a DynamoDB table,
//! an S3 bucket and an SQS queue, for every environment in `stacks/environments/`.
//!
//! Stacks per environment, in deploy order: `shop-<env>-network` (VPC),
//! `shop-<env>-data` (stateful: the environment's key, data, alarm topic, flow logs)
//! and `shop-<env>-service` (stateless), connected by
//! automatic cross-stack references. A service deploy never touches the data stack.
//! Every construct has alarms with the environment's thresholds (next to it, in its
//! stack); the service stack holds the dashboard and the load balancer's web ACL
//! (`waf.rs`).
//! Environments differ only through their config values, never through their names.

pub mod config;
pub mod waf;

use std::path::PathBuf;

/// The project's CloudFormation Guard rules folder (`cairn check` applies it).
const DEFAULT_RULES_DIR: &str = "rules";

use cairn_constructs::s3::LogBucketProps;
use cairn_constructs::{
    Attribute, AutoScalingProps, BlueGreen, Bucket, BucketProps, Cluster, ClusterProps, Construct, ContainerProps, Database, DatabaseProps,
    FargateServiceProps, FlowLogProps, HealthCheck, Key, KeyProps, LoadBalancedFargateService, LoadBalancedFargateServiceProps, Monitoring,
    MonitoringProps, Queue, QueueProps, Table, TableProps, Vpc, VpcProps,
};
use cairn_core::{Application, Environment, Knob, Output, Result, Value};

pub use config::Config;
pub use waf::WebAcl;

/// The shop application.
#[derive(Debug, Clone)]
pub struct Shop {
    environments_dir: PathBuf,
}

impl Default for Shop {
    fn default() -> Self {
        Shop {
            environments_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stacks/environments"),
        }
    }
}

impl Shop {
    /// The application with environment files from another folder (tests, copies).
    pub fn with_environments_dir(dir: impl Into<PathBuf>) -> Self {
        Shop {
            environments_dir: dir.into(),
        }
    }
}

impl Application for Shop {
    type Config = Config;

    fn name(&self) -> &str {
        "shop"
    }

    fn environments_dir(&self) -> PathBuf {
        self.environments_dir.clone()
    }

    fn rules_dir(&self) -> Option<PathBuf> {
        // The project's rules/, wherever cairn is run from.
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_RULES_DIR))
    }

    fn knobs(&self) -> Vec<Knob> {
        [
            "account",
            "region",
            "require_approval",
            "retain_data",
            "tags.CostCenter",
            "network.cidr",
            "network.nat_gateways",
            "service.desired_count",
            "service.min_tasks",
            "service.max_tasks",
            "database.instance_class",
            "database.multi_az",
            "database.deletion_protection",
            "database.backup_retention_days",
            "logs.retention_days",
            "alarms.emails",
            "alarms.http_5xx_warning_percent",
            "alarms.http_5xx_critical_percent",
            "alarms.response_time_warning_seconds",
            "alarms.response_time_critical_seconds",
            "alarms.memory_warning_percent",
            "alarms.memory_critical_percent",
            "alarms.cpu_warning_percent",
            "alarms.db_connections_warning_percent",
            "alarms.db_connections_critical_percent",
            "alarms.db_free_storage_warning_percent",
            "alarms.db_free_storage_critical_percent",
            "alarms.queue_oldest_message_age_seconds",
            "alarms.rollback_monitoring_minutes",
            "deploy.blue_green",
            "deploy.bake_time_minutes",
        ]
        .into_iter()
        .map(Knob::new)
        // dev may try a newer Postgres first; staging must run exactly what prod runs.
        .chain([Knob::matching("database.engine_version", &["staging", "prod"])])
        // Staging mirrors prod's encryption; dev may use AWS-managed keys.
        .chain([Knob::matching("encryption.customer_managed_key", &["staging", "prod"])])
        .chain(
            ["encryption.key_deletion_window_days", "service.certificate_arn"]
                .into_iter()
                .map(Knob::new),
        )
        // The image is promoted, not configured: dev may run a newer one than prod for a
        // while (parity reports it as promotion skew; the promotion gate compares it).
        .chain([Knob::artifact("service.image")])
        .collect()
    }

    fn build(&self, env: &Environment, config: &Config) -> Result<()> {
        let network = env.stack("network")?;
        network.set_description("Network of the shop: VPC, subnets, NAT gateways, gateway endpoints");
        let vpc = Vpc::new(
            &network,
            "Vpc",
            VpcProps {
                cidr: config.network.cidr,
                max_azs: config.network.max_azs,
                nat_gateways: config.network.nat_gateways,
                // In the data stack, with the environment's key (below).
                flow_logs: None,
                ..Default::default()
            },
        )?;

        let data = env.stack("data")?;
        data.set_description(
            "Stateful resources of the shop: the environment's key, database, buckets (uploads, access logs), queue, table, \
             alarm topic, VPC flow logs",
        );
        // The environment's customer-managed key, first in the stack that keeps data: every
        // encrypted resource of the environment uses it (where the file turns it on).
        let key = if config.encryption.customer_managed_key {
            Some(Key::new(
                &data,
                "Key",
                KeyProps {
                    pending_window_days: config.encryption.key_deletion_window_days,
                    ..Default::default()
                },
            )?)
        } else {
            None
        };
        vpc.add_flow_logs(
            &data,
            "FlowLogs",
            FlowLogProps {
                retention_days: config.logs.retention_days.days(),
                encryption_key: key.clone(),
            },
        )?;
        // The alarm topic, which every stack's alarms notify (the service stack comes later).
        let monitoring = Monitoring::new(
            &data,
            "Monitoring",
            MonitoringProps {
                thresholds: config.alarms.thresholds(),
                emails: config.alarms.emails.clone(),
                rollback_monitoring_minutes: config.alarms.rollback_monitoring_minutes,
                encryption_key: key.clone(),
            },
        )?;
        let db = &config.database;
        let database = Database::new(
            &data,
            "Database",
            &vpc,
            DatabaseProps {
                engine_version: db.engine_version.clone(),
                instance_class: db.instance_class.clone(),
                allocated_storage_gb: db.allocated_storage_gb,
                multi_az: db.multi_az,
                deletion_protection: Some(db.deletion_protection),
                backup_retention_days: db.backup_retention_days,
                database_name: "shop".into(),
                logs_retention_days: config.logs.retention_days.days(),
                encryption_key: key.clone(),
                ..Default::default()
            },
        )?;
        if !db.multi_az {
            database.suppress(
                "RDS-MULTI-AZ",
                "the environment table runs prod single-AZ for cost; set database.multi_az = true in prod.toml to turn it on",
            )?;
        }
        // S3 server access logs of Uploads and the load balancer's access logs, kept as
        // long as the environment keeps its other logs.
        let access_logs = Bucket::for_access_logs(
            &data,
            "AccessLogs",
            LogBucketProps {
                expiration_days: config.logs.retention_days.days(),
                ..Default::default()
            },
        )?;
        let uploads = Bucket::new(
            &data,
            "Uploads",
            BucketProps {
                noncurrent_version_expiration_days: Some(90),
                server_access_logs: Some((access_logs.clone(), "uploads/".into())),
                encryption_key: key.clone(),
                ..Default::default()
            },
        )?;
        let jobs = Queue::new(
            &data,
            "Jobs",
            QueueProps {
                encryption_key: key.clone(),
                ..Default::default()
            },
        )?;
        let orders = Table::new(
            &data,
            "Orders",
            TableProps {
                partition_key: Attribute::string("orderId"),
                time_to_live_attribute: Some("expiresAt".into()),
                encryption_key: key.clone(),
                ..Default::default()
            },
        )?;

        let service = env.stack("service")?;
        service.set_description("Stateless resources of the shop: the web service behind its load balancer");
        let cluster = Cluster::new(&service, "Cluster", &vpc, ClusterProps::default())?;
        let s = &config.service;
        let size = s.size().ok_or_else(|| {
            cairn_core::Error::new(format!("cpu {} with {} MiB is not a Fargate task size", s.cpu, s.memory_mib))
                .at(format!("{}/service", env.name()))
                .property("service.memory_mib")
                .fix("use a valid pair, e.g. cpu = 256 with memory_mib = 512")
        })?;
        let web = LoadBalancedFargateService::new(
            &service,
            "Web",
            &cluster,
            LoadBalancedFargateServiceProps {
                service: FargateServiceProps {
                    size,
                    container: ContainerProps {
                        image: s.image.clone(),
                        port: Some(s.container_port),
                        environment: vec![
                            ("TABLE_NAME".into(), orders.name()),
                            ("BUCKET_NAME".into(), uploads.name()),
                            ("QUEUE_URL".into(), jobs.url()),
                            ("DB_HOST".into(), database.endpoint_address()),
                            ("DB_PORT".into(), database.endpoint_port()),
                            ("DB_NAME".into(), Value::str(database.database_name())),
                        ],
                        secrets: vec![
                            ("DB_USERNAME".into(), database.secret_field("username")),
                            ("DB_PASSWORD".into(), database.secret_field("password")),
                        ],
                        // nginx writes only its cache, pid file and temp files.
                        readonly_root_filesystem: true,
                        writable_paths: ["/var/cache/nginx", "/var/run", "/tmp"].map(String::from).to_vec(),
                        ..Default::default()
                    },
                    desired_count: s.desired_count,
                    auto_scaling: Some(AutoScalingProps {
                        min_tasks: s.min_tasks,
                        max_tasks: s.max_tasks,
                        ..Default::default()
                    }),
                    log_retention_days: config.logs.retention_days.days(),
                    log_encryption_key: key.clone(),
                    ..Default::default()
                },
                health_check: HealthCheck {
                    path: s.health_check_path.clone(),
                    ..Default::default()
                },
                certificate_arn: s.certificate_arn.clone(),
                blue_green: config.deploy.blue_green.then_some(BlueGreen {
                    bake_time_minutes: config.deploy.bake_time_minutes,
                }),
                access_logs: Some((access_logs.clone(), "web".into())),
                ..Default::default()
            },
        )?;
        // AWS's common rule set in front of the load balancer, the same in every environment.
        WebAcl::new(&service, "WebAcl", web.load_balancer())?;
        orders.grant_read_write(&web)?;
        uploads.grant_read_write(&web)?;
        jobs.grant_send_consume(&web)?;
        database.allow_from(&web)?;

        monitoring.watch_database(&database)?;
        monitoring.watch_queue(&jobs)?;
        monitoring.watch_table(&orders)?;
        monitoring.watch_service(&web)?;
        monitoring.dashboard(&service, "Dashboard")?;

        data.add_output("TableName", Output::new(orders.name()).description("Orders table"))?;
        data.add_output("BucketName", Output::new(uploads.name()).description("Uploads bucket"))?;
        data.add_output("QueueUrl", Output::new(jobs.url()).description("Jobs queue URL"))?;
        data.add_output(
            "DatabaseEndpoint",
            Output::new(database.endpoint_address()).description("Database host name"),
        )?;
        service.add_output("LoadBalancerUrl", Output::new(web.url()).description("URL of the web service"))?;
        Ok(())
    }
}
