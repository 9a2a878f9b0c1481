//! `cairn diff`: what a change does to the templates, for review.
//!
//! Two sources of "old": the stacks deployed in an environment (GetTemplate, with
//! deploy's endpoint and credential handling), or a synthesis output folder
//! (`--base`, e.g. the base branch's). "New" is a fresh synthesis, or `--head DIR`.
//! The comparison itself is `cairn_core::diff`: pure, canonical, schema-aware.

use std::path::{Path, PathBuf};

use cairn_core::diff::exports::StackSides;
use cairn_core::diff::{self, DiffReport, FailOn, Format, StackDiff};
use cairn_core::output_dir::{read_synthesis, SynthesizedEnv};
use cairn_core::{Application, EnvArtifact, StackArtifact};
use clap::{Args, ValueEnum};
use serde_json::Value as Json;

use crate::aws::{self, CloudFormation, EndpointArgs};
use crate::commands::deploy::{select_stacks, synth_env};
use crate::error::{CliError, CliResult};
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
        Some(base) => between_outputs(project, args, base)?,
        None => {
            let Some(env) = &args.env else {
                return Err(CliError::bad_input(
                    "error: name an environment to compare with its deployed stacks (`cairn diff prod`), \
                     or pass --base DIR to compare with a synthesis output",
                ));
            };
            against_deployed(project, env, args)?
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
    let tripped: Vec<String> = args
        .fail_on
        .iter()
        .filter_map(|g| gate(&report, *g).err())
        .map(|e| e.message)
        .collect();
    if tripped.is_empty() {
        return Ok(());
    }
    Err(CliError::with_code(1, tripped.join("\n")))
}

