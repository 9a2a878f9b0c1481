//! cairn's command line: `synth`, `ls`, `diff`, `parity`, `deploy` and friends.
//!
//! An application's binary calls [`main`] with its [`Application`]. This is the
//! only crate of cairn that talks to AWS. Beside the command line, the deploy engine
//! ([`deploy::Deployer`], with the clients [`connect`] makes) deploys synthesized
//! stacks from a program of your own.
//!
//! ```
//! use std::path::PathBuf;
//! use std::process::ExitCode;
//!
//! use cairn_core::application::{load_env, synthesize};
//! use cairn_core::config::{FieldError, Validate};
//! use cairn_core::{Application, EnvSettings, Environment, EnvironmentConfig, Resource};
//!
//! /// The environment file (`environments/<name>.toml`).
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     account: String,
//!     region: String,
//! }
//!
//! impl Validate for Config {
//!     fn validate(&self) -> Vec<FieldError> {
//!         Vec::new()
//!     }
//! }
//!
//! impl EnvironmentConfig for Config {
//!     fn settings(&self, name: &str) -> EnvSettings {
//!         EnvSettings {
//!             name: name.into(),
//!             account: self.account.clone(),
//!             region: self.region.clone(),
//!             retain_data: false,
//!             require_approval: false,
//!             tags: Default::default(),
//!         }
//!     }
//! }
//!
//! struct Billing {
//!     environments: PathBuf,
//! }
//!
//! impl Application for Billing {
//!     type Config = Config;
//!     fn name(&self) -> &str {
//!         "billing"
//!     }
//!     fn environments_dir(&self) -> PathBuf {
//!         self.environments.clone()
//!     }
//!     fn build(&self, env: &Environment, _config: &Config) -> cairn_core::Result<()> {
//!         let stack = env.stack("data")?;
//!         let queue = Resource::new("AWS::SQS::Queue").prop("SqsManagedSseEnabled", true);
//!         stack.scope().child("Invoices")?.add_resource("Resource", queue)?;
//!         Ok(())
//!     }
//! }
//!
//! /// The application's binary (`src/main.rs`): `cargo run -- synth dev`, `cargo run -- deploy dev`.
//! fn cairn(app: Billing) -> ExitCode {
//!     cairn_toolkit::main(app)
//! }
//!
//! // What `cairn synth dev` does first: read the environment file, build, synthesize.
//! let dir = std::env::temp_dir().join(format!("cairn-toolkit-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("dev.toml"), "account = \"123456789012\"\nregion = \"eu-west-1\"\n")?;
//! let app = Billing { environments: dir.clone() };
//! let dev = load_env(&app, "dev")?;
//! let assembly = synthesize(&app, &[("dev", &dev.config)])?;
//! assert_eq!(assembly.environments[0].stacks[0].name, "billing-dev-data");
//! # let _ = cairn;
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod args;
mod aws;
mod checkout;
mod cli;
mod commands;
pub mod deploy;
mod drift;
mod error;
mod guard;
mod ops;
mod project;
mod ui;

pub use aws::{connect, http_client, AwsClients};
pub use error::{CliError, CliResult};

use std::process::ExitCode;

use cairn_core::Application;
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::project::Project;
use crate::ui::Style;

/// Runs the `cairn` command line for `app` and returns the process exit code.
pub fn main<A: Application + Sync>(app: A) -> ExitCode {
    small_pages_only();
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
/// No transparent huge pages for this process: allocators that ask for them (mimalloc
/// does) back each touched 2 MB region with a whole huge page, which for a short-lived
/// tool of small allocations only inflates its memory (about 6 MB of `synth`'s peak).
fn small_pages_only() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integer arguments and changes only
    // how this process's future page faults are served.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

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
        Command::Pipeline(args) => commands::pipeline::run(&project, args, style),
    }
}
