//! `cairn diff`: what a change does to the templates, for review.
//!
//! Two sources of "old": the stacks deployed in an environment (GetTemplate, with
//! deploy's endpoint and credential handling), or a synthesis output folder
//! (`--base`, e.g. the base branch's). "New" is a fresh synthesis, or `--head DIR`.
//! Both comparisons are in `crate::ops::diff`.

use std::path::PathBuf;

use cairn_core::Application;
use clap::{Args, ValueEnum};

use crate::aws::EndpointArgs;
use crate::error::{CliError, CliResult};
use crate::ops::diff::{self, BetweenOutputs, DiffReport, FailOn, Format};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Show what a change does to the templates: against the deployed stacks, or between two synthesis outputs",
    long_about = "Show what a change does to the templates.\n\n\
`cairn diff ENV [STACK...]` compares a fresh synthesis of ENV with the templates deployed in its\n\
account and region (GetTemplate; credentials and endpoint as for `deploy`). A stack that is not\n\
deployed shows as entirely new.\n\n\
`cairn diff --base DIR [--head DIR] [ENV [STACK...]]` compares two synthesis outputs (folders\n\
written by `cairn synth`), every environment and stack they contain unless ENV / STACK narrow\n\
it; without --head, a fresh synthesis is the new side. Needs no AWS access.\n\n\
Per stack: resources added, removed and modified with their construct paths and the property\n\
paths that changed; whether a change replaces the resource (from CloudFormation's resource\n\
schemas); IAM statements and security-group rules added or removed, broadening ones flagged;\n\
stateful resources that would lose data and changes the deploy would fail on (RDS engine\n\
downgrade, an export another stack still imports) first. Key order, equivalent intrinsic forms and\n\
construct-path metadata are not differences.",
    after_help = "Examples:\n  cairn diff prod\n  cairn diff staging data --format json | jq '.changes[] | select(.replacement != \"none\")'\n  \
cairn diff --base /tmp/base-out --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n  cairn diff --base out-main --head out-pr --fail-on security\n  \
make pr-diff BASE=origin/main FORMAT=markdown\n\n\
Exit codes: 0 no gate tripped, 1 the --fail-on gate tripped or a failure, 2 bad input\n\
(unknown environment or stack, a folder that is not a synthesis output, a truncated template, a resource without Type)."
)]
pub struct DiffArgs {
    /// Environment to compare (required without --base; with --base, narrows to it).
    pub env: Option<String>,
    /// Stacks of the environment, by name or id (default: all).
    pub stacks: Vec<String>,
    /// Synthesis output folder to compare against (e.g. the base branch's), instead of the deployed stacks.
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
    /// Synthesis output folder of the new side; default: a fresh synthesis.
    #[arg(long, value_name = "DIR", requires = "base")]
    pub head: Option<PathBuf>,
    /// Name for the old side in the output (default: the --base folder, or the deployed stacks).
    #[arg(long, value_name = "TEXT")]
    pub base_label: Option<String>,
    /// Name for the new side in the output (default: the --head folder, or `fresh synthesis`).
    #[arg(long, value_name = "TEXT")]
    pub head_label: Option<String>,
    /// Output format: colored text on a terminal, Markdown for PR comments, JSON (docs/diff-json-schema.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Exit 1 when: the deploy would fail (blocking: engine downgrade, export still imported
    /// or changed, custom-named resource replaced, an update CloudFormation refuses; every
    /// gate but `none` includes this); any difference; a resource is or may be replaced (a
    /// type cairn has no facts for counts as may) or data would be lost; access is broadened
    /// (Allow statement, managed policy or network rule added); a resource that may hold data
    /// (stateful, or of a type cairn does not know to be stateless) is removed or replaced,
    /// even one a Retain/Snapshot policy keeps (data-loss). Several gates: `--fail-on data-loss,replacement`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "none")]
    pub fail_on: Vec<FailOnArg>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    None,
    Blocking,
    Any,
    Replacement,
    Security,
    DataLoss,
}

impl From<FailOnArg> for FailOn {
    fn from(f: FailOnArg) -> Self {
        match f {
            FailOnArg::None => FailOn::None,
            FailOnArg::Blocking => FailOn::Blocking,
            FailOnArg::Any => FailOn::Any,
            FailOnArg::Replacement => FailOn::Replacement,
            FailOnArg::Security => FailOn::Security,
            FailOnArg::DataLoss => FailOn::DataLoss,
        }
    }
}

pub fn run<A: Application>(project: &Project<A>, args: &DiffArgs, style: Style) -> CliResult {
    let mut report = match &args.base {
        Some(base) => diff::between_outputs(
            project,
            &BetweenOutputs {
                base,
                head: args.head.as_deref(),
                env: args.env.as_deref(),
                stacks: &args.stacks,
            },
        )?,
        None => {
            let Some(env) = &args.env else {
                return Err(CliError::BadInput(
                    "name an environment to compare with its deployed stacks (`cairn diff prod`), \
                     or pass --base DIR to compare with a synthesis output"
                        .into(),
                ));
            };
            diff::against_deployed(project, env, &args.stacks, args.endpoint.endpoint_url.as_deref())?
        }
    };
    if let Some(label) = &args.base_label {
        report.old_label = label.clone();
    }
    if let Some(label) = &args.head_label {
        report.new_label = label.clone();
    }
    let format = match args.format {
        FormatArg::Text => Format::Text { color: style.enabled },
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Json => Format::Json,
    };
    print!("{}", diff::render(&report, format));
    // Every gate that trips is named, not only the first.
    let tripped: Vec<String> = args.fail_on.iter().filter_map(|g| gate(&report, *g).err()).collect();
    if tripped.is_empty() {
        return Ok(());
    }
    Err(CliError::FailOn(tripped))
}

/// Exit code for `--fail-on`: the message goes to stderr, the diff stays on stdout.
fn gate(report: &DiffReport, fail_on: FailOnArg) -> Result<(), String> {
    let gate: FailOn = fail_on.into();
    if !report.fails(gate) {
        return Ok(());
    }
    let s = report.summary();
    let mut why = match gate {
        FailOn::Blocking => String::new(),
        FailOn::Any => format!("{} stack(s) differ", report.changed().count()),
        FailOn::Replacement => format!(
            "{} replacement(s), {} possible replacement(s) ({} of unknown type), {} stateful resource(s) losing data",
            s.replace, s.may_replace, s.unknown_replace, s.data_loss
        ),
        FailOn::Security => format!("{} broadening security change(s)", s.broadening),
        FailOn::DataLoss => format!(
            "{} stateful resource(s) removed or replaced ({} with nothing keeping their data)",
            report.data_risks(),
            s.data_loss
        ),
        FailOn::None => String::new(),
    };
    // Every gate trips on these; no override lifts them.
    if s.blocking > 0 {
        if !why.is_empty() {
            why.push_str(", ");
        }
        why.push_str(&format!("{} change(s) the deploy would fail on", s.blocking));
    }
    Err(format!("diff: --fail-on {}: {why}", fail_on_name(fail_on)))
}

fn fail_on_name(f: FailOnArg) -> &'static str {
    match f {
        FailOnArg::None => "none",
        FailOnArg::Blocking => "blocking",
        FailOnArg::Any => "any",
        FailOnArg::Replacement => "replacement",
        FailOnArg::Security => "security",
        FailOnArg::DataLoss => "data-loss",
    }
}
