//! cairn's core: the CloudFormation template model, intrinsic functions, the
//! construct tree and logical IDs, tags, synthesis and template diff
//! (environment parity is the `cairn-parity` crate).
//!
//! Pure: no network and no AWS SDK. The toolkit crate talks to AWS.

pub mod application;
pub mod assembly;
pub mod check;
pub mod config;
pub mod diff;
pub mod error;
pub mod logical_id;
pub mod ordered;
pub mod output_dir;
pub mod overrides;
pub mod regions;
pub mod schema;
pub mod synth;
pub mod tags;
pub mod template;
pub mod tree;
pub mod value;

pub use application::{Application, EnvironmentConfig, Knob, LoadedEnv};
pub use error::{Error, Errors, Result};
pub use synth::{Assembly, EnvArtifact, Render, StackArtifact};
pub use template::{Output, Parameter, RemovalPolicy, Resource};
pub use tree::{App, EnvSettings, Environment, Scope, Stack};
pub use value::{Pseudo, RefTarget, ResourceRef, Value};
