//! cairn's command line: `synth`, `ls`, `diff`, `parity`, `deploy` and friends.
//!
//! An application's binary calls [`main`] with its [`Application`]. This is the
//! only crate of cairn that talks to AWS.

pub mod args;
pub mod aws;
pub mod checkout;
pub mod cli;
pub mod commands;
pub mod deploy;
pub mod drift;
pub mod error;
pub mod guard;
pub mod ops;
pub mod project;
pub mod ui;

use std::process::ExitCode;

use cairn_core::Application;
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::CliResult;
use crate::project::Project;
use crate::ui::Style;

/// Runs the `cairn` command line for `app` and returns the process exit code.
pub fn main<A: Application + Sync>(app: A) -> ExitCode {
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors; everything else is bad input.
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match run(app, cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// The one place a failed command is printed: its report on stderr (`error: ` in front
/// where the failure is an error, see [`error::CliError::report`]) and its exit code.
fn fail(e: &error::CliError) -> ExitCode {
    let report = e.report();
    if !report.is_empty() {
        eprintln!("{report}");
    }
    ExitCode::from(e.exit_code())
}

/// Rust ignores SIGPIPE, so `println!` panics when the reader of a pipe goes away
/// (`cairn ls | head -1`). Like other Unix tools, end quietly instead: the default
/// action stops the process (a deployment in progress goes on in CloudFormation).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run<A: Application + Sync>(app: A, cli: Cli) -> CliResult {
    let style = Style::new(!cli.no_color && ui::color_stdout());
    let project = Project::new(app, cli.environments.clone());
    match &cli.command {
        Command::Synth(args) => commands::synth::run(&project, args, style),
        Command::Ls(args) => commands::ls::run(&project, args, style),
        Command::Diff(args) => commands::diff::run(&project, args, style),
        Command::Check(args) => commands::check::run(&project, args, style),
        Command::Parity(args) => commands::parity::run(&project, args, style),
        Command::Drift(args) => commands::drift::run(&project, args, style),
        Command::Deploy(args) => commands::deploy::run(&project, args, style),
        Command::Status(args) => commands::status::run(&project, args, style),
        Command::Outputs(args) => commands::outputs::run(&project, args, style),
        Command::Destroy(args) => commands::destroy::run(&project, args, style),
        Command::Bootstrap(args) => commands::bootstrap::run(&project, args, style),
        // Uses no application: any cairn binary starts a project.
        Command::New(args) => commands::new::run(args, style),
    }
}
