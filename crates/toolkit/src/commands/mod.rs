//! One module per command: its clap arguments and a short `run` that calls the
//! shared steps in `crate::ops` (and the deploy engine, `crate::deploy`). A command
//! never imports another command.

pub mod bootstrap;
pub mod check;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod drift;
pub mod ls;
pub mod new;
pub mod outputs;
pub mod parity;
pub mod pipeline;
pub mod status;
pub mod synth;
