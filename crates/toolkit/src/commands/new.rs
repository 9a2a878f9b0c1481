//! `cairn new DIR`: start a project of your own (works from any cairn binary: it needs
//! no application).

use std::path::PathBuf;

use clap::Args;

use crate::error::{CliError, CliResult};
use crate::ops::new_project::{self, CairnSource, NewError};
use crate::ui::Style;

/// `cairn new`'s arguments.
#[derive(Debug, Args)]
#[command(
    about = "Start a project of your own: a standalone Cargo project with a queue worker's stacks, tests, Makefile and CI",
    after_help = "Examples:\n  cargo run -- new ../billing-infra\n  cairn new ~/src/jobs-infra --name jobs --git https://github.com/example/cairn\n\nThe project is a copy of cairn's examples/queue-worker with its own name. Refused (exit 2,\nnothing written): a folder that is not empty, a name that cannot start a stack name."
)]
pub struct NewArgs {
    /// Folder to create (it may exist if it is empty), e.g. ../billing-infra.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The application's name, the first part of every stack name and the package name
    /// (letters, digits and hyphens, starting with a letter). Default: DIR's name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Depend on the cairn crates from this git repository instead of this checkout's folder.
    #[arg(long, value_name = "URL")]
    pub git: Option<String>,
}

/// Writes the project and prints what it wrote and the next commands.
pub fn run(args: &NewArgs, style: Style) -> CliResult {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => new_project::default_name(&args.dir).ok_or_else(|| {
            CliError::BadInput(format!(
                "{} has no name to give the project\n  fix: pass --name, e.g. --name billing-infra",
                args.dir.display()
            ))
        })?,
    };
    let source = match &args.git {
        Some(url) => CairnSource::Git(url.clone()),
        None => CairnSource::Path(new_project::this_checkout()),
    };
    let written = new_project::write_project(&args.dir, &name, &source).map_err(|e| match e {
        NewError::BadInput(m) => CliError::BadInput(m),
        NewError::Write(m) => CliError::Failed(m),
    })?;
    let dir = args.dir.display();
    println!("{} {dir}: project `{name}`, {} files", style.bold("created"), written.len());
    for path in &written {
        println!("  {path}");
    }
    match &source {
        CairnSource::Path(root) => println!(
            "The cairn crates are path dependencies on {} (CI elsewhere needs `cairn new --git URL`).",
            root.display()
        ),
        CairnSource::Git(url) => println!("The cairn crates come from {url}."),
    }
    println!("\nNext:\n  cd {dir}\n  cargo run -- synth prod\n  make test");
    Ok(())
}
