//! The command line: global options and the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::check::CheckArgs;
use crate::commands::diff::DiffArgs;
use crate::commands::drift::DriftArgs;
use crate::commands::parity::ParityArgs;
use crate::commands::{bootstrap::BootstrapArgs, deploy::DeployArgs, destroy::DestroyArgs, outputs::OutputsArgs, status::StatusArgs};
use crate::commands::{ls::LsArgs, synth::SynthArgs};

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Typed infrastructure as code for AWS: synthesize, diff, check parity and deploy one application's environments",
    after_help = "Examples:\n  cairn synth prod          write prod's templates to out/prod\n  cairn ls                  list environments and stacks\n\nExit codes: 0 ok, 1 failure, 2 bad input."
)]
pub struct Cli {
    /// Folder with the environment files (<env>.toml); defaults to the application's.
    #[arg(long, global = true, env = "CAIRN_ENVIRONMENTS", value_name = "DIR")]
    pub environments: Option<PathBuf>,
    /// Never use colors.
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Synth(SynthArgs),
    Ls(LsArgs),
    Diff(DiffArgs),
    Check(CheckArgs),
    Parity(ParityArgs),
    Drift(DriftArgs),
    Deploy(DeployArgs),
    Status(StatusArgs),
    Outputs(OutputsArgs),
    Destroy(DestroyArgs),
    Bootstrap(BootstrapArgs),
}
