//! A queue worker: a Fargate service without a load balancer that takes jobs from an SQS
//! queue (with a dead-letter queue) and writes results to a DynamoDB table, scaled on
//! the queue's backlog, watched by alarms, for every environment in `stacks/environments/`.
//!
//! Stacks per environment, in deploy order: `<app>-<env>-network` (VPC, alarm topic),
//! `<app>-<env>-data` (queue, table: stateful) and `<app>-<env>-worker` (stateless).
//! The application's name, the first part of every stack name, is the package's name.
//! Environments differ only through their config values, never through their names.

pub mod config;
pub mod scaling;

use std::path::PathBuf;

use cairn_constructs::{
    AlarmThresholds, Attribute, AutoScalingProps, Cluster, ClusterProps, ContainerProps, DeadLetter, FargateService, FargateServiceProps,
    FlowLogProps, Monitoring, MonitoringProps, Queue, QueueProps, Table, TableProps, Vpc, VpcProps,
};
use cairn_core::{Application, Environment, Knob, Output, Result};

pub use config::Config;

/// The queue worker application.
#[derive(Debug, Clone)]
pub struct QueueWorker {
    environments_dir: PathBuf,
}

impl Default for QueueWorker {
    fn default() -> Self {
        QueueWorker {
            environments_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("stacks/environments"),
        }
    }
}

impl QueueWorker {
    /// The application with environment files from another folder (tests, copies).
    pub fn with_environments_dir(dir: impl Into<PathBuf>) -> Self {
        QueueWorker {
            environments_dir: dir.into(),
        }
    }
}

impl Application for QueueWorker {
    type Config = Config;

    fn name(&self) -> &str {
        env!("CARGO_PKG_NAME")
    }

    fn environments_dir(&self) -> PathBuf {
        self.environments_dir.clone()
    }

    fn rules_dir(&self) -> Option<PathBuf> {
        // CloudFormation Guard rules of the project (none yet: add `rules/*.guard`).
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules"))
    }

    fn knobs(&self) -> Vec<Knob> {
        [
            "account",
            "region",
            "require_approval",
            "retain_data",
            "tags.CostCenter",
            "network.cidr",
            "network.max_azs",
            "network.nat_gateways",
            "worker.cpu",
            "worker.memory_mib",
            "worker.min_tasks",
            "worker.max_tasks",
            "worker.messages_per_task",
            "logs.retention_days",
            "alarms.emails",
            "alarms.queue_oldest_message_age_seconds",
            "alarms.rollback_monitoring_minutes",
        ]
        .into_iter()
        .map(Knob::new)
        // The image is promoted from dev to staging to prod: a newer one in dev or staging
        // is promotion skew, not a difference (the promotion gate compares it).
        .chain([Knob::artifact("worker.image")])
        .collect()
    }

    fn build(&self, env: &Environment, config: &Config) -> Result<()> {
        let network = env.stack("network")?;
        network.set_description("Network of the queue worker: VPC, subnets, NAT gateways, flow logs, alarm topic");
        let vpc = Vpc::new(
            &network,
            "Vpc",
            VpcProps {
                cidr: config.network.cidr,
                max_azs: config.network.max_azs,
                nat_gateways: config.network.nat_gateways,
                flow_logs: Some(FlowLogProps {
                    retention_days: config.logs.retention_days.days(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )?;
        // The alarm topic lives in the first stack so every stack's alarms can notify it.
        let a = &config.alarms;
        let monitoring = Monitoring::new(
            &network,
            "Monitoring",
            MonitoringProps {
                thresholds: AlarmThresholds {
                    memory_warning_percent: a.memory_warning_percent,
                    memory_critical_percent: a.memory_critical_percent,
                    cpu_warning_percent: a.cpu_warning_percent,
                    queue_oldest_message_age_seconds: a.queue_oldest_message_age_seconds,
                    ..Default::default()
                },
                emails: a.emails.clone(),
                rollback_monitoring_minutes: a.rollback_monitoring_minutes,
                ..Default::default()
            },
        )?;

        let data = env.stack("data")?;
        data.set_description("Stateful resources of the queue worker: the jobs queue and the results table");
        let jobs = Queue::new(
            &data,
            "Jobs",
            QueueProps {
                visibility_timeout_seconds: config.queue.visibility_timeout_seconds,
                dead_letter: Some(DeadLetter {
                    max_receive_count: config.queue.max_receive_count,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )?;
        let results = Table::new(
            &data,
            "Results",
            TableProps {
                partition_key: Attribute::string("jobId"),
                time_to_live_attribute: Some("expiresAt".into()),
                ..Default::default()
            },
        )?;

        let worker_stack = env.stack("worker")?;
        worker_stack.set_description("Stateless resources of the queue worker: the Fargate service that consumes the queue");
        let cluster = Cluster::new(&worker_stack, "Cluster", &vpc, ClusterProps::default())?;
        let w = &config.worker;
        let size = w.size().ok_or_else(|| {
            cairn_core::Error::new(format!("cpu {} with {} MiB is not a Fargate task size", w.cpu, w.memory_mib))
                .at(format!("{}/worker", env.name()))
                .property("worker.memory_mib")
                .fix("use a valid pair, e.g. cpu = 256 with memory_mib = 512")
        })?;
        // No load balancer: the worker only calls out (HTTPS to SQS, DynamoDB, CloudWatch).
        let worker = FargateService::new(
            &worker_stack,
            "Worker",
            &cluster,
            FargateServiceProps {
                size,
                container: ContainerProps {
                    image: w.image.clone(),
                    // A worker serves nothing: no port mapping.
                    port: None,
                    environment: vec![("QUEUE_URL".into(), jobs.url()), ("TABLE_NAME".into(), results.name())],
                    readonly_root_filesystem: true,
                    writable_paths: vec!["/tmp".into()],
                    ..Default::default()
                },
                desired_count: w.min_tasks,
                auto_scaling: Some(AutoScalingProps {
                    min_tasks: w.min_tasks,
                    max_tasks: w.max_tasks,
                    ..Default::default()
                }),
                log_retention_days: config.logs.retention_days.days(),
                ..Default::default()
            },
        )?;
        scaling::scale_on_backlog(&worker, &jobs, w.messages_per_task)?;
        // Least privilege: the worker consumes the queue and writes the table, nothing more.
        jobs.grant_consume_messages(&worker)?;
        results.grant_write_data(&worker)?;

        monitoring.watch_queue(&jobs)?;
        monitoring.watch_table(&results)?;
        monitoring.watch_fargate_service(&worker)?;
        monitoring.dashboard(&worker_stack, "Dashboard")?;

        data.add_output("QueueUrl", Output::new(jobs.url()).description("Jobs queue URL: send work here"))?;
        data.add_output("TableName", Output::new(results.name()).description("Results table"))?;
        Ok(())
    }
}