/// Exit code for `--fail-on`: the message goes to stderr, the diff stays on stdout.
fn gate(report: &DiffReport, fail_on: FailOnArg) -> CliResult {
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
    Err(CliError::with_code(1, format!("diff: --fail-on {}: {why}", fail_on_name(fail_on))))
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

/// The environment's fresh synthesis against its deployed templates.
fn against_deployed<A: Application>(project: &Project<A>, env: &str, args: &DiffArgs) -> CliResult<DiffReport> {
    let artifact = synth_env(project, env)?;
    let stacks = select_stacks(&artifact, &args.stacks)?;
    let settings = &artifact.settings;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(settings)?;
    let diffs = against_deployed_templates(&clients.cloudformation, artifact.name(), &artifact.stacks, &stacks)?;
    let via = clients.endpoint().map(|e| format!(" via {e}")).unwrap_or_default();
    Ok(DiffReport {
        old_label: format!("deployed stacks (account {account}, {}{via})", settings.region),
        new_label: "fresh synthesis".to_string(),
        stacks: diffs,
        notes: Vec::new(),
    })
}

/// The diffs of the `selected` stacks of environment `env` (fresh synthesis against
/// deployed templates), with the export-in-use warnings, which need `all` its stacks.
/// `deploy` checks the same warnings before changing anything.
pub fn against_deployed_templates(
    cfn: &dyn CloudFormation,
    env: &str,
    all: &[StackArtifact],
    selected: &[&StackArtifact],
) -> CliResult<Vec<StackDiff>> {
    // Every stack's deployed template, not only the selected ones': a stack left out
    // may still import an export that a selected one removes.
    let mut deployed = Vec::new();
    for stack in all {
        deployed.push(deployed_template(cfn, &stack.name)?);
    }
    let mut diffs = Vec::new();
    for (stack, old) in all.iter().zip(&deployed) {
        if selected.iter().any(|s| s.name == stack.name) {
            diffs.push(StackDiff::new(
                env,
                &stack.name,
                Some(&stack.id),
                old.as_ref(),
                Some(&stack.template),
            ));
        }
    }
    let sides: Vec<StackSides> = all
        .iter()
        .zip(&deployed)
        .map(|(s, old)| StackSides {
            stack: &s.name,
            old: old.as_ref(),
            new: Some(&s.template),
        })
        .collect();
    diff::exports::flag_exports_in_use(&mut diffs, env, &sides);
    Ok(diffs)
}

/// The deployed template of `stack`, or `None` when nothing is deployed under that
/// name (no stack, a stack waiting for its first change set, or a failed creation).
pub fn deployed_template(cfn: &dyn CloudFormation, stack: &str) -> CliResult<Option<Json>> {
    let Some(info) = cfn.describe_stack(stack)? else {
        return Ok(None);
    };
    if matches!(info.status.as_str(), "REVIEW_IN_PROGRESS" | "ROLLBACK_COMPLETE" | "DELETE_COMPLETE") {
        return Ok(None);
    }
    let Some(body) = cfn.get_template(stack)? else {
        return Ok(None);
    };
    let template: Json = serde_json::from_str(&body).map_err(|e| {
        CliError::failure(format!(
            "error: the deployed template of stack {stack} is not JSON ({e}); it was not deployed by cairn \
             (YAML templates cannot be compared): deploy it with cairn once, or compare with `cairn diff --base DIR`"
        ))
    })?;
    Ok(Some(template))
}

/// Two synthesis outputs, or one and a fresh synthesis.
fn between_outputs<A: Application>(project: &Project<A>, args: &DiffArgs, base: &Path) -> CliResult<DiffReport> {
    let old = read_output(base)?;
    let (new, new_label) = match &args.head {
        Some(head) => (read_output(head)?, head.display().to_string()),
        None => {
            let envs = match &args.env {
                Some(env) => vec![synth_env(project, env)?],
                None => {
                    let all = project.all_envs()?;
                    project.synth(&all)?.environments
                }
            };
            (envs.iter().map(Side::from_artifact).collect(), "fresh synthesis".to_string())
        }
    };
    let mut names: Vec<String> = new.iter().map(|e| e.name.clone()).collect();
    names.extend(old.iter().map(|e| e.name.clone()).filter(|n| !new.iter().any(|e| &e.name == n)));
    if let Some(env) = &args.env {
        if !names.contains(env) {
            return Err(CliError::bad_input(format!(
                "error: neither side has environment `{env}`; environments: {}",
                names.join(", ")
            )));
        }
        names.retain(|n| n == env);
    } else if !args.stacks.is_empty() {
        return Err(CliError::bad_input(
            "error: name the environment before its stacks (`cairn diff --base DIR prod data`)",
        ));
    }

    let mut diffs = Vec::new();
    let mut notes = Vec::new();
    for name in &names {
        let (o, n) = (old.iter().find(|e| &e.name == name), new.iter().find(|e| &e.name == name));
        match (o, n) {
            (None, Some(_)) => notes.push(format!(
                "environment {name}: not in base ({}); every stack of it shows as added",
                base.display()
            )),
            (Some(_), None) => notes.push(format!(
                "environment {name}: not in head ({new_label}); every stack of it shows as removed"
            )),
            _ => {}
        }
        let mut stacks: Vec<(String, Option<String>)> = Vec::new();
        for side in [n, o].into_iter().flatten() {
            for s in &side.stacks {
                if !stacks.iter().any(|(x, _)| x == &s.name) {
                    stacks.push((s.name.clone(), Some(s.id.clone())));
                }
            }
        }
        for wanted in &args.stacks {
            if !stacks
                .iter()
                .any(|(name, id)| name == wanted || id.as_deref() == Some(wanted.as_str()))
            {
                let known: Vec<String> = stacks
                    .iter()
                    .map(|(n, id)| format!("{} ({n})", id.clone().unwrap_or_default()))
                    .collect();
                return Err(CliError::bad_input(format!(
                    "error: environment `{name}` has no stack `{wanted}` on either side; its stacks: {}",
                    known.join(", ")
                )));
            }
        }
        let sides: Vec<StackSides> = stacks
            .iter()
            .map(|(stack, _)| StackSides {
                stack,
                old: template_of(o, stack),
                new: template_of(n, stack),
            })
            .collect();
        let first = diffs.len();
        for (stack, id) in &stacks {
            if !args.stacks.is_empty() && !args.stacks.iter().any(|w| w == stack || Some(w) == id.as_ref()) {
                continue;
            }
            diffs.push(StackDiff::new(
                name,
                stack,
                id.as_deref(),
                template_of(o, stack),
                template_of(n, stack),
            ));
        }
        diff::exports::flag_exports_in_use(&mut diffs[first..], name, &sides);
    }
    Ok(DiffReport {
        old_label: base.display().to_string(),
        new_label,
        stacks: diffs,
        notes,
    })
}

/// One environment's stacks, from a folder or a fresh synthesis.
struct Side {
    name: String,
    stacks: Vec<SideStack>,
}

struct SideStack {
    name: String,
    id: String,
    template: Json,
}

impl Side {
    fn from_artifact(e: &EnvArtifact) -> Side {
        Side {
            name: e.name().to_string(),
            stacks: e
                .stacks
                .iter()
                .map(|s| SideStack {
                    name: s.name.clone(),
                    id: s.id.clone(),
                    template: s.template.clone(),
                })
                .collect(),
        }
    }

    fn from_output(e: SynthesizedEnv) -> Side {
        Side {
            name: e.name,
            stacks: e
                .stacks
                .into_iter()
                .map(|s| SideStack {
                    name: s.name,
                    id: s.id,
                    template: s.template,
                })
                .collect(),
        }
    }
}

fn template_of<'a>(side: Option<&'a Side>, stack: &str) -> Option<&'a Json> {
    side.and_then(|e| e.stacks.iter().find(|s| s.name == stack)).map(|s| &s.template)
}

fn read_output(dir: &Path) -> CliResult<Vec<Side>> {
    // A folder with templates but no manifest is a broken synthesis, not an absent
    // environment: reading past it would show that environment as all new.
    cairn_parity::record::check_env_folders(dir).map_err(|e| CliError::bad_input(format!("error: {e}")))?;
    let envs = read_synthesis(dir).map_err(|e| CliError::bad_input(format!("error: {e}")))?;
    Ok(envs.into_iter().map(Side::from_output).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeCloudFormation;
    use serde_json::json;

    #[test]
    fn only_a_stack_with_resources_counts_as_deployed() {
        let cfn = FakeCloudFormation::new();
        let template = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
        cfn.add_stack("live", "UPDATE_ROLLBACK_COMPLETE", &template);
        cfn.add_stack("pending", "REVIEW_IN_PROGRESS", &template);
        cfn.add_stack("failed", "ROLLBACK_COMPLETE", &template);
        assert_eq!(deployed_template(&cfn, "live").ok().flatten(), Some(template));
        for name in ["pending", "failed", "missing"] {
            assert_eq!(deployed_template(&cfn, name).ok().flatten(), None, "{name}");
        }
        assert!(!cfn.calls().iter().any(|c| c == "GetTemplate pending"), "{:?}", cfn.calls());
    }
}
