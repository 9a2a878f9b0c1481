//! The steps several commands share. An operation takes plain arguments (or an
//! options struct) and returns its result; it parses no command line. Commands
//! (`crate::commands`) call operations; operations call the deploy engine
//! (`crate::deploy`) and the AWS clients (`crate::aws`), never a command.
//!
//! The paths of cairn's diff, parity and policy-check modules are named here (and
//! re-exported for the commands), so that moving them changes these files only.

pub mod bootstrap;
pub mod checks;
pub mod deployed;
pub mod diff;
pub mod environment;
pub mod parity;
pub mod template_bucket;
