//! `cairn drift <env>`: CloudFormation drift detection (`crate::drift`). Every resource of the
//! environment's deployed stacks that was modified or deleted outside
//! CloudFormation, with the expected and actual value of each property.
//!
//! Detection starts on every deployed stack at once (DetectStackDrift), is polled
//! until done (DescribeStackDriftDetectionStatus), then the drifted resources are
//! listed (DescribeStackResourceDrifts, MODIFIED and DELETED). An endpoint without
//! drift detection (moto) ends with exit code 3 and says so.

use std::time::Duration;

use cairn_core::Application;
use clap::Args;

use crate::args::ReportFormat;
use crate::aws::drift::SdkDrift;
use crate::aws::{self, EndpointArgs};
use crate::deploy::clock::{parse_duration, SystemClock};
use crate::drift::{detect, detection_error, drifted, render, StackDrift};
use crate::error::{CliError, CliResult};
use crate::ops::deployed::deployed_template;
use crate::ops::environment::{select_stacks, synth_env};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Detect resources changed outside CloudFormation (drift) in an environment",
    long_about = "Detect resources changed outside CloudFormation (drift) in an environment.\n\n\
Runs CloudFormation drift detection on every deployed stack of the environment and lists each\n\
resource modified or deleted outside CloudFormation, with the expected and actual value of every\n\
property that differs. Resources CloudFormation cannot check are not listed.",
    after_help = "Examples:\n  cairn drift prod\n  cairn drift staging data --format json\n\n\
Exit codes: 0 no drift, 1 drift found or failure, 2 bad input, 3 the endpoint does not implement\n\
drift detection (e.g. moto)."
)]
pub struct DriftArgs {
    /// The environment to check.
    pub env: String,
    /// Stacks to check (names or ids); default: all.
    pub stacks: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// How long to wait for detection (e.g. 90s, 10m).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application>(project: &Project<A>, args: &DriftArgs, style: Style) -> CliResult {
    let artifact = synth_env(project, &args.env)?;
    let stacks = select_stacks(&artifact, &args.stacks)?;
    let settings = &artifact.settings;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    clients.check_account(settings)?;
    let mut listed = Vec::new();
    for s in &stacks {
        let deployed = deployed_template(&clients.cloudformation, &s.name)?.is_some();
        listed.push((s.name.clone(), deployed));
    }
    if !listed.iter().any(|(_, d)| *d) {
        return Err(CliError::Failed(format!(
            "no stack of environment `{}` is deployed; nothing to check",
            settings.name
        )));
    }
    let api = SdkDrift::new(&clients);
    let results = detect(&api, &listed, args.timeout, &SystemClock::new()).map_err(detection_error)?;
    let output = match args.format {
        ReportFormat::Text => render::text(&artifact, &results, style),
        ReportFormat::Markdown => render::markdown(&artifact, &results),
        ReportFormat::Json => serde_json::to_string_pretty(&render::to_json(&artifact, &results)).map_err(CliError::Json)? + "\n",
    };
    print!("{output}");
    let timed_out = results.iter().any(|(_, d)| *d == StackDrift::TimedOut);
    let n = drifted(&results);
    if n > 0 {
        return Err(CliError::Failed(format!(
            "{n} resource{} of {} changed outside CloudFormation (listed above)",
            if n == 1 { "" } else { "s" },
            settings.name
        )));
    }
    if timed_out {
        return Err(CliError::Failed(format!(
            "drift detection did not finish within {}s; run again with a longer --timeout",
            args.timeout.as_secs()
        )));
    }
    Ok(())
}
