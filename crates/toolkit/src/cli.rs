//! The command line: global options and the subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::check::CheckArgs;
use crate::commands::diff::DiffArgs;
use crate::commands::drift::DriftArgs;
use crate::commands::parity::ParityArgs;
use crate::commands::pipeline::PipelineArgs;
use crate::commands::{bootstrap::BootstrapArgs, deploy::DeployArgs, destroy::DestroyArgs, outputs::OutputsArgs, status::StatusArgs};
use crate::commands::{ls::LsArgs, new::NewArgs, synth::SynthArgs};

#[derive(Debug, Parser)]
#[command(
    name = "cairn",
    version,
    about = "Typed infrastructure as code for AWS: synthesize, diff, check parity and deploy one application's environments",
    after_help = "Examples:\n  cairn synth prod          write prod's templates to out/prod\n  cairn ls                  list environments and stacks\n\nExit codes: 0 ok, 1 failure, 2 bad input, 3 `drift` against an endpoint without drift detection\n(e.g. moto), 130 stopped by Ctrl-C."
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
    New(NewArgs),
    Pipeline(PipelineArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command and its subcommands, with their path (`cairn status`).
    fn commands() -> Vec<(String, clap::Command)> {
        let mut out = Vec::new();
        let mut todo = vec![(String::from("cairn"), Cli::command())];
        while let Some((path, cmd)) = todo.pop() {
            for sub in cmd.get_subcommands() {
                todo.push((format!("{path} {}", sub.get_name()), sub.clone()));
            }
            out.push((path, cmd));
        }
        out
    }

    #[test]
    fn every_command_argument_and_option_has_a_description() {
        let mut missing = Vec::new();
        for (path, cmd) in commands() {
            if path != "cairn" && cmd.get_about().is_none() {
                missing.push(format!("{path}: the command itself"));
            }
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue; // clap's own, described by clap
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path}: {id}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "arguments without a description (add a doc comment):\n  {}",
            missing.join("\n  ")
        );
    }

    #[test]
    fn output_formats_are_chosen_with_format_json() {
        let mut wrong = Vec::new();
        let mut with_json = Vec::new();
        for (path, cmd) in commands() {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "json" && !arg.is_hide_set() {
                    wrong.push(format!("{path}: a visible --json (use --format json)"));
                }
                if id == "format" {
                    let values: Vec<String> = arg.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
                    if values.iter().any(|v| v == "json") {
                        with_json.push(path.clone());
                    } else {
                        wrong.push(format!("{path}: --format without json ({values:?})"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
        for command in ["ls", "status", "outputs", "diff", "check", "parity", "drift"] {
            assert!(
                with_json.contains(&format!("cairn {command}")),
                "cairn {command} lacks --format json: {with_json:?}"
            );
        }
    }
}
