//! Template diffs for `diff` and `deploy`: the fresh synthesis against the deployed
//! stacks, or two synthesis outputs. The comparison itself is `cairn_diff`:
//! pure, canonical, schema-aware.

use std::path::Path;

use cairn_assembly::{read_synthesis, SynthesizedEnv};
use cairn_core::{Application, EnvArtifact, StackArtifact};
use cairn_diff::{flag_exports_in_use, StackSides};
use serde_json::Value as Json;

use super::deployed::deployed_template;
use super::environment::{select_stacks, synth_env};
use crate::aws::{self, CloudFormation};
use crate::error::{CliError, CliResult};
use crate::project::Project;

/// The diff types and renderers the commands use, named in one place.
pub use cairn_diff::warning_lines;
pub use cairn_diff::{render, DiffReport, FailOn, Format, StackDiff};

/// The fresh synthesis of environment `env` (its `stacks`, by name or id; all when
/// empty) against its deployed templates, through `endpoint` when given.
pub fn against_deployed<A: Application>(
    project: &Project<A>,
    env: &str,
    stacks: &[String],
    endpoint: Option<&str>,
) -> CliResult<DiffReport> {
    let artifact = synth_env(project, env)?;
    let stacks = select_stacks(&artifact, stacks)?;
    let settings = &artifact.settings;
    let clients = aws::connect(settings, endpoint)?;
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
    flag_exports_in_use(&mut diffs, env, &sides);
    Ok(diffs)
}

/// What `diff --base` compares: the `base` folder with the `head` folder (a fresh
/// synthesis when `None`), narrowed to environment `env` and its `stacks`.
pub struct BetweenOutputs<'a> {
    pub base: &'a Path,
    pub head: Option<&'a Path>,
    pub env: Option<&'a str>,
    pub stacks: &'a [String],
}

/// Two synthesis outputs, or one and a fresh synthesis.
pub fn between_outputs<A: Application>(project: &Project<A>, opts: &BetweenOutputs) -> CliResult<DiffReport> {
    let base = opts.base;
    let old = read_output(base)?;
    let (new, new_label) = match opts.head {
        Some(head) => (read_output(head)?, head.display().to_string()),
        None => {
            let envs = match opts.env {
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
    if let Some(env) = opts.env {
        if !names.iter().any(|n| n == env) {
            return Err(CliError::BadInput(format!(
                "neither side has environment `{env}`; environments: {}",
                names.join(", ")
            )));
        }
        names.retain(|n| n == env);
    } else if !opts.stacks.is_empty() {
        return Err(CliError::BadInput(
            "name the environment before its stacks (`cairn diff --base DIR prod data`)".into(),
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
        for wanted in opts.stacks {
            if !stacks
                .iter()
                .any(|(name, id)| name == wanted || id.as_deref() == Some(wanted.as_str()))
            {
                let known: Vec<String> = stacks
                    .iter()
                    .map(|(n, id)| format!("{} ({n})", id.clone().unwrap_or_default()))
                    .collect();
                return Err(CliError::BadInput(format!(
                    "environment `{name}` has no stack `{wanted}` on either side; its stacks: {}",
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
            if !opts.stacks.is_empty() && !opts.stacks.iter().any(|w| w == stack || Some(w) == id.as_ref()) {
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
        flag_exports_in_use(&mut diffs[first..], name, &sides);
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
    cairn_parity::record::check_env_folders(dir).map_err(|e| CliError::BadInput(e.to_string()))?;
    let envs = read_synthesis(dir).map_err(|e| CliError::BadInput(e.to_string()))?;
    Ok(envs.into_iter().map(Side::from_output).collect())
}
