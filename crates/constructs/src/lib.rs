//! Typed AWS constructs with secure defaults, one module per service.
//!
//! Each construct reads like its AWS resource: a `Props` struct with documented
//! fields and `Default`s, a constructor `new(scope, id, props)`, typed accessors
//! (`arn()`, `name()`, `url()`) usable as references from any stack of the same
//! environment, and `grant_*` methods that add least-privilege statements.
//!
//! ```
//! use cairn_constructs::{Queue, QueueProps, Role, RoleProps, ServicePrincipal};
//! use cairn_core::{App, EnvSettings};
//!
//! let app = App::new("billing")?;
//! let env = app.environment(EnvSettings {
//!     name: "dev".into(),
//!     account: "123456789012".into(),
//!     region: "eu-west-1".into(),
//!     retain_data: false,
//!     require_approval: false,
//!     tags: Default::default(),
//! })?;
//! // A queue with the defaults: encrypted, with a dead-letter queue, TLS only.
//! let queue = Queue::new(&env.stack("data")?.scope(), "Invoices", QueueProps::default())?;
//! // A role in another stack may consume from it: a least-privilege grant.
//! let worker = Role::new(
//!     &env.stack("service")?.scope(),
//!     "Worker",
//!     RoleProps { assumed_by: ServicePrincipal::EcsTasks, description: None },
//! )?;
//! queue.grant_consume_messages(&worker)?;
//!
//! let assembly = app.synth()?;
//! let dev = &assembly.environments[0];
//! let types = |stack: &str| -> Vec<String> {
//!     let template = &dev.stack(stack).unwrap().template;
//!     template["Resources"].as_object().unwrap().values().map(|r| r["Type"].as_str().unwrap().to_string()).collect()
//! };
//! assert_eq!(types("data").iter().filter(|t| *t == "AWS::SQS::Queue").count(), 2);
//! assert!(types("service").contains(&"AWS::IAM::Policy".to_string()));
//! let service = serde_json::to_string(&dev.stack("service").unwrap().template)?;
//! assert!(service.contains("sqs:ReceiveMessage") && service.contains("Fn::ImportValue"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod cloudwatch;
pub mod dynamodb;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod iam;
mod imported;
pub mod instance_classes;
pub mod kms;
pub mod logs;
pub mod monitoring;
mod naming;
pub mod rds;
pub mod removal;
pub mod s3;
pub mod sns;
pub mod sqs;
#[cfg(test)]
mod test_support;

pub use dynamodb::{Attribute, Table, TableProps};
pub use ec2::{
    Connectable, FlowLogProps, Port, SecurityGroup, SecurityGroupProps, Subnet, SubnetConfiguration, SubnetType, Vpc, VpcAttributes,
    VpcProps,
};
pub use ecs::{
    AutoScalingProps, Cluster, ClusterProps, ContainerProps, FargateService, FargateServiceProps, FargateSize, Secret, SidecarProps,
};
pub use elbv2::{BlueGreen, HealthCheck, LoadBalancedFargateService, LoadBalancedFargateServiceProps};
pub use iam::{Grantable, PolicyStatement, Role, RoleProps, ServicePrincipal};
pub use kms::{Key, KeyProps};
pub use logs::{LogGroup, LogGroupProps};
pub use monitoring::{AlarmThresholds, Monitoring, MonitoringProps};
pub use rds::{Database, DatabaseProps};
pub use s3::{Bucket, BucketProps};
pub use sqs::{DeadLetter, Queue, QueueProps};

use cairn_core::{ResourceRef, Result, Scope};

/// What every construct has: its place in the tree, and policy-check suppressions on it.
pub trait Construct {
    /// The construct's scope (its path in its stack).
    fn construct_scope(&self) -> &Scope;

    /// Suppresses a policy-check rule on this construct and its children, with a written
    /// reason reviewers see in the manifest and the `check` report.
    fn suppress(&self, rule: &str, reason: &str) -> Result<()> {
        self.construct_scope().suppress(rule, reason)
    }

    /// A resource this construct created, by its path under the construct (`Resource`,
    /// `Policy`, `LoadBalancer/HttpListener`), for escape hatches: pass it to
    /// [`cairn_core::Stack::add_override`]. Reaches every resource, also those without an
    /// accessor; an unknown path is an error listing the construct's resources.
    fn resource_at(&self, path: &str) -> Result<ResourceRef> {
        self.construct_scope().resource_at(path)
    }
}

macro_rules! constructs {
    ($($t:ty),* $(,)?) => {$(
        impl Construct for $t {
            fn construct_scope(&self) -> &Scope {
                self.scope()
            }
        }
    )*};
}

constructs!(
    Table,
    Vpc,
    SecurityGroup,
    Cluster,
    FargateService,
    LoadBalancedFargateService,
    Role,
    LogGroup,
    Key,
    Database,
    Bucket,
    Queue,
    sns::Topic,
    cloudwatch::Alarm,
    cloudwatch::Dashboard,
    Monitoring
);
