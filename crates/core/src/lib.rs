//! cairn's core: the CloudFormation template model, intrinsic functions, the
//! construct tree and logical IDs, resource facts and tags, environment files and
//! synthesis. The cloud assembly on disk (manifest, output folder), template diff,
//! environment parity and policy checks are the `cairn-assembly`, `cairn-diff`,
//! `cairn-parity` and `cairn-check` crates.
//!
//! Pure: no network and no AWS SDK. The toolkit crate talks to AWS.
//!
//! An [`App`] holds environments ([`EnvSettings`]), each holding stacks; constructs add
//! [`Resource`]s under a stack's [`Scope`], and [`App::synth`] turns the tree into
//! templates ([`Assembly`]). References between resources are [`Value`]s: across stacks
//! of one environment they become exports and imports.
//!
//! ```
//! use cairn_core::{App, EnvSettings, Output, Resource, Value};
//!
//! let app = App::new("shop")?;
//! let env = app.environment(EnvSettings {
//!     name: "dev".into(),
//!     account: "123456789012".into(),
//!     region: "eu-west-1".into(),
//!     retain_data: false,
//!     require_approval: false,
//!     tags: Default::default(),
//! })?;
//! let data = env.stack("data")?;
//! let queue = data
//!     .scope()
//!     .child("Jobs")?
//!     .add_resource("Resource", Resource::new("AWS::SQS::Queue").prop("VisibilityTimeout", 120))?;
//! let service = env.stack("service")?;
//! let worker = Resource::new("AWS::SSM::Parameter").prop("Type", "String").prop("Value", queue.get_att("Arn"));
//! service.scope().add_resource("JobsArn", worker)?;
//! service.add_output("Queue", Output::new(Value::str("jobs")))?;
//!
//! let assembly = app.synth()?;
//! let dev = &assembly.environments[0];
//! // Logical IDs come from construct paths: `Jobs/Resource` is `Jobs` plus a hash of the path.
//! let data_template = &dev.stack("shop-dev-data").unwrap().template;
//! let (id, jobs) = data_template["Resources"].as_object().unwrap().iter().next().unwrap();
//! assert!(id.starts_with("Jobs"));
//! assert_eq!(jobs["Properties"]["VisibilityTimeout"], 120);
//! // The reference crossed stacks: an export in `data`, an import in `service`.
//! let service_template = &dev.stack("service").unwrap().template;
//! assert!(service_template["Resources"]["JobsArn"]["Properties"]["Value"].get("Fn::ImportValue").is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod alarms;
pub mod application;
pub mod config;
mod error;
mod json_text;
mod keys;
mod logical_id;
pub mod metadata;
pub mod ordered;
mod overrides;
mod regions;
pub mod schema;
mod synth;
pub mod tags;
pub mod template;
mod tree;
pub mod ui;
mod value;

pub use alarms::CriticalAlarm;
pub use application::{Application, EnvironmentConfig, Knob, LoadedEnv};
pub use error::{Error, Errors, Result};
pub use json_text::push_json_string;
pub use keys::{EnvKey, StackKey};
pub use synth::{Assembly, EnvArtifact, ModelForms, Render, StackArtifact};
pub use template::{Output, Parameter, RemovalPolicy, Resource};
pub use tree::{validate_name_fragment, App, EnvSettings, Environment, RenderOnly, Scope, Stack, Suppression};
pub use value::{Lazy, Pseudo, RefTarget, ResourceRef, Value};
