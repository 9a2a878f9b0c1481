//! One module per command.

pub mod check;
pub mod ls;
pub mod parity;
pub mod synth;
