//! The `cairn:` keys cairn writes into templates and reads back, named once.
//!
//! Constructs write them at synthesis; `diff`, `check`, `parity` and `deploy` read them
//! from synthesized or deployed templates. The strings are part of the templates cairn
//! produces (and so of snapshots and deployed stacks): changing one is a breaking change.

/// Resource `Metadata` key with the resource's construct path (`data/Orders/Resource`),
/// like the CDK's `aws:cdk:path`. Written for every resource at synthesis; the diff,
/// checks and parity name resources by it and leave it out of comparisons.
pub const PATH: &str = "cairn:path";

/// Resource `Metadata` key with a CloudWatch alarm's severity (`critical` or
/// `warning`). Critical alarms become the rollback triggers of every deploy.
pub const ALARM_SEVERITY: &str = "cairn:alarm-severity";

/// Resource `Metadata` key on critical alarms: the minutes CloudFormation keeps watching
/// them after a deployment (the `MonitoringTimeInMinutes` of the rollback configuration
/// `deploy` sends; the longest of an environment's alarms wins).
pub const ROLLBACK_MONITORING_MINUTES: &str = "cairn:rollback-monitoring-minutes";

/// Tag key on each VPC subnet with its type (`public`, `private-with-egress`,
/// `isolated`).
pub const SUBNET_TYPE_TAG: &str = "cairn:subnet-type";
