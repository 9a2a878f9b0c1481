//! cairn's policy checks: a built-in rule pack run on every synthesized environment.
//!
//! In: one synthesized environment ([`cairn_core::EnvArtifact`]: its stacks' JSON
//! templates, construct paths and the suppressions constructs recorded with
//! `Scope::suppress`). Out: a [`Report`] of findings, per-rule outcomes and
//! suppressions, which [`render`] turns into text, Markdown, JSON or the manifest's
//! `"checks"` section. Pure: no I/O. (CloudFormation Guard rule files are evaluated by
//! the toolkit, which merges their findings into the same [`Report`].)
//!
//! Rules are pure functions over the templates of one environment (so cross-stack
//! references, e.g. a flow log in another stack than its VPC, are followed through
//! exports). Each rule has a stable ID, a title, a severity, the environments it
//! applies to and a fix. A finding on a construct that suppressed the rule is kept in
//! the report with its reason but does not count. Errors fail `synth`; warnings are
//! printed and recorded in the manifest.
//!
//! ```
//! use cairn_core::{App, EnvSettings, Resource};
//!
//! let app = App::new("shop")?;
//! let env = app.environment(EnvSettings {
//!     name: "dev".into(),
//!     account: "123456789012".into(),
//!     region: "us-east-1".into(),
//!     retain_data: false,
//!     require_approval: false,
//!     tags: Default::default(),
//! })?;
//! let stack = env.stack("data")?;
//! // A queue without encryption, a dead-letter queue or a TLS-only policy.
//! stack.scope().child("Jobs")?.add_resource("Resource", Resource::new("AWS::SQS::Queue"))?;
//! let assembly = app.synth()?;
//!
//! let report = cairn_check::check_env(&assembly.environments[0])?;
//! let failed: Vec<_> = report.findings.iter().map(|f| (f.rule.as_str(), f.path.as_str())).collect();
//! assert!(failed.contains(&("SQS-ENCRYPTION", "data/Jobs/Resource")));
//! assert!(report.errors() > 0);
//! assert!(cairn_check::render::text(&report).contains("SQS-ENCRYPTION"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod dynamodb;
mod ec2;
mod ecs;
mod elb;
mod iam;
mod kms;
mod logs;
mod model;
mod pack;
mod rds;
pub mod render;
mod report;
mod rule;
mod run;
mod s3;
mod sqs;
#[cfg(test)]
mod testing;

pub use iam::ACTIONS_REQUIRING_STAR;
pub use pack::{rule, rules};
pub use report::{Finding, Outcome, Report, Source, Status, SuppressionNote};
pub use rule::{AppliesTo, Rule, Severity};
pub use run::check_env;
