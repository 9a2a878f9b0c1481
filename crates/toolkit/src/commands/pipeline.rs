//! `cairn pipeline`: write (or `--check`) the GitHub Actions workflow generated from the
//! environment files, or print the commands that set up its GitHub environments.

use std::path::{Path, PathBuf};

use cairn_core::Application;
use clap::Args;

use crate::error::{CliError, CliResult};
use crate::ops::pipeline::{default_workflow_path, github_setup, workflow, Pipeline};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Write the GitHub Actions workflow that tests and deploys every environment, from the environment files",
    long_about = "Write the GitHub Actions workflow that tests and deploys every environment, from the\n\
environment files' [delivery] tables (trigger, GitHub environment, role_arn, diff_role_arn),\n\
to .github/workflows/cairn-<application>.yml (relative to the current folder: run it from the\n\
repository's root). Pull requests: `make test` and the template diff; a push to main: `make test`\n\
synthesizes once, then each `automatic` environment deploys that synthesis in promotion order;\n\
`manual` ones deploy a tested push run's synthesis on a workflow dispatch. The output depends\n\
only on the environment files: commit it, and let `--check` (in `make test`) catch a stale one.",
    after_help = "Examples:\n  cairn pipeline                  write .github/workflows/cairn-<app>.yml\n  \
cairn pipeline --check          exit 1 if the committed file differs from what the files give\n  \
cairn pipeline --github-setup   the gh commands that create the GitHub environments, reviewers and wait timers"
)]
pub struct PipelineArgs {
    /// Write nothing; exit 1 when the workflow file is missing or differs from what the environment files give.
    #[arg(long, conflicts_with = "github_setup")]
    pub check: bool,
    /// Print the `gh api` commands that create the GitHub environments with their reviewers and wait timers (writes nothing).
    #[arg(long)]
    pub github_setup: bool,
    /// The workflow file (default: .github/workflows/cairn-<application>.yml).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run<A: Application>(project: &Project<A>, args: &PipelineArgs, style: Style) -> CliResult {
    let envs = project.all_envs()?;
    let root = std::env::current_dir().map_err(|e| CliError::Failed(format!("cannot read the current folder: {e}")))?;
    let out = args.out.clone().unwrap_or_else(|| default_workflow_path(project.name()));
    let pipeline = Pipeline::new(project.name(), &binary_name(), &root, &project.environments_dir(), &out, &envs)?;
    if args.github_setup {
        print!("{}", github_setup::render(&pipeline));
        return Ok(());
    }
    let text = workflow::render(&pipeline);
    let path = root.join(&pipeline.workflow_path);
    let current = std::fs::read_to_string(&path).ok();
    if args.check {
        return match current {
            Some(current) if current == text => {
                println!("{} is up to date", pipeline.workflow_path);
                Ok(())
            }
            Some(current) => Err(CliError::Failed(format!(
                "{} is stale: it differs from what the environment files give (first at line {}); run `cargo run -- pipeline` and commit it",
                pipeline.workflow_path,
                first_difference(&current, &text)
            ))),
            None => Err(CliError::Failed(format!(
                "{} does not exist; run `cargo run -- pipeline` and commit it",
                pipeline.workflow_path
            ))),
        };
    }
    if current.as_deref() == Some(text.as_str()) {
        println!("{} is up to date", pipeline.workflow_path);
    } else {
        write_atomically(&path, &text)?;
        println!("wrote {}", style.bold(&pipeline.workflow_path));
    }
    let names = |it: &mut dyn Iterator<Item = &crate::ops::pipeline::Stage>| it.map(|s| s.name.clone()).collect::<Vec<_>>().join(" → ");
    println!("  on every push to main: {}", or_none(names(&mut pipeline.automatic())));
    println!("  on a manual dispatch:  {}", or_none(names(&mut pipeline.manual())));
    for s in pipeline.without_role() {
        eprintln!(
            "warning: {}: no [delivery] role_arn: its deploy job fails until you set one (`cairn bootstrap {} --github-repo OWNER/REPO` prints it)",
            s.file, s.name
        );
    }
    println!("Reviewers and wait timers are GitHub environment settings: `cairn pipeline --github-setup` prints the commands.");
    Ok(())
}

fn or_none(s: String) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s
    }
}

/// The binary's file name (`cairn`): the workflow copies it from `target/debug/`.
fn binary_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "cairn".into())
}

/// The 1-based number of the first line that differs.
fn first_difference(a: &str, b: &str) -> usize {
    let mut a_lines = a.lines();
    let mut b_lines = b.lines();
    let mut n = 1;
    loop {
        match (a_lines.next(), b_lines.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            _ => return n,
        }
    }
}

/// Written beside the target, then renamed over it: never a half-written workflow.
fn write_atomically(path: &Path, text: &str) -> CliResult {
    let fail = |e: std::io::Error| CliError::Failed(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let tmp = path.with_extension("yml.tmp");
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}
