//! `cairn drift`'s work: CloudFormation drift detection on an environment's deployed
//! stacks ([`detect()`], against the calls of [`crate::aws::drift`]) and its findings
//! rendered for people and scripts ([`render`]). An endpoint without drift detection
//! (moto) ends with exit code [`DRIFT_UNSUPPORTED_EXIT`](crate::error::DRIFT_UNSUPPORTED_EXIT) and says so.

pub mod detect;
pub mod render;

#[cfg(test)]
mod tests;

pub use detect::{detect, detection_error, drifted, StackDrift};
