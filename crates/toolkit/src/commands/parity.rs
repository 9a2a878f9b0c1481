//! `cairn parity`: environments differ only through their declared knobs.
//!
//! Synthesizes the environments (or reads `--out DIR`, or the deployed templates
//! with `--deployed`), compares them property by property and attributes every
//! difference to the environment-file field that drives it (`crate::ops::parity`).
//! Exit 1 when a difference is undeclared.

use std::path::PathBuf;

use cairn_core::Application;
use clap::Args;

use crate::args::ReportFormat;
use crate::aws::EndpointArgs;
use crate::error::{CliError, CliResult};
use crate::ops::parity::{self, render, Report};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Check that environments differ only in their declared knobs",
    long_about = "Check that environments differ only in their declared knobs.\n\n\
Compares the environments' templates stack by stack, resource by resource and property by\n\
property (environment names, account ids and regions inside names and ARNs are normalized\n\
away). Each difference is attributed to the environment-file field (knob) that drives it:\n\
the reference environment (the last in promotion order) is synthesized again with the\n\
environment's value for each knob, and the environment with every knob at the reference's\n\
value; whatever still differs then is UNDECLARED. Knobs declared to match between some environments are checked too.\n\n\
With --out DIR the templates of an earlier `cairn synth` are checked (synth records which\n\
field drives which property in each manifest); with --deployed the templates deployed in\n\
each environment are compared, and each environment is compared with this commit's synthesis\n\
(\"this commit plus uncommitted changes\" when the git checkout is dirty, \"this synthesis\" outside one).",
    after_help = "Examples:\n  cairn parity\n  cairn parity staging prod --format markdown\n  cairn parity --out out --format json\n  cairn parity --deployed\n\n\
Exit codes: 0 every difference is declared, 1 undeclared differences (listed first), 2 bad input."
)]
pub struct ParityArgs {
    /// Environments to compare (default: all); compared in promotion order.
    pub envs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Check the templates of an existing synthesis output folder instead of synthesizing.
    #[arg(long, value_name = "DIR", conflicts_with = "deployed")]
    pub out: Option<PathBuf>,
    /// Compare the templates deployed in each environment (GetTemplate), and each with this commit.
    #[arg(long)]
    pub deployed: bool,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application + Sync>(project: &Project<A>, args: &ParityArgs, style: Style) -> CliResult {
    if !args.envs.is_empty() {
        parity::at_least_two(&args.envs)?;
    }
    let report = if args.deployed {
        parity::deployed::compare_deployed(project, &args.envs, args.endpoint.endpoint_url.as_deref())?
    } else if let Some(dir) = &args.out {
        parity::compare_out_dir(project, dir, &args.envs)?
    } else {
        parity::compare_synthesized(project, &args.envs)?
    };
    print(&report, args.format, style)?;
    outcome(&report)
}

fn print(report: &Report, format: ReportFormat, style: Style) -> CliResult {
    let text = match format {
        ReportFormat::Text => render::text(report, style.enabled),
        ReportFormat::Markdown => render::markdown(report),
        ReportFormat::Json => serde_json::to_string_pretty(&render::json(report)).map_err(CliError::Json)? + "\n",
    };
    print!("{text}");
    Ok(())
}

fn outcome(report: &Report) -> CliResult {
    if report.ok() {
        return Ok(());
    }
    let n = report.undeclared_count();
    Err(CliError::Failed(format!(
        "{n} undeclared difference{} between {}; make the code depend on an environment-file field \
             declared as a knob (Application::knobs), or remove the difference",
        if n == 1 { "" } else { "s" },
        report.envs.join(", ")
    )))
}
