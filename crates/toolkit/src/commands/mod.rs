//! One module per command.

pub mod bootstrap;
pub mod check;
pub mod deploy;
pub mod destroy;
pub mod diff;
pub mod drift;
pub mod format;
pub mod ls;
pub mod outputs;
pub mod parity;
pub mod status;
pub mod synth;
