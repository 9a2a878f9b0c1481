//! The work behind the commands, one module per step: the steps several commands
//! share, and a command's own step when it is more than wiring (the bootstrap
//! stack). An operation takes plain arguments (or an options struct) and returns
//! its result; it parses no command line. Commands
//! (`crate::commands`) call operations; operations call the AWS clients
//! (`crate::aws`), never a command. The two larger operations, the deploy engine
//! (`crate::deploy`, which uses [`diff`] to refuse what CloudFormation would) and
//! drift detection (`crate::drift`), have folders of their own.
//!
//! Commands take the diff, parity and policy-check types they print from here
//! ([`diff`], [`parity`], [`checks`] re-export them), so that moving those modules
//! out of cairn-core changes the operations, not the commands.

pub mod bootstrap;
pub mod checks;
pub mod deployed;
pub mod diff;
pub mod environment;
pub mod from_dir;
pub mod github_oidc;
pub mod new_project;
pub mod parity;
pub mod pipeline;
pub mod promotion_gate;
pub mod running;
pub mod template_bucket;
