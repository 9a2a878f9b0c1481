//! The example application ("shop"): a web service with a bucket, a queue and a
//! table, for every environment in `stacks/environments/`.
//!
//! Stacks per environment: `shop-<env>-data` (stateful) and `shop-<env>-service`
//! (stateless), connected by automatic cross-stack references.

pub mod config;

use std::path::PathBuf;

use cairn_constructs::{Attribute, Bucket, BucketProps, Queue, QueueProps, Role, RoleProps, ServicePrincipal, Table, TableProps};
use cairn_core::{Application, Environment, Knob, Output, Result};

pub use config::Config;

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
        ]
        .into_iter()
        .map(Knob::new)
        .collect()
    }

    fn build(&self, env: &Environment, _config: &Config) -> Result<()> {
        let data = env.stack("data")?;
        data.set_description("Stateful resources of the shop: bucket, queue, table");
        let uploads = Bucket::new(
            &data,
            "Uploads",
            BucketProps {
                noncurrent_version_expiration_days: Some(90),
                ..Default::default()
            },
        )?;
        let jobs = Queue::new(&data, "Jobs", QueueProps::default())?;
        let orders = Table::new(
            &data,
            "Orders",
            TableProps {
                partition_key: Attribute::string("orderId"),
                time_to_live_attribute: Some("expiresAt".into()),
                ..Default::default()
            },
        )?;

        let service = env.stack("service")?;
        service.set_description("Stateless resources of the shop: the web service and its permissions");
        let task_role = Role::new(
            &service,
            "TaskRole",
            RoleProps {
                assumed_by: ServicePrincipal::EcsTasks,
                description: Some("Runtime permissions of the shop's web service".into()),
            },
        )?;
        orders.grant_read_write(&task_role)?;
        uploads.grant_read_write(&task_role)?;
        jobs.grant_send_consume(&task_role)?;

        data.add_output("TableName", Output::new(orders.name()).description("Orders table"))?;
        data.add_output("BucketName", Output::new(uploads.name()).description("Uploads bucket"))?;
        data.add_output("QueueUrl", Output::new(jobs.url()).description("Jobs queue URL"))?;
        Ok(())
    }
}
