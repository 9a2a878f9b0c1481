//! Environment parity: environments may differ only through their environment
//! files, and only in the fields the application declares as knobs
//! ([`cairn_core::Knob`]).
//!
//! In: an [`Application`](cairn_core::Application) and its loaded environments
//! ([`analyze`]), a synthesis output folder ([`record::read_out_dir`]) or deployed
//! templates ([`flatten_stack`]). Out: a [`Report`] ([`compare`](fn@compare)), rendered as
//! text, Markdown or JSON ([`render`]). Errors are [`ParityError`]s.
//!
//! The environments' templates are compared resource by resource and property by
//! property, after normalizing environment names, account ids and regions away
//! ([`Normalizer`], [`flatten_env`], [`Flat`]). Every difference is attributed to the
//! knob that drives it: re-synthesizing an environment with the reference
//! environment's value for a knob shows which properties that knob drives, and once
//! every knob is swapped, whatever still differs is undeclared ([`analyze`]).
//! [`record`] stores what `parity --out` needs in each manifest and reads it back.
//!
//! ```
//! use cairn_parity::{flatten_stack, Flat, Normalizer};
//! use serde_json::json;
//!
//! let queue = |name: &str, timeout: u32| {
//!     json!({"Resources": {"Jobs": {"Type": "AWS::SQS::Queue",
//!         "Properties": {"QueueName": name, "VisibilityTimeout": timeout}}}})
//! };
//! let mut dev = Flat::default();
//! let mut prod = Flat::default();
//! let dev_ids = Normalizer::new("dev", "111111111111", "us-east-1");
//! let prod_ids = Normalizer::new("prod", "222222222222", "eu-west-1");
//! flatten_stack(&mut dev, &dev_ids, "data", "shop-dev-data", &queue("shop-dev-jobs", 30));
//! flatten_stack(&mut prod, &prod_ids, "data", "shop-prod-data", &queue("shop-prod-jobs", 60));
//!
//! // Stack and queue names are equal once normalized; the timeout is not.
//! let differing: Vec<String> = dev.diff_keys(&prod).into_iter().map(|k| k.property).collect();
//! assert_eq!(differing, ["Properties.VisibilityTimeout"]);
//! ```

#![deny(missing_docs)]

mod attribute;
mod compare;
mod error;
mod flat;
mod flatten;
mod input;
mod leaves;
mod normalize;
mod promotion;
pub mod record;
pub mod render;
mod report;

pub use attribute::{analyze, analyze_with, Job, Parallel, Sequential, Synthesizer};
pub use compare::{changes, compare};
pub use error::ParityError;
pub use flat::{Flat, Leaf, PathKey, Section};
pub use flatten::{flatten_env, flatten_stack, flatten_taking};
pub use input::EnvInput;
pub use normalize::Normalizer;
pub use promotion::{artifact_skew, artifact_skew_in_records, artifact_skew_in_tables, ArtifactSkew};
pub use report::{FieldSummary, Note, Report, Row, Skew, Source, StackReport, Status, Violation};
