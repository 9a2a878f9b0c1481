//! cairn's core: the CloudFormation template model, intrinsic functions, the
//! construct tree and logical IDs, resource facts and tags, environment files and
//! synthesis. The cloud assembly on disk (manifest, output folder), template diff,
//! environment parity and policy checks are the `cairn-assembly`, `cairn-diff`,
//! `cairn-parity` and `cairn-check` crates.
//!
//! Pure: no network and no AWS SDK. The toolkit crate talks to AWS.

pub mod alarms;
pub mod application;
pub mod config;
pub mod error;
pub mod keys;
pub mod logical_id;
pub mod metadata;
pub mod ordered;
pub mod overrides;
pub mod regions;
pub mod schema;
pub mod synth;
pub mod tags;
pub mod template;
pub mod tree;
pub mod ui;
pub mod value;

pub use alarms::CriticalAlarm;
pub use application::{Application, EnvironmentConfig, Knob, LoadedEnv};
pub use error::{Error, Errors, Result};
pub use synth::{Assembly, EnvArtifact, Render, StackArtifact};
pub use template::{Output, Parameter, RemovalPolicy, Resource};
pub use tree::{validate_name_fragment, App, EnvSettings, Environment, Scope, Stack};
pub use value::{Lazy, Pseudo, RefTarget, ResourceRef, Value};
