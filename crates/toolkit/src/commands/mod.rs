//! One module per command.

pub mod ls;
pub mod synth;
