//! Assertions on synthesized CloudFormation templates, for the tests of cairn
//! applications and constructs: the AWS CDK's `assertions` module, in Rust.
//!
//! Get a [`Template`] (from a stack built in the test, an [`Assembly`](cairn_core::Assembly)
//! or an application's environment file, see [`synth_env`]) and assert on it with
//! expected values written as `json!({…})`. Objects match object-like (extra keys are
//! allowed, deeply), arrays element by element; [`Match`] says anything else
//! (array-with, absent, any value, string pattern, exact, not). A failed assertion panics
//! with the closest candidate and every differing path.
//!
//! ```
//! use cairn_assertions::{Match, Template};
//! use cairn_core::{App, EnvSettings, Resource};
//! use serde_json::json;
//!
//! // GIVEN a stack with a queue
//! let app = App::new("billing").unwrap();
//! let env = app
//!     .environment(EnvSettings {
//!         name: "dev".into(),
//!         account: "123456789012".into(),
//!         region: "eu-west-1".into(),
//!         retain_data: false,
//!         require_approval: false,
//!         tags: Default::default(),
//!     })
//!     .unwrap();
//! let stack = env.stack("data").unwrap();
//! let queue = Resource::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", true);
//! stack.scope().child("Jobs").unwrap().add_resource("Resource", queue).unwrap();
//!
//! // WHEN it is synthesized
//! let template = Template::from_tree_stack(&stack);
//!
//! // THEN the queue is encrypted and has no fixed name
//! template.resource_count_is("AWS::SQS::Queue", 1);
//! template.has_resource_properties(
//!     "AWS::SQS::Queue",
//!     json!({ "SqsManagedSseEnabled": true, "QueueName": Match::absent() }),
//! );
//! ```
#![deny(missing_docs)]

mod matcher;
mod synth;
mod template;

pub use matcher::{Match, Mismatch, MATCHER_KEY};
pub use synth::{synth_app, synth_env};
pub use template::Template;
